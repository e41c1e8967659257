"""The FastAPI application of the pass service and how ``relayroute serve`` runs it.

One instance and one plan per service, loaded at start and checked by the validator.
Requests larger than :data:`MAX_BODY_BYTES` are refused (413) before they are read.
Shutdown is graceful: on SIGINT or SIGTERM uvicorn stops accepting connections, lets the
requests in flight finish (up to ``graceful_seconds``), and ``relayroute serve`` exits 130
or 143; a second Ctrl-C ends it at once.
"""

from __future__ import annotations

import contextlib
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from relayroute._version import __version__
from relayroute.errors import InputError
from relayroute.io.plan import plan_from_text, plan_to_json
from relayroute.model.plan import Pass
from relayroute.validate import validate

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Plan

# A plan of a 2,000-shipment day is about 10 MB of JSON.
MAX_BODY_BYTES = 50 * 1024 * 1024


@dataclass
class _Served:
    loaded: LoadedInstance
    plan: Plan


def _bad_input(exc: InputError) -> JSONResponse:
    return JSONResponse({"error": exc.where, "message": exc.message}, status_code=422)


def create_app(loaded: LoadedInstance, plan: Plan) -> FastAPI:
    """The service's application for one instance and its plan.

    Parameters
    ----------
    loaded
        The instance (from :func:`relayroute.read_instance`).
    plan
        Its plan, already checked against it.

    Returns
    -------
    FastAPI
        ``GET /health``, ``GET /plan``, ``GET /passes``, ``POST /validate``.
    """
    served = _Served(loaded, plan)
    app = FastAPI(
        title="relayroute pass service",
        version=__version__,
        description="Freight passes of one planned day around closed zones.",
    )

    @app.middleware("http")
    async def limit_size(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.method in ("POST", "PUT", "PATCH"):
            length = request.headers.get("content-length")
            if length is None:
                return JSONResponse(
                    {"error": "request", "message": "a body needs a Content-Length"},
                    status_code=411,
                )
            if not length.isdigit() or int(length) > MAX_BODY_BYTES:
                return JSONResponse(
                    {
                        "error": "request",
                        "message": f"body larger than {MAX_BODY_BYTES:,} bytes",
                    },
                    status_code=413,
                )
        return await call_next(request)

    @app.get("/health")
    def health() -> dict[str, Any]:
        """The service is up: its instance and plan."""
        inst = served.loaded.instance
        return {
            "status": "ok",
            "instance": inst.name,
            "shipments": len(inst.shipments),
            "passes": len(served.plan.passes),
        }

    @app.get("/plan")
    def get_plan() -> Response:
        """The plan served, as the plan file holds it."""
        return Response(plan_to_json(served.plan), media_type="application/json")

    @app.get("/passes", response_model=list[Pass])
    def get_passes() -> list[Pass]:
        """The freight passes the plan needs: truck, driver, checkpoint, zone, window."""
        return list(served.plan.passes)

    @app.post("/validate")
    async def post_validate(request: Request) -> Response:
        """Check a plan (the request body, plan JSON) against the instance served: every
        rule it breaks, with the object, the time and the figures."""
        try:
            text = (await request.body()).decode("utf-8")
            plan = plan_from_text(text, "body")
        except UnicodeDecodeError:
            return _bad_input(InputError("body", "not UTF-8 text"))
        except InputError as exc:
            return _bad_input(exc)
        report = validate(served.loaded.instance, plan, served.loaded.base)
        return JSONResponse(
            {
                "valid": report.ok,
                "violations": [
                    {"rule": v.rule, "object": v.obj, "time": v.time, "message": v.message}
                    for v in report.violations
                ],
            }
        )

    return app


def serve(
    loaded: LoadedInstance,
    plan: Plan,
    host: str = "127.0.0.1",
    port: int = 8000,
    graceful_seconds: float = 10.0,
) -> int | None:
    """Run the service until SIGINT or SIGTERM, then shut down gracefully.

    Parameters
    ----------
    loaded, plan
        What to serve (see :func:`create_app`).
    host, port
        Where to listen: loopback by default.
    graceful_seconds
        How long requests in flight may still take after a stop signal.

    Returns
    -------
    int or None
        The signal that stopped it (None: it stopped by itself).
    """
    import uvicorn

    class Server(uvicorn.Server):
        # uvicorn raises a stop signal again once it has shut down (killing the process
        # with it); the command line says instead which signal stopped it, and exits
        # 128 + that signal as its other commands do.
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            old = {s: signal.signal(s, self.handle_exit) for s in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for s, handler in old.items():
                    signal.signal(s, handler)

    config = uvicorn.Config(
        create_app(loaded, plan),
        host=host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=int(graceful_seconds),
    )
    server = Server(config)
    server.run()
    got = server._captured_signals  # noqa: SLF001 - what uvicorn recorded
    return int(got[0]) if got else None

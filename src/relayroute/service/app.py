"""The FastAPI application of the pass service and how ``relayroute serve`` runs it.

One instance and one plan per service, loaded at start and checked by the validator. A
new trip (``POST /insert``) is put in under a lock around the whole read-modify-write:
requests at once are taken one after the other, each on the plan the one before it left,
so none is lost; the new plan and the grown instance are saved (:mod:`.state`) before
the answer, and become the plan served only once saved. Readers (``GET /plan``,
``/passes``, ``/explain``) take the state as it is, never half-changed: it is replaced
whole. Requests larger than :data:`MAX_BODY_BYTES` are refused (413) before they are read.
Shutdown is graceful: on SIGINT or SIGTERM uvicorn stops accepting connections, lets the
requests in flight finish (up to ``graceful_seconds``), and ``relayroute serve`` exits 130
or 143; a second Ctrl-C ends it at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import signal
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from relayroute._version import __version__
from relayroute.errors import InputError, json_path
from relayroute.io.instance import LoadedInstance
from relayroute.io.plan import plan_from_text, plan_to_json
from relayroute.model.passes import passes as plan_passes
from relayroute.model.plan import Pass, Plan
from relayroute.service.models import (
    ErrorBody,
    ExplanationOut,
    Health,
    Inserted,
    InsertRequest,
    Refused,
    ValidationResult,
    ViolationOut,
)
from relayroute.service.state import Store, instance_text
from relayroute.validate import validate

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator
    from pathlib import Path

    from relayroute.solve.insert import Refusal

# A plan of a 2,000-shipment day is about 10 MB of JSON.
MAX_BODY_BYTES = 50 * 1024 * 1024

# Refusals the plan's present state causes (its trucks, bays, loop drivers are taken):
# 409 Conflict. The others come from the shipment itself (no way can serve it in this
# instance, whatever the plan): 422.
PLAN_CONFLICTS = frozenset(
    {
        "deadline",
        "loop_drivers",
        "bays",
        "checkpoint_hours",
        "site_hours",
        "station_hours",
        "truck_hours",
        "pass_would_change",
        "no_driver_left",
        "no_truck_free",
        "duplicate",
    }
)


@dataclass(frozen=True)
class _State:
    loaded: LoadedInstance
    plan: Plan
    version: int


class _Service:
    """The state served, replaced whole on each change; the lock serialises changes."""

    def __init__(self, state: _State, store: Store | None, check: bool) -> None:
        self.state = state
        self.store = store
        self.check = check
        self.lock = threading.Lock()


def _error(status: int, where: str, message: str) -> JSONResponse:
    return JSONResponse({"error": where, "message": message}, status_code=status)


def _bad_input(exc: InputError) -> JSONResponse:
    return _error(422, exc.where, exc.message)


def _refused(shipment: str, r: Refusal) -> JSONResponse:
    body = Refused(shipment=shipment, code=r.code, blocking=r.blocking, detail=r.detail)
    return JSONResponse(
        body.model_dump(mode="json"), status_code=409 if r.code in PLAN_CONFLICTS else 422
    )


def _request_error(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's schema errors as the rest of relayroute words them: one JSON path first."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    if not errors:
        return _error(422, "request", str(exc))
    items = []
    for err in errors:
        loc = list(err.get("loc", ()))
        head = str(loc.pop(0)) if loc and loc[0] in ("body", "query", "path") else "body"
        if err.get("type") == "json_invalid":
            items.append((head, "invalid JSON"))
            continue
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            msg = "unknown field"
        items.append((f"{head} {json_path(loc)}", msg))
    where, msg = items[0]
    rest = [f"{w}: {m}" for w, m in items[1:5]]
    return _error(422, where, msg + ("; also " + "; ".join(rest) if rest else ""))


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own answers (404, 405, a body it cannot parse) in the service's shape."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 400:  # FastAPI's word for a body it could not read as JSON
        return _error(422, "body", "cannot be read as JSON (UTF-8 text)")
    detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
    return _error(status, "request", str(detail))


def create_app(
    loaded: LoadedInstance,
    plan: Plan,
    *,
    state_dir: str | Path | None = None,
    check_inserts: bool = False,
) -> FastAPI:
    """The service's application for one instance and its plan.

    Parameters
    ----------
    loaded
        The instance (from :func:`relayroute.read_instance`).
    plan
        Its plan, already checked against it.
    state_dir
        Where each change is saved (:class:`~relayroute.service.state.Store`). When it
        already holds a state, the service carries on from that one (the instance and plan
        given must be the same day: same instance name) instead. None: nothing saved.
    check_inserts
        Check each new plan with the independent validator before taking it (0.3 to 1 s
        a request on a 500-shipment day, BENCHMARKS.md; :func:`relayroute.insert` is
        tested to keep the rules without it).

    Returns
    -------
    FastAPI
        ``GET /health``, ``/plan``, ``/passes``, ``/explain/{shipment}``, ``POST /insert``,
        ``/validate``.

    Raises
    ------
    InputError
        ``state_dir`` holds a state of another day, or one that cannot be read.
    """
    store = Store(state_dir) if state_dir is not None else None
    saved = store.load() if store is not None else None
    if saved is not None:
        if saved.loaded.instance.name != loaded.instance.name:
            raise InputError(
                str(state_dir),
                f"holds the state of instance {saved.loaded.instance.name!r}, "
                f"not of {loaded.instance.name!r}",
            )
        report = validate(saved.loaded.instance, saved.plan, saved.loaded.base)
        if not report.ok:  # passes are never handed out from a plan that breaks a rule
            raise InputError(
                str(state_dir),
                f"its saved plan breaks {', '.join(sorted(report.rules()))}; "
                "`relayroute validate` on its files lists how",
            )
        state = _State(saved.loaded, saved.plan, saved.version)
    else:
        state = _State(loaded, plan, 0)
    svc = _Service(state, store, check_inserts)
    app = FastAPI(
        title="relayroute pass service",
        version=__version__,
        description="Freight passes of one planned day around closed zones: the passes a "
        "plan needs, and new trips put into it without changing a pass already issued.",
    )
    app.state.service = svc
    app.add_exception_handler(RequestValidationError, _request_error)
    app.add_exception_handler(HTTPException, _http_error)

    @app.middleware("http")
    async def limit_size(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.method in ("POST", "PUT", "PATCH"):
            length = request.headers.get("content-length")
            if length is None:
                return _error(411, "request", "a body needs a Content-Length")
            if not length.isdigit() or int(length) > MAX_BODY_BYTES:
                return _error(413, "request", f"body larger than {MAX_BODY_BYTES:,} bytes")
        return await call_next(request)

    errors: dict[int | str, dict[str, Any]] = {422: {"model": ErrorBody}}

    @app.get("/health", response_model=Health)
    def health() -> Health:
        """The service is up: its instance and plan."""
        st = svc.state
        return Health(
            status="ok",
            instance=st.loaded.instance.name,
            shipments=len(st.loaded.instance.shipments),
            passes=len(st.plan.passes),
            version=st.version,
        )

    @app.get("/plan", response_model=Plan)
    def get_plan() -> Response:
        """The plan served, as a plan file holds it."""
        return Response(plan_to_json(svc.state.plan), media_type="application/json")

    @app.get("/passes", response_model=list[Pass])
    def get_passes(
        truck: str | None = Query(None, description="only this truck's passes"),
        zone: str | None = Query(None, description="only the passes for this zone"),
    ) -> list[Pass]:
        """The freight passes the plan needs, by the time they become valid: truck, plate,
        driver, checkpoint, zone, window."""
        return plan_passes(svc.state.plan, truck=truck, zone=zone)

    @app.get(
        "/explain/{shipment}",
        response_model=ExplanationOut,
        responses={404: {"model": ErrorBody}},
    )
    def get_explain(shipment: str) -> ExplanationOut | JSONResponse:
        """How a shipment of the day can move alone (itinerary, stations, trucks, earliest
        delivery) and what the plan does with it."""
        from relayroute.solve.explain import explain

        st = svc.state
        if shipment not in st.loaded.instance.shipments_by_id:
            return _error(404, "shipment", f"no shipment {shipment!r} in the day's instance")
        got = explain(st.loaded, shipment, st.plan)
        return ExplanationOut.model_validate(dataclasses.asdict(got))

    @app.post(
        "/insert",
        response_model=Inserted,
        responses={
            409: {"model": Refused, "description": "the plan as it stands cannot take it"},
            422: {"model": ErrorBody | Refused, "description": "bad shipment, or none can"},
            413: {"model": ErrorBody},
            503: {"model": ErrorBody, "description": "the new plan could not be saved"},
        },
    )
    def post_insert(body: InsertRequest) -> Inserted | JSONResponse:
        """Put one new trip into the plan without changing a pass already issued: the
        passes to issue for it, its delivery time and the delay it adds; or why not,
        naming what blocks it (409 when the plan's trucks, bays or drivers are taken, 422
        when no way can serve it in this instance)."""
        from relayroute.solve.insert import Refusal, insert

        sid = body.shipment.id
        # Read, change and replace the state as one step: no insert is lost to another.
        with svc.lock:
            st = svc.state
            if sid in st.loaded.instance.shipments_by_id:
                why = f"shipment {sid!r} is already in the day's instance"
                return _refused(sid, Refusal("duplicate", f"shipment {sid}", why))
            try:
                done = insert(st.loaded, st.plan, body.shipment, now=body.now)
            except InputError as exc:
                where = "body $.now" if exc.where == "now" else exc.where
                if where.startswith("$"):
                    where = "body $.shipment" + where[1:]
                return _error(422, where, exc.message)
            if done.refusal is not None:
                return _refused(sid, done.refusal)
            new_loaded, new_plan = done.loaded, done.plan
            version = st.version + 1
            if svc.store is not None:
                text = instance_text(new_loaded, svc.store.folder)
                # The plan names the instance file it is for, as read back after a restart.
                sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
                new_loaded = LoadedInstance(new_loaded.instance, new_loaded.base, sha)
                new_plan.instance.sha256 = sha
            if svc.check:
                report = validate(new_loaded.instance, new_plan, new_loaded.base)
                if not report.ok:  # a bug of ours: the plan served stays as it was
                    rules = ", ".join(sorted(report.rules()))
                    return _error(500, "insert", f"the new plan breaks {rules}; not taken")
            if svc.store is not None:
                try:
                    svc.store.save(text, new_plan.model_dump_json(), version)
                except InputError as exc:
                    return _error(503, exc.where, exc.message + "; the plan is as it was")
            svc.state = _State(new_loaded, new_plan, version)
        return Inserted(
            shipment=sid,
            truck=str(done.truck),
            eta=float(done.eta or 0.0),
            eta_at=str(done.eta_at),
            added_delay=done.added_delay,
            passes=done.passes,
            version=version,
        )

    @app.post(
        "/validate",
        response_model=ValidationResult,
        responses=errors,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Plan"}}},
            }
        },
    )
    async def post_validate(request: Request) -> ValidationResult | JSONResponse:
        """Check a plan (the request body, plan JSON) against the instance served: every
        rule it breaks, with the object, the time and the figures."""
        try:
            text = (await request.body()).decode("utf-8")
            plan = plan_from_text(text, "body")
        except UnicodeDecodeError:
            return _bad_input(InputError("body", "not UTF-8 text"))
        except InputError as exc:
            return _bad_input(exc)
        st = svc.state
        # Off the event loop: a large plan takes a second, other requests go on meanwhile.
        report = await run_in_threadpool(validate, st.loaded.instance, plan, st.loaded.base)
        return ValidationResult(
            valid=report.ok,
            violations=[
                ViolationOut(rule=v.rule, object=v.obj, time=v.time, message=v.message)
                for v in report.violations
            ],
        )

    return app


def serve(
    loaded: LoadedInstance,
    plan: Plan,
    host: str = "127.0.0.1",
    port: int = 8000,
    graceful_seconds: float = 10.0,
    *,
    state_dir: str | Path | None = None,
    check_inserts: bool = False,
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
    state_dir, check_inserts
        Where changes are saved, and whether each is validated (see :func:`create_app`).

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

    app = create_app(loaded, plan, state_dir=state_dir, check_inserts=check_inserts)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=int(graceful_seconds),
    )
    server = Server(config)
    server.run()
    got = server._captured_signals  # noqa: SLF001 - what uvicorn recorded
    return int(got[0]) if got else None

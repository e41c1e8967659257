"""The pass service on loopback: many clients at once on a real uvicorn server, and a
``relayroute serve`` process stopped and started again on its state folder."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import uvicorn

from relayroute.io.plan import plan_from_text, write_plan
from relayroute.service import create_app
from relayroute.validate import validate

from ..conftest import ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from fastapi import FastAPI

    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Plan

CLIENTS = 8
ROUNDS = 5  # requests of each kind per client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(base: str, seconds: float = 30.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("the service did not come up")


@pytest.fixture
def running(demo: LoadedInstance, demo_plan: Plan) -> Iterator[tuple[str, FastAPI]]:
    """The service on a free loopback port, uvicorn in a thread."""
    app = create_app(demo, demo_plan)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    _wait_up(base)
    yield base, app
    server.should_exit = True
    thread.join(timeout=10)


def _trip(sid: str, k: int) -> dict[str, Any]:
    # Short trips spread over the morning, from three places outside the closed zone.
    origin = ("jindong", "lanxi", "jinhua")[k % 3]
    destination = "jinhua" if origin != "jinhua" else "lanxi"
    return {
        "id": sid,
        "origin": origin,
        "destination": destination,
        "quantity": {"t": 2},
        "ready": 480 + 7 * k,
        "due": 1000,
    }


def test_many_clients_at_once_lose_no_insert(running: tuple[str, FastAPI]) -> None:
    """Eight clients at once, each inserting trips and reading the plan, passes and
    health: every answer is 2xx or 4xx; the inserts answered 200 are exactly the new
    shipments of the final plan (none lost, none extra), at versions 1..n; and the plan
    served at the end validates."""
    base, app = running
    start = app.state.service.state

    def client(c: int) -> list[tuple[str, int, str]]:
        out = []
        with httpx.Client(base_url=base, timeout=60) as http:
            for r in range(ROUNDS):
                k = c * ROUNDS + r
                sid = f"L{k:03d}"
                got = http.post("/insert", json={"shipment": _trip(sid, k), "now": 420})
                out.append(("insert", got.status_code, sid if got.status_code == 200 else ""))
                if got.status_code == 200:
                    assert got.json()["shipment"] == sid
                for path in ("/passes", "/health", "/plan" if r == 0 else f"/explain/{sid}"):
                    out.append((path, http.get(path).status_code, ""))
        return out

    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [a for got in pool.map(client, range(CLIENTS)) for a in got]
    took = time.perf_counter() - t0
    assert len(answers) == CLIENTS * ROUNDS * 4
    assert all(200 <= s < 500 for _, s, _ in answers), [a for a in answers if a[1] >= 500]
    landed = {sid for kind, s, sid in answers if kind == "insert" and s == 200}
    # A real load: several inserts land (8 of 40 on the demo plan of 2026-12-01; the rest
    # are refused for want of a free truck, and every refusal is a 409 checked above).
    assert len(landed) >= 5, answers
    health = httpx.get(f"{base}/health").json()
    assert health["version"] == len(landed)
    st = app.state.service.state
    plan = plan_from_text(httpx.get(f"{base}/plan").text, "GET /plan")
    new = {o.shipment for o in plan.shipments} - {o.shipment for o in start.plan.shipments}
    assert new == landed
    assert set(st.loaded.instance.shipments_by_id) - set(start.loaded.instance.shipments_by_id) == (
        landed
    )
    assert validate(st.loaded.instance, plan, st.loaded.base).ok
    assert all(p in plan.passes for p in start.plan.passes)
    assert took < 60


def test_serve_restarted_on_its_state_folder_loses_nothing(
    demo: LoadedInstance, demo_plan: Plan, tmp_path: Path
) -> None:
    """``relayroute serve --state-dir``: a trip inserted, the service stopped by SIGTERM
    and started again with the same command; the trip is still in the plan it serves."""
    plan = tmp_path / "plan.json"
    write_plan(demo_plan, plan)
    given = plan.read_bytes()
    state = tmp_path / "state"
    cmd = [
        *(sys.executable, "-m", "relayroute", "serve"),
        *(str(ROOT / "instances/yiwu-demo.json"), str(plan), "--state-dir", str(state)),
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def run(check: Any) -> Any:
        port = _free_port()
        proc = subprocess.Popen(
            [*cmd, "--port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_up(base)
            got = check(base)
            proc.send_signal(signal.SIGTERM)
            _out, err = proc.communicate(timeout=15)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 128 + signal.SIGTERM, err
        return got

    trip = _trip("P1", 0)
    first = run(lambda base: httpx.post(f"{base}/insert", json={"shipment": trip}, timeout=30))
    assert first.status_code == 200, first.text
    assert json.loads((state / "current.json").read_text())["version"] == 1
    assert plan.read_bytes() == given  # the plan given is not written to: the state is

    def after(base: str) -> tuple[Any, Any]:
        return httpx.get(f"{base}/health").json(), httpx.get(f"{base}/explain/P1").json()

    health, explained = run(after)
    assert health["version"] == 1 and health["shipments"] == len(demo.instance.shipments) + 1
    assert explained["planned"].startswith(f"truck {first.json()['truck']} delivers")

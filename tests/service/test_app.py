"""The pass service over HTTP: its answers, its limits, and a graceful shutdown."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi.testclient import TestClient

from relayroute.io.plan import plan_to_json, write_plan
from relayroute.model.passes import passes
from relayroute.service import MAX_BODY_BYTES, create_app

from ..conftest import ROOT

if TYPE_CHECKING:
    from pathlib import Path

    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Plan


@pytest.fixture(scope="module")
def client(demo: LoadedInstance, demo_plan: Plan) -> TestClient:
    return TestClient(create_app(demo, demo_plan))


def test_passes_and_plan_as_the_plan_states_them(client: TestClient, demo_plan: Plan) -> None:
    """``GET /passes`` lists the plan's passes by the time they become valid (one truck's
    or one zone's when asked), ``GET /plan`` is the plan file's text."""
    got = client.get("/passes")
    assert got.status_code == 200
    assert got.json() == [p.model_dump(mode="json") for p in passes(demo_plan)]
    truck = demo_plan.passes[0].truck
    mine = client.get("/passes", params={"truck": truck}).json()
    assert mine and {p["truck"] for p in mine} == {truck}
    assert client.get("/passes", params={"zone": "nowhere"}).json() == []
    assert client.get("/plan").text == plan_to_json(demo_plan)
    assert client.get("/health").json()["passes"] == len(demo_plan.passes)


def test_validate_names_the_broken_rule(client: TestClient, demo_plan: Plan) -> None:
    """``POST /validate`` accepts the plan as made and names what an edited plan breaks."""
    ok = client.post("/validate", content=plan_to_json(demo_plan))
    assert ok.status_code == 200 and ok.json() == {"valid": True, "violations": []}
    data = json.loads(plan_to_json(demo_plan))
    data["routes"][0]["stops"][1]["start"] -= 300  # before the truck could be there
    bad = client.post("/validate", content=json.dumps(data)).json()
    assert bad["valid"] is False and bad["violations"]


def test_bad_bodies_get_one_clear_answer(client: TestClient) -> None:
    """Invalid JSON and a plan that breaks the plan schema are 422 with the place; a body
    over the size limit is 413 before it is read."""
    r = client.post("/validate", content="{not json")
    assert r.status_code == 422 and r.json()["error"] == "body"
    r = client.post("/validate", content=json.dumps({"routes": True}))
    assert r.status_code == 422 and r.json()["error"].startswith("body $")
    r = client.post("/validate", content=b"{}", headers={"content-length": str(MAX_BODY_BYTES + 1)})
    assert r.status_code == 413


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_shutdown_lets_the_request_in_flight_finish(
    sig: signal.Signals, demo_plan: Plan, tmp_path: Path
) -> None:
    """A stop signal while a request is in flight: the request still gets its whole
    answer, new connections are refused, and ``relayroute serve`` exits 128 + the signal
    within 5 s."""
    plan = tmp_path / "plan.json"
    write_plan(demo_plan, plan)
    port = _free_port()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "relayroute", "serve"),
            *(str(ROOT / "instances/yiwu-demo.json"), str(plan), "--port", str(port)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the service did not come up")
        body = plan_to_json(demo_plan)
        answers: list[httpx.Response] = []
        refused: list[Exception] = []

        def post_some() -> None:
            # A few validations back to back: one is in flight when the signal comes, the
            # ones after it find the door shut.
            for _ in range(3):
                try:
                    answers.append(httpx.post(f"{base}/validate", content=body, timeout=30))
                except httpx.TransportError as exc:
                    refused.append(exc)
                    return

        worker = threading.Thread(target=post_some)
        worker.start()
        time.sleep(0.3)
        proc.send_signal(sig)
        t0 = time.perf_counter()
        _out, err = proc.communicate(timeout=15)
        took = time.perf_counter() - t0
        worker.join(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + sig, err
    assert f"stopped by {sig.name}" in err
    assert took < 5.0
    assert answers and all(a.status_code == 200 and a.json()["valid"] for a in answers)
    assert "Traceback" not in err
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/health", timeout=1)


def test_serve_refuses_a_bad_state_folder_in_one_line(
    small: LoadedInstance,
    small_plan: Plan,
    demo_plan: Plan,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``serve --state-dir`` on a file, or on the state folder of another day, exits 2
    with one line naming the folder, before it listens."""
    from relayroute.cli import main
    from relayroute.service.state import Store

    plan = tmp_path / "plan.json"
    write_plan(small_plan, plan)
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    args = ["serve", str(ROOT / "tests/data/small-straight.json"), str(plan), "--port", "0"]
    assert main([*args, "--state-dir", str(a_file)]) == 2
    # (rich wraps the line at the terminal's width)
    assert "is a file; give a folder" in " ".join(capsys.readouterr().err.split())
    other = tmp_path / "other"
    Store(other).save((ROOT / "instances/yiwu-demo.json").read_text(), plan_to_json(demo_plan), 1)
    assert main([*args, "--state-dir", str(other)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "holds the state of instance 'yiwu-demo'" in err and "Traceback" not in err

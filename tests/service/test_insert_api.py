"""``POST /insert`` and ``GET /explain``: new trips over HTTP, refusals, concurrency and
the state saved across a restart."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from relayroute.io.instance import read_instance
from relayroute.io.plan import plan_to_json, read_plan
from relayroute.service import create_app
from relayroute.service.app import PLAN_CONFLICTS
from relayroute.service.state import CURRENT, Store
from relayroute.solve.insert import insert
from relayroute.validate import validate

if TYPE_CHECKING:
    from pathlib import Path

    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Plan


def _trip(sid: str, **over: Any) -> dict[str, Any]:
    """A short trip from Jindong to Jinhua in the morning, as a pass counter would ask."""
    sh = {
        "id": sid,
        "origin": "jindong",
        "destination": "jinhua",
        "quantity": {"t": 2},
        "ready": 540,
        "due": 900,
    }
    return {**sh, **over}


@pytest.fixture
def client(demo: LoadedInstance, demo_plan: Plan) -> TestClient:
    return TestClient(create_app(demo, demo_plan))


def _served(client: TestClient) -> tuple[LoadedInstance, Plan]:
    """The instance and plan the service holds now."""
    st = client.app.state.service.state  # type: ignore[attr-defined]
    return st.loaded, st.plan


def test_insert_lands_validates_and_keeps_every_pass(client: TestClient, demo_plan: Plan) -> None:
    """An insertion answers the truck, ETA, delay and new passes; the plan served then
    holds the shipment, validates, and lists every earlier pass unchanged."""
    # Picked up in Dongyang, a permit zone: the trip needs a pass.
    trip = _trip("S900", origin="dongyang")
    r = client.post("/insert", json={"shipment": trip, "now": 480})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["passes"] and all(p["zone"] == "dongyang" for p in got["passes"])
    assert got["shipment"] == "S900" and got["version"] == 1
    assert got["eta"] >= 540 and got["eta_at"].endswith("+08:00")
    loaded, plan = _served(client)
    assert "S900" in loaded.instance.shipments_by_id
    assert any(o.shipment == "S900" and o.truck == got["truck"] for o in plan.shipments)
    assert validate(loaded.instance, plan, loaded.base).ok
    assert all(p in plan.passes for p in demo_plan.passes)
    assert [p["id"] for p in got["passes"]] == [
        p.id for p in plan.passes if p not in demo_plan.passes
    ]
    listed = client.get("/passes").json()
    assert len(listed) == len(plan.passes)
    assert client.get("/health").json()["version"] == 1
    explained = client.get("/explain/S900").json()
    assert explained["planned"].startswith(f"truck {got['truck']} delivers")


@pytest.mark.parametrize(
    ("trip", "status", "code"),
    [
        # No truck of the fleet has room for 999 t: nothing can serve it in this instance.
        (_trip("S901", quantity={"t": 999}), 422, "no_truck_capacity"),
        # Servable alone by 720, but every truck of the plan is busy until too late.
        (_trip("S902", ready=600, due=700, deadline=720), 409, "deadline"),
    ],
)
def test_refusal_names_the_reason_and_leaves_the_plan_as_it_was(
    client: TestClient, trip: dict[str, Any], status: int, code: str
) -> None:
    """A trip that cannot go in gets 409 (the plan's trucks are taken) or 422 (no way
    can serve it) with its reason and what blocks it; the plan served is byte-identical."""
    before = client.get("/plan").text
    r = client.post("/insert", json={"shipment": trip, "now": trip["ready"]})
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == "refused" and body["code"] == code and body["blocking"]
    assert (code in PLAN_CONFLICTS) == (status == 409)
    assert client.get("/plan").text == before
    assert client.get("/health").json()["version"] == 0


def test_a_second_insert_of_the_same_id_is_refused(client: TestClient) -> None:
    """The same shipment twice (a client retrying): the second is a 409 ``duplicate``."""
    assert client.post("/insert", json={"shipment": _trip("S903")}).status_code == 200
    again = client.post("/insert", json={"shipment": _trip("S903")})
    assert again.status_code == 409 and again.json()["code"] == "duplicate"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"shipment": _trip("S904", origin="nowhere")}, "body $.shipment.origin"),
        ({"shipment": _trip("S904", ready="nine")}, "body $.shipment.ready"),
        ({"shipment": _trip("S904"), "now": 99999999}, "body $.now"),
        ({"shipment": _trip("S904"), "extra": 1}, "body $.extra"),
        ({"shipment": _trip("S904"), "now": -5}, "body $.now"),
    ],
)
def test_bad_insert_bodies_name_the_json_path(
    client: TestClient, body: dict[str, Any], where: str
) -> None:
    """A bad shipment or ``now`` is one 422 naming its place in the request body."""
    r = client.post("/insert", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == where, r.json()


def test_invalid_json_and_unknown_shipments(client: TestClient) -> None:
    """Invalid JSON is a 422 ``body``; explaining an id the day has not is a 404."""
    r = client.post("/insert", content="{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"].startswith("body")
    assert client.get("/explain/nope").status_code == 404
    assert client.get("/explain/S001").json()["shipment"] == "S001"


def test_concurrent_inserts_all_land_as_one_at_a_time(
    demo: LoadedInstance, demo_plan: Plan
) -> None:
    """Inserts from eight threads at once: each is answered, none is lost (the plan holds
    every one answered 200, at versions 1..n), and the plan equals inserting the same
    trips one at a time in the order they were taken."""
    app = create_app(demo, demo_plan)
    trips = [_trip(f"C{k:02d}", ready=480 + 20 * k, due=1000) for k in range(8)]
    answers: dict[str, Any] = {}
    start = threading.Barrier(len(trips))

    def one(trip: dict[str, Any]) -> None:
        with TestClient(app) as c:
            start.wait()
            answers[trip["id"]] = c.post("/insert", json={"shipment": trip, "now": 400})

    threads = [threading.Thread(target=one, args=(t,)) for t in trips]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(answers) == len(trips)
    assert all(a.status_code in (200, 409) for a in answers.values())
    landed = sorted(
        (a.json()["version"], sid) for sid, a in answers.items() if a.status_code == 200
    )
    assert len(landed) >= 5  # most fit in the demo's fleet: the test is of real landings
    assert [v for v, _ in landed] == list(range(1, len(landed) + 1))
    st = app.state.service.state
    assert {o.shipment for o in st.plan.shipments} >= {sid for _, sid in landed}
    assert validate(st.loaded.instance, st.plan, st.loaded.base).ok
    # The same trips one at a time, in the order the lock took them.
    loaded, plan = demo, demo_plan
    by_id = {t["id"]: t for t in trips}
    for _, sid in landed:
        done = insert(loaded, plan, by_id[sid], now=400)
        assert done.ok
        loaded, plan = done.loaded, done.plan
    assert plan_to_json(plan) == plan_to_json(st.plan)


def test_a_restart_on_the_state_folder_loses_nothing(
    demo: LoadedInstance, demo_plan: Plan, tmp_path: Path
) -> None:
    """Each insertion is saved before its answer: a new service built from the files (the
    same instance and plan given, the same state folder) serves the inserted trips, and
    the saved pair reads back as a valid plan of the grown instance."""
    state = tmp_path / "state"
    first = TestClient(create_app(demo, demo_plan, state_dir=state))
    for k, ready in enumerate((500, 560)):
        r = first.post("/insert", json={"shipment": _trip(f"R{k}", ready=ready), "now": 480})
        assert r.status_code == 200, r.text
    pointer = json.loads((state / CURRENT).read_text())
    assert pointer["version"] == 2
    again = TestClient(create_app(demo, demo_plan, state_dir=state))
    assert again.get("/health").json()["version"] == 2
    assert again.get("/plan").text == first.get("/plan").text
    assert again.get("/explain/R1").json()["planned"].startswith("truck ")
    loaded = read_instance(state / pointer["instance"])
    plan = read_plan(state / pointer["plan"])
    assert {"R0", "R1"} <= set(loaded.instance.shipments_by_id)
    assert plan.instance.sha256 == loaded.sha256  # the plan names the file it is for
    assert validate(loaded.instance, plan, loaded.base).ok
    # Carries on from there: the next insertion is version 3; only two versions are kept.
    assert again.post("/insert", json={"shipment": _trip("R2"), "now": 480}).json()["version"] == 3
    assert sorted(p.name for p in state.glob("plan-*.json")) == [
        "plan-000002.json",
        "plan-000003.json",
    ]
    assert Store(state).load() is not None


def test_a_state_folder_of_another_day_is_refused(
    demo: LoadedInstance, demo_plan: Plan, small: LoadedInstance, small_plan: Plan, tmp_path: Path
) -> None:
    """A state folder holding another instance's plan is refused by name, not served."""
    from relayroute.errors import InputError

    state = tmp_path / "state"
    c = TestClient(create_app(demo, demo_plan, state_dir=state))
    assert c.post("/insert", json={"shipment": _trip("X1")}).status_code == 200
    with pytest.raises(InputError, match="holds the state of instance 'yiwu-demo'"):
        create_app(small, small_plan, state_dir=state)


def test_check_inserts_validates_before_taking(demo: LoadedInstance, demo_plan: Plan) -> None:
    """With ``check_inserts`` the new plan is validated first and, valid, taken."""
    c = TestClient(create_app(demo, demo_plan, check_inserts=True))
    assert c.post("/insert", json={"shipment": _trip("V1")}).status_code == 200
    loaded, plan = _served(c)
    assert validate(loaded.instance, plan, loaded.base).ok

"""The problem builder (itineraries/build.py) on the small straight-line instance:
itineraries, eligible vehicles, why a shipment cannot be served, and the delay lower
bound.

In the small instance only truck T1 holds a pass for the permit zone ``park`` (where
``park_factory`` lies), T3 carries 5 t where T1 and T2 carry 10 t, and the depot is the
closed city's relay station.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest

from relayroute.errors import InputError
from relayroute.io.instance import instance_from_data, read_instance
from relayroute.itineraries import Problem, build_problem, delay_lower_bound
from relayroute.itineraries.trips import Visit, earliest_schedule, plan_trip

from ..conftest import DATA, ROOT

BASE: dict[str, Any] = json.loads((DATA / "small-straight.json").read_text())


def _problem(data: dict[str, Any]) -> Problem:
    return build_problem(instance_from_data(data), DATA)


@pytest.fixture(scope="module")
def prob() -> Problem:
    return _problem(BASE)


def _data(**shipments: dict[str, Any]) -> dict[str, Any]:
    """The small instance with some shipments' fields changed (by id)."""
    data = copy.deepcopy(BASE)
    for s in data["shipments"]:
        s.update(shipments.get(s["id"], {}))
    return data


def _trucks(prob: Problem, sid: str) -> list[str]:
    return [prob.vehicles[v].truck for v in prob.eligible[sid]]


def test_problem_is_frozen(prob: Problem) -> None:
    """A built problem is not changed in place: a variant is a new problem."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        prob.eligible = {}  # type: ignore[misc]
    variant = dataclasses.replace(prob, eligible={})
    assert variant.eligible == {} and prob.eligible


def test_itineraries(prob: Problem) -> None:
    """Both ends outside closed zones: direct (a permit zone is not closed); an end in
    the closed city: relay in or out; both ends in it: inside."""
    assert prob.itinerary == {
        "S1": "direct",
        "S2": "direct",
        "S3": "relay_in",
        "S4": "direct",
        "S5": "direct",
    }
    data = copy.deepcopy(BASE)
    data["places"].append({"id": "city_works", "kind": "factory", "lon": 120.07, "lat": 29.37})
    s3 = next(s for s in data["shipments"] if s["id"] == "S3")
    data["shipments"] += [
        {**s3, "id": "OUT", "origin": "city_factory", "destination": "cust1"},
        {**s3, "id": "IN", "origin": "city_factory", "destination": "city_works"},
    ]
    more = _problem(data)
    assert more.itinerary["OUT"] == "relay_out"
    assert more.itinerary["IN"] == "inside"


def test_eligible_trucks_hold_the_permit_and_the_room(prob: Problem) -> None:
    """A shipment into or out of the permit zone goes only on the truck with its pass;
    one of 7 t not on the 5 t truck; the others on every truck."""
    assert _trucks(prob, "S2") == ["T1"]  # sup1 -> park_factory
    assert _trucks(prob, "S4") == ["T1"]  # park_factory -> cust2
    assert _trucks(prob, "S1") == ["T1", "T2", "T3"]
    assert _trucks(prob, "S3") == ["T1", "T2", "T3"]
    heavy = _problem(_data(S1={"quantity": {"t": 7}}))
    assert _trucks(heavy, "S1") == ["T1", "T2"]
    assert not prob.unserved


@pytest.mark.parametrize(
    ("change", "sid", "code"),
    [
        (_data(S1={"quantity": {"t": 11}}), "S1", "no_truck_capacity"),
        (_data(S4={"deadline": 650}), "S4", "deadline_unreachable"),
        (_data(S1={"ready": 1250, "due": 1300}), "S1", "no_access"),  # sup1 shuts at 1200
    ],
    ids=["capacity", "deadline", "hours"],
)
def test_unserved_reasons(change: dict[str, Any], sid: str, code: str) -> None:
    """A shipment no vehicle can serve is set aside with the reason, and only it."""
    prob = _problem(change)
    assert {s: r.code for s, r in prob.unserved.items()} == {sid: code}
    assert sid not in prob.eligible and sid not in prob.solo


def test_no_permit_reason() -> None:
    """Without a pass for the permit zone on any truck, its shipments are unserved for
    want of a permit, not of access."""
    data = copy.deepcopy(BASE)
    for t in data["trucks"]:
        t["permits"] = []
    prob = _problem(data)
    assert {s: r.code for s, r in prob.unserved.items()} == {
        "S2": "no_permit",
        "S4": "no_permit",
    }
    assert "park" in prob.unserved["S2"].detail


def test_needs_relay_station_reason() -> None:
    """Without a relay station the closed city's shipments cannot be served at all."""
    data = copy.deepcopy(BASE)
    data["relay_stations"] = []
    data["driver_pools"] = [p for p in data["driver_pools"] if p["kind"] != "loop"]
    prob = _problem(data)
    assert {s: r.code for s, r in prob.unserved.items()} == {"S3": "needs_relay_station"}
    assert "city_factory" in prob.unserved["S3"].detail


def test_relay_station_inside_a_closed_zone_is_refused() -> None:
    """A relay station must stand where outside drivers can reach it."""
    data = copy.deepcopy(BASE)
    data["relay_stations"][0]["place"] = "city_factory"
    with pytest.raises(InputError, match="inside closed-loop zone"):
        _problem(data)


def test_solo_is_the_earliest_delivery_alone(prob: Problem) -> None:
    """Alone, S1 is picked up when ready and driven straight to the customer; S3 is
    picked up at the depot, handed over there and driven in by a loop driver, with the
    checkpoint's inspection on the way."""
    out = prob.table("T1")
    s1 = prob.inst.shipments_by_id["S1"]
    drive = out.minutes[out.index["sup1"], out.index["cust1"]]
    assert prob.solo["S1"] == pytest.approx(
        s1.ready + s1.pickup_minutes + drive + s1.delivery_minutes
    )
    loop = prob.loop_tables["city"]
    s3 = prob.inst.shipments_by_id["S3"]
    station = prob.station("rs_west")
    inside = loop.minutes[loop.index[station.place], loop.index["city_factory"]]
    assert prob.solo["S3"] == pytest.approx(
        s3.ready + s3.pickup_minutes + station.handover_minutes + inside + s3.delivery_minutes
    )


def test_delay_lower_bound(prob: Problem) -> None:
    """Σ priority × delay of each shipment alone: nothing when all are on time alone;
    with S1 and S2 (priority 3) due earlier, their delays alone, S2's counted three
    times; an unserved shipment adds nothing."""
    assert delay_lower_bound(prob) == 0.0
    late = _problem(_data(S1={"due": 480}, S2={"due": 500}))
    expected = (prob.solo["S1"] - 480) + 3 * (prob.solo["S2"] - 500)
    assert late.solo == pytest.approx(prob.solo)
    assert delay_lower_bound(late) == pytest.approx(expected)
    assert expected > 100
    dropped = _problem(_data(S1={"due": 480}, S2={"due": 500, "quantity": {"t": 11}}))
    assert delay_lower_bound(dropped) == pytest.approx(prob.solo["S1"] - 480)


@pytest.mark.parametrize(("day", "choices"), [("yiwu-day.json", 1), ("yiwu-day-transload.json", 3)])
def test_eligible_is_every_vehicle_tried_alone(day: str, choices: int) -> None:
    """Classifying by class of equivalent vehicles, capacities compared as arrays and
    trials shared by alike shipments, gives what trying every vehicle one at a time
    gives: the vehicles with room whose trip alone delivers by the deadline, and the
    earliest of those deliveries."""
    loaded = read_instance(ROOT / "instances" / day)
    prob = build_problem(loaded.instance, loaded.base, station_choices=choices)
    ships = prob.inst.shipments_by_id
    checked = 0
    for sid in sorted(prob.eligible)[::7]:
        sh = ships[sid]
        visits = [Visit("pickup", sid), Visit("delivery", sid)]
        done: dict[int, float] = {}
        for v, veh in enumerate(prob.vehicles):
            truck = prob.inst.trucks_by_id[veh.truck]
            if any(truck.capacity.get(d, 0) + 1e-9 < q for d, q in sh.quantity.items()):
                continue
            trip = plan_trip(prob, veh, visits)
            times = None if trip is None else earliest_schedule(prob, veh.truck, trip)
            if times is not None:
                done[v] = times.delivered[sid]
        late = sh.deadline is not None
        assert prob.eligible[sid] == sorted(
            v for v, t in done.items() if not late or t <= sh.deadline + 1e-9
        )
        if sid not in prob.parent and [w.kind for w in prob.ways.get(sid, [])] == ["road"]:
            assert prob.solo[sid] == min(done.values())
            checked += 1
    assert checked > 10

"""Timing the routed trips (``relayroute.solve.timing``) on a tiny relay case.

Two trucks leave the depot at the same time, each with one shipment for the factory in
the closed city: each needs the relay station's bay for its handovers and a loop driver
for its excursion into the city. The routes are given, not searched, so each test sees
exactly what the dispatcher, the repair and CP-SAT make of them.
"""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

from relayroute.io.instance import LoadedInstance, instance_from_data
from relayroute.itineraries import Problem, build_problem
from relayroute.itineraries.trips import Visit
from relayroute.solve.objective import score
from relayroute.solve.routing import weights
from relayroute.solve.timing import Timed, improve, initial_trips, time_routes
from relayroute.solve.timing.dispatch import dispatch

from ..conftest import DATA, QUICK

SMALL: dict[str, Any] = json.loads((DATA / "small-straight.json").read_text())

# A (priority 1, due late) rides truck 0, B (priority 3, due soon) truck 1: first come,
# first served, the dispatcher takes A first.
ROUTES = {
    0: [Visit("pickup", "A"), Visit("delivery", "A")],
    1: [Visit("pickup", "B"), Visit("delivery", "B")],
}


def _problem(bays: int, loop_drivers: int, shift: tuple[float, float] = (360, 1320)) -> Problem:
    data = copy.deepcopy(SMALL)
    data["relay_stations"][0]["bays"] = bays
    for p in data["driver_pools"]:
        if p["kind"] == "loop":
            p.update(count=loop_drivers, shift=list(shift))
    data["shipments"] = [
        {"id": sid, "origin": "depot", "destination": "city_factory", "quantity": {"t": 2}}
        | {"ready": 420, "due": due, "priority": priority}
        for sid, due, priority in (("A", 600, 1), ("B", 480, 3))
    ]
    loaded = LoadedInstance(instance_from_data(data), DATA, "timing")
    return build_problem(loaded.instance, loaded.base)


def _dispatched(prob: Problem) -> list[Timed]:
    trips = initial_trips(prob, ROUTES)
    assert trips is not None
    timed, failed = dispatch(prob, trips)
    assert failed == {}
    return timed


def _handovers(timed: list[Timed]) -> list[tuple[float, float]]:
    return sorted(
        (tt.times.start[i], tt.times.start[i] + s.service)
        for tt in timed
        for i, s in enumerate(tt.trip.stops)
        if s.kind == "handover"
    )


def _excursions(timed: list[Timed]) -> list[tuple[float, float, str]]:
    return sorted(
        (tt.times.start[a], tt.times.start[b] + tt.trip.stops[b].service, tt.drivers[a])
        for tt in timed
        for a, b in tt.trip.excursions()
    )


def _overlap(spans: list[tuple[float, float]]) -> bool:
    return any(b[0] < a[1] - 1e-6 for a, b in itertools.pairwise(spans))


def _weighted_delay(prob: Problem, timed: list[Timed]) -> float:
    ships = prob.inst.shipments_by_id
    return sum(
        ships[s].priority * max(0.0, t - ships[s].due)
        for tt in timed
        for s, t in tt.times.delivered.items()
    )


def test_dispatcher_keeps_to_the_bays() -> None:
    """With one bay the second truck's handover waits for the first's to end; with two
    bays both trucks hand over at once."""
    one = _dispatched(_problem(bays=1, loop_drivers=2))
    spans = _handovers(one)
    assert len(spans) == 4 and not _overlap(spans)
    first_in = [tt.times.start[2] for tt in one]  # stop 2: the handover in
    assert abs(max(first_in) - min(first_in) - one[0].trip.stops[2].service) < 1e-6
    two = _dispatched(_problem(bays=2, loop_drivers=2))
    assert _overlap(_handovers(two))
    assert two[0].times.start[2] == two[1].times.start[2]


def test_dispatcher_keeps_to_the_loop_drivers() -> None:
    """With one loop driver the excursions follow each other, both his; with two they run
    at once, one each."""
    one = _excursions(_dispatched(_problem(bays=2, loop_drivers=1)))
    assert [d for _, _, d in one] == ["loop_city/1"] * 2
    assert not _overlap([(a, b) for a, b, _ in one])
    two = _excursions(_dispatched(_problem(bays=2, loop_drivers=2)))
    assert {d for _, _, d in two} == {"loop_city/1", "loop_city/2"}
    assert _overlap([(a, b) for a, b, _ in two])


def test_time_routes_drops_what_no_loop_driver_can_take() -> None:
    """The one loop driver's shift ends before a second excursion could: the repair
    drops the second shipment with the loop-driver reason and times the first."""
    prob = _problem(bays=2, loop_drivers=1, shift=(360, 640))
    timed, dropped = time_routes(prob, ROUTES)
    assert [tt.trip.vehicle.truck for tt in timed] == [prob.vehicles[0].truck]
    assert set(timed[0].times.delivered) == {"A"}
    assert list(dropped) == ["B"] and dropped["B"].code == "loop_drivers"


def test_cpsat_never_worse_than_the_dispatcher() -> None:
    """CP-SAT starts from the dispatcher's timing and lets the urgent shipment's truck in
    first: less weighted delay, no worse a plan objective, and still one excursion at a
    time for the one loop driver and one handover at a time in the one bay."""
    prob = _problem(bays=1, loop_drivers=1)
    w = weights(prob.inst, QUICK)
    timed = _dispatched(prob)
    out = improve(prob, timed, w, time_limit=10, deterministic_time=1.0)
    assert out.objective is not None and out.status in ("OPTIMAL", "FEASIBLE")
    assert _weighted_delay(prob, out.timed) < _weighted_delay(prob, timed) - 100
    assert score(prob, out.timed, w) <= score(prob, timed, w)
    assert not _overlap([(a, b) for a, b, _ in _excursions(out.timed)])
    assert not _overlap(_handovers(out.timed))
    # B's truck goes first now.
    assert out.timed[1].times.start[2] < out.timed[0].times.start[2]


def test_held_inspections_are_booked_before_any_other() -> None:
    """Inspections a re-plan's frozen work holds at a checkpoint with a throughput take
    their lane first: the dispatcher and CP-SAT put the new ones a lane's gap away."""
    import dataclasses

    from relayroute.solve.timing.dispatch import lane_gap

    base = _problem(bays=2, loop_drivers=2)
    cp = base.inst.checkpoints_by_id["cp_city_w"]
    inst = base.inst.model_copy(
        update={
            "checkpoints": [
                c.model_copy(update={"throughput_per_hour": 2}) if c.id == cp.id else c
                for c in base.inst.checkpoints
            ]
        }
    )
    free = dataclasses.replace(base, inst=inst)

    def inspections(timed: list[Timed]) -> list[float]:
        return [
            x
            for tt in timed
            for leg, xs in zip(tt.trip.legs, tt.times.inspect, strict=True)
            for c, x in zip(leg.route.crossings, xs, strict=True)
            if c.checkpoint == cp.id
        ]

    first = min(inspections(_dispatched(free)))
    held = dataclasses.replace(free, held_inspections={cp.id: [first]})
    gap = lane_gap(2)
    timed = _dispatched(held)
    assert all(abs(x - first) >= gap - 1e-6 for x in inspections(timed))
    w = weights(held.inst, QUICK)
    out = improve(held, timed, w, 5.0, deterministic_time=1.0)
    if out.objective is not None:
        assert all(abs(x - first) >= gap - 0.1 - 1e-6 for x in inspections(out.timed))


def test_a_re_plans_timing_drops_what_changes_truck_anyway() -> None:
    """One truck takes A and B from the depot, its driver's duty (200 min) too short for
    both: the repair drops the last, B; with a re-plan's stability prices saying the
    truck carries A only in the new plan, it drops A and keeps B on the truck it had."""
    from relayroute.solve.routing.model import Keep

    data = copy.deepcopy(SMALL)
    for p in data["driver_pools"]:
        if p["kind"] == "outside":
            p["max_duty"] = 200
    data["shipments"] = [
        {"id": sid, "origin": "depot", "destination": to, "quantity": {"t": 2}}
        | {"ready": 420, "due": 900}
        for sid, to in (("A", "cust1"), ("B", "cust2"))
    ]
    loaded = LoadedInstance(instance_from_data(data), DATA, "timing")
    prob = build_problem(loaded.instance, loaded.base)
    routes = {0: [Visit("pickup", "A"), Visit("pickup", "B")]}
    routes[0] += [Visit("delivery", "A"), Visit("delivery", "B")]
    timed, dropped = time_routes(prob, routes)
    assert {k: v.code for k, v in dropped.items()} == {"B": "truck_hours"}
    assert set(timed[0].times.delivered) == {"A"}
    newcomer = Keep(node_cost=lambda v, key: 60.0 if key == ("p", "A") else 0.0, times={})
    timed, dropped = time_routes(prob, routes, keep=newcomer)
    assert {k: v.code for k, v in dropped.items()} == {"A": "truck_hours"}
    assert set(timed[0].times.delivered) == {"B"}

"""Relay itineraries on small instances: swaps, consolidation, loop-driver scarcity."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING

import pytest

from relayroute.io.instance import LoadedInstance, instance_from_data
from relayroute.solve import read_config, solve
from relayroute.validate import validate

from ..conftest import DATA, QUICK, ROOT

if TYPE_CHECKING:
    from relayroute.model.plan import Plan

BASE = json.loads((DATA / "small-straight.json").read_text())


def _family(loop_drivers: int) -> LoadedInstance:
    """The small instance with eight shipments in and out of the closed city, one bay."""
    data = copy.deepcopy(BASE)
    data["places"].append(
        {"id": "city_works", "kind": "factory", "lon": 120.07, "lat": 29.37, "hours": [[360, 1320]]}
    )
    data["shipments"] = [
        {
            "id": f"R{k}",
            "origin": a,
            "destination": b,
            "quantity": {"t": 2},
            "ready": 420 + 30 * k,
            "due": 520 + 30 * k,
            "priority": 1 + k % 3,
        }
        for k, (a, b) in enumerate(
            [
                ("depot", "city_factory"),
                ("city_factory", "cust1"),
                ("sup1", "city_works"),
                ("city_works", "depot"),
                ("depot", "city_works"),
                ("city_factory", "sup1"),
                ("cust1", "city_factory"),
                ("city_works", "city_factory"),
            ]
        )
    ]
    for p in data["driver_pools"]:
        if p["kind"] == "loop":
            p["count"] = loop_drivers
            p["max_duty"] = 300
    data["relay_stations"][0]["bays"] = 1
    return LoadedInstance(instance_from_data(data), DATA, f"family-{loop_drivers}")


@pytest.fixture(scope="module")
def sweep() -> dict[int, Plan]:
    return {n: solve(_family(n), QUICK) for n in (3, 2, 1)}


def test_every_relay_shipment_goes_through_the_station(sweep: dict[int, Plan]) -> None:
    """With three loop drivers all eight shipments in, out of and inside the city are
    served by relay, and the plans validate."""
    plan = sweep[3]
    assert plan.kpis.served == 8
    kinds = {o.itinerary for o in plan.shipments}
    assert kinds <= {"relay_in", "relay_out", "inside"} and "inside" in kinds
    assert all(o.stations == ["rs_west"] for o in plan.shipments)
    for n, p in sweep.items():
        report = validate(_family(n).instance, p, DATA)
        assert report.ok, [str(v) for v in report.violations]


def test_loop_driver_duties_listed(sweep: dict[int, Plan]) -> None:
    """Each loop driver's duty starts and ends at its station and lists its excursions,
    and every excursion starts and ends with a listed handover."""
    plan = sweep[3]
    starts = {(h.truck, h.start) for h in plan.handovers if h.direction == "in"}
    ends = {(h.truck, h.end) for h in plan.handovers if h.direction == "out"}
    for duty in plan.loop_drivers:
        assert duty.station == "rs_west" and duty.excursions
        assert duty.start == duty.excursions[0].start and duty.end == duty.excursions[-1].end
        for ex in duty.excursions:
            assert (ex.truck, ex.start) in starts and (ex.truck, ex.end) in ends


def test_fewer_loop_drivers_never_better(sweep: dict[int, Plan]) -> None:
    """Taking loop drivers away never lowers the best objective (same seed and search)."""
    objective = [sweep[n].kpis.objective for n in (3, 2, 1)]
    assert objective == sorted(objective), objective
    assert sweep[1].kpis.loop_drivers_used <= 1


def test_greedy_dispatcher_plans_validate(demo: LoadedInstance) -> None:
    """The greedy baseline keeps every rule too, on the relay family and the demo day."""
    greedy = read_config(ROOT / "solvers" / "greedy.toml")
    for loaded in (_family(2), demo):
        plan = solve(loaded, greedy)
        assert plan.solver["engine"] == "greedy" and plan.kpis.served > 0
        report = validate(loaded.instance, plan, loaded.base)
        assert report.ok, [str(v) for v in report.violations]


def test_greedy_keeps_pool_sizes(small: LoadedInstance) -> None:
    """With one outside driver in the pool the dispatcher sends out one truck."""
    inst = small.instance.model_copy(
        update={
            "driver_pools": [
                p.model_copy(update={"count": 1}) if p.kind == "outside" else p
                for p in small.instance.driver_pools
            ]
        }
    )
    plan = solve(
        LoadedInstance(inst, small.base, small.sha256),
        read_config(ROOT / "solvers" / "greedy.toml"),
    )
    assert plan.kpis.trucks_used == 1
    assert validate(inst, plan, small.base).ok


def test_left_out_shipment_inserted_at_day_end() -> None:
    """A shipment a timing left out is added at the end of a truck's day when it fits,
    keeping the other trips as they were, and the plan validates."""
    import dataclasses

    from relayroute.itineraries.problem import Reason
    from relayroute.solve import build_problem
    from relayroute.solve.greedy import greedy, insert_dropped
    from relayroute.solve.routing import weights
    from relayroute.solve.to_plan import build_plan

    family = _family(3).instance
    pools = [p.model_copy(update={"max_duty": 600.0}) for p in family.driver_pools]
    loaded = LoadedInstance(family.model_copy(update={"driver_pools": pools}), DATA, "roomy")
    prob = build_problem(loaded.instance, loaded.base)
    left_out = "R7"
    without = {s: v for s, v in prob.eligible.items() if s != left_out}
    timed, _ = greedy(dataclasses.replace(prob, eligible=without))
    before = {s: t for tt in timed for s, t in tt.times.delivered.items()}
    timed, still = insert_dropped(prob, timed, {left_out: Reason("dropped", "test")})
    assert not still
    after = {s: t for tt in timed for s, t in tt.times.delivered.items()}
    assert left_out in after and all(after[s] == t for s, t in before.items())
    plan = build_plan(prob, timed, still, {}, weights(loaded.instance, QUICK), "x", 0.0, 0.0)
    report = validate(loaded.instance, plan, loaded.base)
    assert report.ok, [str(v) for v in report.violations]


def test_relay_through_two_closed_zones() -> None:
    """From a factory in one closed zone to a factory in another: out through the first
    zone's station, in through the second's, each stretch with its own loop driver."""
    data = copy.deepcopy(BASE)
    data["places"] += [
        {"id": "town_plant", "kind": "factory", "lon": 120.35, "lat": 29.45},
        {"id": "town_station", "kind": "station", "lon": 120.29, "lat": 29.45},
    ]
    data["zones"].append(
        {
            "id": "town",
            "policy": "closed_loop",
            "polygon": [
                [
                    [120.32, 29.42],
                    [120.38, 29.42],
                    [120.38, 29.48],
                    [120.32, 29.48],
                    [120.32, 29.42],
                ]
            ],
        }
    )
    data["checkpoints"].append({"id": "cp_town_w", "zone": "town", "lon": 120.32, "lat": 29.45})
    data["relay_stations"].append({"id": "rs_town", "zone": "town", "place": "town_station"})
    data["driver_pools"].append(
        {
            "id": "loop_town",
            "kind": "loop",
            "zone": "town",
            "station": "rs_town",
            "count": 1,
            "shift": [360, 1320],
        }
    )
    data["shipments"] = [
        {
            "id": "X",
            "origin": "city_factory",
            "destination": "town_plant",
            "quantity": {"t": 3},
            "ready": 450,
            "due": 700,
        }
    ]
    loaded = LoadedInstance(instance_from_data(data), DATA, "through")
    plan = solve(loaded, QUICK)
    assert plan.kpis.served == 1
    (out,) = plan.shipments
    assert out.itinerary == "relay_through" and out.stations == ["rs_west", "rs_town"]
    duties = {d.zone: d for d in plan.loop_drivers}
    assert set(duties) == {"city", "town"}
    assert len(plan.handovers) == 4
    report = validate(loaded.instance, plan, loaded.base)
    assert report.ok, [str(v) for v in report.violations]

"""The routing solver: served, unserved with reasons, permits, deadlines, determinism."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from relayroute.io.instance import LoadedInstance, instance_from_data
from relayroute.io.plan import plan_to_json
from relayroute.solve import SolverConfig, read_config, solve
from relayroute.validate import validate

from ..conftest import QUICK, ROOT

if TYPE_CHECKING:
    from relayroute.model.plan import Plan


def test_demo_relay_shipments_go_through_a_station(demo: LoadedInstance, demo_plan: Plan) -> None:
    """Every shipment to or from closed Yiwu is served through a relay station, driven
    inside by a loop driver; the plan validates."""
    inst = demo.instance
    closed = {"yiwu_futian", "yiwu_choujiang", "yiwu_beiyuan"}
    relay = {s.id for s in inst.shipments if {s.origin, s.destination} & closed}
    assert relay
    outcomes = {o.shipment: o for o in demo_plan.shipments}
    assert relay <= set(outcomes)
    assert all(outcomes[s].itinerary != "direct" and outcomes[s].stations for s in relay)
    stations = {st.id for st in inst.relay_stations}
    assert {h.station for h in demo_plan.handovers} <= stations
    loop_legs = [leg for r in demo_plan.routes for leg in r.legs if leg.driver_kind == "loop"]
    assert loop_legs and all(
        leg.driver in {d.driver for d in demo_plan.loop_drivers} for leg in loop_legs
    )
    assert validate(inst, demo_plan, demo.base).ok


def test_without_relay_stations_relay_shipments_unserved(
    small_no_relay: LoadedInstance, small_no_relay_plan: Plan
) -> None:
    """With the relay station removed, the shipment into the closed city is unserved
    'needs a relay station' and the others are still served."""
    inst = small_no_relay.instance
    unserved = {u.shipment: u for u in small_no_relay_plan.unserved}
    assert set(unserved) == {"S3"}
    assert unserved["S3"].reason == "needs_relay_station"
    assert "relay station" in unserved["S3"].detail
    assert small_no_relay_plan.kpis.served == len(inst.shipments) - 1
    assert not small_no_relay_plan.handovers and not small_no_relay_plan.loop_drivers


def test_permit_shipments_ride_permit_trucks(demo: LoadedInstance, demo_plan: Plan) -> None:
    """Shipments to or from the Dongyang permit zone go on trucks holding its permit (the
    truck of the part of its way that starts or ends there, when it changes trucks)."""
    inst = demo.instance
    permit_places = {"dongyang", "dongyang_dev"}
    seen = 0
    for o in demo_plan.shipments:
        for seg in o.segments:
            if {seg.origin, seg.destination} & permit_places:
                assert seg.truck is not None
                assert "dongyang" in inst.trucks_by_id[seg.truck].permits
                seen += 1
    assert seen >= 5


def test_lower_bound_below_delay(demo_plan: Plan, small_plan: Plan) -> None:
    """The delay lower bound never exceeds the plan's weighted delay."""
    for plan in (demo_plan, small_plan):
        assert plan.kpis.delay_lower_bound <= plan.kpis.weighted_delay + 1e-6


def test_deterministic_for_fixed_config(small: LoadedInstance) -> None:
    """Two runs with the same configuration and seed give the same plan (bar the
    wall-clock seconds: the solve time and where it went)."""

    def body(plan: Plan) -> dict:
        data = json.loads(plan_to_json(plan))
        data["kpis"].pop("solve_seconds")
        assert set(data["solver"].pop("phases")) >= {"build", "greedy", "routing"}
        speed = data["solver"].pop("speed")
        assert speed["first_solution"] is not None and speed["first_solution"] > 0
        return data

    assert body(solve(small, QUICK)) == body(solve(small, QUICK))


def test_hard_deadline_kept_or_unserved(small: LoadedInstance) -> None:
    """A deadline no truck can meet leaves the shipment unserved with that reason."""
    data = json.loads(
        (Path(__file__).resolve().parents[1] / "data" / "small-straight.json").read_text()
    )
    data["shipments"][0]["deadline"] = 430  # ready 420, the trip alone takes longer
    loaded = LoadedInstance(instance_from_data(data), small.base, "x")
    plan = solve(loaded, QUICK)
    reasons = {u.shipment: u.reason for u in plan.unserved}
    assert reasons["S1"] == "deadline_unreachable"
    assert validate(loaded.instance, plan, loaded.base).ok


def test_capacity_too_small_unserved(small: LoadedInstance) -> None:
    """A shipment bigger than every truck is unserved with reason no_truck_capacity."""
    data = json.loads(
        (Path(__file__).resolve().parents[1] / "data" / "small-straight.json").read_text()
    )
    data["shipments"][0]["quantity"] = {"t": 50}
    loaded = LoadedInstance(instance_from_data(data), small.base, "x")
    plan = solve(loaded, QUICK)
    assert {u.shipment: u.reason for u in plan.unserved}["S1"] == "no_truck_capacity"


def test_pool_count_limits_trucks(small: LoadedInstance) -> None:
    """An outside pool of one driver puts at most one truck on the road."""
    data = json.loads(
        (Path(__file__).resolve().parents[1] / "data" / "small-straight.json").read_text()
    )
    data["driver_pools"][0]["count"] = 1
    data["shipments"][1]["due"] = 500  # pressure to use a second truck
    loaded = LoadedInstance(instance_from_data(data), small.base, "x")
    plan = solve(loaded, QUICK)
    assert plan.kpis.trucks_used <= 1
    assert validate(loaded.instance, plan, loaded.base).ok


def test_configurations_in_solvers_folder_load() -> None:
    """Every TOML in solvers/ is a valid configuration; default.toml equals the built-in default."""
    configs = {p.stem: read_config(p) for p in (ROOT / "solvers").glob("*.toml")}
    assert {"default", "fast"} <= set(configs)
    assert configs["default"] == SolverConfig()


def test_objective_override(small: LoadedInstance) -> None:
    """A configuration's objective weights override the instance's, key by key."""
    plan = solve(small, QUICK.model_copy(update={"objective": {"truck": 500.0}}))
    assert plan.kpis.trucks_used == 1


def test_demo_without_relay_stations(demo: LoadedInstance) -> None:
    """On the Yiwu roads, with the relay stations gone, every shipment to or from closed
    Yiwu is unserved 'needs_relay_station' and the plan still validates."""
    inst = demo.instance.model_copy(
        update={
            "relay_stations": [],
            "driver_pools": [p for p in demo.instance.driver_pools if p.kind != "loop"],
        }
    )
    loaded = LoadedInstance(inst, demo.base, demo.sha256)
    plan = solve(loaded, QUICK)
    closed = {"yiwu_futian", "yiwu_choujiang", "yiwu_beiyuan"}
    relay = {s.id for s in inst.shipments if {s.origin, s.destination} & closed}
    reasons = {u.shipment: u.reason for u in plan.unserved}
    assert {s for s, r in reasons.items() if r == "needs_relay_station"} == relay
    assert not plan.handovers
    assert validate(inst, plan, demo.base).ok


def test_statistics_written_in_the_order_the_run_met_them() -> None:
    """The plan's solver block: the configuration, then the run's statistics typed in
    ``Statistics``, CP-SAT's status where the run first called it (plans stay the same,
    key for key, as before statistics had a type)."""
    from relayroute.solve import Statistics
    from relayroute.solve.switch import SwitchStats

    config = SolverConfig()
    greedy = Statistics(status="dispatched")
    block = greedy.solver_block(config, None)
    assert list(block)[-1] == "status" and list(block)[:-1] == list(config.model_dump())
    assert greedy.solver_block(config, 5.0)["time_limit"] == 5.0

    def tail(stats: Statistics) -> list[str]:
        return list(stats.solver_block(config, None))[len(config.model_dump()) :]

    routed = Statistics(status="success", solutions=500)
    routed.scheduled("FEASIBLE")  # while routing: a round's dropped work re-timed
    routed.rounds = 2
    routed.switch = SwitchStats(tried=3, kept=1, switched=1, seconds=4.2)
    assert tail(routed) == ["status", "solutions", "schedule_status", "rounds", "switch"]
    late = Statistics(status="success", solutions=500, rounds=1)
    late.switch = SwitchStats()
    late.scheduled("UNKNOWN")
    late.scheduled("OPTIMAL")  # the last status is kept, in the first place
    block = late.solver_block(config, None)
    assert tail(late) == ["status", "solutions", "rounds", "switch", "schedule_status"]
    assert block["schedule_status"] == "OPTIMAL"
    assert block["switch"] == {"tried": 0, "kept": 0, "switched": 0, "seconds": 0.0}

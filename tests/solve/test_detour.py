"""Trucks go round a checkpoint shut for hours by another open one (issue 15, item 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from relayroute.io.instance import LoadedInstance, instance_from_data
from relayroute.itineraries.build import build_problem
from relayroute.network import Profile
from relayroute.solve import SolverConfig, solve
from relayroute.solve.routing import build
from relayroute.validate import validate

from ..conftest import QUICK

if TYPE_CHECKING:
    from relayroute.model.plan import Plan

DATA = Path(__file__).resolve().parents[1] / "data" / "small-straight.json"


def _crossings(plan: Plan, zone: str) -> list[tuple[str, float, float]]:
    """(checkpoint, arrival, departure) of every crossing of ``zone``'s boundary."""
    return [
        (c.checkpoint, c.arrive, c.depart)
        for route in plan.routes
        for leg in route.legs
        for c in leg.crossings
        if c.zone == zone
    ]


def _shut(small: LoadedInstance, plan: Plan) -> tuple[LoadedInstance, str, float]:
    """The small day with the park checkpoint the plan first crosses shut for four
    hours from just before that crossing; the checkpoint and the shut window's end."""
    cp, arrive, _ = min(_crossings(plan, "park"), key=lambda c: c[1])
    data = json.loads(DATA.read_text())
    reopen = arrive + 240
    for c in data["checkpoints"]:
        if c["id"] == cp:
            c["hours"] = [[0, max(1.0, arrive - 30)], [reopen, 1440]]
    return LoadedInstance(instance_from_data(data), small.base, "shut"), cp, reopen


def test_a_truck_goes_round_a_shut_checkpoint(small: LoadedInstance, small_plan: Plan) -> None:
    """With the park's first-used gate shut for four hours, the optimiser's plan crosses
    at the other gate without waiting for the reopening, and validates."""
    shut, cp, reopen = _shut(small, small_plan)
    plan = solve(shut, QUICK)
    assert validate(shut.instance, plan, shut.base).ok
    crossings = _crossings(plan, "park")
    assert crossings and all(name != cp or arrive >= reopen - 240 for name, arrive, _ in crossings)
    delays = {c.id: c.delay for c in shut.instance.checkpoints}
    # Nobody waits out the closure: every crossing takes about its inspection delay.
    assert max(dep - arr - delays[name] for name, arr, dep in crossings) < 60
    assert any(name != cp for name, _, _ in crossings)


def test_the_dispatcher_waits_where_the_optimiser_goes_round(
    small: LoadedInstance, small_plan: Plan
) -> None:
    """The greedy dispatcher (the baseline, as it was) keeps its fastest roads and waits
    at the shut gate; the optimiser's timing does not, so its plan is no later."""
    shut, _, _ = _shut(small, small_plan)
    greedy = solve(shut, SolverConfig(name="greedy", engine="greedy"))
    assert validate(shut.instance, greedy, shut.base).ok
    waits = [dep - arr for _, arr, dep in _crossings(greedy, "park")]
    assert max(waits) > 60
    plan = solve(shut, QUICK)
    assert plan.kpis.objective <= greedy.kpis.objective + 1e-6


def test_the_routing_model_sees_a_gate_shut_when_its_leg_sets_out(small: LoadedInstance) -> None:
    """With the park's south gate shut 10:00-15:00, the routing model's leg from S4's
    pickup in the park (ready 10:00) to its customer takes the way round by the west
    gate (``gate_hours``); with it off, the fastest road as if the gate were open."""
    data = json.loads(DATA.read_text())
    for c in data["checkpoints"]:
        if c["id"] == "cp_park_s":
            c["hours"] = [[0, 600], [900, 1440]]
    inst = instance_from_data(data)
    prob = build_problem(inst, small.base)
    table = prob.tables[Profile("outside", frozenset({"park"}))]
    fast = table.route("park_factory", "cust2")
    other = table.avoiding("park_factory", "cust2", frozenset({"cp_park_s"}))
    assert [c.checkpoint for c in fast.crossings] == ["cp_park_s"] and other is not None
    v = next(k for k, veh in enumerate(prob.vehicles) if veh.truck == "T1")

    def leg(config: SolverConfig) -> int:
        model = build(prob, config)
        nodes = model.nodes
        a, b = model.index(nodes.pick["S4"]), model.index(nodes.drop["S4"])
        return int(model.time.GetTransitValue(a, b, v))

    with_hours = leg(SolverConfig(gate_hours=True))
    without = leg(SolverConfig(gate_hours=False))
    assert with_hours - without == pytest.approx(other.minutes - fast.minutes, abs=1.0)


def test_the_lower_bound_goes_round_a_shut_gate(small: LoadedInstance) -> None:
    """S4 (ready 10:00 in the park, deadline 15:00) with the south gate shut 10:00-15:00:
    its fastest road waits for the reopening and misses the deadline, the way round by
    the west gate does not, so it is servable and its lower bound is that way's."""
    data = json.loads(DATA.read_text())
    for c in data["checkpoints"]:
        if c["id"] == "cp_park_s":
            c["hours"] = [[0, 600], [900, 1440]]
    prob = build_problem(instance_from_data(data), small.base)
    assert "S4" not in prob.unserved
    sh = prob.inst.shipments_by_id["S4"]
    other = prob.tables[Profile("outside", frozenset({"park"}))].avoiding(
        "park_factory", "cust2", frozenset({"cp_park_s"})
    )
    assert other is not None
    # Picked up at its ready time at the earliest, then driven round.
    least = sh.ready + sh.pickup_minutes + other.minutes + sh.delivery_minutes
    assert least - 1e-6 <= prob.solo["S4"] < sh.deadline

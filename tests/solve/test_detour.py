"""Trucks go round a checkpoint shut for hours by another open one (issue 15, item 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from relayroute.io.instance import LoadedInstance, instance_from_data
from relayroute.solve import SolverConfig, solve
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

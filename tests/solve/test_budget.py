"""The time limit bounds the whole run: steps cut short say so, and the plan still holds."""

from __future__ import annotations

import time
from pathlib import Path

from relayroute.bench.generate import generate
from relayroute.io.instance import LoadedInstance, instance_from_data
from relayroute.itineraries import build_problem
from relayroute.solve import SolverConfig, solve
from relayroute.solve.budget import Budget
from relayroute.solve.greedy import greedy
from relayroute.validate import validate


def _day(shipments: int) -> LoadedInstance:
    data = generate("liling", shipments, seed=3)
    return LoadedInstance(instance_from_data(data), Path("."), "generated")


def test_budget_shares() -> None:
    """The deadline of a share is the start plus that share of the limit; the reserve
    is 8% of it."""
    b = Budget(start=100.0, limit=50.0)
    assert b.deadline() == 150.0 and b.deadline(0.5) == 125.0
    assert b.reserve() == 4.0


def test_dispatcher_past_its_deadline_leaves_the_rest_out_of_time() -> None:
    """A dispatcher whose deadline has passed places nothing and names each shipment
    ``out_of_time``; with no deadline it serves them."""
    loaded = _day(40)
    prob = build_problem(loaded.instance)
    trips, dropped = greedy(prob, deadline=time.perf_counter() - 1.0)
    assert not trips and set(dropped) == set(prob.ways)
    assert {r.code for r in dropped.values()} == {"out_of_time"}
    trips, dropped = greedy(prob)
    assert trips and "out_of_time" not in {r.code for r in dropped.values()}


def test_building_past_its_deadline_classifies_nothing() -> None:
    """Classifying stops at its deadline: the shipments not looked at are unserved as
    ``out_of_time``, not as a fault of theirs."""
    loaded = _day(30)
    prob = build_problem(loaded.instance, deadline=time.perf_counter() - 1.0)
    assert {r.code for r in prob.unserved.values()} == {"out_of_time"}
    assert len(prob.unserved) == len(loaded.instance.shipments)


def test_a_run_whose_limit_is_spent_still_gives_a_valid_plan() -> None:
    """A run started long before its limit ran out (the clock started by the caller)
    still returns a plan the validator accepts, every shipment accounted for, the cut
    ones as ``out_of_time``; the phases say where the time went."""
    loaded = _day(30)
    plan = solve(loaded, SolverConfig(), time_limit=5.0, started=time.perf_counter() - 10.0)
    assert validate(loaded.instance, plan, loaded.base).ok
    reasons = {u.reason for u in plan.unserved}
    assert plan.kpis.served + plan.kpis.unserved == len(loaded.instance.shipments)
    assert reasons == {"out_of_time"}
    assert {"build", "greedy"} <= set(plan.solver["phases"])


def test_a_stop_during_the_dispatcher_leaves_the_rest_interrupted() -> None:
    """Once a stop is asked for, the dispatcher and the classifying place nothing more and
    name the rest ``interrupted``: a signal during those steps is answered at once."""
    from relayroute.solve.stop import request_stop, reset

    loaded = _day(30)
    prob = build_problem(loaded.instance)
    request_stop()
    try:
        trips, dropped = greedy(prob)
        stopped = build_problem(loaded.instance, stop=lambda: True)
    finally:
        reset()
    assert not trips and {r.code for r in dropped.values()} == {"interrupted"}
    assert {r.code for r in stopped.unserved.values()} == {"interrupted"}

"""The large-neighbourhood search (``relayroute.solve.lns``) and the recreate phase of
the routing search it and warm starts rely on."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

import pytest

from relayroute.itineraries import build_problem
from relayroute.solve import SolverConfig, solve
from relayroute.solve.greedy import greedy
from relayroute.solve.lns import NEIGHBOURHOODS, choose, fares_of, size_of
from relayroute.solve.objective import score
from relayroute.solve.routing import routes_of, solve_routing, weights
from relayroute.solve.switch import without
from relayroute.validate import validate

from ..conftest import ROOT

if TYPE_CHECKING:
    from relayroute.io.instance import LoadedInstance

QUICK_LNS = SolverConfig(
    name="quick-lns",
    solution_limit=60,
    time_limit=30,
    schedule_deterministic_time=1,
    lns_share=0.3,
    lns_trial_time=1.0,
)


def _served(result: object) -> set[str]:
    seqs = result.sequences  # type: ignore[attr-defined]
    return {x.shipment for seq in seqs.values() for x in seq if x.kind == "delivery"}


def test_recreate_puts_back_what_was_taken_out(demo: LoadedInstance) -> None:
    """From the dispatcher's routes with five shipments taken out, the recreate phase
    (insertion operators alone) puts every one of them back in."""
    prob = build_problem(demo.instance, demo.base)
    trips, _ = greedy(prob)
    routes = routes_of(prob, trips)
    carried = sorted({k[1] for ks in routes.values() for k in ks if k[0] == "d"})
    gone = random.Random(3).sample(carried, 5)
    cfg = SolverConfig(time_limit=20)
    result = solve_routing(
        prob, cfg, time_limit=20, initial=without(routes, gone), phase="recreate"
    )
    assert set(gone) <= _served(result)
    assert result.status in ("success", "optimal")  # a descent: it ends at its optimum


@pytest.mark.parametrize("kind", NEIGHBOURHOODS)
def test_neighbourhoods_take_out_servable_shipments(demo: LoadedInstance, kind: str) -> None:
    """Every neighbourhood picks servable shipments of the day only, at most as many as
    asked, and the same ones for the same seed."""
    prob = build_problem(demo.instance, demo.base)
    trips, _ = greedy(prob)
    routes = routes_of(prob, trips)
    ships = prob.inst.shipments_by_id
    done = {s: t for tt in trips for s, t in tt.times.delivered.items()}
    late = {
        s: ships[s].priority * max(0.0, done[s] - ships[s].due) + 1.0 if s in done else 1e9
        for s in prob.ways
    }
    fares = fares_of(prob, routes, late)
    picks = [choose(kind, prob, fares, 6, random.Random(7)) for _ in range(2)]  # type: ignore[arg-type]
    assert picks[0] == picks[1]
    assert len(picks[0]) <= 6
    assert set(picks[0]) <= set(prob.ways)
    if kind not in ("station", "train"):  # the demo has no trains; stations: maybe none
        assert picks[0]


def test_size_grows_with_the_day() -> None:
    """A trial takes out at least 2 and at most 40 shipments, more on larger days."""
    rng = random.Random(0)
    small = [size_of(27, rng) for _ in range(50)]
    large = [size_of(2000, rng) for _ in range(50)]
    assert min(small) >= 2 and max(small) <= 3
    assert min(large) >= 13 and max(large) <= 40
    assert sum(large) / len(large) > 3 * sum(small) / len(small)


def test_solve_with_lns_validates_and_reports(demo: LoadedInstance) -> None:
    """With a share of the time for the search, the plan validates, its solver block says
    what the search did, and it is no worse than the dispatcher's plan."""
    plan = solve(demo, QUICK_LNS)
    assert validate(demo.instance, plan, demo.base).ok
    lns = plan.solver["lns"]
    assert lns["tried"] >= 1
    assert 0 <= lns["kept"] <= lns["tried"]
    assert sum(t for t, _ in lns["by_neighbourhood"].values()) == lns["tried"]
    assert "lns" in plan.solver["phases"]
    prob = build_problem(demo.instance, demo.base)
    trips, _ = greedy(prob)
    w = weights(demo.instance, QUICK_LNS)
    assert plan.kpis.objective <= score(prob, trips, w) + 1e-6


def test_half_taken_ways_are_found() -> None:
    """A rail way begun (its first leg trucked to the station) but with no ride is half
    taken; a way with both legs and its ride is whole; a road shipment is neither."""
    from relayroute.io.instance import read_instance
    from relayroute.itineraries.trips import Visit
    from relayroute.solve.pipeline import half_taken
    from relayroute.solve.routing import RoutingResult

    fq = read_instance(ROOT / "instances" / "fuquan-kaili.json")
    prob = build_problem(fq.instance, fq.base)
    gd4 = next(w for w in prob.ways["GD4"] if w.departure == 1080.0)
    gd1 = next(w for w in prob.ways["GD1"] if w.departure == 1080.0)
    seq = [Visit("pickup", gd4.parts[0]), Visit("delivery", gd4.parts[0])]
    seq += [Visit(k, leg) for leg in gd1.parts for k in ("pickup", "delivery")]  # type: ignore[arg-type]
    seq += [Visit("pickup", "ROCK1"), Visit("delivery", "ROCK1")]
    result = RoutingResult(
        {0: seq}, {0: 0.0}, None, 0.0, 0, "test", bookings={("kaili-guangzhou", 1080.0): ["GD1"]}
    )
    assert half_taken(prob, result) == {"GD4": [gd4]}
    booked = RoutingResult({0: seq}, {0: 0.0}, None, 0.0, 0, "test", bookings={})
    assert set(half_taken(prob, booked)) == {"GD1", "GD4"}  # GD1 rides no train

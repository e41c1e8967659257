"""The way switch (road to transload) and warm starts of the routing search (issue 4).

On the line network of ``test_rail``: the west truck's day is too short to take the goods
all the way, the east truck can, but only after driving to the plant first; through the
hub, where goods may change trucks, the shipment arrives 170 minutes sooner.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

from relayroute.solve import Problem, build_problem
from relayroute.solve.routing import RoutingResult, solve_routing
from relayroute.solve.switch import Incumbent, groups, switch_ways, with_transload, without

from ..conftest import QUICK
from ..solve.test_rail import TRANSLOAD, _load, _solved

if TYPE_CHECKING:
    from pathlib import Path

SOONER: dict[str, Any] = copy.deepcopy(TRANSLOAD)
SOONER["trucks"][0]["available"] = [360, 660]  # west: a short morning
SOONER["trucks"][1]["available"] = [360, 1320]  # east: the whole day
SOONER["shipments"][0].update(ready=360, due=720)


def test_transload_tried_only_where_sooner_alone(tmp_path: Path) -> None:
    """The road way stays the routing model's; the transload way is kept aside for the
    switch only where alone it delivers sooner than the road."""
    loaded = _load(tmp_path, SOONER, set())
    prob = build_problem(loaded.instance, loaded.base)
    assert [w.kind for w in prob.ways["S1"]] == ["road"]
    assert [w.kind for w in prob.spare["S1"]] == ["transload"]
    # alone: road 810 (east truck fetches it), transload 640
    assert prob.solo["S1"] < 720
    full_day = copy.deepcopy(TRANSLOAD)
    for t in full_day["trucks"]:
        t["available"] = [360, 1320]
    loaded = _load(tmp_path / "full", full_day, set())
    assert build_problem(loaded.instance, loaded.base).spare == {}


def test_switch_sends_the_shipment_through_the_hub(tmp_path: Path) -> None:
    """The plan takes the transload way (west truck to the hub, east truck on), on time,
    and the validator accepts it."""
    plan = _solved(_load(tmp_path, SOONER, set()))
    (out,) = plan.shipments
    assert out.itinerary == "transload"
    assert [seg.truck for seg in out.segments] == ["TW", "TE"]
    assert out.delay == 0
    assert plan.solver["switch"]["switched"] == 1
    (t,) = plan.transloads
    assert (t.station, t.from_truck, t.to_truck) == ("HUB", "TW", "TE")


def test_without_the_switch_the_road_is_late(tmp_path: Path) -> None:
    """Switch off, or putting the group back by road (the control): the east truck
    fetches the goods and they arrive late."""
    loaded = _load(tmp_path, SOONER, set())
    for config in (
        QUICK.model_copy(update={"switch_share": 0.0}),
        QUICK.model_copy(update={"switch_to": "road"}),
    ):
        plan = _solved(loaded, config)
        (out,) = plan.shipments
        assert out.itinerary == "direct"
        assert [seg.truck for seg in out.segments] == ["TE"]
        assert out.delay > 60
        assert plan.transloads == []


def test_warm_start_keeps_the_routes(tmp_path: Path) -> None:
    """Started from its own routes, the search stops at its first solution no worse; the
    routes of a group left out are gone from the start."""
    loaded = _load(tmp_path, SOONER, set())
    prob = build_problem(loaded.instance, loaded.base)
    first = solve_routing(prob, QUICK)
    assert first.routes and first.objective is not None
    again = solve_routing(
        prob, QUICK.model_copy(update={"solution_limit": 1}), initial=first.routes
    )
    assert again.objective is not None and again.objective <= first.objective + 1e-6
    assert again.routes == first.routes
    assert all(k[1] != "S1" for ks in without(first.routes, ["S1"]).values() for k in ks)
    switched = with_transload(prob, ["S1"])
    assert [w.kind for w in switched.ways["S1"]] == ["transload"] and not switched.spare
    moved = solve_routing(switched, QUICK, initial=without(first.routes, ["S1"]))
    assert set(moved.transload_starts) == {switched.ways["S1"][0].parts[0]}


def test_groups_worst_first(tmp_path: Path) -> None:
    """Groups are tried worst first, and only those with a shipment unserved or an hour
    late."""
    data = copy.deepcopy(SOONER)
    data["shipments"].append({**data["shipments"][0], "id": "S2", "ready": 380})
    loaded = _load(tmp_path, data, set())
    prob = build_problem(loaded.instance, loaded.base)
    assert set(prob.spare) == {"S1", "S2"}
    order = groups(prob, {"S1": 5.0, "S2": math.inf}, size=3)
    assert order == [["S1", "S2"], ["S2"]]
    assert groups(prob, {"S1": 5.0, "S2": 7.0}, size=3) == []
    assert groups(prob, {"S1": 75.0, "S2": 7.0}, size=3) == [["S1", "S2"], ["S1"]]


def test_half_way_goes_back_to_the_road(tmp_path: Path) -> None:
    """A kept group whose shipment the plan does not carry whole (only one truck leg
    routed) gives that shipment its road way back, to be tried again."""
    loaded = _load(tmp_path, SOONER, set())
    prob = build_problem(loaded.instance, loaded.base)
    first = solve_routing(prob, QUICK)
    start = Incumbent(100.0, prob, first)
    scores = iter([50.0, 60.0])

    def route(p: Problem, initial: dict, seconds: float) -> RoutingResult:
        assert [w.kind for w in p.ways["S1"]] == ["transload"]
        return first  # any routes: the score below decides

    def evaluate(p: Problem, r: RoutingResult) -> tuple[float, object]:
        return next(scores), None

    best, stats = switch_ways(
        start, route, evaluate, lambda inc: {"S1": math.inf}, seconds=60, trial_seconds=0
    )
    assert best.score == 50.0 and stats.kept == 1 and stats.switched == 0
    assert [w.kind for w in best.prob.ways["S1"]] == ["road"]
    assert "S1" in best.prob.spare
    assert stats.tried == 1  # the same group is not tried twice

"""Way switch: a large-neighbourhood search around the routing model that trades the
road way of a few shipments for a transload way.

OR-Tools' local search moves visits between routes; it has no move that takes a
shipment off its truck and puts its goods on two trucks with a handoff between them.
So transload ways offered beside the road are never taken (measured: BENCHMARKS.md,
issue 4), and the problem keeps them aside (``Problem.spare``). The switch tries them a
group at a time: the group's road visits are taken out of the best routes so far, the
group may only go by transload, the routing search starts from the rest of the routes
and puts the group back in, the result is timed, and it is kept only where the plan's
score improves. Groups are shipments whose goods could reach the same transload
station close in time, so one truck on from there can take several of them on one
loop-driver excursion.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    from relayroute.itineraries.problem import Problem
    from relayroute.itineraries.ways import Way
    from relayroute.solve.routing import NodeKey, RouteKey, RoutingResult

# A candidate group: shipments whose goods could be at the station within this many
# minutes of the group's first.
GROUP_WINDOW = 90.0


# What the caller's evaluation returns beside the score (the pipeline: its timing).
E = TypeVar("E")


@dataclass
class Incumbent(Generic[E]):
    """The best plan so far: its score, the problem it was routed on and its routes."""

    score: float
    prob: Problem
    result: RoutingResult
    extra: E | None = None  # what the evaluation returned beside the score


@dataclass
class SwitchStats:
    """What the switch did: groups ``tried`` and ``kept``, shipments ``switched``, and the
    ``seconds`` it took (rounded to a tenth)."""

    tried: int = 0
    kept: int = 0
    switched: int = 0
    seconds: float = 0.0


def groups(
    prob: Problem, on_road: dict[str, float], size: int, late: float = 60.0
) -> list[list[str]]:
    """Groups of shipments to try on transload, at most ``size`` each, in trying order.

    Per transload station, the shipments the incumbent carries by road (or not at all)
    whose sooner way goes through it, ordered by when their goods could be there; each group
    starts at one of them and takes the next ones within ``GROUP_WINDOW`` minutes, and
    each shipment is also tried alone. Only groups with a shipment the incumbent leaves
    unserved or delivers at least ``late`` priority-weighted minutes late (``on_road``:
    shipment -> how late, ``math.inf`` unserved) are tried, the worst first.
    """
    ships = prob.inst.shipments_by_id
    at: dict[str, list[tuple[float, str]]] = {}
    for sid in sorted(prob.spare):
        if sid not in on_road:
            continue
        w = _spare_way(prob, sid)
        at.setdefault(str(w.station), []).append((ships[w.parts[1]].ready, sid))
    out: list[list[str]] = []
    for station in sorted(at):
        timeline = sorted(at[station])
        for i, (t0, _) in enumerate(timeline):
            group = [s for t, s in timeline[i:] if t <= t0 + GROUP_WINDOW][:size]
            if len(group) > 1 and group not in out:
                out.append(group)
    out += [[sid] for sid in sorted({s for ss in at.values() for _, s in ss})]
    # Only groups with a shipment unserved or badly late: groups of shipments the road
    # serves a little late were never kept (10 tried on two Yiwu days), and the search
    # time they took cost the plan.
    out = [g for g in out if any(on_road[s] >= late for s in g)]
    return sorted(out, key=lambda g: -sum(on_road[s] for s in g))


def _spare_way(prob: Problem, sid: str) -> Way:
    # Several transload stations: the one the goods reach first.
    ships = prob.inst.shipments_by_id
    return min(prob.spare[sid], key=lambda w: (ships[w.parts[1]].ready, str(w.station)))


def with_transload(prob: Problem, group: list[str], road: bool = False) -> Problem:
    """The problem where each shipment of ``group`` may only go by its transload way
    (``road=True``: only by road, the same neighbourhood without the switch)."""
    ways = dict(prob.ways)
    spare = dict(prob.spare)
    for sid in group:
        if road:
            ways[sid] = [w for w in prob.ways[sid] if w.kind == "road"]
        else:
            ways[sid] = [_spare_way(prob, sid)]
            del spare[sid]
    return dataclasses.replace(prob, ways=ways, spare=spare)


def without(
    routes: dict[RouteKey, list[NodeKey]], group: list[str]
) -> dict[RouteKey, list[NodeKey]]:
    """The routes with every visit of the group's shipments (any of their ways) left out."""
    gone = set(group)

    def owner(k: NodeKey) -> str:
        return k[1].split("~", 1)[0]

    return {v: [k for k in ks if owner(k) not in gone] for v, ks in routes.items()}


def switch_ways(
    best: Incumbent[E],
    route: Callable[[Problem, dict[RouteKey, list[NodeKey]], float], RoutingResult],
    evaluate: Callable[[Problem, RoutingResult], tuple[float, E]],
    on_road: Callable[[Incumbent[E]], dict[str, float]],
    seconds: float,
    size: int = 3,
    trial_seconds: float = 3.0,
    road: bool = False,
    trials: int = 30,
    patience: int = 4,
    late: float = 60.0,
    more_seconds: float = 0.0,
) -> tuple[Incumbent[E], SwitchStats]:
    """Try groups on transload until ``seconds`` are spent; keep what improves the score.

    Parameters
    ----------
    best
        The plan to improve.
    route
        Routes a problem from initial routes within a time limit.
    evaluate
        Times a routing result on its problem: (score, what else the caller keeps).
    on_road
        The shipments an incumbent carries by road or leaves unserved, each with how
        badly it fares (``math.inf``: unserved; groups with the worst are tried first).
    seconds
        Time for the whole switch.
    size
        Shipments in a group at most.
    trial_seconds
        Time for each routing search.
    road
        Put the groups back by road instead (a control: the same neighbourhood with no
        way switch).
    trials
        Groups tried at most.
    patience
        Stop after this many groups in a row that did not improve the plan.
    late
        A group is tried only with a shipment unserved or this late (see ``groups``).
    more_seconds
        Time beyond ``seconds`` the switch may go on using while its last group was kept
        (while it pays).

    Returns
    -------
    Incumbent, SwitchStats
        The best plan and what the switch did.
    """
    t0 = time.perf_counter()
    stats = SwitchStats()
    tried: set[tuple[str, ...]] = set()
    misses = 0
    while (
        stats.tried < trials
        and misses < patience
        and time.perf_counter() - t0 + trial_seconds
        <= seconds + (more_seconds if stats.tried and not misses else 0.0)
    ):
        todo = [
            g
            for g in groups(best.prob, on_road(best), size, late)
            if tuple(g) not in tried and all(s in best.prob.spare for s in g)
        ]
        if not todo:
            break
        group = todo[0]
        tried.add(tuple(group))
        stats.tried += 1
        prob = with_transload(best.prob, group, road)
        result = route(prob, without(best.result.routes, group), trial_seconds)
        misses += 1
        if not result.sequences:
            continue
        score, extra = evaluate(prob, result)
        if score < best.score - 1e-6:
            misses = 0
            before = best.prob
            best = Incumbent(score, prob, result, extra)
            # Shipments of the group the plan does not carry whole go back to their road
            # way (and may be tried again): half a way is no way.
            lost = [x for x in group if on_road(best).get(x) == math.inf]
            if road:  # the control keeps its spare ways: the groups stay to try
                lost = group
            if lost:
                ways = {**prob.ways, **{x: before.ways[x] for x in lost}}
                spare = {**prob.spare, **{x: before.spare[x] for x in lost}}
                best.prob = dataclasses.replace(prob, ways=ways, spare=spare)
            stats.kept += 1
            stats.switched += len(group) - len(lost)
    stats.seconds = round(time.perf_counter() - t0, 1)
    return best, stats

"""Large-neighbourhood search around the routing model, on the timed plan's objective.

Each trial takes a few shipments out of the best routes so far (a *neighbourhood*: the
latest ones, the shipments related to a late one, a few trucks' days, a time band, the
trucks of a relay station, the riders of a train), lets OR-Tools put them back in
(a greedy descent with only the operators that insert unperformed visits: under its full
operator set the local search never reaches them), improves the result with a greedy
descent over all operators, times it as a plan and keeps it when the plan's own score
(:func:`relayroute.solve.objective.score`: the timed delay, not the routing model's
estimate) is better. Which neighbourhood to try is drawn by weights that grow where
trials were kept (adaptive LNS, Ropke and Pisinger 2006).
"""

from __future__ import annotations

import dataclasses
import math
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar

from relayroute.solve.switch import Incumbent, without

if TYPE_CHECKING:
    from collections.abc import Callable

    from relayroute.itineraries.problem import Problem
    from relayroute.solve.routing import NodeKey, RouteKey, RoutingResult

E = TypeVar("E")

Neighbourhood = Literal["latest", "related", "trucks", "band", "station", "train"]
NEIGHBOURHOODS: tuple[Neighbourhood, ...] = (
    "latest",
    "related",
    "trucks",
    "band",
    "station",
    "train",
)
# Weight a neighbourhood gains when its trial is kept, and the floor it decays to.
REWARD = 1.0
DECAY = 0.9
FLOOR = 0.2


@dataclass
class LnsStats:
    """What the search did: trials ``tried`` and ``kept`` (in total and per
    neighbourhood), and the ``seconds`` it took (rounded to a tenth)."""

    tried: int = 0
    kept: int = 0
    seconds: float = 0.0
    by_neighbourhood: dict[str, list[int]] = field(default_factory=dict)  # name -> [tried, kept]


@dataclass
class Fares:
    """How each shipment fares in an incumbent: priority-weighted minutes late
    (``math.inf``: unserved), and the vehicles (route keys) that carry it."""

    late: dict[str, float]
    carriers: dict[str, set[RouteKey]]


def fares_of(prob: Problem, routes: dict[RouteKey, list[NodeKey]], late: dict[str, float]) -> Fares:
    """The :class:`Fares` of routes whose timed plan makes shipments ``late``."""
    carriers: dict[str, set[RouteKey]] = {}
    for v, keys in routes.items():
        for k in keys:
            carriers.setdefault(prob.owner(k[1].split("~", 1)[0]), set()).add(v)
    return Fares(late, carriers)


def choose(
    kind: Neighbourhood,
    prob: Problem,
    fares: Fares,
    size: int,
    rng: random.Random,
) -> list[str]:
    """The shipments to take out for one trial of neighbourhood ``kind`` (at most
    ``size``; empty when the neighbourhood has nothing to offer)."""
    ships = prob.inst.shipments_by_id
    todo = sorted(s for s in prob.ways if s in fares.late)
    if not todo:
        return []
    late = sorted((s for s in todo if fares.late[s] > 0), key=lambda s: -fares.late[s])
    if kind == "latest":
        pool = late[: 2 * size]
        return sorted(rng.sample(pool, min(size, len(pool))))
    if kind == "related":
        # Shaw removal: a late shipment and the ones closest to it in ready time and
        # places (they compete for the same trucks at the same time).
        if not late:
            return []
        seed = ships[rng.choice(late[: 2 * size])]

        def distance(sid: str) -> float:
            s = ships[sid]
            return (
                abs(s.ready - seed.ready) / 60.0
                + (s.origin != seed.origin)
                + (s.destination != seed.destination)
                + rng.random()
            )

        return sorted(sorted(todo, key=distance)[:size])
    if kind == "trucks":
        # A few trucks' days, the trucks carrying late shipments the likeliest.
        by_truck: dict[RouteKey, list[str]] = {}
        for sid in todo:
            for v in fares.carriers.get(sid, ()):
                if isinstance(v, int):
                    by_truck.setdefault(v, []).append(sid)
        if not by_truck:
            return []
        trucks = sorted(by_truck, key=lambda v: -sum(min(fares.late[s], 1e6) for s in by_truck[v]))
        out: list[str] = []
        for v in rng.sample(trucks[: max(3, len(trucks) // 4)], min(3, len(trucks))):
            out += [s for s in by_truck[v] if s not in out]
            if len(out) >= size:
                break
        return sorted(out[:size])
    if kind == "band":
        # Shipments ready within a band of time around a late one.
        if not late:
            return []
        t0 = ships[rng.choice(late[: 2 * size])].ready
        near = sorted(todo, key=lambda s: abs(ships[s].ready - t0))
        return sorted(near[:size])
    if kind == "station":
        homes = {
            sid: {st for _, st in veh.stations}
            for sid, vs in fares.carriers.items()
            for v in vs
            if isinstance(v, int)
            for veh in (prob.vehicles[v],)
        }
        stations = sorted({st for sts in homes.values() for st in sts})
        if not stations:
            return []
        st = rng.choice(stations)
        at = [s for s in todo if st in homes.get(s, set())]
        return sorted(rng.sample(at, min(size, len(at))))
    # train: the riders of a departure a late or unserved rail shipment could take.
    rail = [s for s in todo if any(w.kind == "rail" for w in prob.ways[s])]
    worst = [s for s in rail if fares.late[s] > 0]
    if not worst:
        return []
    seed_way = rng.choice([w for w in prob.ways[rng.choice(worst)] if w.kind == "rail"])
    dep = (seed_way.service, seed_way.departure)
    riders = [
        s
        for s in rail
        if any(w.kind == "rail" and (w.service, w.departure) == dep for w in prob.ways[s])
    ]
    return sorted(rng.sample(riders, min(size, len(riders))))


def size_of(n: int, rng: random.Random) -> int:
    """Shipments a trial takes out: between a third of and 8 % of the day's shipments
    (at least 2, at most 40)."""
    most = max(2, min(40, math.ceil(0.08 * n)))
    return rng.randint(max(2, most // 3), most)


def trucks_of(prob: Problem, fares: Fares, group: list[str], rng: random.Random) -> set[int]:
    """The vehicles a trial re-routes: those carrying the group's shipments and, for
    each shipment of the group left unserved, two used trucks that may carry it and one
    unused truck whose driver pool has a driver to spare."""
    out = {v for s in group for v in fares.carriers.get(s, ()) if isinstance(v, int)}
    used = {v for vs in fares.carriers.values() for v in vs if isinstance(v, int)}
    trucks = prob.inst.trucks_by_id
    pools = prob.inst.pools_by_id
    busy: dict[str, int] = {}
    for v in used:
        pool = trucks[prob.vehicles[v].truck].driver_pool
        if pool is not None:
            busy[pool] = busy.get(pool, 0) + 1
    for s in group:
        if fares.late.get(s) != math.inf:
            continue
        may = set(prob.eligible.get(prob.ways[s][0].parts[0], []))
        busy_may = sorted(may & used)
        out |= set(rng.sample(busy_may, min(2, len(busy_may))))
        for v in sorted(may - used - out):
            pool = trucks[prob.vehicles[v].truck].driver_pool
            if pool is None or busy.get(pool, 0) < pools[pool].count:
                out.add(v)
                if pool is not None:
                    busy[pool] = busy.get(pool, 0) + 1
                break
    # A truck is one vehicle per home station it may have: all of them or none.
    chosen = {prob.vehicles[v].truck for v in out}
    return {v for v, veh in enumerate(prob.vehicles) if veh.truck in chosen}


def _owner(prob: Problem, key: NodeKey) -> str:
    return prob.owner(str(key[1]).split("~", 1)[0])


def restrict(
    prob: Problem, routes: dict[RouteKey, list[NodeKey]], vehicles: set[int], group: list[str]
) -> tuple[Problem, dict[RouteKey, list[NodeKey]], set[str]]:
    """The problem of one trial: the group's shipments and everything ``vehicles``
    carry, on those vehicles only (and the trains); the routes it starts from (the
    group taken out); and the shipments it holds.

    On days with trains every rider stays in, with the trucks that carry it: a
    departure's capacity is shared by all its riders, and the trial's model must see
    them all. ``vehicles`` grows by those trucks.
    """
    held = set(group)
    if prob.inst.rail_services:
        # Every rider of every train, and the trucks that carry them to and from it.
        riders = {_owner(prob, k) for v, ks in routes.items() if not isinstance(v, int) for k in ks}
        held |= riders
        vehicles |= {
            v
            for v, ks in routes.items()
            if isinstance(v, int) and any(_owner(prob, k) in riders for k in ks)
        }
    for v in vehicles:
        held |= {_owner(prob, k) for k in routes.get(v, [])}
    held &= set(prob.ways)
    ways = {s: ws for s, ws in prob.ways.items() if s in held}
    legs = {leg for ws in ways.values() for w in ws for leg in w.parts}
    eligible = dict(prob.eligible)
    for leg in legs:
        eligible[leg] = [v for v in prob.eligible.get(leg, []) if v in vehicles]
    sub = dataclasses.replace(prob, ways=ways, eligible=eligible)
    start: dict[RouteKey, list[NodeKey]] = {}
    for key, keys in without(routes, group).items():
        if isinstance(key, int) and key not in vehicles:
            continue
        kept = [k for k in keys if _owner(prob, k) in held]
        if kept:
            start[key] = kept
    return sub, start, held


def merge(
    old: RoutingResult, new: RoutingResult, vehicles: set[int], held: set[str], prob: Problem
) -> RoutingResult:
    """The whole day's routes: a trial's (``new``, over ``vehicles`` and the ``held``
    shipments) in place of what ``old`` had there."""
    if held == set(prob.ways):  # the whole problem was the trial's
        return new
    sequences = {v: seq for v, seq in old.sequences.items() if v not in vehicles}
    sequences.update(new.sequences)
    starts = {v: t for v, t in old.start_times.items() if v not in vehicles}
    starts.update({v: t for v, t in new.start_times.items() if v in new.sequences})
    routes: dict[RouteKey, list[NodeKey]] = {}
    for v, keys in old.routes.items():
        if isinstance(v, int) and v in vehicles:
            continue
        kept = [k for k in keys if _owner(prob, k) not in held]
        if kept:
            routes[v] = kept
    for v, keys in new.routes.items():
        routes[v] = keys if isinstance(v, int) else [*routes.get(v, []), *keys]
    bookings = {dep: [s for s in who if s not in held] for dep, who in old.bookings.items()}
    for dep, who in new.bookings.items():
        bookings[dep] = [*bookings.get(dep, []), *who]
    transload = {leg: t for leg, t in old.transload_starts.items() if prob.owner(leg) not in held}
    transload.update(new.transload_starts)
    return dataclasses.replace(
        new,
        sequences=sequences,
        start_times=starts,
        bookings={d: who for d, who in bookings.items() if who},
        transload_starts=transload,
        routes=routes,
    )


def lns(
    best: Incumbent[E],
    route: Callable[[Problem, dict[RouteKey, list[NodeKey]] | None, float, str], RoutingResult],
    evaluate: Callable[[Problem, RoutingResult], tuple[float, E]],
    late_of: Callable[[Incumbent[E]], dict[str, float]],
    seconds: float,
    trial_seconds: float = 3.0,
    seed: int = 0,
    stop: Callable[[], bool] | None = None,
) -> tuple[Incumbent[E], LnsStats]:
    """Ruin and recreate around the routing model until ``seconds`` are spent.

    Parameters
    ----------
    best
        The plan to improve (its routes are the search's start).
    route
        Routes a problem (from initial routes, or None: afresh) within a time limit, in
        a phase (see :func:`relayroute.solve.routing.solve_routing`).
    evaluate
        Times a routing result on its problem: (score, what else the caller keeps).
    late_of
        Each servable shipment of an incumbent with its priority-weighted minutes late
        (``math.inf``: unserved).
    seconds
        Time for the whole search.
    trial_seconds
        Time for each trial's routing search.
    seed
        Seed of the draws (neighbourhoods and shipments).
    stop
        Asked between trials: True ends the search.

    Returns
    -------
    Incumbent, LnsStats
        The best plan and what the search did.
    """
    t0 = time.perf_counter()
    rng = random.Random(seed)
    stats = LnsStats(by_neighbourhood={k: [0, 0] for k in NEIGHBOURHOODS})
    weights = dict.fromkeys(NEIGHBOURHOODS, 1.0)
    n = len(best.prob.ways)
    fares = fares_of(best.prob, best.result.routes, late_of(best))
    # Trials are compared by ``evaluate`` with each other and with the start as it
    # times it (the start's own score may come from a fuller timing).
    current = evaluate(best.prob, best.result)[0] if best.result.sequences else best.score
    misses = 0
    while time.perf_counter() - t0 + trial_seconds <= seconds and not (stop and stop()):
        kinds = list(weights)
        kind = rng.choices(kinds, [weights[k] for k in kinds])[0]
        group = choose(kind, best.prob, fares, size_of(n, rng), rng)
        if not group:
            weights[kind] = max(FLOOR, weights[kind] * DECAY)
            misses += 1
            if misses > 4 * len(NEIGHBOURHOODS):
                break  # no neighbourhood has anything to take out
            continue
        misses = 0
        stats.tried += 1
        stats.by_neighbourhood[kind][0] += 1
        vehicles = trucks_of(best.prob, fares, group, rng)
        sub, _, held = restrict(best.prob, best.result.routes, vehicles, group)
        # The trial's problem is small: OR-Tools' first-solution heuristic builds its
        # routes afresh (its insertion is far stronger than the local search's), and
        # guided local search improves them for the rest of the trial.
        result = route(sub, None, trial_seconds, "search")
        if not result.sequences:
            weights[kind] = max(FLOOR, weights[kind] * DECAY)
            continue
        result = merge(best.result, result, vehicles, held, best.prob)
        value, extra = evaluate(best.prob, result)
        if value < current - 1e-6:
            current = value
            best = Incumbent(value, best.prob, result, extra)
            fares = fares_of(best.prob, result.routes, late_of(best))
            stats.kept += 1
            stats.by_neighbourhood[kind][1] += 1
            weights[kind] += REWARD
        else:
            weights[kind] = max(FLOOR, weights[kind] * DECAY)
    stats.seconds = round(time.perf_counter() - t0, 1)
    return best, stats

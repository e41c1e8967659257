"""Solving: prepare the problem, route the trucks, time the trips, build the plan."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import partial

from relayroute.io.instance import LoadedInstance
from relayroute.itineraries import Problem, Reason, build_problem, delay_lower_bound
from relayroute.itineraries.trips import Times, Visit
from relayroute.itineraries.ways import with_handoffs
from relayroute.model.plan import Plan
from relayroute.solve.config import SolverConfig, read_config
from relayroute.solve.greedy import greedy, insert_dropped
from relayroute.solve.resources import Timed
from relayroute.solve.routing import LOOP_UTILISATION, RoutingResult, solve_routing, weights
from relayroute.solve.schedule import improve
from relayroute.solve.switch import Incumbent, switch_ways
from relayroute.solve.timing import complete_ways, initial_trips, time_routes
from relayroute.solve.to_plan import UNROUTED, build_plan

__all__ = ["Problem", "SolverConfig", "build_problem", "read_config", "solve"]


def served_ways(prob: Problem, timed: list[Timed]) -> dict[str, list[str]]:
    """Shipments delivered whole, each with the legs (or itself) that carried it."""
    delivered = {s for tt in timed for s in tt.times.delivered}
    out: dict[str, list[str]] = {}
    for sid in delivered:
        way = prob.way_of.get(sid)
        if way is None:
            out[sid] = [sid]
        elif sid == way.legs[-1] and all(x in delivered for x in way.legs):
            out[prob.owner(sid)] = list(way.legs)
    return out


def _score(prob: Problem, timed: list[Timed], w: dict[str, float]) -> float:
    """The plan objective of a timing: unserved, delay, loop drivers, km, trucks, rail."""
    ships = prob.inst.shipments_by_id
    served = served_ways(prob, timed)
    delay = sum(
        ships[s].priority * max(0.0, t - ships[s].due)
        for tt in timed
        for s, t in tt.times.delivered.items()
    )
    drivers = {d for tt in timed for d in tt.drivers.values()}
    # Everything servable the trips do not deliver whole: dropped by timing or never routed.
    lost = sum(ships[s].priority for s in prob.ways if s not in served)
    km = sum(leg.route.km for tt in timed for leg in tt.trip.legs)
    services = {svc.id: svc for svc in prob.inst.rail_services}
    trains = {
        (way.service, way.departure)
        for legs in served.values()
        if (way := prob.way_of.get(legs[0])) is not None and way.kind == "rail"
    }
    return (
        w["unserved"] * lost
        + w["delay"] * delay
        + w["loop_driver"] * len(drivers)
        + w["km"] * km
        + w["truck"] * len(timed)
        + w["rail"] * sum(services[str(svc)].cost for svc, _ in trains)
    )


def _fill(
    prob: Problem, timed: list[Timed], dropped: dict[str, Reason]
) -> tuple[list[Timed], dict[str, Reason]]:
    """What timing or routing left out, put in by road at the end of some truck's day
    where it still fits (the routing search may also leave a way half taken, when a
    train turned out full, with no move back to the road)."""
    done = served_ways(prob, timed)
    missing = {
        s: dropped.get(s, UNROUTED) for s in prob.ways if s not in done and s in prob.eligible
    }
    if not missing:
        return timed, dropped
    timed, more = insert_dropped(prob, timed, missing)
    return timed, {**{k: v for k, v in dropped.items() if k not in missing}, **more}


ROUNDS = 3  # routing rounds at most: the first, and re-routes where timing dropped work


def _stations_of(
    prob: Problem, routes: dict[int, list[Visit]], dropped: dict[str, Reason]
) -> set[str]:
    """Home stations of the trucks whose relay shipments timing had to drop."""
    out = set()
    for v, seq in routes.items():
        if any(x.shipment in dropped and prob.itinerary[x.shipment] != "direct" for x in seq):
            out |= {sid for _, sid in prob.vehicles[v].stations}
    return out


def _time_everything(
    prob: Problem,
    result: RoutingResult,
    timed: list[Timed],
    dropped: dict[str, Reason],
    w: dict[str, float],
    cpsat: Callable[[list[Timed]], list[Timed] | None],
) -> tuple[list[Timed], dict[str, Reason]]:
    """The dispatcher had to drop shipments; CP-SAT may time every route as routed."""
    full = initial_trips(prob, result.sequences, result.start_times)
    if full is None:
        return timed, dropped
    hints = {t.trip.vehicle: t for t in timed}
    start = []
    for t in full:
        h = hints.get(t.vehicle)
        same = h is not None and len(h.trip.stops) == len(t.stops)
        start.append(
            Timed(t, h.times, h.drivers) if h is not None and same else Timed(t, Times([], []), {})
        )
    everything = cpsat(start)
    if everything is not None and _score(prob, everything, w) < _score(prob, timed, w):
        return everything, {}
    return timed, dropped


def solve(
    loaded: LoadedInstance,
    config: SolverConfig | None = None,
    *,
    time_limit: float | None = None,
    on_solution: Callable[[float, float], None] | None = None,
    problem: Problem | None = None,
) -> Plan:
    """Plan one day.

    Parameters
    ----------
    loaded
        The instance (from :func:`relayroute.io.instance.read_instance`).
    config
        Search configuration; the balanced default when omitted.
    time_limit
        Seconds; overrides the configuration's.
    on_solution
        Called with (elapsed seconds, objective) whenever the routing search finds a
        solution.
    problem
        A problem already built for this instance, to skip rebuilding the network.

    Returns
    -------
    Plan
        Routes, handovers, loop-driver duties, passes, shipment outcomes, unserved
        shipments with reasons, and KPIs.
    """
    t0 = time.perf_counter()
    config = config or SolverConfig()
    prob = problem or build_problem(
        loaded.instance, loaded.base, station_choices=config.station_choices
    )
    w = weights(loaded.instance, config)
    limit = time_limit if time_limit is not None else config.time_limit
    cfg = config.model_dump()
    if time_limit is not None:
        cfg["time_limit"] = time_limit
    if config.engine == "greedy":
        timed, dropped = greedy(prob)
        cfg["status"] = "dispatched"
    else:

        def cpsat(p: Problem, trips: list[Timed], share: float) -> list[Timed] | None:
            left = (limit - (time.perf_counter() - t0)) * share
            if config.schedule_deterministic_time <= 0 or left <= 0.1:
                return None
            out = improve(
                p,
                trips,
                w,
                left,
                deterministic_time=config.schedule_deterministic_time * min(1.0, share),
                workers=config.schedule_workers,
                seed=config.seed,
            )
            cfg["schedule_status"] = out.status
            return out.timed if out.objective is not None else None

        # The dispatcher's plan is the floor: the optimiser's plan is never worse than it.
        # (Starting the routing search from it was measured worse: guided local search
        # then rarely inserts what the dispatcher left unserved.)
        g_timed, g_dropped = greedy(prob)
        best: tuple[float, list[Timed], dict[str, Reason], Problem] | None = (
            _score(prob, g_timed, w),
            g_timed,
            g_dropped,
            prob,
        )

        def evaluate(
            p: Problem, result: RoutingResult
        ) -> tuple[float, tuple[list[Timed], dict[str, Reason], Problem]]:
            # Transload times as routed: the two trucks are then timed apart.
            fixed = with_handoffs(p, result.handoffs)
            timed, dropped = time_routes(fixed, result.sequences, result.start_times)
            if dropped:
                timed, dropped = _time_everything(
                    fixed, result, timed, dropped, w, partial(cpsat, fixed, share=0.1)
                )
            timed, dropped = complete_ways(fixed, timed, dropped)
            return _score(fixed, timed, w), (timed, dropped, fixed)

        # Route, time, and where a station could not cope, route again asking less of it.
        utilisation: dict[str, float] = {}
        # CP-SAT re-times trips to cut delay: with no weight on delay the routing search
        # gets the whole time limit.
        schedule_share = config.schedule_share if w["delay"] > 0 else 0.0
        routing_budget = limit * (1 - schedule_share)
        switch_budget = routing_budget * config.switch_share if prob.spare else 0.0
        routed: Incumbent | None = None
        for round_ in range(ROUNDS):
            spent = time.perf_counter() - t0
            # Later rounds only use time a solution-limited first round left over.
            share = (routing_budget - switch_budget - spent) * (1.0 if round_ == 0 else 0.6)
            if round_ and share < 1.0:
                break
            result = solve_routing(
                prob,
                config,
                time_limit=share,
                on_solution=on_solution,
                utilisation=utilisation,
            )
            cfg["status"] = result.status
            cfg["solutions"] = cfg.get("solutions", 0) + result.solutions
            # Compared as routed: putting what it left out in by road before comparing
            # (at the end of trucks' days) was measured much worse on yiwu-day-scarce
            # (52,865 against 6,311 weighted delay): it picks rounds whose gaps were
            # filled late instead of rounds CP-SAT can re-time well.
            score, (timed, dropped, fixed) = evaluate(prob, result)
            if best is None or score < best[0]:
                best = (score, timed, dropped, fixed)
            if result.sequences and (routed is None or score < routed.score):
                routed = Incumbent(score, prob, result, (timed, dropped, fixed))
            stuck = _stations_of(prob, result.sequences, dropped)
            if not stuck:
                break
            for sid in stuck:
                utilisation[sid] = utilisation.get(sid, LOOP_UTILISATION) * 0.8
        cfg["rounds"] = round_ + 1
        left = routing_budget - (time.perf_counter() - t0)
        if routed is not None and switch_budget > 0 and left > config.switch_trial_time:

            def route(p: Problem, initial: dict, seconds: float) -> RoutingResult:
                return solve_routing(
                    p, config, time_limit=seconds, utilisation=utilisation, initial=initial
                )

            def on_road(inc: Incumbent) -> dict[str, float]:
                # Served by road, or not at all: the shipments a switch may help, the
                # unserved first, then the latest (priority-weighted).
                timed_, _, fixed_ = inc.extra
                served = served_ways(fixed_, timed_)
                done = {s: t for tt in timed_ for s, t in tt.times.delivered.items()}
                ships = fixed_.inst.shipments_by_id
                return {
                    s: math.inf
                    if s not in served
                    else ships[s].priority * max(0.0, done[s] - ships[s].due)
                    for s in fixed_.ways
                    if served.get(s, [s]) == [s]
                }

            routed, stats = switch_ways(
                routed,
                route,
                evaluate,
                on_road,
                left,
                size=config.switch_group,
                trial_seconds=config.switch_trial_time,
                road=config.switch_to == "road",
                trials=config.switch_trials,
                patience=config.switch_patience,
                late=config.switch_late,
                # While groups keep being kept, the switch may go on into half of the
                # CP-SAT timing's share: a shipment served outweighs minutes of delay.
                more_seconds=limit * schedule_share / 2,
            )
            cfg["switch"] = stats
            # The routing time the switch left: the search goes on from the best routes.
            left = routing_budget - (time.perf_counter() - t0)
            if left > 1.0:
                more = route(routed.prob, routed.result.routes, left)
                if more.sequences:
                    score, extra = evaluate(routed.prob, more)
                    if score < routed.score:
                        routed = Incumbent(score, routed.prob, more, extra)
            timed, dropped, fixed = routed.extra
            if best is None or routed.score < best[0]:
                best = (routed.score, timed, dropped, fixed)
        assert best is not None
        _, timed, dropped, prob = best
        if timed and w["delay"] > 0:
            better = cpsat(prob, timed, 1.0)
            if better is not None and _score(prob, better, w) <= _score(prob, timed, w):
                timed = better
        timed, dropped = _fill(prob, timed, dropped)
    return build_plan(
        prob,
        timed,
        dropped,
        cfg,
        w,
        loaded.sha256,
        delay_lower_bound(prob),
        time.perf_counter() - t0,
    )

"""Solving: prepare the problem, route the trucks, time the trips, build the plan."""

from __future__ import annotations

import time
from collections.abc import Callable

from relayroute.io.instance import LoadedInstance
from relayroute.model.plan import Plan
from relayroute.solve.config import SolverConfig, read_config
from relayroute.solve.greedy import greedy
from relayroute.solve.plan import build_plan
from relayroute.solve.problem import Problem, build_problem, delay_lower_bound
from relayroute.solve.routing import solve_routing, weights
from relayroute.solve.schedule import improve
from relayroute.solve.timing import time_routes

__all__ = ["Problem", "SolverConfig", "build_problem", "read_config", "solve"]


def _score(prob: Problem, timed: list, w: dict[str, float]) -> float:
    """Priority-weighted delay plus loop drivers called in, of a timing."""
    ships = prob.inst.shipments_by_id
    delay = sum(
        ships[s].priority * max(0.0, t - ships[s].due)
        for tt in timed
        for s, t in tt.times.delivered.items()
    )
    drivers = {d for tt in timed for d in tt.drivers.values()}
    return w["delay"] * delay + w["loop_driver"] * len(drivers)


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
        result = solve_routing(
            prob, config, time_limit=limit * (1 - config.schedule_share), on_solution=on_solution
        )
        cfg["status"] = result.status
        cfg["solutions"] = result.solutions
        timed, dropped = time_routes(prob, result.sequences, result.start_times)
        left = limit - (time.perf_counter() - t0)
        if timed and config.schedule_deterministic_time > 0 and left > 0.1:
            better = improve(
                prob,
                timed,
                w,
                left,
                deterministic_time=config.schedule_deterministic_time,
                workers=config.schedule_workers,
                seed=config.seed,
            )
            cfg["schedule_status"] = better.status
            if better.objective is not None and _score(prob, better.timed, w) <= _score(
                prob, timed, w
            ):
                timed = better.timed
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

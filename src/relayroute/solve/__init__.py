"""Solving: prepare the problem, run OR-Tools, build the plan."""

from __future__ import annotations

from collections.abc import Callable

from relayroute.io.instance import LoadedInstance
from relayroute.model.plan import Plan
from relayroute.solve.config import SolverConfig, read_config
from relayroute.solve.plan import build_plan
from relayroute.solve.problem import Problem, build_problem, delay_lower_bound
from relayroute.solve.routing import solve_routing, weights

__all__ = ["Problem", "SolverConfig", "build_problem", "read_config", "solve"]


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
        Called with (elapsed seconds, objective) whenever the search finds a solution.
    problem
        A problem already built for this instance, to skip rebuilding the network.

    Returns
    -------
    Plan
        Routes, shipment outcomes, unserved shipments with reasons, and KPIs.
    """
    config = config or SolverConfig()
    prob = problem or build_problem(loaded.instance, loaded.base)
    w = weights(loaded.instance, config)
    result = solve_routing(prob, config, time_limit=time_limit, on_solution=on_solution)
    cfg = config.model_dump()
    if time_limit is not None:
        cfg["time_limit"] = time_limit
    cfg["status"] = result.status
    cfg["solutions"] = result.solutions
    return build_plan(
        prob,
        result.sequences,
        result.start_times,
        cfg,
        w,
        loaded.sha256,
        delay_lower_bound(prob),
        result.seconds,
    )

"""OR-Tools RoutingModel for truck routes: pickup-and-delivery pairs, capacities,
time windows, lateness past ``due`` as a soft upper bound, disjunctions for unserved."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from relayroute.model.instance import Instance
from relayroute.solve.config import SolverConfig
from relayroute.solve.problem import Problem

COST_SCALE = 100  # objective units per priority-weighted minute, so weights keep 2 decimals
QTY_SCALE = 1000  # capacity units per quantity unit


@dataclass
class Visit:
    kind: str  # "pickup" or "delivery"
    shipment: str


@dataclass
class RoutingResult:
    sequences: dict[str, list[Visit]]
    start_times: dict[str, float]
    objective: float | None
    seconds: float
    solutions: int
    status: str


def weights(inst: Instance, config: SolverConfig) -> dict[str, float]:
    """Instance objective weights with the configuration's overrides."""
    w = inst.objective.model_dump()
    unknown = set(config.objective) - set(w)
    if unknown:
        raise ValueError(f"unknown objective weight(s): {', '.join(sorted(unknown))}")
    w.update(config.objective)
    return w


def solve_routing(
    prob: Problem,
    config: SolverConfig,
    time_limit: float | None = None,
    on_solution: Callable[[float, float], None] | None = None,
) -> RoutingResult:
    """Build and solve the routing model.

    Parameters
    ----------
    prob
        The prepared problem.
    config
        Search configuration.
    time_limit
        Seconds; overrides the configuration's.
    on_solution
        Called with (elapsed seconds, objective) at each solution found.
    """
    inst = prob.inst
    w = weights(inst, config)
    trucks = inst.trucks
    ships = [s for s in inst.shipments if s.id in prob.eligible]
    places = inst.places_by_id

    # Nodes: one per distinct depot place, then pickup and delivery of each shipment.
    depot_places = sorted(
        {prob.depot_place(t) for t in trucks} | {prob.depot_place(t, True) for t in trucks}
    )
    node_place: list[str] = list(depot_places)
    node_service: list[float] = [0.0] * len(depot_places)
    pick: dict[str, int] = {}
    drop: dict[str, int] = {}
    for s in ships:
        pick[s.id] = len(node_place)
        node_place.append(s.origin)
        node_service.append(s.pickup_minutes)
        drop[s.id] = len(node_place)
        node_place.append(s.destination)
        node_service.append(s.delivery_minutes)
    n = len(node_place)
    starts = [depot_places.index(prob.depot_place(t)) for t in trucks]
    ends = [depot_places.index(prob.depot_place(t, True)) for t in trucks]
    manager = pywrapcp.RoutingIndexManager(n, len(trucks), starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    solver.ReSeed(config.seed)

    horizon = int(math.ceil(max([inst.horizon] + [prob.duty[t.id][1] for t in trucks])))
    big = 10 * horizon
    time_cb: dict[object, int] = {}
    cost_cb: dict[object, int] = {}
    for prof, table in prob.tables.items():
        idx = [table.index[p] for p in node_place]
        tm = [[0] * n for _ in range(n)]
        cm = [[0] * n for _ in range(n)]
        for i in range(n):
            for j in range(n):
                m = table.minutes[idx[i], idx[j]]
                if math.isfinite(m):
                    tm[i][j] = int(math.ceil(node_service[i] + m - 1e-9))
                    cm[i][j] = int(round(table.km[idx[i], idx[j]] * w["km"] * COST_SCALE))
                else:
                    tm[i][j] = big
                    cm[i][j] = big * COST_SCALE
        time_cb[prof] = routing.RegisterTransitMatrix(tm)
        cost_cb[prof] = routing.RegisterTransitMatrix(cm)
    for v, t in enumerate(trucks):
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[prob.profiles[t.id]], v)
        routing.SetFixedCostOfVehicle(int(round(w["truck"] * COST_SCALE)), v)

    routing.AddDimensionWithVehicleTransits(
        [time_cb[prob.profiles[t.id]] for t in trucks], horizon, horizon, False, "time"
    )
    tdim = routing.GetDimensionOrDie("time")
    for v, t in enumerate(trucks):
        lo, hi, duty = prob.duty[t.id]
        tdim.CumulVar(routing.Start(v)).SetRange(int(math.ceil(lo)), int(math.floor(hi)))
        tdim.CumulVar(routing.End(v)).SetRange(int(math.ceil(lo)), int(math.floor(hi)))
        tdim.SetSpanUpperBoundForVehicle(int(math.floor(duty)), v)
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.End(v)))
        routing.AddVariableMaximizedByFinalizer(tdim.CumulVar(routing.Start(v)))

    def set_hours(index: int, hours: list[tuple[float, float]], lo: float, hi: float) -> None:
        var = tdim.CumulVar(index)
        windows = sorted((max(a, lo), min(b, hi)) for a, b in (hours or [(0.0, float(horizon))]))
        windows = [
            (math.ceil(a), math.floor(b)) for a, b in windows if math.ceil(a) <= math.floor(b)
        ]
        if not windows:  # cannot happen after classification; keep the node unperformed
            routing.ActiveVar(index).SetValue(0)
            return
        var.SetRange(windows[0][0], windows[-1][1])
        for (_, b), (a, _) in zip(windows, windows[1:]):
            if b + 1 <= a - 1:
                var.RemoveInterval(b + 1, a - 1)

    dims = inst.capacity_dimensions()
    for dim in dims:
        demand = [0] * n
        for s in ships:
            q = int(math.ceil(s.quantity.get(dim, 0.0) * QTY_SCALE - 1e-6))
            demand[pick[s.id]], demand[drop[s.id]] = q, -q
        cb = routing.RegisterUnaryTransitVector(demand)
        caps = [int(math.floor(t.capacity.get(dim, 0.0) * QTY_SCALE + 1e-6)) for t in trucks]
        routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load:{dim}")

    vindex = {t.id: v for v, t in enumerate(trucks)}
    for s in ships:
        p, d = manager.NodeToIndex(pick[s.id]), manager.NodeToIndex(drop[s.id])
        routing.AddPickupAndDelivery(p, d)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        solver.Add(routing.ActiveVar(p) == routing.ActiveVar(d))
        solver.Add(tdim.CumulVar(p) + int(math.ceil(s.pickup_minutes)) <= tdim.CumulVar(d))
        penalty = int(round(w["unserved"] * s.priority * COST_SCALE))
        routing.AddDisjunction([p], penalty // 2 + penalty % 2)
        routing.AddDisjunction([d], penalty // 2)
        allowed = sorted(vindex[t] for t in prob.eligible[s.id])
        if len(allowed) < len(trucks):
            routing.VehicleVar(p).SetValues([-1, *allowed])
            routing.VehicleVar(d).SetValues([-1, *allowed])
        set_hours(p, places[s.origin].hours, s.ready, horizon)
        hi = horizon if s.deadline is None else s.deadline - s.delivery_minutes
        set_hours(d, places[s.destination].hours, s.ready, hi)
        coeff = int(round(s.priority * w["delay"] * COST_SCALE))
        if coeff > 0:
            tdim.SetCumulVarSoftUpperBound(d, int(math.floor(s.due - s.delivery_minutes)), coeff)

    pools: dict[str, list[int]] = {}
    for v, t in enumerate(trucks):
        if t.driver_pool is not None:
            pools.setdefault(t.driver_pool, []).append(v)
    for pid, vs in pools.items():
        count = inst.pools_by_id[pid].count
        if count < len(vs):
            solver.Add(solver.Sum([routing.ActiveVehicleVar(v) for v in vs]) <= count)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, config.first_solution_strategy
    )
    params.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, config.metaheuristic
    )
    limit = time_limit if time_limit is not None else config.time_limit
    params.time_limit.FromMilliseconds(int(limit * 1000))
    if config.solution_limit is not None:
        params.solution_limit = config.solution_limit
    params.log_search = config.log_search

    t0 = time.perf_counter()
    found = [0]

    def at_solution() -> None:
        found[0] += 1
        if on_solution is not None:
            on_solution(time.perf_counter() - t0, routing.CostVar().Value() / COST_SCALE)

    routing.AddAtSolutionCallback(at_solution)
    solution = routing.SolveWithParameters(params)
    seconds = time.perf_counter() - t0
    status = routing.status()
    status_name = {
        0: "not_solved",
        1: "success",
        2: "partial_success_local_optimum_not_reached",
        3: "fail",
        4: "fail_timeout",
        5: "invalid",
        6: "infeasible",
        7: "optimal",
    }.get(int(status), str(status))
    sequences: dict[str, list[Visit]] = {t.id: [] for t in trucks}
    start_times: dict[str, float] = {}
    if solution is None:
        return RoutingResult(sequences, start_times, None, seconds, found[0], status_name)
    by_node = {pick[s.id]: Visit("pickup", s.id) for s in ships}
    by_node.update({drop[s.id]: Visit("delivery", s.id) for s in ships})
    for v, t in enumerate(trucks):
        index = routing.Start(v)
        start_times[t.id] = float(solution.Value(tdim.CumulVar(index)))
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            sequences[t.id].append(by_node[manager.IndexToNode(index)])
            index = solution.Value(routing.NextVar(index))
    return RoutingResult(
        sequences,
        start_times,
        solution.ObjectiveValue() / COST_SCALE,
        seconds,
        found[0],
        status_name,
    )

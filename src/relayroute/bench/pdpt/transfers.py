"""Pickup and delivery with transfers: the transload model as one OR-Tools RoutingModel.

Each request is carried either on one truck (pickup, then delivery), or on two trucks
that meet at a transfer station: the first truck picks up and drops the goods at the
station, the second collects them there and delivers. Each way is a set of optional
nodes; a request's pickup nodes form one disjunction and its delivery nodes another
(at most one of each performed), and linking constraints make the performed nodes
belong to the same way. The drop at a station must end no later than the collection
begins (plus the station's transfer time): a constraint between the time cumuls of two
routes, which OR-Tools' local search keeps while it moves requests between routes.

The problem is given as plain matrices so the same model serves relayroute's
instances (transload stations) and the literature's PDPT benchmark (transfer points).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True)
class TRequest:
    pickup: int  # location index
    delivery: int
    quantity: float
    pickup_window: tuple[float, float] = (0.0, math.inf)  # service start at the pickup
    delivery_window: tuple[float, float] = (0.0, math.inf)
    pickup_service: float = 0.0
    delivery_service: float = 0.0


@dataclass(frozen=True)
class TVehicle:
    start: int
    end: int
    capacity: float
    window: tuple[float, float] = (0.0, math.inf)  # leave start, reach end


@dataclass(frozen=True)
class TStation:
    location: int
    window: tuple[float, float] = (0.0, math.inf)
    transfer_minutes: float = 0.0


@dataclass
class TransferProblem:
    """Locations with travel time and cost matrices; requests, vehicles, stations."""

    time: np.ndarray
    cost: np.ndarray
    requests: list[TRequest]
    vehicles: list[TVehicle]
    stations: list[TStation]
    pay_empty_routes: bool = True  # an unused vehicle still drives start → end
    one_visit_per_station: bool = False  # a vehicle calls at each station at most once


@dataclass(frozen=True)
class Event:
    """One stop of a route: ``pickup``, ``delivery``, ``drop`` or ``collect``."""

    kind: str
    request: int
    location: int
    station: int | None = None
    time: float = 0.0


@dataclass
class TransferSolution:
    routes: list[list[Event]]  # per vehicle
    cost: float
    unserved: list[int]
    seconds: float
    status: str
    transfers: dict[int, int] = field(default_factory=dict)  # request -> station


TIME_SCALE = 1000
COST_SCALE = 10_000


def solve_transfers(
    tp: TransferProblem,
    time_limit: float = 10.0,
    seed: int = 0,
    allow_transfers: bool = True,
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION",
    metaheuristic: str = "GUIDED_LOCAL_SEARCH",
    initial: Sequence[Sequence[Event]] | None = None,
    unserved_penalty: float = 1e6,
    operators: dict[str, bool] | None = None,
    gls_lambda: float | None = None,
) -> TransferSolution:
    """Route the requests, each directly or through one transfer station.

    Parameters
    ----------
    tp
        The problem.
    time_limit
        Seconds of search.
    allow_transfers
        False: every request rides one vehicle (the model without transfer nodes).
    initial
        Routes (as returned in a solution) to start the search from.
    unserved_penalty
        Cost of leaving a request unserved.

    Returns
    -------
    TransferSolution
        Routes with service start times, total cost (empty routes included when
        ``pay_empty_routes``), unserved requests and the station of each transfer.
    """
    k = len(tp.vehicles)
    # Node table: vehicle starts, vehicle ends, then option nodes.
    loc: list[int] = [v.start for v in tp.vehicles] + [v.end for v in tp.vehicles]
    info: list[tuple[str, int, int | None]] = [("depot", -1, None)] * (2 * k)
    direct: list[tuple[int, int]] = []
    via: list[dict[int, tuple[int, int, int, int]]] = []
    stations = tp.stations if allow_transfers else []

    def add(location: int, kind: str, r: int, s: int | None = None) -> int:
        loc.append(location)
        info.append((kind, r, s))
        return len(loc) - 1

    for r, req in enumerate(tp.requests):
        direct.append((add(req.pickup, "pickup", r), add(req.delivery, "delivery", r)))
        opts = {}
        for s, st in enumerate(stations):
            if st.location in (req.pickup, req.delivery):
                continue
            opts[s] = (
                add(req.pickup, "pickup", r),
                add(st.location, "drop", r, s),
                add(st.location, "collect", r, s),
                add(req.delivery, "delivery", r),
            )
        via.append(opts)
    n = len(loc)
    manager = pywrapcp.RoutingIndexManager(n, k, list(range(k)), list(range(k, 2 * k)))
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    solver.ReSeed(seed)

    service = np.zeros(n)
    for node, (kind, r, _) in enumerate(info):
        if kind == "pickup":
            service[node] = tp.requests[r].pickup_service
        elif kind == "delivery":
            service[node] = tp.requests[r].delivery_service
        elif kind == "drop":
            service[node] = 0.0
    idx = np.array(loc)
    travel = tp.time[np.ix_(idx, idx)] + service[:, None]
    finite_t = np.where(np.isfinite(travel), travel, 0.0)
    horizon_f = max(
        [w for v in tp.vehicles for w in v.window if math.isfinite(w)]
        + [float(finite_t.sum(axis=1).max() + 1.0)]
    )
    horizon = math.ceil(horizon_f * TIME_SCALE)
    tm = np.where(np.isfinite(travel), np.ceil(finite_t * TIME_SCALE - 1e-6), horizon + 1)
    cost = tp.cost[np.ix_(idx, idx)]
    cm = np.where(
        np.isfinite(cost), np.round(np.where(np.isfinite(cost), cost, 0) * COST_SCALE), 10**12
    )
    time_cb = routing.RegisterTransitMatrix(tm.astype(np.int64).tolist())
    cost_cb = routing.RegisterTransitMatrix(cm.astype(np.int64).tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost_cb)
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")

    def window(index: int, w: tuple[float, float]) -> None:
        lo = math.ceil(w[0] * TIME_SCALE - 1e-6)
        hi = horizon if not math.isfinite(w[1]) else math.floor(w[1] * TIME_SCALE + 1e-6)
        tdim.CumulVar(index).SetRange(max(lo, 0), min(hi, horizon))

    for v, veh in enumerate(tp.vehicles):
        window(routing.Start(v), veh.window)
        window(routing.End(v), veh.window)
        if tp.pay_empty_routes:
            routing.SetVehicleUsedWhenEmpty(True, v)
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.End(v)))

    q_scale = 1000
    demand = [0] * n
    for node, (kind, r, _) in enumerate(info):
        q = round(tp.requests[r].quantity * q_scale) if r >= 0 else 0
        demand[node] = (
            q if kind in ("pickup", "collect") else -q if kind in ("delivery", "drop") else 0
        )
    load_cb = routing.RegisterUnaryTransitVector(demand)
    routing.AddDimensionWithVehicleCapacity(
        load_cb,
        0,
        [math.floor(v.capacity * q_scale + 1e-6) for v in tp.vehicles],
        True,
        "load",
    )

    if tp.one_visit_per_station:
        # Calls at a station counted as arrivals from elsewhere, at most one per vehicle.
        for st in stations:
            at = idx == st.location
            entry = (at[None, :] & ~at[:, None]).astype(np.int64)
            cb = routing.RegisterTransitMatrix(entry.tolist())
            routing.AddDimension(cb, 0, 1, True, f"calls:{st.location}")

    penalty = round(unserved_penalty * COST_SCALE)
    for r, req in enumerate(tp.requests):
        p, d = (manager.NodeToIndex(x) for x in direct[r])
        pickups, deliveries = [p], [d]
        routing.AddPickupAndDelivery(p, d)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        window(p, req.pickup_window)
        window(d, req.delivery_window)
        drops, collects = [], []
        for s, (a, b, c, e) in via[r].items():
            ia, ib, ic, ie = (manager.NodeToIndex(x) for x in (a, b, c, e))
            st = tp.stations[s]
            routing.AddPickupAndDelivery(ia, ib)
            routing.AddPickupAndDelivery(ic, ie)
            solver.Add(routing.VehicleVar(ia) == routing.VehicleVar(ib))
            solver.Add(routing.VehicleVar(ic) == routing.VehicleVar(ie))
            # Collected only where it was dropped. One-sided, so that a move may drop
            # the goods first and a later move collect them: the half-served state
            # pays the delivery disjunction's penalty instead of being forbidden.
            solver.Add(routing.ActiveVar(ic) <= routing.ActiveVar(ib))
            # The collection starts once the goods are down and moved across.
            gap = math.ceil(st.transfer_minutes * TIME_SCALE - 1e-6)
            solver.Add(tdim.CumulVar(ib) + gap <= tdim.CumulVar(ic))
            window(ia, req.pickup_window)
            window(ie, req.delivery_window)
            window(ib, st.window)
            window(ic, st.window)
            pickups.append(ia)
            deliveries.append(ie)
            drops.append(ib)
            collects.append(ic)
        routing.AddDisjunction(pickups, penalty, 1)
        routing.AddDisjunction(deliveries, penalty, 1)
        if drops:
            routing.AddDisjunction(drops, 0, 1)
            routing.AddDisjunction(collects, 0, 1)

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, first_solution
    )
    params.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic
    )
    params.time_limit.FromMilliseconds(int(time_limit * 1000))
    if gls_lambda is not None:
        params.guided_local_search_lambda_coefficient = gls_lambda
    for name, on in (operators or {}).items():
        setattr(params.local_search_operators, name, 3 if on else 2)  # BOOL_TRUE / BOOL_FALSE

    t0 = time.perf_counter()
    if initial is not None:
        node_of: dict[tuple[str, int, int | None], int] = {}
        for r in range(len(tp.requests)):
            node_of[("pickup", r, None)], node_of[("delivery", r, None)] = direct[r]
            for s, (a, b, c, e) in via[r].items():
                node_of[("pickup", r, s)], node_of[("drop", r, s)] = a, b
                node_of[("collect", r, s)], node_of[("delivery", r, s)] = c, e
        moved = {ev.request: ev.station for route in initial for ev in route if ev.kind == "drop"}
        seqs = []
        for given in initial:
            seq = []
            for ev in given:
                at = ev.station if ev.kind in ("drop", "collect") else moved.get(ev.request)
                seq.append(manager.NodeToIndex(node_of[(ev.kind, ev.request, at)]))
            seqs.append(seq)
        routing.CloseModelWithParameters(params)
        start = routing.ReadAssignmentFromRoutes(seqs, True)
        solution = routing.SolveFromAssignmentWithParameters(start, params)
    else:
        solution = routing.SolveWithParameters(params)
    seconds = time.perf_counter() - t0
    status = str(routing.status())
    if solution is None:
        return TransferSolution(
            [[] for _ in tp.vehicles], math.inf, list(range(len(tp.requests))), seconds, status
        )
    routes: list[list[Event]] = []
    served: set[int] = set()
    moved_at: dict[int, int] = {}
    total = 0.0
    for v in range(k):
        index = routing.Start(v)
        prev = manager.IndexToNode(index)
        events: list[Event] = []
        index = solution.Value(routing.NextVar(index))
        while True:
            node = manager.IndexToNode(index)
            total += float(tp.cost[loc[prev], loc[node]])
            if routing.IsEnd(index):
                break
            kind, r, s = info[node]
            t = solution.Value(tdim.CumulVar(index)) / TIME_SCALE
            events.append(Event(kind, r, loc[node], s, t))
            if kind == "delivery":
                served.add(r)
            if kind == "drop" and s is not None:
                moved_at[r] = s
            prev = node
            index = solution.Value(routing.NextVar(index))
        if not events and not tp.pay_empty_routes:
            total -= float(tp.cost[tp.vehicles[v].start, tp.vehicles[v].end])
        routes.append(events)
    unserved = [r for r in range(len(tp.requests)) if r not in served]
    return TransferSolution(routes, total, unserved, seconds, status, moved_at)


def route_times(tp: TransferProblem, routes: Sequence[Sequence[Event]]) -> list[list[float]] | None:
    """Earliest service start of every event, or None when a window, a capacity or a
    drop-before-collect rule cannot be kept.

    Collections wait for the drop (plus the station's transfer time) on another route:
    times are raised to a fixed point, and a cycle of waits fails.
    """
    if tp.one_visit_per_station and stations_called_twice(tp, routes):
        return None
    drop_at: dict[int, tuple[int, int]] = {}
    for v, route in enumerate(routes):
        load = 0.0
        for i, ev in enumerate(route):
            q = tp.requests[ev.request].quantity
            load += q if ev.kind in ("pickup", "collect") else -q
            if load > tp.vehicles[v].capacity + 1e-9:
                return None
            if ev.kind == "drop":
                drop_at[ev.request] = (v, i)
    times = [[0.0] * len(route) for route in routes]
    for _ in range(len(drop_at) + 2):
        changed = False
        for v, route in enumerate(routes):
            veh = tp.vehicles[v]
            t, at, prev_service = veh.window[0], veh.start, 0.0
            for i, ev in enumerate(route):
                req = tp.requests[ev.request]
                if ev.kind in ("pickup", "delivery"):
                    w = req.pickup_window if ev.kind == "pickup" else req.delivery_window
                else:
                    w = tp.stations[ev.station or 0].window
                start = max(t + prev_service + tp.time[at, ev.location], w[0])
                if ev.kind == "collect":
                    ov, oi = drop_at[ev.request]
                    gap = tp.stations[ev.station or 0].transfer_minutes
                    start = max(start, times[ov][oi] + gap)
                if start > w[1] + 1e-6:
                    return None
                if start != times[v][i]:
                    changed = True
                times[v][i] = start
                prev_service = (
                    req.pickup_service
                    if ev.kind == "pickup"
                    else req.delivery_service
                    if ev.kind == "delivery"
                    else 0.0
                )
                t, at = start, ev.location
            if t + prev_service + tp.time[at, veh.end] > veh.window[1] + 1e-6:
                return None
        if not changed:
            return times
    return None


def stations_called_twice(tp: TransferProblem, routes: Sequence[Sequence[Event]]) -> bool:
    """Whether some vehicle calls at a station, leaves and comes back."""
    where = {st.location for st in tp.stations}
    for route in routes:
        calls = [
            ev.location
            for k, ev in enumerate(route)
            if k == 0 or route[k - 1].location != ev.location
        ]
        here = [x for x in calls if x in where]
        if len(here) != len(set(here)):
            return True
    return False


def routes_cost(tp: TransferProblem, routes: Sequence[Sequence[Event]]) -> float:
    total = 0.0
    for v, route in enumerate(routes):
        veh = tp.vehicles[v]
        if not route and not tp.pay_empty_routes:
            continue
        path = [veh.start, *(ev.location for ev in route), veh.end]
        total += float(sum(tp.cost[a, b] for a, b in itertools.pairwise(path)))
    return total


def _best_pair_insertion(
    tp: TransferProblem, route: Sequence[Event], v: int, first: Event, second: Event, q: float
) -> tuple[float, int, int]:
    """Cheapest (cost delta, i, j) putting ``first`` before position i and ``second``
    before position j (j ≥ i) of ``route`` with the load kept under capacity."""
    veh = tp.vehicles[v]
    locs = [veh.start, *(ev.location for ev in route), veh.end]
    loads = [0.0]
    for ev in route:
        eq = tp.requests[ev.request].quantity
        loads.append(loads[-1] + (eq if ev.kind in ("pickup", "collect") else -eq))
    c = tp.cost
    a, b = first.location, second.location
    best = (math.inf, -1, -1)
    for i in range(len(locs) - 1):
        # Load on the arcs the goods ride: after position i through j.
        if loads[i] + q > veh.capacity + 1e-9:
            continue
        add_i = c[locs[i], a] + c[a, locs[i + 1]] - c[locs[i], locs[i + 1]]
        # j == i: both between locs[i] and locs[i+1]
        d = c[locs[i], a] + c[a, b] + c[b, locs[i + 1]] - c[locs[i], locs[i + 1]]
        if d < best[0]:
            best = (float(d), i, i)
        for j in range(i + 1, len(locs) - 1):
            if loads[j] + q > veh.capacity + 1e-9:
                break
            d = add_i + c[locs[j], b] + c[b, locs[j + 1]] - c[locs[j], locs[j + 1]]
            if d < best[0]:
                best = (float(d), i, j)
    return best


def _insert(route: Sequence[Event], first: Event, second: Event, i: int, j: int) -> list[Event]:
    out = list(route)
    out.insert(j, second)
    out.insert(i, first)
    return out


def transfer_moves(
    tp: TransferProblem, routes: Sequence[Sequence[Event]], stations_per_request: int = 3
) -> list[tuple[float, list[list[Event]]]]:
    """Routes with one more request moved through a station, cheapest first.

    Each request carried by one vehicle is taken out and put back as two halves: picked
    up and dropped at a station on one vehicle, collected and delivered on another, each
    half at its cheapest place under capacity (times are checked by the caller). Only
    the ``stations_per_request`` stations with the smallest detour between the request's
    ends are tried, and one of the two vehicles is the one that carried it.
    """
    # A request not delivered (maybe dropped at a station and left there) is put in
    # afresh, directly or through a station, ahead of every move.
    delivered = {ev.request for route in routes for ev in route if ev.kind == "delivery"}
    missing = [r for r in range(len(tp.requests)) if r not in delivered]
    routes = [[ev for ev in route if ev.request not in missing] for route in routes]
    base = routes_cost(tp, routes)
    out: list[tuple[float, list[list[Event]]]] = []
    for r in missing:
        req = tp.requests[r]
        pick = Event("pickup", r, req.pickup)
        deliv = Event("delivery", r, req.delivery)
        for v in range(len(routes)):
            d, i, j = _best_pair_insertion(tp, routes[v], v, pick, deliv, req.quantity)
            if math.isfinite(d):
                new = [list(x) for x in routes]
                new[v] = _insert(new[v], pick, deliv, i, j)
                out.append((d - MISSING, new))
        out += _through_stations(tp, routes, r, None, -MISSING, stations_per_request)
    moved = {ev.request for route in routes for ev in route if ev.kind == "drop"}
    for v0, route in enumerate(routes):
        for ev in route:
            if ev.kind != "pickup" or ev.request in moved:
                continue
            r = ev.request
            req = tp.requests[r]
            removed = [e for e in route if e.request != r]
            reduced = [list(x) for x in routes]
            reduced[v0] = removed
            saving = base - routes_cost(tp, reduced)
            out += _through_stations(tp, reduced, r, v0, saving, stations_per_request)
    out.sort(key=lambda x: x[0])
    return out


MISSING = 1e6  # what putting in a request not delivered is worth, in the moves' ranking


def _through_stations(
    tp: TransferProblem,
    routes: Sequence[Sequence[Event]],
    r: int,
    v0: int | None,
    saving: float,
    stations_per_request: int,
) -> list[tuple[float, list[list[Event]]]]:
    """Request ``r`` (in no route) put in through each of its nearest stations: picked
    up and dropped on one vehicle, collected and delivered on another (one of them
    ``v0`` when given), each half at its cheapest place; cost change minus ``saving``."""
    req = tp.requests[r]
    out = []
    detour = sorted(
        (tp.cost[req.pickup, st.location] + tp.cost[st.location, req.delivery], s)
        for s, st in enumerate(tp.stations)
        if st.location not in (req.pickup, req.delivery)
    )
    for _, s in detour[:stations_per_request]:
        st = tp.stations[s]
        pick = Event("pickup", r, req.pickup)
        drop = Event("drop", r, st.location, s)
        coll = Event("collect", r, st.location, s)
        deliv = Event("delivery", r, req.delivery)
        firsts = [
            _best_pair_insertion(tp, routes[v], v, pick, drop, req.quantity)
            for v in range(len(routes))
        ]
        seconds = [
            _best_pair_insertion(tp, routes[v], v, coll, deliv, req.quantity)
            for v in range(len(routes))
        ]
        for v1, (d1, i1, j1) in enumerate(firsts):
            for v2, (d2, i2, j2) in enumerate(seconds):
                if v1 == v2 or not math.isfinite(d1 + d2):
                    continue
                if v0 is not None and v0 not in (v1, v2):
                    continue
                new = [list(x) for x in routes]
                new[v1] = _insert(new[v1], pick, drop, i1, j1)
                new[v2] = _insert(new[v2], coll, deliv, i2, j2)
                out.append((d1 + d2 - saving, new))
    return out


def _rank(sol: TransferSolution) -> tuple[int, float]:
    return len(sol.unserved), round(sol.cost, 6)


def solve_with_transfers(
    tp: TransferProblem,
    time_limit: float = 10.0,
    seed: int = 0,
    direct_share: float = 0.4,
    final_share: float = 0.2,
    beam: int = 3,
    polish_seconds: float = 0.5,
    metaheuristics: tuple[str, ...] = ("GUIDED_LOCAL_SEARCH", "TABU_SEARCH"),
) -> TransferSolution:
    """Search in three steps.

    1. Routes without transfers (the routing search on the direct model).
    2. A beam search over transfers: from each of the ``beam`` best solutions so far,
       every request carried by one vehicle is in turn moved through a station
       (:func:`transfer_moves`), each result whose times hold is polished by a greedy
       descent of the routing search on the full model, and the best become the next
       beam. Level by level solutions get one transfer more; it stops when two levels
       in a row find nothing better, or time runs short.
    3. Guided local search on the full model from the best routes found.

    The routing search alone rarely changes how a request travels (that takes several
    moves through worse solutions), which is why step 2 makes those changes itself.
    """
    t0 = time.perf_counter()

    def left() -> float:
        return time_limit - (time.perf_counter() - t0)

    # Each metaheuristic in turn on the direct model: they get stuck in different places.
    runs = [
        solve_transfers(
            tp,
            time_limit * direct_share / len(metaheuristics),
            seed,
            allow_transfers=False,
            metaheuristic=m,
        )
        for m in metaheuristics
    ]
    best = min(runs, key=_rank)
    if not tp.stations:
        best.seconds = time.perf_counter() - t0
        return best
    frontier = [best]
    stale = 0
    reserve = time_limit * final_share
    while stale < 2 and left() > reserve:
        children: dict[tuple[int, float], TransferSolution] = {}
        # A level may take half the search time left, so deeper levels get their turn.
        level_end = time.perf_counter() + (left() - reserve) / 2
        moves = sorted(
            (
                (delta, k, routes)
                for k, p in enumerate(frontier)
                for delta, routes in transfer_moves(tp, p.routes)
            ),
            key=lambda x: (x[0], x[1]),
        )
        for _, _, routes in moves:
            if time.perf_counter() >= level_end and children:
                break
            if left() <= reserve:
                break
            if route_times(tp, routes) is None:
                continue
            sol = solve_transfers(
                tp,
                min(polish_seconds, max(0.05, left() - reserve)),
                seed,
                initial=routes,
                metaheuristic="GREEDY_DESCENT",
            )
            children.setdefault((len(sol.unserved), round(sol.cost, 6)), sol)
        if not children:
            break
        ranked = [children[c] for c in sorted(children)]
        frontier = ranked[:beam]
        if _rank(ranked[0]) < _rank(best):
            best, stale = ranked[0], 0
        else:
            stale += 1
    if left() > 0.2:
        sol = solve_transfers(
            tp, left(), seed, initial=best.routes, metaheuristic=metaheuristics[0]
        )
        if _rank(sol) < _rank(best):
            best = sol
    best.seconds = time.perf_counter() - t0
    return best

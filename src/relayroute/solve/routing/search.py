"""Searching the routing model: the search parameters, a warm start from earlier routes,
and reading a solution back as visits, train bookings, transload starts and node-key routes."""

from __future__ import annotations

import itertools
import math
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from relayroute.itineraries.gates import STEP
from relayroute.itineraries.problem import earliest_in
from relayroute.itineraries.trips import Visit
from relayroute.solve.routing.model import COST_SCALE, Expected, Keep, Model, Stopped, build
from relayroute.solve.stop import on_stop, stop_requested

if TYPE_CHECKING:
    from collections.abc import Callable

    from relayroute.itineraries.problem import Problem
    from relayroute.solve.config import SolverConfig
    from relayroute.solve.routing.nodes import NodeKey
    from relayroute.solve.timing import Timed

# A vehicle of the routing model as routes name it: a truck by its vehicle index, a train
# by (service, departure).
RouteKey = int | tuple[str, float]

STATUS = {
    0: "not_solved",
    1: "success",
    2: "partial_success_local_optimum_not_reached",
    3: "fail",
    4: "fail_timeout",
    5: "invalid",
    6: "infeasible",
    7: "optimal",
}


@dataclass
class RoutingResult:
    """What a routing search found."""

    sequences: dict[int, list[Visit]]  # vehicle index -> visits; empty for idle vehicles
    start_times: dict[int, float]  # vehicle index -> latest depot departure the search found
    objective: float | None
    seconds: float
    solutions: int
    status: str
    # Rail departures used: (service, departure) -> shipments riding it.
    bookings: dict[tuple[str, float], list[str]] = field(default_factory=dict)
    # Transload ways: first leg shipment -> start of its unloading at the station.
    transload_starts: dict[str, float] = field(default_factory=dict)
    # Every route as node keys (see ``NodeKey``), trucks by vehicle index and trains by
    # (service, departure): what a later search may start from (``initial``).
    routes: dict[RouteKey, list[NodeKey]] = field(default_factory=dict)
    built: float = 0.0  # seconds building the model (before ``seconds`` of search)
    first_at: float | None = None  # time.perf_counter() at the first solution


# Legs x vehicles from which the cheapest-insertion first solution looks at the nearest
# 10% of the nodes only: on liling-day (500 x 130) and a generated Liling day of 500 the
# first solution came at 17-20 s instead of 45 s, and the plan at 60 s served all 500
# shipments instead of 449 and 432 (two runs at once, load 4). OR-Tools checks its time
# limit and a stop only between insertions, so a shorter first solution also makes a stop
# answer sooner.
NEIGHBORS_SIZE = 30_000
NEIGHBORS_RATIO = 0.1
NEIGHBORS_MIN = 20


def model_size(prob: Problem) -> int:
    """Legs x vehicles: how large the routing model of ``prob`` is for its heuristics."""
    return len(prob.vehicles) * sum(len(way.parts) for ws in prob.ways.values() for way in ws)


# Fewest neighbours a local-search operator tries when limited to the nearest.
LS_NEIGHBORS_MIN = 10


# Operators of a ``recreate`` search: they only put unperformed visits in. Under the
# full operator set OR-Tools' local search keeps finding small moves elsewhere and never
# reaches them (yiwu-day, a route search from routes with 1-25 shipments taken out: none
# put back in 4 s; with these alone and greedy descent, all 25 back in 1.4 s).
RECREATE_OPERATORS = ("use_make_active", "use_relocate_and_make_active")


def parameters(
    config: SolverConfig,
    time_limit: float | None = None,
    size: int = 0,
    phase: Literal["search", "recreate", "descent"] = "search",
) -> pywrapcp.RoutingSearchParameters:
    """OR-Tools search parameters for a configuration (``time_limit`` overrides its);
    ``size``: the model's legs x vehicles (for ``insertion_neighbors`` left automatic);
    ``phase``: ``search`` as configured, ``descent`` greedy descent to the first local
    optimum, ``recreate`` that with only the operators that insert unperformed visits."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, config.first_solution_strategy
    )
    params.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, config.metaheuristic
    )
    limit = time_limit if time_limit is not None else config.time_limit
    params.time_limit.FromMilliseconds(int(limit * 1000))
    if config.solution_limit and phase == "search":  # a descent ends at its optimum
        params.solution_limit = config.solution_limit
    for op in config.lns_operators:
        setattr(params.local_search_operators, f"use_{op}", optional_boolean_pb2.BOOL_TRUE)
    params.lns_time_limit.FromMilliseconds(int(config.lns_time_limit * 1000))
    if config.gls_lambda is not None:
        params.guided_local_search_lambda_coefficient = config.gls_lambda
    params.log_search = config.log_search
    if config.ls_neighbors is not None:
        params.ls_operator_neighbors_ratio = config.ls_neighbors
        params.ls_operator_min_neighbors = LS_NEIGHBORS_MIN
    if config.iterated_local_search:
        params.use_iterated_local_search = True
        ils = params.iterated_local_search_parameters
        # SISR (string removals, Christiaens and Vanden Berghe) at its paper's settings.
        ruin = ils.ruin_recreate_parameters.ruin_strategies.add().sisr
        ruin.max_removed_sequence_size = 10
        ruin.avg_num_removed_visits = 10
        ruin.bypass_factor = 0.01
        ils.reference_solution_acceptance_strategy.simulated_annealing.automatic_temperatures = True
    if phase != "search":
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        )
    if phase == "recreate":
        ops = params.local_search_operators
        for f in ops.DESCRIPTOR.fields:
            on = f.name in RECREATE_OPERATORS
            setattr(
                ops,
                f.name,
                optional_boolean_pb2.BOOL_TRUE if on else optional_boolean_pb2.BOOL_FALSE,
            )
    ratio = config.insertion_neighbors
    if ratio is None:
        ratio = NEIGHBORS_RATIO if size >= NEIGHBORS_SIZE else 1.0
    if ratio < 1:
        insertion = params.global_cheapest_insertion_first_solution_parameters
        insertion.neighbors_ratio = ratio
        insertion.min_neighbors = NEIGHBORS_MIN
    return params


def solve_routing(
    prob: Problem,
    config: SolverConfig,
    time_limit: float | None = None,
    on_solution: Callable[[float, float], None] | None = None,
    utilisation: dict[str, float] | None = None,
    initial: dict[RouteKey, list[NodeKey]] | None = None,
    deadline: float | None = None,
    first_within: float | None = None,
    keep: Keep | None = None,
    phase: Literal["search", "recreate", "descent"] = "search",
    expect: Expected | None = None,
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
    utilisation
        Share of each station's loop-driver minutes the routes may use (default
        ``LOOP_UTILISATION``); lowered when timing shows a station cannot cope.
    initial
        Routes to start the search from instead of a first-solution heuristic (node keys
        of another model's ``routes``; nodes this model lacks are left out).
    deadline
        A ``time.perf_counter`` time the search ends by, whatever ``time_limit`` says:
        building the model counts against it.
    first_within
        Seconds of search after which, with no solution yet, the search gives up (the
        first-solution heuristic is stuck; the caller starts from other routes).
    keep
        Costs of leaving an earlier plan, added to the objective (re-planning; None:
        none).
    phase
        ``search`` as configured; ``descent`` or ``recreate`` (see :func:`parameters`)
        for the steps of a large-neighbourhood search.
    expect
        When stops are expected and the gates' queues, for the legs' gate hours (a
        timed plan's; None: each stop at its earliest, no queues).

    Returns
    -------
    RoutingResult
        The routes found (none if the search found no solution).
    """
    if stop_requested():  # building a large model takes a while: not for nothing
        return RoutingResult({}, {}, None, 0.0, 0, "interrupted")
    t_build = time.perf_counter()
    try:
        model = build(prob, config, utilisation, keep, expect)
    except Stopped:
        return RoutingResult(
            {}, {}, None, 0.0, 0, "interrupted", built=time.perf_counter() - t_build
        )
    built = time.perf_counter() - t_build
    routing = model.routing
    limit = time_limit if time_limit is not None else config.time_limit
    if deadline is not None:
        limit = min(limit, deadline - time.perf_counter())
    if limit <= 0.05 or stop_requested():
        return RoutingResult({}, {}, None, 0.0, 0, "no_time_left", built=built)
    params = parameters(config, limit, size=model_size(prob), phase=phase)
    t0 = time.perf_counter()
    found = [0]
    end = t0 + limit
    give_up = math.inf if first_within is None else t0 + first_within
    first: list[float] = []

    def limited() -> bool:
        now = time.perf_counter()
        return stop_requested() or now > end or (not first and now > give_up)

    # OR-Tools' own time limit is checked too seldom inside its first-solution
    # heuristics on large models; this limit also ends the search on a stop request.
    routing.AddSearchMonitor(routing.solver().CustomLimit(limited))

    # The callback must not hold the model: OR-Tools keeps the callback, and a model
    # reachable from its own callback is never freed (liling-day: 180 MB a search kept,
    # 8.5 GB on a generated 2,000-shipment day).
    ref = weakref.ref(routing)

    def at_solution() -> None:
        found[0] += 1
        if not first:
            first.append(time.perf_counter())
        r = ref()
        if r is None:
            return
        if stop_requested():
            r.solver().FinishCurrentSearch()  # keep this solution, stop searching
        if on_solution is not None:
            on_solution(time.perf_counter() - t0, r.CostVar().Value() / COST_SCALE)

    routing.AddAtSolutionCallback(at_solution)
    start = None if initial is None else warm_start(model, params, initial)
    # A stop ends the search at once (CancelSearch is thread-safe; the best stays).
    with on_stop(routing.CancelSearch):
        if start is not None:
            solution = routing.SolveFromAssignmentWithParameters(start, params)
        else:
            solution = routing.SolveWithParameters(params)
    seconds = time.perf_counter() - t0
    status = routing.status()
    status_name = STATUS.get(int(status), str(status))
    if solution is None:
        return RoutingResult({}, {}, None, seconds, found[0], status_name, built=built)
    result = decode(model, solution, seconds, found[0], status_name)
    result.built = built
    result.first_at = first[0] if first else None
    return result


def routes_of(prob: Problem, trips: list[Timed]) -> dict[RouteKey, list[NodeKey]]:
    """Timed trips (the dispatcher's) as routing routes to start a search from: each
    truck's pickups and deliveries in its order, and each train's riders, boarding
    before alighting."""
    index = {veh: v for v, veh in enumerate(prob.vehicles)}
    delivered = {s for tt in trips for s in tt.times.delivered}
    routes: dict[RouteKey, list[NodeKey]] = {}
    riders: dict[tuple[str, float], list[str]] = {}
    for tt in trips:
        v = index.get(tt.trip.vehicle)
        if v is None:
            continue
        keys: list[NodeKey] = []
        for stop in tt.trip.stops:
            if stop.shipment is None or stop.kind not in ("pickup", "delivery"):
                continue
            way = prob.way_of.get(stop.shipment)
            if way is not None and not all(leg in delivered for leg in way.parts):
                continue
            keys.append(("p" if stop.kind == "pickup" else "d", stop.shipment))
            first_leg_done = stop.kind == "delivery" and way is not None and way.kind == "rail"
            if first_leg_done and way is not None and stop.shipment == way.parts[0]:
                train = (str(way.service), float(way.departure or 0.0))
                riders.setdefault(train, []).append(way.parts[0])
        if keys:
            routes[v] = keys
    for train, legs in riders.items():
        ride: list[NodeKey] = [("on", leg) for leg in legs]
        routes[train] = ride + [("off", leg) for leg in legs]
    return routes


def expected_of(prob: Problem, trips: list[Timed], queues: bool = True) -> Expected:
    """What timed trips show for the next routing model's gate hours: when each stop
    started and, with ``queues``, per checkpoint with a throughput the mean minutes a
    truck queued there once it was open, per band of its opening for the truck (every
    crossing counts, queued or not)."""
    cps = prob.inst.checkpoints_by_id
    times: dict[NodeKey, float] = {}
    queued: dict[str, dict[int, list[float]]] = {}
    for tt in trips:
        stops, start = tt.trip.stops, tt.times.start
        for i, stop in enumerate(stops):
            if stop.shipment is not None and stop.kind in ("pickup", "delivery"):
                times[("p" if stop.kind == "pickup" else "d", stop.shipment)] = start[i]
        for k, leg in enumerate(tt.trip.legs):
            now = start[k] + stops[k].service
            driven = 0.0
            for c, at in zip(leg.route.crossings, tt.times.inspect[k], strict=False):
                now += c.offset - driven
                cp = cps[c.checkpoint]
                if queues and cp.throughput_per_hour is not None:
                    # By the band the gate opens for the truck, as a GateClock reads it.
                    opens = earliest_in([(a, b) for a, b in cp.hours], now)
                    opens = now if opens is None else opens
                    band = queued.setdefault(c.checkpoint, {}).setdefault(int(opens // STEP), [])
                    band.append(max(0.0, at - opens))
                now = at + c.delay
                driven = c.offset + c.delay
    bands = math.ceil(prob.inst.horizon / STEP) + 1
    waits = {
        cp: [sum(by[k]) / len(by[k]) if by.get(k) else 0.0 for k in range(bands)]
        for cp, by in queued.items()
        if any(x > 0 for xs in by.values() for x in xs)
    }
    return Expected(times, waits)


def warm_start(
    model: Model,
    params: pywrapcp.RoutingSearchParameters,
    initial: dict[RouteKey, list[NodeKey]],
) -> pywrapcp.Assignment | None:
    """Close the model and read ``initial`` routes into an assignment to start from
    (None if OR-Tools cannot make one of them)."""
    routing, nodes = model.routing, model.nodes
    routing.CloseModelWithParameters(params)
    node_of = {k: node for node, k in nodes.key.items()}
    vehicle_keys: list[RouteKey] = [
        *range(model.n_trucks),
        *((str(svc), float(dep or 0)) for svc, dep in nodes.trains),
    ]
    routes = [
        [model.index(node_of[k]) for k in initial.get(vk, []) if k in node_of]
        for vk in vehicle_keys
    ]
    # The routes as they are, checked: reading them in (ReadAssignmentFromRoutes) runs
    # OR-Tools' finaliser under the search's own time limit, and took all of it
    # (measured on a liling-day re-plan: 13.6 s of a 13.6 s search, then status fail).
    # Visits a truck's route cannot keep in the model's whole minutes are left out
    # first (8 of 88 routes ran 1-32 minutes past their end there).
    routes = _trimmed(model, routes)
    direct = routing.solver().Assignment()
    if routing.RoutesToAssignment(routes, True, True, direct) and routing.solver().CheckAssignment(
        direct
    ):
        return direct
    start = routing.ReadAssignmentFromRoutes(routes, True)
    if start is not None or len(initial) < 2:
        return start
    # A few routes the model finds infeasible (its whole minutes against the timing's)
    # would cost the whole start: keep the largest set of routes it accepts, found by
    # halving (2 of 600 routes on the generated 2,000-shipment Yiwu day).
    keep = _accepted(routing, routes, [v for v, r in enumerate(routes) if r])
    return routing.ReadAssignmentFromRoutes(
        [r if v in keep else [] for v, r in enumerate(routes)], True
    )


def _fits(model: Model, v: int, route: list[int]) -> bool:
    """Whether truck ``v`` can drive ``route`` within its nodes' time windows and its
    span, in the model's whole minutes (latest start backwards, then earliest forwards)."""
    routing, tdim = model.routing, model.time
    seq = [routing.Start(v), *route, routing.End(v)]
    transit = [tdim.GetTransitValue(a, b, v) for a, b in itertools.pairwise(seq)]
    lo = [tdim.CumulVar(i).Min() for i in seq]
    hi = [tdim.CumulVar(i).Max() for i in seq]
    late = hi[-1]
    for k in range(len(seq) - 2, -1, -1):
        late = min(hi[k], late - transit[k])
    if late < lo[0]:
        return False
    t = late  # leaving as late as it may: the shortest span
    for k in range(1, len(seq)):
        t = max(t + transit[k - 1], lo[k])
        if t > hi[k]:
            return False
    return t - late <= tdim.GetSpanUpperBoundForVehicle(v)


def _trimmed(model: Model, routes: list[list[int]]) -> list[list[int]]:
    """Each truck's route less the shipments (both their visits), in its order, that
    would take it past a window or its span; trains' routes as they are."""
    nodes, manager = model.nodes, model.manager
    out: list[list[int]] = []
    for v, r in enumerate(routes):
        if v >= model.n_trucks or not r or _fits(model, v, r):
            out.append(r)
            continue
        ships = [nodes.key[manager.IndexToNode(i)][1] for i in r]
        kept: set[str] = set()
        for sid in dict.fromkeys(ships):
            if _fits(model, v, [i for i, x in zip(r, ships, strict=True) if x in kept or x == sid]):
                kept.add(sid)
        out.append([i for i, x in zip(r, ships, strict=True) if x in kept])
    return out


def _accepted(routing: pywrapcp.RoutingModel, routes: list[list[int]], part: list[int]) -> set[int]:
    """The vehicles of ``part`` whose routes the model accepts together (by halving)."""
    chosen = set(part)
    if routing.ReadAssignmentFromRoutes(
        [r if v in chosen else [] for v, r in enumerate(routes)], True
    ):
        return chosen
    if len(part) == 1:
        return set()
    half = len(part) // 2
    left = _accepted(routing, routes, part[:half])
    right = _accepted(routing, routes, part[half:])
    both = left | right
    if routing.ReadAssignmentFromRoutes(
        [r if v in both else [] for v, r in enumerate(routes)], True
    ):
        return both
    return max(left, right, key=len)


def decode(
    model: Model, solution: pywrapcp.Assignment, seconds: float, solutions: int, status: str
) -> RoutingResult:
    """A solution as visits per truck, train bookings, transload starts and node-key
    routes."""
    routing, manager, nodes, n_trucks = model.routing, model.manager, model.nodes, model.n_trucks
    tdim = model.time
    by_node = {nodes.pick[s.id]: Visit("pickup", s.id) for s in nodes.ships if s.id in nodes.pick}
    by_node.update({nodes.drop[s.id]: Visit("delivery", s.id) for s in nodes.ships})
    riding = {on: sid for (sid, _), (on, _) in nodes.board.items()}
    sequences: dict[int, list[Visit]] = {}
    start_times: dict[int, float] = {}
    bookings: dict[tuple[str, float], list[str]] = {}
    routes: dict[RouteKey, list[NodeKey]] = {}
    for v in range(n_trucks + len(nodes.trains)):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        seq = []
        keys_v: list[NodeKey] = []
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            keys_v.append(nodes.key[node])
            if v >= n_trucks:
                if node in riding:
                    svc_id, dep = nodes.trains[v - n_trucks]
                    bookings.setdefault((str(svc_id), float(dep or 0)), []).append(riding[node])
            elif node in by_node:  # padding pairs are no visits
                seq.append(by_node[node])
            index = solution.Value(routing.NextVar(index))
        if keys_v:
            if v < n_trucks:
                routes[v] = keys_v
            else:
                svc_id, dep = nodes.trains[v - n_trucks]
                routes[(str(svc_id), float(dep or 0))] = keys_v
        if seq:
            if nodes.loaded:  # everything it delivers was loaded at the depot before it left
                seq = [Visit("pickup", x.shipment) for x in seq] + seq
            sequences[v] = seq
            start_times[v] = float(solution.Value(tdim.CumulVar(routing.Start(v))))
    transload_starts = {}
    for _, ways in nodes.units:
        for way in ways:
            if way.kind == "transload":
                index = model.index(nodes.drop[way.parts[0]])
                if solution.Value(routing.ActiveVar(index)):
                    transload_starts[way.parts[0]] = float(solution.Value(tdim.CumulVar(index)))
    return RoutingResult(
        sequences,
        start_times,
        solution.ObjectiveValue() / COST_SCALE,
        seconds,
        solutions,
        status,
        bookings,
        transload_starts,
        routes,
    )

"""OR-Tools RoutingModel for truck routes: pickup-and-delivery pairs, capacities,
time windows, lateness past ``due`` as a soft upper bound, disjunctions for unserved."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from relayroute.itineraries.problem import Problem
from relayroute.itineraries.trips import Visit, transit_matrices
from relayroute.itineraries.ways import Way
from relayroute.model.instance import Instance
from relayroute.solve.config import SolverConfig

COST_SCALE = 100  # objective units per priority-weighted minute, so weights keep 2 decimals
QTY_SCALE = 1000  # capacity units per quantity unit


@dataclass
class RoutingResult:
    sequences: dict[int, list[Visit]]  # vehicle index -> visits; empty for idle vehicles
    start_times: dict[int, float]  # vehicle index -> latest depot departure the search found
    objective: float | None
    seconds: float
    solutions: int
    status: str
    # Rail departures used: (service, departure) -> shipments riding it.
    bookings: dict[tuple[str, float], list[str]] = field(default_factory=dict)
    # Transload ways: first leg shipment -> start of its unloading at the station.
    handoffs: dict[str, float] = field(default_factory=dict)
    # Every route as node keys (see ``NodeKey``), trucks by vehicle index and trains by
    # (service, departure): what a later search may start from (``initial``).
    routes: dict[int | tuple[str, float], list[NodeKey]] = field(default_factory=dict)


# A routing node named by what it stands for, not by its index in one model: a leg's
# pickup or delivery ("p"/"d", leg), a padding pair's ends ("pad", way's first leg, n,
# 0/1) or a rail way's boarding and alighting ("on"/"off", way's first leg).
NodeKey = tuple[str, ...]


def weights(inst: Instance, config: SolverConfig) -> dict[str, float]:
    """Instance objective weights with the configuration's overrides."""
    w = inst.objective.model_dump()
    unknown = set(config.objective) - set(w)
    if unknown:
        raise ValueError(f"unknown objective weight(s): {', '.join(sorted(unknown))}")
    w.update(config.objective)
    return w


# Share of a station's loop-driver minutes the routes may plan to use: drivers cannot be
# packed end to end, and queues at bays and checkpoints take their part.
LOOP_UTILISATION = 0.85


def _station_limits(
    prob: Problem,
    routing: pywrapcp.RoutingModel,
    tdim: pywrapcp.RoutingDimension,
    loop_transits: Sequence[int],
    inside: list[tuple[int, str, float]],
    horizon: int,
    utilisation: dict[str, float],
) -> None:
    """What the routes can know of relay stations without timing them against each other.

    Loop-driver minutes: the excursions of the trucks homed at a station add up to no
    more than its loop drivers can work (a dimension summed over those trucks' ends).
    Station hours: an inside stop (routing index, place, service minutes) on a truck
    homed at a station is served while the station is open long enough to take the
    truck in and bring it back.
    """
    if not any(prob.swap_stations.values()):
        return
    solver = routing.solver()
    routing.AddDimensionWithVehicleTransits(list(loop_transits), 0, horizon * 4, True, "loop")
    ldim = routing.GetDimensionOrDie("loop")
    homed: dict[str, list[int]] = {}
    for v, veh in enumerate(prob.vehicles):
        for _, sid in veh.stations:
            homed.setdefault(sid, []).append(v)
    for sid, vs in homed.items():
        minutes = sum(count * duty for _, count, _, duty in prob.loop_pools(sid))
        cap = int(minutes * utilisation.get(sid, LOOP_UTILISATION))
        solver.Add(solver.Sum([ldim.CumulVar(routing.End(v)) for v in vs]) <= cap)
        st = prob.station(sid)
        if not st.hours:
            continue
        assert st.zone is not None  # a swap station serves a zone
        loop = prob.loop_tables[st.zone]
        opens, closes = min(a for a, _ in st.hours), max(b for _, b in st.hours)
        s_idx = loop.index[st.place]
        for index, place, service in inside:
            if prob.place_zone[place] != st.zone:
                continue
            p_idx = loop.index[place]
            lo = int(math.ceil(opens + st.handover_minutes + loop.minutes[s_idx, p_idx]))
            hi = int(
                math.floor(closes - st.handover_minutes - loop.minutes[p_idx, s_idx] - service)
            )
            homed_here = solver.IsMemberVar(routing.VehicleVar(index), vs)
            var = tdim.CumulVar(index)
            # Only binds when the stop rides a truck homed at this station.
            solver.Add(var >= lo * homed_here)
            solver.Add(var <= hi + (horizon - hi) * (1 - homed_here))


def _loaded_at_start(prob: Problem, units: list[tuple[str, list[Way]]]) -> bool:
    """Every shipment goes by road from the one depot all trucks start at, loaded with no
    service time before any truck can leave: then the pickups are the start of each route
    and the model needs only the deliveries (a truck's load is what it has still to
    deliver), half the nodes and no pairs — the classic VRPTW model."""
    inst = prob.inst
    starts = {prob.depot_place(t) for t in inst.trucks}
    if len(starts) != 1 or inst.zones or inst.rail_services:
        return False
    depot = next(iter(starts))
    earliest = min(prob.duty[t.id][0] for t in inst.trucks)
    hours = inst.places_by_id[depot].hours
    for sid, ways in units:
        if len(ways) != 1 or ways[0].kind != "road":
            return False
        s = inst.shipments_by_id[sid]
        if s.origin != depot or s.pickup_minutes > 0 or s.ready > earliest:
            return False
    return not hours or any(a <= earliest for a, _ in hours)


def solve_routing(
    prob: Problem,
    config: SolverConfig,
    time_limit: float | None = None,
    on_solution: Callable[[float, float], None] | None = None,
    utilisation: dict[str, float] | None = None,
    initial: dict[int | tuple[str, float], list[NodeKey]] | None = None,
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
    """
    inst = prob.inst
    w = weights(inst, config)
    vehicles = prob.vehicles
    trucks = inst.trucks_by_id
    by_id = inst.shipments_by_id
    places = inst.places_by_id
    # Every leg of every servable way: the shipment itself for road, leg shipments else.
    units = list(prob.ways.items())
    ships = [by_id[leg] for _, ways in units for way in ways for leg in way.legs]
    rail_stations = {r.id: r for r in inst.rail_stations}
    services = {svc.id: svc for svc in inst.rail_services}
    trains = sorted(
        {(way.service, way.departure) for _, ways in units for way in ways if way.kind == "rail"},
        key=lambda x: (str(x[0]), float(x[1] or 0)),
    )

    # Nodes: one per distinct depot place, then pickup and delivery of each leg, then
    # each train's start and end, then each rail way's boarding and alighting.
    depot_places = sorted(
        {prob.depot_place(trucks[v.truck]) for v in vehicles}
        | {prob.depot_place(trucks[v.truck], True) for v in vehicles}
    )
    loaded = _loaded_at_start(prob, units)
    node_place: list[str] = list(depot_places)
    node_service: list[float] = [0.0] * len(depot_places)
    pick: dict[str, int] = {}
    drop: dict[str, int] = {}
    node_key: dict[int, NodeKey] = {}
    for s in ships:
        if not loaded:
            pick[s.id] = len(node_place)
            node_key[len(node_place)] = ("p", s.id)
            node_place.append(s.origin)
            node_service.append(s.pickup_minutes)
        drop[s.id] = len(node_place)
        node_key[len(node_place)] = ("d", s.id)
        node_place.append(s.destination)
        node_service.append(s.delivery_minutes)

    # All ways of a shipment get the same number of parts: shorter ones are padded with
    # empty pairs at the destination (no load, no time, no distance after the delivery).
    # Insertion heuristics add a way part by part; equal lengths let them compare ways
    # on their merits (cost, delay) from the first part on, not on how many parts remain.
    def parts(way: Way) -> int:
        return len(way.legs) + (1 if way.kind == "rail" else 0)

    pads: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for sid, ways in units:
        # Only where a train is an option: a transload's first part looks cheap to an
        # insertion heuristic (no delay yet), and measured on the demo, padding made the
        # search start transloads it could not finish and run six times slower.
        most = max(parts(way) for way in ways) if any(w.kind == "rail" for w in ways) else 0
        for k, way in enumerate(ways):
            pads[(sid, k)] = []
            for j in range(max(0, most - parts(way))):
                pads[(sid, k)].append((len(node_place), len(node_place) + 1))
                node_key[len(node_place)] = ("pad", way.legs[0], str(j), "0")
                node_key[len(node_place) + 1] = ("pad", way.legs[0], str(j), "1")
                node_place += [by_id[sid].destination] * 2
                node_service += [0.0, 0.0]
    train_ends: list[tuple[int, int]] = []
    for svc_id, _ in trains:
        svc = services[str(svc_id)]
        a, b = rail_stations[svc.origin].place, rail_stations[svc.destination].place
        train_ends.append((len(node_place), len(node_place) + 1))
        node_place += [a, b]
        node_service += [0.0, 0.0]
    board: dict[tuple[str, int], tuple[int, int]] = {}
    for sid, ways in units:
        for k, way in enumerate(ways):
            if way.kind == "rail":
                svc = services[str(way.service)]
                board[(sid, k)] = (len(node_place), len(node_place) + 1)
                node_key[len(node_place)] = ("on", way.legs[0])
                node_key[len(node_place) + 1] = ("off", way.legs[0])
                node_place += [
                    rail_stations[svc.origin].place,
                    rail_stations[svc.destination].place,
                ]
                node_service += [0.0, 0.0]
    n = len(node_place)
    n_trucks = len(vehicles)
    # The inner nodes of a way (between its first pickup and last delivery) carry a
    # penalty when left out, so that every insertion along a chosen way pays (a train
    # costs money before the last leg saves the shipment's penalty).
    inner_penalty = {
        sid: int(round(w["unserved"] * by_id[sid].priority * COST_SCALE)) // 8 for sid, _ in units
    }
    starts = [depot_places.index(prob.depot_place(trucks[v.truck])) for v in vehicles]
    ends = [depot_places.index(prob.depot_place(trucks[v.truck], True)) for v in vehicles]
    starts += [a for a, _ in train_ends]
    ends += [b for _, b in train_ends]
    manager = pywrapcp.RoutingIndexManager(n, n_trucks + len(trains), starts, ends)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    solver.ReSeed(config.seed)

    horizon = int(math.ceil(max([inst.horizon] + [prob.duty[t][1] for t in trucks])))
    big = 10 * horizon
    service = np.array(node_service)
    rail_nodes = np.zeros(n, dtype=bool)
    rail_nodes[n - 2 * len(board) - 2 * len(trains) :] = True
    time_cb: dict[object, int] = {}
    cost_cb: dict[object, int] = {}
    loop_cb: dict[object, int] = {}
    for veh in vehicles:
        key = (prob.profiles[veh.truck], veh.stations)
        if key in time_cb:
            continue
        minutes, km, loop = transit_matrices(prob, veh, node_place, service)
        # Trucks never visit train nodes (their vehicles are fixed below).
        minutes[rail_nodes, :] = 0.0
        minutes[:, rail_nodes] = 0.0
        km[rail_nodes, :] = 0.0
        km[:, rail_nodes] = 0.0
        loop[rail_nodes, :] = 0.0
        loop[:, rail_nodes] = 0.0
        finite = np.isfinite(minutes)
        tm = np.where(finite, np.ceil(np.where(finite, minutes, 0) - 1e-9), big).astype(np.int64)
        # Loop-driver minutes are the scarce resource the routing model cannot see as such.
        arc_cost = np.where(finite, km, 0) * w["km"] + loop * config.loop_minute_cost
        cm = np.where(finite, np.round(arc_cost * COST_SCALE), big * COST_SCALE).astype(np.int64)
        time_cb[key] = routing.RegisterTransitMatrix(tm.tolist())
        cost_cb[key] = routing.RegisterTransitMatrix(cm.tolist())
        loop_cb[key] = routing.RegisterTransitMatrix(np.ceil(loop - 1e-9).astype(np.int64).tolist())
    keys = [(prob.profiles[veh.truck], veh.stations) for veh in vehicles]
    # Trains carry goods at no routing cost and take no truck time: their times are
    # fixed by the timetable through the legs' windows.
    zero_cb = routing.RegisterTransitCallback(lambda i, j: 0)
    for v in range(n_trucks):
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[keys[v]], v)
        routing.SetFixedCostOfVehicle(int(round(w["truck"] * COST_SCALE)), v)
    for k, (svc_id, _) in enumerate(trains):
        v = n_trucks + k
        routing.SetArcCostEvaluatorOfVehicle(zero_cb, v)
        fixed = w["rail"] * services[str(svc_id)].cost
        routing.SetFixedCostOfVehicle(int(round(fixed * COST_SCALE)), v)

    routing.AddDimensionWithVehicleTransits(
        [time_cb[k] for k in keys] + [zero_cb] * len(trains), horizon, horizon, False, "time"
    )
    tdim = routing.GetDimensionOrDie("time")
    for v, veh in enumerate(vehicles):
        lo, hi, duty = prob.duty[veh.truck]
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

    dims = sorted(
        set(inst.capacity_dimensions()) | {d for svc in services.values() for d in svc.capacity}
    )
    board_ship = {nodes: by_id[sid] for (sid, _), nodes in board.items()}
    for dim in dims:
        demand = [0] * n
        for s in ships:
            q = int(math.ceil(s.quantity.get(dim, 0.0) * QTY_SCALE - 1e-6))
            if loaded:  # what is delivered so far: at most what the truck set out with
                demand[drop[s.id]] = q
            else:
                demand[pick[s.id]], demand[drop[s.id]] = q, -q
        cb = routing.RegisterUnaryTransitVector(demand)
        caps = [
            int(math.floor(trucks[veh.truck].capacity.get(dim, 0.0) * QTY_SCALE + 1e-6))
            for veh in vehicles
        ] + [0] * len(trains)
        routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load:{dim}")
        if not trains:
            continue
        # A departure's capacity: everything boarding it, whatever order the train's
        # route visits its boarding and alighting nodes in (they are all at once).
        boarding = [0] * n
        for (on, _), sh in board_ship.items():
            boarding[on] = int(math.ceil(sh.quantity.get(dim, 0.0) * QTY_SCALE - 1e-6))
        rail_caps = [0] * len(vehicles) + [
            int(math.floor(services[str(svc_id)].capacity.get(dim, 0.0) * QTY_SCALE + 1e-6))
            for svc_id, _ in trains
        ]
        routing.AddDimensionWithVehicleCapacity(
            routing.RegisterUnaryTransitVector(boarding), 0, rail_caps, True, f"rail:{dim}"
        )

    truck_vehicles = list(range(n_trucks))
    for s in ships:
        d = manager.NodeToIndex(drop[s.id])
        allowed = sorted(prob.eligible[s.id])
        if len(allowed) < len(truck_vehicles) or trains:
            routing.VehicleVar(d).SetValues([-1, *allowed])
        if not loaded:
            p = manager.NodeToIndex(pick[s.id])
            routing.AddPickupAndDelivery(p, d)
            solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
            solver.Add(routing.ActiveVar(p) == routing.ActiveVar(d))
            solver.Add(tdim.CumulVar(p) + int(math.ceil(s.pickup_minutes)) <= tdim.CumulVar(d))
            if len(allowed) < len(truck_vehicles) or trains:
                routing.VehicleVar(p).SetValues([-1, *allowed])
            set_hours(p, places[s.origin].hours, s.ready, horizon)
        hi = horizon if s.deadline is None else s.deadline - s.delivery_minutes
        set_hours(d, places[s.destination].hours, s.ready, hi)
        coeff = int(round(s.priority * w["delay"] * COST_SCALE))
        if coeff > 0 and s.due < 2 * horizon:
            tdim.SetCumulVarSoftUpperBound(d, int(math.floor(s.due - s.delivery_minutes)), coeff)
    train_index = {t: n_trucks + k for k, t in enumerate(trains)}
    stations = inst.relay_stations_by_id
    for sid, ways in units:
        sh = by_id[sid]
        firsts: list[int] = []
        lasts: list[int] = []
        for k, way in enumerate(ways):
            chain = [(pick.get(leg, drop[leg]), drop[leg]) for leg in way.legs]
            if way.kind == "rail":
                on, off = board[(sid, k)]
                at = 1 if way.legs[0].endswith("#1") else 0
                chain.insert(at, (on, off))
                ion, ioff = manager.NodeToIndex(on), manager.NodeToIndex(off)
                routing.AddPickupAndDelivery(ion, ioff)
                train = train_index[(way.service, way.departure)]
                routing.VehicleVar(ion).SetValues([-1, train])
                routing.VehicleVar(ioff).SetValues([-1, train])
            last_leg = way.legs[-1]
            for pad_on, pad_off in pads[(sid, k)]:
                ia, ib = manager.NodeToIndex(pad_on), manager.NodeToIndex(pad_off)
                routing.AddPickupAndDelivery(ia, ib)
                solver.Add(routing.VehicleVar(ia) == routing.VehicleVar(ib))
                routing.VehicleVar(ia).SetValues([-1, *sorted(prob.eligible[last_leg])])
                chain.append((pad_on, pad_off))
            idx = [(manager.NodeToIndex(a), manager.NodeToIndex(b)) for a, b in chain]
            firsts.append(idx[0][0])
            lasts.append(idx[-1][1])
            inner = [x for pair in idx for x in pair][1:-1]
            for x in inner:
                routing.AddDisjunction([x], inner_penalty[sid])
            # Each part only once the one before it is done: a way is taken whole or,
            # for a moment of the search, in part at the price of its missing parts.
            for (_, a_off), (b_on, _) in zip(idx, idx[1:]):
                solver.Add(routing.ActiveVar(b_on) <= routing.ActiveVar(a_off))
            if way.kind == "transload":
                st = stations[str(way.station)]
                first = by_id[way.legs[0]]
                gap = int(math.ceil(first.delivery_minutes + st.transload_minutes))
                solver.Add(tdim.CumulVar(idx[0][1]) + gap <= tdim.CumulVar(idx[1][0]))
                set_hours(idx[0][1], st.hours, 0, horizon)
                set_hours(idx[1][0], st.hours, 0, horizon)
        penalty = int(round(w["unserved"] * sh.priority * COST_SCALE))
        if firsts == lasts:  # a delivery loaded at the start: one node
            routing.AddDisjunction(firsts, penalty, 1)
        else:
            routing.AddDisjunction(firsts, penalty // 2 + penalty % 2, 1)
            routing.AddDisjunction(lasts, penalty // 2, 1)

    inside = [
        (manager.NodeToIndex(node), node_place[node], node_service[node])
        for node in range(len(depot_places), n)
        if not rail_nodes[node] and prob.place_zone.get(node_place[node]) is not None
    ]
    _station_limits(
        prob,
        routing,
        tdim,
        [loop_cb[k] for k in keys] + [zero_cb] * len(trains),
        inside,
        horizon,
        utilisation or {},
    )

    # A truck works as at most one of its vehicles (one home station a day).
    by_truck: dict[str, list[int]] = {}
    for v, veh in enumerate(vehicles):
        by_truck.setdefault(veh.truck, []).append(v)
    for vs in by_truck.values():
        if len(vs) > 1:
            solver.Add(solver.Sum([routing.ActiveVehicleVar(v) for v in vs]) <= 1)
    pools: dict[str, list[int]] = {}
    for v, veh in enumerate(vehicles):
        pool = trucks[veh.truck].driver_pool
        if pool is not None:
            pools.setdefault(pool, []).append(v)
    for pid, vs in pools.items():
        count = inst.pools_by_id[pid].count
        if count < len({vehicles[v].truck for v in vs}):
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
    if config.solution_limit:
        params.solution_limit = config.solution_limit
    for op in config.lns_operators:
        setattr(params.local_search_operators, f"use_{op}", optional_boolean_pb2.BOOL_TRUE)
    params.lns_time_limit.FromMilliseconds(int(config.lns_time_limit * 1000))
    if config.gls_lambda is not None:
        params.guided_local_search_lambda_coefficient = config.gls_lambda
    params.log_search = config.log_search

    t0 = time.perf_counter()
    found = [0]

    def at_solution() -> None:
        found[0] += 1
        if on_solution is not None:
            on_solution(time.perf_counter() - t0, routing.CostVar().Value() / COST_SCALE)

    routing.AddAtSolutionCallback(at_solution)
    start = None
    if initial is not None:
        routing.CloseModelWithParameters(params)
        node_of = {k: node for node, k in node_key.items()}
        vehicle_keys: list[int | tuple[str, float]] = [
            *range(n_trucks),
            *((str(svc), float(dep or 0)) for svc, dep in trains),
        ]
        start = routing.ReadAssignmentFromRoutes(
            [
                [manager.NodeToIndex(node_of[k]) for k in initial.get(vk, []) if k in node_of]
                for vk in vehicle_keys
            ],
            True,
        )
    if start is not None:
        solution = routing.SolveFromAssignmentWithParameters(start, params)
    else:
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
    sequences: dict[int, list[Visit]] = {}
    if solution is None:
        return RoutingResult(sequences, {}, None, seconds, found[0], status_name)
    by_node = {pick[s.id]: Visit("pickup", s.id) for s in ships if s.id in pick}
    by_node.update({drop[s.id]: Visit("delivery", s.id) for s in ships})
    riding = {on: sid for (sid, _), (on, _) in board.items()}
    start_times: dict[int, float] = {}
    bookings: dict[tuple[str, float], list[str]] = {}
    routes: dict[int | tuple[str, float], list[NodeKey]] = {}
    for v in range(n_trucks + len(trains)):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        seq = []
        keys_v: list[NodeKey] = []
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            keys_v.append(node_key[node])
            if v >= n_trucks:
                if node in riding:
                    svc_id, dep = trains[v - n_trucks]
                    bookings.setdefault((str(svc_id), float(dep or 0)), []).append(riding[node])
            elif node in by_node:  # padding pairs are no visits
                seq.append(by_node[node])
            index = solution.Value(routing.NextVar(index))
        if keys_v:
            if v < n_trucks:
                routes[v] = keys_v
            else:
                svc_id, dep = trains[v - n_trucks]
                routes[(str(svc_id), float(dep or 0))] = keys_v
        if seq:
            if loaded:  # everything it delivers was loaded at the depot before it left
                seq = [Visit("pickup", x.shipment) for x in seq] + seq
            sequences[v] = seq
            start_times[v] = float(solution.Value(tdim.CumulVar(routing.Start(v))))
    handoffs = {}
    for _, ways in units:
        for way in ways:
            if way.kind == "transload":
                index = manager.NodeToIndex(drop[way.legs[0]])
                if solution.Value(routing.ActiveVar(index)):
                    handoffs[way.legs[0]] = float(solution.Value(tdim.CumulVar(index)))
    return RoutingResult(
        sequences,
        start_times,
        solution.ObjectiveValue() / COST_SCALE,
        seconds,
        found[0],
        status_name,
        bookings,
        handoffs,
        routes,
    )

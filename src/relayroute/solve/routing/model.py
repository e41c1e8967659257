"""The OR-Tools RoutingModel of a problem: arc costs, the time and load dimensions,
pickup-and-delivery pairs, disjunctions for what may stay unserved, and the station and
fleet limits.

Lateness past ``due`` is a soft upper bound on the delivery's time. The order in which
the model is built is part of it (OR-Tools' search depends on the order of dimensions,
pairs and disjunctions), so each step below keeps its place in :func:`build`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_parameters_pb2

from relayroute.itineraries.gates import timed_gates
from relayroute.itineraries.problem import earliest_in
from relayroute.itineraries.trips import transit_matrices
from relayroute.solve.objective import unserved_cost
from relayroute.solve.routing.nodes import NodeKey, Nodes, layout
from relayroute.solve.stop import stop_requested


class Stopped(Exception):
    """A stop was asked for while the model was being built."""


if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from relayroute.itineraries.problem import Problem
    from relayroute.model.instance import Instance
    from relayroute.solve.config import SolverConfig

TRANSIT_MATRICES = False
COST_SCALE = 100  # objective units per priority-weighted minute, so weights keep 2 decimals
QTY_SCALE = 1000  # capacity units per quantity unit

# Share of a station's loop-driver minutes the routes may plan to use: drivers cannot be
# packed end to end, and queues at bays and checkpoints take their part.
LOOP_UTILISATION = 0.85


def weights(inst: Instance, config: SolverConfig) -> dict[str, float]:
    """Instance objective weights with the configuration's overrides.

    Raises
    ------
    ValueError
        The configuration names a weight the instance has not.
    """
    w = inst.objective.model_dump()
    unknown = set(config.objective) - set(w)
    if unknown:
        raise ValueError(f"unknown objective weight(s): {', '.join(sorted(unknown))}")
    w.update(config.objective)
    # Not a weight: unserved_cost's choice, for unserved_cost() (1: the day_end valuation).
    w["day_end"] = 1.0 if config.unserved_cost == "day_end" else 0.0
    return w


@dataclass(frozen=True)
class Keep:
    """What leaving an earlier plan costs, as terms of the routing objective (re-planning).

    Attributes
    ----------
    node_cost
        (vehicle index, node key) -> cost, in priority-weighted minutes, of that vehicle
        visiting that node (e.g. a pickup on another truck than before); 0 for none.
    times
        Node key -> (its earlier time, cost per minute its time moves away from it).
    """

    node_cost: Callable[[int, NodeKey], float]
    times: dict[NodeKey, tuple[float, float]]


@dataclass(frozen=True)
class Expected:
    """What a timed plan showed, for the next routing model's gate hours.

    Attributes
    ----------
    times
        Node key -> when its stop started.
    waits
        Checkpoint -> mean minutes a truck queued there, per :data:`gates.STEP` band.
    """

    times: dict[NodeKey, float]
    waits: dict[str, list[float]]


@dataclass
class Model:
    """A built routing model and what reading its solutions needs.

    Vehicles ``0 .. n_trucks - 1`` are the problem's vehicles, the rest its trains (in
    the order of ``nodes.trains``).
    """

    nodes: Nodes
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension
    horizon: int
    n_trucks: int

    def index(self, node: int) -> int:
        """The routing index of a node."""
        return int(self.manager.NodeToIndex(node))

    def set_hours(self, index: int, hours: list[tuple[float, float]], lo: float, hi: float) -> None:
        """The node at ``index`` starts within ``hours`` (none: any time) and [lo, hi]."""
        var = self.time.CumulVar(index)
        windows = sorted(
            (max(a, lo), min(b, hi)) for a, b in (hours or [(0.0, float(self.horizon))])
        )
        windows = [
            (math.ceil(a), math.floor(b)) for a, b in windows if math.ceil(a) <= math.floor(b)
        ]
        if not windows:  # cannot happen after classification; keep the node unperformed
            self.routing.ActiveVar(index).SetValue(0)
            return
        var.SetRange(windows[0][0], windows[-1][1])
        for (_, b), (a, _) in itertools.pairwise(windows):
            if b + 1 <= a - 1:
                var.RemoveInterval(b + 1, a - 1)


def build(
    prob: Problem,
    config: SolverConfig,
    utilisation: dict[str, float] | None = None,
    keep: Keep | None = None,
    expect: Expected | None = None,
) -> Model:
    """The routing model of ``prob``.

    Parameters
    ----------
    prob
        The prepared problem.
    config
        Search configuration (objective overrides, loop-minute cost, seed).
    utilisation
        Share of each station's loop-driver minutes the routes may use (default
        ``LOOP_UTILISATION``).
    keep
        Costs of leaving an earlier plan (None: none, the model as without them).
    expect
        When stops are expected and what queues the gates have (a timed plan's), for
        the legs' gate hours (None: each stop at its earliest, no queues).
    """
    inst = prob.inst
    w = weights(inst, config)
    nodes = layout(prob)
    n_trucks = len(prob.vehicles)
    manager = pywrapcp.RoutingIndexManager(
        nodes.n, n_trucks + len(nodes.trains), nodes.starts, nodes.ends
    )
    routing = pywrapcp.RoutingModel(manager, _model_parameters())
    routing.solver().ReSeed(config.seed)
    horizon = math.ceil(max([inst.horizon] + [prob.duty[t][1] for t in inst.trucks_by_id]))
    transits, loops = _arcs(prob, config, w, nodes, routing, horizon, manager, expect)
    model = Model(
        nodes, manager, routing, _time(prob, routing, transits, horizon), horizon, n_trucks
    )
    _loads(prob, model)
    _shipments(prob, model, w, config.protect_priority, config.protect_minutes)
    _ways(prob, model, w)
    _station_limits(prob, model, loops, utilisation or {})
    _fleet(prob, model)
    if keep is not None:
        _keep(model, keep)
    return model


def _keep(model: Model, keep: Keep) -> None:
    """The costs of leaving an earlier plan: per vehicle and node, a dimension whose span
    (what the vehicle's visits add up to) is priced 1:1; per node time, soft bounds on
    both sides of the earlier time."""
    nodes, routing = model.nodes, model.routing
    vectors: dict[tuple[int, ...], int] = {}
    cbs: list[int] = []
    total = 1
    for v in range(model.n_trucks):
        vec = [0] * nodes.n
        for node, key in nodes.key.items():
            vec[node] = max(0, round(keep.node_cost(v, key) * COST_SCALE))
        total = max(total, sum(vec) + 1)
        row = tuple(vec)
        if row not in vectors:
            vectors[row] = routing.RegisterUnaryTransitVector(vec)
        cbs.append(vectors[row])
    cbs += [routing.RegisterUnaryTransitVector([0] * nodes.n)] * len(nodes.trains)
    routing.AddDimensionWithVehicleTransits(cbs, 0, total, True, "keep")
    routing.GetDimensionOrDie("keep").SetSpanCostCoefficientForAllVehicles(1)
    node_of = {k: node for node, k in nodes.key.items()}
    for key, (t, per_minute) in keep.times.items():
        coeff = round(per_minute * COST_SCALE)
        if key not in node_of or coeff <= 0:
            continue
        index = model.index(node_of[key])
        model.time.SetCumulVarSoftUpperBound(index, math.floor(t), coeff)
        model.time.SetCumulVarSoftLowerBound(index, math.ceil(t), coeff)


def _arcs(
    prob: Problem,
    config: SolverConfig,
    w: dict[str, float],
    nodes: Nodes,
    routing: pywrapcp.RoutingModel,
    horizon: int,
    manager: pywrapcp.RoutingIndexManager,
    expect: Expected | None = None,
) -> tuple[list[int], list[int]]:
    """Register each vehicle's transit and cost matrices and set its arc and fixed costs;
    the time and loop-minute transit callbacks of every vehicle, trains last."""
    services = {svc.id: svc for svc in prob.inst.rail_services}
    big = 10 * horizon
    service = np.array(nodes.service)
    gates = None
    depart = None
    if config.gate_hours:
        gates = timed_gates(
            {c.id: c.hours for c in prob.inst.checkpoints if not c.closed},
            prob.inst.horizon,
            expect.waits if expect is not None else None,
        )
        if gates:
            depart = expected_starts(prob, nodes, expect.times if expect is not None else {})
    rail_nodes = nodes.rail
    time_cb: dict[object, int] = {}
    cost_cb: dict[object, int] = {}
    loop_cb: dict[object, int] = {}
    for veh in prob.vehicles:
        key = (prob.profiles[veh.truck], veh.stations)
        if key in time_cb:
            continue
        if stop_requested():  # each class's matrices take a second or two on large days
            raise Stopped
        minutes, km, loop = transit_matrices(prob, veh, nodes.place, service, depart, gates)
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
        cost_cb[key] = routing.RegisterTransitMatrix(cm.tolist())
        if TRANSIT_MATRICES:
            time_cb[key] = routing.RegisterTransitMatrix(tm.tolist())
            lm = np.ceil(loop - 1e-9).astype(np.int64).tolist()
            loop_cb[key] = routing.RegisterTransitMatrix(lm)
        else:
            time_cb[key] = routing.RegisterTransitCallback(_lookup(manager, tm))
            lm = np.ceil(loop - 1e-9).astype(np.int64)
            loop_cb[key] = routing.RegisterTransitCallback(_lookup(manager, lm))
    keys = [(prob.profiles[veh.truck], veh.stations) for veh in prob.vehicles]
    # Trains carry goods at no routing cost and take no truck time: their times are
    # fixed by the timetable through the legs' windows.
    zero_cb = routing.RegisterTransitCallback(lambda i, j: 0)
    n_trucks = len(prob.vehicles)
    for v in range(n_trucks):
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[keys[v]], v)
        routing.SetFixedCostOfVehicle(round(w["truck"] * COST_SCALE), v)
    for k, (svc_id, _) in enumerate(nodes.trains):
        v = n_trucks + k
        routing.SetArcCostEvaluatorOfVehicle(zero_cb, v)
        fixed = w["rail"] * services[str(svc_id)].cost
        routing.SetFixedCostOfVehicle(round(fixed * COST_SCALE), v)
    trains = [zero_cb] * len(nodes.trains)
    return [time_cb[k] for k in keys] + trains, [loop_cb[k] for k in keys] + trains


def expected_starts(prob: Problem, nodes: Nodes, times: Mapping[NodeKey, float]) -> np.ndarray:
    """When each node's stop is expected to start: as ``times`` says, else as early as
    it can (a pickup at its ready time, its place's opening and the first duty start of
    the trucks that may carry it, a delivery at its
    earliest end alone less its service, a depot at the earliest duty start of the
    trucks there); NaN for padding and rail nodes."""
    inst = prob.inst
    by_id = inst.shipments_by_id
    places = inst.places_by_id
    out = np.full(nodes.n, np.nan)
    for k, place in enumerate(nodes.depot_places):
        starts = [
            prob.duty[v.truck][0]
            for v in prob.vehicles
            if prob.depot_place(inst.trucks_by_id[v.truck]) == place
        ]
        out[k] = min(starts, default=np.nan)
    for node, key in nodes.key.items():
        if key in times:
            out[node] = times[key]
        elif key[0] == "p":
            sh = by_id[key[1]]
            # No truck that may carry it is out before its duty starts.
            duty = min(
                (prob.duty[prob.vehicles[v].truck][0] for v in prob.eligible.get(sh.id, [])),
                default=0.0,
            )
            t = earliest_in(places[sh.origin].hours, max(sh.ready, duty))
            out[node] = max(sh.ready, duty) if t is None else t
        elif key[0] == "d":
            sh = by_id[key[1]]
            out[node] = prob.solo.get(sh.id, sh.ready + sh.delivery_minutes) - sh.delivery_minutes
    return out


def _model_parameters() -> routing_parameters_pb2.RoutingModelParameters:
    """OR-Tools' model parameters, the search trail kept uncompressed: zlib packing of
    the trail took 7 % of the local search on yiwu-day (py-spy), memory is plentiful."""
    params = pywrapcp.DefaultRoutingModelParameters()
    params.solver_parameters.compress_trail = params.solver_parameters.NO_COMPRESSION
    return params


def _lookup(manager: pywrapcp.RoutingIndexManager, matrix: np.ndarray) -> Callable[[int, int], int]:
    """A transit callback reading ``matrix`` (node x node) by routing index.

    OR-Tools 9.15 copies a transit matrix's callback, matrix and all, each time its
    cumulative filter checks a route (measured: 80 % of the local search's time on
    liling-day, in malloc); a Python callback over index-ordered rows is copied as a
    reference.
    """
    n = manager.GetNumberOfIndices()
    order = np.array([manager.IndexToNode(i) for i in range(n)])
    rows: list[list[int]] = matrix[np.ix_(order, order)].tolist()

    def transit(i: int, j: int) -> int:
        return rows[i][j]

    return transit


def _time(
    prob: Problem, routing: pywrapcp.RoutingModel, transits: list[int], horizon: int
) -> pywrapcp.RoutingDimension:
    """The time dimension: each truck within its hours and duty, leaving as late and
    coming back as early as its route allows."""
    routing.AddDimensionWithVehicleTransits(transits, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    for v, veh in enumerate(prob.vehicles):
        lo, hi, duty = prob.duty[veh.truck]
        tdim.CumulVar(routing.Start(v)).SetRange(math.ceil(lo), math.floor(hi))
        tdim.CumulVar(routing.End(v)).SetRange(math.ceil(lo), math.floor(hi))
        tdim.SetSpanUpperBoundForVehicle(math.floor(duty), v)
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.End(v)))
        routing.AddVariableMaximizedByFinalizer(tdim.CumulVar(routing.Start(v)))
    return tdim


def _loads(prob: Problem, model: Model) -> None:
    """A load dimension per capacity dimension for the trucks and, with trains, a
    boarding dimension per capacity dimension for each departure."""
    inst, nodes, routing = prob.inst, model.nodes, model.routing
    trucks = inst.trucks_by_id
    by_id = inst.shipments_by_id
    services = {svc.id: svc for svc in inst.rail_services}
    dims = sorted(
        set(inst.capacity_dimensions()) | {d for svc in services.values() for d in svc.capacity}
    )
    board_ship = {on_off: by_id[sid] for (sid, _), on_off in nodes.board.items()}
    for dim in dims:
        demand = [0] * nodes.n
        for s in nodes.ships:
            q = math.ceil(s.quantity.get(dim, 0.0) * QTY_SCALE - 1e-6)
            if nodes.loaded:  # what is delivered so far: at most what the truck set out with
                demand[nodes.drop[s.id]] = q
            else:
                demand[nodes.pick[s.id]], demand[nodes.drop[s.id]] = q, -q
        cb = routing.RegisterUnaryTransitVector(demand)
        caps = [
            math.floor(trucks[veh.truck].capacity.get(dim, 0.0) * QTY_SCALE + 1e-6)
            for veh in prob.vehicles
        ] + [0] * len(nodes.trains)
        routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, f"load:{dim}")
        if not nodes.trains:
            continue
        # A departure's capacity: everything boarding it, whatever order the train's
        # route visits its boarding and alighting nodes in (they are all at once).
        boarding = [0] * nodes.n
        for (on, _), sh in board_ship.items():
            boarding[on] = math.ceil(sh.quantity.get(dim, 0.0) * QTY_SCALE - 1e-6)
        rail_caps = [0] * len(prob.vehicles) + [
            math.floor(services[str(svc_id)].capacity.get(dim, 0.0) * QTY_SCALE + 1e-6)
            for svc_id, _ in nodes.trains
        ]
        routing.AddDimensionWithVehicleCapacity(
            routing.RegisterUnaryTransitVector(boarding), 0, rail_caps, True, f"rail:{dim}"
        )


def _shipments(
    prob: Problem,
    model: Model,
    w: dict[str, float],
    protect: float | None = None,
    protect_minutes: float = 0.0,
) -> None:
    """Each leg: the trucks that may carry it, its pickup before its delivery on the same
    truck, its places' hours, ready time and deadline, and the cost of delay past due;
    legs of priority ``protect`` or more that could be on time delivered at most
    ``protect_minutes`` late."""
    inst, nodes, routing, tdim = prob.inst, model.nodes, model.routing, model.time
    solver = routing.solver()
    places = inst.places_by_id
    horizon = model.horizon
    for s in nodes.ships:
        d = model.index(nodes.drop[s.id])
        allowed = sorted(prob.eligible[s.id])
        if len(allowed) < model.n_trucks or nodes.trains:
            routing.VehicleVar(d).SetValues([-1, *allowed])
        if not nodes.loaded:
            p = model.index(nodes.pick[s.id])
            routing.AddPickupAndDelivery(p, d)
            solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
            solver.Add(routing.ActiveVar(p) == routing.ActiveVar(d))
            solver.Add(tdim.CumulVar(p) + math.ceil(s.pickup_minutes) <= tdim.CumulVar(d))
            if len(allowed) < model.n_trucks or nodes.trains:
                routing.VehicleVar(p).SetValues([-1, *allowed])
            model.set_hours(p, places[s.origin].hours, s.ready, horizon)
        hi = horizon if s.deadline is None else s.deadline - s.delivery_minutes
        if protect is not None and s.priority >= protect and prob.solo.get(s.id, math.inf) <= s.due:
            # Urgent goods that could be on time: never later than protect_minutes.
            hi = min(hi, s.due + protect_minutes - s.delivery_minutes)
        model.set_hours(d, places[s.destination].hours, s.ready, hi)
        coeff = round(s.priority * w["delay"] * COST_SCALE)
        if coeff > 0 and s.due < 2 * horizon:
            tdim.SetCumulVarSoftUpperBound(d, math.floor(s.due - s.delivery_minutes), coeff)


def _ways(prob: Problem, model: Model, w: dict[str, float]) -> None:
    """Each way as a chain of pairs taken in order (legs, the train ride, padding), and
    the disjunctions that let a shipment go unserved at its penalty."""
    inst, nodes, routing, tdim = prob.inst, model.nodes, model.routing, model.time
    solver = routing.solver()
    by_id = inst.shipments_by_id
    stations = inst.relay_stations_by_id
    train_index = {t: model.n_trucks + k for k, t in enumerate(nodes.trains)}
    # The inner nodes of a way (between its first pickup and last delivery) carry a
    # penalty when left out, so that every insertion along a chosen way pays (a train
    # costs money before the last leg saves the shipment's penalty).
    inner_penalty = {
        sid: round(unserved_cost(by_id[sid], w, inst.horizon) * COST_SCALE) // 8
        for sid, _ in nodes.units
    }
    for sid, ways in nodes.units:
        sh = by_id[sid]
        firsts: list[int] = []
        lasts: list[int] = []
        for k, way in enumerate(ways):
            chain = [(nodes.pick.get(leg, nodes.drop[leg]), nodes.drop[leg]) for leg in way.parts]
            if way.kind == "rail":
                on, off = nodes.board[(sid, k)]
                at = 1 if way.parts[0].endswith("#1") else 0
                chain.insert(at, (on, off))
                ion, ioff = model.index(on), model.index(off)
                routing.AddPickupAndDelivery(ion, ioff)
                train = train_index[(way.service, way.departure)]
                routing.VehicleVar(ion).SetValues([-1, train])
                routing.VehicleVar(ioff).SetValues([-1, train])
            last_leg = way.parts[-1]
            for pad_on, pad_off in nodes.pads[(sid, k)]:
                ia, ib = model.index(pad_on), model.index(pad_off)
                routing.AddPickupAndDelivery(ia, ib)
                solver.Add(routing.VehicleVar(ia) == routing.VehicleVar(ib))
                routing.VehicleVar(ia).SetValues([-1, *sorted(prob.eligible[last_leg])])
                chain.append((pad_on, pad_off))
            idx = [(model.index(a), model.index(b)) for a, b in chain]
            firsts.append(idx[0][0])
            lasts.append(idx[-1][1])
            inner = [x for pair in idx for x in pair][1:-1]
            for x in inner:
                routing.AddDisjunction([x], inner_penalty[sid])
            # Each part only once the one before it is done: a way is taken whole or,
            # for a moment of the search, in part at the price of its missing parts.
            for (_, a_off), (b_on, _) in itertools.pairwise(idx):
                solver.Add(routing.ActiveVar(b_on) <= routing.ActiveVar(a_off))
            if way.kind == "transload":
                st = stations[str(way.station)]
                first = by_id[way.parts[0]]
                gap = math.ceil(first.delivery_minutes + st.transload_minutes)
                solver.Add(tdim.CumulVar(idx[0][1]) + gap <= tdim.CumulVar(idx[1][0]))
                model.set_hours(idx[0][1], st.hours, 0, model.horizon)
                model.set_hours(idx[1][0], st.hours, 0, model.horizon)
        penalty = round(unserved_cost(sh, w, inst.horizon) * COST_SCALE)
        if firsts == lasts:  # a delivery loaded at the start: one node
            routing.AddDisjunction(firsts, penalty, 1)
        else:
            routing.AddDisjunction(firsts, penalty // 2 + penalty % 2, 1)
            routing.AddDisjunction(lasts, penalty // 2, 1)


def _station_limits(
    prob: Problem, model: Model, loop_transits: Sequence[int], utilisation: dict[str, float]
) -> None:
    """What the routes can know of relay stations without timing them against each other.

    Loop-driver minutes: the excursions of the trucks homed at a station add up to no
    more than its loop drivers can work (a dimension summed over those trucks' ends).
    Station hours: an inside stop on a truck homed at a station is served while the
    station is open long enough to take the truck in and bring it back.
    """
    if not any(prob.swap_stations.values()):
        return
    nodes, routing, tdim, horizon = model.nodes, model.routing, model.time, model.horizon
    rail_nodes = nodes.rail
    # Inside stops: (routing index, place, service minutes).
    inside = [
        (model.index(node), nodes.place[node], nodes.service[node])
        for node in range(len(nodes.depot_places), nodes.n)
        if not rail_nodes[node] and prob.place_zone.get(nodes.place[node]) is not None
    ]
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
            lo = math.ceil(opens + st.handover_minutes + loop.minutes[s_idx, p_idx])
            hi = math.floor(closes - st.handover_minutes - loop.minutes[p_idx, s_idx] - service)
            homed_here = solver.IsMemberVar(routing.VehicleVar(index), vs)
            var = tdim.CumulVar(index)
            # Only binds when the stop rides a truck homed at this station.
            solver.Add(var >= lo * homed_here)
            solver.Add(var <= hi + (horizon - hi) * (1 - homed_here))


def _fleet(prob: Problem, model: Model) -> None:
    """A truck works as at most one of its vehicles (one home station a day), and a
    driver pool sends out no more trucks than it has drivers."""
    inst, routing, vehicles = prob.inst, model.routing, prob.vehicles
    solver = routing.solver()
    by_truck: dict[str, list[int]] = {}
    for v, veh in enumerate(vehicles):
        by_truck.setdefault(veh.truck, []).append(v)
    for vs in by_truck.values():
        if len(vs) > 1:
            solver.Add(solver.Sum([routing.ActiveVehicleVar(v) for v in vs]) <= 1)
    pools: dict[str, list[int]] = {}
    for v, veh in enumerate(vehicles):
        pool = inst.trucks_by_id[veh.truck].driver_pool
        if pool is not None:
            pools.setdefault(pool, []).append(v)
    for pid, vs in pools.items():
        count = inst.pools_by_id[pid].count
        if count < len({vehicles[v].truck for v in vs}):
            solver.Add(solver.Sum([routing.ActiveVehicleVar(v) for v in vs]) <= count)

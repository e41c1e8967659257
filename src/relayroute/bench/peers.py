"""Peer solvers on the literature benchmarks, given the same integer data as relayroute.

Every solver sees the benchmark through :func:`integer_data`: travel costs
``round(SCALE · distance)``, travel times ``ceil(SCALE · distance)`` (so a plan feasible in
whole units is feasible in the file's real numbers), windows and service times times
``SCALE``. Each returns routes as node sequences of the file (depot left out), which the
caller checks with :func:`relayroute.bench.literature.check_routes` and measures with
:func:`relayroute.bench.literature.total_distance` — one independent check for all.

PyVRP and VROOM are optional (``pip install -e '.[bench]'``); plain OR-Tools is the
textbook model: path cheapest arc and guided local search, nothing relayroute adds.

A stop (:func:`relayroute.solve.stop.request_stop` or ``halt``) ends each peer soon:
OR-Tools at once (``CancelSearch``), PyVRP at its next iteration (a stopping criterion),
VROOM — whose search cannot be stopped and holds the GIL — by terminating the child
process it runs in. Each then returns what it had (VROOM: nothing); the caller marks it.
"""

from __future__ import annotations

import multiprocessing
import signal
import weakref
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from relayroute.bench.literature import SCALE, Benchmark
from relayroute.solve.stop import on_stop, stop_requested

if TYPE_CHECKING:
    from collections.abc import Callable
    from multiprocessing.connection import Connection

T = TypeVar("T")

# Hierarchical mode: a fixed cost per vehicle above any saving in distance (scaled units).
VEHICLE_COST = 10_000_000


@dataclass(frozen=True)
class IntegerData:
    cost: np.ndarray  # round(SCALE · d)
    time: np.ndarray  # ceil(SCALE · d)
    ready: list[int]
    due: list[int]
    service: list[int]
    demand: list[int]


def integer_data(bench: Benchmark) -> IntegerData:
    xy = np.array([(n.x, n.y) for n in bench.nodes])
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) * SCALE
    return IntegerData(
        cost=np.round(d).astype(np.int64),
        time=np.ceil(d - 1e-9).astype(np.int64),
        ready=[round(n.ready * SCALE) for n in bench.nodes],
        due=[round(n.due * SCALE) for n in bench.nodes],
        service=[round(n.service * SCALE) for n in bench.nodes],
        demand=[round(n.demand) for n in bench.nodes],
    )


def _pairs(bench: Benchmark) -> list[tuple[int, int]]:
    return [(n.no, n.delivery) for n in bench.nodes[1:] if n.delivery]


def solve_pyvrp(
    bench: Benchmark, time_limit: float, hierarchical: bool = False, seed: int = 0
) -> list[list[int]]:
    """PyVRP's hybrid genetic search (clients, or shipments for PDPTW)."""
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime, MultipleCriteria

    data = integer_data(bench)
    m = Model()
    locs = [m.add_location(n.x, n.y) for n in bench.nodes]
    depot = m.add_depot(locs[0], tw_early=data.ready[0], tw_late=data.due[0])
    m.add_vehicle_type(
        num_available=bench.vehicles,
        capacity=int(bench.capacity),
        start_depot=depot,
        end_depot=depot,
        tw_early=data.ready[0],
        tw_late=data.due[0],
        fixed_cost=VEHICLE_COST if hierarchical else 0,
    )
    if bench.kind == "vrptw":
        for n in bench.nodes[1:]:
            m.add_client(
                locs[n.no],
                delivery=data.demand[n.no],
                service_duration=data.service[n.no],
                tw_early=data.ready[n.no],
                tw_late=data.due[n.no],
            )
    else:
        for p, q in _pairs(bench):
            m.add_shipment(
                locs[p],
                locs[q],
                pickup_tw_early=data.ready[p],
                pickup_tw_late=data.due[p],
                pickup_service_duration=data.service[p],
                delivery_tw_early=data.ready[q],
                delivery_tw_late=data.due[q],
                delivery_service_duration=data.service[q],
                amount=data.demand[p],
            )
    size = len(bench.nodes)
    for i in range(size):
        for j in range(size):
            if i != j:
                m.add_edge(locs[i], locs[j], int(data.cost[i, j]), int(data.time[i, j]))
    stop = MultipleCriteria([MaxRuntime(time_limit), _StopRequested()])
    res = m.solve(stop=stop, seed=seed, display=False)
    sol = res.best
    if not sol.is_feasible():
        return []
    # Activities name clients and shipments by their index in the order they were added.
    pairs = _pairs(bench)
    routes = []
    for r in sol.routes():
        seq = []
        for act in r:
            if act.is_client():
                seq.append(bench.nodes[1 + act.idx].no)
            elif act.is_shipment():
                p, q = pairs[act.idx]
                seq.append(p if act.is_pickup() else q)
        routes.append(seq)
    return routes


class _StopRequested:
    """PyVRP stopping criterion: a stop was asked for."""

    def __call__(self, best_cost: float) -> bool:
        return stop_requested()


def solve_vroom(
    bench: Benchmark, time_limit: float, hierarchical: bool = False, seed: int = 0
) -> list[list[int]]:
    """VROOM (jobs, or shipments for PDPTW), one thread, exploration level 5, in a child
    process that a stop terminates (then no routes)."""
    routes = stoppable(lambda: _vroom_routes(bench, time_limit, hierarchical))
    return [] if routes is None else routes


def _vroom_routes(bench: Benchmark, time_limit: float, hierarchical: bool) -> list[list[int]]:
    import vroom

    data = integer_data(bench)
    inp = vroom.Input()
    inp.set_durations_matrix("car", data.time.tolist())
    inp.set_costs_matrix("car", data.cost.tolist())
    for k in range(bench.vehicles):
        inp.add_vehicle(
            vroom.Vehicle(
                id=k + 1,
                start=0,
                end=0,
                capacity=[int(bench.capacity)],
                time_window=vroom.TimeWindow(data.ready[0], data.due[0]),
                costs=vroom.VehicleCosts(fixed=VEHICLE_COST if hierarchical else 0),
            )
        )
    if bench.kind == "vrptw":
        for n in bench.nodes[1:]:
            inp.add_job(
                vroom.Job(
                    id=n.no,
                    location=n.no,
                    default_service=data.service[n.no],
                    delivery=vroom.Amount([data.demand[n.no]]),
                    time_windows=[vroom.TimeWindow(data.ready[n.no], data.due[n.no])],
                )
            )
    else:
        for p, q in _pairs(bench):
            inp.add_shipment(
                vroom.ShipmentStep(
                    id=p,
                    location=p,
                    default_service=data.service[p],
                    time_windows=[vroom.TimeWindow(data.ready[p], data.due[p])],
                ),
                vroom.ShipmentStep(
                    id=q,
                    location=q,
                    default_service=data.service[q],
                    time_windows=[vroom.TimeWindow(data.ready[q], data.due[q])],
                ),
                amount=vroom.Amount([data.demand[p]]),
            )
    sol = inp.solve(exploration_level=5, nb_threads=1, timeout=timedelta(seconds=time_limit))
    routes_df = sol.routes
    routes: list[list[int]] = []
    for _, g in routes_df.groupby("vehicle_id", sort=True):
        seq = [int(i) for t, i in zip(g["type"], g["id"]) if t in ("job", "pickup", "delivery")]
        if seq:
            routes.append(seq)
    return routes


def solve_ortools_plain(
    bench: Benchmark,
    time_limit: float,
    hierarchical: bool = False,
    seed: int = 0,
    first_solution: str = "PATH_CHEAPEST_ARC",
) -> list[list[int]]:
    """The textbook OR-Tools model: arc costs, a time dimension with the windows, a load
    dimension, pickup-and-delivery pairs for PDPTW; ``first_solution`` then guided local
    search."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    data = integer_data(bench)
    n = len(bench.nodes)
    manager = pywrapcp.RoutingIndexManager(n, bench.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    cost = data.cost.tolist()
    transit = (data.time + np.array(data.service)[:, None]).tolist()

    def cost_cb(i: int, j: int) -> int:
        return int(cost[manager.IndexToNode(i)][manager.IndexToNode(j)])

    def time_cb(i: int, j: int) -> int:
        return int(transit[manager.IndexToNode(i)][manager.IndexToNode(j)])

    c = routing.RegisterTransitCallback(cost_cb)
    routing.SetArcCostEvaluatorOfAllVehicles(c)
    if hierarchical:
        routing.SetFixedCostOfAllVehicles(VEHICLE_COST)
    t = routing.RegisterTransitCallback(time_cb)
    horizon = data.due[0]
    routing.AddDimension(t, horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    for node in range(1, n):
        tdim.CumulVar(manager.NodeToIndex(node)).SetRange(data.ready[node], data.due[node])
    for v in range(bench.vehicles):
        tdim.CumulVar(routing.Start(v)).SetRange(data.ready[0], data.due[0])
        tdim.CumulVar(routing.End(v)).SetRange(data.ready[0], data.due[0])
    demand = data.demand

    def load_cb(i: int) -> int:
        return int(demand[manager.IndexToNode(i)])

    ld = routing.RegisterUnaryTransitCallback(load_cb)
    routing.AddDimension(ld, 0, int(bench.capacity), True, "load")
    if bench.kind == "pdptw":
        solver = routing.solver()
        for p, q in _pairs(bench):
            ip, iq = manager.NodeToIndex(p), manager.NodeToIndex(q)
            routing.AddPickupAndDelivery(ip, iq)
            solver.Add(routing.VehicleVar(ip) == routing.VehicleVar(iq))
            solver.Add(tdim.CumulVar(ip) <= tdim.CumulVar(iq))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, first_solution
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(time_limit * 1000))
    routing.solver().ReSeed(seed)

    ref = weakref.ref(routing)  # a model its own callback holds is never freed

    def at_solution() -> None:  # should the stop have come before the search began
        r = ref()
        if r is not None and stop_requested():
            r.solver().FinishCurrentSearch()

    routing.AddAtSolutionCallback(at_solution)
    with on_stop(routing.CancelSearch):  # thread-safe: the search ends with its best
        sol = routing.SolveWithParameters(params)
    if sol is None:
        return []
    routes = []
    for v in range(bench.vehicles):
        idx = sol.Value(routing.NextVar(routing.Start(v)))
        seq = []
        while not routing.IsEnd(idx):
            seq.append(manager.IndexToNode(idx))
            idx = sol.Value(routing.NextVar(idx))
        if seq:
            routes.append(seq)
    return routes


def stoppable(work: Callable[[], T], poll: float = 0.05) -> T | None:
    """``work()`` in a forked child process, terminated as soon as a stop is asked for.

    For a peer whose search cannot be stopped from Python (it holds the GIL, or is an
    outside program). Where a child cannot be forked (no ``fork``; a daemonic process,
    such as a Dask worker) ``work`` runs here, to its end.

    Returns
    -------
    object or None
        What ``work`` returned, or None when a stop ended it (or came before it).

    Raises
    ------
    RuntimeError
        ``work`` raised (its message), or the child ended without a result.
    """
    if "fork" not in multiprocessing.get_all_start_methods() or (
        multiprocessing.current_process().daemon
    ):
        return work()
    if stop_requested():
        return None
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(work, send), name="relayroute-peer", daemon=True)
    child.start()
    send.close()
    try:
        while not receive.poll(poll):
            if stop_requested():
                return None
            if not child.is_alive() and not receive.poll(0):
                raise RuntimeError(f"the peer's process ended with exit code {child.exitcode}")
        try:
            ok, value = receive.recv()
        except EOFError:
            raise RuntimeError(
                f"the peer's process ended with exit code {child.exitcode}"
            ) from None
    finally:
        receive.close()
        if child.is_alive():
            child.terminate()
            child.join(1)
            if child.is_alive():
                child.kill()
        child.join()
    if not ok:
        raise RuntimeError(value)
    return value  # type: ignore[no-any-return]


def _child(work: Callable[[], Any], send: Connection) -> None:
    # The parent decides when this ends: a terminal's Ctrl-C goes to it (and to us: then
    # ignored), its terminate() kills at once whatever the search is doing.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        out: tuple[bool, Any] = (True, work())
    except Exception as exc:
        out = (False, f"{type(exc).__name__}: {exc}")
    with suppress(OSError):  # the parent is gone
        send.send(out)


PEERS = {
    "pyvrp": solve_pyvrp,
    "vroom": solve_vroom,
    "ortools": solve_ortools_plain,
}

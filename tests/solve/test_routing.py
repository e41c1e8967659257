"""The routing model (``relayroute.solve.routing``) on tiny instances.

The node layout (``nodes``), the constraints of the model (``model``: pickup before its
delivery on one truck, disjunctions, capacities) and the search (``search``: warm start,
decoding) are checked on the small straight-line instance of ``tests/data`` and on the
rail line of ``test_rail``; each search stops on a solution count, never on the clock.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from typing import TYPE_CHECKING, Any

import pytest

from relayroute.io.instance import LoadedInstance, instance_from_data
from relayroute.itineraries import Problem, build_problem
from relayroute.solve.routing import RoutingResult, layout, solve_routing, weights

from ..conftest import DATA, QUICK
from .test_rail import BASE as RAIL_LINE
from .test_rail import _load

if TYPE_CHECKING:
    from pathlib import Path

SMALL: dict[str, Any] = json.loads((DATA / "small-straight.json").read_text())


def _problem(data: dict[str, Any]) -> Problem:
    loaded = LoadedInstance(instance_from_data(data), DATA, "tiny")
    return build_problem(loaded.instance, loaded.base)


@pytest.fixture(scope="module")
def small() -> Problem:
    return _problem(SMALL)


@pytest.fixture(scope="module")
def routed(small: Problem) -> RoutingResult:
    return solve_routing(small, QUICK)


def _visits(result: RoutingResult) -> dict[int, list[tuple[str, str]]]:
    return {v: [(x.kind, x.shipment) for x in seq] for v, seq in result.sequences.items()}


def test_layout_one_pickup_and_delivery_per_leg(small: Problem) -> None:
    """With relay zones and no rail: the depot, then a pickup and a delivery per shipment,
    each named by its key; every truck starts and ends at the depot node."""
    nodes = layout(small)
    assert nodes.depot_places == ["depot"] and not nodes.loaded
    assert nodes.n == 1 + 2 * len(small.ways) == 11
    assert {nodes.key[nodes.pick[s]] for s in small.ways} == {("p", s) for s in small.ways}
    assert {nodes.key[nodes.drop[s]] for s in small.ways} == {("d", s) for s in small.ways}
    assert [nodes.place[nodes.pick[s]] for s in small.ways] == [
        small.inst.shipments_by_id[s].origin for s in small.ways
    ]
    assert nodes.starts == nodes.ends == [0] * len(small.vehicles)
    assert not nodes.rail.any() and not nodes.trains


def test_layout_pads_the_road_to_the_rail_way(tmp_path: Path) -> None:
    """A shipment with a road and a rail way: the road way gets two empty pairs at the
    destination so both ways have three parts (two truck legs and the ride); the train's
    ends and the boarding pair are the last nodes, and only they are rail nodes."""
    data = copy.deepcopy(RAIL_LINE)
    data["shipments"][0]["due"] = 600
    loaded = _load(tmp_path, data, set())
    prob = build_problem(loaded.instance, loaded.base)
    assert [w.kind for w in prob.ways["S1"]] == ["road", "rail"]
    nodes = layout(prob)
    road_pads, rail_pads = nodes.pads[("S1", 0)], nodes.pads[("S1", 1)]
    assert len(road_pads) == 2 and rail_pads == []
    assert {nodes.place[x] for pair in road_pads for x in pair} == {"customer"}
    assert len(nodes.trains) == 1 and list(nodes.board) == [("S1", 1)]
    rail = [i for i in range(nodes.n) if nodes.rail[i]]
    assert (
        rail == [*nodes.train_ends[0], *nodes.board[("S1", 1)]] == list(range(nodes.n - 4, nodes.n))
    )
    # two depots, road leg (2), two rail legs (4), two pad pairs (4), train (2), boarding (2)
    assert nodes.n == 2 + 2 + 4 + 4 + 2 + 2


def test_loaded_at_start_keeps_only_deliveries() -> None:
    """Everything leaves the one depot, loaded before the trucks start (no zones, no
    rail): only the deliveries are nodes, and each route starts with its pickups."""
    data = copy.deepcopy(SMALL)
    data.update(zones=[], checkpoints=[], relay_stations=[])
    data["driver_pools"] = [p for p in data["driver_pools"] if p["kind"] != "loop"]
    for t in data["trucks"]:
        t.pop("permits", None)
    places = ["sup1", "cust1", "city_factory", "park_factory", "cust2"]
    data["shipments"] = [
        {"id": f"V{k}", "origin": "depot", "destination": p, "quantity": {"t": 3}}
        | {"ready": 300, "due": 700, "pickup_minutes": 0}
        for k, p in enumerate(places)
    ]
    prob = _problem(data)
    nodes = layout(prob)
    assert nodes.loaded and nodes.pick == {} and nodes.n == 1 + len(places)
    result = solve_routing(prob, QUICK)
    served = set()
    for seq in result.sequences.values():
        k = sum(x.kind == "pickup" for x in seq)
        assert [x.kind for x in seq] == ["pickup"] * k + ["delivery"] * k
        assert [x.shipment for x in seq[:k]] == [x.shipment for x in seq[k:]]
        served |= {x.shipment for x in seq}
    assert served == {f"V{k}" for k in range(len(places))}


def test_pickup_before_delivery_on_one_truck(small: Problem, routed: RoutingResult) -> None:
    """Every shipment routed is picked up and delivered by the same truck, the pickup
    first, within the truck's capacity all along the route."""
    assert routed.status == "success" and routed.objective is not None
    seen: set[str] = set()
    ships = small.inst.shipments_by_id
    for v, seq in _visits(routed).items():
        capacity = small.inst.trucks_by_id[small.vehicles[v].truck].capacity["t"]
        load = 0.0
        for i, (kind, sid) in enumerate(seq):
            if kind == "pickup":
                assert ("delivery", sid) in seq[i + 1 :]
                load += ships[sid].quantity["t"]
            else:
                assert ("pickup", sid) in seq[:i]
                load -= ships[sid].quantity["t"]
            assert load <= capacity + 1e-9
        shipments = {sid for _, sid in seq}
        assert not shipments & seen
        seen |= shipments
    assert seen == set(small.ways)  # room for all five


def test_disjunction_leaves_an_impossible_shipment_out(small: Problem) -> None:
    """A shipment no truck may carry is left unperformed at its penalty; the others are
    still routed."""
    prob = dataclasses.replace(small, eligible={**small.eligible, "S1": []})
    result = solve_routing(prob, QUICK)
    routed = {sid for seq in _visits(result).values() for _, sid in seq}
    assert routed == set(small.ways) - {"S1"}
    w = weights(small.inst, QUICK)
    penalty = w["unserved"] * small.inst.shipments_by_id["S1"].priority
    assert result.objective is not None and result.objective >= penalty
    assert result.objective - penalty < penalty  # the rest costs far less than a shipment


def test_warm_start_returns_the_same_routes(small: Problem, routed: RoutingResult) -> None:
    """Started from its own routes and stopped at its first solution, the search gives
    back the same routes, visits and departures, no worse."""
    again = solve_routing(
        small, QUICK.model_copy(update={"solution_limit": 1}), initial=routed.routes
    )
    assert again.routes == routed.routes
    assert again.sequences == routed.sequences
    assert again.start_times == routed.start_times
    assert again.objective is not None and routed.objective is not None
    assert again.objective <= routed.objective + 1e-6


def test_warm_start_keeps_what_fits_of_a_route(small: Problem, routed: RoutingResult) -> None:
    """A start route its truck's day can no longer hold (the day made shorter) loses
    the shipments that do not fit, in its order, and keeps the others: the start is
    that route, not one without the truck's day (nor none)."""
    data = copy.deepcopy(SMALL)
    data["trucks"][0]["available"] = [360, 700]
    shorter = _problem(data)
    assert ("d", "S4") in routed.routes[0]
    again = solve_routing(
        shorter, QUICK.model_copy(update={"solution_limit": 1}), initial=routed.routes
    )
    kept = again.routes.get(0, [])
    assert kept and ("d", "S4") not in kept
    assert kept == [k for k in routed.routes[0] if k in kept]  # in the old order
    assert again.routes.get(2) == routed.routes[2]


def test_routes_name_their_nodes(routed: RoutingResult) -> None:
    """The routes a later search starts from name each truck's nodes in visit order."""
    for v, seq in routed.sequences.items():
        kinds = {"pickup": "p", "delivery": "d"}
        assert routed.routes[v] == [(kinds[x.kind], x.shipment) for x in seq]


def test_protected_shipments_have_a_latest_delivery(small: Problem) -> None:
    """A shipment of the protected priority that could be on time gets a hard latest
    delivery of due + protect_minutes in the routing model; without protection (or below
    the priority) only its place's hours bound it."""
    from relayroute.solve import SolverConfig
    from relayroute.solve.routing.model import build

    sid = next(s for s in small.ways if small.solo[s] <= small.inst.shipments_by_id[s].due)
    ship = small.inst.shipments_by_id[sid]
    urgent = ship.model_copy(update={"priority": 10.0})
    shipments = [urgent if s.id == sid else s for s in small.inst.shipments]
    prob = dataclasses.replace(small, inst=small.inst.model_copy(update={"shipments": shipments}))

    def latest(config: SolverConfig) -> int:
        model = build(prob, config)
        return int(model.time.CumulVar(model.index(model.nodes.drop[sid])).Max())

    bound = math.floor(ship.due + 60 - ship.delivery_minutes)
    assert latest(SolverConfig(protect_priority=10, protect_minutes=60)) <= bound
    assert latest(SolverConfig(protect_priority=None)) > bound
    assert latest(SolverConfig(protect_priority=11)) > bound


def test_a_finished_search_frees_its_model(small: Problem) -> None:
    """No routing model outlives its search: one reachable from its own solution
    callback was never freed (about 180 MB a search on liling-day)."""
    import gc

    from ortools.constraint_solver import pywrapcp

    def alive() -> int:
        gc.collect()
        return sum(isinstance(o, pywrapcp.RoutingModel) for o in gc.get_objects())

    before = alive()
    for _ in range(2):
        assert solve_routing(small, QUICK, time_limit=10).sequences
    assert alive() == before

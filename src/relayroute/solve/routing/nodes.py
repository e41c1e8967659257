"""The routing model's nodes: what each index stands for, where it is, what it serves.

One node per distinct depot place, then the pickup and delivery of each leg, then padding
pairs, then each train's start and end, then each rail way's boarding and alighting. The
order is part of the model (OR-Tools' search visits nodes by index), so it never changes
silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from relayroute.itineraries.problem import Problem
    from relayroute.itineraries.ways import Way
    from relayroute.model.instance import Shipment

# A routing node named by what it stands for, not by its index in one model: a leg's
# pickup or delivery ("p"/"d", leg), a padding pair's ends ("pad", way's first leg, n,
# 0/1) or a rail way's boarding and alighting ("on"/"off", way's first leg).
NodeKey = tuple[str, ...]

# A train: (rail service, departure), as a rail way names it.
Train = tuple[str | None, float | None]


@dataclass
class Nodes:
    """The node layout of one routing model.

    Attributes
    ----------
    units
        Every shipment with its servable ways (road first).
    ships
        Every leg of every way: the shipment itself for road, leg shipments else.
    trains
        The rail departures some way rides, sorted.
    loaded
        Only deliveries are nodes: every truck leaves the one depot loaded
        (:func:`loaded_at_start`).
    depot_places
        The distinct start and end places of the trucks: nodes ``0 .. len - 1``.
    place, service
        Each node's place and service minutes.
    pick, drop
        Leg shipment -> its pickup (absent when ``loaded``) and delivery node.
    key
        Node -> its :data:`NodeKey` (depot and train-end nodes have none).
    pads
        (shipment, way index) -> the way's padding pairs.
    train_ends
        Each train's start and end node, in the order of ``trains``.
    board
        (shipment, way index) of a rail way -> its boarding and alighting node.
    starts, ends
        Each vehicle's start and end node: the trucks', then the trains'.
    """

    units: list[tuple[str, list[Way]]]
    ships: list[Shipment]
    trains: list[Train]
    loaded: bool
    depot_places: list[str]
    place: list[str] = field(default_factory=list)
    service: list[float] = field(default_factory=list)
    pick: dict[str, int] = field(default_factory=dict)
    drop: dict[str, int] = field(default_factory=dict)
    key: dict[int, NodeKey] = field(default_factory=dict)
    pads: dict[tuple[str, int], list[tuple[int, int]]] = field(default_factory=dict)
    train_ends: list[tuple[int, int]] = field(default_factory=list)
    board: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)

    @property
    def n(self) -> int:
        """Nodes in all."""
        return len(self.place)

    @property
    def rail(self) -> np.ndarray:
        """Boolean mask of the rail nodes (train ends, boarding and alighting): the last
        ones."""
        mask = np.zeros(self.n, dtype=bool)
        mask[self.n - 2 * len(self.board) - 2 * len(self.trains) :] = True
        return mask

    def add(self, place: str, service: float, key: NodeKey | None = None) -> int:
        """Append a node; its index."""
        index = len(self.place)
        if key is not None:
            self.key[index] = key
        self.place.append(place)
        self.service.append(service)
        return index


def loaded_at_start(prob: Problem, units: list[tuple[str, list[Way]]]) -> bool:
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


def _parts(way: Way) -> int:
    return len(way.parts) + (1 if way.kind == "rail" else 0)


def layout(prob: Problem) -> Nodes:
    """The nodes of the routing model of ``prob``."""
    inst = prob.inst
    trucks = inst.trucks_by_id
    by_id = inst.shipments_by_id
    units = list(prob.ways.items())
    ships = [by_id[leg] for _, ways in units for way in ways for leg in way.parts]
    rail_stations = {r.id: r for r in inst.rail_stations}
    services = {svc.id: svc for svc in inst.rail_services}
    trains = sorted(
        {(way.service, way.departure) for _, ways in units for way in ways if way.kind == "rail"},
        key=lambda x: (str(x[0]), float(x[1] or 0)),
    )
    depot_places = sorted(
        {prob.depot_place(trucks[v.truck]) for v in prob.vehicles}
        | {prob.depot_place(trucks[v.truck], True) for v in prob.vehicles}
    )
    nodes = Nodes(units, ships, trains, loaded_at_start(prob, units), depot_places)
    for place in depot_places:
        nodes.add(place, 0.0)
    for s in ships:
        if not nodes.loaded:
            nodes.pick[s.id] = nodes.add(s.origin, s.pickup_minutes, ("p", s.id))
        nodes.drop[s.id] = nodes.add(s.destination, s.delivery_minutes, ("d", s.id))

    # All ways of a shipment get the same number of parts: shorter ones are padded with
    # empty pairs at the destination (no load, no time, no distance after the delivery).
    # Insertion heuristics add a way part by part; equal lengths let them compare ways
    # on their merits (cost, delay) from the first part on, not on how many parts remain.
    for sid, ways in units:
        # Only where a train is an option: a transload's first part looks cheap to an
        # insertion heuristic (no delay yet), and measured on the demo, padding made the
        # search start transloads it could not finish and run six times slower.
        most = max(_parts(way) for way in ways) if any(w.kind == "rail" for w in ways) else 0
        for k, way in enumerate(ways):
            nodes.pads[(sid, k)] = []
            for j in range(max(0, most - _parts(way))):
                at = by_id[sid].destination
                a = nodes.add(at, 0.0, ("pad", way.parts[0], str(j), "0"))
                b = nodes.add(at, 0.0, ("pad", way.parts[0], str(j), "1"))
                nodes.pads[(sid, k)].append((a, b))
    for svc_id, _ in trains:
        svc = services[str(svc_id)]
        a = nodes.add(rail_stations[svc.origin].place, 0.0)
        b = nodes.add(rail_stations[svc.destination].place, 0.0)
        nodes.train_ends.append((a, b))
    for sid, ways in units:
        for k, way in enumerate(ways):
            if way.kind == "rail":
                svc = services[str(way.service)]
                on = nodes.add(rail_stations[svc.origin].place, 0.0, ("on", way.parts[0]))
                off = nodes.add(rail_stations[svc.destination].place, 0.0, ("off", way.parts[0]))
                nodes.board[(sid, k)] = (on, off)
    vehicles = prob.vehicles
    nodes.starts = [depot_places.index(prob.depot_place(trucks[v.truck])) for v in vehicles]
    nodes.ends = [depot_places.index(prob.depot_place(trucks[v.truck], True)) for v in vehicles]
    nodes.starts += [a for a, _ in nodes.train_ends]
    nodes.ends += [b for _, b in nodes.train_ends]
    return nodes

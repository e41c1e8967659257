"""The validator's own geography: zones, gates and travel, read from the instance alone.

It shares the *model* (instance and plan types, the raw road files) with the solver but
none of its network code: the road graph is read again here, places are snapped to nodes
here, zone membership is tested on the polygons and travel is measured edge by edge (road)
or by straight line (euclidean, great-circle), so the validator can catch the solver's
mistakes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import shapely
from pyproj import Geod

from relayroute.io.roads import read_graphml, read_nodes_edges, read_osm_xml
from relayroute.model.checks import check_named_nodes

if TYPE_CHECKING:
    from pathlib import Path

    import networkx as nx

    from relayroute.model.instance import Instance, Place
    from relayroute.model.plan import Leg, TruckRoute


_WGS84 = Geod(ellps="WGS84")
STRICTNESS = {"open": 0, "permit": 1, "closed_loop": 2}


def _geodesic_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic km on the WGS84 ellipsoid, as the network's straight lines."""
    return float(_WGS84.inv(a[0], a[1], b[0], b[1])[2]) / 1000.0


class World:
    """What the validator knows of the instance's geography, computed its own way."""

    def __init__(self, inst: Instance, base: Path) -> None:
        self.inst = inst
        self.mode = inst.network.mode
        self.zones = {
            z.id: shapely.Polygon(z.polygon[0], z.polygon[1:]) for z in inst.zones if z.restricted
        }
        # The policy each zone has all day; a zone whose policy changes is judged by
        # :meth:`policy_in` (``policy`` then holds the one it starts the day with).
        self.policy = {z.id: z.policy for z in inst.zones}
        self.changing = {z.id: z for z in inst.zones if z.changes}
        self._stays: dict[int, list[dict[str, float]]] = {}
        self.graph: nx.DiGraph | None = None
        self.place_node: dict[str, str] = {}
        self.gate_of: dict[str, str] = {}  # node -> checkpoint id
        self.fixed_xy: dict[str, tuple[float, float]] = {}  # straight-line: node -> lon/lat
        # Sealed transit roads: edge -> road id, inner node -> road id, road id -> its ends.
        self.transit: dict[tuple[str, str], str] = {}
        self.sealed: dict[str, str] = {}
        self.transit_ends: dict[str, tuple[str, str]] = {}
        for z in inst.zones:
            for t in z.transit_roads:
                self.transit_ends[t.id] = (t.nodes[0], t.nodes[-1])
                for a, b in zip(t.nodes, t.nodes[1:]):
                    self.transit[a, b] = self.transit[b, a] = t.id
                self.sealed.update({n: t.id for n in t.nodes[1:-1]})
        if self.mode == "road":
            spec = inst.network
            if spec.osm:
                self.graph = read_osm_xml(base / spec.osm)
            elif spec.graphml:
                self.graph = read_graphml(base / spec.graphml)
            else:
                assert spec.nodes and spec.edges
                self.graph = read_nodes_edges(base / spec.nodes, base / spec.edges)
            ids = list(self.graph.nodes)
            xy = np.array([(self.graph.nodes[n]["lon"], self.graph.nodes[n]["lat"]) for n in ids])
            # Where the node and the lon/lat of a place disagree the instance itself is refused.
            check_named_nodes(inst, {n: (float(x), float(y)) for n, (x, y) in zip(ids, xy)})

            def nearest(lon: float, lat: float) -> str:
                return ids[int(np.argmin((xy[:, 0] - lon) ** 2 + (xy[:, 1] - lat) ** 2))]

            for p in inst.places:
                self.place_node[p.id] = p.node or nearest(p.lon, p.lat)
            for c in inst.checkpoints:
                self.gate_of[c.node or nearest(c.lon, c.lat)] = c.id
        else:
            for p in inst.places:
                self.place_node[p.id] = p.id
                self.fixed_xy[p.id] = (p.lon, p.lat)
            for c in inst.checkpoints:
                self.gate_of[f"checkpoint:{c.id}"] = c.id
                self.fixed_xy[f"checkpoint:{c.id}"] = (c.lon, c.lat)

    def policy_in(self, zone: str, route: TruckRoute, k: int, leg: bool) -> str:
        """The policy of ``zone`` a truck is judged by on leg ``k`` (``leg``) or at stop
        ``k`` of ``route``: the one in force when its stay in the zone began (when the leg
        that took it in left), or the one in force now (the leg's departure, the stop's
        arrival) where that is more lenient. A truck inside when the zone closes so
        finishes what it came for and leaves, one on its road in finishes that road, and
        one inside when the zone opens is free at once."""
        z = self.changing.get(zone)
        if z is None:
            return self.policy.get(zone, "open")
        stays = self._stays.get(id(route))
        if stays is None:
            stays = self._stays[id(route)] = self._stays_of(route)
        if leg:
            now = route.legs[k].depart if k < len(route.legs) else math.inf
        else:
            now = route.stops[k].arrive if k < len(route.stops) else math.inf
        began = stays[k].get(zone, now) if k < len(stays) else now
        return min(z.policy_at(began), z.policy_at(now), key=STRICTNESS.__getitem__)

    def _stays_of(self, route: TruckRoute) -> list[dict[str, float]]:
        """For each stop, the changing zones it stands in, each with when the truck's stay
        there began (the departure of the leg that took it in; its day's start)."""
        out: list[dict[str, float]] = []
        places = self.inst.places_by_id
        for k, s in enumerate(route.stops):
            p = places.get(s.place)
            z = self.place_zone(p) if p is not None else None
            here: dict[str, float] = {}
            if z is not None and z in self.changing:
                if k and z in out[k - 1]:
                    here[z] = out[k - 1][z]
                elif k and k - 1 < len(route.legs):
                    here[z] = route.legs[k - 1].depart
                else:
                    here[z] = s.arrive
            out.append(here)
        return out

    def zone_at(self, lon: float, lat: float) -> str | None:
        """The restricted zone (not open) that holds the point, if any."""
        for zid, poly in self.zones.items():
            if poly.contains(shapely.Point(lon, lat)):
                return zid
        return None

    def place_zone(self, place: Place) -> str | None:
        """The restricted zone a place stands in (straight-line plane: none, it has no map)."""
        return self.zone_at(place.lon, place.lat) if self.mode != "euclidean" else None

    def node_xy(self, node: str, leg: Leg, k: int) -> tuple[float, float]:
        """Lon/lat of the leg's ``k``-th path node (road mode: from the graph)."""
        if self.mode == "road":
            assert self.graph is not None
            d = self.graph.nodes[node]
            return (d["lon"], d["lat"])
        return (leg.coords[k][0], leg.coords[k][1])

    def step(
        self, a: str, b: str, xa: tuple[float, float], xb: tuple[float, float]
    ) -> tuple[float, float, str | None]:
        """(minutes, km, fault) of driving from node a to node b."""
        spec = self.inst.network
        if self.mode == "road":
            assert self.graph is not None
            if not self.graph.has_edge(a, b):
                return 0.0, 0.0, f"no road from {a!r} to {b!r}"
            e = self.graph.edges[a, b]
            return (
                e["minutes"],
                e["km"],
                (f"road {a!r}->{b!r} is closed" if e["closed"] else None),
            )
        if self.mode == "euclidean":
            d = math.hypot(xb[0] - xa[0], xb[1] - xa[1])
            return d / spec.speed, d, None
        km = _geodesic_km(xa, xb) * spec.detour_factor
        return km / spec.speed_kmh * 60.0, km, None

"""The validator's own geography: zones, gates and travel, read from the instance alone.

It shares the *model* (instance and plan types, the raw road files) with the solver but
none of its network code: the road graph is read again here, places are snapped to nodes
here, zone membership is tested on the polygons and travel is measured edge by edge (road)
or by straight line (euclidean, great-circle), so the validator can catch the solver's
mistakes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal, cast

import numpy as np
import shapely
from pyproj import Geod

from relayroute.io.roads import read_graphml, read_nodes_edges, read_osm_xml
from relayroute.model.checks import check_named_nodes
from relayroute.model.instance import Zone, ZoneChange

if TYPE_CHECKING:
    from pathlib import Path

    import networkx as nx

    from relayroute.model.instance import Instance, Place
    from relayroute.model.plan import Leg, TruckRoute


_WGS84 = Geod(ellps="WGS84")
Policy = Literal["closed_loop", "permit", "open"]
STRICTNESS = {"open": 0, "permit": 1, "closed_loop": 2}


def _geodesic_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic km on the WGS84 ellipsoid, as the network's straight lines."""
    return float(_WGS84.inv(a[0], a[1], b[0], b[1])[2]) / 1000.0


def _area_zone(
    z: Zone, key: str, lo: float, hi: float, rings: list[list[tuple[float, float]]]
) -> Zone:
    """Zone ``z`` in one of its areas: its policies from ``lo`` to ``hi``, open outside."""
    first: Policy = cast("Policy", z.policy_at(lo)) if lo <= 0 else "open"
    changes: list[ZoneChange] = []
    last = first
    policy: Policy
    for t, policy in (
        (lo, cast("Policy", z.policy_at(lo))),
        *((c.at, c.policy) for c in z.changes if lo < c.at < hi),
        (hi, "open"),
    ):
        if t > 0 and t < math.inf and policy != last:
            changes.append(ZoneChange.model_construct(at=t, policy=policy, polygon=None))
            last = policy
    return Zone.model_construct(
        id=key,
        name=z.name,
        policy=first,
        polygon=rings,
        transit_roads=z.transit_roads,
        changes=changes,
    )


class World:
    """What the validator knows of the instance's geography, computed its own way."""

    def __init__(self, inst: Instance, base: Path) -> None:
        self.inst = inst
        self.mode = inst.network.mode
        # A zone whose area changes during the day is one zone per area, each keyed
        # ``zone@from`` but the first (``zone_id`` maps keys to the zone) and open outside
        # its ``period``: a truck inside when the area changes is judged as one inside a
        # zone whose policy changes.
        self.zones: dict[str, shapely.Polygon] = {}
        self.zone_id: dict[str, str] = {}
        self.period: dict[str, tuple[float, float]] = {}
        # The policy each zone has all day; a zone whose policy changes is judged by
        # :meth:`policy_in` (``policy`` then holds the one it starts the day with).
        self.policy: dict[str, str] = {}
        self.changing: dict[str, Zone] = {}
        for z in inst.zones:
            areas = z.areas
            for k, (lo, hi, rings) in enumerate(areas):
                key = z.id if k == 0 else f"{z.id}@{lo:g}"
                part = z if len(areas) == 1 else _area_zone(z, key, lo, hi, rings)
                if len(areas) > 1:
                    self.period[key] = (lo, hi)
                self.zone_id[key] = z.id
                self.policy[key] = part.policy
                if part.changes:
                    self.changing[key] = part
                if part.restricted:
                    self.zones[key] = shapely.Polygon(rings[0], rings[1:])
        self._stays: dict[int, list[dict[str, float]]] = {}
        # Zone -> the keys of its areas, for a zone whose area changes; and each route's
        # area per stop (see :meth:`stop_pick`).
        self.keys_of: dict[str, list[str]] = {}
        for key, zid in self.zone_id.items():
            if key in self.period:
                self.keys_of.setdefault(zid, []).append(key)
        self._picks: dict[int, list[dict[str, str | None]]] = {}
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
        began = stays[k].get(zone) if k < len(stays) else None
        if began is None:
            began = now
            if leg and zone in self.period and self._stands_in(route.stops[k].place, zone):
                # Standing there when the zone took the place in: inside since it came.
                began = route.stops[k].arrive
        return min(z.policy_at(began), z.policy_at(now), key=STRICTNESS.__getitem__)

    def _stays_of(self, route: TruckRoute) -> list[dict[str, float]]:
        """For each stop, the changing zones it stands in, each with when the truck's stay
        there began (the departure of the leg that took it in; its day's start)."""
        out: list[dict[str, float]] = []
        places = self.inst.places_by_id
        for k, s in enumerate(route.stops):
            p = places.get(s.place)
            z = self.place_zone(p, s.arrive, self.stop_pick(route, k)) if p is not None else None
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

    def _stands_in(self, place: str, key: str) -> bool:
        p = self.inst.places_by_id.get(place)
        return p is not None and self.zones[key].contains(shapely.Point(p.lon, p.lat))

    def zone_at(
        self,
        lon: float,
        lat: float,
        t: float | None = None,
        pick: dict[str, str | None] | None = None,
    ) -> str | None:
        """The restricted zone (not open) that holds the point, if any: its key, the area
        in force at ``t`` for a zone whose area changes (:attr:`zone_id` names the zone),
        or the one ``pick`` names for that zone (a truck's stay begun in an earlier one)."""
        pt = shapely.Point(lon, lat)
        for key, poly in self.zones.items():
            span = self.period.get(key)
            if span is not None:
                chosen = pick.get(self.zone_id[key]) if pick else None
                if chosen is not None:
                    if key != chosen:
                        continue
                elif t is not None and not span[0] <= t < span[1]:
                    continue
            if poly.contains(pt):
                return key
        return None

    def place_zone(
        self, place: Place, t: float | None = None, pick: dict[str, str | None] | None = None
    ) -> str | None:
        """The restricted zone a place stands in at ``t`` (straight-line plane: none, it
        has no map)."""
        return self.zone_at(place.lon, place.lat, t, pick) if self.mode != "euclidean" else None

    def stop_pick(self, route: TruckRoute, k: int) -> dict[str, str | None]:
        """For each zone whose area changes, the area stop ``k`` of ``route`` is judged
        in: the one the truck's stay in the zone began in, while its stops stay inside
        that area (a truck inside when the area changes finishes what it came for in the
        area it entered, then leaves as planned); else none (the area then in force)."""
        if not self.keys_of:
            return {}
        picks = self._picks.get(id(route))
        if picks is None:
            picks = self._picks[id(route)] = self._picks_of(route)
        return picks[k] if k < len(picks) else {}

    def leg_pick(self, route: TruckRoute, i: int) -> dict[str, str | None]:
        """The areas leg ``i`` is judged in: its first stop's (a stay going on), else
        those in force when it starts."""
        return self.stop_pick(route, i)

    def _picks_of(self, route: TruckRoute) -> list[dict[str, str | None]]:
        places = self.inst.places_by_id
        stations = self.inst.relay_stations_by_id
        out: list[dict[str, str | None]] = []
        stay: dict[str, str | None] = {}
        # A loop driver's excursion (from the handover at one of the zone's stations to
        # the next) is judged in the area in force when the road to that handover began:
        # a truck on its road finishes it and what it came for.
        trip: dict[str, str | None] = {}
        for k, s in enumerate(route.stops):
            p = places.get(s.place)
            pt = shapely.Point(p.lon, p.lat) if p is not None else None
            st = stations.get(s.station or "") if s.kind == "handover" else None
            here: dict[str, str | None] = {}
            for zid, keys in self.keys_of.items():
                at_station = st is not None and st.zone == zid
                if trip.get(zid) is not None and not at_station:
                    here[zid] = stay[zid] = trip[zid]
                    continue
                trip[zid] = None
                now = next(
                    (k for k in keys if self.period[k][0] <= s.arrive < self.period[k][1]), None
                )
                if at_station and s.driver != route.driver:
                    # Handed to a loop driver: the excursion starts here, in the area of
                    # when the road to the station began.
                    t = route.legs[k - 1].depart if 0 < k <= len(route.legs) else s.start
                    begun = next(
                        (x for x in keys if self.period[x][0] <= t < self.period[x][1]), None
                    )
                    trip[zid] = begun
                    here[zid] = stay[zid] = begun
                    continue
                key = stay.get(zid)
                if (
                    key is None
                    or pt is None
                    or key not in self.zones
                    or not self.zones[key].contains(pt)
                ):
                    area = self.zones.get(now) if now is not None else None
                    key = now if area is not None and area.contains(pt) else None
                stay[zid] = here[zid] = key
            out.append(here)
        return out

    def real(self, key: str) -> str:
        """The zone a key of :attr:`zones` is (an area of)."""
        return self.zone_id.get(key, key)

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

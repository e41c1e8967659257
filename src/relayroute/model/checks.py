"""Checks across objects of an instance: unique ids, references, geometry.

Each raises :class:`~relayroute.errors.InputError` naming the JSON path of the
first fault found, so the user gets one clear message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import Polygon
from shapely.validation import explain_validity

from relayroute.errors import InputError
from relayroute.model.limits import LIMIT_NOTE, MAX_BAYS, MAX_COORDINATE, MAX_POOL

if TYPE_CHECKING:
    from collections.abc import Iterable

    from relayroute.model.instance import Instance

# A checkpoint in the straight-line model must stand on its zone's boundary, within this.
CHECKPOINT_TOLERANCE_KM = 0.2


def check_instance(inst: Instance) -> None:
    """Raise :class:`InputError` for the first cross-object fault in ``inst``."""
    _unique_ids(inst)
    _references(inst)
    _resources(inst)
    _names(inst)
    _shipments(inst)
    if inst.network.mode == "euclidean":
        if inst.zones or inst.checkpoints:
            raise InputError(
                "$.zones", "zones and checkpoints need lon/lat, not the euclidean mode"
            )
        _plane(inst)
    else:
        _coordinates(inst)
        _zones(inst)
    for i, z in enumerate(inst.zones):
        if z.transit_roads and inst.network.mode != "road":
            raise InputError(f"$.zones[{i}].transit_roads", "sealed transit roads need road mode")


def _unique_ids(inst: Instance) -> None:
    for attr in (
        "places",
        "zones",
        "checkpoints",
        "relay_stations",
        "rail_stations",
        "rail_services",
        "depots",
        "driver_pools",
        "trucks",
        "shipments",
    ):
        seen: dict[str, int] = {}
        for i, obj in enumerate(getattr(inst, attr)):
            if obj.id in seen:
                raise InputError(
                    f"$.{attr}[{i}].id",
                    f"duplicate id {obj.id!r} (first at $.{attr}[{seen[obj.id]}])",
                )
            seen[obj.id] = i


def _ref(where: str, value: str | None, known: Iterable[str], what: str) -> None:
    if value is not None and value not in set(known):
        raise InputError(where, f"unknown {what} {value!r}")


def _references(inst: Instance) -> None:
    places = {p.id for p in inst.places}
    zones = {z.id: z for z in inst.zones}
    # A zone whose policy changes during the day has the objects of each of its policies.
    closed = {z.id for z in inst.zones if "closed_loop" in z.policies}
    permit = {z.id for z in inst.zones if "permit" in z.policies}
    pools = {p.id: p for p in inst.driver_pools}
    for i, d in enumerate(inst.depots):
        _ref(f"$.depots[{i}].place", d.place, places, "place")
    for i, c in enumerate(inst.checkpoints):
        _ref(f"$.checkpoints[{i}].zone", c.zone, zones, "zone")
        if not zones[c.zone].restricted:
            raise InputError(
                f"$.checkpoints[{i}].zone", f"zone {c.zone!r} is open; it has no checkpoints"
            )
    for i, s in enumerate(inst.relay_stations):
        if s.zone is None:
            if s.driver_swap:
                raise InputError(
                    f"$.relay_stations[{i}].zone",
                    "a station offering driver_swap serves a closed_loop zone; name it",
                )
        else:
            _ref(f"$.relay_stations[{i}].zone", s.zone, zones, "zone")
            if s.zone not in closed:
                raise InputError(
                    f"$.relay_stations[{i}].zone", f"zone {s.zone!r} is not closed_loop"
                )
        _ref(f"$.relay_stations[{i}].place", s.place, places, "place")
        if not (s.driver_swap or s.transload):
            raise InputError(
                f"$.relay_stations[{i}]", "a relay station offers driver_swap, transload or both"
            )
    for i, r in enumerate(inst.rail_stations):
        _ref(f"$.rail_stations[{i}].place", r.place, places, "place")
    rail = {r.id for r in inst.rail_stations}
    for i, svc in enumerate(inst.rail_services):
        _ref(f"$.rail_services[{i}].origin", svc.origin, rail, "rail station")
        _ref(f"$.rail_services[{i}].destination", svc.destination, rail, "rail station")
        if svc.origin == svc.destination:
            raise InputError(f"$.rail_services[{i}]", "origin and destination are the same station")
    stations = {s.id for s in inst.relay_stations}
    for i, p in enumerate(inst.driver_pools):
        if p.kind == "loop":
            if p.zone is None:
                raise InputError(
                    f"$.driver_pools[{i}].zone", "a loop pool is bound to a closed_loop zone"
                )
            if p.zone not in closed:
                raise InputError(
                    f"$.driver_pools[{i}].zone", f"zone {p.zone!r} is not a closed_loop zone"
                )
            _ref(f"$.driver_pools[{i}].station", p.station, stations, "relay station")
        elif p.zone is not None or p.station is not None:
            raise InputError(f"$.driver_pools[{i}]", "an outside pool has no zone or station")
    depots = {d.id for d in inst.depots}
    for i, t in enumerate(inst.trucks):
        _ref(f"$.trucks[{i}].depot", t.depot, depots, "depot")
        _ref(f"$.trucks[{i}].end_depot", t.end_depot, depots, "depot")
        for k, z in enumerate(t.permits):
            _ref(f"$.trucks[{i}].permits[{k}]", z, zones, "zone")
            if z not in permit:
                raise InputError(f"$.trucks[{i}].permits[{k}]", f"zone {z!r} is not a permit zone")
        _ref(f"$.trucks[{i}].driver_pool", t.driver_pool, pools, "driver pool")
        if t.driver_pool is not None and pools[t.driver_pool].kind != "outside":
            raise InputError(
                f"$.trucks[{i}].driver_pool", "a truck's own driver comes from an outside pool"
            )
    for i, sh in enumerate(inst.shipments):
        _ref(f"$.shipments[{i}].origin", sh.origin, places, "place")
        _ref(f"$.shipments[{i}].destination", sh.destination, places, "place")


def _past_horizon(inst: Instance) -> None:
    """A time past the day's horizon can never be met: refuse it rather than plan round it."""
    end = inst.horizon

    def late(where: str, t: float, what: str) -> None:
        if t > end:
            raise InputError(where, f"{what} {t:g} is past the horizon {end:g}")

    for i, sh in enumerate(inst.shipments):
        late(f"$.shipments[{i}].ready", sh.ready, "ready")
        late(f"$.shipments[{i}].due", sh.due, "due")
    for i, p in enumerate(inst.places):
        for k, (a, _) in enumerate(p.hours):
            late(f"$.places[{i}].hours[{k}]", a, "opening")


def _resources(inst: Instance) -> None:
    """Bays and loop drivers over all stations and pools within the stated totals.

    Each bay gets a calendar and each loop driver a roster when a plan is timed, so the
    totals bound the memory (one station of 10**30 bays once filled it).
    """
    loop = [(i, p.count) for i, p in enumerate(inst.driver_pools) if p.kind == "loop"]
    bays = list(enumerate(s.bays for s in inst.relay_stations))
    for attr, what, amounts, limit in (
        ("relay_stations", "bays", bays, MAX_BAYS),
        ("driver_pools", "loop drivers", loop, MAX_POOL),
    ):
        n = 0
        for i, amount in amounts:
            n += amount
            if n > limit:
                raise InputError(
                    f"$.{attr}[{i}]",
                    f"at most {limit:,} {what} in all ({LIMIT_NOTE}), {n:,} up to here",
                )


def _names(inst: Instance) -> None:
    """A pool names at most its drivers, each once: passes and rosters show these names."""
    for i, p in enumerate(inst.driver_pools):
        if len(p.drivers) > p.count:
            raise InputError(
                f"$.driver_pools[{i}].drivers",
                f"{len(p.drivers)} names for a pool of {p.count} drivers",
            )
        seen: set[str] = set()
        for k, name in enumerate(p.drivers):
            if name in seen:
                raise InputError(f"$.driver_pools[{i}].drivers[{k}]", f"duplicate name {name!r}")
            seen.add(name)


def _shipments(inst: Instance) -> None:
    _past_horizon(inst)
    dims = set(inst.capacity_dimensions())
    for i, sh in enumerate(inst.shipments):
        where = f"$.shipments[{i}]"
        if sh.origin == sh.destination:
            raise InputError(f"{where}.destination", "origin and destination are the same place")
        if sh.due < sh.ready:
            raise InputError(f"{where}.due", f"due {sh.due:g} is before ready {sh.ready:g}")
        if sh.deadline is not None and sh.deadline < sh.ready:
            raise InputError(
                f"{where}.deadline", f"deadline {sh.deadline:g} is before ready {sh.ready:g}"
            )
        for dim in sh.quantity:
            if dim not in dims:
                raise InputError(
                    f"{where}.quantity.{dim}",
                    f"no truck has capacity dimension {dim!r} (known: {', '.join(sorted(dims))})",
                )


def _lonlat(where: str, lon: float, lat: float) -> None:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        hint = ""
        if -90 <= lon <= 90 and -180 <= lat <= 180:
            hint = "; it looks swapped: give lon first, then lat (RFC 7946 order)"
        raise InputError(where, f"lon {lon:g}, lat {lat:g} is not a WGS84 position{hint}")


def _plane(inst: Instance) -> None:
    """Euclidean x/y within the stated range, so that no distance overflows a float."""
    for i, p in enumerate(inst.places):
        if max(abs(p.lon), abs(p.lat)) > MAX_COORDINATE:
            raise InputError(
                f"$.places[{i}]",
                f"x {p.lon:g}, y {p.lat:g} is beyond ±{MAX_COORDINATE:g}, the largest "
                f"euclidean coordinate ({LIMIT_NOTE})",
            )


def _coordinates(inst: Instance) -> None:
    for attr in ("places", "checkpoints"):
        for i, obj in enumerate(getattr(inst, attr)):
            _lonlat(f"$.{attr}[{i}]", obj.lon, obj.lat)


def zone_polygon(inst: Instance, index: int) -> Polygon:
    """The zone's shapely polygon, or :class:`InputError` naming what is wrong with it."""
    return _polygon(inst.zones[index].polygon, f"$.zones[{index}].polygon")


def _polygon(rings: list[list[tuple[float, float]]], where: str) -> Polygon:
    if not rings:
        raise InputError(where, "a polygon needs an exterior ring")
    for r, ring in enumerate(rings):
        for k, (lon, lat) in enumerate(ring):
            _lonlat(f"{where}[{r}][{k}]", lon, lat)
        if len(ring) < 4:
            raise InputError(f"{where}[{r}]", f"a ring needs at least 4 positions, got {len(ring)}")
        if tuple(ring[0]) != tuple(ring[-1]):
            raise InputError(
                f"{where}[{r}]", "ring is not closed: its last position must equal its first"
            )
    poly = Polygon(rings[0], rings[1:])
    if not poly.is_valid:
        raise InputError(where, f"invalid polygon: {explain_validity(poly)}")
    return poly


def boundary_km(
    lonlat: list[tuple[float, float]],
    poly: Polygon,
    centre: list[tuple[float, float]] | None = None,
) -> np.ndarray:
    """Km from each lon/lat point to the exterior ring of ``poly``, measured in an
    azimuthal projection about the mean of ``centre`` (the points themselves by default):
    degrees × 111 would read east-west distances 1/cos(lat) too long."""
    about = np.asarray(centre if centre is not None else lonlat, dtype=float)
    lon0, lat0 = about.mean(axis=0)
    tf = Transformer.from_crs(
        "EPSG:4326",
        f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m +no_defs",
        always_xy=True,
    )

    def metres(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(tf.transform(xy[:, 0], xy[:, 1]))

    pts = shapely.transform(shapely.points(lonlat), metres)
    ring = shapely.transform(poly.exterior, metres)
    return np.asarray(shapely.distance(pts, ring)) / 1000.0


def _zones(inst: Instance) -> None:
    # Every area a zone has in the day, with where it is written and whose it is.
    areas: list[tuple[str, str, Polygon]] = []
    for i, zone in enumerate(inst.zones):
        areas.append((zone.id, f"$.zones[{i}].polygon", zone_polygon(inst, i)))
        before, last = zone.policy, -1.0
        for k, change in enumerate(zone.changes):
            where = f"$.zones[{i}].changes[{k}]"
            if change.at <= last:
                raise InputError(where, f"at {change.at:g} is not after the change before it")
            if change.policy == before and change.polygon is None:
                raise InputError(where, f"the zone is {before} already")
            if change.at > inst.horizon:
                raise InputError(where, f"at {change.at:g} is past the horizon {inst.horizon:g}")
            if change.polygon is not None:
                areas.append((zone.id, f"{where}.polygon", _polygon(change.polygon, where)))
            before, last = change.policy, change.at
    if len(areas) > 1:
        polys = [a[2] for a in areas]
        tree = shapely.STRtree(polys)
        left, right = tree.query(polys, predicate="intersects")
        for a, b in zip(left, right):
            if (
                a < b
                and areas[a][0] != areas[b][0]
                and shapely.area(shapely.intersection(polys[a], polys[b])) > 0
            ):
                raise InputError(
                    areas[b][1],
                    f"zone {areas[b][0]!r} overlaps zone {areas[a][0]!r}; zones must not overlap",
                )
    if inst.network.mode == "straight_line" and inst.checkpoints:
        # A zone whose area changes: its checkpoint stands on the boundary of one of them.
        lonlat = [(c.lon, c.lat) for c in inst.checkpoints]
        km = np.full(len(inst.checkpoints), np.inf)
        for zid, _, poly in areas:
            mine = np.array([c.zone == zid for c in inst.checkpoints])
            if mine.any():
                d = boundary_km(lonlat, poly, centre=lonlat)
                km[mine] = np.minimum(km[mine], d[mine])
        for j in np.flatnonzero(km > CHECKPOINT_TOLERANCE_KM):
            c = inst.checkpoints[j]
            raise InputError(
                f"$.checkpoints[{j}]",
                f"checkpoint {c.id!r} is {km[j]:.2f} km from the boundary of zone {c.zone!r}; "
                f"it must stand on it (within {CHECKPOINT_TOLERANCE_KM} km)",
            )


_WGS84 = Geod(ellps="WGS84")


def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic km on the WGS84 ellipsoid."""
    return float(_WGS84.inv(lon1, lat1, lon2, lat2)[2]) / 1000.0


def check_named_nodes(inst: Instance, node_lonlat: dict[str, tuple[float, float]]) -> None:
    """A place or checkpoint that names its road node must stand by it, in the same zone.

    The solver takes a place's zone from its node, the validator from its lon/lat: where
    they could disagree the instance is refused, naming the distance.

    Parameters
    ----------
    inst
        The instance (road mode).
    node_lonlat
        Lon/lat of every node of the road network as read.

    Raises
    ------
    InputError
        A named node is farther than ``network.snap_km`` from the object's lon/lat, or (for
        a place) lies in another restricted zone than the place itself.
    """
    # A zone whose area changes during the day: each of its areas.
    polys = [
        (z.id, Polygon(rings[0], rings[1:]))
        for z in inst.zones
        if z.restricted
        for _, _, rings in z.areas
    ]

    def zone_of(lon: float, lat: float) -> str | None:
        pt = shapely.Point(lon, lat)
        return next((z for z, poly in polys if poly.contains(pt)), None)

    def inside(lon: float, lat: float) -> list[bool]:
        pt = shapely.Point(lon, lat)
        return [poly.contains(pt) for _, poly in polys]

    def name(z: str | None) -> str:
        return f"zone {z!r}" if z else "no restricted zone"

    for attr in ("places", "checkpoints"):
        for i, o in enumerate(getattr(inst, attr)):
            if o.node is None or o.node not in node_lonlat:
                continue  # unknown nodes are reported where the network is read
            lon, lat = node_lonlat[o.node]
            km = _km(o.lon, o.lat, lon, lat)
            where = f"$.{attr}[{i}].node"
            if km > inst.network.snap_km:
                raise InputError(
                    where,
                    f"{o.id!r} lies {km:.2f} km from its node {o.node!r} (more than snap_km "
                    f"{inst.network.snap_km:g}); check lon/lat or node",
                )
            if attr == "places" and inside(o.lon, o.lat) != inside(lon, lat):
                raise InputError(
                    where,
                    f"{o.id!r} lies in {name(zone_of(o.lon, o.lat))} but its node {o.node!r} in "
                    f"{name(zone_of(lon, lat))} ({km * 1000:.0f} m apart)",
                )


def transit_road_nodes(
    inst: Instance, roads: set[tuple[str, str]], node_zone: dict[str, str | None]
) -> None:
    """Sealed transit roads run along roads, end outside every zone, and no place is on them.

    Parameters
    ----------
    inst
        The instance (road mode).
    roads
        The road network's edges (from, to).
    node_zone
        Restricted zone of each road node, or None.

    Raises
    ------
    InputError
        A transit road names an unknown node, two consecutive nodes without a road between
        them, an end inside a restricted zone, or an inner node that a place or checkpoint uses.
    """
    used = {
        o.node: f"{kind} {o.id!r}"
        for kind, objs in (("place", inst.places), ("checkpoint", inst.checkpoints))
        for o in objs
        if o.node
    }
    seen: dict[str, str] = {}
    for i, z in enumerate(inst.zones):
        for k, t in enumerate(z.transit_roads):
            where = f"$.zones[{i}].transit_roads[{k}]"
            if t.id in seen:
                raise InputError(f"{where}.id", f"duplicate transit road id {t.id!r}")
            seen[t.id] = z.id
            for j, n in enumerate(t.nodes):
                if n not in node_zone:
                    raise InputError(f"{where}.nodes[{j}]", f"no node {n!r} in the road network")
            for j, (a, b) in enumerate(zip(t.nodes, t.nodes[1:])):
                if (a, b) not in roads and (b, a) not in roads:
                    raise InputError(f"{where}.nodes[{j + 1}]", f"no road joins {a!r} and {b!r}")
            for j in (0, len(t.nodes) - 1):
                if node_zone[t.nodes[j]] is not None:
                    raise InputError(
                        f"{where}.nodes[{j}]",
                        f"a transit road ends outside every zone; {t.nodes[j]!r} is in zone "
                        f"{node_zone[t.nodes[j]]!r}",
                    )
            for j, n in enumerate(t.nodes[1:-1], start=1):
                if n in used:
                    raise InputError(
                        f"{where}.nodes[{j}]",
                        f"{used[n]} stands on node {n!r} of the sealed road; nothing stops on it",
                    )

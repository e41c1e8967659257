"""Plans as RFC 7946 GeoJSON, for geojson.io, QGIS and kepler.gl.

One FeatureCollection holds the plan on the map: each truck leg that moves as a LineString
along the road geometry the plan carries (from the stop's site to the next), every truck
stop, rail legs, relay stations, checkpoints, rail stations, depots and shipment ends as
Points, and zones as Polygons. A leg whose two ends are the same site (a delivery and the
next pickup at one place) is not drawn: a line of zero length is invalid in OGC terms, and
its two stops are in the stops layer. Coordinates are lon/lat with at most :data:`DECIMALS`
decimals, polygons follow the right-hand rule (exterior rings counter-clockwise), and there
is no ``crs`` member.

The layers (:func:`plan_layers`) keep lists and dicts in their properties for Python
callers such as the web map; the files (:func:`plan_geojson`) have flat properties that
GDAL, QGIS, GeoPackage and Shapefile take as they are: lists joined by spaces, dicts spread
into one column per key (``qty_<dimension>``, ``load_<dimension>``), and the lists and dicts
themselves kept as JSON text in one ``json`` property. With ``split_types`` one file per
geometry type is written beside the main one, since a Shapefile (or a GeoPackage layer)
holds one geometry type.

Properties follow the simplestyle-spec (``stroke``, ``stroke-width``, ``stroke-opacity``,
``marker-color``, ``fill``, ``fill-opacity``, ``title``, ``description``) so that
geojson.io shows colours with no set-up: one colour per truck, loop-driver legs drawn as a
broad translucent band in the truck's colour.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.polygon import orient

from relayroute.errors import InputError
from relayroute.io.atomic import write_text_atomic

if TYPE_CHECKING:
    from relayroute.model.instance import Instance
    from relayroute.model.plan import Plan, ShipmentOutcome, TruckRoute

DECIMALS = 6  # about 0.1 m; RFC 7946 advises no more than needed

# Truck colours: Tableau 20, then repeated; loop legs reuse the truck's colour.
PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
    "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
]  # fmt: skip
POLICY_FILL = {"closed_loop": "#d62728", "permit": "#ff7f0e", "open": "#2ca02c"}
MARKER = {
    "relay_station": "#6a3d9a",
    "checkpoint": "#e31a1c",
    "rail_station": "#333333",
    "depot": "#1f78b4",
    "shipment_origin": "#33a02c",
    "shipment_destination": "#b15928",
    "truck_stop": "#555555",
}
RAIL_COLOUR = "#444444"

Coord = tuple[float, float]  # lon, lat


def _round(coords: Any) -> Any:
    return np.round(np.asarray(coords, dtype=float), DECIMALS).tolist()


GRID = 10.0**-DECIMALS


def _rounded(geom: shapely.Geometry) -> shapely.Geometry:
    """``geom`` snapped to the :data:`DECIMALS` grid by GEOS: repeated points go, a line
    whose points all coincide becomes empty, rings stay counter-clockwise outside."""
    out = shapely.set_precision(geom, GRID)
    return orient(out, sign=1.0) if isinstance(out, Polygon) else out


def _geometry(geom: shapely.Geometry) -> dict[str, Any]:
    """A shapely geometry as a rounded GeoJSON geometry dict."""
    out: dict[str, Any] = json.loads(shapely.to_geojson(_rounded(geom)))
    return out


@dataclass
class PlanLayers:
    """A plan's map features by layer (each a list of GeoJSON Feature dicts)."""

    zones: list[dict[str, Any]] = field(default_factory=list)
    stations: list[dict[str, Any]] = field(default_factory=list)  # relay, checkpoints, rail
    depots: list[dict[str, Any]] = field(default_factory=list)
    outside_legs: list[dict[str, Any]] = field(default_factory=list)
    loop_legs: list[dict[str, Any]] = field(default_factory=list)
    rail: list[dict[str, Any]] = field(default_factory=list)
    shipment_ends: list[dict[str, Any]] = field(default_factory=list)
    truck_stops: list[dict[str, Any]] = field(default_factory=list)
    truck_colour: dict[str, str] = field(default_factory=dict)

    def features(self) -> list[dict[str, Any]]:
        """Every feature, layer after layer (zones first, so they are drawn underneath)."""
        return [
            *self.zones,
            *self.stations,
            *self.depots,
            *self.outside_legs,
            *self.loop_legs,
            *self.rail,
            *self.shipment_ends,
            *self.truck_stops,
        ]


def _iso(start: datetime, minutes: float) -> str:
    return (start + timedelta(minutes=float(minutes))).isoformat(timespec="seconds")


def _hhmm(minutes: float) -> str:
    m = round(minutes)
    day, m = divmod(m, 1440)
    return f"{'+' + str(day) + 'd ' if day else ''}{m // 60:02d}:{m % 60:02d}"


def _point(lon: float, lat: float, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": _geometry(Point(lon, lat)), "properties": props}


def _check_geographic(inst: Instance) -> None:
    if inst.network.mode == "euclidean":
        raise InputError(
            "$.network.mode",
            "a euclidean instance has plain x/y, not longitude/latitude: it cannot be put on a map",
        )


def _check_refs(inst: Instance, plan: Plan) -> None:
    """Every truck, place and station the plan names exists in the instance."""
    places, trucks = inst.places_by_id, inst.trucks_by_id
    for i, r in enumerate(plan.routes):
        if r.truck not in trucks:
            raise InputError(f"plan $.routes[{i}].truck", f"unknown truck {r.truck!r}")
        if len(r.legs) != max(0, len(r.stops) - 1):
            raise InputError(f"plan $.routes[{i}].legs", "a route needs one leg between stops")
        for k, s in enumerate(r.stops):
            if s.place not in places:
                raise InputError(
                    f"plan $.routes[{i}].stops[{k}].place", f"unknown place {s.place!r}"
                )
    ships = inst.shipments_by_id
    for i, o in enumerate(plan.shipments):
        if o.shipment not in ships:
            raise InputError(f"plan $.shipments[{i}].shipment", f"unknown shipment {o.shipment!r}")
    rails = {r.id for r in inst.rail_services}
    for i, b in enumerate(plan.rail_bookings):
        if b.service not in rails:
            raise InputError(f"plan $.rail_bookings[{i}].service", f"unknown service {b.service!r}")


def plan_layers(inst: Instance, plan: Plan) -> PlanLayers:
    """The plan's features, layer by layer (the map and the GeoJSON share them).

    Parameters
    ----------
    inst
        The instance the plan was made for.
    plan
        The plan.

    Returns
    -------
    PlanLayers
        Features as GeoJSON dicts with simplestyle properties.

    Raises
    ------
    InputError
        The instance has no geographic coordinates, or the plan names a truck, place,
        shipment or rail service the instance does not have.
    """
    _check_geographic(inst)
    _check_refs(inst, plan)
    xy = {p.id: (p.lon, p.lat) for p in inst.places}
    outcome: dict[str, ShipmentOutcome] = {o.shipment: o for o in plan.shipments}
    outside, loop, colours = _truck_legs(inst, plan, xy, outcome)
    return PlanLayers(
        zones=_zones(inst),
        stations=[
            *_relay_stations(inst, plan, xy),
            *_checkpoints(inst, plan),
            *_rail_stations(inst, plan, xy),
        ],
        depots=_depots(inst, xy),
        outside_legs=outside,
        loop_legs=loop,
        rail=_rail_legs(inst, plan, xy),
        shipment_ends=_shipment_ends(inst, plan, xy, outcome),
        truck_stops=_truck_stops(inst, plan, xy, colours),
        truck_colour=colours,
    )


def _zones(inst: Instance) -> list[dict[str, Any]]:
    """The ``zones`` layer: each zone a Polygon, filled by its policy."""
    out = []
    for z in inst.zones:
        poly = Polygon(z.polygon[0], z.polygon[1:])
        out.append(
            {
                "type": "Feature",
                "geometry": _geometry(poly),
                "properties": {
                    "layer": "zone",
                    "kind": "zone",
                    "id": z.id,
                    "name": z.name,
                    "policy": z.policy,
                    "title": f"{z.name or z.id} ({z.policy.replace('_', ' ')})",
                    "description": {
                        "closed_loop": "only its loop drivers drive inside",
                        "permit": "entry with a pass through a checkpoint",
                        "open": "no restriction",
                    }[z.policy],
                    "stroke": POLICY_FILL[z.policy],
                    "stroke-width": 2,
                    "fill": POLICY_FILL[z.policy],
                    "fill-opacity": 0.12,
                },
            }
        )
    return out


def _relay_stations(inst: Instance, plan: Plan, xy: dict[str, Coord]) -> list[dict[str, Any]]:
    """Relay stations for the ``stations`` layer, with the handovers, transloads and loop
    drivers the plan uses there."""
    handovers = Counter(h.station for h in plan.handovers)
    transloads = Counter(t.station for t in plan.transloads)
    loop_count: Counter[str] = Counter()
    for pool in inst.driver_pools:
        if pool.kind == "loop" and pool.station:
            loop_count[pool.station] += pool.count
    used = Counter(d.station for d in plan.loop_drivers)
    out = []
    for st in inst.relay_stations:
        does = [w for w, on in (("driver swap", st.driver_swap), ("transload", st.transload)) if on]
        out.append(
            _point(
                *xy[st.place],
                {
                    "layer": "stations",
                    "kind": "relay_station",
                    "id": st.id,
                    "name": st.name,
                    "zone": st.zone,
                    "driver_swap": st.driver_swap,
                    "transload": st.transload,
                    "handover_minutes": st.handover_minutes,
                    "transload_minutes": st.transload_minutes,
                    "bays": st.bays,
                    "hours": [list(h) for h in st.hours],
                    "loop_drivers": loop_count[st.id],
                    "loop_drivers_used": used[st.id],
                    "handovers": handovers[st.id],
                    "transloads": transloads[st.id],
                    "title": f"{st.name or st.id} (relay station)",
                    "description": (
                        f"{', '.join(does)}; {st.bays} bays; {handovers[st.id]} handovers, "
                        f"{transloads[st.id]} transloads; loop drivers used "
                        f"{used[st.id]}/{loop_count[st.id]}"
                    ),
                    "marker-color": MARKER["relay_station"],
                    "marker-symbol": "town-hall",
                },
            )
        )
    return out


def _checkpoints(inst: Instance, plan: Plan) -> list[dict[str, Any]]:
    """Checkpoints for the ``stations`` layer, with the crossings the plan makes."""
    crossings: Counter[str] = Counter()
    for r in plan.routes:
        for leg in r.legs:
            for c in leg.crossings:
                crossings[c.checkpoint] += 1
    return [
        _point(
            cp.lon,
            cp.lat,
            {
                "layer": "stations",
                "kind": "checkpoint",
                "id": cp.id,
                "name": cp.name,
                "zone": cp.zone,
                "delay_minutes": cp.delay,
                "throughput_per_hour": cp.throughput_per_hour,
                "closed": cp.closed,
                "hours": [list(h) for h in cp.hours],
                "crossings": crossings[cp.id],
                "title": f"{cp.name or cp.id} (checkpoint{', closed' if cp.closed else ''})",
                "description": (
                    f"zone {cp.zone}; {cp.delay:g} min inspection; "
                    f"{crossings[cp.id]} crossings planned"
                ),
                "marker-color": MARKER["checkpoint"],
                "marker-symbol": "police",
            },
        )
        for cp in inst.checkpoints
    ]


def _rail_stations(inst: Instance, plan: Plan, xy: dict[str, Coord]) -> list[dict[str, Any]]:
    """Rail stations for the ``stations`` layer, with the departures and arrivals booked."""
    services = {s.id: s for s in inst.rail_services}
    bookings: Counter[str] = Counter()
    for booking in plan.rail_bookings:
        bookings[services[booking.service].origin] += 1
        bookings[services[booking.service].destination] += 1
    return [
        _point(
            *xy[rs.place],
            {
                "layer": "stations",
                "kind": "rail_station",
                "id": rs.id,
                "name": rs.name,
                "handling_minutes": rs.handling_minutes,
                "departures_booked": bookings[rs.id],
                "title": f"{rs.name or rs.id} (rail station)",
                "description": f"{rs.handling_minutes:g} min handling; "
                f"{bookings[rs.id]} booked departures or arrivals",
                "marker-color": MARKER["rail_station"],
                "marker-symbol": "rail",
            },
        )
        for rs in inst.rail_stations
    ]


def _depots(inst: Instance, xy: dict[str, Coord]) -> list[dict[str, Any]]:
    """The ``depots`` layer: each depot with the number of trucks based there."""
    based = Counter(t.depot for t in inst.trucks)
    return [
        _point(
            *xy[d.place],
            {
                "layer": "depots",
                "kind": "depot",
                "id": d.id,
                "place": d.place,
                "trucks": based[d.id],
                "title": f"{d.id} (depot)",
                "description": f"{based[d.id]} trucks based here",
                "marker-color": MARKER["depot"],
                "marker-symbol": "warehouse",
            },
        )
        for d in inst.depots
    ]


def _truck_legs(
    inst: Instance, plan: Plan, xy: dict[str, Coord], outcome: dict[str, ShipmentOutcome]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """The ``outside_legs`` and ``loop_legs`` layers, and each truck's colour.

    Each leg is a LineString from its stop's site along the roads to the next site, in
    the truck's colour; a loop driver's leg is a broad translucent band. A leg that goes
    nowhere (both stops at one site) is left out: its stops are in ``truck_stops``.
    """
    outside: list[dict[str, Any]] = []
    loop_legs: list[dict[str, Any]] = []
    colours: dict[str, str] = {}
    for i, r in enumerate(plan.routes):
        colour = PALETTE[i % len(PALETTE)]
        colours[r.truck] = colour
        aboard: set[str] = set()
        for k, leg in enumerate(r.legs):
            a = r.stops[k]
            if a.kind in ("pickup", "load"):
                aboard |= set(a.shipments)
            elif a.kind in ("delivery", "unload"):
                aboard -= set(a.shipments)
            feature = _truck_leg(inst, r, k, sorted(aboard), colour, xy, outcome)
            if feature is None:
                continue
            loop = leg.driver_kind == "loop"
            (loop_legs if loop else outside).append(feature)
    return outside, loop_legs, colours


def _truck_leg(
    inst: Instance,
    r: TruckRoute,
    k: int,
    carried: list[str],
    colour: str,
    xy: dict[str, Coord],
    outcome: dict[str, ShipmentOutcome],
) -> dict[str, Any] | None:
    """Leg ``k`` of route ``r`` as a LineString feature, ``carried`` aboard; None for a
    leg of zero length."""
    places, start = inst.places_by_id, inst.start
    leg, a, nxt = r.legs[k], r.stops[k], r.stops[k + 1]
    # From the site, along the roads, to the next site.
    line = _rounded(LineString([xy[a.place], *[tuple(c) for c in leg.coords], xy[nxt.place]]))
    if line.is_empty:
        return None
    delays = [outcome[s].delay for s in carried if s in outcome]
    loop = leg.driver_kind == "loop"
    leg_props = {
        "layer": "loop_legs" if loop else "outside_legs",
        "kind": "truck_leg",
        "truck": r.truck,
        "leg": k,
        "driver": leg.driver,
        "driver_kind": leg.driver_kind,
        "from": a.place,
        "to": nxt.place,
        "shipments": carried,
        "depart": _iso(start, leg.depart),
        "arrive": _iso(start, leg.arrive),
        "depart_minute": leg.depart,
        "arrive_minute": leg.arrive,
        "km": round(leg.km, 3),
        "delay": round(max(delays), 1) if delays else 0.0,
        "checkpoints": [c.checkpoint for c in leg.crossings],
        "title": f"{r.truck}: {places[a.place].name or a.place} → "
        f"{places[nxt.place].name or nxt.place}",
        "description": (
            f"{'loop' if loop else 'outside'} driver {leg.driver}; "
            f"{_hhmm(leg.depart)}–{_hhmm(leg.arrive)}; "
            f"{len(carried)} shipments aboard"
            + (f"; latest of them {max(delays):.0f} min late" if delays else "")
        ),
        "stroke": colour,
        "stroke-width": 6 if loop else 3,
        "stroke-opacity": 0.5 if loop else 0.9,
    }
    return {"type": "Feature", "geometry": _geometry(line), "properties": leg_props}


def _rail_legs(inst: Instance, plan: Plan, xy: dict[str, Coord]) -> list[dict[str, Any]]:
    """The ``rail`` layer: each booked departure a straight line between its stations."""
    start = inst.start
    services = {s.id: s for s in inst.rail_services}
    rail_place = {r.id: r.place for r in inst.rail_stations}
    out = []
    for b in plan.rail_bookings:
        svc = services[b.service]
        line = [xy[rail_place[svc.origin]], xy[rail_place[svc.destination]]]
        out.append(
            {
                "type": "Feature",
                "geometry": _geometry(LineString(line)),
                "properties": {
                    "layer": "rail",
                    "kind": "rail_leg",
                    "service": b.service,
                    "from": svc.origin,
                    "to": svc.destination,
                    "departure": _iso(start, b.departure),
                    "arrival": _iso(start, b.arrival),
                    "departure_minute": b.departure,
                    "arrival_minute": b.arrival,
                    "shipments": list(b.shipments),
                    "load": {d: b.load.get(d, 0.0) for d in inst.capacity_dimensions()},
                    "cost": b.cost,
                    "title": f"train {b.service} {_hhmm(b.departure)}",
                    "description": f"{svc.origin} → {svc.destination}, arrives "
                    f"{_hhmm(b.arrival)}; {len(b.shipments)} shipments",
                    "stroke": RAIL_COLOUR,
                    "stroke-width": 4,
                    "stroke-opacity": 0.9,
                },
            }
        )
    return out


def _shipment_ends(
    inst: Instance, plan: Plan, xy: dict[str, Coord], outcome: dict[str, ShipmentOutcome]
) -> list[dict[str, Any]]:
    """The ``shipment_ends`` layer: each shipment's origin and destination, with its
    outcome (served, unserved with the reason, or not in the plan)."""
    start = inst.start
    dims = inst.capacity_dimensions()
    unserved = {u.shipment: u for u in plan.unserved}
    out = []
    for sh in inst.shipments:
        o = outcome.get(sh.id)
        u = unserved.get(sh.id)
        status = "served" if o else ("unserved" if u else "not in plan")
        for end, place in (("origin", sh.origin), ("destination", sh.destination)):
            props: dict[str, Any] = {
                "layer": "shipment_ends",
                "kind": f"shipment_{end}",
                "shipment": sh.id,
                "place": place,
                "status": status,
                "ready": _iso(start, sh.ready),
                "due": _iso(start, sh.due),
                "priority": sh.priority,
                "quantity": {d: sh.quantity.get(d, 0.0) for d in dims},
                "marker-color": MARKER[f"shipment_{end}"],
                "marker-size": "small",
                "title": f"{sh.id} {end}",
            }
            if o is not None:
                props.update(
                    truck=o.truck,
                    itinerary=o.itinerary,
                    pickup=_iso(start, o.pickup),
                    delivered=_iso(start, o.delivered),
                    delay=round(o.delay, 1),
                    description=f"picked up {_hhmm(o.pickup)}, delivered "
                    f"{_hhmm(o.delivered)} ({o.delay:.0f} min late) by {o.truck}",
                )
            elif u is not None:
                props.update(reason=u.reason, description=f"unserved: {u.reason} — {u.detail}")
            else:
                props.update(description="not in the plan")
            out.append(_point(*xy[place], props))
    return out


STOP_WORDS = {
    "start": "starts",
    "pickup": "picks up",
    "delivery": "delivers",
    "handover": "changes driver",
    "unload": "unloads",
    "load": "loads",
    "end": "ends",
}


def _truck_stops(
    inst: Instance, plan: Plan, xy: dict[str, Coord], colours: dict[str, str]
) -> list[dict[str, Any]]:
    """The ``truck_stops`` layer: every stop of every truck as a Point at its site."""
    places, start = inst.places_by_id, inst.start
    dims = inst.capacity_dimensions()
    out = []
    for r in plan.routes:
        for k, s in enumerate(r.stops):
            name = places[s.place].name or s.place
            what = STOP_WORDS[s.kind] + (f" {', '.join(s.shipments)}" if s.shipments else "")
            props: dict[str, Any] = {
                "layer": "truck_stops",
                "kind": "truck_stop",
                "truck": r.truck,
                "seq": k,
                "stop": s.kind,
                "place": s.place,
                "place_name": places[s.place].name,
                "station": s.station or "",
                "shipments": list(s.shipments),
                "arrive": _iso(start, s.arrive),
                "start": _iso(start, s.start),
                "depart": _iso(start, s.depart),
                "arrive_minute": s.arrive,
                "start_minute": s.start,
                "depart_minute": s.depart,
                "driver": s.driver,
                "load": {d: s.load.get(d, 0.0) for d in dims},
                "title": f"{r.truck} stop {k}: {name}",
                "description": f"{what}; {_hhmm(s.arrive)}–{_hhmm(s.depart)}; "
                f"driven away by {s.driver}",
                "marker-color": colours.get(r.truck, MARKER["truck_stop"]),
                "marker-size": "small",
            }
            out.append(_point(*xy[s.place], props))
    return out


def flat_properties(props: dict[str, Any]) -> dict[str, Any]:
    """Properties a GIS table takes: every value a string, number, boolean or null.

    A list becomes its items joined by spaces (a window ``[a, b]`` as ``a-b``), a dict one
    property per key (``quantity`` as ``qty_<key>``, others as ``<name>_<key>``), and the
    lists and dicts as they were are kept as JSON text in the ``json`` property.

    Parameters
    ----------
    props
        A feature's properties as :func:`plan_layers` makes them.

    Returns
    -------
    dict
        The flat properties, in the same order, ``json`` last.
    """
    flat: dict[str, Any] = {}
    kept: dict[str, Any] = {}
    for key, value in props.items():
        if isinstance(value, dict):
            kept[key] = value
            prefix = SPREAD_PREFIX.get(key, key)
            for sub, v in value.items():
                flat[f"{prefix}_{sub}"] = v
        elif isinstance(value, list | tuple):
            kept[key] = value
            flat[key] = " ".join(_word(v) for v in value)
        else:
            flat[key] = value
    if kept:
        flat["json"] = json.dumps(kept, ensure_ascii=False, separators=(",", ":"))
    return flat


SPREAD_PREFIX = {"quantity": "qty"}


def _word(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "-".join(_word(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _flat(features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**f, "properties": flat_properties(f["properties"])} for f in features]


def plan_geojson(inst: Instance, plan: Plan) -> dict[str, Any]:
    """The plan as one RFC 7946 FeatureCollection (a dict ready for ``json.dumps``).

    Parameters
    ----------
    inst
        The instance the plan was made for (geographic: road or straight-line mode).
    plan
        The plan.

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "features": [...], "bbox": [...]}``, the
        properties flat (:func:`flat_properties`).

    Raises
    ------
    InputError
        See :func:`plan_layers`.
    """
    layers = plan_layers(inst, plan)
    return feature_collection(_flat(layers.features()), plan)


def plan_frame(inst: Instance, plan: Plan) -> gpd.GeoDataFrame:
    """The plan's features as one GeoDataFrame in WGS84 (EPSG:4326), flat properties as
    columns: for analysis in Python, or ``to_file`` to a GeoPackage (one layer per
    geometry type, as ``frame[frame.geom_type == "Point"]``).

    Parameters
    ----------
    inst
        The instance the plan was made for.
    plan
        The plan.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature of :func:`plan_geojson`.

    Raises
    ------
    InputError
        See :func:`plan_layers`.
    """
    return gpd.GeoDataFrame.from_features(plan_geojson(inst, plan)["features"], crs="EPSG:4326")


GEOMETRY_FILES = {"Point": "points", "LineString": "lines", "Polygon": "polygons"}


def split_by_type(coll: dict[str, Any], plan: Plan) -> dict[str, dict[str, Any]]:
    """A FeatureCollection cut into one per geometry type, so each can be a Shapefile or a
    GeoPackage layer.

    Returns
    -------
    dict
        ``{"points" | "lines" | "polygons": FeatureCollection}``, only the types present.
    """
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in coll["features"]:
        groups[GEOMETRY_FILES[f["geometry"]["type"]]].append(f)
    return {
        name: feature_collection(groups[name], plan)
        for name in GEOMETRY_FILES.values()
        if name in groups
    }


def feature_collection(features: list[dict[str, Any]], plan: Plan) -> dict[str, Any]:
    """Features as a FeatureCollection named after the plan's instance, with its bbox."""
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in features]) if features else []
    coll: dict[str, Any] = {"type": "FeatureCollection"}
    if len(geoms):
        coll["bbox"] = _round(shapely.total_bounds(geoms))
    coll["name"] = plan.instance.name
    coll["features"] = features
    return coll


def split_geojson(inst: Instance, plan: Plan) -> dict[str, dict[str, Any]]:
    """One FeatureCollection per truck (its legs) and per loop driver (the legs it drove).

    Returns
    -------
    dict
        ``{"truck-<id>" | "driver-<id>": FeatureCollection}``.
    """
    layers = plan_layers(inst, plan)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in layers.outside_legs + layers.loop_legs:
        p = f["properties"]
        groups[f"truck-{p['truck']}"].append(f)
        if p["driver_kind"] == "loop":
            groups[f"driver-{p['driver']}"].append(f)
    return {
        key: feature_collection(_flat(sorted(fs, key=_leg_order)), plan)
        for key, fs in groups.items()
    }


def _leg_order(f: dict[str, Any]) -> tuple[float, str, int]:
    p = f["properties"]
    return (p["depart_minute"], p["truck"], p["leg"])


def _dumps(coll: dict[str, Any]) -> str:
    return json.dumps(coll, ensure_ascii=False, separators=(",", ":")) + "\n"


def geojson_files(
    inst: Instance,
    plan: Plan,
    path: str | Path,
    split: bool = False,
    split_types: bool = False,
) -> dict[Path, str]:
    """The text of each GeoJSON file :func:`write_geojson` writes, by path."""
    target = Path(path)
    suffix = target.suffix or ".geojson"
    whole = plan_geojson(inst, plan)
    texts = {target: _dumps(whole)}
    if split_types:
        for name, coll in split_by_type(whole, plan).items():
            texts[target.with_name(f"{target.stem}.{name}{suffix}")] = _dumps(coll)
    if split:
        for key, coll in split_geojson(inst, plan).items():
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", key)
            texts[target.with_name(f"{target.stem}.{safe}{suffix}")] = _dumps(coll)
    return texts


def write_geojson(
    inst: Instance,
    plan: Plan,
    path: str | Path,
    split: bool = False,
    split_types: bool = False,
) -> list[Path]:
    """Write the plan's GeoJSON to ``path``, and files beside it.

    Parameters
    ----------
    inst
        The instance the plan was made for.
    plan
        The plan.
    path
        The FeatureCollection of the whole plan (every geometry type).
    split
        Also one file per truck with legs drawn and per loop driver
        (``<stem>.truck-<id>.geojson``, ``<stem>.driver-<id>.geojson``; characters other
        than letters, digits, ``_.-`` replaced by ``_``).
    split_types
        Also one file per geometry type (``<stem>.points.geojson``, ``<stem>.lines.geojson``,
        ``<stem>.polygons.geojson``), each fit for a Shapefile or a GeoPackage layer.

    Returns
    -------
    list of Path
        The files written. Everything is built before the first is written, so bad input
        leaves no file.

    Raises
    ------
    InputError
        See :func:`plan_layers`; or a file cannot be written.
    """
    texts = geojson_files(inst, plan, path, split, split_types)
    for p, text in texts.items():
        write_text_atomic(p, text)
    return list(texts)

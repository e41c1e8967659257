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

Each layer is a :class:`geopandas.GeoDataFrame` (:meth:`Layer.frame`): its geometries made
and rounded by shapely over whole arrays (``shapely.points`` / ``linestrings``,
``set_precision``, ``orient_polygons``), its features written by
``GeoDataFrame.to_geo_dict``; the text goes through a temporary file beside the target and
``os.replace`` (:func:`relayroute.io.atomic.write_text_atomic`). GDAL's GeoJSON driver
(pyogrio) could write the same features, and be made atomic the same way, but does not
keep this module's contract: see ``benchmarks/export_speed.py`` and BENCHMARKS.md.

Properties follow the simplestyle-spec (``stroke``, ``stroke-width``, ``stroke-opacity``,
``marker-color``, ``fill``, ``fill-opacity``, ``title``, ``description``) so that
geojson.io shows colours with no set-up: one colour per truck, loop-driver legs drawn as a
broad translucent band in the truck's colour.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

from relayroute.errors import InputError
from relayroute.io.atomic import write_text_atomic

if TYPE_CHECKING:
    from relayroute.model.instance import Instance
    from relayroute.model.plan import Plan, ShipmentOutcome, TruckRoute

DECIMALS = 6  # about 0.1 m; RFC 7946 advises no more than needed

# Truck colours: Tableau 20 (its ten strong colours, then the ten light ones), then repeated;
# loop legs reuse the truck's colour. Typed out because matplotlib, which has it as the
# "tab20" colormap, is an optional extra (maps) and the GeoJSON export is core.
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
WGS84 = "EPSG:4326"
GRID = 10.0**-DECIMALS


def _round(coords: Any) -> Any:
    return np.round(np.asarray(coords, dtype=float), DECIMALS).tolist()


def _rounded(geoms: Any) -> np.ndarray:
    """Geometries (an array) snapped to the :data:`DECIMALS` grid by GEOS: repeated points
    go, a line whose points all coincide becomes empty, polygons' exterior rings run
    counter-clockwise and holes clockwise; then each coordinate is the float nearest its
    decimal, so that it prints with no more than :data:`DECIMALS` decimals."""
    out = shapely.orient_polygons(shapely.set_precision(np.asarray(geoms, dtype=object), GRID))
    return np.asarray(shapely.transform(out, lambda xy: np.round(xy, DECIMALS)), dtype=object)


def _points(xy: list[Coord]) -> np.ndarray:
    """Points at lon/lat pairs, made and rounded as one array."""
    return _rounded(shapely.points(np.asarray(xy, dtype=float).reshape(-1, 2)))


@dataclass
class Layer:
    """One layer of the map: a feature per row.

    Attributes
    ----------
    name
        The layer's name (``zones``, ``relay_stations``, ``outside_legs`` ...).
    rows
        Each feature's properties as :func:`plan_layers` makes them (lists and dicts kept).
    geometry
        The features' shapely geometries, rounded, one per row.
    sparse
        The rows do not all have the same keys (shipment ends: the outcome's); a feature
        then has only its own, not nulls for the others'.
    """

    name: str
    rows: list[dict[str, Any]]
    geometry: np.ndarray
    sparse: bool = False

    def frame(self, flat: bool = True) -> gpd.GeoDataFrame:
        """The layer as a GeoDataFrame in WGS84, a column per property (flat:
        :func:`flat_properties`, ``json`` last; else lists and dicts as they are)."""
        rows = [flat_properties(r) for r in self.rows] if flat else self.rows
        # object columns: values stay as they were (no int read as float beside a null)
        table = pd.DataFrame(rows, dtype=object)
        if self.sparse:
            table = table[_merged_order(rows)]
        return gpd.GeoDataFrame(table, geometry=list(self.geometry), crs=WGS84)

    def features(self, flat: bool = False) -> list[dict[str, Any]]:
        """The layer's GeoJSON Feature dicts (rich properties unless ``flat``)."""
        return _features(self.frame(flat), self.sparse)


def _merged_order(rows: list[dict[str, Any]]) -> list[str]:
    """One column order in which every row's keys come in that row's own order (an
    unserved shipment's ``reason`` before its ``description``, as a served one's ``truck``),
    so that a feature of a sparse layer lists its properties as its row does."""
    first: dict[str, int] = {}
    after = nx.DiGraph()
    for keys in dict.fromkeys(tuple(row) for row in rows):  # each distinct order once
        for k in keys:
            first.setdefault(k, len(first))
        after.add_nodes_from(keys)
        after.add_edges_from(itertools.pairwise(keys))
    try:
        return list(nx.lexicographical_topological_sort(after, key=first.__getitem__))
    except nx.NetworkXUnfeasible:  # rows disagree on an order: first seen first
        return list(first)


def _features(frame: gpd.GeoDataFrame, sparse: bool) -> list[dict[str, Any]]:
    """The frame's rows as GeoJSON Features (a sparse layer's missing values left out)."""
    if not len(frame):
        return []
    feats = frame.to_geo_dict(na="drop" if sparse else "null", drop_id=True)["features"]
    # geometry before properties, as RFC 7946 writes its examples
    return [
        {"type": "Feature", "geometry": f["geometry"], "properties": f["properties"]} for f in feats
    ]


LAYERS = (
    "zones",
    "relay_stations",
    "checkpoints",
    "rail_stations",
    "depots",
    "outside_legs",
    "loop_legs",
    "rail",
    "shipment_ends",
    "truck_stops",
)


@dataclass
class PlanLayers:
    """A plan's map features by layer, in drawing order (zones first, underneath)."""

    layers: list[Layer] = field(default_factory=list)
    truck_colour: dict[str, str] = field(default_factory=dict)

    def layer(self, name: str) -> Layer:
        """The layer called ``name`` (one of :data:`LAYERS`)."""
        for la in self.layers:
            if la.name == name:
                return la
        raise KeyError(name)

    def features(self) -> list[dict[str, Any]]:
        """Every feature as a GeoJSON dict with rich properties, layer after layer."""
        return [f for la in self.layers for f in la.features(flat=False)]


def _iso(start: datetime, minutes: float) -> str:
    return (start + timedelta(minutes=float(minutes))).isoformat(timespec="seconds")


def _hhmm(minutes: float) -> str:
    m = round(minutes)
    day, m = divmod(m, 1440)
    return f"{'+' + str(day) + 'd ' if day else ''}{m // 60:02d}:{m % 60:02d}"


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
        One :class:`Layer` per name of :data:`LAYERS`, properties in simplestyle.

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
    layers = [
        _zones(inst),
        _relay_stations(inst, plan, xy),
        _checkpoints(inst, plan),
        _rail_stations(inst, plan, xy),
        _depots(inst, xy),
        outside,
        loop,
        _rail_legs(inst, plan, xy),
        _shipment_ends(inst, plan, xy, outcome),
        _truck_stops(inst, plan, xy, colours),
    ]
    return PlanLayers(layers=layers, truck_colour=colours)


def _zones(inst: Instance) -> Layer:
    """The ``zones`` layer: each zone a Polygon, filled by its policy, with the minutes
    it holds (``area_from``, ``area_to``; none: to the end of the day); a zone drawn anew during
    the day (a re-planned day) one Polygon per area, with the policy it starts with."""
    rows: list[dict[str, Any]] = []
    polygons = []
    for z in inst.zones:
        areas = z.areas
        for lo, hi, rings in areas:
            policy = z.policy_at(lo)
            row: dict[str, Any] = {
                "layer": "zone",
                "kind": "zone",
                "id": z.id,
                "name": z.name,
                "policy": policy,
                "title": f"{z.name or z.id} ({policy.replace('_', ' ')})",
                "description": {
                    "closed_loop": "only its loop drivers drive inside",
                    "permit": "entry with a pass through a checkpoint",
                    "open": "no restriction",
                }[policy],
                "stroke": POLICY_FILL[policy],
                "stroke-width": 2,
                "fill": POLICY_FILL[policy],
                "fill-opacity": 0.12,
            }
            row["area_from"] = lo
            row["area_to"] = None if math.isinf(hi) else hi
            if len(areas) > 1:
                row["title"] += f", its area from {lo:g} min"
            rows.append(row)
            polygons.append(Polygon(rings[0], rings[1:]))
    return Layer("zones", rows, _rounded(polygons))


def _relay_stations(inst: Instance, plan: Plan, xy: dict[str, Coord]) -> Layer:
    """Relay stations for the ``stations`` layer, with the handovers, transloads and loop
    drivers the plan uses there."""
    handovers = Counter(h.station for h in plan.handovers)
    transloads = Counter(t.station for t in plan.transloads)
    loop_count: Counter[str] = Counter()
    for pool in inst.driver_pools:
        if pool.kind == "loop" and pool.station:
            loop_count[pool.station] += pool.count
    used = Counter(d.station for d in plan.loop_drivers)
    rows = []
    for st in inst.relay_stations:
        does = [w for w, on in (("driver swap", st.driver_swap), ("transload", st.transload)) if on]
        rows.append(
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
            }
        )
    return Layer("relay_stations", rows, _points([xy[st.place] for st in inst.relay_stations]))


def _checkpoints(inst: Instance, plan: Plan) -> Layer:
    """Checkpoints for the ``stations`` layer, with the crossings the plan makes."""
    crossings: Counter[str] = Counter()
    for r in plan.routes:
        for leg in r.legs:
            for c in leg.crossings:
                crossings[c.checkpoint] += 1
    rows = [
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
                f"zone {cp.zone}; {cp.delay:g} min inspection; {crossings[cp.id]} crossings planned"
            ),
            "marker-color": MARKER["checkpoint"],
            "marker-symbol": "police",
        }
        for cp in inst.checkpoints
    ]
    return Layer("checkpoints", rows, _points([(cp.lon, cp.lat) for cp in inst.checkpoints]))


def _rail_stations(inst: Instance, plan: Plan, xy: dict[str, Coord]) -> Layer:
    """Rail stations for the ``stations`` layer, with the departures and arrivals booked."""
    services = {s.id: s for s in inst.rail_services}
    bookings: Counter[str] = Counter()
    for booking in plan.rail_bookings:
        bookings[services[booking.service].origin] += 1
        bookings[services[booking.service].destination] += 1
    rows = [
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
        }
        for rs in inst.rail_stations
    ]
    return Layer("rail_stations", rows, _points([xy[rs.place] for rs in inst.rail_stations]))


def _depots(inst: Instance, xy: dict[str, Coord]) -> Layer:
    """The ``depots`` layer: each depot with the number of trucks based there."""
    based = Counter(t.depot for t in inst.trucks)
    rows = [
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
        }
        for d in inst.depots
    ]
    return Layer("depots", rows, _points([xy[d.place] for d in inst.depots]))


def _truck_legs(
    inst: Instance, plan: Plan, xy: dict[str, Coord], outcome: dict[str, ShipmentOutcome]
) -> tuple[Layer, Layer, dict[str, str]]:
    """The ``outside_legs`` and ``loop_legs`` layers, and each truck's colour.

    Each leg is a LineString from its stop's site along the roads to the next site, in
    the truck's colour; a loop driver's leg is a broad translucent band. A leg that goes
    nowhere (both stops at one site) is left out: its stops are in ``truck_stops``.
    """
    rows: list[dict[str, Any]] = []
    coords: list[Coord] = []  # every leg's points one after the other ...
    index: list[int] = []  # ... and the leg each belongs to
    colours: dict[str, str] = {}
    for i, r in enumerate(plan.routes):
        colour = PALETTE[i % len(PALETTE)]
        colours[r.truck] = colour
        aboard: set[str] = set()
        for k, leg in enumerate(r.legs):
            a, nxt = r.stops[k], r.stops[k + 1]
            if a.kind in ("pickup", "load"):
                aboard |= set(a.shipments)
            elif a.kind in ("delivery", "unload"):
                aboard -= set(a.shipments)
            # From the site, along the roads, to the next site.
            line = [xy[a.place], *[(c[0], c[1]) for c in leg.coords], xy[nxt.place]]
            coords.extend(line)
            index.extend([len(rows)] * len(line))
            rows.append(_leg_properties(inst, r, k, sorted(aboard), colour, outcome))
    lines = _rounded(
        shapely.linestrings(np.asarray(coords, dtype=float).reshape(-1, 2), indices=index)
    )
    drawn = ~shapely.is_empty(lines)  # a leg whose points all coincide has no length
    loop = np.array([p["driver_kind"] == "loop" for p in rows], dtype=bool)
    out: list[Layer] = []
    for name, keep in (("outside_legs", drawn & ~loop), ("loop_legs", drawn & loop)):
        out.append(Layer(name, [rows[j] for j in np.flatnonzero(keep)], lines[keep]))
    return out[0], out[1], colours


def _leg_properties(
    inst: Instance,
    r: TruckRoute,
    k: int,
    carried: list[str],
    colour: str,
    outcome: dict[str, ShipmentOutcome],
) -> dict[str, Any]:
    """The properties of leg ``k`` of route ``r``, ``carried`` aboard."""
    places, start = inst.places_by_id, inst.start
    leg, a, nxt = r.legs[k], r.stops[k], r.stops[k + 1]
    delays = [outcome[s].delay for s in carried if s in outcome]
    loop = leg.driver_kind == "loop"
    return {
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


def _rail_legs(inst: Instance, plan: Plan, xy: dict[str, Coord]) -> Layer:
    """The ``rail`` layer: each booked departure a straight line between its stations."""
    start = inst.start
    services = {s.id: s for s in inst.rail_services}
    rail_place = {r.id: r.place for r in inst.rail_stations}
    rows = []
    ends = []
    for b in plan.rail_bookings:
        svc = services[b.service]
        ends.append([xy[rail_place[svc.origin]], xy[rail_place[svc.destination]]])
        rows.append(
            {
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
            }
        )
    lines = shapely.linestrings(np.asarray(ends, dtype=float).reshape(-1, 2, 2))
    return Layer("rail", rows, _rounded(lines))


def _shipment_ends(
    inst: Instance, plan: Plan, xy: dict[str, Coord], outcome: dict[str, ShipmentOutcome]
) -> Layer:
    """The ``shipment_ends`` layer: each shipment's origin and destination, with its
    outcome (served, unserved with the reason, or not in the plan)."""
    start = inst.start
    dims = inst.capacity_dimensions()
    unserved = {u.shipment: u for u in plan.unserved}
    rows: list[dict[str, Any]] = []
    at: list[Coord] = []
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
            rows.append(props)
            at.append(xy[place])
    # each end has its outcome's keys only (truck ... if served, reason if unserved)
    return Layer("shipment_ends", rows, _points(at), sparse=True)


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
) -> Layer:
    """The ``truck_stops`` layer: every stop of every truck as a Point at its site."""
    places, start = inst.places_by_id, inst.start
    dims = inst.capacity_dimensions()
    rows: list[dict[str, Any]] = []
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
            rows.append(props)
    at = [xy[s.place] for r in plan.routes for s in r.stops]
    return Layer("truck_stops", rows, _points(at))


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


@dataclass
class Written:
    """A layer as the files hold it: its flat frame and its Features, made once (by
    ``to_geo_dict``) for every file that has them."""

    name: str
    frame: gpd.GeoDataFrame
    features: list[dict[str, Any]]

    def subset(self, rows: np.ndarray) -> Written:
        """The rows at positions ``rows``, in that order."""
        return Written(self.name, self.frame.iloc[rows], [self.features[i] for i in rows])


def _written(layers: PlanLayers) -> list[Written]:
    out = []
    for la in layers.layers:
        frame = la.frame(flat=True)
        out.append(Written(la.name, frame, _features(frame, la.sparse)))
    return out


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
        ``{"type": "FeatureCollection", "bbox": [...], "name": ..., "features": [...]}``,
        the properties flat (:func:`flat_properties`).

    Raises
    ------
    InputError
        See :func:`plan_layers`.
    """
    return feature_collection(_written(plan_layers(inst, plan)), plan)


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
        One row per feature of :func:`plan_geojson`, a column per property of any.

    Raises
    ------
    InputError
        See :func:`plan_layers`.
    """
    frames = [w.frame for w in _written(plan_layers(inst, plan)) if len(w.frame)]
    out = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=WGS84)


GEOMETRY_FILES = {"Point": "points", "LineString": "lines", "Polygon": "polygons"}


def split_by_type(parts: list[Written], plan: Plan) -> dict[str, dict[str, Any]]:
    """The plan's layers cut into one FeatureCollection per geometry type, so each can be
    a Shapefile or a GeoPackage layer.

    Returns
    -------
    dict
        ``{"points" | "lines" | "polygons": FeatureCollection}``, only the types present,
        features in the order of the whole file.
    """
    out = {}
    for gtype, name in GEOMETRY_FILES.items():
        picked = [w.subset(np.flatnonzero(w.frame.geom_type == gtype)) for w in parts]
        if any(w.features for w in picked):
            out[name] = feature_collection(picked, plan)
    return out


def feature_collection(parts: list[Written], plan: Plan) -> dict[str, Any]:
    """Layers as one FeatureCollection named after the plan's instance, with its bbox."""
    coll: dict[str, Any] = {"type": "FeatureCollection"}
    bounds = [w.frame.total_bounds for w in parts if len(w.frame)]
    if bounds:
        b = np.asarray(bounds)
        coll["bbox"] = _round([b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()])
    coll["name"] = plan.instance.name
    coll["features"] = [f for w in parts for f in w.features]
    return coll


def split_geojson(inst: Instance, plan: Plan) -> dict[str, dict[str, Any]]:
    """One FeatureCollection per truck (its legs) and per loop driver (the legs it drove).

    Returns
    -------
    dict
        ``{"truck-<id>" | "driver-<id>": FeatureCollection}``, legs by departure.
    """
    return _split(_written(plan_layers(inst, plan)), plan)


def _split(parts: list[Written], plan: Plan) -> dict[str, dict[str, Any]]:
    legs = [w for w in parts if w.name in ("outside_legs", "loop_legs") and w.features]
    if not legs:
        return {}
    both = Written(
        "legs",
        pd.concat([w.frame for w in legs], ignore_index=True),
        [f for w in legs for f in w.features],
    )
    order = both.frame.sort_values(["depart_minute", "truck", "leg"], kind="stable").index
    both = both.subset(np.asarray(order))
    frame = both.frame.reset_index(drop=True)  # positions again, in departure order
    out = {}
    for truck, rows in frame.groupby("truck", sort=False).indices.items():
        out[f"truck-{truck}"] = feature_collection([both.subset(rows)], plan)
    loop = frame[frame["driver_kind"] == "loop"]
    for driver, rows in loop.groupby("driver", sort=False).indices.items():
        out[f"driver-{driver}"] = feature_collection([both.subset(loop.index[rows])], plan)
    return out


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
    parts = _written(plan_layers(inst, plan))
    texts = {target: _dumps(feature_collection(parts, plan))}
    if split_types:
        for name, coll in split_by_type(parts, plan).items():
            texts[target.with_name(f"{target.stem}.{name}{suffix}")] = _dumps(coll)
    if split:
        for key, coll in _split(parts, plan).items():
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

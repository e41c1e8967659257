"""A plan as one self-contained HTML page (folium / Leaflet) that a decision maker reads
at a glance.

What the page shows, bottom to top: the zones as areas (colour by policy), the instance's
own roads and place names (a readable base with no tiles), the trucks' legs coloured by
the most urgent shipment aboard (dashed where a loop driver drives), trains, the shipment
sites (green all on time, amber some late, dark red some unserved) and, above every line,
the relay stations, checkpoints, rail stations and depots. Popups say in words what
happened there, in the instance's local clock time. A KPI box (with units), a legend drawn
from the same styles as the map, a layer control counting trucks and drivers, a scale bar,
a report panel with the charts, and a time slider that moves the trucks over the day
(Leaflet.timeline through folium's ``Timeline`` plugin).

Leaflet (BSD-2-Clause, ``static/leaflet``) and Leaflet.timeline (ISC,
``static/leaflet-timeline``) are written into the page, so it opens from a file with no
server and no network; only the background map tiles, if asked for, come from a tile
server.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import shapely
from branca.element import MacroElement
from folium.plugins import Timeline, TimelineSlider
from folium.template import Template
from folium.utilities import JsCode
from matplotlib import colormaps
from matplotlib.colors import to_hex

from relayroute.export.charts import chart_pngs
from relayroute.export.geojson import plan_layers
from relayroute.io.atomic import write_text_atomic
from relayroute.io.roads import read_graphml, read_nodes_edges, read_osm_xml

if TYPE_CHECKING:
    from datetime import datetime

    import networkx as nx

    from relayroute.model.instance import Instance, Place
    from relayroute.model.plan import Plan, ShipmentOutcome, TruckRoute, Unserved

# Layer keys and the first words of their names in the layer control (counts follow).
LAYER_NAMES = {
    "zones": "Zones",
    "roads": "Roads",
    "labels": "Place names",
    "outside_legs": "Outside drivers",
    "loop_legs": "Loop drivers",
    "rail": "Trains",
    "sites": "Shipment sites",
    "depots": "Depots",
    "relay_stations": "Relay stations",
    "checkpoints": "Checkpoints",
    "rail_stations": "Rail stations",
    "trucks": "Trucks over the day",
}
TILES = {
    "osm": "OpenStreetMap",
    "light": "CartoDB positron",
    "none": None,
}
_INLINE = "relayroute-inline:"
_ASSETS = {
    "leaflet.js": ("leaflet", "leaflet.js"),
    "leaflet.timeline.js": ("leaflet-timeline", "leaflet.timeline.js"),
}

# Panes, bottom to top (Leaflet: tiles 200, overlays 400, markers 600, popups 700): every
# marker lies above every line, so a click on a station opens the station.
PANES = {
    "rr-zones": 380,
    "rr-roads": 390,
    "rr-legs": 410,
    "rr-rail": 420,
    "rr-sites": 590,
    "rr-trucks": 600,
    "rr-stations": 610,
    "rr-labels": 630,
}

ZONE_COLOUR = {"closed_loop": "#d62728", "permit": "#ff7f0e", "open": "#2ca02c"}
ZONE_WORDS = {
    "closed_loop": "closed-loop zone: only its own loop drivers drive inside",
    "permit": "permit zone: entry through a checkpoint with a freight pass",
    "open": "open zone: no restriction",
}
EMPTY_COLOUR = "#8d8d8d"
RAIL_COLOUR = "#37474f"
SITE_COLOUR = {"on_time": "#2e7d32", "late": "#f9a825", "unserved": "#8e0000"}
SITE_WORDS = {
    "on_time": "shipment site: all delivered on time",
    "late": "shipment site: some delivered late",
    "unserved": "shipment site: some unserved",
}
TRUCK_COLOUR = {"outside": "#0d47a1", "loop": "#ad1457"}
ROAD_WIDTH = {"expressway": 4.0, "national": 3.0, "provincial": 2.5, "urban": 2.0}
ROAD_COLOUR = "#b9ae9c"
OFFLINE_BACKGROUND = "#f4f1ea"
TRUCK_STEP = 5  # minutes between two positions of a moving truck on the time slider
MINOR_LABEL_PX = 150  # names of places inside a zone show once it is this wide on screen
SHARED_SITE_RADIUS = 16  # px: a site where a station stands shows around its icon
MAX_LISTED = 8  # shipments named in a leg's popup before "and N more"


def _static(folder: str, name: str) -> bytes:
    return files("relayroute.export").joinpath("static", folder, name).read_bytes()


def _leaflet_css() -> str:
    css = _static("leaflet", "leaflet.css").decode("utf-8")

    # The layer-control icon and default marker as data URIs: a file page cannot fetch them.
    def data_uri(m: re.Match[str]) -> str:
        png = base64.b64encode(_static("leaflet", f"images/{m.group(1)}")).decode("ascii")
        return f"url(data:image/png;base64,{png})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", data_uri, css)


def _inline_assets(page: str) -> str:
    for name, (folder, file) in _ASSETS.items():
        js = _static(folder, file).decode("utf-8")
        page = page.replace(f'<script src="{_INLINE}{name}"></script>', f"<script>{js}</script>")
    page = page.replace(
        f'<link rel="stylesheet" href="{_INLINE}leaflet.css"/>',
        f"<style>{_leaflet_css()}</style>",
    )
    if _INLINE in page:  # folium changed how it writes its assets
        raise RuntimeError("could not inline Leaflet into the map page")
    return page


# --- words and times -------------------------------------------------------------------


@dataclass(frozen=True)
class _Clock:
    """Minutes from the instance start as local clock times (the start's own offset)."""

    start: datetime

    def at(self, minutes: float) -> str:
        t = self.start + timedelta(minutes=round(float(minutes)))
        same_day = t.date() == self.start.date()
        return t.strftime("%H:%M") if same_day else t.strftime("%a %d %b %H:%M")

    def span(self, a: float, b: float) -> str:
        return f"{self.at(a)}–{self.at(b)}"

    def hours(self, windows: list[tuple[float, float]]) -> str:
        if not windows:
            return "open all day"
        return "open " + ", ".join(self.span(a, b) for a, b in windows)

    def zone_name(self) -> str:
        off = self.start.utcoffset() or timedelta(0)
        sign = "+" if off >= timedelta(0) else "-"
        h, m = divmod(int(abs(off).total_seconds()) // 60, 60)
        return f"UTC{sign}{h:02d}:{m:02d}"


def _e(text: object) -> str:
    return html.escape(str(text))


def _name(place: Place | None, fallback: str) -> str:
    return (place.name if place is not None and place.name else "") or fallback


def _short(name: str) -> str:
    """A place name for a map label: without its bracketed remarks."""
    return re.sub(r"\s*\([^)]*\)", "", name).strip() or name


def _titled(kind: str, name: str) -> str:
    """``kind name``, unless the name says what it is already ("… relay station")."""
    last = kind.split()[-1].lower()
    return name if last in name.lower() else f"{kind} {name}"


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _popup(title: str, *lines: str) -> str:
    body = "".join(f"<div>{line}</div>" for line in lines if line)
    return f'<div class="rr-pop"><b>{_e(title)}</b>{body}</div>'


def _amount(q: dict[str, float]) -> str:
    return ", ".join(f"{v:g} {_e(k)}" for k, v in q.items())


# --- styles shared by the map and its legend ---------------------------------------------


def _icon(kind: str, closed: bool = False) -> dict[str, Any]:
    """A station-like marker as Leaflet DivIcon options (the legend draws the same HTML)."""
    base = "display:block;box-sizing:border-box;border:2px solid #fff;box-shadow:0 0 3px #000;"
    if kind == "relay_station":
        size, anchor = 20, (10, 10)
        body = (
            f'<span style="{base}width:20px;height:20px;border-radius:4px;background:#6a3d9a;'
            'color:#fff;font:bold 11px/16px sans-serif;text-align:center">R</span>'
        )
    elif kind == "checkpoint":
        size, anchor = 16, (8, 8)
        fill = "#9e9e9e" if closed else "#102a43"
        ring = "#d62728" if closed else "#fff"
        body = (
            f'<span style="{base}width:14px;height:14px;margin:1px;background:{fill};'
            f'border-color:{ring};transform:rotate(45deg)"></span>'
        )
    elif kind == "rail_station":
        size, anchor = 18, (22, -2)  # below left of a relay station at the same place
        body = (
            f'<span style="{base}width:18px;height:18px;background:repeating-linear-gradient('
            f'0deg,{RAIL_COLOUR} 0 3px,#fff 3px 5px)"></span>'
        )
    else:  # depot
        size, anchor = 18, (-4, 22)  # above right of a station at the same place
        body = (
            f'<span style="{base}width:18px;height:18px;background:#1565c0;color:#fff;'
            'font:bold 10px/14px sans-serif;text-align:center">D</span>'
        )
    return {"html": body, "className": "rr-icon", "iconSize": [size, size], "iconAnchor": anchor}


def _priority_colours(inst: Instance) -> dict[float, str]:
    """One colour per priority the instance uses, from matplotlib's plasma map (dark blue
    for the lowest, orange for the highest)."""
    levels = sorted({s.priority for s in inst.shipments}) or [1.0]
    cmap = colormaps["plasma"]
    if len(levels) == 1:
        return {levels[0]: to_hex(cmap(0.1))}
    return {p: to_hex(cmap(0.05 + 0.72 * i / (len(levels) - 1))) for i, p in enumerate(levels)}


def _leg_style(colour: str, loop: bool, empty: bool) -> dict[str, Any]:
    style: dict[str, Any] = {
        "color": colour,
        "weight": 2 if empty else (4 if loop else 3),
        "opacity": 0.55 if empty else 0.85,
        "pane": "rr-legs",
    }
    if loop:
        style["dashArray"] = "9 6"
    return style


def _zone_style(policy: str) -> dict[str, Any]:
    c = ZONE_COLOUR[policy]
    return {"color": c, "weight": 2, "fillColor": c, "fillOpacity": 0.13, "pane": "rr-zones"}


def _site_style(status: str, count: int) -> dict[str, Any]:
    return {
        "radius": min(11.0, 4.0 + count**0.5),
        "color": "#ffffff",
        "weight": 1.5,
        "fillColor": SITE_COLOUR[status],
        "fillOpacity": 0.95,
        "pane": "rr-sites",
    }


def _line_swatch(style: dict[str, Any]) -> str:
    dash = f' stroke-dasharray="{style["dashArray"]}"' if "dashArray" in style else ""
    return (
        '<svg width="30" height="10" class="rr-sw"><line x1="1" y1="5" x2="29" y2="5" '
        f'stroke="{style["color"]}" stroke-width="{style["weight"]}" '
        f'stroke-opacity="{style["opacity"]}"{dash}/></svg>'
    )


def _area_swatch(style: dict[str, Any]) -> str:
    return (
        '<svg width="30" height="14" class="rr-sw"><rect x="2" y="1" width="26" height="12" '
        f'fill="{style["fillColor"]}" fill-opacity="{style["fillOpacity"] * 2:g}" '
        f'stroke="{style["color"]}" stroke-width="{style["weight"]}"/></svg>'
    )


def _dot_swatch(fill: str, stroke: str = "#ffffff", r: float = 6, width: float = 1.5) -> str:
    return (
        f'<svg width="30" height="16" class="rr-sw"><circle cx="15" cy="8" r="{r}" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"/></svg>'
    )


def _icon_swatch(kind: str, closed: bool = False) -> str:
    return f'<span class="rr-sw rr-isw">{_icon(kind, closed)["html"]}</span>'


# --- features ---------------------------------------------------------------------------


def _feature(geometry: dict[str, Any], style: dict[str, Any], popup: str, tip: str) -> dict:
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {"style": style, "popup": popup, "tip": tip},
    }


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}


def _line(coords: list[tuple[float, float]]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": [[round(x, 6), round(y, 6)] for x, y in coords]}


@dataclass
class MapLayers:
    """The map's features layer by layer (GeoJSON dicts whose properties hold the Leaflet
    ``style``, the ``popup`` HTML and the ``tip`` text), the count shown beside each layer's
    name, and what the legend must explain."""

    features: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    counts: dict[str, str] = field(default_factory=dict)
    priorities: dict[float, str] = field(default_factory=dict)
    policies: set[str] = field(default_factory=set)
    site_states: set[str] = field(default_factory=set)
    empty_legs: bool = False
    closed_roads: bool = False
    closed_checkpoints: bool = False
    truck_times: tuple[float, float] | None = None


def map_layers(inst: Instance, plan: Plan, base: str | Path | None = None) -> MapLayers:
    """The features of the map page, layer by layer, with their styles and popups.

    Parameters
    ----------
    inst
        The instance the plan was made for (geographic: road or straight-line mode).
    plan
        The plan.
    base
        The instance's folder: its road files are read from there for the base map. None:
        no roads drawn.

    Returns
    -------
    MapLayers

    Raises
    ------
    InputError
        The instance has no lon/lat, the plan names what the instance lacks (see
        :func:`relayroute.export.geojson.plan_layers`), or a road file cannot be read.
    """
    plan_layers(inst, plan)  # the same checks as the GeoJSON export: one message, no map
    clock = _Clock(inst.start)
    out = MapLayers(priorities=_priority_colours(inst))
    f = out.features
    f["zones"] = _zones(inst, plan, out)
    f["roads"] = _roads(inst, base, out) if base is not None else []
    f["labels"] = _labels(inst)
    f["outside_legs"], f["loop_legs"] = _legs(inst, plan, clock, out)
    f["rail"] = _trains(inst, plan, clock)
    f["sites"] = _sites(inst, plan, clock, out)
    f["depots"] = _depots(inst, plan)
    f["relay_stations"] = _relay_stations(inst, plan, clock)
    f["checkpoints"] = _checkpoints(inst, plan, clock, out)
    f["rail_stations"] = _rail_stations(inst, plan, clock)
    f["trucks"] = _truck_positions(inst, plan, clock, out)
    outside_trucks = {
        r.truck for r in plan.routes if any(g.driver_kind == "outside" for g in r.legs)
    }
    loop_drivers = {g.driver for r in plan.routes for g in r.legs if g.driver_kind == "loop"}
    trips = sum(len(d.excursions) for d in plan.loop_drivers)
    out.counts = {
        "zones": str(len(inst.zones)),
        "roads": str(len(f["roads"])),
        "labels": str(len(f["labels"])),
        "outside_legs": _n(len(outside_trucks), "truck"),
        "loop_legs": f"{_n(len(loop_drivers), 'driver')}, {_n(trips, 'trip')}",
        "rail": _n(len(plan.rail_bookings), "departure"),
        "sites": f"{_n(len(f['sites']), 'place')}, {_n(len(inst.shipments), 'shipment')}",
        "depots": f"{len(inst.depots)}, {_n(len(inst.trucks), 'truck')}",
        "relay_stations": str(len(inst.relay_stations)),
        "checkpoints": str(len(inst.checkpoints)),
        "rail_stations": str(len(inst.rail_stations)),
        "trucks": _n(len(plan.routes), "truck"),
    }
    return out


def _zones(inst: Instance, plan: Plan, out: MapLayers) -> list[dict[str, Any]]:
    cps: dict[str, list[str]] = defaultdict(list)
    for cp in inst.checkpoints:
        cps[cp.zone].append(cp.name or cp.id)
    stations: dict[str, list[str]] = defaultdict(list)
    places = inst.places_by_id
    for st in inst.relay_stations:
        if st.zone:
            stations[st.zone].append(st.name or _name(places.get(st.place), st.id))
    passes = Counter(p.zone for p in plan.passes)
    feats = []
    for z in inst.zones:
        out.policies.add(z.policy)
        lines = [_e(ZONE_WORDS[z.policy])]
        if cps[z.id]:
            lines.append(f"checkpoints: {_e(', '.join(cps[z.id]))}")
        if stations[z.id]:
            lines.append(f"relay stations: {_e(', '.join(stations[z.id]))}")
        if z.policy == "permit":
            lines.append(f"{_n(passes[z.id], 'pass', 'passes')} to issue for this zone")
        if z.transit_roads:
            lines.append(f"{_n(len(z.transit_roads), 'sealed transit road')} through it")
        areas = z.areas
        for lo, hi, rings in areas:
            # A zone drawn anew during the day (a re-planned day): each of its areas.
            policy = z.policy_at(lo) if len(areas) > 1 else z.policy
            when = (
                [f"this area from minute {lo:g}" + ("" if math.isinf(hi) else f" to {hi:g}")]
                if len(areas) > 1
                else []
            )
            geom = {"type": "Polygon", "coordinates": [[list(p) for p in r] for r in rings]}
            title = f"{z.name or z.id} ({policy.replace('_', ' ')})"
            feats.append(_feature(geom, _zone_style(policy), _popup(title, *lines, *when), title))
    return feats


def _read_roads(inst: Instance, base: Path) -> nx.DiGraph | None:
    spec = inst.network
    if spec.mode != "road":
        return None
    if spec.osm:
        return read_osm_xml(base / spec.osm)
    if spec.graphml:
        return read_graphml(base / spec.graphml)
    if spec.nodes and spec.edges:
        return read_nodes_edges(base / spec.nodes, base / spec.edges)
    return None


def _roads(inst: Instance, base: str | Path, out: MapLayers) -> list[dict[str, Any]]:
    """The instance's own road graph, one line per road (both directions drawn once)."""
    g = _read_roads(inst, Path(base))
    if g is None:
        return []
    feats, seen = [], set()
    for u, v, d in g.edges(data=True):
        key = frozenset((u, v))
        if key in seen:
            continue
        seen.add(key)
        cls = d.get("road_class") or ""
        closed = bool(d.get("closed"))
        out.closed_roads |= closed
        style: dict[str, Any] = {
            "color": "#c62828" if closed else ROAD_COLOUR,
            "weight": ROAD_WIDTH.get(cls, 1.5),
            "opacity": 0.9,
            "pane": "rr-roads",
            "interactive": False,
        }
        if closed:
            style["dashArray"] = "3 5"
        feats.append(_feature(_line(list(d["coords"])), style, "", ""))
    return feats


def _labels(inst: Instance) -> list[dict[str, Any]]:
    """Place names and zone names as text on the map (not clickable). Names of places
    inside a zone show only when zoomed in: zoomed out they would cover the zone's name."""
    polys = [shapely.Polygon(z.polygon[0], z.polygon[1:]) for z in inst.zones]
    feats = []
    for p in inst.places:
        text = _e(_short(p.name or p.id))
        zoom = [_readable_zoom(q) for q in polys if q.contains(shapely.Point(p.lon, p.lat))]
        minor = f' rr-minor" data-zoom="{max(zoom)}' if zoom else ""
        icon = {
            "html": f'<span class="rr-label{minor}">{text}</span>',
            "className": "rr-label-icon",
            "iconSize": [0, 0],
            "iconAnchor": [-9, 7],
        }
        style = {"icon": icon, "pane": "rr-labels", "interactive": False}
        feats.append(_feature(_point(p.lon, p.lat), style, "", ""))
    for z in inst.zones:
        # Above the zone's northern edge, where no marker of the zone stands.
        x0, _, x1, y1 = shapely.Polygon(z.polygon[0]).bounds
        text = _e(f"{_short(z.name or z.id)} · {z.policy.replace('_', ' ')}")
        icon = {
            "html": f'<span class="rr-zone-label" style="color:{ZONE_COLOUR[z.policy]}">'
            f"{text}</span>",
            "className": "rr-label-icon",
            "iconSize": [0, 0],
            "iconAnchor": [40, 22],
        }
        style = {"icon": icon, "pane": "rr-labels", "interactive": False}
        feats.append(_feature(_point((x0 + x1) / 2, y1), style, "", ""))
    return feats


def _readable_zoom(zone: shapely.Polygon) -> int:
    """The first web-map zoom at which ``zone`` is :data:`MINOR_LABEL_PX` pixels wide or
    tall (256-pixel tiles), so the names inside it have room."""
    x0, y0, x1, y1 = zone.bounds
    span = max(x1 - x0, (y1 - y0) * 1.2, 1e-6)  # degrees; latitude a little taller on screen
    return max(0, math.ceil(math.log2(MINOR_LABEL_PX * 360 / (256 * span))))


def _aboard(r: TruckRoute) -> list[list[str]]:
    """The shipments on the truck on each leg of its route."""
    aboard: set[str] = set()
    per_leg = []
    for k in range(len(r.legs)):
        a = r.stops[k]
        if a.kind in ("pickup", "load"):
            aboard |= set(a.shipments)
        elif a.kind in ("delivery", "unload"):
            aboard -= set(a.shipments)
        per_leg.append(sorted(aboard))
    return per_leg


def _legs(
    inst: Instance, plan: Plan, clock: _Clock, out: MapLayers
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each truck leg as a line, coloured by the most urgent shipment aboard; legs whose
    two stops share a site (nothing to draw) are left to the time slider."""
    places, ships = inst.places_by_id, inst.shipments_by_id
    outcome = {o.shipment: o for o in plan.shipments}
    cp_names = {c.id: c.name or c.id for c in inst.checkpoints}
    keyed: dict[str, list[tuple[float, dict[str, Any]]]] = {"outside": [], "loop": []}
    for r in plan.routes:
        for k, (leg, carried) in enumerate(zip(r.legs, _aboard(r), strict=True)):
            a, b = places[r.stops[k].place], places[r.stops[k + 1].place]
            line = [(a.lon, a.lat), *[(x, y) for x, y in leg.coords], (b.lon, b.lat)]
            line = [p for j, p in enumerate(line) if j == 0 or p != line[j - 1]]
            if len(line) < 2:
                continue
            loop = leg.driver_kind == "loop"
            top = max((ships[s].priority for s in carried), default=None)
            out.empty_legs |= top is None
            colour = EMPTY_COLOUR if top is None else out.priorities[top]
            style = _leg_style(colour, loop, top is None)
            listed = []
            for s in carried[:MAX_LISTED]:
                sh, o = ships[s], outcome.get(s)
                late = f", delivered {o.delay:.0f} min late" if o and o.delay > 0 else ""
                listed.append(f"{_e(s)} (priority {sh.priority:g}, due {clock.at(sh.due)}{late})")
            if len(carried) > MAX_LISTED:
                listed.append(f"and {len(carried) - MAX_LISTED} more")
            goods = (
                f"carrying {_n(len(carried), 'shipment')}: " + "; ".join(listed)
                if carried
                else "empty (no shipment aboard)"
            )
            checks = [
                f"{'into' if c.direction == 'in' else 'out of'} zone {_e(c.zone)} at checkpoint "
                f"{_e(cp_names.get(c.checkpoint, c.checkpoint))}, {clock.at(c.arrive)}"
                for c in leg.crossings
            ]
            who = f"{'loop' if loop else 'outside'} driver {_e(leg.driver)}"
            popup = _popup(
                f"Truck {r.truck}",
                f"{_e(_name(a, a.id))} → {_e(_name(b, b.id))}",
                f"{who}; {clock.span(leg.depart, leg.arrive)}, {leg.km:,.0f} km",
                goods,
                *checks,
            )
            tip = f"truck {r.truck}, {clock.span(leg.depart, leg.arrive)}"
            order = -1.0 if top is None else top  # urgent goods drawn last, on top
            feat = _feature(_line(line), style, popup, tip)
            feat["properties"]["truck"] = r.truck
            keyed["loop" if loop else "outside"].append((order, feat))
    return tuple(  # type: ignore[return-value]
        [feat for _, feat in sorted(keyed[kind], key=lambda kv: kv[0])]
        for kind in ("outside", "loop")
    )


def _trains(inst: Instance, plan: Plan, clock: _Clock) -> list[dict[str, Any]]:
    services = {s.id: s for s in inst.rail_services}
    rail = {r.id: r for r in inst.rail_stations}
    places = inst.places_by_id
    style = {
        "color": RAIL_COLOUR,
        "weight": 4,
        "opacity": 0.9,
        "dashArray": "2 7",
        "pane": "rr-rail",
    }
    style["lineCap"] = "round"
    feats = []
    for b in plan.rail_bookings:
        svc = services[b.service]
        o, d = places[rail[svc.origin].place], places[rail[svc.destination].place]
        on = sum(b.load.values())
        cap = sum(svc.capacity.values())
        popup = _popup(
            f"Train {b.service}, {clock.at(b.departure)}",
            f"{_e(rail[svc.origin].name or o.name)} → {_e(rail[svc.destination].name or d.name)}",
            f"departs {clock.at(b.departure)}, arrives {clock.at(b.arrival)}",
            f"{_n(len(b.shipments), 'shipment')} ({_e(', '.join(b.shipments))}); "
            f"load {_amount(b.load)} of {_amount(svc.capacity)} ({on / cap:.0%})"
            if cap
            else "",
        )
        line = _line([(o.lon, o.lat), (d.lon, d.lat)])
        feats.append(_feature(line, style, popup, f"train {b.service} {clock.at(b.departure)}"))
    return feats


def _site_status(
    ids: list[str], outcome: dict[str, ShipmentOutcome], unserved: dict[str, Unserved]
) -> str:
    if any(s in unserved or s not in outcome for s in ids):
        return "unserved"
    if any(outcome[s].delay > 0 for s in ids):
        return "late"
    return "on_time"


def _sites(inst: Instance, plan: Plan, clock: _Clock, out: MapLayers) -> list[dict[str, Any]]:
    """One marker per place that shipments leave or reach, with a table of them."""
    places = inst.places_by_id
    outcome = {o.shipment: o for o in plan.shipments}
    unserved = {u.shipment: u for u in plan.unserved}
    out_of: dict[str, list[str]] = defaultdict(list)
    into: dict[str, list[str]] = defaultdict(list)
    for sh in inst.shipments:
        out_of[sh.origin].append(sh.id)
        into[sh.destination].append(sh.id)
    stations = {s.place for s in inst.relay_stations} | {d.place for d in inst.depots}
    stations |= {r.place for r in inst.rail_stations}
    feats = []
    for pid in dict.fromkeys([*out_of, *into]):
        p = places[pid]
        ids = out_of[pid] + into[pid]
        status = _site_status(ids, outcome, unserved)
        out.site_states.add(status)
        rows = []
        for sid in ids:
            sh = inst.shipments_by_id[sid]
            going = sid in out_of[pid]
            other = places[sh.destination if going else sh.origin]
            o, u = outcome.get(sid), unserved.get(sid)
            if o is not None:
                what = f"delivered {clock.at(o.delivered)}" + (
                    f", <b>{o.delay:.0f} min late</b>" if o.delay > 0 else ", on time"
                )
            elif u is not None:
                what = f"<b>not served</b>: {_e(u.reason.replace('_', ' '))}"
            else:
                what = "<b>not in the plan</b>"
            rows.append(
                f"<tr><td>{_e(sid)}</td><td>{'to' if going else 'from'} "
                f"{_e(_short(_name(other, other.id)))}</td><td>{sh.priority:g}</td>"
                f"<td>{clock.at(sh.due)}</td><td>{what}</td></tr>"
            )
        late = sum(1 for s in ids if s in outcome and outcome[s].delay > 0)
        missing = sum(1 for s in ids if s not in outcome)
        summary = (
            f"{_n(len(out_of[pid]), 'shipment')} out, {len(into[pid])} in; "
            f"{late} late, {missing} unserved"
        )
        table = (
            '<div class="rr-scroll"><table class="rr-table"><tr><th>shipment</th><th></th>'
            f"<th>priority</th><th>due</th><th>outcome</th></tr>{''.join(rows)}</table></div>"
        )
        popup = _popup(_name(p, p.id), f"{_e(p.kind)}; {summary}", table)
        style = _site_style(status, len(ids))
        if pid in stations:  # a ring around the station's icon, still there to click
            style["radius"] = SHARED_SITE_RADIUS
        feats.append(_feature(_point(p.lon, p.lat), style, popup, _short(_name(p, p.id))))
    return feats


def _depots(inst: Instance, plan: Plan) -> list[dict[str, Any]]:
    places = inst.places_by_id
    based = Counter(t.depot for t in inst.trucks)
    truck_depot = {t.id: t.depot for t in inst.trucks}
    used = Counter(truck_depot[r.truck] for r in plan.routes if r.legs)
    feats = []
    for d in inst.depots:
        p = places[d.place]
        title = f"Depot {_name(p, d.id)}"
        popup = _popup(
            title, f"{_n(based[d.id], 'truck')} based here; {used[d.id]} on the road in this plan"
        )
        style = {"icon": _icon("depot"), "pane": "rr-stations"}
        feats.append(_feature(_point(p.lon, p.lat), style, popup, title))
    return feats


def _relay_stations(inst: Instance, plan: Plan, clock: _Clock) -> list[dict[str, Any]]:
    places = inst.places_by_id
    zones = inst.zones_by_id
    hand: dict[str, list[float]] = defaultdict(list)
    for h in plan.handovers:
        hand[h.station].append(h.start)
    transloads = Counter(t.station for t in plan.transloads)
    roster: Counter[str] = Counter()
    for pool in inst.driver_pools:
        if pool.kind == "loop" and pool.station:
            roster[pool.station] += pool.count
    used = Counter(d.station for d in plan.loop_drivers)
    feats = []
    for st in inst.relay_stations:
        p = places[st.place]
        zone = zones.get(st.zone) if st.zone else None
        does = []
        if st.driver_swap:
            does.append(f"driver swap ({st.handover_minutes:g} min a handover)")
        if st.transload:
            does.append(f"transload ({st.transload_minutes:g} min)")
        times = sorted(hand[st.id])
        today = f"today: {_n(len(times), 'handover')}" + (
            f", first {clock.at(times[0])}, last {clock.at(times[-1])}" if times else ""
        )
        if st.transload:
            today += f"; {_n(transloads[st.id], 'transload')}"
        title = _titled("Relay station", st.name or _name(p, st.id))
        popup = _popup(
            title,
            f"serves closed zone {_e(zone.name or zone.id)}" if zone else "",
            _e("; ".join(does)),
            f"{clock.hours(list(st.hours))}; {_n(st.bays, 'bay')}",
            today,
            f"loop drivers called in: {used[st.id]} of {roster[st.id]} on the roster"
            if roster[st.id]
            else "",
        )
        style = {"icon": _icon("relay_station"), "pane": "rr-stations"}
        feats.append(_feature(_point(p.lon, p.lat), style, popup, title))
    return feats


def _checkpoints(inst: Instance, plan: Plan, clock: _Clock, out: MapLayers) -> list[dict[str, Any]]:
    zones = inst.zones_by_id
    crossings: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for r in plan.routes:
        for leg in r.legs:
            for c in leg.crossings:
                crossings[c.checkpoint].append((c.direction, c.arrive))
    feats = []
    for cp in inst.checkpoints:
        zone = zones.get(cp.zone)
        out.closed_checkpoints |= cp.closed
        seen = sorted(crossings[cp.id], key=lambda x: x[1])
        ins = sum(1 for d, _ in seen if d == "in")
        today = (
            f"today: {_n(len(seen), 'crossing')} ({ins} in, {len(seen) - ins} out), "
            f"first {clock.at(seen[0][1])}, last {clock.at(seen[-1][1])}"
            if seen
            else "today: no crossing planned"
        )
        rate = (
            f"; at most {cp.throughput_per_hour} trucks an hour" if cp.throughput_per_hour else ""
        )
        policy = zone.policy.replace("_", " ") if zone else ""
        title = _titled("Checkpoint", cp.name or cp.id)
        popup = _popup(
            title,
            "<b>closed</b>" if cp.closed else "",
            f"on the boundary of {policy} zone {_e(zone.name or zone.id)}" if zone else "",
            f"{cp.delay:g} min inspection and disinfection a truck{rate}",
            clock.hours(list(cp.hours)),
            today,
        )
        style = {"icon": _icon("checkpoint", cp.closed), "pane": "rr-stations"}
        feats.append(_feature(_point(cp.lon, cp.lat), style, popup, title))
    return feats


def _rail_stations(inst: Instance, plan: Plan, clock: _Clock) -> list[dict[str, Any]]:
    places = inst.places_by_id
    services = {s.id: s for s in inst.rail_services}
    leaving: dict[str, list[float]] = defaultdict(list)
    arriving: dict[str, list[float]] = defaultdict(list)
    for b in plan.rail_bookings:
        leaving[services[b.service].origin].append(b.departure)
        arriving[services[b.service].destination].append(b.arrival)
    feats = []
    for rs in inst.rail_stations:
        p = places[rs.place]
        timetable = [
            f"to {_e(s.destination)}: {', '.join(clock.at(t) for t in s.departures)}"
            for s in inst.rail_services
            if s.origin == rs.id
        ]
        dep = sorted(leaving[rs.id])
        arr = sorted(arriving[rs.id])
        title = _titled("Rail station", rs.name or _name(p, rs.id))
        popup = _popup(
            title,
            f"{rs.handling_minutes:g} min handling after a train arrives",
            ("departures " + "; ".join(timetable)) if timetable else "",
            f"booked: {_n(len(dep), 'departure')}"
            + (f" ({', '.join(clock.at(t) for t in dep)})" if dep else "")
            + f", {_n(len(arr), 'arrival')}"
            + (f" ({', '.join(clock.at(t) for t in arr)})" if arr else ""),
        )
        style = {"icon": _icon("rail_station"), "pane": "rr-stations"}
        feats.append(_feature(_point(p.lon, p.lat), style, popup, title))
    return feats


def _truck_positions(
    inst: Instance, plan: Plan, clock: _Clock, out: MapLayers
) -> list[dict[str, Any]]:
    """Each truck's whereabouts over the day for the time slider: a point with a start and
    an end (epoch milliseconds) while it waits at a stop, and every :data:`TRUCK_STEP`
    minutes along a leg while it drives."""
    places = inst.places_by_id
    t0 = inst.start.timestamp() * 1000.0
    feats: list[dict[str, Any]] = []
    lo, hi = float("inf"), float("-inf")

    def add(lon: float, lat: float, a: float, b: float, kind: str, tip: str) -> None:
        nonlocal lo, hi
        lo, hi = min(lo, a), max(hi, b)
        # Thousands of these: the style is the driver kind's (_truck_point_js), not repeated.
        props = {
            "tip": tip,
            "kind": kind,
            "start": round(t0 + a * 60000.0),
            "end": round(t0 + b * 60000.0),
            "endExclusive": True,
        }
        feats.append({"type": "Feature", "geometry": _point(lon, lat), "properties": props})

    for r in plan.routes:
        if not r.legs:
            continue
        for k, s in enumerate(r.stops):
            p = places[s.place]
            # The stop's time at the site: from arrival (the first stop: from departure).
            a = s.depart if k == 0 else s.arrive
            b = s.depart if k < len(r.stops) - 1 else s.arrive + TRUCK_STEP
            kind = r.legs[min(k, len(r.legs) - 1)].driver_kind
            what = {"handover": "changing driver", "pickup": "loading", "delivery": "unloading"}
            doing = what.get(s.kind, s.kind)
            if b > a:
                add(p.lon, p.lat, a, b, kind, f"{r.truck} at {_short(_name(p, p.id))}: {doing}")
        for k, leg in enumerate(r.legs):
            here, there = places[r.stops[k].place], places[r.stops[k + 1].place]
            pts = [(here.lon, here.lat), *[(x, y) for x, y in leg.coords], (there.lon, there.lat)]
            line = shapely.LineString(pts) if len(set(pts)) > 1 else None
            t = leg.depart
            tip = (
                f"{r.truck} driving to {_short(_name(there, there.id))} ({leg.driver_kind} driver)"
            )
            while t < leg.arrive:
                share = (t - leg.depart) / (leg.arrive - leg.depart)
                at = line.interpolate(share, normalized=True) if line is not None else None
                x, y = (at.x, at.y) if at is not None else (here.lon, here.lat)
                add(x, y, t, min(t + TRUCK_STEP, leg.arrive), leg.driver_kind, tip)
                t += TRUCK_STEP
    if feats:
        out.truck_times = (t0 + lo * 60000.0, t0 + hi * 60000.0)
    return feats


# --- the boxes: KPIs, legend, report -----------------------------------------------------


def _kpis(inst: Instance, plan: Plan, clock: _Clock) -> str:
    k = plan.kpis
    total = k.served + k.unserved
    reasons = Counter(u.reason.replace("_", " ") for u in plan.unserved)
    why = ", ".join(f"{n} {_e(r)}" for r, n in reasons.most_common())
    roster = sum(p.count for p in inst.driver_pools if p.kind == "loop")
    rows = [
        (
            "shipments served",
            f"{k.served:,} of {total:,}" + (f" ({k.served / total:.0%})" if total else ""),
        ),
        (
            "unserved",
            f"{k.unserved:,} shipments" + (f"<div class='rr-why'>{why}</div>" if why else ""),
        ),
        ("on time", f"{k.on_time_share:.0%} of served"),
        ("weighted delay", f"{k.weighted_delay:,.0f} priority·min"),
        ("delay lower bound", f"{k.delay_lower_bound:,.0f} priority·min"),
        ("trucks used", f"{k.trucks_used:,} of {len(inst.trucks):,}"),
    ]
    if roster:
        rows.append(("loop drivers called in", f"{k.loop_drivers_used:,} of {roster:,}"))
        rows.append(("relay handovers", f"{k.handovers:,}"))
    if any(z.policy == "permit" for z in inst.zones):
        rows.append(("passes to issue", f"{k.passes:,}"))
    if inst.rail_services:
        rows.append(("train departures booked", f"{k.rail_bookings:,}"))
    if any(s.transload for s in inst.relay_stations):
        rows.append(("transloads", f"{k.transloads:,}"))
    rows.append(("distance driven", f"{k.km:,.0f} km"))
    body = "".join(f"<tr><td>{_e(a)}</td><td><b>{b}</b></td></tr>" for a, b in rows)
    day = inst.start.strftime("%a %d %b %Y")
    return (
        f'<div id="rr-kpis" class="rr-box"><div class="rr-title">{_e(plan.instance.name)}</div>'
        f'<div class="rr-sub">{day}, clock times {clock.zone_name()}</div>'
        f"<table>{body}</table></div>"
    )


def _legend(layers: MapLayers, roads_shown: bool = True) -> str:
    items: list[tuple[str, str]] = []
    for policy in ("closed_loop", "permit", "open"):
        if policy in layers.policies:
            items.append((_area_swatch(_zone_style(policy)), f"{policy.replace('_', ' ')} zone"))
    if layers.features.get("roads"):
        road = {"color": ROAD_COLOUR, "weight": 3, "opacity": 0.9}
        note = "" if roads_shown else "; off over tiles, tick Roads to show"
        items.append((_line_swatch(road), f"road (the instance's own network{note})"))
    if layers.closed_roads:
        closed = {"color": "#c62828", "weight": 3, "opacity": 0.9, "dashArray": "3 5"}
        items.append((_line_swatch(closed), "closed road"))
    head = (
        '<div class="rr-leg-head">truck legs, coloured by the most urgent shipment aboard '
        "(click one: its truck's whole day stands out)</div>"
    )
    lines: list[tuple[str, str]] = []
    for p, colour in sorted(layers.priorities.items()):
        lines.append((_line_swatch(_leg_style(colour, False, False)), f"priority {p:g}"))
    if layers.empty_legs:
        lines.append((_line_swatch(_leg_style(EMPTY_COLOUR, False, True)), "empty"))
    if layers.features.get("outside_legs"):
        solid = _leg_style("#555555", False, False)
        lines.append((_line_swatch(solid), "solid: outside driver"))
    if layers.features.get("loop_legs"):
        lines.append((_line_swatch(_leg_style("#555555", True, False)), "dashed: loop driver"))
    if layers.features.get("rail"):
        train = {"color": RAIL_COLOUR, "weight": 4, "opacity": 0.9, "dashArray": "2 7"}
        lines.append((_line_swatch(train), "train"))
    marks: list[tuple[str, str]] = []
    for state in ("on_time", "late", "unserved"):
        if state in layers.site_states:
            marks.append((_dot_swatch(SITE_COLOUR[state]), SITE_WORDS[state]))
    if layers.features.get("relay_stations"):
        marks.append((_icon_swatch("relay_station"), "relay station (driver swap)"))
    if layers.features.get("checkpoints"):
        marks.append((_icon_swatch("checkpoint"), "checkpoint"))
    if layers.closed_checkpoints:
        marks.append((_icon_swatch("checkpoint", True), "closed checkpoint"))
    if layers.features.get("rail_stations"):
        marks.append((_icon_swatch("rail_station"), "rail station"))
    if layers.features.get("depots"):
        marks.append((_icon_swatch("depot"), "truck depot"))
    kinds = {f["properties"]["kind"] for f in layers.features.get("trucks", [])}
    for kind in ("outside", "loop"):
        if kind in kinds:
            marks.append(
                (
                    _dot_swatch("#ffffff", TRUCK_COLOUR[kind], 5, 3),
                    f"truck at the slider's time, {kind} driver",
                )
            )

    def rows(entries: list[tuple[str, str]]) -> str:
        return "".join(f'<div class="rr-item">{sw}<span>{_e(t)}</span></div>' for sw, t in entries)

    return (
        '<div id="rr-legend" class="rr-box"><div class="rr-title">Legend</div>'
        f"{rows(items)}{head}{rows(lines)}{rows(marks)}</div>"
    )


def _report(pngs: dict[str, bytes]) -> str:
    imgs = "".join(
        f'<h4 style="margin:6px 0">{html.escape(name)}</h4>'
        f'<img alt="{html.escape(name)}" style="max-width:100%" '
        f'src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}">'
        for name, data in pngs.items()
    )
    return (
        '<details id="rr-report" class="rr-box"><summary><b>Report: timelines and delays'
        f"</b></summary>{imgs}</details>"
    )


_CSS = """
<style>
.rr-box{background:rgba(255,255,255,.94);padding:7px 10px;border-radius:6px;
  box-shadow:0 1px 5px rgba(0,0,0,.4);font:12px/1.35 sans-serif;color:#222}
.rr-box table{border-collapse:collapse}.rr-box td{padding:1px 6px 1px 0;vertical-align:top}
.rr-title{font-weight:bold;font-size:13px}.rr-sub{color:#555;margin-bottom:3px}
.rr-why{font-weight:normal;color:#555;max-width:190px}
#rr-legend{max-height:calc(100vh - 330px);overflow:auto}
.rr-item{display:flex;align-items:center;gap:6px;margin:1px 0}
.rr-leg-head{margin:5px 0 1px;color:#555;max-width:230px}
.rr-sw{flex:0 0 30px;display:inline-flex;justify-content:center;vertical-align:middle}
.rr-isw span{position:static}
#rr-report{max-width:60vw;max-height:55vh;overflow:auto}
.rr-icon{background:none;border:none}
.leaflet-container path.leaflet-interactive:focus{outline:none}
.rr-label-icon{background:none;border:none}
.rr-label{display:inline-block;white-space:nowrap;font:12px sans-serif;color:#333;
  text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff}
.rr-zone-label{display:inline-block;white-space:nowrap;font:bold 14px sans-serif;
  text-shadow:0 0 3px #fff,0 0 3px #fff}
.rr-pop{font:12px/1.4 sans-serif}.rr-pop b:first-child{font-size:13px}
.rr-scroll{max-height:220px;overflow:auto;margin-top:4px}
.rr-table{border-collapse:collapse;font-size:11px}
.rr-table td,.rr-table th{border-bottom:1px solid #ddd;padding:1px 5px;text-align:left}
.leaflet-container .leaflet-bottom.leaflet-left{width:auto}
.leaflet-container .leaflet-control.leaflet-timeline-control{width:min(600px,55vw);
  margin:0 0 6px 10px;padding:4px 8px}
.leaflet-timeline-control .time-text{font:bold 13px sans-serif}
</style>
"""


class _Controls(MacroElement):
    """Turns the page's boxes into Leaflet controls, so the corners stack them and none
    hides another (the scale bar stays clear of the report button)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(map){
          {% for id, pos in this.boxes %}
          (function(){
            var el = document.getElementById({{ id|tojson }});
            if (!el) return;
            var c = L.control({position: {{ pos|tojson }}});
            c.onAdd = function(){
              el.classList.add('leaflet-control');
              L.DomEvent.disableClickPropagation(el);
              L.DomEvent.disableScrollPropagation(el);
              return el;
            };
            c.addTo(map);
          })();
          {% endfor %}
          function zoomed() {
            var z = map.getZoom();
            map.getContainer().querySelectorAll('.rr-minor').forEach(function(el){
              el.style.display = z < Number(el.dataset.zoom) ? 'none' : '';
            });
          }
          map.on('zoomend overlayadd', zoomed);
          map.on('zoomend', zoomed);
          zoomed();
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, boxes: list[tuple[str, str]]) -> None:
        super().__init__()
        self._name = "RelayrouteControls"
        self.boxes = boxes


_STYLE_JS = JsCode("function(f){ return f.properties.style; }")
_POINT_JS = JsCode(
    """function(f, latlng){
    var s = f.properties.style;
    if (s.icon) {
      return L.marker(latlng, {icon: L.divIcon(s.icon), pane: s.pane,
        interactive: s.interactive !== false, keyboard: false});
    }
    return L.circleMarker(latlng, s);
}"""
)
# A leg's popup picks out its truck's whole day: its legs bold and on top, the rest faded.
_EACH_JS = JsCode(
    """function(f, layer){
    var p = f.properties;
    if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 460}); }
    if (p.tip) { layer.bindTooltip(p.tip, {sticky: true}); }
    if (p.truck) {
      var legs = window.rrLegs = window.rrLegs || [];
      legs.push(layer);
      layer.on('popupopen', function(){
        legs.forEach(function(l){
          var s = l.feature.properties.style;
          if (l.feature.properties.truck === p.truck) {
            l.setStyle({weight: s.weight + 3, opacity: 1}); l.bringToFront();
          } else {
            l.setStyle({opacity: 0.35, color: '#c8c8c8'});
          }
        });
      });
      layer.on('popupclose', function(){
        legs.forEach(function(l){ l.setStyle(l.feature.properties.style); });
      });
    }
}"""
)


def _truck_point_js() -> JsCode:
    """Leaflet's pointToLayer for the trucks on the time slider: a ring in the colour of
    who drives (the legend's swatch)."""
    styles = {
        kind: {
            "radius": 6,
            "color": colour,
            "weight": 3,
            "fillColor": "#ffffff",
            "fillOpacity": 1.0,
            "pane": "rr-trucks",
        }
        for kind, colour in TRUCK_COLOUR.items()
    }
    return JsCode(
        f"function(f, latlng){{ var s = {json.dumps(styles)}; "
        "return L.circleMarker(latlng, s[f.properties.kind]); }"
    )


def _format_time_js(inst: Instance) -> JsCode:
    off = (inst.start.utcoffset() or timedelta(0)).total_seconds() * 1000
    day0 = inst.start.strftime("%Y-%m-%d")
    return JsCode(
        "function(ms){ if (!ms) return ''; var d = new Date(ms + " + f"{off:.0f}" + ");"
        " var iso = d.toISOString(); var days = ['Sun','Mon','Tue','Wed','Thu','Fri','Sat'];"
        " var day = iso.slice(0, 10) === '" + day0 + "' ? '' : days[d.getUTCDay()] + ' '"
        " + iso.slice(8, 10) + '.' + iso.slice(5, 7) + ' ';"
        " return day + iso.slice(11, 16); }"
    )


def plan_map(
    inst: Instance,
    plan: Plan,
    tiles: str = "osm",
    charts: bool = True,
    base: str | Path | None = None,
    slider: bool = True,
) -> folium.Map:
    """The plan on a folium map.

    Parameters
    ----------
    inst
        The instance the plan was made for (geographic: road or straight-line mode).
    plan
        The plan.
    tiles
        Background: ``"osm"`` (OpenStreetMap), ``"light"`` (CARTO positron) or ``"none"``
        (no background tiles, nothing fetched from the network: the instance's own roads,
        zones and place names are the base).
    charts
        Put the timelines and the delay histogram in a report panel.
    base
        The instance's folder (:attr:`relayroute.io.instance.LoadedInstance.base`): its road
        files are drawn as the base map. None: no roads.
    slider
        Add the time slider that moves the trucks over the day.

    Returns
    -------
    folium.Map

    Raises
    ------
    InputError
        See :func:`map_layers`.
    ValueError
        Unknown ``tiles``.
    """
    if tiles not in TILES:
        raise ValueError(f"tiles must be one of {', '.join(TILES)}")
    layers = map_layers(inst, plan, base)
    clock = _Clock(inst.start)
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=False, font_size="13px")
    m.default_js = [("leaflet", f"{_INLINE}leaflet.js")]
    m.default_css = [("leaflet_css", f"{_INLINE}leaflet.css")]
    for pane, z in PANES.items():
        folium.map.CustomPane(pane, z_index=z, pointer_events=False).add_to(m)
    if TILES[tiles]:
        folium.TileLayer(TILES[tiles], name="Background map", control=False).add_to(m)
    # Roads from the instance are the base when there are no tiles; over real tiles their
    # approximate shapes would mislead, so they start hidden there.
    shown = {"roads": tiles == "none"}
    for key, name in LAYER_NAMES.items():
        feats = layers.features.get(key, [])
        if key == "trucks" or not feats:
            continue
        group = folium.FeatureGroup(
            name=f"{name} ({layers.counts[key]})", show=shown.get(key, True)
        )
        folium.GeoJson(
            {"type": "FeatureCollection", "features": feats},
            style=_STYLE_JS,
            point_to_layer=_POINT_JS,
            on_each_feature=_EACH_JS,
        ).add_to(group)
        group.add_to(m)
    times = layers.truck_times
    if slider and layers.features.get("trucks") and times is not None:
        trucks = Timeline(
            {"type": "FeatureCollection", "features": layers.features["trucks"]},
            point_to_layer=_truck_point_js(),
            on_each_feature=_EACH_JS,
        )
        trucks.default_js = [("timeline", f"{_INLINE}leaflet.timeline.js")]
        trucks.layer_name = f"{LAYER_NAMES['trucks']} ({layers.counts['trucks']})"
        trucks.add_to(m)
        steps = max(1, round((times[1] - times[0]) / (TRUCK_STEP * 60000)))
        control = TimelineSlider(
            auto_play=False, start=times[0], end=times[1], steps=steps, playback_duration=40000
        )
        control.default_js = [("timeline", f"{_INLINE}leaflet.timeline.js")]
        # Local clock times from epoch milliseconds, in place of folium's moment.js format.
        control.options["format_output"] = _format_time_js(inst)  # type: ignore[assignment]
        control.add_timelines(trucks).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    # Room for the KPI box (left), the layer control and legend (right) and the slider.
    m.fit_bounds(_focus(inst, plan), padding_top_left=(270, 20), padding_bottom_right=(280, 90))
    root = m.get_root()
    css = _CSS + (
        f"<style>div.leaflet-container.leaflet-container{{background:{OFFLINE_BACKGROUND}}}</style>"
        if not TILES[tiles]
        else ""
    )
    root.header.add_child(folium.Element(css))  # type: ignore[attr-defined]
    boxes = _kpis(inst, plan, clock) + _legend(layers, roads_shown=shown["roads"])
    if charts:
        boxes += _report(chart_pngs(inst, plan))
    root.html.add_child(folium.Element(f'<div style="display:none">{boxes}</div>'))  # type: ignore[attr-defined]
    positions = [("rr-kpis", "topleft"), ("rr-legend", "bottomright")]
    if charts:
        positions.append(("rr-report", "bottomleft"))
    _Controls(positions).add_to(m)
    return m


def _focus(inst: Instance, plan: Plan) -> list[list[float]]:
    """Where the map opens: the zones, their checkpoints and relay stations with a margin
    (where the day's decisions are); every place when there is no zone."""
    places = inst.places_by_id
    pts: list[tuple[float, float]] = []
    for z in inst.zones:
        pts += [(x, y) for x, y in z.polygon[0]]
    if pts:
        pts += [(c.lon, c.lat) for c in inst.checkpoints]
        pts += [(places[s.place].lon, places[s.place].lat) for s in inst.relay_stations]
        margin = 0.3
    else:
        pts = [(p.lon, p.lat) for p in inst.places]
        margin = 0.05
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    dx = (max(xs) - min(xs)) * margin + 0.01
    dy = (max(ys) - min(ys)) * margin + 0.01
    return [[min(ys) - dy, min(xs) - dx], [max(ys) + dy, max(xs) + dx]]


def map_html(
    inst: Instance,
    plan: Plan,
    tiles: str = "osm",
    charts: bool = True,
    base: str | Path | None = None,
    slider: bool = True,
) -> str:
    """The self-contained HTML page of :func:`plan_map` (same parameters)."""
    page = plan_map(inst, plan, tiles=tiles, charts=charts, base=base, slider=slider)
    return _inline_assets(page.get_root().render())


def write_map(
    inst: Instance,
    plan: Plan,
    path: str | Path,
    tiles: str = "osm",
    charts: bool = True,
    base: str | Path | None = None,
    slider: bool = True,
) -> Path:
    """Write the map page to ``path`` (built whole first: bad input leaves no file)."""
    page = map_html(inst, plan, tiles=tiles, charts=charts, base=base, slider=slider)
    write_text_atomic(path, page)
    return Path(path)

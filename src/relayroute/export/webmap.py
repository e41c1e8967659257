"""A plan as one self-contained HTML page (folium / Leaflet): layers that can be toggled,
popups with times and delays, a legend, a KPI box and the plan's charts.

Leaflet itself (BSD-2-Clause, ``static/leaflet``) is written into the page, so it opens
from a file with no server and no network; only the background map tiles, if asked for,
come from the tile server.
"""

from __future__ import annotations

import base64
import html
import re
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium

from relayroute.export.charts import chart_pngs
from relayroute.export.geojson import (
    MARKER,
    POLICY_FILL,
    RAIL_COLOUR,
    feature_collection,
    plan_layers,
)
from relayroute.io.atomic import write_text_atomic

if TYPE_CHECKING:
    from relayroute.model.instance import Instance
    from relayroute.model.plan import Plan

LAYER_NAMES = {
    "zones": "Zones",
    "stations": "Stations and checkpoints",
    "depots": "Depots",
    "outside_legs": "Outside drivers",
    "loop_legs": "Loop drivers",
    "rail": "Rail",
    "shipment_ends": "Shipment ends",
}
TILES = {
    "osm": "OpenStreetMap",
    "light": "CartoDB positron",
    "none": None,
}
_INLINE = "relayroute-inline:"


def _static(name: str) -> bytes:
    return files("relayroute.export").joinpath("static", "leaflet", name).read_bytes()


def _leaflet_css() -> str:
    css = _static("leaflet.css").decode("utf-8")

    # The layer-control icon and default marker as data URIs: a file page cannot fetch them.
    def data_uri(m: re.Match[str]) -> str:
        png = base64.b64encode(_static(f"images/{m.group(1)}")).decode("ascii")
        return f"url(data:image/png;base64,{png})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", data_uri, css)


def _inline_assets(page: str) -> str:
    js = _static("leaflet.js").decode("utf-8")
    page = page.replace(f'<script src="{_INLINE}leaflet.js"></script>', f"<script>{js}</script>")
    page = page.replace(
        f'<link rel="stylesheet" href="{_INLINE}leaflet.css"/>',
        f"<style>{_leaflet_css()}</style>",
    )
    if _INLINE in page:  # folium changed how it writes its assets
        raise RuntimeError("could not inline Leaflet into the map page")
    return page


def _fields(features: list[dict[str, Any]], wanted: list[str]) -> list[str]:
    have = set().union(*(f["properties"].keys() for f in features)) if features else set()
    return [f for f in wanted if f in have]


def _style(props: dict[str, Any]) -> dict[str, Any]:
    kind = props.get("kind")
    if kind == "zone":
        return {
            "color": props["stroke"],
            "weight": props["stroke-width"],
            "fillColor": props["fill"],
            "fillOpacity": props["fill-opacity"],
        }
    if kind in ("truck_leg", "rail_leg"):
        style = {
            "color": props["stroke"],
            "weight": props["stroke-width"],
            "opacity": props["stroke-opacity"],
        }
        if props.get("driver_kind") == "loop":
            style["dashArray"] = "10 6"
        if kind == "rail_leg":
            style["dashArray"] = "2 6"
        return style
    return {
        "color": "#222222",
        "weight": 1,
        "fill": True,
        "fillColor": props.get("marker-color", "#555555"),
        "fillOpacity": 0.9,
        "radius": 4 if props.get("marker-size") == "small" else 7,
    }


POPUP_FIELDS = {
    "zones": ["title", "description"],
    "stations": ["title", "description", "hours"],
    "depots": ["title", "description"],
    "outside_legs": ["title", "description", "depart", "arrive", "shipments", "delay"],
    "loop_legs": ["title", "description", "depart", "arrive", "shipments", "delay"],
    "rail": ["title", "description", "departure", "arrival", "shipments", "load"],
    "shipment_ends": ["title", "description", "ready", "due", "delivered", "delay", "status"],
}


def _legend(inst: Instance, plan: Plan, colours: dict[str, str]) -> str:
    k = plan.kpis
    rows = [
        ("served", f"{k.served} / {k.served + k.unserved}"),
        ("weighted delay", f"{k.weighted_delay:,.1f} min"),
        ("lower bound", f"{k.delay_lower_bound:,.1f} min"),
        ("on time", f"{k.on_time_share:.0%}"),
        ("trucks", str(k.trucks_used)),
        ("loop drivers", str(k.loop_drivers_used)),
        ("handovers", str(k.handovers)),
        ("transloads", str(k.transloads)),
        ("rail departures", str(k.rail_bookings)),
        ("km", f"{k.km:,.0f}"),
    ]
    kpi = "".join(f"<tr><td>{html.escape(a)}</td><td><b>{b}</b></td></tr>" for a, b in rows)
    swatch = (
        '<span style="display:inline-block;width:22px;height:0;border-top:{w}px {s} {c};'
        'vertical-align:middle;margin-right:6px;opacity:{o}"></span>'
    )
    dot = (
        '<span style="display:inline-block;width:10px;height:10px;border-radius:5px;'
        'background:{c};margin-right:6px"></span>'
    )
    legend = [
        swatch.format(w=3, s="solid", c="#1f77b4", o=0.9) + "outside driver (one colour per truck)",
        swatch.format(w=5, s="dashed", c="#1f77b4", o=0.5) + "loop driver (inside the zone)",
        swatch.format(w=4, s="dotted", c=RAIL_COLOUR, o=0.9) + "train",
        *(
            dot.format(c=POLICY_FILL[p]) + f"{p.replace('_', ' ')} zone"
            for p in sorted({z.policy for z in inst.zones})
        ),
        dot.format(c=MARKER["relay_station"]) + "relay station",
        dot.format(c=MARKER["checkpoint"]) + "checkpoint",
        dot.format(c=MARKER["rail_station"]) + "rail station",
        dot.format(c=MARKER["depot"]) + "depot",
        dot.format(c=MARKER["shipment_origin"]) + "shipment origin",
        dot.format(c=MARKER["shipment_destination"]) + "shipment destination",
    ]
    box = (
        "position:fixed;z-index:9999;background:rgba(255,255,255,0.93);padding:8px 10px;"
        "border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,0.4);font:12px sans-serif;"
    )
    title = html.escape(f"{plan.instance.name}")
    return (
        f'<div id="rr-kpis" style="{box}top:10px;left:60px;">'
        f"<b>{title}</b><table>{kpi}</table></div>"
        f'<div id="rr-legend" style="{box}bottom:24px;right:10px;">'
        + "<br>".join(legend)
        + "</div>"
    )


def _report(pngs: dict[str, bytes]) -> str:
    imgs = "".join(
        f'<h4 style="margin:6px 0">{html.escape(name)}</h4>'
        f'<img alt="{html.escape(name)}" style="max-width:100%" '
        f'src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}">'
        for name, data in pngs.items()
    )
    return (
        '<details id="rr-report" style="position:fixed;z-index:9999;bottom:44px;left:10px;'
        "max-width:60vw;max-height:70vh;overflow:auto;background:rgba(255,255,255,0.96);"
        "padding:6px 10px;border-radius:6px;box-shadow:0 1px 5px rgba(0,0,0,0.4);"
        'font:12px sans-serif"><summary><b>Report: timelines and delays</b></summary>'
        f"{imgs}</details>"
    )


def plan_map(inst: Instance, plan: Plan, tiles: str = "osm", charts: bool = True) -> folium.Map:
    """The plan on a folium map.

    Parameters
    ----------
    inst
        The instance the plan was made for (geographic: road or straight-line mode).
    plan
        The plan.
    tiles
        Background: ``"osm"`` (OpenStreetMap), ``"light"`` (CARTO positron) or ``"none"``
        (no background, nothing fetched from the network).
    charts
        Put the timelines and the delay histogram in a report panel.

    Returns
    -------
    folium.Map

    Raises
    ------
    InputError
        See :func:`relayroute.export.geojson.plan_layers`.
    ValueError
        Unknown ``tiles``.
    """
    if tiles not in TILES:
        raise ValueError(f"tiles must be one of {', '.join(TILES)}")
    layers = plan_layers(inst, plan)
    coll = feature_collection(layers.features(), plan)
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
    m.default_js = [("leaflet", f"{_INLINE}leaflet.js")]
    m.default_css = [("leaflet_css", f"{_INLINE}leaflet.css")]
    if TILES[tiles]:
        folium.TileLayer(TILES[tiles], name="Background map", control=False).add_to(m)
    for key, name in LAYER_NAMES.items():
        features = getattr(layers, key)
        group = folium.FeatureGroup(name=f"{name} ({len(features)})", show=key != "shipment_ends")
        if features:
            fields = _fields(features, POPUP_FIELDS[key])
            point = features[0]["geometry"]["type"] == "Point"
            folium.GeoJson(
                {"type": "FeatureCollection", "features": features},
                name=name,
                style_function=lambda f: _style(f["properties"]),
                marker=folium.CircleMarker() if point else None,
                popup=folium.GeoJsonPopup(fields=fields, aliases=[f"{f}:" for f in fields])
                if fields
                else None,
                tooltip=folium.GeoJsonTooltip(fields=["title"]) if "title" in fields else None,
            ).add_to(group)
        group.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    if "bbox" in coll:
        x0, y0, x1, y1 = coll["bbox"]
        m.fit_bounds([[y0, x0], [y1, x1]])
    root = m.get_root()
    root.html.add_child(folium.Element(_legend(inst, plan, layers.truck_colour)))  # type: ignore[attr-defined]
    if charts:
        root.html.add_child(folium.Element(_report(chart_pngs(inst, plan))))  # type: ignore[attr-defined]
    return m


def map_html(inst: Instance, plan: Plan, tiles: str = "osm", charts: bool = True) -> str:
    """The self-contained HTML page of :func:`plan_map`."""
    page = plan_map(inst, plan, tiles=tiles, charts=charts).get_root().render()
    return _inline_assets(page)


def write_map(
    inst: Instance, plan: Plan, path: str | Path, tiles: str = "osm", charts: bool = True
) -> Path:
    """Write the map page to ``path`` (built whole first: bad input leaves no file)."""
    page = map_html(inst, plan, tiles=tiles, charts=charts)
    write_text_atomic(path, page)
    return Path(path)

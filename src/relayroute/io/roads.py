"""Reading road networks into one plain graph form.

Every reader returns a :class:`networkx.DiGraph` whose nodes carry ``lon``/``lat`` and
whose edges carry ``km``, ``minutes``, ``closed`` and ``coords`` (the road's shape as a
list of lon/lat pairs, ends included). Two-way roads become two directed edges.

Formats: nodes + edges as GeoJSON or CSV (the bundled region data), osmnx GraphML, and
OpenStreetMap XML (read by osmnx, speeds from ``maxspeed`` or by road class).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import networkx as nx
import pandas as pd

from relayroute.errors import InputError

if TYPE_CHECKING:
    from pathlib import Path

# km/h by OSM highway class where a way has no usable maxspeed (China/EU-like rural values).
ROAD_CLASS_KMH: dict[str, float] = {
    "motorway": 100,
    "motorway_link": 60,
    "trunk": 80,
    "trunk_link": 50,
    "primary": 60,
    "primary_link": 40,
    "secondary": 50,
    "secondary_link": 35,
    "tertiary": 40,
    "tertiary_link": 30,
    "unclassified": 30,
    "residential": 25,
    "living_street": 10,
    "service": 15,
    "road": 30,
}
FALLBACK_KMH = 30.0


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "t")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return bool(value)


def _found(path: Path, what: str) -> None:
    """``path`` is a file that exists; otherwise one clear message (a name too long for
    the system is bad input too, not an OSError)."""
    try:
        ok = path.is_file()
    except OSError as exc:
        raise InputError(str(path)[:200], f"{what} file cannot be opened: {exc.strerror}") from None
    if not ok:
        raise InputError(
            str(path), f"{what} file not found" if not path.exists() else f"{what} is not a file"
        )


def _number(value: Any, where: str, column: str) -> float:
    """A number from a table cell, or bad input naming the row and column."""
    if isinstance(value, bool):
        raise InputError(where, f"{column} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(where, f"{column} must be a number, got {value!r}") from None


def _read_table(path: Path, what: str) -> pd.DataFrame:
    _found(path, what)
    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, dtype={"id": str, "from": str, "to": str})
        import geopandas as gpd

        gdf = gpd.read_file(path)
    except InputError:
        raise
    except Exception as exc:  # pyogrio/pandas raise many kinds; all mean "unreadable"
        raise InputError(str(path), f"cannot read {what}: {exc}") from None
    return pd.DataFrame(gdf)


def _require(df: pd.DataFrame, columns: list[str], path: Path) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(str(path), f"missing column(s) {', '.join(missing)}")


def read_nodes_edges(nodes_path: Path, edges_path: Path) -> nx.DiGraph:
    """Read a node table and an edge table (GeoJSON or CSV).

    Nodes need ``id`` and either Point geometry or ``lon``/``lat`` columns. Edges need
    ``from``, ``to``, ``km`` and ``minutes``; ``closed`` and ``oneway`` are optional
    (default false); LineString geometry, where given, is kept as the road's shape.

    Raises
    ------
    InputError
        A file is missing or unreadable, a column is missing, a value is invalid, or an
        edge names an unknown node.
    """
    nodes = _read_table(nodes_path, "nodes")
    edges = _read_table(edges_path, "edges")
    _require(nodes, ["id"], nodes_path)
    _require(edges, ["from", "to", "km", "minutes"], edges_path)
    g = nx.DiGraph()
    if "geometry" in nodes.columns and nodes["geometry"].notna().all():
        xs = [geom.x for geom in nodes["geometry"]]
        ys = [geom.y for geom in nodes["geometry"]]
    else:
        _require(nodes, ["lon", "lat"], nodes_path)
        xs, ys = nodes["lon"].tolist(), nodes["lat"].tolist()
    for row, (nid, x0, y0) in enumerate(zip(nodes["id"].astype(str), xs, ys)):
        at = f"{nodes_path} row {row + 1}"
        x, y = _number(x0, at, "lon"), _number(y0, at, "lat")
        if not (-180 <= x <= 180 and -90 <= y <= 90):
            raise InputError(
                f"{nodes_path} row {row + 1}", f"node {nid!r} lon {x}, lat {y} out of range"
            )
        g.add_node(nid, lon=float(x), lat=float(y))
    has_geom = "geometry" in edges.columns
    for row, rec in enumerate(edges.to_dict("records")):
        u, v = str(rec["from"]), str(rec["to"])
        where = f"{edges_path} row {row + 1}"
        for end in (u, v):
            if end not in g:
                raise InputError(where, f"edge names unknown node {end!r}")
        km, minutes = _number(rec["km"], where, "km"), _number(rec["minutes"], where, "minutes")
        if not (km >= 0 and minutes > 0):
            raise InputError(
                where, f"edge {u}->{v} needs km >= 0 and minutes > 0 (got {km}, {minutes})"
            )
        geom = rec.get("geometry") if has_geom else None
        coords = [tuple(c) for c in geom.coords] if geom is not None and not _isnan(geom) else None
        if coords is None:
            coords = [
                (g.nodes[u]["lon"], g.nodes[u]["lat"]),
                (g.nodes[v]["lon"], g.nodes[v]["lat"]),
            ]
        attrs = {
            "km": km,
            "minutes": minutes,
            "closed": _truthy(rec.get("closed")),
            "road_class": str(rec.get("road_class") or ""),
        }
        g.add_edge(u, v, coords=coords, **attrs)
        if not _truthy(rec.get("oneway")):
            g.add_edge(v, u, coords=coords[::-1], **attrs)
    return g


def _isnan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _road_class(data: dict[str, Any]) -> str:
    """One road class per edge.

    An edge osmnx merged from several ways (graph simplification) carries the list of
    their classes, in an order that follows Python's string hashing (``list(set(...))``),
    and osmnx's own ``add_edge_speeds`` takes the first: the same file gave 15 or 30 km/h
    on one West Oakland edge depending on ``PYTHONHASHSEED``. Here the order does not
    matter: a class trucks do not use (not in :data:`ROAD_CLASS_KMH`) wins, so the whole
    edge is left out, else the slowest class (ties by name) — a merged road is as good for
    a truck as its worst part. Its minutes are the sum over its ways (see
    :func:`read_osm_xml`), not this class's speed.
    """
    hwy = data.get("highway", "")
    if not isinstance(hwy, list):
        return str(hwy)
    names = sorted({str(h) for h in hwy})
    barred = [h for h in names if h not in ROAD_CLASS_KMH]
    if barred:
        return barred[0]
    return min(names, key=lambda h: (ROAD_CLASS_KMH[h], h))


def _add_times(mg: Any) -> Any:
    """osmnx's ``speed_kph`` and ``travel_time`` on every edge with a ``highway`` tag:
    maxspeed where tagged, else our class table; a speed of 0 or none takes the class
    speed (a maxspeed of 0 would make the road endless)."""
    import osmnx as ox

    for _, _, d in mg.edges(data=True):
        if isinstance(d.get("highway"), list):  # merged ways: the order-free class
            d["highway"] = _road_class(d)
    mg = ox.routing.add_edge_speeds(mg, hwy_speeds=ROAD_CLASS_KMH, fallback=FALLBACK_KMH)
    for _, _, d in mg.edges(data=True):
        if not d["speed_kph"] > 0:
            d["speed_kph"] = ROAD_CLASS_KMH.get(_road_class(d), FALLBACK_KMH)
    return ox.routing.add_edge_travel_times(mg)


def _from_osmnx(mg: Any, timed: bool = False) -> nx.DiGraph:
    """Collapse an osmnx MultiDiGraph to our DiGraph, keeping the fastest parallel edge;
    ``timed``: its edges already have ``travel_time`` (summed over merged ways)."""
    if not timed and any("highway" in d for _, _, d in mg.edges(data=True)):
        mg = _add_times(mg)
    g = nx.DiGraph()
    for nid, data in mg.nodes(data=True):
        g.add_node(str(nid), lon=float(data["x"]), lat=float(data["y"]))
    for u, v, data in mg.edges(data=True):
        su, sv = str(u), str(v)
        road_class = _road_class(data)
        if road_class not in ROAD_CLASS_KMH:
            continue  # footways, cycleways, tracks and untagged ways carry no trucks
        seconds = float(data["travel_time"])
        speed = data["speed_kph"]
        if isinstance(speed, list):  # a merged edge lists its ways': length over time
            speed = float(data["length"]) / seconds * 3.6 if seconds > 0 else max(speed)
        minutes = max(seconds / 60.0, 1e-3)
        if g.has_edge(su, sv) and g.edges[su, sv]["minutes"] <= minutes:
            continue
        geom = data.get("geometry")
        coords = (
            [tuple(c) for c in geom.coords]
            if geom is not None
            else [
                (g.nodes[su]["lon"], g.nodes[su]["lat"]),
                (g.nodes[sv]["lon"], g.nodes[sv]["lat"]),
            ]
        )
        g.add_edge(
            su,
            sv,
            km=float(data["length"]) / 1000.0,
            minutes=minutes,
            closed=False,
            road_class=road_class,
            speed_kmh=float(speed),
            coords=coords,
        )
    g.remove_nodes_from([n for n in list(g.nodes) if g.degree(n) == 0])
    return g


def read_osm_xml(path: Path) -> nx.DiGraph:
    """Read OpenStreetMap XML (``.osm`` or ``.osm.bz2``) through osmnx.

    Speeds and travel times are set on the ways' own segments, each of one class, before
    osmnx simplifies the graph (which sums ``length`` and ``travel_time`` over the segments
    it merges): an edge made of a residential and a service stretch takes the time of
    each, whatever order osmnx lists their classes in.
    """
    import osmnx as ox

    _found(path, "OSM")
    try:
        mg = ox.graph_from_xml(path, simplify=False, retain_all=True)
    except Exception as exc:  # osmnx/xml errors vary
        raise InputError(str(path), f"cannot read OSM XML: {exc}") from None
    if not any("highway" in d for _, _, d in mg.edges(data=True)):
        return _from_osmnx(ox.simplify_graph(mg))
    return _from_osmnx(ox.simplify_graph(_add_times(mg)), timed=True)


def read_graphml(path: Path) -> nx.DiGraph:
    """Read an osmnx GraphML file (``osmnx.save_graphml``)."""
    import osmnx as ox

    _found(path, "GraphML")
    try:
        mg = ox.load_graphml(path)
    except Exception as exc:
        raise InputError(str(path), f"cannot read GraphML: {exc}") from None
    return _from_osmnx(mg)

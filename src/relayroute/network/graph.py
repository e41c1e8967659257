"""The network: a road graph, which zone each node lies in, and the checkpoints (gates).

Three modes share one form, a :class:`networkx.DiGraph` with ``km``/``minutes`` edges:

- ``road``: the graph read from files (:mod:`relayroute.io.roads`);
- ``straight_line``: a visibility graph over places, checkpoints and way-points just
  outside each restricted zone, edges at WGS84 geodesic km × detour factor;
- ``euclidean``: a complete graph over places at plain x/y distance (benchmarks).

Zone membership of nodes is a spatial join; an edge joining two zones without a
checkpoint is an uncontrolled crossing and is closed by the cordon.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from pyproj import Geod

from relayroute.errors import InputError
from relayroute.io.roads import read_graphml, read_nodes_edges, read_osm_xml
from relayroute.model.checks import (
    CHECKPOINT_TOLERANCE_KM,
    check_named_nodes,
    transit_road_nodes,
)
from relayroute.network.zones import classify_roads, metric_transformer, to_metres

if TYPE_CHECKING:
    import pyproj

    from relayroute.model.instance import Instance

WGS84 = Geod(ellps="WGS84")
# Way-points around a zone stand this far outside it, so straight lines can skirt it.
WAYPOINT_OFFSET_KM = 0.3


def geodesic_km(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Geodesic km on the WGS84 ellipsoid between arrays of points (vectorised)."""
    _, _, metres = WGS84.inv(lon1, lat1, lon2, lat2)
    return np.asarray(metres, dtype=float) / 1000.0


@dataclass
class Network:
    """The base graph of an instance with zones, gates and the node of each place.

    Attributes
    ----------
    mode
        ``road``, ``straight_line`` or ``euclidean``.
    graph
        Directed graph; nodes have ``lon``/``lat``, edges ``km``, ``minutes``, ``closed``
        and ``coords``.
    node_zone
        Restricted (closed_loop or permit) zone of each node, or None outside them.
    gates
        Checkpoint id of each gate node.
    place_node
        Network node of each place.
    uncontrolled
        Edges that cross a zone boundary away from any checkpoint (closed by the cordon),
        judged on the road's geometry (:mod:`relayroute.network.zones`).
    edge_zone
        Restricted zone each edge's geometry lies in (gate stretch aside), or None.
    transit
        Edges of sealed transit roads, with the road's id: outside every zone, for anyone.
    sealed
        Inner nodes of sealed transit roads (every other road there is closed), with the id.
    """

    mode: str
    graph: nx.DiGraph
    node_zone: dict[str, str | None]
    gates: dict[str, str]
    place_node: dict[str, str]
    zone_policy: dict[str, str]
    checkpoint_zone: dict[str, str] = field(default_factory=dict)
    euclid_speed: float = 1.0
    uncontrolled: list[tuple[str, str]] = field(default_factory=list)
    edge_zone: dict[tuple[str, str], str | None] = field(default_factory=dict)
    transit: dict[tuple[str, str], str] = field(default_factory=dict)
    sealed: dict[str, str] = field(default_factory=dict)

    def gate_node(self, checkpoint: str) -> str:
        return next(n for n, c in self.gates.items() if c == checkpoint)


def build_network(inst: Instance, base: Path | None = None) -> Network:
    """Build the :class:`Network` of an instance.

    Parameters
    ----------
    inst
        A checked instance.
    base
        Folder that relative network file paths resolve against.

    Raises
    ------
    InputError
        Network files are missing or bad, a place is too far from any road node, a
        checkpoint's gate has no road on both sides, or a place is unreachable by road.
    """
    base = base or Path.cwd()
    spec = inst.network
    policy: dict[str, str] = {z.id: str(z.policy) for z in inst.zones}
    if spec.mode == "euclidean":
        g = nx.DiGraph()
        for p in inst.places:
            g.add_node(p.id, lon=p.lon, lat=p.lat)
        return Network(
            "euclidean",
            g,
            {p.id: None for p in inst.places},
            {},
            {p.id: p.id for p in inst.places},
            policy,
            euclid_speed=spec.speed,
        )
    if spec.mode == "road":
        g = _read_road(inst, base)
        place_node = _snap(inst, g, "places")
        gate_nodes = _snap(inst, g, "checkpoints")
    else:
        g, place_node, gate_nodes = _visibility_graph(inst)
    gates = {n: c for c, n in gate_nodes.items()}
    node_zone = _node_zones(inst, g)
    net = Network(
        spec.mode, g, node_zone, gates, place_node, policy, {c.id: c.zone for c in inst.checkpoints}
    )
    if spec.mode == "road":
        check_named_nodes(inst, {n: (d["lon"], d["lat"]) for n, d in g.nodes(data=True)})
        _transit_roads(inst, net)
    _road_zones(inst, net)
    _check_gates(inst, net)
    _check_reachable(inst, net)
    return net


def _read_road(inst: Instance, base: Path) -> nx.DiGraph:
    spec = inst.network
    if spec.osm:
        return read_osm_xml(base / spec.osm)
    if spec.graphml:
        return read_graphml(base / spec.graphml)
    if spec.nodes and spec.edges:
        return read_nodes_edges(base / spec.nodes, base / spec.edges)
    raise InputError("$.network", "road mode needs nodes and edges files, graphml or osm")


def _snap(inst: Instance, g: nx.DiGraph, attr: str) -> dict[str, str]:
    """Node of each place/checkpoint: the one named, else the nearest (vectorised)."""
    ids = list(g.nodes)
    lon = np.array([g.nodes[n]["lon"] for n in ids])
    lat = np.array([g.nodes[n]["lat"] for n in ids])
    objs = getattr(inst, attr)
    out: dict[str, str] = {}
    for i, o in enumerate(objs):
        if o.node is not None:
            if o.node not in g:
                raise InputError(f"$.{attr}[{i}].node", f"no node {o.node!r} in the road network")
            out[o.id] = o.node
    todo = [i for i, o in enumerate(objs) if o.node is None]
    if todo:
        tree = shapely.STRtree(shapely.points(lon, lat))
        pts = shapely.points([(objs[i].lon, objs[i].lat) for i in todo])
        nearest = tree.nearest(pts)
        km = geodesic_km(
            np.array([objs[i].lon for i in todo]),
            np.array([objs[i].lat for i in todo]),
            lon[nearest],
            lat[nearest],
        )
        for k, i in enumerate(todo):
            if km[k] > inst.network.snap_km:
                raise InputError(
                    f"$.{attr}[{i}]",
                    f"{objs[i].id!r} is {km[k]:.1f} km from the nearest road node "
                    f"(more than snap_km {inst.network.snap_km:g}); check lon/lat or give its node",
                )
            out[objs[i].id] = ids[nearest[k]]
    return out


def _to_lonlat(metres: np.ndarray, tf: pyproj.Transformer) -> np.ndarray:
    lon, lat = tf.transform(metres[:, 0], metres[:, 1], direction="INVERSE")
    return np.column_stack([lon, lat])


def _visibility_graph(inst: Instance) -> tuple[nx.DiGraph, dict[str, str], dict[str, str]]:
    """Straight lines between places, checkpoints and way-points that cross no boundary."""
    spec = inst.network
    names: list[str] = []
    xy: list[tuple[float, float]] = []
    place_node: dict[str, str] = {}
    gate_node: dict[str, str] = {}
    for p in inst.places:
        place_node[p.id] = p.id
        names.append(p.id)
        xy.append((p.lon, p.lat))
    for c in inst.checkpoints:
        gate_node[c.id] = f"checkpoint:{c.id}"
        names.append(gate_node[c.id])
        xy.append((c.lon, c.lat))
    restricted = [z for z in inst.zones if z.policy != "open"]
    polys = [shapely.Polygon(z.polygon[0], z.polygon[1:]) for z in restricted]
    # Grown in metres: a buffer in degrees falls short east-west by cos(latitude).
    tf = metric_transformer(np.array([x for x, _ in xy]), np.array([y for _, y in xy]))
    grown = shapely.buffer(
        to_metres(np.array(polys, dtype=object), tf), WAYPOINT_OFFSET_KM * 1000.0, quad_segs=2
    )
    for z, poly in zip(restricted, shapely.transform(grown, lambda m: _to_lonlat(m, tf))):
        ring = poly.exterior
        for k, (x, y) in enumerate(ring.coords[:-1]):
            names.append(f"waypoint:{z.id}:{k}")
            xy.append((x, y))
    coords = np.array(xy)
    n = len(names)
    is_gate = np.array([nm.startswith("checkpoint:") for nm in names])
    zone_of = _points_zone(inst, coords)
    gate_zone = {f"checkpoint:{c.id}": c.zone for c in inst.checkpoints}
    ii, jj = np.triu_indices(n, k=1)
    keep = ~(is_gate[ii] & is_gate[jj])
    # Plain pairs must share a zone; a gate may meet either side of its boundary.
    same = np.array([zone_of[a] == zone_of[b] for a, b in zip(ii, jj)], dtype=bool)
    keep &= same | is_gate[ii] | is_gate[jj]
    ii, jj = ii[keep], jj[keep]
    a, b = coords[ii].copy(), coords[jj].copy()
    # Shorten the gate end by the checkpoint tolerance on the ground (not in degrees, which
    # fall short east-west), so the boundary at the checkpoint itself does not count.
    for end, other, mask in ((a, b, is_gate[ii]), (b, a, is_gate[jj])):
        vec = other[mask] - end[mask]
        km = geodesic_km(end[mask, 0], end[mask, 1], other[mask, 0], other[mask, 1])
        frac = np.minimum(CHECKPOINT_TOLERANCE_KM / np.maximum(km, 1e-9), 0.5)[:, None]
        end[mask] = end[mask] + vec * frac
    segments = shapely.linestrings(np.stack([a, b], axis=1))
    boundary = (
        shapely.union_all([p.boundary for p in polys]) if polys else shapely.GeometryCollection()
    )
    crosses = shapely.intersects(segments, boundary) if polys else np.zeros(len(ii), dtype=bool)
    ok = ~crosses
    # A gate links only to its own zone's inside or to the outside of it.
    for e in np.flatnonzero(ok & (is_gate[ii] | is_gate[jj])):
        g_i, o_i = (int(ii[e]), int(jj[e])) if is_gate[ii[e]] else (int(jj[e]), int(ii[e]))
        if zone_of[o_i] not in (gate_zone[names[g_i]], None):
            ok[e] = False
    ii, jj = ii[ok], jj[ok]
    km = (
        geodesic_km(coords[ii, 0], coords[ii, 1], coords[jj, 0], coords[jj, 1]) * spec.detour_factor
    )
    minutes = np.maximum(km / spec.speed_kmh * 60.0, 1e-3)
    g = nx.DiGraph()
    for name, (x, y) in zip(names, xy):
        g.add_node(name, lon=float(x), lat=float(y))
    for i, j, d, t in zip(ii, jj, km, minutes):
        pi, pj = (
            (float(coords[i, 0]), float(coords[i, 1])),
            (float(coords[j, 0]), float(coords[j, 1])),
        )
        attrs = {
            "km": float(d),
            "minutes": float(t),
            "closed": False,
            "road_class": "straight_line",
        }
        g.add_edge(names[i], names[j], coords=[pi, pj], **attrs)
        g.add_edge(names[j], names[i], coords=[pj, pi], **attrs)
    return g, place_node, gate_node


def _zones_frame(inst: Instance) -> gpd.GeoDataFrame:
    restricted = [z for z in inst.zones if z.policy != "open"]
    return gpd.GeoDataFrame(
        {"zone": [z.id for z in restricted]},
        geometry=[shapely.Polygon(z.polygon[0], z.polygon[1:]) for z in restricted],
        crs="EPSG:4326",
    )


def _points_zone(inst: Instance, coords: np.ndarray) -> list[str | None]:
    """Restricted zone containing each point (spatial join), None outside all of them."""
    zones = _zones_frame(inst)
    out: list[str | None] = [None] * len(coords)
    if len(zones) == 0 or len(coords) == 0:
        return out
    pts = gpd.GeoDataFrame(geometry=shapely.points(coords), crs="EPSG:4326")
    joined = gpd.sjoin(pts, zones, predicate="within", how="inner")
    for idx, zone in zip(joined.index, joined["zone"]):
        out[int(idx)] = str(zone)
    return out


def _node_zones(inst: Instance, g: nx.DiGraph) -> dict[str, str | None]:
    ids = list(g.nodes)
    coords = np.array([(g.nodes[n]["lon"], g.nodes[n]["lat"]) for n in ids]).reshape(-1, 2)
    return dict(zip(ids, _points_zone(inst, coords)))


def _transit_roads(inst: Instance, net: Network) -> None:
    """Sealed transit roads: a tube through the zone, outside it, with every exit closed."""
    g = net.graph
    transit_road_nodes(inst, set(g.edges), net.node_zone)
    for z in inst.zones:
        for t in z.transit_roads:
            for a, b in zip(t.nodes, t.nodes[1:]):
                for e in ((a, b), (b, a)):
                    if g.has_edge(*e):
                        net.transit[e] = t.id
            for n in t.nodes[1:-1]:
                net.sealed[n] = t.id
                net.node_zone[n] = None


def _road_zones(inst: Instance, net: Network) -> None:
    """Each road's zone from its geometry; roads crossing a boundary off a gate are closed."""
    g, gates, zone_of = net.graph, net.gates, net.node_zone
    # The exits of a sealed road are closed; the road itself lies outside every zone.
    exits = [
        (u, v)
        for u, v in g.edges
        if (u in net.sealed or v in net.sealed) and (u, v) not in net.transit
    ]
    edges = [
        (u, v)
        for u, v in g.edges
        if not (u in gates and v in gates) and (u, v) not in net.transit and (u, v) not in exits
    ]
    restricted = {
        z.id: shapely.Polygon(z.polygon[0], z.polygon[1:]) for z in inst.zones if z.policy != "open"
    }
    net.edge_zone = {e: None for e in net.transit}
    net.uncontrolled = list(exits)
    if not restricted:
        net.edge_zone.update({e: None for e in edges})
        return
    shapes = [g.edges[e]["coords"] for e in edges]
    lines = shapely.linestrings(
        np.array([xy for shape in shapes for xy in shape], dtype=float).reshape(-1, 2),
        indices=np.repeat(np.arange(len(shapes)), [len(shape) for shape in shapes]),
    )
    lon = np.array([d["lon"] for _, d in g.nodes(data=True)])
    lat = np.array([d["lat"] for _, d in g.nodes(data=True)])
    gate_zone = {n: net.checkpoint_zone[c] for n, c in gates.items()}
    res = classify_roads(
        np.asarray(lines),
        restricted,
        [(zone_of[u], zone_of[v]) for u, v in edges],
        [(gate_zone.get(u), gate_zone.get(v)) for u, v in edges],
        metric_transformer(lon, lat),
    )
    zones = list(res.zone)
    bad = list(res.uncontrolled)
    for k, ((u, v), shape) in enumerate(zip(edges, shapes)):
        # A road of no length (two places on one spot, as a re-plan's truck start and
        # its goods aboard) has no geometry to judge: it lies in its ends' zone.
        if zone_of[u] == zone_of[v] and all(tuple(xy) == tuple(shape[0]) for xy in shape):
            zones[k], bad[k] = zone_of[u], False
    net.edge_zone.update(zip(edges, zones))
    net.uncontrolled += [e for e, b in zip(edges, bad) if b]


def _check_gates(inst: Instance, net: Network) -> None:
    """Each checkpoint's gate needs a road to both sides of its zone's boundary."""
    closed = set(net.uncontrolled)
    for i, c in enumerate(inst.checkpoints):
        node = net.gate_node(c.id)
        roads = [(node, m) for m in net.graph.successors(node) if m not in net.gates]
        roads += [(m, node) for m in net.graph.predecessors(node) if m not in net.gates]
        sides = {net.edge_zone[e] == c.zone for e in roads if e not in closed}
        if sides != {True, False}:
            missing = "inside" if True not in sides else "outside"
            raise InputError(
                f"$.checkpoints[{i}]",
                f"checkpoint {c.id!r} (node {node!r}) has no road to the {missing} of zone {c.zone!r}",
            )


def _check_reachable(inst: Instance, net: Network) -> None:
    """Every place must be joined by some road to the depots, whatever the zones."""
    und = net.graph.to_undirected(as_view=True)
    depot_nodes = {net.place_node[d.place] for d in inst.depots}
    reach: set[str] = set()
    for d in depot_nodes:
        if d not in reach:
            reach |= nx.node_connected_component(und, d)
    for i, p in enumerate(inst.places):
        if net.place_node[p.id] not in reach:
            raise InputError(
                f"$.places[{i}]",
                f"place {p.id!r} cannot be reached from any depot: no road joins them",
            )

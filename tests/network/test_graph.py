"""Road graphs, zones, checkpoints and travel tables per driver class."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import osmnx as ox
import pytest

from relayroute.io.instance import LoadedInstance, instance_from_data, read_instance
from relayroute.io.roads import read_graphml, read_nodes_edges, read_osm_xml
from relayroute.network import Profile, TravelTable, build_network
from relayroute.solve import solve
from relayroute.validate import validate

from ..conftest import DATA, QUICK, ROOT

OSM_DE = DATA / "southern-germany-10.068-48.135.osm"
OSM_OAK = DATA / "West-Oakland.osm.bz2"


def _table(loaded: LoadedInstance, profile: Profile) -> TravelTable:
    inst = loaded.instance
    net = build_network(inst, loaded.base)
    return TravelTable(
        net, profile, [p.id for p in inst.places], {c.id: c.delay for c in inst.checkpoints}, set()
    )


def test_node_zones_by_spatial_join(demo: LoadedInstance) -> None:
    """Nodes inside the Yiwu and Dongyang polygons get their zone; others none."""
    net = build_network(demo.instance, demo.base)
    assert net.node_zone["yiwu_centre"] == "yiwu"
    assert net.node_zone["dongyang_dev"] == "dongyang"
    assert net.node_zone["jinhua"] is None
    assert set(net.gates.values()) == {c.id for c in demo.instance.checkpoints}
    assert net.uncontrolled == []


def test_outside_drivers_never_reach_closed_zone(demo: LoadedInstance) -> None:
    """An outside driver cannot reach a factory inside closed-loop Yiwu."""
    table = _table(demo, Profile())
    assert not table.reachable("jinhua", "yiwu_futian")
    assert table.reachable("jinhua", "pujiang")


def test_permit_zone_needs_permit_and_pays_delay(demo: LoadedInstance) -> None:
    """Dongyang needs a permit; the route enters through a checkpoint and pays its delay."""
    assert not _table(demo, Profile()).reachable("jinhua", "dongyang")
    table = _table(demo, Profile(permits=frozenset({"dongyang"})))
    route = table.route("jinhua", "dongyang")
    assert [c.direction for c in route.crossings] == ["in"]
    gate = route.crossings[0].checkpoint
    assert route.nodes[-2] == gate  # the gate node is the checkpoint id in this data
    g = build_network(demo.instance, demo.base).graph
    drive = sum(g.edges[a, b]["minutes"] for a, b in zip(route.nodes, route.nodes[1:]))
    assert route.minutes == pytest.approx(drive + route.crossings[0].delay)


def test_closed_checkpoint_blocks(demo: LoadedInstance) -> None:
    """With every Dongyang checkpoint closed nobody gets in."""
    inst = demo.instance
    net = build_network(inst, demo.base)
    closed = {c.id for c in inst.checkpoints if c.zone == "dongyang"}
    table = TravelTable(
        net,
        Profile(permits=frozenset({"dongyang"})),
        ["jinhua", "dongyang"],
        {c.id: c.delay for c in inst.checkpoints},
        closed,
    )
    assert not table.reachable("jinhua", "dongyang")


def test_uncontrolled_crossing_is_closed(demo: LoadedInstance, tmp_path: Path) -> None:
    """A road straight into a permit zone, away from any checkpoint, is not usable."""
    edges = json.loads((ROOT / "data/yiwu/edges.geojson").read_text())
    edges["features"].append(
        {
            "type": "Feature",
            "geometry": None,
            "properties": {"from": "j_east", "to": "dongyang_dev", "km": 6.0, "minutes": 5.0},
        }
    )
    (tmp_path / "edges.geojson").write_text(json.dumps(edges))
    data = json.loads((ROOT / "instances/yiwu-demo.json").read_text())
    data["network"] = {
        "mode": "road",
        "nodes": str(ROOT / "data/yiwu/nodes.geojson"),
        "edges": str(tmp_path / "edges.geojson"),
    }
    inst = instance_from_data(data)
    net = build_network(inst, tmp_path)
    assert ("j_east", "dongyang_dev") in net.uncontrolled
    table = TravelTable(
        net,
        Profile(permits=frozenset({"dongyang"})),
        ["jinhua", "dongyang_dev"],
        {c.id: c.delay for c in inst.checkpoints},
        set(),
    )
    route = table.route("jinhua", "dongyang_dev")
    assert route.crossings, "the route must still go through a checkpoint"


def test_straight_line_routes_around_closed_zone(small: LoadedInstance) -> None:
    """Straight-line mode skirts the closed city by way-points; km = WGS84 geodesic x detour."""
    table = _table(small, Profile())
    route = table.route("sup1", "cust1")
    assert any(n.startswith("waypoint:city") for n in route.nodes)
    direct = _table(small, Profile()).route("depot", "sup1")
    import numpy as np

    from relayroute.network import geodesic_km

    a, b = small.instance.places_by_id["depot"], small.instance.places_by_id["sup1"]
    km = float(
        geodesic_km(np.array([a.lon]), np.array([a.lat]), np.array([b.lon]), np.array([b.lat]))[0]
    )
    assert direct.km == pytest.approx(km * 1.3)
    assert direct.minutes == pytest.approx(km * 1.3 / 50 * 60)


def test_euclidean_mode() -> None:
    """Euclidean mode: plain x/y distance, minutes = distance / speed."""
    data = {
        "name": "e",
        "start": "2022-01-01T00:00:00+00:00",
        "network": {"mode": "euclidean", "speed": 2},
        "places": [
            {"id": "a", "lon": 0, "lat": 0},
            {"id": "b", "lon": 30, "lat": 40},
            {"id": "c", "lon": 300, "lat": 400},
        ],
        "depots": [{"id": "d", "place": "a"}],
        "trucks": [{"id": "t", "depot": "d", "capacity": {"q": 10}, "available": [0, 1000]}],
        "shipments": [
            {
                "id": "s",
                "origin": "b",
                "destination": "c",
                "quantity": {"q": 1},
                "ready": 0,
                "due": 500,
            }
        ],
    }
    loaded = LoadedInstance(instance_from_data(data), Path.cwd(), "x")
    table = _table(loaded, Profile())
    assert table.km[table.index["a"], table.index["b"]] == pytest.approx(50)
    assert table.minutes[table.index["a"], table.index["b"]] == pytest.approx(25)
    plan = solve(loaded, QUICK)
    assert plan.kpis.served == 1
    assert validate(loaded.instance, plan).ok


def test_nodes_edges_csv(tmp_path: Path) -> None:
    """CSV node and edge tables read like GeoJSON; two-way unless oneway."""
    (tmp_path / "n.csv").write_text("id,lon,lat\na,120.0,29.0\nb,120.1,29.0\nc,120.2,29.0\n")
    (tmp_path / "e.csv").write_text(
        "from,to,km,minutes,closed,oneway\na,b,10,12,false,false\nb,c,10,12,true,true\n"
    )
    g = read_nodes_edges(tmp_path / "n.csv", tmp_path / "e.csv")
    assert g.has_edge("b", "a") and g.has_edge("b", "c") and not g.has_edge("c", "b")
    assert g.edges["b", "c"]["closed"] and not g.edges["a", "b"]["closed"]


def test_osm_xml_speeds_from_maxspeed_or_class() -> None:
    """OSM XML: maxspeed=30 residential streets run at 30 km/h, service roads at the class speed."""
    g = read_osm_xml(OSM_DE)
    speeds = {(d["road_class"], round(d["speed_kmh"])) for _, _, d in g.edges(data=True)}
    assert ("residential", 30) in speeds
    assert ("service", 15) in speeds
    for _, _, d in g.edges(data=True):
        assert d["minutes"] == pytest.approx(d["km"] / d["speed_kmh"] * 60, rel=1e-6, abs=1e-3)
    assert all(-180 <= g.nodes[n]["lon"] <= 180 for n in g.nodes)


def test_osm_bz2_and_graphml_roundtrip(tmp_path: Path) -> None:
    """A bz2 OSM extract reads directly; its osmnx GraphML gives the same graph."""
    g = read_osm_xml(OSM_OAK)
    assert g.number_of_edges() > 50
    mg = ox.graph_from_xml(OSM_OAK, simplify=True, retain_all=True)
    ox.save_graphml(mg, tmp_path / "oak.graphml")
    h = read_graphml(tmp_path / "oak.graphml")
    assert set(g.edges) == set(h.edges)
    assert nx.utils.graphs_equal(nx.DiGraph(g.edges), nx.DiGraph(h.edges))


def test_plan_on_osm_roads(tmp_path: Path) -> None:
    """An instance on a real OSM extract solves and its plan validates."""
    g = read_osm_xml(OSM_OAK)
    big = max(nx.strongly_connected_components(g), key=len)
    nodes = sorted(big)[:4]
    data = {
        "name": "oakland",
        "start": "2024-01-01T00:00:00-08:00",
        "network": {"mode": "road", "osm": str(OSM_OAK)},
        "places": [
            {"id": f"p{i}", "lon": g.nodes[n]["lon"], "lat": g.nodes[n]["lat"], "node": n}
            for i, n in enumerate(nodes)
        ],
        "depots": [{"id": "d", "place": "p0"}],
        "trucks": [{"id": "t", "depot": "d", "capacity": {"q": 10}, "available": [0, 600]}],
        "shipments": [
            {
                "id": "s1",
                "origin": "p1",
                "destination": "p2",
                "quantity": {"q": 1},
                "ready": 0,
                "due": 100,
            },
            {
                "id": "s2",
                "origin": "p2",
                "destination": "p3",
                "quantity": {"q": 1},
                "ready": 0,
                "due": 100,
            },
        ],
    }
    path = tmp_path / "oak.json"
    path.write_text(json.dumps(data))
    loaded = read_instance(path)
    plan = solve(loaded, QUICK)
    assert plan.kpis.served == 2
    assert validate(loaded.instance, plan, loaded.base).ok


def test_loop_drivers_stay_in_their_zone(demo: LoadedInstance) -> None:
    """A loop driver's table joins its zone to the relay stations, never another zone."""
    table = _table(demo, Profile(kind="loop", zone="yiwu"))
    assert table.reachable("yiwu_futian", "yiwu_choujiang")
    assert table.reachable("jindong", "yiwu_futian")
    assert table.reachable("yiwu_beiyuan", "yiwu_port")
    assert not table.reachable("yiwu_futian", "dongyang_dev")
    route = table.route("jindong", "yiwu_futian")
    assert [c.direction for c in route.crossings] == ["in"]


def test_zone_folded_in_metres_is_bad_input() -> None:
    """A zone valid in degrees but spanning a third of the globe folds over itself in the
    network's metric projection: bad input naming the zone, not a GEOS error (found by
    the fuzz campaign: one vertex's longitude 120 -> 0)."""
    from relayroute.errors import InputError
    from relayroute.itineraries import build_problem

    data = json.loads((ROOT / "instances/yiwu-demo.json").read_text())
    data["zones"][0]["polygon"][0][1][0] = 0
    loaded = instance_from_data(data)
    with pytest.raises(InputError, match="'yiwu' is not a valid polygon once measured"):
        build_problem(loaded, ROOT / "instances")


def test_waypoints_stand_300_m_out(small: LoadedInstance) -> None:
    """Straight-line way-points are grown 300 m out of each zone in metres: a buffer in
    degrees stood them only 262 m out east and west (29.3° N)."""
    import numpy as np
    import shapely

    from relayroute.network.zones import metric_transformer, to_metres

    g = build_network(small.instance, small.base).graph
    for z in small.instance.zones:
        ring = shapely.LinearRing(z.polygon[0])
        ours = [n for n in g.nodes if n.startswith(f"waypoint:{z.id}:")]
        wps = shapely.points([(g.nodes[n]["lon"], g.nodes[n]["lat"]) for n in ours])
        c = np.asarray(ring.coords)
        tf = metric_transformer(c[:, 0], c[:, 1])
        metres = shapely.distance(to_metres(wps, tf), to_metres(np.array([ring]), tf)[0])
        assert len(ours) >= 4 and np.allclose(metres, 300, atol=1), metres


def test_osm_maxspeed_zero_runs_at_class_speed(tmp_path: Path) -> None:
    """A maxspeed of 0 (osmnx then times the road as endless) runs at its class speed:
    residential 25 km/h, and every road's minutes are osmnx's travel time."""
    osm = tmp_path / "zero.osm"
    osm.write_text(OSM_DE.read_text().replace('k="maxspeed" v="30"', 'k="maxspeed" v="0"'))
    g = read_osm_xml(osm)
    speeds = {(d["road_class"], d["speed_kmh"]) for _, _, d in g.edges(data=True)}
    assert ("residential", 25) in speeds and not any(s <= 0 for _, s in speeds)
    for _, _, d in g.edges(data=True):
        assert d["minutes"] == pytest.approx(d["km"] / d["speed_kmh"] * 60, rel=1e-9, abs=1e-3)

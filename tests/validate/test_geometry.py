"""R5, R6 and R9 judged on road geometry: roads through a zone with both ends outside.

One small world, drawn twice — as straight lines and as a GeoJSON road network: a closed
zone Z with one checkpoint K on its west side, a relay station S west of it, a factory F
inside, a customer C to the east, and a permit zone W south of the station. A solver plan
sends F's goods out through S (loop driver S -> K -> F -> K -> S, then the outside driver on
to C around Z). Each test changes exactly one leg to a way that breaks one rule and keeps
every statement of the plan true, and asserts the validator names exactly that rule.
"""

from __future__ import annotations

import itertools
import json
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import networkx as nx
import pytest
import shapely
from pyproj import Geod

from relayroute.errors import InputError
from relayroute.io.instance import LoadedInstance, read_instance
from relayroute.io.roads import read_osm_xml
from relayroute.model.plan import Leg, Plan
from relayroute.network import build_network
from relayroute.solve import solve
from relayroute.validate import validate

from ..conftest import DATA, QUICK

if TYPE_CHECKING:
    from pathlib import Path

Z = [[120.00, 29.00], [120.04, 29.00], [120.04, 29.04], [120.00, 29.04], [120.00, 29.00]]
W = [
    [119.987, 29.016],
    [119.993, 29.016],
    [119.993, 29.0205],
    [119.987, 29.0205],
    [119.987, 29.016],
]
NODES = {
    "D": (119.95, 29.02),
    "S": (119.98, 29.02),
    "K": (120.00, 29.02),
    "F": (120.02, 29.02),
    "C": (120.07, 29.03),
    "N1": (119.98, 29.06),
    "N2": (120.07, 29.06),
    "M": (119.995, 29.02),
    "E": (119.995, 29.03),
}
# Roads the solver may use, and roads that break a rule (commented), which it must not.
ROADS = [
    ("D", "S"),
    ("S", "K"),
    ("K", "F"),
    ("S", "N1"),
    ("N1", "N2"),
    ("N2", "C"),
    ("S", "C"),  # straight through Z, both ends outside
    ("S", "M"),  # through permit zone W, both ends outside (S -> M -> K is the straight way)
    ("M", "K"),
    ("S", "E"),
    ("E", "F"),  # into Z away from the checkpoint
]


# The road from S to K bends north around W; the straight line between them crosses it.
BENDS = {("S", "K"): [(119.99, 29.027)]}


def _shape(a: str, b: str) -> list[tuple[float, float]]:
    if (a, b) in BENDS:
        return [NODES[a], *BENDS[a, b], NODES[b]]
    if (b, a) in BENDS:
        return [NODES[a], *BENDS[b, a][::-1], NODES[b]]
    return [NODES[a], NODES[b]]


def _km(a: str, b: str) -> float:
    shape = _shape(a, b)
    return sum(_arc(p, q) for p, q in itertools.pairwise(shape))


def _arc(x: tuple[float, float], y: tuple[float, float]) -> float:
    # WGS84 geodesic km × the detour factor 1.3, as straight_line networks measure
    (lon1, lat1), (lon2, lat2) = x, y
    return float(Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)[2]) / 1000.0 * 1.3


def _write_network(
    folder: Path,
    nodes: dict[str, tuple[float, float]],
    roads: list[tuple[str, str]],
    shape: Any = None,
) -> None:
    """nodes.geojson and edges.geojson of two-way roads, km along each road's shape."""
    shape = shape or (lambda a, b: [nodes[a], nodes[b]])
    points = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": list(xy)},
            "properties": {"id": n},
        }
        for n, xy in nodes.items()
    ]
    lines = []
    for u, v in roads:
        line = shape(u, v)
        km = round(sum(_arc(p, q) for p, q in pairwise(line)), 3)
        for a, b in ((u, v), (v, u)):
            lines.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": shape(a, b)},
                    "properties": {"from": a, "to": b, "km": km, "minutes": km / 50 * 60},
                }
            )
    for name, feats in (("nodes", points), ("edges", lines)):
        (folder / f"{name}.geojson").write_text(
            json.dumps({"type": "FeatureCollection", "features": feats})
        )


def _relay_day(origin: str, destination: str, ready: float, loop_drivers: int) -> dict[str, Any]:
    """Relay station ``rs`` at the place ``station`` for zone Z, one truck, one shipment."""
    return {
        "relay_stations": [{"id": "rs", "zone": "Z", "place": "station", "bays": 2}],
        "driver_pools": [
            {"id": "out", "kind": "outside", "count": loop_drivers, "shift": [0, 1440]},
            {
                "id": "loop",
                "kind": "loop",
                "zone": "Z",
                "station": "rs",
                "count": loop_drivers,
                "shift": [0, 1440],
            },
        ],
        "trucks": [
            {
                "id": "T1",
                "depot": "dep",
                "capacity": {"t": 10},
                "available": [0, 1440],
                "driver_pool": "out",
            }
        ],
        "shipments": [
            {
                "id": "S1",
                "origin": origin,
                "destination": destination,
                "quantity": {"t": 2},
                "ready": ready,
                "due": 600,
            }
        ],
    }


def _instance(mode: str, folder: Path) -> LoadedInstance:
    place = {"D": "depot", "S": "station", "F": "factory", "C": "customer"}
    road = mode == "road"
    if road:
        network: dict[str, Any] = {
            "mode": "road",
            "nodes": "nodes.geojson",
            "edges": "edges.geojson",
        }
        _write_network(folder, NODES, ROADS, _shape)
    else:
        network = {"mode": "straight_line", "detour_factor": 1.3, "speed_kmh": 50}
    data = {
        "name": f"geometry-{mode}",
        "start": "2022-08-12T00:00:00+08:00",
        "network": network,
        "objective": {"km": 0},
        "places": [
            {"id": pid, "lon": NODES[n][0], "lat": NODES[n][1], **({"node": n} if road else {})}
            for n, pid in place.items()
        ],
        "zones": [
            {"id": "Z", "policy": "closed_loop", "polygon": [Z]},
            {"id": "W", "policy": "permit", "polygon": [W]},
        ],
        "checkpoints": [
            {
                "id": "K",
                "zone": "Z",
                "lon": NODES["K"][0],
                "lat": NODES["K"][1],
                "delay": 5,
                **({"node": "K"} if road else {}),
            }
        ],
        "depots": [{"id": "dep", "place": "depot"}],
        **_relay_day("factory", "customer", ready=60, loop_drivers=2),
    }
    path = folder / "instance.json"
    path.write_text(json.dumps(data))
    return read_instance(path)


@pytest.fixture(scope="module", params=["straight_line", "road"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[LoadedInstance, Plan]:
    loaded = _instance(request.param, tmp_path_factory.mktemp(request.param))
    plan = solve(loaded, QUICK)
    assert plan.kpis.served == 1
    assert validate(loaded.instance, plan, loaded.base).ok
    return loaded, plan


def _xy(loaded: LoadedInstance, node: str) -> tuple[float, float]:
    inst = loaded.instance
    for p in inst.places:
        if node in (p.id, p.node):
            return (p.lon, p.lat)
    if node in ("K", "checkpoint:K"):
        return NODES["K"]
    return NODES[node]


def _node(loaded: LoadedInstance, name: str) -> str:
    """The plan's node id of a point of the world, in either mode."""
    if loaded.instance.network.mode == "road":
        return name
    ids = {"D": "depot", "S": "station", "F": "factory", "C": "customer", "K": "checkpoint:K"}
    return ids.get(name, f"waypoint:test:{name}")


def _reroute(loaded: LoadedInstance, plan: Plan, pick: Any, via: list[str]) -> Plan:
    """The plan with one leg driven along ``via`` (world names), km kept consistent."""
    plan = plan.model_copy(deep=True)
    r, i, leg = next(
        (r, i, leg) for r in plan.routes for i, leg in enumerate(r.legs) if pick(r, leg)
    )
    path = [_node(loaded, n) for n in via]
    coords = [_xy(loaded, n) for n in via]
    if loaded.instance.network.mode == "road":
        km = sum(round(_km(a, b), 3) for a, b in itertools.pairwise(via))
    else:
        km = sum(_km(a, b) for a, b in itertools.pairwise(via))
    crossings = [c for c in leg.crossings if "K" in via]
    new = Leg.model_validate(
        {**leg.model_dump(), "path": path, "coords": coords, "km": km, "crossings": crossings}
    )
    r.legs[i] = new
    r.km += km - leg.km
    plan.kpis.km += km - leg.km
    return plan


def test_solver_plan_stays_out_of_the_zones(world: tuple[LoadedInstance, Plan]) -> None:
    """The solver goes around Z (north bypass or way-points), never over the cut roads."""
    _loaded, plan = world
    zone = shapely.Polygon(Z)
    for r in plan.routes:
        for leg in r.legs:
            if leg.driver_kind == "outside" and len(leg.coords) > 1:
                assert shapely.LineString(leg.coords).intersection(zone).length < 1e-5


def test_outside_leg_through_closed_zone_is_r5(world: tuple[LoadedInstance, Plan]) -> None:
    """Station -> customer straight across Z (both ends outside) is R5, exactly."""
    loaded, plan = world
    bad = _reroute(
        loaded,
        plan,
        lambda r, leg: (
            leg.driver_kind == "outside"
            and leg.path[0] == _node(loaded, "S")
            and leg.path[-1] == _node(loaded, "C")
        ),
        ["S", "C"],
    )
    report = validate(loaded.instance, bad, loaded.base)
    assert report.rules() == {"R5"}, report.violations
    assert "inside closed-loop zone 'Z'" in report.violations[0].message


def test_loop_leg_through_another_zone_is_r6(world: tuple[LoadedInstance, Plan]) -> None:
    """The loop driver takes the truck from S to K through permit zone W: R6, exactly."""
    loaded, plan = world
    bad = _reroute(
        loaded,
        plan,
        lambda r, leg: leg.driver_kind == "loop" and leg.path[0] == _node(loaded, "S"),
        ["S", "M", "K", "F"],
    )
    report = validate(loaded.instance, bad, loaded.base)
    assert report.rules() == {"R6"}, report.violations
    assert "in zone 'W'" in report.violations[0].message


def test_boundary_crossed_off_the_checkpoint_is_r9(world: tuple[LoadedInstance, Plan]) -> None:
    """The loop driver enters Z straight from S, away from checkpoint K: R9, exactly."""
    loaded, plan = world
    bad = _reroute(
        loaded,
        plan,
        lambda r, leg: leg.driver_kind == "loop" and leg.path[0] == _node(loaded, "S"),
        ["S", "E", "F"],
    )
    report = validate(loaded.instance, bad, loaded.base)
    assert report.rules() == {"R9"}, report.violations


def test_network_closes_roads_that_cut_a_zone(tmp_path: Path) -> None:
    """The three rule-breaking roads are uncontrolled by geometry; the others are not."""
    loaded = _instance("road", tmp_path)
    net = build_network(loaded.instance, loaded.base)
    cut = {frozenset(e) for e in net.uncontrolled}
    assert cut == {frozenset(("S", "C")), frozenset(("S", "M")), frozenset(("E", "F"))}
    assert net.edge_zone[("K", "F")] == "Z" and net.edge_zone[("S", "K")] is None


# --- OpenStreetMap roads -----------------------------------------------------------------

OSM_OAK = DATA / "West-Oakland.osm.bz2"


@pytest.fixture(scope="module")
def oakland(tmp_path_factory: pytest.TempPathFactory) -> tuple[LoadedInstance, Plan, list[str]]:
    """Two places at the ends of a road of West Oakland, a small closed zone over its middle."""
    g = read_osm_xml(OSM_OAK)
    big = g.subgraph(max(nx.strongly_connected_components(g), key=len)).copy()
    points = shapely.points([(big.nodes[n]["lon"], big.nodes[n]["lat"]) for n in big])
    half = 0.0004  # degrees: a square of about 70 x 90 m
    # The longest road whose middle can be closed with both ends still joined around it.
    for a, b, coords in sorted(big.edges(data="coords"), key=lambda e: -big.edges[e[:2]]["km"]):
        mid = shapely.LineString(coords).interpolate(0.5, normalized=True)
        zone = shapely.box(mid.x - half, mid.y - half, mid.x + half, mid.y + half)
        if shapely.contains(zone, points).any():
            continue
        cut = big.copy()
        cut.remove_edges_from(
            [
                (u, v)
                for u, v, c in big.edges(data="coords")
                if shapely.LineString(c).intersects(zone)
            ]
        )
        if nx.has_path(cut, a, b) and nx.has_path(cut, b, a):
            break
    else:
        pytest.fail("no road of the extract can be cut and detoured")
    path = nx.shortest_path(big, a, b, weight="minutes")
    square = [list(xy) for xy in zone.exterior.coords]
    data = {
        "name": "oakland-zone",
        "start": "2024-01-01T00:00:00-08:00",
        "network": {"mode": "road", "osm": str(OSM_OAK)},
        "objective": {"km": 0},
        "places": [
            {"id": "pa", "lon": big.nodes[a]["lon"], "lat": big.nodes[a]["lat"], "node": a},
            {"id": "pb", "lon": big.nodes[b]["lon"], "lat": big.nodes[b]["lat"], "node": b},
        ],
        "zones": [{"id": "Z", "policy": "closed_loop", "polygon": [square]}],
        "depots": [{"id": "d", "place": "pa"}],
        "trucks": [{"id": "t", "depot": "d", "capacity": {"q": 10}, "available": [0, 600]}],
        "shipments": [
            {
                "id": "s1",
                "origin": "pa",
                "destination": "pb",
                "quantity": {"q": 1},
                "ready": 0,
                "due": 300,
            }
        ],
    }
    folder = tmp_path_factory.mktemp("oak")
    (folder / "oak.json").write_text(json.dumps(data))
    loaded = read_instance(folder / "oak.json")
    plan = solve(loaded, QUICK)
    return loaded, plan, path


def test_osm_plan_detours_and_a_cut_through_is_r5(
    oakland: tuple[LoadedInstance, Plan, list[str]],
) -> None:
    """On OSM roads the solver drives around the zone; the cut-through path is R5, exactly."""
    loaded, plan, through = oakland
    assert plan.kpis.served == 1
    assert validate(loaded.instance, plan, loaded.base).ok
    g = read_osm_xml(OSM_OAK)
    zone = shapely.Polygon(loaded.instance.zones[0].polygon[0])
    r = plan.routes[0]
    i, leg = next((i, leg) for i, leg in enumerate(r.legs) if leg.path[-1] == through[-1])
    assert leg.path != through
    assert shapely.LineString(leg.coords).intersection(zone).length < 1e-7
    coords: list[tuple[float, float]] = [(g.nodes[through[0]]["lon"], g.nodes[through[0]]["lat"])]
    for u, v in itertools.pairwise(through):
        coords.extend(tuple(c) for c in g.edges[u, v]["coords"][1:])
    km = sum(g.edges[u, v]["km"] for u, v in itertools.pairwise(through))
    bad = plan.model_copy(deep=True)
    bad.routes[0].legs[i] = Leg.model_validate(
        {**leg.model_dump(), "path": through, "coords": coords, "km": km}
    )
    bad.routes[0].km += km - leg.km
    bad.kpis.km += km - leg.km
    report = validate(loaded.instance, bad, loaded.base)
    assert report.rules() == {"R5"}, report.violations


# --- Sealed transit roads ----------------------------------------------------------------

TRANSIT_NODES = {
    "D": (119.95, 29.035),
    "Tw": (119.99, 29.038),
    "Tx": (119.995, 29.035),  # on the sealed road, still outside Z
    "Tm": (120.02, 29.035),  # on the sealed road, inside Z
    "Te": (120.05, 29.035),
    "C": (120.09, 29.035),
    "B1": (119.95, 29.07),
    "B2": (120.09, 29.07),
    "Y": (119.994, 29.0351),
    "F": (120.02, 29.02),
}
TRANSIT_ROADS = [
    ("D", "Tw"),
    ("Tw", "Tx"),
    ("Tx", "Tm"),
    ("Tm", "Te"),
    ("Te", "C"),
    ("D", "B1"),
    ("B1", "B2"),
    ("B2", "C"),
    ("D", "Y"),
    ("Y", "Tx"),  # an exit of the sealed road, outside Z
    ("Tm", "F"),  # an exit into the city
]


def _transit_instance(folder: Path, sealed: bool, change: Any = None) -> LoadedInstance:
    """An outside shipment D -> C across Z, with or without a sealed road through it."""
    _write_network(folder, TRANSIT_NODES, TRANSIT_ROADS)
    zone: dict[str, Any] = {"id": "Z", "policy": "closed_loop", "polygon": [Z]}
    if sealed:
        zone["transit_roads"] = [{"id": "G60", "nodes": ["Tw", "Tx", "Tm", "Te"]}]
    data: dict[str, Any] = {
        "name": "transit",
        "start": "2022-08-12T00:00:00+08:00",
        "network": {"mode": "road", "nodes": "nodes.geojson", "edges": "edges.geojson"},
        "objective": {"km": 0},
        "places": [
            {"id": p, "lon": TRANSIT_NODES[p][0], "lat": TRANSIT_NODES[p][1], "node": p}
            for p in ("D", "C")
        ],
        "zones": [zone],
        "depots": [{"id": "dep", "place": "D"}],
        "trucks": [{"id": "T1", "depot": "dep", "capacity": {"t": 10}, "available": [0, 1440]}],
        "shipments": [
            {
                "id": "S1",
                "origin": "D",
                "destination": "C",
                "quantity": {"t": 2},
                "ready": 60,
                "due": 600,
            }
        ],
    }
    if change is not None:
        change(data)
    (folder / "transit.json").write_text(json.dumps(data))
    return read_instance(folder / "transit.json")


def _leg_to(plan: Plan, place: str) -> tuple[int, Leg]:
    return next((i, leg) for i, leg in enumerate(plan.routes[0].legs) if leg.path[-1] == place)


def test_sealed_road_is_driven_end_to_end(tmp_path: Path) -> None:
    """With the sealed road the truck crosses Z on it; without, it takes the bypass."""
    loaded = _transit_instance(tmp_path, sealed=True)
    net = build_network(loaded.instance, loaded.base)
    assert {frozenset(e) for e in net.uncontrolled} == {
        frozenset(("Y", "Tx")),
        frozenset(("Tm", "F")),
    }
    plan = solve(loaded, QUICK)
    assert validate(loaded.instance, plan, loaded.base).ok
    assert _leg_to(plan, "C")[1].path == ["D", "Tw", "Tx", "Tm", "Te", "C"]
    (tmp_path / "plain").mkdir()
    plain = _transit_instance(tmp_path / "plain", sealed=False)
    detour = solve(plain, QUICK)
    assert validate(plain.instance, detour, plain.base).ok
    assert _leg_to(detour, "C")[1].path == ["D", "B1", "B2", "C"]


def test_joining_a_sealed_road_midway_is_r9(tmp_path: Path) -> None:
    """Onto the sealed road at an inner node (by the exit from Y): R9, exactly."""
    loaded = _transit_instance(tmp_path, sealed=True)
    plan = solve(loaded, QUICK)
    i, leg = _leg_to(plan, "C")
    path = ["D", "Y", "Tx", "Tm", "Te", "C"]
    km = sum(
        round(_arc(TRANSIT_NODES[a], TRANSIT_NODES[b]), 3) for a, b in itertools.pairwise(path)
    )
    bad = plan.model_copy(deep=True)
    bad.routes[0].legs[i] = Leg.model_validate(
        {**leg.model_dump(), "path": path, "coords": [TRANSIT_NODES[n] for n in path], "km": km}
    )
    bad.routes[0].km += km - leg.km
    bad.kpis.km += km - leg.km
    report = validate(loaded.instance, bad, loaded.base)
    assert report.rules() == {"R9"}, report.violations
    assert "sealed transit road 'G60'" in report.violations[0].message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["zones"][0]["transit_roads"][0].update(nodes=["Tw", "Tx", "Tm"]),
            "a transit road ends outside every zone; 'Tm' is in zone 'Z'",
        ),
        (
            lambda d: d["zones"][0]["transit_roads"][0].update(nodes=["Tw", "Tm", "Te"]),
            "no road joins 'Tw' and 'Tm'",
        ),
        (
            lambda d: d["places"].append(
                {
                    "id": "X",
                    "lon": TRANSIT_NODES["Tx"][0],
                    "lat": TRANSIT_NODES["Tx"][1],
                    "node": "Tx",
                }
            ),
            "place 'X' stands on node 'Tx' of the sealed road",
        ),
    ],
)
def test_bad_sealed_road_is_refused(tmp_path: Path, change: Any, message: str) -> None:
    """A sealed road must follow roads, end outside the zone and carry no place."""
    loaded = _transit_instance(tmp_path, sealed=True, change=change)
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        build_network(loaded.instance, loaded.base)


def _relay_world(g: nx.DiGraph) -> dict[str, Any] | None:
    """A relay arrangement on OSM roads, found on the graph rather than hard-coded.

    A closed zone Z around a junction N with two roads out of it: one gated (checkpoint at
    G), one not (M); a relay station S away from it whose fastest road to G crosses a second
    closed zone W (so the loop driver must detour round W).
    """
    big = g.subgraph(max(nx.strongly_connected_components(g), key=len)).copy()
    pos = {n: (big.nodes[n]["lon"], big.nodes[n]["lat"]) for n in big}
    pts = {n: shapely.Point(p) for n, p in pos.items()}

    def cut_by(zone: shapely.Geometry) -> nx.DiGraph:
        cut = big.copy()
        cut.remove_edges_from(
            [
                (u, v)
                for u, v, c in big.edges(data="coords")
                if shapely.LineString(c).intersects(zone)
            ]
        )
        return cut

    for n in sorted(big):
        out = sorted(m for m in big.successors(n) if big.has_edge(m, n))
        if len(out) < 2:
            continue
        h = 0.35 * min(pts[n].distance(pts[m]) for m in big if m != n)
        zone = shapely.box(pos[n][0] - h, pos[n][1] - h, pos[n][0] + h, pos[n][1] + h)
        for gate in out:
            for other in (m for m in out if m != gate):
                for s in sorted(big):
                    if s in (n, gate, other) or pts[s].distance(pts[n]) < 0.003:
                        continue
                    p = nx.shortest_path(big, s, gate, weight="minutes")
                    if n in p or other in p or len(p) < 3:
                        continue
                    for a, b in itertools.pairwise(p):
                        mid = shapely.LineString(big.edges[a, b]["coords"]).centroid
                        w = shapely.box(mid.x - 3e-4, mid.y - 3e-4, mid.x + 3e-4, mid.y + 3e-4)
                        if w.intersects(zone) or any(w.contains(pts[k]) for k in big):
                            continue
                        cut = cut_by(w.union(zone))
                        side = cut.subgraph([k for k in cut if k != gate])
                        if not (
                            nx.has_path(cut, s, gate)
                            and nx.has_path(cut, gate, s)
                            and nx.has_path(side, s, other)
                        ):
                            continue
                        # M reached round W and not through the gate: the ungated way in.
                        way = nx.shortest_path(side, s, other, weight="minutes")
                        return {
                            "N": n,
                            "G": gate,
                            "M": other,
                            "S": s,
                            "Z": zone,
                            "W": w,
                            "side": way,
                        }
    return None


@pytest.fixture(scope="module")
def oakland_relay(tmp_path_factory: pytest.TempPathFactory) -> tuple[LoadedInstance, Plan, dict]:
    g = read_osm_xml(OSM_OAK)
    found = _relay_world(g)
    assert found is not None, "no relay arrangement found on the extract"
    n, gate, s = found["N"], found["G"], found["S"]

    def ring(poly: shapely.Polygon) -> list[list[float]]:
        return [list(c) for c in shapely.orient_polygons(poly).exterior.coords]

    xy = {k: (g.nodes[k]["lon"], g.nodes[k]["lat"]) for k in (n, gate, s)}
    data = {
        "name": "oakland-relay",
        "start": "2024-01-01T00:00:00-08:00",
        "network": {"mode": "road", "osm": str(OSM_OAK)},
        "objective": {"km": 0},
        "places": [
            {"id": "station", "lon": xy[s][0], "lat": xy[s][1], "node": s},
            {"id": "factory", "lon": xy[n][0], "lat": xy[n][1], "node": n},
        ],
        "zones": [
            {"id": "Z", "policy": "closed_loop", "polygon": [ring(found["Z"])]},
            {"id": "W", "policy": "closed_loop", "polygon": [ring(found["W"])]},
        ],
        "checkpoints": [
            {
                "id": "K",
                "zone": "Z",
                "lon": xy[gate][0],
                "lat": xy[gate][1],
                "node": gate,
                "delay": 30,
            }
        ],
        "depots": [{"id": "dep", "place": "station"}],
        **_relay_day("station", "factory", ready=0, loop_drivers=1),
    }
    folder = tmp_path_factory.mktemp("oak-relay")
    (folder / "relay.json").write_text(json.dumps(data))
    loaded = read_instance(folder / "relay.json")
    plan = solve(loaded, QUICK)
    return loaded, plan, found


def _osm_leg(g: nx.DiGraph, leg: Leg, path: list[str], crossings: bool) -> Leg:
    coords: list[tuple[float, float]] = [(g.nodes[path[0]]["lon"], g.nodes[path[0]]["lat"])]
    for u, v in itertools.pairwise(path):
        coords.extend(tuple(c) for c in g.edges[u, v]["coords"][1:])
    km = sum(g.edges[u, v]["km"] for u, v in itertools.pairwise(path))
    return Leg.model_validate(
        {
            **leg.model_dump(),
            "path": path,
            "coords": coords,
            "km": km,
            "crossings": [c.model_dump() for c in leg.crossings] if crossings else [],
        }
    )


def _with_leg(plan: Plan, i: int, new: Leg) -> Plan:
    bad = plan.model_copy(deep=True)
    old = bad.routes[0].legs[i]
    bad.routes[0].legs[i] = new
    bad.routes[0].km += new.km - old.km
    bad.kpis.km += new.km - old.km
    return bad


def test_osm_loop_driver_goes_round_the_other_zone(
    oakland_relay: tuple[LoadedInstance, Plan, dict],
) -> None:
    """On OSM roads the loop driver takes the truck in at K and round zone W; it validates."""
    loaded, plan, found = oakland_relay
    assert plan.kpis.served == 1 and plan.kpis.handovers == 2
    assert validate(loaded.instance, plan, loaded.base).ok
    _i, leg = next(
        (i, leg) for i, leg in enumerate(plan.routes[0].legs) if leg.driver_kind == "loop"
    )
    assert leg.path[-2:] == [found["G"], found["N"]]
    assert [c.checkpoint for c in leg.crossings] == ["K"]
    # At most a corner within the validator's 25 m tolerance (about 2.2e-4 degrees).
    assert shapely.LineString(leg.coords).intersection(found["W"]).length < 2e-4


def test_osm_loop_leg_through_another_zone_is_r6(
    oakland_relay: tuple[LoadedInstance, Plan, dict],
) -> None:
    """The loop driver's fastest road to K through closed zone W: R6, exactly."""
    loaded, plan, found = oakland_relay
    g = read_osm_xml(OSM_OAK)
    i, leg = next(
        (i, leg) for i, leg in enumerate(plan.routes[0].legs) if leg.driver_kind == "loop"
    )
    through = [*nx.shortest_path(g, found["S"], found["G"], weight="minutes"), found["N"]]
    assert through != leg.path
    report = validate(
        loaded.instance, _with_leg(plan, i, _osm_leg(g, leg, through, True)), loaded.base
    )
    assert report.rules() == {"R6"}, report.violations
    assert "in zone 'W'" in report.violations[0].message


def test_osm_boundary_crossed_off_the_checkpoint_is_r9(
    oakland_relay: tuple[LoadedInstance, Plan, dict],
) -> None:
    """The loop driver enters Z by the ungated road from M: R9, exactly."""
    loaded, plan, found = oakland_relay
    g = read_osm_xml(OSM_OAK)
    i, leg = next(
        (i, leg) for i, leg in enumerate(plan.routes[0].legs) if leg.driver_kind == "loop"
    )
    way = [*found["side"], found["N"]]
    report = validate(
        loaded.instance, _with_leg(plan, i, _osm_leg(g, leg, way, False)), loaded.base
    )
    assert report.rules() == {"R9"}, report.violations

"""Properties: the validator never rejects a solver plan; no outside leg in a closed zone."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pyproj
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relayroute.io.instance import LoadedInstance, instance_from_data, read_instance
from relayroute.solve import SolverConfig, solve
from relayroute.validate import validate

DATA = Path(__file__).resolve().parent / "data"
BASE = json.loads((DATA / "small-straight.json").read_text())
FAST = SolverConfig(name="prop", solution_limit=30, time_limit=10, schedule_deterministic_time=1)

# Points west of the city, east of the park, inside the permit park or inside the closed city.
lon = st.one_of(
    st.floats(119.80, 119.98),
    st.floats(120.28, 120.40),
    st.floats(120.21, 120.25),
    st.floats(120.02, 120.08),
)
lat = st.floats(29.10, 29.50)


@st.composite
def instances(draw: st.DrawFn) -> dict:
    data = copy.deepcopy(BASE)
    n = draw(st.integers(2, 5))
    for i in range(n):
        x, y = draw(lon), draw(lat)
        if 120.21 <= x <= 120.25:
            y = draw(st.floats(29.31, 29.35))  # inside the park
        if 120.02 <= x <= 120.08:
            y = draw(st.floats(29.32, 29.38))  # inside the closed city
        hours = draw(st.sampled_from([[], [[420, 1200]], [[360, 600], [700, 1200]]]))
        data["places"].append({"id": f"r{i}", "lon": x, "lat": y, "hours": hours})
    ids = [p["id"] for p in data["places"]]
    data["shipments"] = []
    for k in range(draw(st.integers(1, 6))):
        a, b = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
        ready = draw(st.integers(360, 900))
        ship = {
            "id": f"X{k}",
            "origin": a,
            "destination": b,
            "quantity": {"t": draw(st.integers(0, 12))},
            "ready": ready,
            "due": ready + draw(st.integers(0, 300)),
            "priority": draw(st.sampled_from([1, 2, 5])),
        }
        if draw(st.booleans()):
            ship["deadline"] = ready + draw(st.integers(60, 600))
        data["shipments"].append(ship)
    for cp in data["checkpoints"]:
        cp["hours"] = draw(st.sampled_from([[], [[360, 1000]], [[0, 480], [600, 1440]]]))
        cp["throughput_per_hour"] = draw(st.sampled_from([None, 1, 3]))
    station = data["relay_stations"][0]
    station["bays"] = draw(st.integers(1, 2))
    station["handover_minutes"] = draw(st.sampled_from([5, 15, 30]))
    station["hours"] = draw(st.sampled_from([[], [[360, 1100]], [[300, 700], [800, 1300]]]))
    loop = next(p for p in data["driver_pools"] if p["kind"] == "loop")
    loop["count"] = draw(st.integers(1, 3))
    loop["shift"] = draw(st.sampled_from([[360, 1320], [360, 800], [700, 1320]]))
    loop["max_duty"] = draw(st.sampled_from([120, 300, 600]))
    return data


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_solver_plans_always_validate(data: dict) -> None:
    """Random places (some in the closed city, reached by relay), windows, deadlines,
    checkpoint hours and throughput, station bays, hours and handover times, loop-driver
    counts, shifts and duties: every solver plan passes the validator."""
    loaded = LoadedInstance(instance_from_data(data), DATA, "x")
    plan = solve(loaded, FAST)
    report = validate(loaded.instance, plan, loaded.base)
    assert report.ok, [str(v) for v in report.violations]
    assert plan.kpis.served + plan.kpis.unserved == len(data["shipments"])


# --- Random closed zones over random road graphs -----------------------------------------


def _road_world(seed: int, folder: Path) -> tuple[LoadedInstance, shapely.Polygon]:
    """A jittered 5 x 5 road grid with some long cross roads and a random closed zone."""
    rng = np.random.default_rng(seed)
    n, step = 5, 0.02  # about 2 km between grid nodes
    xy = {
        f"n{i}_{j}": (
            120.0 + i * step + rng.uniform(-0.004, 0.004),
            29.0 + j * step + rng.uniform(-0.004, 0.004),
        )
        for i in range(n)
        for j in range(n)
    }
    ids = list(xy)
    roads = {(f"n{i}_{j}", f"n{i + 1}_{j}") for i in range(n - 1) for j in range(n)}
    roads |= {(f"n{i}_{j}", f"n{i}_{j + 1}") for i in range(n) for j in range(n - 1)}
    for _ in range(6):  # long roads that may run through the zone with both ends outside
        a, b = rng.choice(len(ids), 2, replace=False)
        roads.add((ids[a], ids[b]))
    # A random convex zone near the middle, 1-4 km across, that holds no node.
    centre = np.array([120.04, 29.04]) + rng.uniform(-0.015, 0.015, 2)
    pts = centre + rng.uniform(-0.02, 0.02, (6, 2)) * rng.uniform(0.25, 1.0)
    zone = shapely.MultiPoint([tuple(p) for p in pts]).convex_hull
    zone = shapely.difference(
        zone, shapely.union_all([shapely.Point(p).buffer(0.003) for p in xy.values()])
    )
    if zone.geom_type != "Polygon":
        zone = max(getattr(zone, "geoms", [zone]), key=lambda g: g.area)
    zone = shapely.Polygon(zone.exterior)
    if not zone.is_valid or zone.area == 0:
        zone = shapely.box(*centre, *(centre + 0.002))
    nodes = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": list(p)},
                "properties": {"id": k},
            }
            for k, p in xy.items()
        ],
    }
    feats = []
    for u, v in sorted(roads):
        km = float(np.hypot(xy[u][0] - xy[v][0], (xy[u][1] - xy[v][1])) * 105 + 0.01)
        for a, b in ((u, v), (v, u)):
            feats.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": [list(xy[a]), list(xy[b])]},
                    "properties": {"from": a, "to": b, "km": km, "minutes": km / 40 * 60},
                }
            )
    (folder / "nodes.geojson").write_text(json.dumps(nodes))
    (folder / "edges.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": feats})
    )
    outside = [k for k in ids if not zone.buffer(0.001).contains(shapely.Point(xy[k]))]
    picks = rng.choice(len(outside), 7, replace=False)
    places = [outside[int(k)] for k in picks]
    data = {
        "name": f"zones-{seed}",
        "start": "2022-08-12T00:00:00+08:00",
        "network": {"mode": "road", "nodes": "nodes.geojson", "edges": "edges.geojson"},
        "places": [{"id": p, "lon": xy[p][0], "lat": xy[p][1], "node": p} for p in places],
        "zones": [
            {
                "id": "Z",
                "policy": "closed_loop",
                "polygon": [[list(c) for c in zone.exterior.coords]],
            }
        ],
        "depots": [{"id": "dep", "place": places[0]}],
        "trucks": [
            {"id": f"T{k}", "depot": "dep", "capacity": {"t": 10}, "available": [0, 1440]}
            for k in range(2)
        ],
        "shipments": [
            {
                "id": f"S{k}",
                "origin": places[1 + 2 * k],
                "destination": places[2 + 2 * k],
                "quantity": {"t": 2},
                "ready": 60,
                "due": 300,
            }
            for k in range(3)
        ],
    }
    (folder / "inst.json").write_text(json.dumps(data))
    return read_instance(folder / "inst.json"), zone


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**31 - 1))
def test_no_outside_leg_inside_a_random_closed_zone(seed: int, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """Random zones over random road graphs: no outside leg runs inside the zone (shapely, metres)."""
    loaded, zone = _road_world(seed, tmp_path_factory.mktemp("zones"))
    plan = solve(loaded, FAST)
    tf = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:32651", always_xy=True)

    def to_m(geom: shapely.Geometry) -> shapely.Geometry:
        return shapely.transform(geom, lambda xy: np.column_stack(tf.transform(xy[:, 0], xy[:, 1])))

    zone_m = to_m(zone)
    for r in plan.routes:
        for leg in r.legs:
            if leg.driver_kind == "outside" and len(leg.coords) > 1:
                inside = to_m(shapely.LineString(leg.coords)).intersection(zone_m)
                assert inside.length <= 25.0, (r.truck, leg.path, inside.length)
    assert validate(loaded.instance, plan, loaded.base).ok

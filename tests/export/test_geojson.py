"""GeoJSON of a plan (issues 6 and 20): RFC 7946, no zero-length lines, flat properties,
one file per geometry type, read back with geopandas and written to GeoPackage and
Shapefile."""

from __future__ import annotations

import json
import re
import warnings
from datetime import datetime
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from geojson_pydantic import FeatureCollection
from shapely.geometry import LinearRing

from relayroute.cli import main
from relayroute.errors import InputError
from relayroute.export.geojson import (
    flat_properties,
    plan_frame,
    plan_geojson,
    plan_layers,
    write_geojson,
)
from relayroute.io.instance import LoadedInstance, read_instance
from relayroute.io.plan import write_plan
from relayroute.solve import read_config, solve
from relayroute.validate import validate

from ..conftest import ROOT

if TYPE_CHECKING:
    from pathlib import Path

    from relayroute.model.plan import Plan

DEMO = ROOT / "instances" / "yiwu-demo.json"
README = ROOT / "README.md"


def _valid(loaded: LoadedInstance, plan: Plan) -> Plan:
    report = validate(loaded.instance, plan, loaded.base)
    assert report.ok, [str(v) for v in report.violations[:5]]
    return plan


@pytest.fixture(scope="module")
def demo_ok(demo: LoadedInstance, demo_plan: Plan) -> Plan:
    """The demo's plan, checked by the independent validator."""
    return _valid(demo, demo_plan)


@pytest.fixture(scope="module")
def fuquan() -> LoadedInstance:
    return read_instance(ROOT / "instances" / "fuquan-kaili.json")


@pytest.fixture(scope="module")
def fuquan_ok(fuquan: LoadedInstance) -> Plan:
    """The dispatcher's plan of the Fuquan day (it books trains where roads are closed),
    checked by the validator."""
    return _valid(fuquan, solve(fuquan, read_config(ROOT / "solvers" / "greedy.toml")))


@pytest.fixture(scope="module")
def written(demo: LoadedInstance, demo_ok: Plan, tmp_path_factory: Any) -> Path:
    """The demo's GeoJSON, split by truck and driver and by geometry type."""
    path = tmp_path_factory.mktemp("geojson") / "routes.geojson"
    write_geojson(demo.instance, demo_ok, path, split=True, split_types=True)
    return path


def _features(path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = json.loads(path.read_text())["features"]
    return out


def _coords(geom: dict[str, Any]) -> list[list[float]]:
    if geom["type"] == "Point":
        return [geom["coordinates"]]
    if geom["type"] == "LineString":
        return list(geom["coordinates"])
    return [c for ring in geom["coordinates"] for c in ring]


def test_geojson_reads_back(written: Path) -> None:
    """The file is an RFC 7946 FeatureCollection: it passes a GeoJSON validator, geopandas
    reads it (as WGS84), and it has no ``crs`` member."""
    data = json.loads(written.read_text())
    FeatureCollection.model_validate(data)
    assert "crs" not in data
    gdf = gpd.read_file(written)
    assert len(gdf) == len(data["features"])
    assert gdf.crs is not None and gdf.crs.to_epsg() == 4326
    assert set(gdf.geom_type) == {"Point", "LineString", "Polygon"}


def test_coordinates_lon_lat_in_range(written: Path) -> None:
    """Every position is [lon, lat] within range, with at most 6 decimals; the demo lies
    near Yiwu (lon ≈ 120, lat ≈ 29), so swapped axes would show."""
    data = json.loads(written.read_text())
    for f in data["features"]:
        for lon, lat in _coords(f["geometry"]):
            assert 118 < lon < 122 and 28 < lat < 31, (f["properties"].get("title"), lon, lat)
    text = json.dumps([f["geometry"] for f in data["features"]] + [data["bbox"]])
    assert max(len(m) for m in re.findall(r"\d+\.(\d+)", text)) <= 6


def test_polygons_follow_right_hand_rule(demo: LoadedInstance, demo_ok: Plan) -> None:
    """Zones come out with counter-clockwise exterior rings and clockwise holes, even when
    the instance gives them the other way round."""
    zone = demo.instance.zones[0]
    ring = list(zone.polygon[0])
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    cx, cy = sum(lons) / len(lons), sum(lats) / len(lats)
    hole = [(cx - 0.001, cy - 0.001), (cx + 0.001, cy - 0.001), (cx + 0.001, cy + 0.001)]
    hole = [*hole, hole[0]]  # counter-clockwise: the wrong way for a hole
    cw_exterior = ring if not LinearRing(ring).is_ccw else ring[::-1]
    zones = [zone.model_copy(update={"polygon": [cw_exterior, hole]}), *demo.instance.zones[1:]]
    inst = demo.instance.model_copy(update={"zones": zones})
    polys = [
        f for f in plan_geojson(inst, demo_ok)["features"] if f["geometry"]["type"] == "Polygon"
    ]
    assert len(polys) == len(demo.instance.zones)
    for f in polys:
        rings = f["geometry"]["coordinates"]
        assert LinearRing(rings[0]).is_ccw
        for inner in rings[1:]:
            assert not LinearRing(inner).is_ccw
    assert len(polys[0]["geometry"]["coordinates"]) == 2


def test_no_zero_length_lines(written: Path, demo: LoadedInstance, demo_ok: Plan) -> None:
    """Every LineString is valid and has length; a leg whose two stops share a site is not
    a line, and every stop of every truck is a Point at its site in ``truck_stops``."""
    feats = _features(written)
    lines = [
        shapely.geometry.shape(f["geometry"])
        for f in feats
        if f["geometry"]["type"] == "LineString"
    ]
    assert lines and all(g.is_valid and g.length > 0 for g in lines)
    still = [
        (r.truck, k)
        for r in demo_ok.routes
        for k, leg in enumerate(r.legs)
        if r.stops[k].place != r.stops[k + 1].place or leg.coords
    ]
    drawn = {
        (f["properties"]["truck"], f["properties"]["leg"])
        for f in feats
        if f["properties"]["kind"] == "truck_leg"
    }
    assert drawn <= set(still)
    apart = {
        (r.truck, k)
        for r in demo_ok.routes
        for k in range(len(r.legs))
        if r.stops[k].place != r.stops[k + 1].place
    }
    assert apart <= drawn  # every leg between two sites is drawn
    same_site = sum(len(r.legs) for r in demo_ok.routes) - len(drawn)
    assert same_site > 0  # the demo has such legs: the test would see them drawn
    places = demo.instance.places_by_id
    stops = [f for f in feats if f["properties"]["kind"] == "truck_stop"]
    assert len(stops) == sum(len(r.stops) for r in demo_ok.routes)
    by_key = {(f["properties"]["truck"], f["properties"]["seq"]): f for f in stops}
    for r in demo_ok.routes:
        for k, s in enumerate(r.stops):
            f = by_key[(r.truck, k)]
            assert f["geometry"]["type"] == "Point"
            site = places[s.place]
            assert f["geometry"]["coordinates"] == pytest.approx([site.lon, site.lat], abs=1e-6)
            assert f["properties"]["stop"] == s.kind
            assert f["properties"]["depart_minute"] == s.depart


def test_legs_start_and_end_at_their_stops(
    written: Path, demo: LoadedInstance, demo_ok: Plan
) -> None:
    """Each drawn leg runs from its stop's site to the next stop's site, following the
    road geometry the plan carries (more than two points where the roads bend)."""
    places = demo.instance.places_by_id
    routes = {r.truck: r for r in demo_ok.routes}
    legs = [f for f in _features(written) if f["properties"]["kind"] == "truck_leg"]
    bends = 0
    for f in legs:
        p = f["properties"]
        r = routes[p["truck"]]
        a, b = r.stops[p["leg"]], r.stops[p["leg"] + 1]
        line = f["geometry"]["coordinates"]
        assert line[0] == pytest.approx([places[a.place].lon, places[a.place].lat], abs=1e-6)
        assert line[-1] == pytest.approx([places[b.place].lon, places[b.place].lat], abs=1e-6)
        bends += len(line) > 2
        assert p["driver"] == r.legs[p["leg"]].driver
    assert bends > len(legs) // 2


def test_leg_properties_and_style(written: Path, demo_ok: Plan) -> None:
    """Legs carry truck, driver, driver kind, shipments aboard (joined, and as a list in
    ``json``), ISO 8601 times with the instance's offset and a delay; simplestyle colours:
    one per truck, loop legs wider."""
    legs = [f["properties"] for f in _features(written) if f["properties"]["kind"] == "truck_leg"]
    colour: dict[str, str] = {}
    for p in legs:
        for key in ("truck", "driver", "driver_kind", "shipments", "depart", "arrive", "delay"):
            assert key in p
        for key in ("stroke", "stroke-width", "stroke-opacity", "title", "description"):
            assert key in p
        assert datetime.fromisoformat(p["depart"]).utcoffset() is not None
        assert datetime.fromisoformat(p["arrive"]) >= datetime.fromisoformat(p["depart"])
        assert colour.setdefault(p["truck"], p["stroke"]) == p["stroke"]
        kept = json.loads(p["json"])
        assert p["shipments"] == " ".join(kept["shipments"])
    assert len(set(colour.values())) == len(colour)  # the demo has fewer trucks than colours
    loop = [p for p in legs if p["driver_kind"] == "loop"]
    outside = [p for p in legs if p["driver_kind"] == "outside"]
    assert loop and outside
    assert {p["stroke-width"] for p in loop}.isdisjoint({p["stroke-width"] for p in outside})
    # What a leg carries is what was picked up before it and not yet delivered.
    aboard = {(p["truck"], p["leg"]): set(json.loads(p["json"])["shipments"]) for p in legs}
    checked = 0
    for r in demo_ok.routes:
        for k, s in enumerate(r.stops[:-1]):
            if (r.truck, k) not in aboard:
                continue
            checked += 1
            if s.kind == "pickup":
                assert set(s.shipments) <= aboard[(r.truck, k)]
            if s.kind == "delivery":
                assert aboard[(r.truck, k)].isdisjoint(s.shipments)
    assert checked == len(legs)


def test_properties_are_flat(written: Path, demo: LoadedInstance, demo_ok: Plan) -> None:
    """Every property in the file is a string, number, boolean or null; lists are joined
    by spaces, dicts spread into ``qty_``/``load_`` columns, and the ``json`` property
    gives back exactly the lists and dicts the layers hold."""
    feats = _features(written)
    for f in feats:
        for key, value in f["properties"].items():
            assert value is None or isinstance(value, str | int | float | bool), (key, value)
    rich = plan_layers(demo.instance, demo_ok).features()
    assert len(rich) == len(feats)
    dims = demo.instance.capacity_dimensions()
    for r, f in zip(rich, feats, strict=True):
        flat = f["properties"]
        structured = {k: v for k, v in r["properties"].items() if isinstance(v, list | dict)}
        if structured:
            assert json.loads(flat["json"]) == json.loads(json.dumps(structured))
        else:
            assert "json" not in flat
    ends = [f["properties"] for f in feats if f["properties"]["kind"] == "shipment_origin"]
    ships = demo.instance.shipments_by_id
    for p in ends:
        for d in dims:
            assert p[f"qty_{d}"] == ships[p["shipment"]].quantity.get(d, 0.0)
    stations = [f["properties"] for f in feats if f["properties"]["kind"] == "relay_station"]
    for p in stations:
        windows = json.loads(p["json"])["hours"]
        assert p["hours"] == " ".join(f"{a:g}-{b:g}" for a, b in windows)


def test_flat_properties_rules() -> None:
    """The flattening on its own: lists joined, windows as ``a-b``, ``quantity`` as
    ``qty_``, other dicts by their own name, scalars untouched, ``json`` last."""
    flat = flat_properties(
        {"a": 1, "ids": ["S1", "S2"], "hours": [[360.0, 720.5]], "quantity": {"t": 2.0},
         "load": {"t": 1.0}, "ok": True, "none": None}
    )  # fmt: skip
    assert flat == {
        "a": 1,
        "ids": "S1 S2",
        "hours": "360-720.5",
        "qty_t": 2.0,
        "load_t": 1.0,
        "ok": True,
        "none": None,
        "json": '{"ids":["S1","S2"],"hours":[[360.0,720.5]],"quantity":{"t":2.0},"load":{"t":1.0}}',
    }
    assert list(flat)[-1] == "json"
    assert "json" not in flat_properties({"a": "x"})


def test_split_types_one_geometry_each(written: Path) -> None:
    """``split_types`` writes one file per geometry type; together they hold the whole
    file's features once, each with one geometry type only."""
    whole = _features(written)
    total = 0
    for name, gtype in (("points", "Point"), ("lines", "LineString"), ("polygons", "Polygon")):
        path = written.with_name(f"routes.{name}.geojson")
        data = json.loads(path.read_text())
        FeatureCollection.model_validate(data)
        assert {f["geometry"]["type"] for f in data["features"]} == {gtype}
        assert data["features"] == [f for f in whole if f["geometry"]["type"] == gtype]
        total += len(data["features"])
    assert total == len(whole)


def _quiet_write(gdf: gpd.GeoDataFrame, path: Path, **kw: Any) -> None:
    # Shapefile truncates field names to 10 characters and says so: expected here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (UserWarning, RuntimeWarning))
        gdf.to_file(path, **kw)


@pytest.mark.parametrize("name", ["points", "lines", "polygons"])
def test_split_files_become_shapefiles(written: Path, tmp_path: Path, name: str) -> None:
    """Each per-type file becomes a Shapefile and reads back with the same rows,
    geometries and values (names cut to 10 characters)."""
    src = gpd.read_file(written.with_name(f"routes.{name}.geojson"))
    shp = tmp_path / f"{name}.shp"
    _quiet_write(src, shp)
    back = gpd.read_file(shp)
    assert len(back) == len(src) and back.crs.to_epsg() == 4326
    if name == "polygons":  # a Shapefile's outer rings run clockwise: the same polygon
        assert back.geometry.normalize().geom_equals_exact(src.geometry.normalize(), 1e-9).all()
    else:
        assert back.geometry.geom_equals_exact(src.geometry, tolerance=1e-9).all()
    for col in ("kind", "title", "json" if name != "polygons" else "policy"):
        assert back[col[:10]].tolist() == src[col].tolist()
    if name == "lines":
        assert back["truck"].tolist() == src["truck"].tolist()
        assert back["km"].tolist() == pytest.approx(src["km"].tolist())
    # The whole file (three geometry types) is what a Shapefile cannot hold.
    with pytest.raises(Exception, match=r"(?i)geometry|type"):
        _quiet_write(gpd.read_file(written), tmp_path / "mixed.shp")


def test_geopackage_one_layer_per_type(written: Path, tmp_path: Path) -> None:
    """The three per-type files go into one GeoPackage as three layers, with every column
    name kept, and read back equal."""
    gpkg = tmp_path / "plan.gpkg"
    sources = {}
    for name in ("points", "lines", "polygons"):
        sources[name] = gpd.read_file(written.with_name(f"routes.{name}.geojson"))
        _quiet_write(sources[name], gpkg, layer=name, driver="GPKG")
    layers = dict(pyogrio.list_layers(gpkg).tolist())
    assert layers == {"points": "Point", "lines": "LineString", "polygons": "Polygon"}
    for name, src in sources.items():
        # GeoPackage wants times in UTC; GDAL warns that it read ours (with +08:00) anyway.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Non-conformant content", RuntimeWarning)
            back = gpd.read_file(gpkg, layer=name)
        assert list(back.columns) == list(src.columns)
        assert back.geometry.geom_equals_exact(src.geometry, tolerance=1e-9).all()
        pd.testing.assert_frame_equal(
            pd.DataFrame(back.drop(columns="geometry")),
            pd.DataFrame(src.drop(columns="geometry")),
            check_dtype=False,
        )


def test_plan_frame_is_the_file(written: Path, demo: LoadedInstance, demo_ok: Plan) -> None:
    """``plan_frame`` is the file as a GeoDataFrame in WGS84: same rows, same geometries."""
    frame = plan_frame(demo.instance, demo_ok)
    read = gpd.read_file(written)
    assert frame.crs.to_epsg() == 4326 and len(frame) == len(read)
    assert frame.geometry.geom_equals_exact(read.geometry, tolerance=1e-9).all()
    assert frame["title"].tolist() == read["title"].tolist()


def test_split_writes_one_file_per_truck_and_loop_driver(written: Path, demo_ok: Plan) -> None:
    """``split`` writes a file per truck and per loop driver; the trucks' files hold every
    drawn leg of the whole file once, flat like it."""
    folder = written.parent
    trucks = sorted(folder.glob("routes.truck-*.geojson"))
    drivers = sorted(folder.glob("routes.driver-*.geojson"))
    assert len(trucks) == len(demo_ok.routes)
    loop_drivers = {g.driver for r in demo_ok.routes for g in r.legs if g.driver_kind == "loop"}
    assert len(drivers) == len(loop_drivers)
    for p in trucks + drivers:
        FeatureCollection.model_validate(json.loads(p.read_text()))
    total = 0
    for p in trucks:
        gdf = gpd.read_file(p)
        assert set(gdf["truck"]) == {p.name[len("routes.truck-") : -len(".geojson")]}
        assert set(gdf.geom_type) == {"LineString"}
        total += len(gdf)
    legs = [f for f in _features(written) if f["properties"]["kind"] == "truck_leg"]
    assert total == len(legs)
    for p in drivers:
        assert set(gpd.read_file(p)["driver_kind"]) == {"loop"}


def test_rail_legs_are_features(fuquan: LoadedInstance, fuquan_ok: Plan) -> None:
    """Each rail booking is a LineString between its stations with its service, times,
    shipments (joined) and load per dimension."""
    assert fuquan_ok.rail_bookings
    data = plan_geojson(fuquan.instance, fuquan_ok)
    FeatureCollection.model_validate(data)
    rail = [f for f in data["features"] if f["properties"]["kind"] == "rail_leg"]
    assert len(rail) == len(fuquan_ok.rail_bookings)
    places = fuquan.instance.places_by_id
    stations = {r.id: places[r.place] for r in fuquan.instance.rail_stations}
    services = {s.id: s for s in fuquan.instance.rail_services}
    for f, b in zip(rail, fuquan_ok.rail_bookings, strict=True):
        p = f["properties"]
        assert p["service"] == b.service and p["shipments"] == " ".join(b.shipments)
        for d, v in b.load.items():
            assert p[f"load_{d}"] == v
        o = stations[services[b.service].origin]
        assert f["geometry"]["coordinates"][0] == pytest.approx([o.lon, o.lat], abs=1e-6)
        assert datetime.fromisoformat(p["arrival"]) > datetime.fromisoformat(p["departure"])


def test_euclidean_instance_is_refused(small: LoadedInstance, small_plan: Plan) -> None:
    """Plain x/y cannot go on a map: one clear error, not a wrong map."""
    inst = small.instance.model_copy(
        update={"network": small.instance.network.model_copy(update={"mode": "euclidean"})}
    )
    with pytest.raises(InputError, match="euclidean"):
        plan_geojson(inst, small_plan)


def test_shapes_are_valid_geometries(written: Path) -> None:
    """shapely accepts every geometry and every one is valid (OGC)."""
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in _features(written)])
    assert all(g is not None and g.is_valid for g in geoms)


def test_cli_split_types(demo_ok: Plan, tmp_path: Path, capsys: Any) -> None:
    """``export --geojson F --split-types`` writes the three per-type files beside F;
    ``--split-types`` alone is refused with exit 2 and writes nothing."""
    plan_path = tmp_path / "plan.json"
    write_plan(demo_ok, plan_path)
    out = tmp_path / "out"
    code = main(["export", str(DEMO), str(plan_path), "--geojson", str(out / "r.geojson"),
                 "--split-types", "-q"])  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "r.geojson", "r.lines.geojson", "r.points.geojson", "r.polygons.geojson"
    ]  # fmt: skip
    capsys.readouterr()
    other = tmp_path / "other"
    assert main(["export", str(DEMO), str(plan_path), "--csv", str(other), "--split-types"]) == 2
    err = capsys.readouterr().err
    assert "--split-types" in err and "--geojson" in err and "Traceback" not in err
    assert not other.exists()


def _documented(section: str, kind: str) -> set[str]:
    """The property names the README lists for one feature kind."""
    for line in section.splitlines():
        if line.startswith(f"| `{kind}`"):
            return set(re.findall(r"`([^`]+)`", line.split("|")[3]))
    raise AssertionError(f"README documents no {kind} features")


def test_every_property_is_documented(
    written: Path, demo: LoadedInstance, fuquan: LoadedInstance, fuquan_ok: Plan
) -> None:
    """The README's GeoJSON table names every property of every feature kind, and nothing
    the file does not have (``<dimension>`` stands for each capacity dimension)."""
    text = README.read_text()
    section = text[text.index("### GeoJSON properties") :]
    section = section[: section.index("\n## ")] if "\n## " in section else section
    common = _documented(section, "all")
    feats = _features(written) + plan_geojson(fuquan.instance, fuquan_ok)["features"]
    dims = set(demo.instance.capacity_dimensions()) | set(fuquan.instance.capacity_dimensions())
    by_kind: dict[str, set[str]] = {}
    for f in feats:
        keys = by_kind.setdefault(f["properties"]["kind"], set())
        for key in f["properties"]:
            prefix, _, dim = key.partition("_")
            keys.add(f"{prefix}_<dimension>" if prefix in ("qty", "load") and dim in dims else key)
    for kind, keys in by_kind.items():
        assert keys - common == _documented(section, kind) - common, kind


def test_shipment_ends_carry_their_outcome_only(demo: LoadedInstance, demo_ok: Plan) -> None:
    """A shipment end has the keys of its own outcome only (not nulls for the others'):
    a served one its truck and no reason, one the plan leaves out neither; each in the
    order its row gives (``description`` after the outcome's keys, ``json`` last)."""
    left_out = demo_ok.shipments[0].shipment
    plan = demo_ok.model_copy(update={"shipments": demo_ok.shipments[1:]})
    ends = [
        f["properties"]
        for f in plan_geojson(demo.instance, plan)["features"]
        if f["properties"]["kind"].startswith("shipment_")
    ]
    assert len(ends) == 2 * len(demo.instance.shipments)
    for p in ends:
        keys = list(p)
        assert keys[-1] == "json"
        if p["shipment"] == left_out:
            assert p["status"] == "not in plan"
            assert "truck" not in p and "reason" not in p and "delay" not in p
        else:
            assert p["status"] == "served" and "reason" not in p
            assert keys.index("truck") < keys.index("delay") < keys.index("description")
            assert p["truck"] is not None and p["itinerary"]


def test_plan_with_no_routes(demo: LoadedInstance, demo_ok: Plan, tmp_path: Path) -> None:
    """A plan with no routes still writes: the stations, zones and shipment ends, no line,
    no lines file and no per-truck file."""
    empty = demo_ok.model_copy(update={"routes": [], "shipments": [], "rail_bookings": []})
    path = tmp_path / "r.geojson"
    written = write_geojson(demo.instance, empty, path, split=True, split_types=True)
    assert sorted(p.name for p in written) == [
        "r.geojson",
        "r.points.geojson",
        "r.polygons.geojson",
    ]
    data = json.loads(path.read_text())
    FeatureCollection.model_validate(data)
    kinds = {f["properties"]["kind"] for f in data["features"]}
    assert "truck_leg" not in kinds and "truck_stop" not in kinds
    assert {"zone", "relay_station", "shipment_origin"} <= kinds
    assert len(gpd.read_file(path)) == len(data["features"])


def test_a_zone_drawn_anew_is_one_feature_per_area(demo: LoadedInstance, demo_ok: Plan) -> None:
    """A re-planned day whose zone was drawn narrower at noon maps the zone twice, each
    area with the minutes it holds; a zone with one area holds all day."""
    from relayroute.model.instance import ZoneChange

    inst = demo.instance
    z = inst.zones[0]
    ring = [list(p) for p in shapely.Polygon(z.polygon[0]).buffer(-0.005).exterior.coords]
    drawn = z.model_copy(update={"changes": [ZoneChange(at=720, policy=z.policy, polygon=[ring])]})
    day = inst.model_copy(update={"zones": [drawn, *inst.zones[1:]]})
    empty = demo_ok.model_copy(update={"routes": [], "shipments": [], "rail_bookings": []})
    feats = [f for f in plan_geojson(day, empty)["features"] if f["properties"]["kind"] == "zone"]
    mine = [
        (f["properties"]["area_from"], f["properties"]["area_to"])
        for f in feats
        if f["properties"]["id"] == z.id
    ]
    assert mine == [(0, 720), (720, None)]
    others = [
        (f["properties"]["area_from"], f["properties"]["area_to"])
        for f in feats
        if f["properties"]["id"] != z.id
    ]
    assert others and set(others) == {(0, None)}

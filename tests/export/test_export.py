"""GeoJSON, CSV, PNG and HTML-map exports of a plan (issue 6), read back and checked."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import matplotlib.image as mpimg
import pandas as pd
import pytest
import shapely
from geojson_pydantic import FeatureCollection
from shapely.geometry import LinearRing

from relayroute.cli import main
from relayroute.errors import InputError
from relayroute.export.geojson import plan_geojson, write_geojson
from relayroute.export.webmap import LAYER_NAMES, map_html
from relayroute.io.instance import LoadedInstance, read_instance
from relayroute.io.plan import write_plan
from relayroute.solve import read_config, solve

from ..conftest import ROOT

if TYPE_CHECKING:
    from relayroute.model.plan import Plan


@pytest.fixture(scope="session")
def fuquan() -> LoadedInstance:
    return read_instance(ROOT / "instances" / "fuquan-kaili.json")


@pytest.fixture(scope="session")
def fuquan_plan(fuquan: LoadedInstance) -> Plan:
    """The dispatcher's plan of the Fuquan days: it books trains where roads are closed."""
    return solve(fuquan, read_config(ROOT / "solvers" / "greedy.toml"))


@pytest.fixture(scope="session")
def demo_geojson(demo: LoadedInstance, demo_plan: Plan, tmp_path_factory: Any) -> Path:
    path = tmp_path_factory.mktemp("geojson") / "routes.geojson"
    write_geojson(demo.instance, demo_plan, path, split=True)
    return path


def _coords(geom: dict[str, Any]) -> list[list[float]]:
    if geom["type"] == "Point":
        return [geom["coordinates"]]
    if geom["type"] == "LineString":
        return list(geom["coordinates"])
    return [c for ring in geom["coordinates"] for c in ring]


def test_geojson_reads_back(demo_geojson: Path) -> None:
    """The file is an RFC 7946 FeatureCollection: it passes a GeoJSON validator, geopandas
    reads it (as WGS84), and it has no ``crs`` member."""
    data = json.loads(demo_geojson.read_text())
    FeatureCollection.model_validate(data)
    assert "crs" not in data
    gdf = gpd.read_file(demo_geojson)
    assert len(gdf) == len(data["features"])
    assert gdf.crs is not None and gdf.crs.to_epsg() == 4326
    assert set(gdf.geom_type) == {"Point", "LineString", "Polygon"}


def test_coordinates_lon_lat_in_range(demo_geojson: Path, demo: LoadedInstance) -> None:
    """Every position is [lon, lat] within range, with at most 7 decimals; the demo lies
    near Yiwu (lon ≈ 120, lat ≈ 29), so swapped axes would show."""
    data = json.loads(demo_geojson.read_text())
    text = demo_geojson.read_text()
    for f in data["features"]:
        for lon, lat in _coords(f["geometry"]):
            assert -180 <= lon <= 180 and -90 <= lat <= 90
            assert 118 < lon < 122 and 28 < lat < 31, (f["properties"].get("title"), lon, lat)
    decimals = [len(m) for m in re.findall(r"\d+\.(\d+)", json.dumps(data["bbox"]))]
    assert max(decimals) <= 7
    for f in data["features"]:
        for pos in _coords(f["geometry"]):
            for v in pos:
                assert round(v, 7) == v
    assert '"crs"' not in text


def test_polygons_follow_right_hand_rule(demo: LoadedInstance, demo_plan: Plan) -> None:
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
    data = plan_geojson(inst, demo_plan)
    polys = [f for f in data["features"] if f["geometry"]["type"] == "Polygon"]
    assert len(polys) == len(demo.instance.zones)
    for f in polys:
        rings = f["geometry"]["coordinates"]
        assert LinearRing(rings[0]).is_ccw
        for inner in rings[1:]:
            assert not LinearRing(inner).is_ccw
        assert f["properties"]["policy"] in ("closed_loop", "permit", "open")
    assert len(polys[0]["geometry"]["coordinates"]) == 2


def test_legs_start_and_end_at_their_stops(
    demo_geojson: Path, demo: LoadedInstance, demo_plan: Plan
) -> None:
    """Each truck leg's line runs from its stop's site to the next stop's site, following
    the road geometry the plan carries (more than two points where the roads bend)."""
    data = json.loads(demo_geojson.read_text())
    places = demo.instance.places_by_id
    routes = {r.truck: r for r in demo_plan.routes}
    legs = [f for f in data["features"] if f["properties"].get("kind") == "truck_leg"]
    assert len(legs) == sum(len(r.legs) for r in demo_plan.routes)
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


def test_leg_properties_and_style(demo_geojson: Path, demo_plan: Plan) -> None:
    """Legs carry truck, driver, driver kind, shipments aboard, ISO 8601 times with the
    instance's offset and a delay; simplestyle colours: one per truck, loop legs wider."""
    data = json.loads(demo_geojson.read_text())
    legs = [f["properties"] for f in data["features"] if f["properties"].get("kind") == "truck_leg"]
    colour: dict[str, str] = {}
    for p in legs:
        for key in ("truck", "driver", "driver_kind", "shipments", "depart", "arrive", "delay"):
            assert key in p
        for key in ("stroke", "stroke-width", "stroke-opacity", "title", "description"):
            assert key in p
        assert datetime.fromisoformat(p["depart"]).utcoffset() is not None
        assert datetime.fromisoformat(p["arrive"]) >= datetime.fromisoformat(p["depart"])
        assert colour.setdefault(p["truck"], p["stroke"]) == p["stroke"]
    assert len(set(colour.values())) == len(colour)  # the demo has fewer trucks than colours
    loop = [p for p in legs if p["driver_kind"] == "loop"]
    outside = [p for p in legs if p["driver_kind"] == "outside"]
    assert loop and outside
    assert {p["stroke-width"] for p in loop}.isdisjoint({p["stroke-width"] for p in outside})
    # What a leg carries is what was picked up before it and not yet delivered.
    aboard = {(p["truck"], p["leg"]): set(p["shipments"]) for p in legs}
    for r in demo_plan.routes:
        for k, s in enumerate(r.stops[:-1]):
            if s.kind == "pickup":
                assert set(s.shipments) <= aboard[(r.truck, k)]
            if s.kind == "delivery":
                assert aboard[(r.truck, k)].isdisjoint(s.shipments)
    kinds = {f["properties"]["kind"] for f in data["features"]}
    assert {"relay_station", "checkpoint", "rail_station", "depot", "zone"} <= kinds
    assert {"shipment_origin", "shipment_destination"} <= kinds
    for f in data["features"]:
        if f["geometry"]["type"] == "Point":
            assert f["properties"]["marker-color"].startswith("#")
        if f["geometry"]["type"] == "Polygon":
            assert {"fill", "fill-opacity", "stroke"} <= set(f["properties"])


def test_split_writes_one_file_per_truck_and_loop_driver(
    demo_geojson: Path, demo_plan: Plan
) -> None:
    """``split`` writes a file per truck and per loop driver; the trucks' files hold every
    leg of the whole file once."""
    folder = demo_geojson.parent
    trucks = sorted(folder.glob("routes.truck-*.geojson"))
    drivers = sorted(folder.glob("routes.driver-*.geojson"))
    assert len(trucks) == len(demo_plan.routes)
    loop_drivers = {g.driver for r in demo_plan.routes for g in r.legs if g.driver_kind == "loop"}
    assert len(drivers) == len(loop_drivers)
    total = 0
    for p in trucks + drivers:
        FeatureCollection.model_validate(json.loads(p.read_text()))
    for p in trucks:
        gdf = gpd.read_file(p)
        assert set(gdf["truck"]) == {p.name[len("routes.truck-") : -len(".geojson")]}
        total += len(gdf)
    legs = sum(len(r.legs) for r in demo_plan.routes)
    assert total == legs
    for p in drivers:
        assert set(gpd.read_file(p)["driver_kind"]) == {"loop"}


def test_rail_legs_are_features(fuquan: LoadedInstance, fuquan_plan: Plan) -> None:
    """Each rail booking is a LineString between its stations with its service, times,
    shipments and load."""
    assert fuquan_plan.rail_bookings
    data = plan_geojson(fuquan.instance, fuquan_plan)
    FeatureCollection.model_validate(data)
    rail = [f for f in data["features"] if f["properties"]["kind"] == "rail_leg"]
    assert len(rail) == len(fuquan_plan.rail_bookings)
    places = fuquan.instance.places_by_id
    stations = {r.id: places[r.place] for r in fuquan.instance.rail_stations}
    services = {s.id: s for s in fuquan.instance.rail_services}
    for f, b in zip(rail, fuquan_plan.rail_bookings, strict=True):
        p = f["properties"]
        assert p["service"] == b.service and p["shipments"] == b.shipments
        o = stations[services[b.service].origin]
        assert f["geometry"]["coordinates"][0] == pytest.approx([o.lon, o.lat], abs=1e-6)
        assert datetime.fromisoformat(p["arrival"]) > datetime.fromisoformat(p["departure"])


def test_euclidean_instance_is_refused(small: LoadedInstance, small_plan: Plan) -> None:
    """Plain x/y cannot go on a map: one clear error, not a wrong map."""
    inst = small.instance.model_copy(
        update={
            "network": small.instance.network.model_copy(update={"mode": "euclidean"}),
        }
    )
    with pytest.raises(InputError, match="euclidean"):
        plan_geojson(inst, small_plan)


def test_cli_export_writes_everything(
    demo: LoadedInstance, demo_plan: Plan, tmp_path: Path
) -> None:
    """``relayroute export`` writes the GeoJSON (split), the CSV tables and the PNG charts;
    the tables read back with pandas and agree with the plan."""
    plan_path = tmp_path / "plan.json"
    write_plan(demo_plan, plan_path)
    inst = ROOT / "instances" / "yiwu-demo.json"
    out = tmp_path / "out"
    code = main(
        ["export", str(inst), str(plan_path), "--geojson", str(out / "r.geojson"), "--split",
         "--csv", str(out), "--charts", str(out), "-q"]
    )  # fmt: skip
    assert code == 0
    stops = pd.read_csv(out / "stops.csv")
    assert len(stops) == sum(len(r.stops) for r in demo_plan.routes)
    assert datetime.fromisoformat(stops["start"][0]).utcoffset() is not None
    ships = pd.read_csv(out / "shipments.csv")
    assert len(ships) == len(demo.instance.shipments)
    assert (ships["status"] == "served").sum() == demo_plan.kpis.served
    served = ships[ships["status"] == "served"]
    assert served["weighted_delay"].sum() == pytest.approx(demo_plan.kpis.weighted_delay, abs=0.5)
    for name in ("trucks", "stations", "delays"):
        png = out / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        h, w = mpimg.imread(png).shape[:2]
        assert w >= 600 and h >= 300
    assert (out / "r.geojson").exists() and list(out.glob("r.truck-*.geojson"))


def test_cli_bad_plan_leaves_no_file(demo_plan: Plan, tmp_path: Path, capsys: Any) -> None:
    """A plan naming a truck the instance lacks: exit 2, the place named, nothing written."""
    bad = demo_plan.model_copy(deep=True)
    bad.routes[0].truck = "T999"
    plan_path = tmp_path / "plan.json"
    write_plan(bad, plan_path)
    inst = ROOT / "instances" / "yiwu-demo.json"
    out = tmp_path / "out"
    code = main(["export", str(inst), str(plan_path), "--geojson", str(out / "r.geojson"),
                 "--csv", str(out)])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "$.routes[0].truck" in err and "T999" in err and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())
    assert main(["map", str(inst), str(plan_path), "-o", str(out / "m.html")]) == 2
    assert not (out / "m.html").exists()
    assert main(["export", str(inst), str(plan_path)]) == 2  # no output named


def test_map_page_is_self_contained(demo: LoadedInstance, demo_plan: Plan) -> None:
    """The map page loads no script or style from the network (Leaflet is inside it) and
    names every layer; with ``tiles="none"`` it fetches nothing at all."""
    page = map_html(demo.instance, demo_plan, tiles="none")
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=\"http", page)
    assert "L.map(" in page
    for name in LAYER_NAMES.values():
        assert name in page
    assert "data:image/png;base64," in page  # the charts in the report panel
    assert "tile.openstreetmap.org" not in page and "cartocdn" not in page
    assert "tile.openstreetmap.org" in map_html(demo.instance, demo_plan, charts=False)


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


# A 1×1 transparent PNG: the background tiles, served without a network.
BLANK_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@pytest.mark.browser
def test_map_opens_in_headless_chromium(
    demo: LoadedInstance, demo_plan: Plan, tmp_path: Path
) -> None:
    """The page opens from a file in headless Chromium with no console errors, shows its
    layer control with every layer, the legend and KPI box, and draws the plan; a
    screenshot is saved (to ``$RELAYROUTE_SCREENSHOTS`` when set)."""
    browser_path = _chromium()
    if browser_path is None:
        if os.environ.get("RELAYROUTE_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required (RELAYROUTE_REQUIRE_BROWSER) but not found")
        pytest.skip("no Chromium: apt-get install chromium (.ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api")
    page_path = tmp_path / "map.html"
    assert main(["map", str(ROOT / "instances" / "yiwu-demo.json"), str(_plan_file(demo_plan, tmp_path)),
                 "-o", str(page_path), "-q"]) == 0  # fmt: skip
    shots = Path(os.environ.get("RELAYROUTE_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        # Tiles would come from the tile server; here every network request gets a blank tile.
        page.route(
            re.compile(r"^https?://"),
            lambda route: route.fulfill(status=200, content_type="image/png", body=BLANK_PNG),
        )
        page.goto(page_path.as_uri())
        page.wait_for_selector(".leaflet-control-layers-overlays label")
        labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        for name in LAYER_NAMES.values():
            assert any(label.strip().startswith(name) for label in labels), (name, labels)
        assert page.locator("#rr-kpis").is_visible() and page.locator("#rr-legend").is_visible()
        assert page.locator(".leaflet-overlay-pane canvas, .leaflet-overlay-pane svg").count() > 0
        # Toggling a layer off and on works (its checkbox drives the map).
        page.locator(".leaflet-control-layers-overlays input").nth(3).click()
        page.locator(".leaflet-control-layers-overlays input").nth(3).click()
        page.screenshot(path=str(shots / "map.png"))
        page.locator("#rr-report summary").click()
        page.screenshot(path=str(shots / "map-report.png"))
        browser.close()
    assert problems == []
    assert (shots / "map.png").stat().st_size > 10_000


def _plan_file(plan: Plan, folder: Path) -> Path:
    path = folder / "plan.json"
    write_plan(plan, path)
    return path


def test_shapes_are_valid_geometries(demo_geojson: Path) -> None:
    """shapely accepts every geometry and every zone polygon is valid."""
    data = json.loads(demo_geojson.read_text())
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in data["features"]])
    assert all(g is not None for g in geoms)
    polys = [g for g in geoms if g.geom_type == "Polygon"]
    assert polys and all(p.is_valid for p in polys)

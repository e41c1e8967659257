"""CSV, PNG and HTML-map exports of a plan (issue 6), read back and checked; the GeoJSON
is tested in test_geojson.py, the tables and workbook in test_tables.py."""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.image as mpimg
import pandas as pd
import pytest

from relayroute.cli import main
from relayroute.export.webmap import LAYER_NAMES, map_layers
from relayroute.io.instance import LoadedInstance, read_instance
from relayroute.io.plan import write_plan
from relayroute.solve import read_config, solve
from relayroute.validate import validate

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
    assert validate(demo.instance, demo_plan, demo.base).ok
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
        drawn = [
            k for k, fs in map_layers(demo.instance, demo_plan, demo.base).features.items() if fs
        ]
        for key in drawn:
            name = LAYER_NAMES[key]
            assert any(label.strip().startswith(f"{name} (") for label in labels), (name, labels)
        assert page.locator("#rr-kpis").is_visible() and page.locator("#rr-legend").is_visible()
        assert page.locator(".leaflet-rr-legs-pane svg path").count() > 0
        # Toggling a layer off and on works (its checkbox drives the map).
        page.locator(".leaflet-control-layers-overlays input").nth(3).click()
        page.locator(".leaflet-control-layers-overlays input").nth(3).click()
        page.screenshot(path=str(shots / "map-yiwu-demo.png"))
        page.locator("#rr-report summary").click()
        page.screenshot(path=str(shots / "map-yiwu-demo-report.png"))
        browser.close()
    assert problems == []
    assert (shots / "map-yiwu-demo.png").stat().st_size > 10_000


def _plan_file(plan: Plan, folder: Path) -> Path:
    path = folder / "plan.json"
    write_plan(plan, path)
    return path

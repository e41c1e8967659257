"""The HTML map a decision maker reads (issue 20): layers, styles, words, and what headless
Chromium shows of it (screenshots, a station's popup, the legend)."""

from __future__ import annotations

import os
import re
import shutil
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from relayroute.cli import main
from relayroute.export.webmap import (
    LAYER_NAMES,
    PANES,
    _Clock,
    map_html,
    map_layers,
)
from relayroute.io.instance import LoadedInstance, read_instance
from relayroute.io.plan import write_plan
from relayroute.io.roads import read_nodes_edges
from relayroute.solve import read_config, solve
from relayroute.validate import validate

from ..conftest import ROOT

if TYPE_CHECKING:
    from relayroute.model.plan import Plan

SCREENSHOT_DAYS = ("yiwu-day", "liling-day", "fuquan-kaili")


def _valid(loaded: LoadedInstance, plan: Plan) -> Plan:
    report = validate(loaded.instance, plan, loaded.base)
    assert report.ok, report.violations[:5]
    return plan


@pytest.fixture(scope="module")
def demo_checked(demo: LoadedInstance, demo_plan: Plan) -> Plan:
    """The demo's routing plan, checked by the independent validator."""
    return _valid(demo, demo_plan)


@pytest.fixture(scope="module")
def days() -> dict[str, tuple[LoadedInstance, Plan]]:
    """The three screenshot days, each planned by the greedy dispatcher (about 2 s each,
    where the routing search would take minutes) and checked by the validator."""
    greedy = read_config(ROOT / "solvers" / "greedy.toml")
    out = {}
    for name in SCREENSHOT_DAYS:
        loaded = read_instance(ROOT / "instances" / f"{name}.json")
        out[name] = (loaded, _valid(loaded, solve(loaded, greedy)))
    return out


def _popups(features: list[dict[str, Any]]) -> list[str]:
    return [f["properties"]["popup"] for f in features if f["properties"].get("popup")]


def test_counts_are_trucks_and_drivers(demo: LoadedInstance, demo_checked: Plan) -> None:
    """The layer control counts trucks and drivers, not legs."""
    layers = map_layers(demo.instance, demo_checked, demo.base)
    plan = demo_checked
    outside = {r.truck for r in plan.routes if any(g.driver_kind == "outside" for g in r.legs)}
    loop = {g.driver for r in plan.routes for g in r.legs if g.driver_kind == "loop"}
    assert loop and len(layers.features["outside_legs"]) > len(outside)
    assert layers.counts["outside_legs"] == f"{len(outside)} trucks"
    trips = sum(len(d.excursions) for d in plan.loop_drivers)
    assert layers.counts["loop_legs"] == f"{len(loop)} drivers, {trips} trips"
    assert layers.counts["sites"].endswith(f"{len(demo.instance.shipments)} shipments")


def test_markers_lie_above_lines(demo: LoadedInstance, demo_checked: Plan) -> None:
    """Stations, checkpoints and depots sit in a pane above every line's pane, so a click
    on one opens it and not a truck leg."""
    layers = map_layers(demo.instance, demo_checked, demo.base)
    line_panes = {
        f["properties"]["style"]["pane"]
        for key in ("zones", "roads", "outside_legs", "loop_legs", "rail")
        for f in layers.features[key]
    }
    marker_panes = {
        f["properties"]["style"]["pane"]
        for key in ("relay_stations", "checkpoints", "depots", "sites")
        for f in layers.features[key]
    }
    assert min(PANES[p] for p in marker_panes) > max(PANES[p] for p in line_panes)


def test_popups_in_words_with_local_times(demo: LoadedInstance, demo_checked: Plan) -> None:
    """Popups are sentences with local clock times (the instance's start plus minutes):
    no raw JSON lists or field names; a leg's popup gives its departure as a clock time."""
    layers = map_layers(demo.instance, demo_checked, demo.base)
    every = [p for feats in layers.features.values() for p in _popups(feats)]
    assert every
    for text in every:
        assert '["' not in text and "{" not in text and "_minute" not in text, text
    start = demo.instance.start
    leg = demo_checked.routes[0].legs[0]
    clock = (start + timedelta(minutes=round(leg.depart))).strftime("%H:%M")
    first = _popups(layers.features["outside_legs"] + layers.features["loop_legs"])
    assert any(f"Truck {demo_checked.routes[0].truck}" in p and clock in p for p in first)
    station = _popups(layers.features["relay_stations"])[0]
    assert "relay station" in station and "handover" in station and "bays" in station
    assert _Clock(start).at(24 * 60 + 5).endswith("00:05") and " " in _Clock(start).at(1445)


def test_kpis_have_units(demo: LoadedInstance, demo_checked: Plan) -> None:
    """The KPI box names unserved shipments, passes to issue and the delay in priority·min."""
    page = map_html(demo.instance, demo_checked, tiles="none", charts=False, base=demo.base)
    kpis = page[page.index('id="rr-kpis"') : page.index('id="rr-legend"')]
    k = demo_checked.kpis
    assert f"{k.weighted_delay:,.0f} priority·min" in kpis
    assert "unserved" in kpis and f"{k.unserved:,} shipments" in kpis
    assert "passes to issue" in kpis and "km" in kpis


def test_offline_base_is_the_instances_own(demo: LoadedInstance, demo_checked: Plan) -> None:
    """With no tiles the map draws the instance's roads (each road once) and names its
    places; without the instance's folder it draws no roads."""
    layers = map_layers(demo.instance, demo_checked, demo.base)
    net = demo.instance.network
    assert net.nodes and net.edges
    g = read_nodes_edges(demo.base / net.nodes, demo.base / net.edges)
    assert len(layers.features["roads"]) == len({frozenset(e) for e in g.edges})
    page = map_html(demo.instance, demo_checked, tiles="none", charts=False, base=demo.base)
    assert "Pujiang county seat" in page and "rr-label" in page
    assert map_layers(demo.instance, demo_checked).features["roads"] == []


def test_legend_draws_what_the_map_draws(demo: LoadedInstance, demo_checked: Plan) -> None:
    """The legend shows zones as areas, one entry per policy drawn, and the same icon HTML
    as the markers; a day without trains has no train entry."""
    page = map_html(demo.instance, demo_checked, tiles="none", charts=False, base=demo.base)
    legend = page[page.index('id="rr-legend"') :]
    legend = legend[: legend.index("</div></div>") + 12]
    policies = {z.policy for z in demo.instance.zones}
    for policy in ("closed_loop", "permit", "open"):
        assert (f"{policy.replace('_', ' ')} zone" in legend) == (policy in policies)
    assert "<rect" in legend  # areas, not dots
    layers = map_layers(demo.instance, demo_checked, demo.base)
    icon = layers.features["relay_stations"][0]["properties"]["style"]["icon"]["html"]
    assert icon in legend
    assert ("train" in legend) == bool(demo_checked.rail_bookings)


def test_page_is_self_contained(demo: LoadedInstance, demo_checked: Plan) -> None:
    """The page loads no script or style from the network (Leaflet and Leaflet.timeline are
    inside it); with no tiles it names no tile server at all."""
    page = map_html(demo.instance, demo_checked, tiles="none", base=demo.base)
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=\"http", page)
    assert "L.timelineSliderControl(" in page and "t.Timeline=t.GeoJSON.extend" in page
    assert "tile.openstreetmap.org" not in page and "cartocdn" not in page
    for host in ("cdnjs.cloudflare.com", "cdn.jsdelivr.net", "unpkg.com"):
        assert host not in page
    assert "data:image/png;base64," in page  # the charts in the report panel
    assert "tile.openstreetmap.org" in map_html(demo.instance, demo_checked, charts=False)


def test_cli_map_options(demo: LoadedInstance, demo_checked: Plan, tmp_path: Path) -> None:
    """``relayroute map --tiles none --no-slider`` writes a page with the instance's roads
    and no time slider."""
    plan_path = tmp_path / "plan.json"
    write_plan(demo_checked, plan_path)
    out = tmp_path / "m.html"
    inst = str(ROOT / "instances" / "yiwu-demo.json")
    args = ["map", inst, str(plan_path), "-o", str(out), "--tiles", "none", "-q"]
    assert main([*args, "--no-slider"]) == 0
    page = out.read_text()
    assert "Roads (" in page and "L.timelineSliderControl(" not in page
    assert main(args) == 0 and "L.timelineSliderControl(" in out.read_text()


# --- in headless Chromium ------------------------------------------------------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("RELAYROUTE_REQUIRE_BROWSER"):
        pytest.fail("Chromium is required (RELAYROUTE_REQUIRE_BROWSER) but not found")
    pytest.skip("no Chromium: apt-get install chromium (.ci/run does)")


@pytest.fixture(scope="module")
def browser() -> Any:
    """One headless Chromium for the module's pages."""
    path = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield b
        b.close()


def _open(browser: Any, page_path: Path) -> tuple[Any, list[str]]:
    """The page opened with every network request refused: what a map shows offline."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route(re.compile(r"^https?://"), lambda route: route.abort())
    page.goto(page_path.as_uri())
    page.wait_for_selector(".leaflet-control-layers-overlays label")
    return page, problems


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def _shots() -> Path:
    """Where screenshots go: ``$RELAYROUTE_SCREENSHOTS`` (the kept ones are made with
    ``docs/screenshots``), else a throw-away folder."""
    folder = Path(os.environ.get("RELAYROUTE_SCREENSHOTS") or ROOT / ".pytest_cache" / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.browser
@pytest.mark.parametrize("name", SCREENSHOT_DAYS)
def test_screenshot_of_each_day(
    browser: Any, days: dict[str, tuple[LoadedInstance, Plan]], name: str, tmp_path: Path
) -> None:
    """Each day's map opens offline with no console error, its layer control lists what is
    drawn with counts, no box hides the scale bar, the time slider moves the trucks, and a
    screenshot (tiles off) is written as ``map-<day>.png``."""
    loaded, plan = days[name]
    page_path = tmp_path / "map.html"
    page_path.write_text(map_html(loaded.instance, plan, tiles="none", base=loaded.base))
    page, problems = _open(browser, page_path)
    labels = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert any(t.strip().startswith(f"{LAYER_NAMES['outside_legs']} (") for t in labels)
    assert any(t.strip().endswith("trucks)") for t in labels)
    scale = _box(page, ".leaflet-control-scale")
    for box in ("#rr-report", "#rr-kpis", "#rr-legend", ".leaflet-timeline-control"):
        assert not _overlap(scale, _box(page, box)), box
    assert not _overlap(_box(page, "#rr-legend"), _box(page, ".leaflet-control-layers"))
    # The slider at the busiest hour of the morning: trucks on the map, the clock shown.
    first = min(r.stops[0].depart for r in plan.routes if r.legs)
    when = loaded.instance.start + timedelta(minutes=max(first, 600))
    ms = int(when.timestamp() * 1000)
    page.evaluate(
        "ms => { const s = document.querySelector('.leaflet-timeline-control input');"
        " s.value = ms; s.dispatchEvent(new Event('input')); }",
        ms,
    )
    assert page.locator(".time-text").inner_text().strip().endswith(when.strftime("%H:%M"))
    trucks = page.locator(".leaflet-rr-trucks-pane path.leaflet-interactive").count()
    assert trucks > 0
    page.mouse.move(5, 450)  # no tooltip in the picture
    page.screenshot(path=str(_shots() / f"map-{name}.png"))
    assert problems == []
    assert (_shots() / f"map-{name}.png").stat().st_size > 50_000


@pytest.mark.browser
def test_click_a_station_reads_its_popup(
    browser: Any, days: dict[str, tuple[LoadedInstance, Plan]], tmp_path: Path
) -> None:
    """Clicking the Yiwu port relay station (where many legs meet) opens the station's own
    popup, in words, with its handovers counted from the plan."""
    loaded, plan = days["yiwu-day"]
    page_path = tmp_path / "map.html"
    page_path.write_text(
        map_html(loaded.instance, plan, tiles="none", base=loaded.base, charts=False)
    )
    page, problems = _open(browser, page_path)
    station = next(s for s in loaded.instance.relay_stations if s.id == "rs_yiwu_port")
    handovers = sum(1 for h in plan.handovers if h.station == station.id)
    assert handovers > 0
    icon = page.locator(".leaflet-rr-stations-pane .leaflet-marker-icon", has_text="R")
    clicked = False
    for k in range(icon.count()):
        icon.nth(k).click()
        # Leaflet closes the popup opened before (autoClose): one popup on the page.
        page.wait_for_function("document.querySelectorAll('.leaflet-popup-content').length == 1")
        text = page.locator(".leaflet-popup-content").inner_text()
        if station.name in text:
            clicked = True
            break
    assert clicked, "no relay-station marker opened the Yiwu port popup"
    assert text.startswith(station.name) and "relay station" in station.name
    assert f"{handovers} handovers" in text and "bays" in text
    assert re.search(r"first \d\d:\d\d, last \d\d:\d\d", text)
    assert "[" not in text and "Truck" not in text
    page.screenshot(path=str(_shots() / "map-yiwu-day-station-popup.png"))
    assert problems == []


@pytest.mark.browser
def test_read_the_legend(
    browser: Any, days: dict[str, tuple[LoadedInstance, Plan]], tmp_path: Path
) -> None:
    """The legend on screen names the zones as areas by policy, a colour per shipment
    priority, the driver kinds, the trains of the Fuquan day, and each marker kind."""
    loaded, plan = days["fuquan-kaili"]
    page_path = tmp_path / "map.html"
    page_path.write_text(
        map_html(loaded.instance, plan, tiles="none", base=loaded.base, charts=False)
    )
    page, problems = _open(browser, page_path)
    legend = page.locator("#rr-legend")
    assert legend.is_visible()
    text = legend.inner_text()
    for p in sorted({s.priority for s in loaded.instance.shipments}):
        assert f"priority {p:g}" in text
    assert "outside driver" in text and "loop driver" not in text  # no loop driver that day
    assert "train" in text and "rail station" in text and "closed road" in text
    assert "truck depot" in text
    assert ("zone" in text) == bool(loaded.instance.zones)
    # Every swatch is drawn (no empty legend rows).
    assert legend.locator(".rr-item").count() == legend.locator(".rr-sw").count()
    assert problems == []
    yiwu, yplan = days["yiwu-day"]
    page_path.write_text(map_html(yiwu.instance, yplan, tiles="none", base=yiwu.base, charts=False))
    page, problems = _open(browser, page_path)
    text = page.locator("#rr-legend").inner_text()
    assert "closed loop zone" in text and "permit zone" in text and "checkpoint" in text
    assert page.locator("#rr-legend rect").count() == 2  # the two zones as areas
    assert problems == []


def test_screenshots_are_kept() -> None:
    """The repository keeps a screenshot of each day's map (``docs/screenshots``)."""
    kept = ROOT / "docs" / "screenshots"
    for name in SCREENSHOT_DAYS:
        png = kept / f"map-{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png


@pytest.mark.browser
def test_a_legs_popup_picks_out_its_truck(
    browser: Any, demo: LoadedInstance, demo_checked: Plan, tmp_path: Path
) -> None:
    """Opening a leg's popup draws its truck's legs bold and fades every other truck's;
    closing it restores the styles."""
    page_path = tmp_path / "map.html"
    page_path.write_text(
        map_html(demo.instance, demo_checked, tiles="none", base=demo.base, charts=False)
    )
    page, problems = _open(browser, page_path)
    state = """() => window.rrLegs.map(l => [l.feature.properties.truck, l.options.opacity,
        l.options.weight, l.feature.properties.style.weight])"""
    before = page.evaluate(state)
    truck = before[0][0]
    page.evaluate("() => window.rrLegs[0].openPopup()")
    assert page.locator(".leaflet-popup-content").inner_text().startswith(f"Truck {truck}")
    after = page.evaluate(state)
    mine = [a for a in after if a[0] == truck]
    others = [a for a in after if a[0] != truck]
    assert mine and others
    assert all(op == 1 and w == base + 3 for _, op, w, base in mine)
    assert all(op == pytest.approx(0.35) for _, op, _, _ in others)
    page.evaluate("() => window.rrLegs[0].closePopup()")
    assert page.evaluate(state) == before
    assert problems == []


def test_a_zone_drawn_anew_is_drawn_per_area(demo: LoadedInstance, demo_checked: Plan) -> None:
    """A re-planned day whose zone was drawn narrower at noon draws both areas, each
    saying in its popup from when it holds."""
    import shapely

    from relayroute.model.instance import ZoneChange

    inst = demo.instance
    z = inst.zones[0]
    ring = [list(p) for p in shapely.Polygon(z.polygon[0]).buffer(-0.005).exterior.coords]
    drawn = z.model_copy(update={"changes": [ZoneChange(at=720, policy=z.policy, polygon=[ring])]})
    day = inst.model_copy(update={"zones": [drawn, *inst.zones[1:]]})
    layers = map_layers(day, demo_checked)
    zones = layers.features["zones"]
    assert len(zones) == len(inst.zones) + 1
    said = [p for p in _popups(zones) if "this area from minute" in p]
    assert len(said) == 2 and "to 720" in said[0] and "from minute 720" in said[1]

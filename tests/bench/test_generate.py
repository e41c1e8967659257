"""Generated days: the bundled days again with their seeds, other sizes in proportion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relayroute.bench.generate import generate
from relayroute.cli import main
from relayroute.errors import InputError
from relayroute.io.instance import instance_from_data, read_instance
from relayroute.itineraries import build_problem

ROOT = Path(__file__).resolve().parents[2]


def _without_name(inst: dict) -> dict:
    return {k: v for k, v in inst.items() if k != "name"}


def test_bundled_seed_gives_the_bundled_yiwu_day() -> None:
    """With the bundled seed and size, the generator draws instances/yiwu-day.json again."""
    got = generate("yiwu", 200, relative_to=ROOT / "instances")
    bundled = json.loads((ROOT / "instances" / "yiwu-day.json").read_text())
    assert _without_name(got) == _without_name(bundled)


def test_trucks_and_loop_drivers_grow_in_proportion() -> None:
    """At 2.5 times the shipments, 2.5 times the trucks and loop drivers; the stations'
    bays stay as built; every shipment of the day can be served alone."""
    got = generate("yiwu", 500, seed=7)
    base = json.loads((ROOT / "instances" / "yiwu-day.json").read_text())

    def loop(inst: dict) -> int:
        return sum(p["count"] for p in inst["driver_pools"] if p["kind"] == "loop")

    assert len(got["trucks"]) == round(len(base["trucks"]) * 2.5)
    assert loop(got) == round(loop(base) * 2.5)
    assert [s["bays"] for s in got["relay_stations"]] == [s["bays"] for s in base["relay_stations"]]
    assert 0.85 * 500 <= len(got["shipments"]) <= 500
    prob = build_problem(instance_from_data(got, "<generated>"))
    assert not prob.unserved


def test_seeds_differ_and_repeat() -> None:
    """The same seed draws the same day; another seed another day."""
    a, b = generate("liling", 60, seed=1), generate("liling", 60, seed=1)
    c = generate("liling", 60, seed=2)
    assert a == b and a["shipments"] != c["shipments"]


def test_cli_writes_a_day_that_reads(tmp_path: Path) -> None:
    """``relayroute generate`` writes an instance whose network paths resolve from where
    it was written."""
    out = tmp_path / "days" / "liling-80.json"
    out.parent.mkdir()
    assert main(["generate", "--region", "liling", "--shipments", "80", "-o", str(out), "-q"]) == 0
    loaded = read_instance(out)
    assert loaded.instance.name == "liling-80-seed20221126"
    assert not Path(json.loads(out.read_text())["network"]["nodes"]).is_absolute()


@pytest.mark.parametrize(
    ("region", "shipments", "where"),
    [("nowhere", 10, "--region"), ("yiwu", 0, "--shipments"), ("yiwu", 10**6, "--shipments")],
)
def test_bad_arguments_name_the_option(region: str, shipments: int, where: str) -> None:
    """An unknown region or a size out of range is bad input naming the option."""
    with pytest.raises(InputError) as err:
        generate(region, shipments)
    assert err.value.where == where


def test_province_joins_the_regions(tmp_path: Path) -> None:
    """A province day holds each region's zones, stations and trucks on one joined road
    network, with long-haul shipments between the regions on trucks that end their day
    at the other region's depot; one region alone is drawn as before."""
    got = generate("yiwu,liling", 300, seed=4, roads=tmp_path / "roads")
    # 2 % long haul (6), the rest shared equally; the k-th region drawn with seed + 1000 k.
    yiwu, liling = generate("yiwu", 147, seed=4), generate("liling", 147, seed=1004)
    zones = {z["id"] for z in got["zones"]}
    assert zones == {z["id"] for z in yiwu["zones"]} | {z["id"] for z in liling["zones"]}
    assert {s["id"] for s in got["relay_stations"]} == {s["id"] for s in yiwu["relay_stations"]}
    region_ships = [s for s in got["shipments"] if not s["id"].startswith("X")]
    assert region_ships == yiwu["shipments"] + liling["shipments"]
    long_haul = [s for s in got["shipments"] if s["id"].startswith("X")]
    crossing = [t for t in got["trucks"] if t.get("end_depot", t["depot"]) != t["depot"]]
    assert long_haul and crossing
    loaded = instance_from_data(got, "<generated>")
    prob = build_problem(loaded)
    # Every long-haul shipment kept can be served alone (the others were left out).
    assert all(s["id"] in prob.solo for s in long_haul)
    corridor = [
        e
        for e in json.loads((tmp_path / "roads" / "edges.geojson").read_text())["features"]
        if "corridor" in e["properties"].get("name", "")
    ]
    assert len(corridor) == 1 and corridor[0]["properties"]["km"] > 500


def test_cli_province_writes_its_roads_beside_the_day(tmp_path: Path) -> None:
    """``generate --region yiwu,liling`` writes the joined roads next to the day, and the
    day reads from there."""
    out = tmp_path / "p.json"
    args = ["generate", "--region", "yiwu,liling", "--shipments", "60", "-o", str(out), "-q"]
    assert main(args) == 0
    assert (tmp_path / "p.roads" / "nodes.geojson").exists()
    loaded = read_instance(out)
    assert loaded.instance.name == "province-yiwu+liling-60-seed20220813"
    with pytest.raises(InputError) as err:
        generate("yiwu,yiwu", 60)
    assert err.value.where == "--region"

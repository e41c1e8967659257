"""OSM roads whose ways osmnx merges into one edge (issue 20, item 9): one class and one
travel time for the merged edge, whatever order osmnx lists the ways' classes in."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import osmnx as ox
import pytest

from relayroute.io.roads import ROAD_CLASS_KMH, _road_class, read_osm_xml

from ..conftest import ROOT

OSM_OAK = ROOT / "tests" / "data" / "West-Oakland.osm.bz2"

# Run in a fresh interpreter: the merged edges' class lists and what we read from them.
PROBE = """
import json, sys
from pathlib import Path
import osmnx as ox
from relayroute.io.roads import read_osm_xml
path = Path(sys.argv[1])
mg = ox.graph_from_xml(path, simplify=True, retain_all=True)
lists = sorted([str(u), str(v), d["highway"]] for u, v, d in mg.edges(data=True)
               if isinstance(d.get("highway"), list))
g = read_osm_xml(path)
edges = sorted([u, v, d["road_class"], d["minutes"], d["speed_kmh"]]
               for u, v, d in g.edges(data=True))
print(json.dumps({"lists": lists, "edges": edges}))
"""


def _probe(seed: int) -> dict[str, list[list[object]]]:
    env = {**os.environ, "PYTHONHASHSEED": str(seed)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(OSM_OAK)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    result: dict[str, list[list[object]]] = json.loads(out.stdout)
    return result


def test_merged_ways_read_the_same_under_any_hash_seed() -> None:
    """Under two hash seeds for which osmnx lists a merged edge's classes in a different
    order (so taking the first class, as before, gave 15 or 30 km/h), the graph read is
    the same to the last bit."""
    first = _probe(0)
    assert first["lists"], "the extract has a merged edge of two classes"
    for seed in range(1, 8):
        other = _probe(seed)
        if other["lists"] != first["lists"]:
            break
    else:
        pytest.skip("no hash seed in 1-7 changed osmnx's order on this Python")
    assert other["edges"] == first["edges"]


def test_merged_edge_time_is_the_sum_over_its_ways() -> None:
    """The West Oakland edge of 31 m unclassified and 670 m service road takes the time of
    each stretch at its own class speed (no maxspeed tagged), is labelled by its slower
    class, and its speed is its length over that time."""
    raw = ox.graph_from_xml(OSM_OAK, simplify=False, retain_all=True)
    merged = ox.simplify_graph(raw, track_merged=True)
    g = read_osm_xml(OSM_OAK)
    checked = 0
    for u, v, d in merged.edges(data=True):
        if not isinstance(d.get("highway"), list):
            continue
        parts = [raw.edges[a, b, 0] for a, b in d["merged_edges"]]
        assert all(p.get("maxspeed") is None for p in parts)
        expect = sum(p["length"] / 1000 / ROAD_CLASS_KMH[p["highway"]] * 60 for p in parts)
        e = g.edges[str(u), str(v)]
        assert e["minutes"] == pytest.approx(expect, rel=1e-9)
        assert e["road_class"] == "service"  # 15 km/h, slower than unclassified's 30
        assert e["speed_kmh"] == pytest.approx(e["km"] / e["minutes"] * 60, rel=1e-9)
        assert ROAD_CLASS_KMH["service"] < e["speed_kmh"] < ROAD_CLASS_KMH["unclassified"]
        checked += 1
    assert checked == 2  # the edge both ways


def test_road_class_of_a_list_ignores_its_order() -> None:
    """A list of classes gives its slowest class in any order; one with a class trucks do
    not use gives that class (the edge is then left out); a plain value is kept."""
    assert _road_class({"highway": ["unclassified", "service"]}) == "service"
    assert _road_class({"highway": ["service", "unclassified"]}) == "service"
    assert _road_class({"highway": ["primary", "footway", "residential"]}) == "footway"
    assert _road_class({"highway": ["secondary", "primary"]}) == "secondary"
    assert _road_class({"highway": "trunk"}) == "trunk"
    assert _road_class({}) == ""

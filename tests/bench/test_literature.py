"""Readers for the Solomon/Homberger and Li & Lim benchmarks, and the independent route
checker every solver's routes go through (issue 5)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest

from relayroute.bench.literature import (
    Benchmark,
    benchmark_instance,
    check_routes,
    plan_routes,
    read_benchmark,
    total_distance,
)
from relayroute.cli import main
from relayroute.errors import InputError
from relayroute.io.instance import LoadedInstance, read_instance
from relayroute.solve import solve
from relayroute.validate import validate

from ..conftest import QUICK, ROOT

if TYPE_CHECKING:
    from pathlib import Path

BENCH = ROOT.parent / "shared" / "benchmarks"

# Depot at the origin; A and B on one ray (5 and 10 away), C 5 up. One truck of 30.
# By hand: the shortest tour is 0-A-B-C-0 (or reversed): 5 + 5 + sqrt(45) + 5.
TINY_SOLOMON = """TINY3

VEHICLE
NUMBER     CAPACITY
  2         30

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0          0          0          0       1000          0
    1      3          4         10          0       1000         10
    2      6          8         10          0       1000         10
    3      0          5         10          0       1000         10
"""
TINY_TOUR = 15 + math.sqrt(45)

# Two pickup-delivery pairs: 1 -> 2 and 3 -> 4, one vehicle of 10.
TINY_LILIM = "2\t10\t1\n" + "\n".join(
    "\t".join(str(v) for v in row)
    for row in [
        (0, 0, 0, 0, 0, 500, 0, 0, 0),
        (1, 0, 4, 5, 0, 500, 5, 0, 2),
        (2, 3, 4, -5, 0, 500, 5, 1, 0),
        (3, 3, 0, 5, 0, 500, 5, 0, 4),
        (4, 6, 0, -5, 0, 500, 5, 3, 0),
    ]
)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    p = tmp_path / "TINY3.txt"
    p.write_text(TINY_SOLOMON.replace("\n", "\r\n"))  # CRLF, as the published files
    return p


@pytest.fixture
def tiny_pd(tmp_path: Path) -> Path:
    p = tmp_path / "tinypd.txt"
    p.write_text(TINY_LILIM + "\n")
    return p


def test_solomon_read(tiny: Path) -> None:
    """The fleet, the depot and each customer's row come through as written."""
    b = read_benchmark(tiny)
    assert (b.name, b.kind, b.vehicles, b.capacity) == ("TINY3", "vrptw", 2, 30)
    assert [(n.x, n.y, n.demand, n.service) for n in b.nodes[1:]] == [
        (3, 4, 10, 10),
        (6, 8, 10, 10),
        (0, 5, 10, 10),
    ]
    assert b.nodes[0].due == 1000


@pytest.mark.skipif(not BENCH.is_dir(), reason="../shared/benchmarks not present")
def test_published_files_read() -> None:
    """Published files: Solomon C101 (25 vehicles of 200, customer 1 at (45, 68) ready 912
    due 967, 90 min service), R112's customer 1 at (41, 49) as the benchmark README checks,
    Li & Lim lc101 (53 pairs) and Homberger c1_2_1 (200 customers, 50 vehicles)."""
    c101 = read_benchmark(BENCH / "solomon" / "C101.txt")
    assert (c101.vehicles, c101.capacity, len(c101.nodes)) == (25, 200, 101)
    n1 = c101.nodes[1]
    assert (n1.x, n1.y, n1.demand, n1.ready, n1.due, n1.service) == (45, 68, 10, 912, 967, 90)
    r112 = read_benchmark(BENCH / "solomon" / "R112.txt")
    assert (r112.nodes[1].x, r112.nodes[1].y) == (41, 49)
    lc = read_benchmark(BENCH / "lilim" / "pdp_100" / "lc101.txt")
    assert lc.kind == "pdptw" and sum(1 for n in lc.nodes if n.delivery) == 53
    h = read_benchmark(BENCH / "homberger" / "200" / "c1_2_1.txt")
    assert (h.vehicles, len(h.nodes)) == (50, 201)


def test_convert_round_trips(tiny: Path, tiny_pd: Path, tmp_path: Path) -> None:
    """``relayroute convert`` writes an instance that reads back to the same model the
    reader builds: places ×100, windows as site hours, the fleet as given, no zones."""
    for src in (tiny, tiny_pd):
        out = tmp_path / f"{src.stem}.json"
        assert main(["convert", str(src), "-o", str(out), "-q"]) == 0
        loaded = read_instance(out)
        built = benchmark_instance(read_benchmark(src))
        assert loaded.instance.model_dump() == built.model_dump()
        assert loaded.instance.network.mode == "euclidean" and not loaded.instance.zones
    inst = benchmark_instance(read_benchmark(tiny))
    assert [(p.lon, p.lat) for p in inst.places] == [(0, 0), (300, 400), (600, 800), (0, 500)]
    assert inst.places[1].hours == [(0, 100000)]
    assert len(inst.trucks) == 2 and inst.trucks[0].capacity == {"load": 30}
    assert [s.delivery_minutes for s in inst.shipments] == [1000, 1000, 1000]
    pd_inst = benchmark_instance(read_benchmark(tiny_pd))
    assert [(s.origin, s.destination) for s in pd_inst.shipments] == [("n1", "n2"), ("n3", "n4")]


def test_hand_checked_distance(tiny: Path) -> None:
    """A hand-computed tour evaluates to its length, and relayroute finds that optimum:
    its plan's km (scaled) and the checker's distance agree."""
    b = read_benchmark(tiny)
    assert total_distance(b, [[1, 2, 3]]) == pytest.approx(TINY_TOUR, abs=1e-9)
    assert check_routes(b, [[1, 2, 3]]) == []
    inst = benchmark_instance(b)
    loaded = LoadedInstance(inst, tiny.parent, "")
    plan = solve(loaded, QUICK)
    assert validate(inst, plan, tiny.parent).ok
    routes = plan_routes(plan)
    assert check_routes(b, routes) == []
    assert total_distance(b, routes) == pytest.approx(TINY_TOUR, abs=1e-6)
    assert plan.kpis.km / 100 == pytest.approx(TINY_TOUR, abs=1e-3)


def test_pdptw_solved_and_checked(tiny_pd: Path) -> None:
    """On the pickup-and-delivery case the plan's routes keep every pair together, pickup
    first, and pass the checker."""
    b = read_benchmark(tiny_pd)
    inst = benchmark_instance(b)
    plan = solve(LoadedInstance(inst, tiny_pd.parent, ""), QUICK)
    routes = plan_routes(plan)
    assert check_routes(b, routes) == []
    assert sorted(i for r in routes for i in r) == [1, 2, 3, 4]


def _bench(tiny: Path) -> Benchmark:
    return read_benchmark(tiny)


def test_checker_names_each_broken_rule(tiny: Path, tiny_pd: Path) -> None:
    """Missing and repeated customers, a late service, an overloaded truck, too many
    routes, and a delivery before its pickup are each caught."""
    b = _bench(tiny)
    assert any("not visited" in e for e in check_routes(b, [[1, 2]]))
    assert any("twice" in e for e in check_routes(b, [[1, 2, 3], [1]]))
    assert any("routes for a fleet" in e for e in check_routes(b, [[1], [2], [3]]))
    tight = Benchmark(b.name, b.kind, b.vehicles, 25, b.nodes)
    assert any("load" in e for e in check_routes(tight, [[1, 2, 3]]))
    late = [*b.nodes[:3], b.nodes[3].__class__(3, 0, 5, 10, 0, 6, 10)]
    assert any(
        "after its due" in e
        for e in check_routes(Benchmark(b.name, b.kind, 2, 30, late), [[1, 2, 3]])
    )
    pd = read_benchmark(tiny_pd)
    assert check_routes(pd, [[1, 2, 3, 4]]) == []
    assert any("not after its pickup" in e for e in check_routes(pd, [[2, 1, 3, 4]]))
    assert any("not after its pickup" in e for e in check_routes(pd, [[1, 4], [3, 2]]))


def test_bad_benchmark_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed row is named by file and line; the command exits 2 and writes nothing."""
    bad = tmp_path / "bad.txt"
    bad.write_text(TINY_SOLOMON.replace("6          8         10", "6          x         10"))
    with pytest.raises(InputError, match=r"bad.txt:12"):
        read_benchmark(bad)
    out = tmp_path / "out.json"
    assert main(["convert", str(bad), "-o", str(out)]) == 2
    assert "bad.txt:12" in capsys.readouterr().err
    assert not out.exists()
    unpaired = tmp_path / "unpaired.txt"
    unpaired.write_text(TINY_LILIM.replace("3\t0\t5\t0\t500\t5\t0\t4", "3\t0\t5\t0\t500\t5\t0\t2"))
    with pytest.raises(InputError, match="does not name it back"):
        read_benchmark(unpaired)


def test_solomon_rows_checked_before_vrplib(tmp_path: Path) -> None:
    """vrplib reads node rows as integers and would turn ``8.5`` into -1 and ignore the node
    numbers: such rows are refused first, naming file and line."""
    for old, new, message in [
        ("6          8         10", "6          8.5       10", r"half.txt:12: expected 7"),
        ("    2      6", "    5      6", r"half.txt:12: node 5: nodes must be numbered"),
    ]:
        bad = tmp_path / "half.txt"
        bad.write_text(TINY_SOLOMON.replace(old, new))
        with pytest.raises(InputError, match=message):
            read_benchmark(bad)


def test_loaded_at_start_keeps_capacity(tiny: Path) -> None:
    """When every delivery is loaded at the depot (the model keeps only the deliveries), a
    truck still carries no more than its capacity: 3 × 10 with trucks of 25 needs two."""
    b = read_benchmark(tiny)
    small = Benchmark(b.name, b.kind, b.vehicles, 25, b.nodes)
    inst = benchmark_instance(small)
    plan = solve(LoadedInstance(inst, tiny.parent, ""), QUICK)
    assert validate(inst, plan, tiny.parent).ok
    routes = plan_routes(plan)
    assert len(routes) == 2 and check_routes(small, routes) == []
    for r in plan.routes:  # the plan shows the loading at the depot before the deliveries
        kinds = [s.kind for s in r.stops if s.kind in ("pickup", "delivery")]
        assert kinds == sorted(kinds, key=lambda k: k != "pickup")


def test_config_lns_operators(tmp_path: Path) -> None:
    """Large-neighbourhood operators are named in the configuration; an unknown one is an
    error naming the key."""
    from relayroute.solve import read_config

    good = tmp_path / "lns.toml"
    good.write_text('lns_operators = ["path_lns", "inactive_lns"]\nlns_time_limit = 0.2\n')
    assert read_config(good).lns_operators == ["path_lns", "inactive_lns"]
    bad = tmp_path / "bad.toml"
    bad.write_text('lns_operators = ["magic"]\n')
    with pytest.raises(InputError, match="lns_operators"):
        read_config(bad)

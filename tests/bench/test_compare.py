"""``relayroute compare`` and ``bench``: configurations and peers side by side (issue 5)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from relayroute.bench.compare import Job, jobs_for, rows_equal_but_time, run_job, run_jobs
from relayroute.bench.literature import check_routes, read_benchmark, total_distance
from relayroute.bench.suites import first_and_last, suite_files, summarise
from relayroute.cli import main

from ..bench.test_literature import BENCH, TINY_LILIM, TINY_SOLOMON, TINY_TOUR
from ..conftest import ROOT


@pytest.fixture
def two(tmp_path: Path) -> list[str]:
    a, b = tmp_path / "TINY3.txt", tmp_path / "tinypd.txt"
    a.write_text(TINY_SOLOMON)
    b.write_text(TINY_LILIM + "\n")
    return [str(a), str(b)]


# Deterministic configurations: the greedy dispatcher, and the routing search stopped by
# a solution count long before its time limit.
GREEDY = str(ROOT / "solvers" / "greedy.toml")
DEFAULT = str(ROOT / "solvers" / "repeatable.toml")


def test_compare_locally_and_on_dask_gives_the_same_table(two: list[str]) -> None:
    """Two configurations on two instances: local processes and a local Dask cluster
    return the same rows (all but the seconds), every plan checked feasible."""
    from distributed import LocalCluster

    jobs = jobs_for(two, [GREEDY, DEFAULT], time_limit=20)
    local = run_jobs(jobs, workers=2)
    assert len(local) == 4 and all(r["feasible"] for r in local), local
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as c:
        on_dask = run_jobs(jobs, scheduler=c.scheduler_address)
    assert rows_equal_but_time(local, on_dask)
    default_tiny = next(
        r for r in local if r["instance"] == "TINY3" and r["solver"] == "repeatable"
    )
    assert default_tiny["distance"] == pytest.approx(TINY_TOUR, abs=1e-4)


def test_compare_cli_writes_table_csv_and_chart(two: list[str], tmp_path: Path) -> None:
    """The command prints a table, saves it as CSV with one row per run and draws the
    gap chart as a PNG."""
    out = tmp_path / "res.csv"
    code = main(
        ["compare", *two, "--solvers", GREEDY, "peer:ortools", "--time-limit", "1",
         "-o", str(out), "--workers", "1", "-q"]
    )  # fmt: skip
    assert code == 0
    df = pd.read_csv(out)
    assert len(df) == 4 and set(df["solver"]) == {"greedy", "peer:ortools"}
    assert df["feasible"].all()
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("peer", ["ortools", "pyvrp", "vroom"])
def test_peers_reach_the_hand_checked_optimum(peer: str, two: list[str]) -> None:
    """Each peer, fed the same integer data, returns routes the checker accepts; on the
    three-customer case they are the hand-checked optimum."""
    if peer != "ortools":
        pytest.importorskip(peer)
    rows = [run_job(Job(path, f"peer:{peer}", 0.5)) for path in two]
    assert all(r["feasible"] for r in rows), rows
    assert rows[0]["distance"] == pytest.approx(TINY_TOUR, abs=1e-4)


def test_unknown_solver_and_missing_file(two: list[str], tmp_path: Path) -> None:
    """A missing configuration or instance is named, exit 2, no results file."""
    out = tmp_path / "r.csv"
    assert main(["compare", two[0], "--solvers", "nope.toml", "-o", str(out)]) == 2
    assert main(["compare", "missing.txt", "--solvers", GREEDY, "-o", str(out)]) == 2
    assert not out.exists()
    row = run_job(Job(two[0], "peer:gurobi", 1.0))
    assert not row["feasible"] and "unknown peer" in row["error"]


@pytest.mark.skipif(not BENCH.is_dir(), reason="../shared/benchmarks not present")
def test_sample_suite_is_the_issue_sample() -> None:
    """First and last of each Solomon and Li & Lim 100 class, first of each Homberger 200
    class: 30 instances."""
    names = [f.stem for f in suite_files("sample", str(BENCH))]
    assert len(names) == 30
    assert names[:4] == ["C101", "C109", "C201", "C208"]
    assert {"lrc101", "lrc108", "lrc201", "lrc208", "R211", "rc2_2_1"} <= set(names)
    files = [Path(f"{n}.txt") for n in ["r1_2_10", "r1_2_2", "r1_2_1"]]
    assert [f.stem for f in first_and_last(files)] == ["r1_2_1", "r1_2_10"]


def test_summary_against_best_in_run_and_bks() -> None:
    """Per family: the gap to the best distance any solver found on each instance, and the
    count reaching the BKS vehicles; infeasible runs count against the share only."""
    rows = [
        dict(instance="A", family="f", solver="x", feasible=True, distance=100.0, vehicles=3,
             bks_vehicles=3, gap_pct=1.0, weighted_delay=None, lower_bound=None),
        dict(instance="A", family="f", solver="y", feasible=True, distance=110.0, vehicles=4,
             bks_vehicles=3, gap_pct=11.0, weighted_delay=None, lower_bound=None),
        dict(instance="B", family="f", solver="x", feasible=False, distance=None, vehicles=None,
             bks_vehicles=3, gap_pct=None, weighted_delay=None, lower_bound=None),
        dict(instance="B", family="f", solver="y", feasible=True, distance=50.0, vehicles=3,
             bks_vehicles=3, gap_pct=0.0, weighted_delay=None, lower_bound=None),
    ]  # fmt: skip
    s = summarise(rows).set_index("solver")
    assert s.loc["x", "feasible_share"] == 0.5 and s.loc["y", "feasible_share"] == 1.0
    assert s.loc["x", "vs_best_pct"] == 0.0
    assert s.loc["y", "vs_best_pct"] == pytest.approx(5.0)  # (10 % + 0 %) / 2
    assert s.loc["x", "bks_vehicles_met"] == 1 and s.loc["y", "bks_vehicles_met"] == 1


def test_summary_of_relay_rows() -> None:
    """Relay instances have no distance or BKS: the summary gives the delay above the lower
    bound instead."""
    rows = [
        dict(instance="yiwu-day", family="relay", solver="default", feasible=True,
             distance=None, vehicles=60, bks_vehicles=None, gap_pct=None,
             weighted_delay=4900.0, lower_bound=100.0),
    ]  # fmt: skip
    s = summarise(rows).set_index("solver")
    assert s.loc["default", "delay_above_lb"] == 4800.0
    assert s.loc["default", "bks_vehicles_met"] == 0


def test_checker_is_shared(two: list[str]) -> None:
    """The same checker measures a peer's routes: distance recomputed from the file."""
    b = read_benchmark(two[0])
    assert check_routes(b, [[3, 2, 1]]) == []
    assert total_distance(b, [[3, 2, 1]]) == pytest.approx(TINY_TOUR)

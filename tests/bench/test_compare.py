"""``relayroute compare`` and ``bench``: configurations and peers side by side (issue 5)."""

from __future__ import annotations

import multiprocessing
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest

from relayroute.bench.compare import (
    Job,
    interrupted_note,
    jobs_for,
    rows_equal_but_time,
    run_job,
    run_jobs,
    write_csv,
)
from relayroute.bench.literature import check_routes, read_benchmark, total_distance
from relayroute.bench.suites import first_and_last, suite_files, summarise
from relayroute.cli import main
from relayroute.solve.stop import halt, reset_halt

from ..bench.test_literature import BENCH, TINY_LILIM, TINY_SOLOMON, TINY_TOUR
from ..conftest import ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator


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
# The default search: guided local search for the whole time limit, never done early.
DEFAULT_SEARCH = str(ROOT / "solvers" / "default.toml")


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


# Stopping a compare or bench (issue 19): SIGINT and SIGTERM keep what ran.


@pytest.fixture
def _no_halt() -> Iterator[None]:
    reset_halt()
    yield
    reset_halt()


def _interrupt(args: list[str], sig: int, cwd: Path) -> tuple[int, float, str]:
    """Start ``python -m relayroute.cli ARGS``; once its first run has finished (the line
    it prints) and the next is into its search, send ``sig``. Exit code, seconds from the
    signal to the exit, stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "relayroute.cli", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        ready, _, _ = select.select([proc.stderr], [], [], 60)
        first = proc.stderr.readline() if ready else ""
        assert ": feasible" in first, first
        time.sleep(0.3)  # the next run, already handed to the worker, is searching
        proc.send_signal(sig)
        sent = time.perf_counter()
        _, err = proc.communicate(timeout=30)
        return proc.returncode, time.perf_counter() - sent, first + err
    finally:
        proc.kill()
        proc.wait()


SIGNALS = [("SIGINT", 130), ("SIGTERM", 143)]


@pytest.mark.parametrize(("name", "code"), SIGNALS)
def test_signal_mid_compare_writes_what_ran(
    name: str, code: int, two: list[str], tmp_path: Path
) -> None:
    """A signal while the second of four runs searches (30 s to go): well before that run
    would end (20 s; 1-2 s on an idle machine, 7.4 s measured beside a benchmark on both
    cores), exit 130/143, the CSV has the first run done, the second cut short with its best (valid,
    marked interrupted), the other two skipped; the chart is written, no temp file is
    left, no traceback."""
    out = tmp_path / "res.csv"
    args = ["compare", *two, "--solvers", GREEDY, DEFAULT_SEARCH, "--time-limit", "30",
            "--workers", "1", "-o", str(out)]  # fmt: skip
    rc, seconds, err = _interrupt(args, getattr(signal, name), tmp_path)
    assert rc == code, err
    assert seconds < 20
    assert "Traceback" not in err and f"interrupted by {name}: 1 of 4 runs done" in err
    df = pd.read_csv(out)
    assert list(df["status"]) == ["done", "interrupted", "skipped", "skipped"]
    assert list(df["solver"]) == ["greedy", "default"] * 2
    assert df.loc[1, "feasible"] and df.loc[1, "distance"] == pytest.approx(TINY_TOUR, abs=1e-4)
    assert (df.loc[2:, "error"] == "not run: the command was interrupted").all()
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(("name", "code"), SIGNALS)
def test_signal_mid_bench_writes_what_ran(name: str, code: int, tmp_path: Path) -> None:
    """bench over a two-file suite in both modes, a signal during the second run: exit
    130/143 within 5 s; the results CSV marks every run, the summary counts the one whole
    run and the seven incomplete; the second mode is skipped whole, named in the table's
    caption."""
    suite = tmp_path / "data" / "solomon"
    suite.mkdir(parents=True)
    for n in ("A1", "A2"):
        (suite / f"{n}.txt").write_text(TINY_SOLOMON)
    out = tmp_path / "bench.csv"
    args = ["bench", "solomon", "--data", str(tmp_path / "data"), "--solver", GREEDY,
            DEFAULT_SEARCH, "--mode", "both", "--time-limit", "30", "--workers", "1",
            "-o", str(out)]  # fmt: skip
    rc, seconds, err = _interrupt(args, getattr(signal, name), tmp_path)
    assert rc == code, err
    assert seconds < 20
    assert "Traceback" not in err and f"interrupted by {name}: 1 of 8 runs done" in err
    df = pd.read_csv(out)
    assert list(df["status"]) == ["done", "interrupted"] + ["skipped"] * 6
    assert set(df.loc[df["mode"] == "hierarchical", "status"]) == {"skipped"}
    summary = pd.read_csv(out.with_suffix(".summary.csv")).set_index("solver")
    assert summary.loc["greedy", "instances"] == 1 and summary.loc["greedy", "incomplete"] == 3
    assert summary.loc["default", "instances"] == 0 and summary.loc["default", "incomplete"] == 4
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    assert not list(tmp_path.glob(".*.tmp"))


def test_halt_before_the_runs_skips_them_all(two: list[str], _no_halt: None) -> None:
    """After a halt no worker starts: every row is skipped, named, in the jobs' order."""
    halt()
    rows = run_jobs(jobs_for(two, [GREEDY], time_limit=5), workers=2)
    assert [(r["instance"], r["solver"], r["status"]) for r in rows] == [
        ("TINY3", "greedy", "skipped"),
        ("tinypd", "greedy", "skipped"),
    ]


def _never_stops(job: Job) -> dict[str, Any]:
    time.sleep(60)  # a run that ignores the stop
    return {}


def test_a_run_that_ignores_the_stop_is_killed_after_the_grace(
    two: list[str], monkeypatch: pytest.MonkeyPatch, _no_halt: None
) -> None:
    """A run still going STOP_GRACE seconds after the halt has its worker killed: its
    row says so, and run_jobs returns at once after."""
    import relayroute.bench.compare as compare

    monkeypatch.setattr(compare, "run_job", _never_stops)
    monkeypatch.setattr(compare, "STOP_GRACE", 0.5)
    threading.Timer(1.0, halt).start()
    t0 = time.perf_counter()
    rows = run_jobs(jobs_for(two, [GREEDY], time_limit=5), workers=1)
    assert time.perf_counter() - t0 < 4
    assert [r["status"] for r in rows] == ["skipped", "skipped"]
    assert rows[0]["error"] == "stopped: no result within 0.5 s of the stop"
    assert not multiprocessing.active_children()


def test_halt_on_dask_cancels_what_is_left(two: list[str], _no_halt: None) -> None:
    """On a Dask cluster a halt cancels the runs not finished: run_jobs returns at once
    with them skipped."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as c:
        jobs = jobs_for(two, [DEFAULT_SEARCH], time_limit=30)
        threading.Timer(1.0, halt).start()
        t0 = time.perf_counter()
        rows = run_jobs(jobs, scheduler=c.scheduler_address)
        assert time.perf_counter() - t0 < 5
    assert [r["status"] for r in rows] == ["skipped", "skipped"]
    assert rows[0]["error"] == "cancelled: the command was interrupted"


def test_summary_and_note_count_whole_runs_only() -> None:
    """Runs cut short or skipped are left out of the summary's figures and counted in
    its incomplete column; the note names them."""
    base = dict(family="f", feasible=True, distance=100.0, vehicles=3, bks_vehicles=3,
                gap_pct=1.0, weighted_delay=None, lower_bound=None, mode="distance")  # fmt: skip
    rows = [
        {**base, "instance": "A", "solver": "x", "status": "done"},
        {**base, "instance": "B", "solver": "x", "status": "interrupted", "distance": 50.0},
        {**base, "instance": "A", "solver": "y", "status": "skipped", "feasible": False},
    ]
    s = summarise(rows).set_index("solver")
    assert s.loc["x", "instances"] == 1 and s.loc["x", "incomplete"] == 1
    assert s.loc["x", "vs_best_pct"] == 0.0  # B's cut-short 50 is no best
    assert s.loc["y", "instances"] == 0 and s.loc["y", "incomplete"] == 1
    assert interrupted_note(rows) == (
        "interrupted: 1 of 3 runs done; cut short (not counted in summaries): B · x; skipped: A · y"
    )
    assert interrupted_note(rows[:1]) is None


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads Linux's /proc")
def test_second_sigint_aborts_compare_and_its_workers(two: list[str], tmp_path: Path) -> None:
    """A second Ctrl-C does not wait for the runs to return their best: exit 130 at once,
    the worker processes killed with it, no temporary file left."""
    out = tmp_path / "res.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "relayroute.cli", "compare", *two, "--solvers", GREEDY,
         DEFAULT_SEARCH, "--time-limit", "30", "--workers", "2", "-o", str(out)],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        ready, _, _ = select.select([proc.stderr], [], [], 60)
        assert ready and ": feasible" in proc.stderr.readline()
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        assert len(children) == 2  # the two workers
        proc.send_signal(signal.SIGINT)
        time.sleep(0.1)  # two signals sent at once may reach it as one
        proc.send_signal(signal.SIGINT)
        sent = time.perf_counter()
        _, err = proc.communicate(timeout=30)
        seconds = time.perf_counter() - sent
        assert proc.returncode == 130 and seconds < 1, (proc.returncode, seconds, err)
        assert "interrupted by SIGINT:" not in err  # it did not wait for the runs to end
        assert "Traceback" not in err
    finally:
        proc.kill()
        proc.wait()
    time.sleep(0.2)
    for pid in children:  # gone, or a zombie waiting to be reaped by init
        status = Path(f"/proc/{pid}/status")
        assert not status.exists() or "State:\tZ" in status.read_text()
    assert not list(tmp_path.glob(".*.tmp"))


def test_dask_worker_in_another_folder_finds_relative_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`compare` with relative paths on a Dask worker started in another folder: the
    paths are made absolute before they are shipped, so every run is feasible."""
    from distributed import Client, LocalCluster

    client_dir, worker_dir = tmp_path / "client", tmp_path / "worker"
    client_dir.mkdir()
    worker_dir.mkdir()
    (client_dir / "TINY3.txt").write_text(TINY_SOLOMON)
    (client_dir / "greedy.toml").write_text(Path(GREEDY).read_text())
    monkeypatch.chdir(client_dir)
    with LocalCluster(n_workers=0, processes=True, dashboard_address=None) as cluster:
        worker = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", cluster.scheduler_address,
             "--nthreads", "1", "--no-dashboard"],
            cwd=worker_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            with Client(cluster.scheduler_address) as c:
                c.wait_for_workers(1, timeout=60)
            jobs = jobs_for(["TINY3.txt"], ["greedy.toml", "peer:ortools"], 1.0)
            assert all(Path(j.instance).is_absolute() for j in jobs)
            rows = run_jobs(jobs, scheduler=cluster.scheduler_address)
            # A job built by hand with a relative path is looked for in the worker's folder.
            lost = run_jobs(
                [Job("TINY3.txt", "peer:ortools", 1.0)], scheduler=cluster.scheduler_address
            )
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert [r["feasible"] for r in rows] == [True, True], rows
    assert rows[1]["distance"] == pytest.approx(TINY_TOUR, abs=1e-4)
    assert not lost[0]["feasible"] and "TINY3.txt" in lost[0]["error"]


def test_unreachable_scheduler_is_one_clear_line(
    two: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No scheduler at the address: exit 2 with one line naming it, not an internal error."""
    import socket

    import relayroute.bench.compare as compare

    monkeypatch.setattr(compare, "DASK_CONNECT_SECONDS", 1.0)
    with socket.socket() as s:  # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = main(["compare", two[0], "--solvers", GREEDY, "--scheduler",
                 f"tcp://127.0.0.1:{port}", "-q"])  # fmt: skip
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2, err
    assert err.count("error:") == 1 and "internal error" not in err
    assert f"no Dask scheduler answers at tcp://127.0.0.1:{port}" in err


def test_rows_say_version_config_seed_date_and_machine(two: list[str], tmp_path: Path) -> None:
    """Each CSV row names the relayroute version, a hash of the configuration as run,
    its seed, the date and the machine; the hash follows the configuration and limit."""
    import datetime as dt
    import os

    from relayroute import __version__

    rows = run_jobs(jobs_for(two[:1], [GREEDY, DEFAULT, "peer:vroom"], 1.0), workers=1)
    out = tmp_path / "r.csv"
    write_csv(rows, out)
    df = pd.read_csv(out, dtype={"config_hash": str})
    assert list(df["relayroute_version"]) == [__version__] * 3
    assert df["seed"].iloc[0] == 0 and pd.isna(df["seed"].iloc[2])  # VROOM takes no seed
    hashes = list(df["config_hash"])
    assert all(len(h) == 12 for h in hashes) and len(set(hashes)) == 3
    again = run_job(Job(two[0], GREEDY, 1.0))["config_hash"]
    longer = run_job(Job(two[0], GREEDY, 2.0))["config_hash"]
    assert again == hashes[0] != longer
    for stamp in df["date"]:
        when = dt.datetime.fromisoformat(stamp)
        assert when.tzinfo is not None
        assert abs((dt.datetime.now(dt.UTC) - when).total_seconds()) < 600
    assert all(f"{os.cpu_count()} CPUs" in m for m in df["machine"])


def test_gap_chart_has_one_unit_per_axis() -> None:
    """Benchmark gaps (% to the BKS) and relay gaps (priority × min above the lower bound)
    are drawn on panels of their own, never on one axis."""
    import matplotlib.pyplot as plt

    from relayroute.bench.compare import COLUMNS, GAP_PANELS, gap_figure

    def row(**kw: Any) -> dict[str, Any]:
        return {**dict.fromkeys(COLUMNS), "mode": "distance", "status": "done", **kw}

    rows = [
        row(instance="C101", family="solomon", solver="a", feasible=True, gap_pct=2.0),
        row(instance="yiwu-day", family="relay", solver="a", feasible=True,
            weighted_delay=900.0, lower_bound=100.0),
    ]  # fmt: skip
    fig = gap_figure(rows)
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert labels == [GAP_PANELS["benchmarks"], GAP_PANELS["relay"]]
    heights = [[p.get_height() for p in ax.patches] for ax in fig.axes]
    assert heights == [[2.0], [800.0]]
    plt.close(fig)
    only = gap_figure(rows[:1])
    assert [ax.get_ylabel() for ax in only.axes] == [GAP_PANELS["benchmarks"]]
    plt.close(only)


def test_summary_says_what_ran_where() -> None:
    """The per-family summary lists each group's configuration hashes, seeds, versions and
    machines, and the end of its last run; skipped runs add nothing."""
    base = dict(family="solomon", solver="x", feasible=True, distance=10.0, vehicles=2,
                bks_vehicles=2, gap_pct=0.0, weighted_delay=None, lower_bound=None,
                relayroute_version="0.1.0", machine="m1 (x86_64, 2 CPUs)")  # fmt: skip
    rows = [
        dict(base, instance="A", status="done", seed=0, config_hash="aaa",
             date="2026-01-01T10:00:00+00:00"),
        dict(base, instance="B", status="done", seed=None, config_hash="bbb",
             date="2026-01-01T11:00:00+00:00"),
        dict(base, instance="C", status="skipped", seed=7, config_hash="ccc", date=None),
    ]  # fmt: skip
    s = summarise(rows).set_index("solver")
    assert s.loc["x", "config_hash"] == "aaa bbb" and s.loc["x", "seed"] == "0"
    assert s.loc["x", "relayroute_version"] == "0.1.0"
    assert s.loc["x", "machine"] == "m1 (x86_64, 2 CPUs)"
    assert s.loc["x", "date"] == "2026-01-01T11:00:00+00:00"
    assert s.loc["x", "instances"] == 2 and s.loc["x", "incomplete"] == 1

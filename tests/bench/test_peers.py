"""Peers stop on a stop request: OR-Tools and PyVRP with their best, VROOM's child process
terminated (bench/peers.py)."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from typing import TYPE_CHECKING

import pytest

from relayroute.bench.compare import Job, run_job
from relayroute.bench.literature import check_routes, read_benchmark
from relayroute.bench.peers import solve_ortools_plain, solve_pyvrp, solve_vroom, stoppable
from relayroute.solve.stop import request_stop

from .test_literature import TINY_SOLOMON

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def tiny(tmp_path: Path) -> str:
    f = tmp_path / "TINY3.txt"
    f.write_text(TINY_SOLOMON)
    return str(f)


def _stop_in(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, request_stop)
    timer.start()
    return timer


def _sleep_and_report(pid_file: str) -> int:
    with open(pid_file, "w") as fh:
        fh.write(str(os.getpid()))
    time.sleep(30)  # a search that cannot be stopped from outside
    return 1


def test_stoppable_terminates_its_child(tmp_path: Path) -> None:
    """A stop ends the child process at once: None comes back, the child is gone."""
    pid_file = tmp_path / "pid"
    _stop_in(0.5)
    t0 = time.perf_counter()
    assert stoppable(lambda: _sleep_and_report(str(pid_file))) is None
    assert time.perf_counter() - t0 < 3
    pid = int(pid_file.read_text())
    assert not multiprocessing.active_children()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_stoppable_returns_and_raises_as_the_work_does() -> None:
    """Without a stop: the child's result, or its error as RuntimeError."""
    assert stoppable(lambda: [[1, 2], [3]]) == [[1, 2], [3]]
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        stoppable(lambda: 1 / 0)


@pytest.mark.parametrize("peer", ["ortools", "pyvrp"])
def test_searching_peers_stop_with_their_best(peer: str, tiny: str) -> None:
    """With 30 s to search, a stop after 0.5 s ends the peer within 2 s with routes the
    checker accepts."""
    if peer == "pyvrp":
        pytest.importorskip("pyvrp")
    solve = {"ortools": solve_ortools_plain, "pyvrp": solve_pyvrp}[peer]
    bench = read_benchmark(tiny)
    _stop_in(0.5)
    t0 = time.perf_counter()
    routes = solve(bench, 30.0)
    assert time.perf_counter() - t0 < 2
    assert routes and check_routes(bench, routes) == []


def test_vroom_runs_in_a_child_and_a_stopped_run_is_not_complete(tiny: str) -> None:
    """VROOM answers from its child process; stopped, it has no routes and its row is
    marked interrupted, not feasible."""
    pytest.importorskip("vroom")
    bench = read_benchmark(tiny)
    assert check_routes(bench, solve_vroom(bench, 5.0)) == []
    request_stop()
    assert solve_vroom(bench, 5.0) == []
    row = run_job(Job(tiny, "peer:vroom", 5.0))
    assert row["status"] == "interrupted" and not row["feasible"]

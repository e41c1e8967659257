"""Stopping one solve and halting a whole command (solve/stop.py)."""

from __future__ import annotations

from relayroute.solve.stop import (
    halt,
    halted,
    on_stop,
    request_stop,
    reset,
    reset_halt,
    stop_requested,
)


def test_a_halt_outlives_the_reset_each_solve_makes() -> None:
    """A halt stops the running solve and, unlike a plain stop, is still there after the
    reset() a solve calls at its end, until reset_halt()."""
    request_stop()
    assert stop_requested() and not halted()
    reset()
    assert not stop_requested()
    halt()
    reset()  # the run in progress ended
    assert halted() and stop_requested()  # the next run stops (is skipped) too
    reset_halt()
    assert not halted() and not stop_requested()


def test_hooks_run_on_a_halt_and_at_once_inside_one() -> None:
    """on_stop hooks run when a halt comes, and on entering the block after one."""
    calls: list[str] = []
    with on_stop(lambda: calls.append("during")):
        halt()
    reset()  # as a solve does
    with on_stop(lambda: calls.append("entered")):
        pass
    assert calls == ["during", "entered"]

"""Stopping a solve early and keeping its best plan (SIGINT, SIGTERM, or a caller).

:func:`request_stop` may be called from any thread or a signal handler. The routing search
ends at its next solution, CP-SAT at once (from a watcher thread: its search runs with the
GIL released), and the pipeline skips what is left (more routing rounds, the way switch,
CP-SAT) and builds the plan from the best timing it has, marked ``interrupted``.

A command that runs many solves (``relayroute compare``, ``bench``) is stopped as a whole
with :func:`halt`: the solve in progress stops as above, and :func:`halted` stays true
after :func:`reset` (which every solve calls at its end), so the runs not started yet are
skipped; :func:`reset_halt` forgets it (the command is over).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

_STOP = threading.Event()  # this solve: cleared by reset() when the solve ends
_HALT = threading.Event()  # the whole command: cleared only by reset_halt()
_HOOKS: list[Callable[[], None]] = []
_LOCK = threading.Lock()


def request_stop() -> None:
    """Ask the running solve to stop soon and return its best plan."""
    _STOP.set()
    with _LOCK:
        hooks = list(_HOOKS)
    for hook in hooks:
        hook()


def halt() -> None:
    """Ask the whole command to stop: the running solve as :func:`request_stop`, and no
    solve after it (:func:`halted` stays true until :func:`reset_halt`)."""
    _HALT.set()
    request_stop()


def stop_requested() -> bool:
    """Whether a stop has been asked for since the last :func:`reset`, or a halt since the
    last :func:`reset_halt`."""
    return _STOP.is_set() or _HALT.is_set()


def halted() -> bool:
    """Whether the whole command was asked to stop (:func:`halt`)."""
    return _HALT.is_set()


def reset() -> None:
    """Forget an earlier stop (a new solve starts); a halt is kept."""
    _STOP.clear()


def reset_halt() -> None:
    """Forget a halt and any stop (the command it stopped is over)."""
    _HALT.clear()
    _STOP.clear()


class on_stop:
    """Run ``hook`` when a stop is asked for while inside the ``with`` block (at once if
    one already is)."""

    def __init__(self, hook: Callable[[], None]) -> None:
        self.hook = hook

    def __enter__(self) -> None:
        with _LOCK:
            _HOOKS.append(self.hook)
        if stop_requested():
            self.hook()

    def __exit__(self, *exc: object) -> None:
        with _LOCK:
            _HOOKS.remove(self.hook)

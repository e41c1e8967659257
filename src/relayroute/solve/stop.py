"""Stopping a solve early and keeping its best plan (SIGINT, SIGTERM, or a caller).

:func:`request_stop` may be called from any thread or a signal handler. The routing search
ends at its next solution, CP-SAT at once (from a watcher thread: its search runs with the
GIL released), and the pipeline skips what is left (more routing rounds, the way switch,
CP-SAT) and builds the plan from the best timing it has, marked ``interrupted``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

_STOP = threading.Event()
_HOOKS: list[Callable[[], None]] = []
_LOCK = threading.Lock()


def request_stop() -> None:
    """Ask the running solve to stop soon and return its best plan."""
    _STOP.set()
    with _LOCK:
        hooks = list(_HOOKS)
    for hook in hooks:
        hook()


def stop_requested() -> bool:
    """Whether a stop has been asked for since the last :func:`reset`."""
    return _STOP.is_set()


def reset() -> None:
    """Forget an earlier stop (a new solve starts)."""
    _STOP.clear()


class on_stop:
    """Run ``hook`` when a stop is asked for while inside the ``with`` block."""

    def __init__(self, hook: Callable[[], None]) -> None:
        self.hook = hook

    def __enter__(self) -> None:
        with _LOCK:
            _HOOKS.append(self.hook)
        if _STOP.is_set():
            self.hook()

    def __exit__(self, *exc: object) -> None:
        with _LOCK:
            _HOOKS.remove(self.hook)

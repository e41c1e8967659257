"""Checkpoint hours as the routing model can see them: a leg's minutes by the time it sets out.

A travel table's minutes are the fastest road with every gate open. A gate shut for hours
(or closed at night) makes a leg that reaches it then wait, or go round by another gate, as
the timing does it (:mod:`relayroute.solve.timing.dispatch`: a wait of more than
``DETOUR_WAIT`` minutes sends the leg by the fastest road through none of the gates it
would wait at, when that arrives earlier). :class:`GateClock` holds, for every pair of a
table's places and every time band of the day, the minutes that costs beyond the table's;
the routing model adds them to its arcs at each node's expected departure, so a truck is
planned round a shut checkpoint instead of being routed to its queue.

Expected queues (``waits``: a checkpoint's mean minutes waited per band, as a timed plan
showed them) count the same way, which is how a checkpoint's throughput reaches routing.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from relayroute.itineraries.problem import earliest_in

if TYPE_CHECKING:
    from collections.abc import Mapping

    from relayroute.network.travel import Route, TravelTable

# Minutes per time band of a clock: a leg's departure is read to the band it falls in.
STEP = 15.0
# Minutes waited at a gate before a leg goes round by another (the timing, the lower
# bound and the routing model's clocks alike).
DETOUR_WAIT = 5.0

# A checkpoint's hours and the expected queue per band: what a clock depends on.
Gates = dict[str, tuple[tuple[tuple[float, float], ...], tuple[float, ...]]]


@dataclass(frozen=True)
class GateClock:
    """Minutes beyond a table's fastest road, by departure band.

    Attributes
    ----------
    extra
        ``extra[i, j, k]``: minutes a leg from place ``i`` to place ``j`` of the table
        takes beyond ``table.minutes[i, j]`` when it sets out in band ``k`` (from
        ``k * step``); the rest of the day when it cannot arrive today.
    step
        Minutes per band.
    """

    extra: np.ndarray
    step: float = STEP

    def at(self, i: np.ndarray, j: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The extra minutes of legs ``i`` -> ``j`` (table indices) set out at ``t``;
        0 where ``t`` is not a number (no departure expected)."""
        known = np.isfinite(t)
        k = np.clip(np.where(known, t, 0.0) // self.step, 0, self.extra.shape[2] - 1)
        return np.where(known, self.extra[i, j, k.astype(np.int64)], 0.0)


_CLOCKS: weakref.WeakKeyDictionary[TravelTable, dict[object, GateClock | None]] = (
    weakref.WeakKeyDictionary()
)


def timed_gates(
    hours: Mapping[str, list[tuple[float, float]]],
    horizon: float,
    waits: Mapping[str, list[float]] | None = None,
) -> Gates:
    """The checkpoints whose hours shut them for part of ``[0, horizon]``, or whose
    expected queue is above 0 in some band, with both."""
    waits = waits or {}
    out: Gates = {}
    for cp in sorted(set(hours) | set(waits)):
        h = tuple((float(a), float(b)) for a, b in sorted(hours.get(cp, [])))
        shut = bool(h) and not any(a <= 0.0 and b >= horizon for a, b in h)
        queue = tuple(float(x) for x in waits.get(cp, []))
        if shut or any(x > 0 for x in queue):
            out[cp] = (h, queue)
    return out


def gate_clock(table: TravelTable, gates: Gates, horizon: float) -> GateClock | None:
    """The clock of ``table`` under ``gates`` (:func:`timed_gates`); None when no fastest
    road between its places crosses one of them (the table's minutes hold all day).
    Made once per table and gates."""
    if table.net.mode == "euclidean" or not gates:
        return None
    cache = _CLOCKS.setdefault(table, {})
    key = (tuple(sorted(gates.items())), horizon)
    if key not in cache:
        cache[key] = _clock(table, gates, horizon)
    return cache[key]


def _clock(table: TravelTable, gates: Gates, horizon: float) -> GateClock | None:
    n = len(table.places)
    bands = math.ceil(horizon / STEP) + 1
    extra = np.zeros((n, n, bands))
    found = False
    for a, i in table.index.items():
        for b, j in table.index.items():
            if i == j or not np.isfinite(table.minutes[i, j]):
                continue
            fast = table.route(a, b)
            if not any(c.checkpoint in gates for c in fast.crossings):
                continue
            found = True
            for k in range(bands):
                t = k * STEP
                took = _took(fast, t, gates)
                if took is None or took[1]:
                    shut = took[1] if took else [c.checkpoint for c in fast.crossings]
                    other = table.avoiding(a, b, frozenset(shut))
                    there = None if other is None else _took(other, t, gates)
                    if there is not None and (took is None or there[0] < took[0] - 1.0):
                        took = there
                extra[i, j, k] = (horizon - t if took is None else took[0]) - fast.minutes
    return GateClock(np.maximum(extra, 0.0)) if found else None


def _took(route: Route, t: float, gates: Gates) -> tuple[float, list[str]] | None:
    """(minutes to drive ``route`` setting out at ``t``, the gates waited at for more
    than DETOUR_WAIT); None when a gate on it stays shut for the rest of the day."""
    now, driven = t, 0.0
    waited: list[str] = []
    for c in route.crossings:
        now += c.offset - driven
        hours, queue = gates.get(c.checkpoint, ((), ()))
        at = earliest_in(list(hours), now)
        if at is None:
            return None
        if queue:
            at += queue[min(int(at // STEP), len(queue) - 1)]
        if at - now > DETOUR_WAIT:
            waited.append(c.checkpoint)
        now = at + c.delay
        driven = c.offset + c.delay
    return now + route.minutes - driven - t, waited

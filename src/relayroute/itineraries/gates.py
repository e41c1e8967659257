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
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from relayroute.itineraries.problem import earliest_in

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from relayroute.network.travel import Route, TravelTable

# Minutes per time band of a clock: a leg's departure is read to the band it falls in.
STEP = 15.0
# Minutes waited at a gate before a leg goes round by another (the timing, the lower
# bound and the routing model's clocks alike).
DETOUR_WAIT = 5.0

# A checkpoint's hours and the expected queue per band: what a clock depends on.
Gates = dict[str, tuple[tuple[tuple[float, float], ...], tuple[float, ...]]]


@dataclass
class Passage:
    """A road driven from a given time.

    Attributes
    ----------
    route
        The road.
    arrive
        Arrival at its end.
    inspect
        The inspection start at each of its crossings, in order.
    waited
        The checkpoints waited at for more than :data:`DETOUR_WAIT` minutes.
    """

    route: Route
    arrive: float
    inspect: list[float] = field(default_factory=list)
    waited: list[str] = field(default_factory=list)


def drive_through(
    route: Route,
    now: float,
    gate: Callable[[str, float, list[tuple[str, float]]], float | None],
) -> Passage | None:
    """Drive ``route`` setting out at ``now``, each crossing passed when ``gate`` says.

    Parameters
    ----------
    route
        The road, with its checkpoint crossings.
    now
        Minutes from midnight when the leg sets out.
    gate
        ``gate(checkpoint, reached, before)``: the inspection start at ``checkpoint``
        reached at ``reached`` (its hours, a queue, a free lane: the caller's rules),
        ``before`` being the ``(checkpoint, inspection start)`` of this road's earlier
        crossings; None when it stays shut for the rest of the day.

    Returns
    -------
    Passage or None
        None when a gate on the road stays shut.
    """
    out = Passage(route, now)
    driven = 0.0
    for c in route.crossings:
        now += c.offset - driven
        t = gate(c.checkpoint, now, list(zip((x.checkpoint for x in route.crossings), out.inspect)))
        if t is None:
            return None
        if t - now > DETOUR_WAIT:
            out.waited.append(c.checkpoint)
        out.inspect.append(t)
        now = t + c.delay
        driven = c.offset + c.delay
    out.arrive = now + (route.minutes - driven)
    return out


def quickest(
    route: Route,
    now: float,
    gate: Callable[[str, float, list[tuple[str, float]]], float | None],
    avoiding: Callable[[frozenset[str]], Route | None],
) -> Passage | None:
    """:func:`drive_through`, or the way round when it is sooner.

    A road that would wait at a gate for more than :data:`DETOUR_WAIT` minutes (or stays
    shut) goes by ``avoiding(gates)``, the fastest road through none of those gates, when
    that arrives over a minute earlier: the one detour rule of the timing, the lower
    bound and the routing model's clocks.
    """
    took = drive_through(route, now, gate)
    if not route.crossings or (took is not None and not took.waited):
        return took
    shut = took.waited if took else [c.checkpoint for c in route.crossings]
    other = avoiding(frozenset(shut))
    there = None if other is None else drive_through(other, now, gate)
    if there is not None and (took is None or there.arrive < took.arrive - 1.0):
        return there
    return took


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
    gate = _gate(gates)
    for a, i in table.index.items():
        for b, j in table.index.items():
            if i == j or not np.isfinite(table.minutes[i, j]):
                continue
            fast = table.route(a, b)
            if not any(c.checkpoint in gates for c in fast.crossings):
                continue
            found = True

            round_by = partial(table.avoiding, a, b)
            for k in range(bands):
                t = k * STEP
                took = quickest(fast, t, gate, round_by)
                extra[i, j, k] = (horizon if took is None else took.arrive) - t - fast.minutes
    # rounded: a road's minutes summed piece by piece differ from the table's in the last bits
    return GateClock(np.maximum(np.round(extra, 6), 0.0)) if found else None


def _gate(gates: Gates) -> Callable[[str, float, list[tuple[str, float]]], float | None]:
    """A gate's inspection start: within its hours, after its expected queue."""

    def at(checkpoint: str, now: float, before: list[tuple[str, float]]) -> float | None:
        hours, queue = gates.get(checkpoint, ((), ()))
        t = earliest_in(list(hours), now)
        if t is not None and queue:
            t += queue[min(int(t // STEP), len(queue) - 1)]
        return t

    return at

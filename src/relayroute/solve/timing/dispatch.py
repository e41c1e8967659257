"""The dispatcher: shared resources a trip's timing depends on, booked first come, first
served.

Three kinds of resource are shared between trucks: a relay station's **bays** (one
handover each at a time), its **loop drivers** (one excursion each at a time, within
shift and max duty) and a checkpoint's **lane** when it has an hourly throughput
(an inspection every ``60 / throughput`` minutes keeps any hour within the limit).

:func:`dispatch` times trips the way a dispatch office does: in order of when each
piece of work can start, every handover, crossing and excursion takes the first free
bay, lane and loop driver. It gives the greedy baseline its times and the CP-SAT
scheduler its first solution.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import math
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from relayroute.itineraries.gates import drive_through, quickest
from relayroute.itineraries.problem import earliest_in
from relayroute.itineraries.trips import Times

if TYPE_CHECKING:
    from collections.abc import Callable

    from relayroute.itineraries.problem import Problem
    from relayroute.itineraries.trips import PStop, Trip
    from relayroute.network.travel import Route

EPS = 1e-6


def lane_gap(throughput: int) -> float:
    """Minutes between inspections at a checkpoint of this hourly throughput."""
    return math.ceil(600 / throughput) / 10


@dataclass
class Calendar:
    """Busy intervals of one resource unit, kept sorted."""

    busy: list[tuple[float, float]] = field(default_factory=list)

    def free(self, a: float, b: float) -> bool:
        i = bisect.bisect_left(self.busy, (b, -math.inf))
        return all(not (s < b - EPS and a < e - EPS) for s, e in self.busy[max(0, i - 1) : i + 1])

    def next_free(self, a: float, length: float) -> float:
        """Earliest t ≥ a with [t, t + length) free."""
        t = a
        for s, e in self.busy:
            if e <= t + EPS:
                continue
            if s >= t + length - EPS:
                break
            t = e
        return t

    def book(self, a: float, b: float) -> None:
        bisect.insort(self.busy, (a, b))

    def unbook(self, a: float, b: float) -> None:
        self.busy.remove((a, b))


@dataclass
class LoopDriver:
    id: str
    pool: str
    station: str
    shift: tuple[float, float]
    max_duty: float
    cal: Calendar = field(default_factory=Calendar)

    def fits(self, a: float, b: float) -> bool:
        if a < self.shift[0] - EPS or b > self.shift[1] + EPS or not self.cal.free(a, b):
            return False
        if self.cal.busy:
            lo, hi = min(self.cal.busy[0][0], a), max(self.cal.busy[-1][1], b)
            return hi - lo <= self.max_duty + EPS
        return b - a <= self.max_duty + EPS


@dataclass
class Resources:
    bays: dict[str, list[Calendar]]
    drivers: dict[str, list[LoopDriver]]
    lanes: dict[str, Calendar]
    gap: dict[str, float]


def loop_drivers(prob: Problem, station: str) -> list[LoopDriver]:
    """The named loop drivers of a station: ``<pool>/<n>``."""
    return [
        LoopDriver(f"{pid}/{k + 1}", pid, station, shift, duty)
        for pid, count, shift, duty in prob.loop_pools(station)
        for k in range(count)
    ]


def empty_resources(prob: Problem) -> Resources:
    """The shared resources with nothing booked but the inspections ``prob`` holds
    already (a re-plan's frozen work)."""
    stations = [s for ss in prob.swap_stations.values() for s in ss]
    res = Resources(
        bays={s.id: [Calendar() for _ in range(s.bays)] for s in stations},
        drivers={s.id: loop_drivers(prob, s.id) for s in stations},
        lanes={
            c.id: Calendar() for c in prob.inst.checkpoints if c.throughput_per_hour is not None
        },
        gap={
            c.id: lane_gap(c.throughput_per_hour)
            for c in prob.inst.checkpoints
            if c.throughput_per_hour is not None
        },
    )
    for cid, times in prob.held_inspections.items():
        if cid in res.lanes:
            for t in times:
                res.lanes[cid].book(t, t + res.gap[cid])
    return res


def blocks(trip: Trip) -> list[tuple[int, int]]:
    """Stops 1..end split into pieces timed as a whole: an excursion, or a single stop."""
    out, i = [], 1
    excursions = dict(trip.excursions())
    while i < len(trip.stops):
        j = excursions.get(i, i)
        out.append((i, j))
        i = j + 1
    return out


@dataclass
class Placement:
    start: dict[int, float]
    arrive: dict[int, float]
    inspect: dict[int, list[float]]
    bay: dict[int, int]  # handover stop -> bay index
    driver: LoopDriver | None
    lanes: list[tuple[str, float]]
    depart: float = 0.0  # when the truck leaves the stop before the block
    # Legs sent round by another checkpoint than their fastest road's (leg index -> road).
    routes: dict[int, Route] = field(default_factory=dict)


def _simulate(
    prob: Problem,
    trip: Trip,
    i0: int,
    i1: int,
    depart: float,
    wait: float,
    res: Resources,
    detours: bool = False,
) -> Placement | tuple[str, int]:
    """Stops i0..i1 after leaving stop i0-1 at ``depart``, waiting ``wait`` before i0;
    with ``detours``, a leg that would wait at a gate goes round by another open one
    where that arrives earlier."""
    place = Placement({}, {}, {}, {}, None, [])
    now = depart
    taken: list[tuple[str, float]] = []
    own_bays: list[tuple[str, int, float, float]] = []
    for i in range(i0, i1 + 1):
        leg, stop = trip.legs[i - 1], trip.stops[i]
        gate = _lane_gate(prob, res, taken)
        if detours:
            drive = quickest(leg.route, now, gate, partial(_round, prob, trip, i - 1))
        else:
            drive = drive_through(leg.route, now, gate)
        if drive is None:
            return ("checkpoint_hours", i)
        if drive.route is not leg.route:
            place.routes[i - 1] = drive.route
        taken += [
            (c.checkpoint, t)
            for c, t in zip(drive.route.crossings, drive.inspect)
            if res.gap.get(c.checkpoint) is not None
        ]
        place.inspect[i - 1] = drive.inspect
        now = drive.arrive
        place.arrive[i] = now
        earliest = max(now + (wait if i == i0 else 0.0), stop.ready)
        length = stop.service if stop.kind == "handover" else 0.0
        t = earliest_in(stop.hours, earliest, length)
        if t is not None and stop.kind == "handover" and stop.station is not None:
            t, bay = _bay(res.bays[stop.station], stop, t, length, own_bays)
            if t is not None and bay is not None:
                place.bay[i] = bay
                own_bays.append((stop.station, bay, t, t + stop.service))
        if t is None:
            return ("station_hours" if stop.kind == "handover" else "site_hours", i)
        place.start[i] = t
        now = t + stop.service
    place.lanes = taken
    return place


def _lane_gate(
    prob: Problem, res: Resources, taken: list[tuple[str, float]]
) -> Callable[[str, float, list[tuple[str, float]]], float | None]:
    """A gate passed within its hours and with its lane free, also of this block's
    inspections (``taken``) and the road's own earlier ones."""
    cps = prob.inst.checkpoints_by_id

    def at(checkpoint: str, now: float, before: list[tuple[str, float]]) -> float | None:
        return _inspection(res, checkpoint, cps[checkpoint].hours, now, taken + before)

    return at


def _round(prob: Problem, trip: Trip, k: int, shut: frozenset[str]) -> Route | None:
    """The fastest road of leg ``k`` through none of the checkpoints ``shut``."""
    leg = trip.legs[k]
    table = prob.loop_tables[leg.zone] if leg.zone else prob.table(trip.vehicle.truck)
    return table.avoiding(trip.stops[k].place, trip.stops[k + 1].place, shut)


def _inspection(
    res: Resources,
    checkpoint: str,
    hours: list[tuple[float, float]],
    now: float,
    taken: list[tuple[str, float]],
) -> float | None:
    """The earliest inspection at ``checkpoint`` from ``now`` within its hours, with its
    lane free (also of this block's own inspections, ``taken``); None if none today."""
    hours = [(a, b) for a, b in hours]
    t = earliest_in(hours, now)
    gap = res.gap.get(checkpoint)
    for _ in range(1000):
        if t is None or gap is None:
            break
        lane = res.lanes[checkpoint]
        u = lane.next_free(t, gap)
        for cp, x in taken:
            if cp == checkpoint and x < u + gap - EPS and u < x + gap - EPS:
                u = x + gap
        if abs(u - t) < EPS:
            break
        t = earliest_in(hours, u)
    return t


def _bay(
    bays: list[Calendar],
    stop: PStop,
    t: float | None,
    length: float,
    own_bays: list[tuple[str, int, float, float]],
) -> tuple[float | None, int | None]:
    """The earliest start from ``t`` of a handover with a bay free (also of this block's
    own handovers, ``own_bays``) within the station's hours, and the bay (None: no start,
    or no bay found in 1000 tries)."""
    for _ in range(1000):
        if t is None:
            break
        best = None
        for b, cal in enumerate(bays):
            u = cal.next_free(t, stop.service)
            for st, bb, a, e in own_bays:
                if st == stop.station and bb == b and a < u + stop.service and u < e:
                    u = e
            if best is None or u < best[0] - EPS:
                best = (u, b)
        assert best is not None
        if abs(best[0] - t) < EPS:
            return t, best[1]
        t = earliest_in(stop.hours, best[0], length)
    return t, None


def place_block(
    prob: Problem,
    trip: Trip,
    i0: int,
    i1: int,
    depart: float,
    res: Resources,
    horizon: float,
    detours: bool = False,
) -> Placement | tuple[str, int]:
    """The earliest timing of stops i0..i1 with free resources, or (why not, at which
    stop); with ``detours``, legs may go round a shut or queued-up checkpoint."""
    first = trip.stops[i0]
    excursion = first.kind == "handover" and first.direction == "in" and i1 > i0
    # From the depot the truck leaves later rather than waiting on the way.
    from_depot = i0 == 1
    wait = 0.0

    def hold(minutes: float) -> None:
        nonlocal wait, depart
        if from_depot:
            depart += minutes
        else:
            wait += minutes

    for _ in range(2000):
        p = _simulate(prob, trip, i0, i1, depart, wait, res, detours)
        if not isinstance(p, Placement):
            return p
        p.depart = depart
        if from_depot and p.start[i0] - p.arrive[i0] > EPS:
            depart += p.start[i0] - p.arrive[i0]
            continue
        if not excursion:
            return p
        # The loop driver takes the truck in no earlier than the first inside stop needs.
        idle = p.start[i0 + 1] - p.arrive[i0 + 1]
        if idle > EPS:
            hold(idle)
            continue
        a = p.start[i0]
        b = p.start[i1] + trip.stops[i1].service
        if a > horizon:
            return ("loop_drivers", i0)
        assert first.station is not None
        drivers = res.drivers[first.station]
        fit = _fitting(drivers, a, b)
        if fit:
            # Prefer a driver already on duty, so fewer loop drivers are called in.
            fit.sort(key=lambda d: (not d.cal.busy, d.id))
            p.driver = fit[0]
            return p
        # Wait until the next driver is free (or comes on shift).
        nexts = [d.shift[0] for d in drivers if d.shift[0] > a + EPS]
        nexts += [e for d in drivers for s, e in d.cal.busy if e > a + EPS]
        if not nexts:
            return ("loop_drivers", i0)
        hold(min(nexts) - a)
    return ("loop_drivers", i0)


def _fitting(drivers: list[LoopDriver], a: float, b: float) -> list[LoopDriver]:
    """The drivers free for an excursion [a, b]. Drivers of one pool not yet called in are
    alike: one of them is asked for all (large days have hundreds)."""
    fresh: dict[str, bool] = {}
    out = []
    for d in drivers:
        if d.cal.busy:
            ok = d.fits(a, b)
        else:
            if d.pool not in fresh:
                fresh[d.pool] = d.fits(a, b)
            ok = fresh[d.pool]
        if ok:
            out.append(d)
    return out


Booking = tuple[Calendar, float, float]


def commit(trip: Trip, p: Placement, res: Resources, drivers: dict[int, str]) -> list[Booking]:
    """Book the placement's resources; returns the bookings (to undo with :func:`release`)."""
    done: list[Booking] = []
    for i, bay in p.bay.items():
        station = trip.stops[i].station
        assert station is not None
        done.append((res.bays[station][bay], p.start[i], p.start[i] + trip.stops[i].service))
    for cp, x in p.lanes:
        done.append((res.lanes[cp], x, x + res.gap[cp]))
    if p.driver is not None:
        first, last = min(p.start), max(p.start)
        done.append((p.driver.cal, p.start[first], p.start[last] + trip.stops[last].service))
        drivers[first] = p.driver.id
    for cal, a, b in done:
        cal.book(a, b)
    return done


def release(bookings: list[Booking]) -> None:
    for cal, a, b in bookings:
        cal.unbook(a, b)


@dataclass
class Timed:
    """A trip with its times and the loop driver of each excursion (by handover-in stop)."""

    trip: Trip
    times: Times
    drivers: dict[int, str]


def dispatch(
    prob: Problem, trips: list[Trip], res: Resources | None = None, detours: bool = False
) -> tuple[list[Timed], dict[int, tuple[str, int]]]:
    """Time all trips first come, first served.

    Returns the timed trips and, for each trip that cannot be timed, why and at which
    stop: a window cannot be met or a resource never frees up in time. The truck's
    hours and duty and the shipments' deadlines are checked by the caller. With
    ``detours``, a leg that would wait more than :data:`DETOUR_WAIT` minutes at a gate
    (shut for hours, or its lanes booked up) is sent round by the fastest road through
    none of the gates it would wait at, when that arrives earlier: the timed trip then
    carries that road.
    """
    res = res or empty_resources(prob)
    horizon = 3 * prob.inst.horizon
    starts = [{0: t.stops[0].ready} for t in trips]
    inspects: list[dict[int, list[float]]] = [{} for _ in trips]
    drivers: list[dict[int, str]] = [{} for _ in trips]
    roads: list[dict[int, Route]] = [{} for _ in trips]
    pieces = [blocks(t) for t in trips]
    failed: dict[int, tuple[str, int]] = {}
    queue = [(t.stops[0].ready, k, 0) for k, t in enumerate(trips) if pieces[k]]
    heapq.heapify(queue)
    while queue:
        depart, k, b = heapq.heappop(queue)
        i0, i1 = pieces[k][b]
        p = place_block(prob, trips[k], i0, i1, depart, res, horizon, detours)
        if not isinstance(p, Placement):
            failed[k] = p
            continue
        commit(trips[k], p, res, drivers[k])
        roads[k].update(p.routes)
        if i0 == 1:
            starts[k][0] = p.depart
        starts[k].update(p.start)
        inspects[k].update(p.inspect)
        if b + 1 < len(pieces[k]):
            heapq.heappush(queue, (p.start[i1] + trips[k].stops[i1].service, k, b + 1))
    out = []
    for k, t in enumerate(trips):
        if k in failed:
            out.append(Timed(t, Times([], []), {}))
            continue
        times = Times(
            [starts[k][i] for i in range(len(t.stops))],
            [inspects[k][i] for i in range(len(t.legs))],
        )
        if roads[k]:
            legs = [
                dataclasses.replace(leg, route=roads[k][i]) if i in roads[k] else leg
                for i, leg in enumerate(t.legs)
            ]
            t = dataclasses.replace(t, legs=legs)
        for i, s in enumerate(t.stops):
            if s.kind == "delivery" and s.shipment is not None:
                times.delivered[s.shipment] = times.start[i] + s.service
        out.append(Timed(t, times, drivers[k]))
    return out, failed

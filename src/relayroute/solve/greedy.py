"""The greedy dispatcher: the baseline a dispatch office works by hand.

Shipments are taken by due time (then ready time). Each goes to the truck that is free
earliest at the pickup (free time plus the drive there) among those that can carry it,
appended to the end of that truck's day as one pickup and one delivery (no
consolidation: one shipment per trip and per loop-driver excursion). A relay trip uses
the nearest relay station still open when the truck gets there, and the first loop
driver and bay free there; checkpoints with a throughput serve trucks first come, first
served. If no truck can take a shipment by road within its deadline and the trucks'
hours, it goes by the earliest rail departure with room whose two truck legs find a
truck, else it is left unserved; the dispatcher does not transload. It is the yardstick
for what optimisation is worth.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from relayroute.itineraries.build import vehicle_classes
from relayroute.itineraries.problem import INTERRUPTED, Problem, Reason, earliest_in
from relayroute.itineraries.trips import PLeg, PStop, Times, Trip, Visit, plan_trip
from relayroute.solve.budget import OUT_OF_TIME
from relayroute.solve.stop import stop_requested
from relayroute.solve.timing.dispatch import (
    Booking,
    Placement,
    Resources,
    Timed,
    blocks,
    commit,
    empty_resources,
    place_block,
    release,
)
from relayroute.solve.timing.repair import complete_ways
from relayroute.solve.to_plan import RAIL_FULL

if TYPE_CHECKING:
    from relayroute.itineraries.ways import Way
    from relayroute.network import Profile

NO_TRUCK = Reason(
    "no_truck_free",
    "the dispatcher found no truck that could take it within its deadline, the trucks' "
    "hours and duty, and the loop drivers, bays and checkpoints free in time",
)


@dataclass
class _Truck:
    visits: list[Visit] = field(default_factory=list)
    vehicle: int | None = None  # fixed once it makes a relay trip
    trip: Trip | None = None
    times: Times | None = None
    drivers: dict[int, str] = field(default_factory=dict)
    end_bookings: list[Booking] = field(default_factory=list)
    free_at: float = 0.0


# Margin (minutes) by which a lower bound must break a limit before a truck is passed
# over untried: far above float rounding, far below any time the plans are read in.
BOUND_MARGIN = 1e-4

Tail = tuple[list[PLeg], list[PStop]]


class _Fleet:
    """What the dispatcher reads about each truck, looked up once a run rather than once
    a shipment x truck, and the lower bounds that pass over trucks which cannot serve a
    shipment without trying them.

    A truck is tried by timing its day's new tail against the shared resources
    (:func:`_extend`). Far cheaper is a lower bound of that timing: every window kept,
    and each wait for a bay, a loop driver or a checkpoint lane replaced by the
    earliest time one *could* be free (a long enough gap in some calendar). Each step
    of it is at most the real step and non-decreasing in its input, so a truck whose
    bound already misses a window, the deadline, its hours or its duty would have been
    refused: it is passed over and the dispatcher's choices stay the same. The
    resources do not change while one shipment's trucks are tried (a refused trial
    gives back what it booked). The tail from a place depends on the truck only
    through its driver class, its end depot and its home stations in the shipment's
    zones; one is planned per such key and shipment.
    """

    def __init__(self, prob: Problem, state: dict[str, _Truck]) -> None:
        inst = prob.inst
        self.prob = prob
        self.pool = {t.id: t.driver_pool for t in inst.trucks}
        self.depot = {t.id: prob.depot_place(t) for t in inst.trucks}
        self.end = {t.id: prob.depot_place(t, end=True) for t in inst.trucks}
        self.profile: dict[str, Profile] = dict(prob.profiles)
        self.gate_hours = {c.id: [(a, b) for a, b in c.hours] for c in inst.checkpoints}
        # Where each truck is free, and when, as arrays: the order of trucks to try is
        # computed for all of them at once. Ties go by truck id, as in a sort by (time, id).
        ids = sorted(self.pool)
        self.pos = {t: k for k, t in enumerate(ids)}
        self.ids = ids
        self.truck_of = np.array([self.pos[v.truck] for v in prob.vehicles], dtype=np.intp)
        self.free = np.array([state[t].free_at for t in ids], dtype=float)
        self.at = np.zeros(len(ids), dtype=np.intp)  # index in its profile's table
        self.inside = np.zeros(len(ids), dtype=bool)
        profiles = sorted(set(self.profile.values()), key=repr)
        self.group = {
            prof: np.array([k for k, t in enumerate(ids) if self.profile[t] == prof], dtype=np.intp)
            for prof in profiles
        }
        for t in ids:
            self.moved(t, state[t])
        self._drive: dict[tuple[Profile, str], np.ndarray] = {}
        self._tails: dict[tuple[object, ...], Tail | None] = {}
        self._doomed: dict[tuple[object, ...], float] = {}
        self._ends: dict[tuple[object, ...], list[tuple[float, float]]] = {}
        self._gaps: dict[tuple[str, str, float], tuple[list[float], list[float]]] = {}

    def here(self, st: _Truck, truck: str) -> str:
        """Where the truck is free: its last stop before going home, or its depot."""
        here = st.trip.stops[-2].place if st.trip is not None else None
        return here or self.depot[truck]

    def moved(self, truck: str, st: _Truck) -> None:
        """Take note of where and when a truck is free after its day changed."""
        k = self.pos[truck]
        here = self.here(st, truck)
        self.free[k] = st.free_at
        self.at[k] = self.prob.tables[self.profile[truck]].index[here]
        self.inside[k] = self.prob.place_zone[here] is not None

    def order(self, eligible: list[int], place: str) -> list[tuple[str, list[int]]]:
        """The trucks of the ``eligible`` vehicles with their vehicles (in the order
        given), by when each can be at ``place`` (or at the nearest relay station to it,
        or at once when it is free inside a zone), then by id."""
        prob = self.prob
        vehicles = np.asarray(eligible, dtype=np.intp)
        of = self.truck_of[vehicles]
        grouped = np.argsort(of, kind="stable")
        ks, first = np.unique(of[grouped], return_index=True)
        last = np.append(first[1:], len(grouped))
        reach = np.empty(len(ks))
        for prof, members in self.group.items():
            mine = np.isin(ks, members)
            if not mine.any():
                continue
            vec = self._drive.get((prof, place))
            if vec is None:
                table = prob.tables[prof]
                zone = prob.place_zone[place]
                targets = [place] if zone is None else [s.place for s in prob.swap_stations[zone]]
                # The same floats as the minimum over the targets one truck at a time.
                vec = table.minutes[:, [table.index[p] for p in targets]].min(axis=1)
                self._drive[(prof, place)] = vec
            k = ks[mine]
            reach[mine] = self.free[k] + np.where(self.inside[k], 0.0, vec[self.at[k]])
        # Stable: equal times keep the id order of ``ks``.
        by_truck = vehicles[grouped].tolist()
        starts, ends, trucks = first.tolist(), last.tolist(), ks.tolist()
        return [
            (self.ids[trucks[i]], by_truck[starts[i] : ends[i]])
            for i in np.argsort(reach, kind="stable").tolist()
        ]

    def begin(self) -> None:
        """Forget the tails and bounds of the previous shipment: between two shipments
        the trucks' days and the resources booked change."""
        self._tails.clear()
        self._doomed.clear()
        self._ends.clear()
        self._gaps.clear()

    def cannot(self, st: _Truck, truck: str, veh: int, sid: str, res: Resources) -> bool:
        """True when the truck certainly cannot serve shipment ``sid`` (a pickup and a
        delivery) at the end of its day: a lower bound of its timing (:meth:`_bound`)
        already misses a window, the deadline, its hours or its duty. ``res`` must stay
        as it is until :meth:`begin` is called again."""
        prob = self.prob
        sh = prob.inst.shipments_by_id[sid]
        vehicle = prob.vehicles[veh]
        zones = (prob.place_zone[sh.origin], prob.place_zone[sh.destination])
        stations = tuple(vehicle.station(z) if z is not None else None for z in zones)
        # The trial frees the lanes of the truck's drive home first (its end bookings).
        own = (
            frozenset(
                c for c, cal in res.lanes.items() if any(b[0] is cal for b in st.end_bookings)
            )
            if st.end_bookings
            else frozenset()
        )
        key = (self.profile[truck], self.end[truck], stations, self.here(st, truck), own)
        if key not in self._tails:
            self._tails[key] = self._tail(st, veh, sid)
        tail = self._tails[key]
        if tail is None:
            return True  # no trip at all: _extend would find none either
        depart = st.free_at
        if depart >= self._doomed.get(key, np.inf):
            return True
        _, hi, duty = prob.duty[truck]
        # Latest end of the day its hours (and, once out, its duty) allow.
        first = st.times.start[0] if st.times is not None else None
        limit = hi if first is None else min(hi, first + duty)
        limit += 1e-6 + BOUND_MARGIN
        # The bound grows with the start: one already found for an earlier start of the
        # same tail bounds this one too.
        seen = self._ends.setdefault(key, [])
        k = bisect.bisect_right(seen, (depart, np.inf))
        if k and seen[k - 1][1] > limit:
            return True
        bound = self._bound(tail, depart, sid, sh.deadline, res, own)
        if bound is None:
            # The bound never decreases with the start: later starts fail too.
            self._doomed[key] = min(depart, self._doomed.get(key, np.inf))
            return True
        end, driven = bound
        bisect.insort(seen, (depart, end))
        return end > limit or (first is None and driven > duty + 1e-6 + BOUND_MARGIN)

    def _tail(self, st: _Truck, veh: int, sid: str) -> Tail | None:
        new = [Visit("pickup", sid), Visit("delivery", sid)]
        trip = plan_trip(self.prob, self.prob.vehicles[veh], new, split=True, base=st.trip)
        if trip is None:
            return None
        first = len(st.trip.stops) - 1 if st.trip is not None else 1
        return trip.legs[first - 1 :], trip.stops[first:]

    def _bound(
        self,
        tail: Tail,
        depart: float,
        sid: str,
        deadline: float | None,
        res: Resources,
        own: frozenset[str],
    ) -> tuple[float, float] | None:
        """(earliest start of the end stop, minutes driven and served) of a tail left at
        ``depart``; None if a window or the deadline is certainly missed. The steps are
        :func:`~relayroute.solve.timing.dispatch.place_block`'s with every wait for a
        bay, a lane or a loop driver replaced by the earliest time one *could* be free
        (a gap long enough in some calendar, :meth:`_free_from`), which is never later.
        ``own``: checkpoints whose lane holds the truck's own drive home, which the
        trial frees first; their lanes are not looked at."""
        now = depart
        driven_total = 0.0
        legs, stops = tail
        length = 0.0  # minutes, no waits, of the excursion a handover-in starts
        for k, (leg, stop) in enumerate(zip(legs, stops)):
            driven = 0.0
            for c in leg.route.crossings:
                now += c.offset - driven
                t = self._inspection(c.checkpoint, now, own, res)
                if t is None:
                    return None
                now = t + c.delay
                driven = c.offset + c.delay
            now += leg.route.minutes - driven
            driven_total += leg.route.minutes + stop.service
            earliest = max(now, stop.ready)
            if stop.kind == "handover" and stop.station is not None:
                if stop.direction == "in":
                    length = _excursion_minutes(legs, stops, k)
                start = self._handover(stop, earliest, length if stop.direction == "in" else 0, res)
                if start is None:
                    return None
                t = start
            else:
                t = earliest_in(stop.hours, earliest - BOUND_MARGIN)
                if t is None:
                    return None
            if stop.kind == "end":
                return t, driven_total - stop.service
            now = t + stop.service
            if (
                stop.kind == "delivery"
                and stop.shipment == sid
                and deadline is not None
                and now > deadline + 1e-6 + BOUND_MARGIN
            ):
                return None
        return now, driven_total

    def _inspection(
        self, checkpoint: str, t: float, own: frozenset[str], res: Resources
    ) -> float | None:
        """A lower bound of an inspection's start from ``t``: within the checkpoint's
        hours and, where it has a throughput, with its lane possibly free."""
        hours = self.gate_hours[checkpoint]
        gap = res.gap.get(checkpoint)
        for _ in range(100):
            t1 = earliest_in(hours, t - BOUND_MARGIN)
            if t1 is None or gap is None or checkpoint in own:
                return t1
            t2 = self._free_from(("lane", checkpoint, gap), t1, res)
            if t2 is None:
                return None
            if t2 <= t1 + BOUND_MARGIN:
                return t1
            t = t2
        return t  # still a lower bound: every step was one

    def _handover(self, stop: PStop, t: float, excursion: float, res: Resources) -> float | None:
        """A lower bound of a handover's start from ``t``: within the station's hours,
        with a bay that could be free and, taking a truck in for an excursion of
        ``excursion`` minutes (0: handing it back), a loop driver who could be free."""
        station = str(stop.station)
        for _ in range(100):
            t1 = earliest_in(stop.hours, t - BOUND_MARGIN, stop.service)
            if t1 is None:
                return None
            t2 = self._free_from(("bay", station, stop.service), t1, res)
            if t2 is None:
                return None
            if excursion > 0:
                t2 = self._free_from(("driver", station, excursion), t2, res)
                if t2 is None:
                    return None
            if t2 <= t1 + BOUND_MARGIN:
                return t1
            t = t2
        return t  # still a lower bound: every step was one

    def _free_from(self, what: tuple[str, str, float], t: float, res: Resources) -> float | None:
        """The earliest time from ``t`` at which a unit (a bay, or a loop driver within
        shift and duty) has ``what[2]`` minutes free; None if none has any more today.
        The free gaps of the station's calendars are gathered once a shipment."""
        gaps = self._gaps.get(what)
        if gaps is None:
            gaps = self._gaps[what] = _free_gaps(what, res)
        los, his = gaps
        i = bisect.bisect_left(his, t)
        return None if i == len(his) else max(t, los[i])


def _excursion_minutes(legs: list[PLeg], stops: list[PStop], k: int) -> float:
    """Minutes, no waits, from the handover-in at ``stops[k]`` to the end of the
    handover-out after it (``legs[m]`` arrives at ``stops[m]``)."""
    total = stops[k].service
    for m in range(k + 1, len(stops)):
        total += legs[m].route.minutes + stops[m].service
        if stops[m].kind == "handover" and stops[m].direction == "out":
            break
    return total


def _free_gaps(what: tuple[str, str, float], res: Resources) -> tuple[list[float], list[float]]:
    """Where a piece of work of ``what[2]`` minutes could start in one of a station's
    bays (``what[0] == "bay"``), with one of its loop drivers (within shift and max
    duty, ``"driver"``) or in a checkpoint's lane (``"lane"``): disjoint sorted intervals, as lists of starts and ends, each widened by
    ``BOUND_MARGIN`` for the calendars' tolerances."""
    kind, station, minutes = what
    m = BOUND_MARGIN
    units: list[tuple[list[tuple[float, float]], float, float]] = []
    if kind == "lane":  # ``station`` is a checkpoint here
        units = [(res.lanes[station].busy, -np.inf, np.inf)]
    elif kind == "bay":
        units = [(cal.busy, -np.inf, np.inf) for cal in res.bays[station]]
    else:
        units = [
            (d.cal.busy, d.shift[0], d.shift[1])
            for d in res.drivers[station]
            if minutes <= d.max_duty + m
        ]
    spans: set[tuple[float, float]] = set()
    for busy, lo, hi in units:
        prev = lo
        for s, e in busy:
            if s - minutes + m >= prev - m:
                spans.add((prev - m, s - minutes + m))
            prev = max(prev, e)
        if hi - minutes + m >= prev - m:
            spans.add((prev - m, hi - minutes + m))
    los: list[float] = []
    his: list[float] = []
    for a, b in sorted(spans):
        if his and a <= his[-1]:
            his[-1] = max(his[-1], b)
        else:
            los.append(a)
            his.append(b)
    return los, his


def _extend(
    prob: Problem, st: _Truck, veh: int, visits: list[Visit], res: Resources
) -> tuple[Trip, Times, dict[int, str], list[Booking], list[Booking]] | None:
    """Time the new tail of a truck's day; None if it cannot be done."""
    # The day so far stays exactly as it is; the new visits go on from its last stop.
    new = visits[len(st.visits) :] if st.trip is not None else visits
    trip = plan_trip(prob, prob.vehicles[veh], new, split=True, base=st.trip)
    if trip is None:
        return None
    horizon = 3 * prob.inst.horizon
    if st.trip is None or st.times is None:
        first = 1
        start = [trip.stops[0].ready]
        inspect: list[list[float]] = []
    else:
        first = len(st.trip.stops) - 1  # the old end stop is replaced
        start = st.times.start[:first]
        inspect = st.times.inspect[: first - 1]
    drivers = dict(st.drivers)
    booked: list[Booking] = []
    end_booked: list[Booking] = []
    depart = start[-1] + trip.stops[first - 1].service
    starts = dict(enumerate(start))
    inspects = dict(enumerate(inspect))
    for i0, i1 in blocks(trip):
        if i0 < first:
            continue
        p = place_block(prob, trip, i0, i1, depart, res, horizon)
        if not isinstance(p, Placement):
            release(booked + end_booked)
            return None
        done = commit(trip, p, res, drivers)
        if i0 == 1:
            starts[0] = p.depart
        (end_booked if trip.stops[i0].kind == "end" else booked).extend(done)
        starts.update(p.start)
        inspects.update(p.inspect)
        depart = p.start[i1] + trip.stops[i1].service
    times = Times(
        [starts[i] for i in range(len(trip.stops))],
        [inspects[i] for i in range(len(trip.legs))],
    )
    for i, s in enumerate(trip.stops):
        if s.kind == "delivery" and s.shipment is not None:
            times.delivered[s.shipment] = times.start[i] + s.service
    return trip, times, drivers, booked, end_booked


def _assign(
    prob: Problem,
    state: dict[str, _Truck],
    res: Resources,
    sid: str,
    left: dict[str, int],
    classes: dict[int, int] | None = None,
    fleet: _Fleet | None = None,
) -> bool:
    """Append shipment ``sid`` to the truck that can be at its pickup first; False if none can.

    ``classes`` (vehicle -> its class, :func:`~relayroute.itineraries.vehicle_classes`):
    trucks not yet out whose vehicles are of the same classes are alike, so once one of
    them could not take the shipment the others are not tried. ``fleet``: the run's
    look-ups and lower bounds (:class:`_Fleet`), made afresh when not given.
    """
    inst = prob.inst
    fleet = fleet or _Fleet(prob, state)
    fleet.begin()
    failed: set[tuple[object, ...]] = set()
    sh = inst.shipments_by_id[sid]
    for truck, variants in fleet.order(prob.eligible.get(sid, []), sh.origin):
        st = state[truck]
        pool = fleet.pool[truck]
        if st.trip is None and pool is not None and left.get(pool, 1) <= 0:
            continue
        alike = None
        if classes is not None and st.trip is None:
            alike = (pool, tuple(sorted(classes[v] for v in variants)))
            if alike in failed:
                continue
        if st.vehicle is not None:
            if st.vehicle not in variants:
                continue
            veh = st.vehicle
        else:
            veh = _nearest_station(prob, st, variants, sh.origin, sh.destination)
        if fleet.cannot(st, truck, veh, sid, res):
            # Refused for certain: what trying it would conclude, without the trial.
            if alike is not None:
                failed.add(alike)
            continue
        visits = [*st.visits, Visit("pickup", sid), Visit("delivery", sid)]
        old_end = st.end_bookings
        release(old_end)
        got = _extend(prob, st, veh, visits, res)
        if got is not None:
            trip, times, drivers, booked, end_booked = got
            _, hi, duty = prob.duty[truck]
            late = sh.deadline is not None and times.delivered[sid] > sh.deadline + 1e-6
            long_day = times.start[-1] > hi + 1e-6 or times.start[-1] - times.start[0] > duty + 1e-6
            if not (late or long_day):
                if st.trip is None and pool is not None and pool in left:
                    left[pool] -= 1
                relay = prob.itinerary[sid] != "direct"
                st.visits, st.trip, st.times, st.drivers = visits, trip, times, drivers
                st.end_bookings = end_booked
                st.vehicle = veh if (relay or st.vehicle is not None) else None
                st.free_at = times.start[-2] + trip.stops[-2].service
                fleet.moved(truck, st)
                return True
            release(booked + end_booked)
        for cal, a, b in old_end:
            cal.book(a, b)
        if alike is not None:
            failed.add(alike)
    return False


def _classes(prob: Problem) -> dict[int, int]:
    """Each vehicle's class of alike vehicles."""
    return {v: k for k, members in enumerate(vehicle_classes(prob)) for v in members}


def _timed(state: dict[str, _Truck]) -> list[Timed]:
    return [
        Timed(st.trip, st.times, st.drivers)
        for st in state.values()
        if st.trip is not None and st.times is not None
    ]


def _pools_left(prob: Problem, state: dict[str, _Truck]) -> dict[str, int]:
    """Drivers left in each outside pool: a truck not yet out needs one."""
    left = {p.id: p.count for p in prob.inst.driver_pools if p.kind == "outside"}
    for truck, st in state.items():
        pool = prob.inst.trucks_by_id[truck].driver_pool
        if st.trip is not None and pool in left:
            left[pool] -= 1
    return left


def greedy(prob: Problem, deadline: float | None = None) -> tuple[list[Timed], dict[str, Reason]]:
    """Dispatch every servable shipment by hand rules; timed trips and the ones left out.

    Parameters
    ----------
    prob
        The problem.
    deadline
        A ``time.perf_counter`` time: the shipments not yet dispatched by then are left
        out as :data:`~relayroute.solve.budget.OUT_OF_TIME`. Once a stop is asked for
        (:mod:`relayroute.solve.stop`), the rest are left out as ``interrupted``.
    """
    ships = prob.inst.shipments_by_id
    res = empty_resources(prob)
    state = {t.id: _Truck(free_at=prob.duty[t.id][0]) for t in prob.inst.trucks}
    left = _pools_left(prob, state)
    dropped: dict[str, Reason] = {}
    seats: dict[tuple[str, float], dict[str, float]] = {}
    classes = _classes(prob)
    fleet = _Fleet(prob, state)
    for sid in sorted(prob.ways, key=lambda s: (ships[s].due, ships[s].ready, s)):
        if stop_requested():
            dropped[sid] = INTERRUPTED
            continue
        if deadline is not None and time.perf_counter() > deadline:
            dropped[sid] = OUT_OF_TIME
            continue
        if sid in prob.eligible and _assign(prob, state, res, sid, left, classes, fleet):
            continue
        if not _by_rail(prob, state, res, sid, left, seats, classes, fleet):
            rail = [w for w in prob.ways[sid] if w.kind == "rail"]
            full = (
                rail and sid not in prob.eligible and all(_full(prob, sid, w, seats) for w in rail)
            )
            dropped[sid] = RAIL_FULL if full else NO_TRUCK
    return complete_ways(prob, _timed(state), dropped)


def _full(
    prob: Problem, sid: str, way: Way, seats: dict[tuple[str, float], dict[str, float]]
) -> bool:
    sh = prob.inst.shipments_by_id[sid]
    svc = next(s for s in prob.inst.rail_services if s.id == way.service)
    used = seats.get((str(way.service), float(way.departure or 0.0)), {})
    return any(
        used.get(d, 0.0) + q > svc.capacity.get(d, 0.0) + 1e-9 for d, q in sh.quantity.items()
    )


def _by_rail(
    prob: Problem,
    state: dict[str, _Truck],
    res: Resources,
    sid: str,
    left: dict[str, int],
    seats: dict[tuple[str, float], dict[str, float]],
    classes: dict[int, int] | None = None,
    fleet: _Fleet | None = None,
) -> bool:
    """The earliest departure with room left whose truck legs both find a truck.

    The dispatcher's fallback when no truck can take a shipment by road. A first leg
    placed for a departure whose second leg then finds no truck is taken out again at
    the end (:func:`complete_ways`).
    """
    sh = prob.inst.shipments_by_id[sid]
    services = {s.id: s for s in prob.inst.rail_services}
    rail = sorted(
        (w for w in prob.ways[sid] if w.kind == "rail"),
        key=lambda w: (w.departure or 0.0, w.service),
    )
    for way in rail:
        key = (str(way.service), float(way.departure or 0.0))
        cap = services[key[0]].capacity
        used = seats.setdefault(key, {})
        if any(used.get(d, 0.0) + q > cap.get(d, 0.0) + 1e-9 for d, q in sh.quantity.items()):
            continue
        if all(_assign(prob, state, res, leg, left, classes, fleet) for leg in way.parts):
            for d, q in sh.quantity.items():
                used[d] = used.get(d, 0.0) + q
            return True
    return False


def insert_dropped(
    prob: Problem, timed: list[Timed], dropped: dict[str, Reason], deadline: float | None = None
) -> tuple[list[Timed], dict[str, Reason]]:
    """Add what a plan left unserved at the end of a truck's day, where it still fits.

    The plan's trips keep their times, loop drivers, bays and checkpoint lanes; each
    left-out shipment (highest priority first) goes, dispatcher-style, to the truck that
    can be at its pickup first and still keep every rule. Past ``deadline`` (a
    ``time.perf_counter`` time) the rest stay out with their reasons.
    """
    ships = prob.inst.shipments_by_id
    res = empty_resources(prob)
    drivers = {d.id: d for ds in res.drivers.values() for d in ds}
    state = {t.id: _Truck(free_at=prob.duty[t.id][0]) for t in prob.inst.trucks}
    index = {veh: v for v, veh in enumerate(prob.vehicles)}
    for tt in timed:
        trip, times = tt.trip, tt.times
        for i, s in enumerate(trip.stops):
            if s.kind == "handover" and s.station is not None:
                a, b = times.start[i], times.start[i] + s.service
                bay = next((c for c in res.bays[s.station] if c.free(a, b)), None)
                if bay is None:  # a valid timing never has more handovers than bays
                    return timed, dropped
                bay.book(a, b)
        end: list[Booking] = []
        for k, leg in enumerate(trip.legs):
            for c, x in zip(leg.route.crossings, times.inspect[k]):
                if c.checkpoint in res.lanes:
                    booking = (res.lanes[c.checkpoint], x, x + res.gap[c.checkpoint])
                    booking[0].book(x, booking[2])
                    if k == len(trip.legs) - 1:
                        end.append(booking)
        for a, b in trip.excursions():
            drivers[tt.drivers[a]].cal.book(times.start[a], times.start[b] + trip.stops[b].service)
        st = state[trip.vehicle.truck]
        st.visits = [
            Visit("pickup" if s.kind == "pickup" else "delivery", s.shipment)
            for s in trip.stops
            if s.visit is not None and s.shipment is not None
        ]
        st.vehicle = index.get(trip.vehicle)
        st.trip, st.times, st.drivers, st.end_bookings = trip, times, dict(tt.drivers), end
        st.free_at = times.start[-2] + trip.stops[-2].service
    left = _pools_left(prob, state)
    classes = _classes(prob)
    fleet = _Fleet(prob, state)
    still: dict[str, Reason] = {}
    for sid in sorted(dropped, key=lambda s: (-ships[s].priority, ships[s].due, s)):
        late = stop_requested() or (deadline is not None and time.perf_counter() > deadline)
        if late or not (
            sid in prob.eligible and _assign(prob, state, res, sid, left, classes, fleet)
        ):
            still[sid] = dropped[sid]
    if len(still) == len(dropped):
        return timed, dropped
    return _timed(state), still


def _nearest_station(
    prob: Problem, st: _Truck, variants: list[int], origin: str, destination: str
) -> int:
    """The variant whose relay station is the nearest one still open when the truck gets
    there: from the pickup when the goods go in, from where the truck is when they come out."""
    if len(variants) == 1:
        return variants[0]
    veh0 = prob.vehicles[variants[0]]
    truck = prob.inst.trucks_by_id[veh0.truck]
    here = st.trip.stops[-2].place if st.trip is not None else prob.depot_place(truck)
    table = prob.table(truck.id)
    zone = prob.place_zone[origin] or prob.place_zone[destination]
    if zone is None or prob.place_zone[here] is not None:
        return variants[0]
    sh_from = origin if prob.place_zone[origin] is None else here
    t_from = st.free_at + float(table.minutes[table.index[here], table.index[sh_from]])

    def key(v: int) -> tuple[bool, float, int]:
        sid = prob.vehicles[v].station(zone)
        if sid is None:
            return (True, float("inf"), v)
        station = prob.station(sid)
        m = float(table.minutes[table.index[sh_from], table.index[station.place]])
        hours = [(a, b) for a, b in station.hours]
        shut = earliest_in(hours, t_from + m, station.handover_minutes) is None
        return (shut, m, v)

    return min(variants, key=key)

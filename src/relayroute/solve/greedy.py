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

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from relayroute.itineraries.build import vehicle_classes
from relayroute.itineraries.problem import INTERRUPTED, Problem, Reason, earliest_in
from relayroute.itineraries.trips import Times, Trip, Visit, plan_trip
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
) -> bool:
    """Append shipment ``sid`` to the truck that can be at its pickup first; False if none can.

    ``classes`` (vehicle -> its class, :func:`~relayroute.itineraries.vehicle_classes`):
    trucks not yet out whose vehicles are of the same classes are alike, so once one of
    them could not take the shipment the others are not tried.
    """
    inst = prob.inst
    failed: set[tuple[object, ...]] = set()
    sh = inst.shipments_by_id[sid]
    by_truck: dict[str, list[int]] = {}
    for v in prob.eligible.get(sid, []):
        by_truck.setdefault(prob.vehicles[v].truck, []).append(v)

    def reach(t: str) -> tuple[float, str]:
        return (state[t].free_at + _drive_to(prob, state[t], t, sh.origin), t)

    for truck in sorted(by_truck, key=reach):
        st = state[truck]
        pool = inst.trucks_by_id[truck].driver_pool
        if st.trip is None and pool is not None and left.get(pool, 1) <= 0:
            continue
        variants = by_truck[truck]
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
    for sid in sorted(prob.ways, key=lambda s: (ships[s].due, ships[s].ready, s)):
        if stop_requested():
            dropped[sid] = INTERRUPTED
            continue
        if deadline is not None and time.perf_counter() > deadline:
            dropped[sid] = OUT_OF_TIME
            continue
        if sid in prob.eligible and _assign(prob, state, res, sid, left, classes):
            continue
        if not _by_rail(prob, state, res, sid, left, seats, classes):
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
        if all(_assign(prob, state, res, leg, left, classes) for leg in way.parts):
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
    still: dict[str, Reason] = {}
    for sid in sorted(dropped, key=lambda s: (-ships[s].priority, ships[s].due, s)):
        late = stop_requested() or (deadline is not None and time.perf_counter() > deadline)
        if late or not (sid in prob.eligible and _assign(prob, state, res, sid, left, classes)):
            still[sid] = dropped[sid]
    if len(still) == len(dropped):
        return timed, dropped
    return _timed(state), still


def _drive_to(prob: Problem, st: _Truck, truck: str, place: str) -> float:
    """Minutes from where the truck is free to ``place`` (or the nearest relay station to it)."""
    table = prob.table(truck)
    here = st.trip.stops[-2].place if st.trip is not None else None
    here = here or prob.depot_place(prob.inst.trucks_by_id[truck])
    if prob.place_zone[here] is not None:
        return 0.0
    zone = prob.place_zone[place]
    targets = [place] if zone is None else [s.place for s in prob.swap_stations[zone]]
    return min(float(table.minutes[table.index[here], table.index[p]]) for p in targets)


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

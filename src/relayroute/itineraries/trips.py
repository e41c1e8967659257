"""A truck's day as the drivers live it: stops, relay handovers and legs.

The routing model sees a truck's route as a sequence of pickups and deliveries
(:class:`Visit`). :func:`plan_trip` turns it into the physical trip: wherever the route
passes between outside and a closed-loop zone it goes through the vehicle's home relay
station, where a handover stop gives the truck to a loop driver (``in``) or back to its
own driver (``out``). Each leg is driven by one driver class and carries its road path
and checkpoint crossings. :func:`transit_matrices` gives the routing model the same
times in matrix form; :func:`earliest_schedule` times a trip as early as its windows
allow, ignoring shared resources (loop drivers, bays, checkpoint throughput).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Literal

import numpy as np

from relayroute.itineraries.gates import GateClock, Gates, gate_clock, quickest
from relayroute.itineraries.problem import Problem, Vehicle, earliest_in

if TYPE_CHECKING:
    from collections.abc import Callable

    from relayroute.network.travel import Route


@dataclass(frozen=True)
class Visit:
    kind: Literal["pickup", "delivery"]
    shipment: str


@dataclass
class PStop:
    """A stop of the physical trip."""

    kind: Literal["start", "pickup", "delivery", "handover", "end"]
    place: str
    shipment: str | None = None
    station: str | None = None
    direction: Literal["in", "out"] | None = None
    zone: str | None = None  # the truck leaves this stop driven by a loop driver of this zone
    service: float = 0.0
    hours: list[tuple[float, float]] = field(default_factory=list)
    ready: float = 0.0
    deadline: float | None = None
    visit: int | None = None  # index of the routing visit this stop serves


@dataclass
class PLeg:
    route: Route
    zone: str | None  # driven by a loop driver of this zone; None: the truck's own driver


@dataclass
class Trip:
    vehicle: Vehicle
    stops: list[PStop]
    legs: list[PLeg]  # legs[i] joins stops[i] to stops[i+1]

    def excursions(self) -> list[tuple[int, int]]:
        """(handover-in stop, handover-out stop) of each loop-driven stretch."""
        out, opened = [], None
        for i, s in enumerate(self.stops):
            if s.kind == "handover" and s.direction == "in":
                opened = i
            elif s.kind == "handover" and s.direction == "out" and opened is not None:
                out.append((opened, i))
                opened = None
        return out


@dataclass
class Times:
    """Service start of every stop and inspection start of every crossing."""

    start: list[float]
    inspect: list[list[float]]
    delivered: dict[str, float] = field(default_factory=dict)
    arrive: list[float] = field(default_factory=list)


def plan_trip(
    prob: Problem,
    veh: Vehicle,
    visits: list[Visit],
    split: bool = False,
    breaks: frozenset[int] = frozenset(),
    base: Trip | None = None,
) -> Trip | None:
    """The physical trip of ``visits`` on vehicle ``veh``; None if a leg is impossible.

    Consecutive inside stops share one excursion, unless ``split``: then every pickup
    starts from outside, one shipment per excursion (the greedy dispatcher's way); or
    the visit's index is in ``breaks``: the truck returns to the station there and a
    fresh loop driver takes it on (an excursion must fit in one loop driver's duty).
    With ``base``, ``visits`` are appended to that trip's day: its stops stay as they
    are and the truck goes on from its last stop instead of driving home.
    """
    inst = prob.inst
    truck = inst.trucks_by_id[veh.truck]
    ships = inst.shipments_by_id
    places = inst.places_by_id
    lo, hi, _ = prob.duty[truck.id]
    stops = [PStop("start", prob.depot_place(truck), ready=lo)]
    legs: list[PLeg] = []
    mode: str | None = None
    offset = 0
    if base is not None:  # every trip ends outside, at its end depot
        stops, legs = list(base.stops[:-1]), list(base.legs[:-1])
        offset = sum(1 for st in stops if st.visit is not None)

    def go(place: str, stop: PStop) -> bool:
        a = stops[-1].place
        table = prob.loop_tables[mode] if mode is not None else prob.table(truck.id)
        if a not in table.index or place not in table.index or not table.reachable(a, place):
            return False
        legs.append(PLeg(table.route(a, place), mode))
        stops.append(stop)
        return True

    def handover(zone: str, direction: Literal["in", "out"]) -> bool:
        nonlocal mode
        sid = veh.station(zone)
        if sid is None:
            return False
        st = prob.station(sid)
        after = zone if direction == "in" else None
        stop = PStop(
            "handover",
            st.place,
            station=sid,
            direction=direction,
            zone=after,
            service=st.handover_minutes,
            hours=[(a, b) for a, b in st.hours],
        )
        if not go(st.place, stop):
            return False
        mode = after
        return True

    targets: list[tuple[Visit | None, str]] = [
        (v, ships[v.shipment].origin if v.kind == "pickup" else ships[v.shipment].destination)
        for v in visits
    ]
    targets.append((None, prob.depot_place(truck, end=True)))
    for k, (v, place) in enumerate(targets, start=offset):
        zone = prob.place_zone[place] if v is not None else None
        fresh = split and v is not None and v.kind == "pickup"
        if (fresh or k in breaks) and mode is not None and not handover(mode, "out"):
            return None
        if zone != mode:
            if mode is not None and not handover(mode, "out"):
                return None
            if zone is not None and not handover(zone, "in"):
                return None
        if v is None:
            if not go(place, PStop("end", place, deadline=hi)):
                return None
            break
        sh = ships[v.shipment]
        stop = PStop(
            v.kind,
            place,
            shipment=sh.id,
            zone=mode,
            service=sh.pickup_minutes if v.kind == "pickup" else sh.delivery_minutes,
            hours=[(a, b) for a, b in places[place].hours],
            ready=sh.ready if v.kind == "pickup" else 0.0,
            deadline=sh.deadline if v.kind == "delivery" else None,
            visit=k,
        )
        if not go(place, stop):
            return None
    return Trip(veh, stops, legs)


def shift_bounds(prob: Problem, station: str) -> tuple[float, float, float]:
    """(earliest shift start, latest shift end, longest duty) of a station's loop drivers."""
    pools = prob.loop_pools(station)
    return (
        min(p[2][0] for p in pools),
        max(p[2][1] for p in pools),
        max(p[3] for p in pools),
    )


def earliest_schedule(prob: Problem, truck: str, trip: Trip) -> Times | None:
    """Every stop as early as windows allow, with unlimited shared resources.

    None when a window cannot be met at all, or the truck's hours or duty break. A
    truck leaves its depot, and a loop driver takes it in, no earlier than needed:
    waiting for a ready time happens before the handover, not inside the loop
    driver's duty.
    """
    hold: dict[int, float] = {}
    times = None
    for _ in range(10):
        times = _forward(prob, trip, trip.stops[0].ready, hold)
        if times is None:
            return None
        moved = False
        for a, _b in trip.excursions():
            wait = times.start[a + 1] - times.arrive[a + 1]
            if wait > 1e-6:
                hold[a] = hold.get(a, 0.0) + wait
                moved = True
        if not moved:
            break
    assert times is not None
    for a, b in trip.excursions():
        station = trip.stops[a].station
        assert station is not None
        begin, end = times.start[a], times.start[b] + trip.stops[b].service
        if not any(
            lo - 1e-9 <= begin and end <= hi + 1e-9 and end - begin <= duty + 1e-9
            for _, _, (lo, hi), duty in prob.loop_pools(station)
        ):
            return None
    # Leave the depot later rather than wait at the first stop, if nothing moves.
    idle = times.start[1] - times.arrive[1] if len(trip.stops) > 2 else 0.0
    if idle > 1e-9:
        later = _forward(prob, trip, times.start[0] + idle, hold)
        if later is not None and all(
            abs(a - b) < 1e-6 for a, b in zip(later.start[1:], times.start[1:])
        ):
            times = later
    _, hi, duty = prob.duty[truck]
    if times.start[-1] > hi + 1e-9 or times.start[-1] - times.start[0] > duty + 1e-9:
        return None
    return times


def excursion_breaks(
    prob: Problem,
    veh: Vehicle,
    visits: list[Visit],
    t0: float | None = None,
    breaks: frozenset[int] = frozenset(),
) -> frozenset[int]:
    """Visits before which a long excursion hands over to a fresh loop driver.

    Times as early as windows allow from leaving the depot at ``t0``; an excursion is
    cut at the first inside stop that would end later than 90% of the station's longest
    loop-driver duty after it began, leaving room for queues. ``breaks`` are kept.
    """
    cuts: set[int] = set(breaks)
    for _ in range(len(visits)):
        trip = plan_trip(prob, veh, visits, breaks=frozenset(cuts))
        if trip is None:
            break
        start = trip.stops[0].ready if t0 is None else max(t0, trip.stops[0].ready)
        times = _forward(prob, trip, start, {})
        if times is None:
            break
        cut = None
        for a, b in trip.excursions():
            station = trip.stops[a].station
            assert station is not None
            limit = 0.9 * shift_bounds(prob, station)[2]
            inside = [i for i in range(a + 1, b) if trip.stops[i].visit is not None]
            # The first stop the driver could not finish and still bring the truck back.
            back = (
                times.start[b]
                + trip.stops[b].service
                - (times.start[inside[-1]] + trip.stops[inside[-1]].service)
            )
            for i in inside[1:]:
                if times.start[i] + trip.stops[i].service + back - times.start[a] > limit:
                    cut = trip.stops[i].visit
                    break
            if cut is not None:
                break
        if cut is None:
            break
        cuts.add(cut)
    return frozenset(cuts)


def _hours_gate(prob: Problem) -> Callable[[str, float, list[tuple[str, float]]], float | None]:
    """A gate passed within its hours (no queue, no lanes: the lower bound's view)."""
    cps = prob.inst.checkpoints_by_id

    def at(checkpoint: str, now: float, before: list[tuple[str, float]]) -> float | None:
        return earliest_in([(a, b) for a, b in cps[checkpoint].hours], now)

    return at


def _forward(prob: Problem, trip: Trip, t0: float, hold: dict[int, float]) -> Times | None:
    """Every stop as early as windows allow from ``t0``; a leg that would wait at a gate
    goes round by the fastest road through none of the gates it waits at, where that
    arrives sooner (as the optimiser's timing does): ``inspect`` is of the road taken."""
    start = [t0]
    arrive = [t0]
    inspect: list[list[float]] = []
    delivered: dict[str, float] = {}
    now = t0
    gate = _hours_gate(prob)
    for i, (leg, stop) in enumerate(zip(trip.legs, trip.stops[1:]), start=1):
        table = prob.loop_tables[leg.zone] if leg.zone else prob.table(trip.vehicle.truck)
        round_by = partial(table.avoiding, trip.stops[i - 1].place, stop.place)
        drive = quickest(leg.route, now, gate, round_by)
        if drive is None:
            return None
        now = drive.arrive
        inspect.append(drive.inspect)
        arrive.append(now)
        earliest = max(now + hold.get(i, 0.0), stop.ready)
        if stop.kind == "handover" and stop.direction == "in" and stop.station:
            lo, _, _ = shift_bounds(prob, stop.station)
            earliest = max(earliest, lo)
        t = earliest_in(stop.hours, earliest, stop.service if stop.kind == "handover" else 0.0)
        if t is None:
            return None
        start.append(t)
        now = t + stop.service
        if stop.kind == "delivery" and stop.shipment is not None:
            delivered[stop.shipment] = now
    return Times(start, inspect, delivered, arrive)


def transit_matrices(
    prob: Problem,
    veh: Vehicle,
    node_places: list[str],
    service: np.ndarray,
    depart: np.ndarray | None = None,
    gates: Gates | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(minutes, km, loop minutes) between routing nodes for one vehicle.

    ``minutes[i, j]`` is service at i plus travel to j, relay handovers included; ``inf``
    where the vehicle cannot go. ``loop[i, j]`` is the part of it a loop driver works.
    With ``depart`` (each node's expected start, NaN: none) and ``gates``
    (:func:`~relayroute.itineraries.gates.timed_gates`), each leg of an arc also takes
    what the gates' hours and queues cost it when it sets out then (:class:`GateClock`).
    """
    out = prob.table(veh.truck)
    n = len(node_places)
    o = np.array([out.index[p] for p in node_places])
    zone = [prob.place_zone.get(p) for p in node_places]
    zones = sorted({z for z in zone if z is not None})
    za = np.array([zones.index(z) if z is not None else -1 for z in zone])
    minutes = np.full((n, n), np.inf)
    km = np.full((n, n), np.inf)
    loop_part = np.zeros((n, n))
    outside = za < 0
    block = np.ix_(outside, outside)
    minutes[block] = out.minutes[np.ix_(o[outside], o[outside])]
    km[block] = out.km[np.ix_(o[outside], o[outside])]

    # Per zone: into the station from outside, the station into the zone, and back.
    legs = {}
    for k, z in enumerate(zones):
        sid = veh.station(z)
        if sid is None:
            continue
        st = prob.station(sid)
        loop = prob.loop_tables[z]
        inside = za == k
        li = np.array([loop.index[p] for p in np.array(node_places)[inside]])
        s_out, s_loop = out.index[st.place], loop.index[st.place]
        h = st.handover_minutes
        ii = np.ix_(inside, inside)
        minutes[ii] = loop.minutes[np.ix_(li, li)]
        km[ii] = loop.km[np.ix_(li, li)]
        to_st = (out.minutes[o[outside], s_out], out.km[o[outside], s_out])
        from_st_loop = (loop.minutes[s_loop, li], loop.km[s_loop, li])
        minutes[np.ix_(outside, inside)] = to_st[0][:, None] + h + from_st_loop[0][None, :]
        loop_part[np.ix_(outside, inside)] = h + from_st_loop[0][None, :]
        loop_part[ii] = loop.minutes[np.ix_(li, li)] + service[inside][:, None]
        km[np.ix_(outside, inside)] = to_st[1][:, None] + from_st_loop[1][None, :]
        to_st_loop = (loop.minutes[li, s_loop], loop.km[li, s_loop])
        from_st = (out.minutes[s_out, o[outside]], out.km[s_out, o[outside]])
        minutes[np.ix_(inside, outside)] = to_st_loop[0][:, None] + h + from_st[0][None, :]
        loop_part[np.ix_(inside, outside)] = service[inside][:, None] + to_st_loop[0][:, None] + h
        km[np.ix_(inside, outside)] = to_st_loop[1][:, None] + from_st[1][None, :]
        legs[k] = (inside, st, s_out, to_st_loop, from_st_loop)
    for k1, k2 in ((a, b) for a in legs for b in legs if a != b):
        in1, st1, s1, to1, _ = legs[k1]
        in2, st2, s2, _, from2 = legs[k2]
        between = (out.minutes[s1, s2], out.km[s1, s2])
        minutes[np.ix_(in1, in2)] = (
            to1[0][:, None]
            + st1.handover_minutes
            + between[0]
            + st2.handover_minutes
            + from2[0][None, :]
        )
        km[np.ix_(in1, in2)] = to1[1][:, None] + between[1] + from2[1][None, :]
        loop_part[np.ix_(in1, in2)] = (
            service[in1][:, None]
            + to1[0][:, None]
            + st1.handover_minutes
            + st2.handover_minutes
            + from2[0][None, :]
        )
    if depart is not None and gates:
        extra, loop_extra = _gate_extra(prob, veh, node_places, service, depart, gates)
        minutes = minutes + extra
        loop_part = loop_part + loop_extra
    minutes = minutes + service[:, None]
    np.fill_diagonal(minutes, np.where(np.isfinite(np.diag(minutes)), service, np.inf))
    np.fill_diagonal(loop_part, 0.0)
    return minutes, km, np.where(np.isfinite(minutes), loop_part, 0.0)


def _gate_extra(
    prob: Problem,
    veh: Vehicle,
    node_places: list[str],
    service: np.ndarray,
    depart: np.ndarray,
    gates: Gates,
) -> tuple[np.ndarray, np.ndarray]:
    """(minutes, loop minutes) the gates add to each arc of :func:`transit_matrices`,
    leg by leg: each leg sets out when the one before it arrives, handovers included."""
    horizon = prob.inst.horizon
    out = prob.table(veh.truck)
    n = len(node_places)
    extra = np.zeros((n, n))
    loop_extra = np.zeros((n, n))
    clock_out = gate_clock(out, gates, horizon)
    zone = [prob.place_zone.get(p) for p in node_places]
    leave = depart + service
    o = np.array([out.index[p] for p in node_places])
    outside = np.array([z is None for z in zone])
    if clock_out is not None:
        oi = o[outside]
        extra[np.ix_(outside, outside)] = clock_out.at(
            oi[:, None], oi[None, :], leave[outside][:, None]
        )
    # Per zone: legs between its places and its station (the vehicle's).
    sides = {}
    for z in sorted({z for z in zone if z is not None}):
        sid = veh.station(z)
        if sid is None:
            continue
        st = prob.station(sid)
        loop = prob.loop_tables[z]
        inside = np.array([zz == z for zz in zone])
        li = np.array([loop.index[p] for p, zz in zip(node_places, zone) if zz == z])
        sides[z] = (inside, li, st, loop, gate_clock(loop, gates, horizon))

    def leg(clock: GateClock | None, i: np.ndarray, j: np.ndarray, t: np.ndarray) -> np.ndarray:
        if clock is None:
            return np.zeros(np.broadcast_shapes(np.shape(i), np.shape(j), np.shape(t)))
        return clock.at(i, j, t)

    for z, (inside, li, st, loop, clock_loop) in sides.items():
        s_out, s_loop, h = out.index[st.place], loop.index[st.place], st.handover_minutes
        ii = np.ix_(inside, inside)
        e = leg(clock_loop, li[:, None], li[None, :], leave[inside][:, None])
        extra[ii] += e
        loop_extra[ii] += e
        # Outside to inside: to the station, handover, into the zone.
        oi, t = o[outside], leave[outside]
        e1 = leg(clock_out, oi, np.full_like(oi, s_out), t)
        t2 = t + out.minutes[oi, s_out] + e1 + h
        e2 = leg(clock_loop, np.full((1, len(li)), s_loop), li[None, :], t2[:, None])
        extra[np.ix_(outside, inside)] += e1[:, None] + e2
        loop_extra[np.ix_(outside, inside)] += e2
        # Inside to outside (or to another zone's station): out to the station, handover.
        t = leave[inside]
        e1 = leg(clock_loop, li, np.full_like(li, s_loop), t)
        t2 = t + loop.minutes[li, s_loop] + e1 + h
        e2 = leg(clock_out, np.full((1, len(oi)), s_out), oi[None, :], t2[:, None])
        extra[np.ix_(inside, outside)] += e1[:, None] + e2
        loop_extra[np.ix_(inside, outside)] += e1[:, None]
        for z2, (in2, li2, st2, loop2, clock2) in sides.items():
            if z2 == z:
                continue
            s2_out, s2_loop = out.index[st2.place], loop2.index[st2.place]
            eb = leg(clock_out, np.array(s_out), np.array(s2_out), t2)
            t3 = t2 + out.minutes[s_out, s2_out] + eb + st2.handover_minutes
            e3 = leg(clock2, np.full((1, len(li2)), s2_loop), li2[None, :], t3[:, None])
            extra[np.ix_(inside, in2)] += (e1 + eb)[:, None] + e3
            loop_extra[np.ix_(inside, in2)] += e1[:, None] + e3
    return extra, loop_extra

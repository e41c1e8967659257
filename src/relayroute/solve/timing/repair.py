"""Repair where timing dropped work: from routed visit sequences to feasible timed trips.

The routing model does not see shared resources (bays, loop drivers, checkpoint
throughput) nor checkpoint and station hours exactly. When the dispatcher cannot time
a trip, or the timing breaks a deadline or the truck's hours, one shipment is taken
off that trip with the reason, and the trips are timed again (:func:`time_routes`); a
way is delivered whole or not at all (:func:`complete_ways`). Where timing dropped work,
CP-SAT may still time every route as routed (:func:`time_everything`), and the stations
whose relay work was dropped are the ones the next routing round asks less of
(:func:`stuck_stations`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relayroute.itineraries.problem import Reason
from relayroute.itineraries.trips import Times, Visit, excursion_breaks, plan_trip
from relayroute.solve.objective import score
from relayroute.solve.timing.dispatch import Timed, dispatch

if TYPE_CHECKING:
    from collections.abc import Callable

    from relayroute.itineraries.problem import Problem
    from relayroute.itineraries.trips import Trip
    from relayroute.solve.routing import RoutingResult
    from relayroute.solve.routing.model import Keep

REASONS = {
    "loop_drivers": "no loop driver of the relay station was free, on shift and within "
    "max duty in time for its excursion",
    "station_hours": "its excursion could not get a bay at the relay station within the "
    "station's hours",
    "checkpoint_hours": "its truck would meet a checkpoint after it closes for the day",
    "site_hours": "waiting for shared resources pushed its stop past the site's hours",
    "deadline_missed": "waiting for shared resources (loop drivers, bays, checkpoint "
    "throughput) would deliver it after its deadline",
    "truck_hours": "its truck could not finish the day within its hours and duty",
    "no_route": "no way to drive its trip on the chosen truck",
    "way_broken": "another part of its way (a truck leg to or from a rail or transload "
    "station) could not be timed, so the whole way was given up",
}


def reason(code: str) -> Reason:
    """The reason of a code of ``REASONS``."""
    return Reason(code, REASONS[code])


def _shipment_near(trip: Trip, i: int) -> str | None:
    """The shipment whose stop is at or after stop i, else the last one before."""
    after = [s.shipment for s in trip.stops[i:] if s.shipment]
    if after:
        return after[0]
    before = [s.shipment for s in trip.stops[:i] if s.shipment]
    return before[-1] if before else None


# Faults that taking any shipment off at or before the stop may mend: the truck gets
# there sooner (a stop past its site's or a checkpoint's hours, a deadline, the day).
_SOONER = frozenset({"site_hours", "checkpoint_hours", "deadline_missed", "truck_hours"})


def _moved_anyway(
    prob: Problem, trip: Trip, v: int, i: int, code: str, keep: Keep, sid: str
) -> str:
    """In a re-plan, the shipment to take off for a fault at stop ``i``: one this truck
    carries only in the new plan (it changes truck whatever happens next; the nearest
    at or before the stop) rather than ``sid``, which may be one it keeps from the old
    plan: the timing's drops then cost no more changes of truck."""
    if code not in _SOONER or keep.node_cost(v, ("p", _first(prob, sid))) > 0:
        return sid
    for s in reversed(trip.stops[: i + 1]):
        if s.shipment and keep.node_cost(v, ("p", _first(prob, s.shipment))) > 0:
            return s.shipment
    return sid


def _first(prob: Problem, sid: str) -> str:
    way = prob.way_of.get(sid)
    return way.parts[0] if way is not None else sid


def _stop_of(trip: Trip, sid: str) -> int:
    return next(
        (k for k, s in enumerate(trip.stops) if s.shipment == sid and s.kind == "delivery"),
        len(trip.stops) - 1,
    )


def _split_point(trip: Trip, i: int) -> int | None:
    """The visit in the middle of the excursion starting at stop i, if it has two or more."""
    for a, b in trip.excursions():
        if a == i:
            visits = [s.visit for s in trip.stops[a + 1 : b] if s.visit is not None]
            if len(visits) >= 2:
                return visits[len(visits) // 2]
    return None


def hard_fault(prob: Problem, tt: Timed) -> tuple[str, str] | None:
    """(reason code, shipment) for a timed trip that breaks a deadline or truck hours."""
    ships = prob.inst.shipments_by_id
    trip, times = tt.trip, tt.times
    for i, s in enumerate(trip.stops):
        if s.kind == "delivery" and s.shipment is not None:
            deadline = ships[s.shipment].deadline
            if deadline is not None and times.start[i] + s.service > deadline + 1e-6:
                return "deadline_missed", s.shipment
    _, hi, duty = prob.duty[trip.vehicle.truck]
    if times.start[-1] > hi + 1e-6 or times.start[-1] - times.start[0] > duty + 1e-6:
        last = _shipment_near(trip, len(trip.stops))
        if last is not None:
            return "truck_hours", last
    return None


def _route_trip(
    prob: Problem,
    v: int,
    visits: list[Visit],
    depart: float | None,
    breaks: frozenset[int] = frozenset(),
) -> tuple[Trip | None, frozenset[int]]:
    """The trip of vehicle v's visits, excursions cut to fit a loop driver's duty, leaving
    the depot no earlier than ``depart``; and the cuts made."""
    veh = prob.vehicles[v]
    cuts = excursion_breaks(prob, veh, visits, depart, breaks)
    trip = plan_trip(prob, veh, visits, breaks=cuts)
    if trip is not None and depart is not None:
        trip.stops[0].ready = max(trip.stops[0].ready, depart)
    return trip, cuts


def initial_trips(
    prob: Problem, routes: dict[int, list[Visit]], departs: dict[int, float] | None = None
) -> list[Trip] | None:
    """The trips of all routes as routed, or None if one cannot be driven at all."""
    departs = departs or {}
    trips = []
    for v in sorted(routes):
        if routes[v]:
            trip, _ = _route_trip(prob, v, routes[v], departs.get(v))
            if trip is None:
                return None
            trips.append(trip)
    return trips


def time_routes(
    prob: Problem,
    routes: dict[int, list[Visit]],
    departs: dict[int, float] | None = None,
    keep: Keep | None = None,
) -> tuple[list[Timed], dict[str, Reason]]:
    """Feasible timed trips for vehicle routes, and the shipments dropped on the way.

    ``departs`` gives each vehicle's planned depot departure (the routing model's),
    so a truck does not leave earlier than it needs to and wait out its duty. With
    ``keep`` (a re-plan's stability prices) a fault takes off a shipment that changes
    truck anyway before one the truck keeps from the old plan.
    """
    departs = departs or {}
    routes = {v: list(seq) for v, seq in routes.items() if seq}
    dropped: dict[str, Reason] = {}
    cuts: dict[int, frozenset[int]] = {}
    while True:
        keys = sorted(routes)
        trips: list[Trip] = []
        faults: dict[int, tuple[str, str]] = {}
        for v in keys:
            trip, cuts[v] = _route_trip(
                prob, v, routes[v], departs.get(v), cuts.get(v, frozenset())
            )
            if trip is None:  # the routing model never builds one; keep safe anyway
                faults[v] = ("no_route", routes[v][-1].shipment)
                continue
            trips.append(trip)
        if not faults:
            # The optimiser's timing: trucks go round a shut or queued-up checkpoint.
            timed, failed = dispatch(prob, trips, detours=True)
            for k, tt in enumerate(timed):
                v = keys[k]
                if k in failed:
                    code, i = failed[k]
                    cut = _split_point(tt.trip, i) if code == "loop_drivers" else None
                    if cut is not None:
                        # A shorter excursion may find a loop driver: cut before dropping.
                        cuts[v] = cuts[v] | {cut}
                        faults[v] = ("", "")
                        continue
                    sid = _shipment_near(tt.trip, i)
                    if sid is not None:
                        if keep is not None:
                            sid = _moved_anyway(prob, tt.trip, v, i, code, keep, sid)
                        faults[v] = (code, sid)
                    continue
                fault = hard_fault(prob, tt)
                if fault is not None and keep is not None:
                    code, sid = fault
                    at = len(tt.trip.stops) - 1 if code == "truck_hours" else _stop_of(tt.trip, sid)
                    fault = (code, _moved_anyway(prob, tt.trip, v, at, code, keep, sid))
                if fault is not None:
                    faults[v] = fault
            if not faults:
                return timed, dropped
        gone: set[str] = set()
        for code, sid in faults.values():
            if not code:
                continue
            dropped[sid] = reason(code)
            # A leg goes with the rest of its way: goods never half-way.
            way = prob.way_of.get(sid)
            gone |= set(way.parts) if way is not None else {sid}
        for v in list(routes):
            routes[v] = [x for x in routes[v] if x.shipment not in gone]
            if not routes[v]:
                del routes[v]


def visits_of(
    prob: Problem, timed: list[Timed], leave_out: set[str] | frozenset[str] = frozenset()
) -> tuple[dict[int, list[Visit]], dict[int, float]]:
    """Timed trips as the routes :func:`time_routes` takes: each vehicle's visits in
    order (but those of ``leave_out``) and its departure."""
    index = {veh: v for v, veh in enumerate(prob.vehicles)}
    routes: dict[int, list[Visit]] = {}
    departs: dict[int, float] = {}
    for tt in timed:
        v = index.get(tt.trip.vehicle)
        visits = [
            Visit("pickup" if s.kind == "pickup" else "delivery", s.shipment)
            for s in tt.trip.stops
            if s.visit is not None and s.shipment is not None and s.shipment not in leave_out
        ]
        if v is not None and visits:
            routes[v], departs[v] = visits, tt.times.start[0]
    return routes, departs


def complete_ways(
    prob: Problem, timed: list[Timed], dropped: dict[str, Reason]
) -> tuple[list[Timed], dict[str, Reason]]:
    """Take out the legs of ways that are not delivered whole, and time the rest again."""
    delivered = {s for tt in timed for s in tt.times.delivered}
    orphans = {
        leg
        for leg, way in prob.way_of.items()
        if leg in delivered and not all(x in delivered for x in way.parts)
    }
    if not orphans:
        return timed, dropped
    routes, departs = visits_of(prob, timed, leave_out=orphans)
    again, more = time_routes(prob, routes, departs)
    lost = {leg: dropped.get(leg, reason("way_broken")) for leg in orphans}
    return again, {**dropped, **lost, **more}


def stuck_stations(
    prob: Problem, routes: dict[int, list[Visit]], dropped: dict[str, Reason]
) -> set[str]:
    """Home stations of the trucks whose relay shipments timing had to drop."""
    out = set()
    for v, seq in routes.items():
        if any(x.shipment in dropped and prob.itinerary[x.shipment] != "direct" for x in seq):
            out |= {sid for _, sid in prob.vehicles[v].stations}
    return out


def time_everything(
    prob: Problem,
    result: RoutingResult,
    timed: list[Timed],
    dropped: dict[str, Reason],
    w: dict[str, float],
    cpsat: Callable[[list[Timed]], list[Timed] | None],
) -> tuple[list[Timed], dict[str, Reason]]:
    """The dispatcher had to drop shipments; CP-SAT may time every route as routed.

    ``cpsat`` re-times trips (the dispatcher's times as its hint where a trip kept all
    its stops); its timing is taken where it scores better than the dispatcher's.
    """
    full = initial_trips(prob, result.sequences, result.start_times)
    if full is None:
        return timed, dropped
    hints = {t.trip.vehicle: t for t in timed}
    start = []
    for t in full:
        h = hints.get(t.vehicle)
        same = h is not None and len(h.trip.stops) == len(t.stops)
        # As timed, with the roads the dispatcher chose round shut checkpoints.
        start.append(
            Timed(h.trip, h.times, h.drivers)
            if h is not None and same
            else Timed(t, Times([], []), {})
        )
    everything = cpsat(start)
    if everything is not None and score(prob, everything, w) < score(prob, timed, w):
        return everything, {}
    return timed, dropped

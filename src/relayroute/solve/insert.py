"""``insert()``: one new shipment into a plan already issued, leaving everything else as is.

The pass service asks, one request at a time, for a trip to be added to the day's plan.
Passes already issued are promises, so the plan's routes, handovers, loop-driver duties
and passes stay exactly as they are; the new shipment goes

- on a truck the plan does not use yet, from its depot;
- at the end of a used truck's day: after its last stop, instead of driving home;
- in a gap of a truck's day: after a stop, back at the next stop before that one starts
  (its arrival there is the only figure of the old route that changes); or
- before a truck's first stop: it leaves its depot earlier than planned (no earlier than
  ``now``, its hours and its driver's shift), back at that stop before it starts;

always from a stop where the truck is empty, back with its own driver, and which it
leaves no earlier than ``now``; by road, one pickup and one delivery (through the
truck's relay station where an end lies in a closed-loop zone). The shared resources the
plan already holds are booked first — every handover takes a bay, every excursion its
loop driver, every inspection at a checkpoint with a throughput its lane slot — so the
new trip only takes what is still free, with the dispatcher's own placement
(:mod:`relayroute.solve.timing.dispatch`).
Of the places in the trucks' days that can take it, the one that adds the least
priority-weighted delay wins, then the earliest delivery; they are tried in order of a
bound on their delivery (the driving alone), and the search stops once no place left can
deliver sooner than the best so far.

The travel tables are built once per instance (all its places, every shipment's way
alone) and kept for the next request on the same instance, whatever its shipments: the
first request on an instance pays about half a second (liling-day), the rest reuse it.

Not done (yet): consolidating the new shipment with goods already aboard, and rail or
transload ways for it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from relayroute.errors import InputError
from relayroute.io.instance import LoadedInstance, validation_message
from relayroute.itineraries.build import build_problem, classify_shipment
from relayroute.itineraries.problem import Vehicle
from relayroute.itineraries.trips import PLeg, PStop, Times, Trip, Visit, plan_trip
from relayroute.model.checks import check_instance
from relayroute.model.instance import Instance, Shipment
from relayroute.model.plan import KPIs, LoopDuty, Pass, Plan, TruckRoute, clock
from relayroute.solve.objective import unserved_cost
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

# The plan's own conversion of timed trips: the new trip is written exactly as a solved one.
from relayroute.solve.to_plan import _loop_duties, _outcome, _passes, _r, _route, priority_classes

if TYPE_CHECKING:
    from relayroute.itineraries.problem import Problem

TOL = 1e-6


@dataclass(frozen=True)
class Refusal:
    """Why a shipment cannot be inserted, naming what blocks it.

    Attributes
    ----------
    code
        Short code: ``no_permit``, ``no_access``, ``needs_relay_station``,
        ``no_truck_capacity``, ``deadline_unreachable`` (from the shipment alone), or, from
        the plan's trucks, ``deadline``, ``loop_drivers``, ``bays``, ``checkpoint_hours``,
        ``site_hours``, ``station_hours``, ``truck_hours``, ``pass_would_change``,
        ``no_driver_left``, ``no_truck_free``.
    blocking
        The object that blocks it: ``zone park``, ``station rs_west``, ``truck T03``,
        ``checkpoint cp_north``, ``pool outside``...
    detail
        In words, with the times.
    """

    code: str
    blocking: str
    detail: str


@dataclass(frozen=True)
class Insertion:
    """What :func:`insert` did.

    Attributes
    ----------
    shipment
        Its id.
    plan
        The new plan; when refused, the plan given (the same object, untouched). The new
        plan holds the given plan's unchanged parts themselves (routes, stops, passes), not
        copies: treat plans as values and ``model_copy(deep=True)`` one before changing it
        in place.
    loaded
        The instance with the shipment added (its plan is for this one); when refused,
        the instance given.
    passes
        The passes to issue for the new trip (the plan's earlier passes are all still
        listed, unchanged).
    truck
        The truck that takes it (None: refused).
    eta
        When it is delivered, minutes from the instance start (None: refused).
    eta_at
        The same as ISO 8601 with the instance's offset.
    added_delay
        Priority-weighted delay it adds: its own (the plan's other shipments keep their
        times).
    refusal
        Why not, when refused.
    """

    shipment: str
    plan: Plan
    loaded: LoadedInstance
    passes: list[Pass] = field(default_factory=list)
    truck: str | None = None
    eta: float | None = None
    eta_at: str | None = None
    added_delay: float = 0.0
    refusal: Refusal | None = None

    @property
    def ok(self) -> bool:
        """True when the shipment was inserted."""
        return self.refusal is None


def insert(
    loaded: LoadedInstance,
    plan: Plan,
    shipment: Shipment | dict[str, Any],
    *,
    now: float | None = None,
) -> Insertion:
    """Put one new shipment into a plan with the least added weighted delay.

    Nothing of the plan moves: its routes, handovers, loop-driver duties and passes stay
    as they are, and nothing new starts before ``now``. The new trip goes on an idle
    truck or after the last stop of a used truck's day, taking only the bays, loop
    drivers and checkpoint slots the plan leaves free.

    Parameters
    ----------
    loaded
        The instance the plan is for.
    plan
        The plan (not changed).
    shipment
        The new shipment: a :class:`~relayroute.model.instance.Shipment` or its JSON data.
        Its id must be new, its places and capacity dimensions the instance's.
    now
        Minutes from the instance start: the trip starts no earlier, and a truck already
        on its way home by then is not called back. None: the start of the day.

    Returns
    -------
    Insertion
        The new plan, the instance with the shipment, the passes to issue, the ETA and
        the delay added; or, refused, the reason naming what blocks it, with the plan and
        instance given.

    Raises
    ------
    InputError
        The shipment breaks the schema or refers to what the instance has not (JSON path
        from the shipment's root, ``$``), or ``now`` is not a time of the day.

    Examples
    --------
    >>> import relayroute as rr
    >>> loaded = rr.read_instance("tests/data/small-straight.json")
    >>> plan = rr.solve(loaded, rr.SolverConfig(engine="greedy"))
    >>> new = {"id": "S-new", "origin": "sup1", "destination": "cust2",
    ...        "quantity": {"t": 2}, "ready": 480, "due": 900}
    >>> done = rr.insert(loaded, plan, new, now=400)
    >>> done.ok, done.eta <= 900
    (True, True)
    >>> rr.validate(done.loaded.instance, done.plan, done.loaded.base).ok
    True
    >>> all(p in done.plan.passes for p in plan.passes)  # issued passes stay
    True
    >>> late = dict(new, id="S-late", ready=1300, due=1320)
    >>> no = rr.insert(loaded, plan, late, now=1290)
    >>> no.ok, no.plan is plan, no.refusal.code  # the sites close before it could be there
    (False, True, 'no_access')
    """
    inst = loaded.instance
    _same_day(inst, plan)
    sh = _shipment(inst, shipment)
    if now is not None and not (0 <= now <= inst.horizon and math.isfinite(now)):
        raise InputError("now", f"{now:g} is not a time of the day (0 to {inst.horizon:g})")
    start = 0.0 if now is None else float(now)
    grown = inst.model_copy(update={"shipments": [*inst.shipments, sh]})
    prob = _problem(loaded, grown, plan)
    reason = classify_shipment(prob, sh)
    if reason is not None:
        return _refused(loaded, plan, sh, _alone(prob, sh, reason.code, reason.detail))
    res, lanes = _booked(prob, plan)
    best: _Candidate | None = None
    why: list[_Why] = []  # what blocked each truck tried
    for slot in _slots(prob, plan, sh, start):
        if best is not None and slot.eta >= best.eta - TOL:
            # Sorted by a bound on their delivery: no later slot delivers sooner, so none
            # adds less delay either.
            break
        got = _try(prob, plan, sh, slot, start, res, lanes)
        if isinstance(got, _Why):
            why.append(got)
        elif best is None or (got.added, got.eta) < (best.added, best.eta):
            best = got
    if best is None:
        return _refused(loaded, plan, sh, _summary(why))
    new_plan = _new_plan(prob, plan, sh, best)
    text = grown.model_dump_json(by_alias=True)
    new_loaded = LoadedInstance(grown, loaded.base, hashlib.sha256(text.encode()).hexdigest())
    new_plan.instance.sha256 = new_loaded.sha256
    return Insertion(
        shipment=sh.id,
        plan=new_plan,
        loaded=new_loaded,
        passes=best.new_passes,
        truck=best.truck,
        eta=best.eta,
        eta_at=clock(inst.start, best.eta),
        added_delay=_r(best.added),
        refusal=None,
    )


def _same_day(inst: Instance, plan: Plan) -> None:
    """A plan for another instance is refused by name, not met with a KeyError later."""
    if plan.instance.name != inst.name:
        raise InputError("plan", f"made for instance {plan.instance.name!r}, not for {inst.name!r}")
    trucks, stations = inst.trucks_by_id, inst.relay_stations_by_id
    for k, r in enumerate(plan.routes):
        if r.truck not in trucks:
            raise InputError(f"plan $.routes[{k}].truck", f"no truck {r.truck!r} in the instance")
    for k, h in enumerate(plan.handovers):
        if h.station not in stations:
            raise InputError(
                f"plan $.handovers[{k}].station", f"no relay station {h.station!r} in the instance"
            )


def _shipment(inst: Instance, given: Shipment | dict[str, Any]) -> Shipment:
    """The new shipment, checked against the instance as if it were listed in it."""
    if isinstance(given, Shipment):
        sh = given
    else:
        try:
            sh = Shipment.model_validate(given)
        except ValidationError as exc:
            where, msg = validation_message(exc)
            raise InputError(where, msg) from None
    if sh.id in inst.shipments_by_id:
        raise InputError("$.id", f"shipment {sh.id!r} is already in the instance")
    # The instance's own checks on it alone, paths given from the shipment's root.
    try:
        check_instance(inst.model_copy(update={"shipments": [sh]}))
    except InputError as exc:
        if not exc.where.startswith("$.shipments[0]"):
            raise
        raise InputError("$" + exc.where.removeprefix("$.shipments[0]"), exc.message) from None
    return sh


# Problems built for instances, by everything but their shipments (which a request adds
# to): a few kept, the last used last.
_PROBLEMS: OrderedDict[str, Problem] = OrderedDict()
_KEPT = 4
# Requests may come from several threads (a web service); the kept problems are only read.
_LOCK = threading.Lock()


def built(loaded: LoadedInstance) -> Problem:
    """The problem of an instance with travel tables between all its places, built once
    and kept for the next request on an instance that differs only in its shipments.

    Shared: never written to (callers replace its tables with their own copies).

    Parameters
    ----------
    loaded
        The instance.

    Returns
    -------
    Problem
        Its problem, its own shipments classified as :func:`build_problem` does.
    """
    key = hashlib.sha256(
        (str(loaded.base) + loaded.instance.model_dump_json(exclude={"shipments"})).encode()
    ).hexdigest()
    with _LOCK:  # one build per instance, even when requests come at once
        base = _PROBLEMS.get(key)
        if base is None:
            base = build_problem(loaded.instance, loaded.base, every_place=True)
            _PROBLEMS[key] = base
            while len(_PROBLEMS) > _KEPT:
                _PROBLEMS.popitem(last=False)
        _PROBLEMS.move_to_end(key)
    return base


def _problem(loaded: LoadedInstance, grown: Instance, plan: Plan | None) -> Problem:
    """The problem of ``grown`` for one shipment, on travel tables built once."""
    base = built(loaded)
    # Each truck's home stations: those its route in the plan already uses.
    used: dict[str, dict[str, str]] = {}
    for h in plan.handovers if plan is not None else []:
        zone = (
            grown.relay_stations_by_id[h.station].zone
            if h.station in grown.relay_stations_by_id
            else None
        )
        if zone is not None:
            used.setdefault(h.truck, {})[zone] = h.station
    vehicles = [
        Vehicle(v.truck, tuple((z, used.get(v.truck, {}).get(z, s)) for z, s in v.stations))
        for v in base.vehicles
    ]
    # Fresh tables: the shared problem is never written to.
    return dataclasses.replace(
        base,
        inst=grown,
        original=None,
        vehicles=vehicles,
        itinerary={},
        eligible={},
        unserved={},
        solo={},
        ways={},
        parent={},
        way_of={},
        spare={},
        duty=dict(base.duty),
    )


def _booked(prob: Problem, plan: Plan) -> tuple[Resources, dict[tuple[str, int], list[Booking]]]:
    """The shared resources with what the plan holds booked; and the lane slots of each
    (truck, leg) (freed when a new trip replaces that leg)."""
    res = empty_resources(prob)
    for h in sorted(plan.handovers, key=lambda h: (h.start, h.end)):
        bays = res.bays.get(h.station)
        if not bays:
            continue
        # First free bay in order of start: as few bays as the plan itself needs.
        bay = next((c for c in bays if c.free(h.start, h.end)), bays[0])
        bay.book(h.start, h.end)
    drivers = {d.id: d for ds in res.drivers.values() for d in ds}
    for duty in plan.loop_drivers:
        d = drivers.get(duty.driver)
        if d is not None:
            for ex in duty.excursions:
                d.cal.book(ex.start, ex.end)
    delay = {c.id: c.delay for c in prob.inst.checkpoints}
    lanes: dict[tuple[str, int], list[Booking]] = {}
    for r in plan.routes:
        for k, leg in enumerate(r.legs):
            for c in leg.crossings:
                if c.checkpoint in res.lanes:
                    x = c.depart - delay.get(c.checkpoint, 0.0)
                    booking = (res.lanes[c.checkpoint], x, x + res.gap[c.checkpoint])
                    booking[0].book(booking[1], booking[2])
                    lanes.setdefault((r.truck, k), []).append(booking)
    return res, lanes


@dataclass(frozen=True)
class _Slot:
    """Where a new trip may go: on an idle truck (``after`` None, ``route`` None), after
    stop ``after`` of a truck's route, before the stop after it (the end of the day: its
    drive home, which the trip replaces), or (``after`` -1) before its day's first stop,
    the truck leaving its depot earlier than planned."""

    truck: str
    route: TruckRoute | None
    after: int | None
    reach: float  # earliest it could be at the pickup (or the relay station before it)
    eta: float  # earliest it could deliver: a bound, waits and queues left out


def _slots(prob: Problem, plan: Plan, sh: Shipment, now: float) -> list[_Slot]:
    """Every place in the plan's trucks' days the trip could go, by the bound on when it
    could deliver there, soonest first.

    A used truck takes it after a stop where it is empty and back with its own driver,
    once that stop ends no earlier than ``now``, with time enough (by the driving alone)
    to be back before its next stop starts; at the end of its day; or before its first
    stop, leaving its depot earlier (not before ``now`` or its hours).
    """
    routes = {r.truck: r for r in plan.routes}
    trucks = prob.inst.trucks_by_id
    out = []
    for v in dict.fromkeys(prob.eligible.get(sh.id, [])):
        truck = prob.vehicles[v].truck
        r = routes.get(truck)
        if r is None:
            here = prob.depot_place(trucks[truck])
            reach = max(prob.duty[truck][0], now) + _minutes(prob, truck, here, sh.origin)
            out.append(_Slot(truck, None, None, reach, reach + _carry(prob, truck, sh)))
            continue
        first = max(prob.duty[truck][0], now)
        if len(r.stops) > 2 and r.stops[0].depart > first + TOL:
            depot, nxt = r.stops[0].place, r.stops[1]
            reach = first + _minutes(prob, truck, depot, sh.origin)
            eta = reach + _carry(prob, truck, sh)
            if eta + _minutes(prob, truck, sh.destination, nxt.place) <= nxt.start + TOL:
                out.append(_Slot(truck, r, -1, reach, eta))
        for g, s in enumerate(r.stops[:-1]):
            if (
                s.depart < now - TOL
                or s.driver != r.driver
                or any(q > TOL for q in s.load.values())
            ):
                continue
            to = _minutes(prob, truck, s.place, sh.origin)
            carry = _carry(prob, truck, sh)
            nxt = r.stops[g + 1]
            last = g == len(r.stops) - 2
            back = 0.0 if last else _minutes(prob, truck, sh.destination, nxt.place)
            if not last and s.depart + to + carry + back > nxt.start + TOL:
                continue
            out.append(_Slot(truck, r, g, s.depart + to, s.depart + to + carry))
    return sorted(out, key=lambda x: (x.eta, x.reach, x.truck, x.after or 0))


def _carry(prob: Problem, truck: str, sh: Shipment) -> float:
    """Least minutes from reaching the pickup to the end of unloading."""
    return (
        sh.pickup_minutes + _minutes(prob, truck, sh.origin, sh.destination) + sh.delivery_minutes
    )


def _minutes(prob: Problem, truck: str, a: str, b: str) -> float:
    """Least driving minutes between two places for the truck's own driver, a place in a
    closed-loop zone standing for the zone's relay stations (where he hands over): a bound."""

    def ends(p: str) -> list[str]:
        zone = prob.place_zone.get(p)
        return [p] if zone is None else [s.place for s in prob.swap_stations.get(zone, [])]

    table = prob.table(truck)
    ms = [
        float(table.minutes[table.index[x], table.index[y]])
        for x in ends(a)
        for y in ends(b)
        if x in table.index and y in table.index
    ]
    finite = [m for m in ms if math.isfinite(m)]
    return min(finite, default=0.0)


@dataclass(frozen=True)
class _Why:
    """Why one truck cannot take the shipment."""

    code: str
    blocking: str
    detail: str


@dataclass
class _Candidate:
    truck: str
    route: TruckRoute  # the truck's whole new route
    handovers: list[Any]
    excursions: list[tuple[str, Any]]
    new_passes: list[Pass]
    eta: float
    added: float


def _try(
    prob: Problem,
    plan: Plan,
    sh: Shipment,
    slot: _Slot,
    now: float,
    res: Resources,
    lanes: dict[tuple[str, int], list[Booking]],
) -> _Candidate | _Why:
    """The new trip in ``slot``, timed around what is booked; or why not."""
    truck, old, g = slot.truck, slot.route, slot.after
    lo, hi, duty = prob.duty[truck]
    veh = next(v for v in prob.vehicles if v.truck == truck)
    visits = [Visit("pickup", sh.id), Visit("delivery", sh.id)]
    freed: list[Booking] = []
    nxt = None  # the stop the truck must still make in time, when the trip goes in a gap
    early = g == -1  # before the day's first stop, from the depot
    if old is None or g is None or early:
        pool = prob.inst.trucks_by_id[truck].driver_pool
        if old is None and pool is not None and _drivers_left(prob, plan, pool) <= 0:
            return _Why(
                "no_driver_left", f"pool {pool}", f"every driver of pool {pool} has a truck"
            )
        first = max(lo, now)
        prob.duty[truck] = (first, hi, duty)
        try:
            trip = plan_trip(prob, veh, visits, split=True)
        finally:
            prob.duty[truck] = (lo, hi, duty)
        day_start, depart = first, first
        if early and trip is not None:
            assert old is not None
            nxt = old.stops[1]
            trip = _back_to(prob, truck, trip, nxt.place)
            freed = lanes.get((truck, 0), [])  # its first leg, from the depot, is replaced
    else:
        here, nxt = old.stops[g], old.stops[g + 1]
        base = Trip(
            veh, [PStop("start", here.place, ready=here.depart), PStop("end", nxt.place)], []
        )
        trip = plan_trip(prob, veh, visits, split=True, base=base)
        if trip is not None and nxt.kind != "end":
            trip = _back_to(prob, truck, trip, nxt.place)
        day_start, depart = old.stops[0].depart, here.depart
        freed = lanes.get((truck, g), [])
    if trip is None:
        return _Why(
            "no_access", f"truck {truck}", f"{truck} cannot reach both ends from where it is"
        )
    release(freed)
    try:
        timed = _time_tail(prob, trip, depart, res, from_depot=old is None or early)
    finally:
        for cal, a, b in freed:
            cal.book(a, b)
    if isinstance(timed, _Why):
        return timed
    times, drivers, booked = timed
    release(booked)  # the plan is built from the winner; the calendars are not kept
    delivered = times.delivered[sh.id]
    if sh.deadline is not None and delivered > sh.deadline + TOL:
        return _Why(
            "deadline",
            f"truck {truck}",
            f"{truck} would deliver at {delivered:g}, after the deadline {sh.deadline:g}",
        )
    back = times.start[-1]
    if early and old is not None and old.stops[-1].arrive - times.start[0] > duty + TOL:
        return _Why(
            "truck_hours",
            f"truck {truck}",
            f"{truck}'s day would last {old.stops[-1].arrive - times.start[0]:g} minutes from "
            f"an earlier start, more than its driver's max duty ({duty:g})",
        )
    if nxt is not None and nxt.kind != "end":
        if back > nxt.start + TOL:
            return _Why(
                "truck_busy",
                f"truck {truck}",
                f"{truck} would be back at {nxt.place} at {back:g}, after its next stop "
                f"there starts ({nxt.start:g})",
            )
    elif back > hi + TOL:
        return _Why(
            "truck_hours",
            f"truck {truck}",
            f"{truck}'s day would end at {back:g}, past its hours (until {hi:g})",
        )
    elif back - day_start > duty + TOL:
        return _Why(
            "truck_hours",
            f"truck {truck}",
            f"{truck}'s day would last {back - day_start:g} minutes, more than its driver's "
            f"max duty ({duty:g})",
        )
    tail, handovers, excursions = _route(prob, Timed(trip, times, drivers))
    if old is None or g is None:
        route = tail
    elif early:
        first_stop = old.stops[1].model_copy(update={"arrive": tail.stops[-1].arrive})
        stops = [*tail.stops[:-1], first_stop, *old.stops[2:]]
        legs = [*tail.legs, *old.legs[1:]]
        route = old.model_copy(
            update={
                "stops": stops,
                "legs": legs,
                "km": _r(sum(leg.km for leg in legs)),
                "duty_minutes": _r(stops[-1].arrive - stops[0].depart),
            }
        )
    else:
        rejoin = [old.stops[g + 1].model_copy(update={"arrive": tail.stops[-1].arrive})]
        if nxt is not None and nxt.kind == "end":
            rejoin = [tail.stops[-1]]
        stops = [*old.stops[: g + 1], *tail.stops[1:-1], *rejoin, *old.stops[g + 2 :]]
        legs = [*old.legs[:g], *tail.legs, *old.legs[g + 1 :]]
        route = old.model_copy(
            update={
                "stops": stops,
                "legs": legs,
                "km": _r(sum(leg.km for leg in legs)),
                "duty_minutes": _r(stops[-1].arrive - stops[0].depart),
            }
        )
    passes = _passes(prob, route)
    issued = [p for p in plan.passes if p.truck == truck]
    changed = next((p for p in issued if p not in passes), None)
    if changed is not None:
        return _Why(
            "pass_would_change",
            f"truck {truck}",
            f"pass {changed.id or changed.checkpoint} of {truck} would change",
        )
    added = sh.priority * max(0.0, delivered - sh.due)
    fresh = [p for p in passes if p not in issued]
    return _Candidate(truck, route, handovers, excursions, fresh, _r(delivered), added)


def _back_to(prob: Problem, truck: str, trip: Trip, place: str) -> Trip | None:
    """The trip going on to ``place`` (the next stop of the truck's day) instead of home;
    None if the truck's own driver cannot get there."""
    table = prob.table(truck)
    came = trip.stops[-2].place
    if not (came in table.index and place in table.index and table.reachable(came, place)):
        return None
    trip.legs[-1] = PLeg(table.route(came, place), None)
    trip.stops[-1] = PStop("end", place)
    return trip


def _drivers_left(prob: Problem, plan: Plan, pool: str) -> int:
    """Drivers of an outside pool without a truck in the plan."""
    count = prob.inst.pools_by_id[pool].count
    trucks = prob.inst.trucks_by_id
    return count - sum(1 for r in plan.routes if trucks[r.truck].driver_pool == pool)


def _time_tail(
    prob: Problem, trip: Trip, depart: float, res: Resources, from_depot: bool
) -> tuple[Times, dict[int, str], list[Booking]] | _Why:
    """Time the trip's stops from the first new one on, leaving at ``depart``, with the
    first free bay, loop driver and lane slot; its bookings stay made (the caller frees).

    From the depot the truck leaves as late as it can without delaying the trip; after a
    stop of its day it leaves when that stop ends (the plan says so) and waits on arrival.
    """
    horizon = 3 * prob.inst.horizon
    starts: dict[int, float] = {0: depart}
    inspects: dict[int, list[float]] = {}
    drivers: dict[int, str] = {}
    booked: list[Booking] = []
    t = depart
    for i0, i1 in blocks(trip):
        p = place_block(prob, trip, i0, i1, t, res, horizon)
        if not isinstance(p, Placement):
            release(booked)
            return _blocked(prob, trip, *p)
        booked += commit(trip, p, res, drivers)
        if from_depot and i0 == 1:
            starts[0] = p.depart
        starts.update(p.start)
        inspects.update(p.inspect)
        t = p.start[i1] + trip.stops[i1].service
    times = Times(
        [starts[i] for i in range(len(trip.stops))],
        [inspects[i] for i in range(len(trip.legs))],
    )
    for i, s in enumerate(trip.stops):
        if s.kind == "delivery" and s.shipment is not None:
            times.delivered[s.shipment] = times.start[i] + s.service
    return times, drivers, booked


def _blocked(prob: Problem, trip: Trip, why: str, i: int) -> _Why:
    """A placement's failure as (code, the object, words)."""
    stop = trip.stops[i]
    truck = trip.vehicle.truck
    if why == "loop_drivers":
        return _Why(
            "loop_drivers",
            f"station {stop.station}",
            f"no loop driver of station {stop.station} is free in time for {truck}",
        )
    if why == "station_hours":
        st = prob.inst.relay_stations_by_id.get(stop.station or "")
        # A station open all day can only be refused for want of a free bay.
        code = "bays" if st is not None and not st.hours else "station_hours"
        return _Why(
            code,
            f"station {stop.station}",
            f"no bay of station {stop.station} is free within its hours for {truck}",
        )
    if why == "checkpoint_hours":
        cps = [c.checkpoint for c in trip.legs[i - 1].route.crossings]
        name = ", ".join(cps) or "?"
        return _Why(
            "checkpoint_hours",
            f"checkpoint {name}",
            f"checkpoint {name} is closed (or full) when {truck} would get there",
        )
    return _Why(
        "site_hours",
        f"place {stop.place}",
        f"{stop.place} is closed when {truck} would get there",
    )


def _summary(why: list[_Why]) -> Refusal:
    """One refusal from what blocked each truck tried: the commonest cause."""
    if not why:
        return Refusal("no_truck_free", "the fleet", "no truck that may carry it is free")
    codes = Counter(w.code for w in why)
    code = codes.most_common(1)[0][0]
    first = next(w for w in why if w.code == code)
    objects = Counter(w.blocking for w in why if w.code == code)
    blocking = objects.most_common(1)[0][0]
    others = (
        f" ({len(why)} places in the trucks' days tried: "
        + ", ".join(f"{c} {n}" for c, n in codes.most_common())
        + ")"
    )
    return Refusal(code, blocking, first.detail + others)


def _alone(prob: Problem, sh: Shipment, code: str, detail: str) -> Refusal:
    """A refusal from the shipment alone, naming the zone or place in the way."""
    zones = [
        z
        for z in (
            prob.net.node_zone.get(prob.net.place_node[p]) for p in (sh.origin, sh.destination)
        )
        if z is not None
    ]
    if code in ("no_permit", "needs_relay_station") and zones:
        blocking = f"zone {zones[0]}"
    elif code == "no_truck_capacity":
        blocking = "the fleet"
    else:
        blocking = f"shipment {sh.id}"
    return Refusal(code, blocking, detail)


def _refused(loaded: LoadedInstance, plan: Plan, sh: Shipment, why: Refusal) -> Insertion:
    return Insertion(shipment=sh.id, plan=plan, loaded=loaded, refusal=why)


def _new_plan(prob: Problem, plan: Plan, sh: Shipment, c: _Candidate) -> Plan:
    """The plan with the candidate's route, lists and figures; all else as it was.

    New lists throughout, but the parts that do not change (routes, stops, passes...) are
    the old plan's own objects, not copies: a deep copy of a 500-shipment plan took 250 ms,
    ten times the insertion itself.
    """
    new = plan.model_copy(
        update={
            "instance": plan.instance.model_copy(),
            "solver": dict(plan.solver),
            "shipments": list(plan.shipments),
        }
    )
    routes = [r for r in plan.routes if r.truck != c.truck] + [c.route]
    new.routes = sorted(routes, key=lambda r: r.truck)
    new.handovers = sorted(
        [*plan.handovers, *c.handovers], key=lambda h: (h.start, h.station, h.truck)
    )
    duties = {d.driver: d for d in plan.loop_drivers}
    fresh: dict[str, list[Any]] = {}
    for driver, ex in c.excursions:
        if driver in duties:
            d = duties[driver]
            exs = sorted([*d.excursions, ex], key=lambda e: e.start)
            duties[driver] = d.model_copy(
                update={"excursions": exs, "start": exs[0].start, "end": exs[-1].end}
            )
        else:
            fresh.setdefault(driver, []).append(ex)
    loop: list[LoopDuty] = [*duties.values(), *_loop_duties(prob, fresh)]
    new.loop_drivers = sorted(
        loop, key=lambda d: (d.driver.split("/")[0], int(d.driver.rsplit("/", 1)[1]))
    )
    new.passes = [*plan.passes, *c.new_passes]
    events = []
    station_here: str | None = None
    for s in c.route.stops:
        if s.kind == "handover" and s.station:
            station_here = s.station if s.driver != c.route.driver else None
        if s.shipments == [sh.id]:
            events.append((c.truck, s, station_here))
    by_kind: dict[str, list[Any]] = {}
    for truck, stop, _ in events:
        by_kind.setdefault(stop.kind, []).append((truck, stop))
    new.shipments.append(_outcome(prob, sh.id, events, by_kind, {}, [], {}))
    new.kpis = _kpis(prob, new, sh)
    new.validation = None  # not checked since the change: relayroute validate checks it
    return new


def _kpis(prob: Problem, plan: Plan, sh: Shipment) -> KPIs:
    """The plan's figures again, from its parts."""
    w = {k: float(v) for k, v in prob.inst.objective.model_dump().items()}
    over = plan.solver.get("objective", {}) if isinstance(plan.solver, dict) else {}
    w.update({k: float(v) for k, v in over.items()})
    ships = prob.inst.shipments_by_id
    wd = sum(o.weighted_delay for o in plan.shipments)
    km = sum(r.km for r in plan.routes)
    if isinstance(plan.solver, dict) and plan.solver.get("unserved_cost") == "day_end":
        w["day_end"] = 1.0
    horizon = prob.inst.horizon
    objective = (
        sum(
            unserved_cost(ships[u.shipment], w, horizon)
            for u in plan.unserved
            if u.shipment in ships
        )
        + w["delay"] * wd
        + w["km"] * km
        + w["truck"] * len(plan.routes)
        + w["loop_driver"] * len(plan.loop_drivers)
        + w["rail"] * sum(b.cost for b in plan.rail_bookings)
    )
    alone = sh.priority * max(0.0, prob.solo[sh.id] - sh.due)
    k = plan.kpis
    served = plan.shipments
    return k.model_copy(
        update={
            "objective": _r(objective),
            "weighted_delay": _r(wd),
            "delay_lower_bound": _r(k.delay_lower_bound + alone),
            "served": len(served),
            "on_time_share": _r(sum(o.delay <= 0 for o in served) / len(served)),
            "km": _r(km),
            "trucks_used": len(plan.routes),
            "loop_drivers_used": len(plan.loop_drivers),
            "handovers": len(plan.handovers),
            "passes": len(plan.passes),
            "by_priority": priority_classes(prob.given.shipments, served),
        }
    )

"""Turning timed trips into a :class:`~relayroute.model.plan.Plan`.

Arrival times follow from the exact (not rounded) travel times; service, handover and
inspection starts are the scheduler's. Waiting happens on arrival at a stop or at a
checkpoint before its inspection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from relayroute._version import __version__
from relayroute.itineraries.problem import Reason
from relayroute.model.plan import (
    Crossing,
    Excursion,
    Handover,
    InstanceRef,
    KPIs,
    Leg,
    LoopDuty,
    Pass,
    Plan,
    PriorityClass,
    RailBooking,
    Segment,
    ShipmentOutcome,
    Stop,
    Transload,
    TruckRoute,
    Unserved,
    clock,
    pass_id,
)
from relayroute.solve.objective import unserved_cost

if TYPE_CHECKING:
    from collections.abc import Sequence

    from relayroute.itineraries.problem import Problem
    from relayroute.itineraries.trips import PLeg
    from relayroute.itineraries.ways import Way
    from relayroute.model.instance import Instance, Shipment
    from relayroute.solve.timing.dispatch import Timed

ROUND = 4  # decimals of minutes and km in the plan
UNROUTED = Reason("dropped", "the solver found no truck and time for it within its search limits")


def _r(x: float) -> float:
    return round(float(x), ROUND)


def outside_driver(truck: str) -> str:
    return f"{truck}/driver"


def _route(
    prob: Problem, tt: Timed
) -> tuple[TruckRoute, list[Handover], list[tuple[str, Excursion]]]:
    inst = prob.inst
    trip, times = tt.trip, tt.times
    truck = trip.vehicle.truck
    ships = inst.shipments_by_id
    own = outside_driver(truck)
    load = {d: 0.0 for d in inst.capacity_dimensions()}
    # Who drives each leg.
    leg_driver = [own] * len(trip.legs)
    for a, b in trip.excursions():
        for leg in range(a, b):
            leg_driver[leg] = tt.drivers[a]
    stops: list[Stop] = []
    legs: list[Leg] = []
    handovers: list[Handover] = []
    excursions: list[tuple[str, Excursion]] = []
    t0 = times.start[0]
    stops.append(
        Stop(
            place=trip.stops[0].place,
            kind="start",
            arrive=_r(t0),
            start=_r(t0),
            depart=_r(t0),
            load=dict(load),
            driver=own,
        )
    )
    for i, (pleg, ps) in enumerate(zip(trip.legs, trip.stops[1:]), start=1):
        prev = trip.stops[i - 1]
        depart = times.start[i - 1] + prev.service
        crossings, arrive = _crossings(pleg, depart, times.inspect[i - 1])
        driver = leg_driver[i - 1]
        legs.append(
            Leg(
                path=pleg.route.nodes,
                coords=pleg.route.coords,
                depart=_r(depart),
                arrive=_r(arrive),
                km=_r(pleg.route.km),
                minutes=_r(arrive - depart),
                crossings=crossings,
                driver=driver,
                driver_kind="loop" if driver != own else "outside",
            )
        )
        start = times.start[i]
        kind: str = ps.kind
        station = ps.station
        if ps.kind in ("pickup", "delivery") and ps.shipment is not None:
            sign = 1.0 if ps.kind == "pickup" else -1.0
            for d, q in ships[ps.shipment].quantity.items():
                load[d] = _r(load[d] + sign * q)
            kind, station = _leg_stop(prob, ps.kind, ps.shipment, station)
        after = leg_driver[i] if i < len(trip.legs) else own
        stops.append(
            Stop(
                place=ps.place,
                kind=kind,  # type: ignore[arg-type]
                shipments=[prob.owner(ps.shipment)] if ps.shipment else [],
                station=station,
                arrive=_r(arrive),
                start=_r(start),
                depart=_r(start + ps.service),
                load=dict(load),
                driver=after,
            )
        )
        if ps.kind == "handover" and ps.station is not None and ps.direction is not None:
            handovers.append(
                Handover(
                    station=ps.station,
                    truck=truck,
                    direction=ps.direction,
                    start=_r(start),
                    end=_r(start + ps.service),
                    from_driver=driver,
                    to_driver=after,
                )
            )
    for a, b in trip.excursions():
        inside = [s.place for s in trip.stops[a + 1 : b] if s.kind in ("pickup", "delivery")]
        excursions.append(
            (
                tt.drivers[a],
                Excursion(
                    truck=truck,
                    start=_r(times.start[a]),
                    end=_r(times.start[b] + trip.stops[b].service),
                    places=inside,
                ),
            )
        )
    km = sum(leg.km for leg in legs)
    truck_in = inst.trucks_by_id[truck]
    route = TruckRoute(
        truck=truck,
        plate=truck_in.plate,
        driver=own,
        driver_name=truck_in.driver,
        stops=stops,
        legs=legs,
        km=_r(km),
        duty_minutes=_r(stops[-1].arrive - stops[0].depart),
    )
    return route, handovers, excursions


def _crossings(leg: PLeg, depart: float, inspect: list[float]) -> tuple[list[Crossing], float]:
    """A leg's checkpoint crossings (inspections at the scheduler's times) and its
    arrival, leaving at ``depart``."""
    now, driven = depart, 0.0
    crossings = []
    for c, at in zip(leg.route.crossings, inspect):
        reach = now + c.offset - driven
        crossings.append(
            Crossing(
                checkpoint=c.checkpoint,
                zone=c.zone,
                direction="in" if c.direction == "in" else "out",
                arrive=_r(reach),
                depart=_r(at + c.delay),
            )
        )
        now = at + c.delay
        driven = c.offset + c.delay
    return crossings, now + leg.route.minutes - driven


def _road(truck: str, origin: str, first: Stop, last: Stop) -> Segment:
    """A shipment on one truck from loading at ``first`` to unloading at ``last``."""
    return Segment(
        mode="road",
        truck=truck,
        origin=origin,
        destination=last.place,
        start=first.start,
        end=last.depart,
    )


RAIL_FULL = Reason(
    "rail_full",
    "no road reaches it, and every rail departure it could still make is full",
)


def _rail_full(prob: Problem, sid: str, bookings: list[RailBooking]) -> bool:
    """No road way, and each departure of its rail ways is too full to take it."""
    rail = [w for w in prob.ways.get(sid, []) if w.kind == "rail"]
    if not rail or sid in prob.eligible:
        return False
    sh = prob.given.shipments_by_id[sid]
    cap = {svc.id: svc.capacity for svc in prob.inst.rail_services}
    load = {(b.service, b.departure): b.load for b in bookings}
    for way in rail:
        used = load.get((str(way.service), float(way.departure or 0.0)), {})
        room = cap[str(way.service)]
        if all(used.get(d, 0.0) + q <= room.get(d, 0.0) + 1e-9 for d, q in sh.quantity.items()):
            return False
    return True


def _leg_stop(prob: Problem, kind: str, sid: str, station: str | None) -> tuple[str, str | None]:
    """A leg shipment's pickup or delivery as a stop of its shipment: ``unload`` where
    the first leg ends (transload or rail station), ``load`` where the second starts."""
    way = prob.way_of.get(sid)
    if way is None:
        return kind, station
    first = sid == way.parts[0]
    if way.kind == "transload":
        at = way.station
    else:
        svc = next(x for x in prob.inst.rail_services if x.id == way.service)
        at = svc.origin if first else svc.destination
    if first and kind == "delivery":
        return "unload", at
    if not first and kind == "pickup":
        return "load", at
    return kind, station


def driver_names(inst: Instance) -> dict[str, str]:
    """Name (or staff id) of each driver the instance names: ``<truck>/driver`` from the
    truck's ``driver``, loop driver ``<pool>/<k>`` from the pool's k-th ``drivers``."""
    names = {outside_driver(t.id): t.driver for t in inst.trucks if t.driver}
    for p in inst.driver_pools:
        for k, name in enumerate(p.drivers):
            names[f"{p.id}/{k + 1}"] = name
    return names


def _passes(prob: Problem, route: TruckRoute) -> list[Pass]:
    """One pass per entry of the truck into a permit zone, valid until it leaves, with
    the shipments aboard while it is in."""
    policy = prob.net.zone_policy
    inst = prob.inst
    # A re-planned day's zones may change policy: an entry is judged when its leg leaves.
    changing = {z.id: z for z in inst.zones if z.changes}
    names = driver_names(inst)
    out: list[tuple[Pass, set[str]]] = []
    open_: dict[str, tuple[Pass, set[str]]] = {}
    aboard: set[str] = set()
    for k, leg in enumerate(route.legs):
        for c in leg.crossings:
            z = changing.get(c.zone)
            own = leg.driver_kind == "loop"  # a loop driver in its own zone turned permit
            if (z.policy_at(leg.depart) if z else policy.get(c.zone)) != "permit" or own:
                if c.zone in open_ and c.direction == "out":
                    open_.pop(c.zone)[0].valid_to = c.depart
                continue
            if c.direction == "in":
                p = Pass(
                    id=pass_id(route.truck, c.checkpoint, c.arrive),
                    truck=route.truck,
                    plate=route.plate,
                    driver=leg.driver,
                    driver_name=names.get(leg.driver),
                    checkpoint=c.checkpoint,
                    zone=c.zone,
                    valid_from=c.arrive,
                    valid_to=route.stops[-1].arrive,
                )
                open_[c.zone] = (p, set(aboard))
                out.append(open_[c.zone])
            elif c.zone in open_:
                open_.pop(c.zone)[0].valid_to = c.depart
        stop = route.stops[k + 1]
        for _, seen in open_.values():
            seen.update(stop.shipments)
        if stop.kind in ("pickup", "load"):
            aboard.update(stop.shipments)
        elif stop.kind in ("delivery", "unload"):
            aboard.difference_update(stop.shipments)
    for p, seen in out:
        p.valid_from_at = clock(inst.start, p.valid_from)
        p.valid_to_at = clock(inst.start, p.valid_to)
        p.shipments = sorted(seen)
    return [p for p, _ in out]


@dataclass
class _Trucks:
    """The trucks' part of a plan, and each shipment's stops over all trucks."""

    routes: list[TruckRoute] = field(default_factory=list)
    handovers: list[Handover] = field(default_factory=list)
    duties: dict[str, list[Excursion]] = field(default_factory=dict)  # loop driver -> its
    passes: list[Pass] = field(default_factory=list)
    # Shipment -> (truck, stop, relay station of its truck) for each of its stops.
    events: dict[str, list[tuple[str, Stop, str | None]]] = field(default_factory=dict)


def priority_classes(
    shipments: Sequence[Shipment], outcomes: Sequence[ShipmentOutcome]
) -> list[PriorityClass]:
    """Delay and share on time per priority class, most urgent first.

    Parameters
    ----------
    shipments
        The instance's shipments.
    outcomes
        The plan's served shipments.

    Returns
    -------
    list of PriorityClass
    """
    pri = {s.id: s.priority for s in shipments}
    out = []
    for p in sorted(set(pri.values()), reverse=True):
        served = [o for o in outcomes if pri.get(o.shipment) == p]
        out.append(
            PriorityClass(
                priority=p,
                shipments=sum(1 for x in pri.values() if x == p),
                served=len(served),
                on_time_share=_r(sum(o.delay <= 0 for o in served) / len(served))
                if served
                else 0.0,
                weighted_delay=_r(sum(o.weighted_delay for o in served)),
                max_delay=_r(max((o.delay for o in served), default=0.0)),
            )
        )
    return out


def build_plan(
    prob: Problem,
    timed: list[Timed],
    dropped: dict[str, Reason],
    config: dict[str, object],
    weights: dict[str, float],
    instance_sha: str,
    lower_bound: float,
    solve_seconds: float,
    unrouted: Reason = UNROUTED,
) -> Plan:
    """A full plan from timed trips (trucks without one stay home).

    Parameters
    ----------
    prob
        The problem the trips were timed on.
    timed
        The timed trips.
    dropped
        Shipments (or legs) timing dropped, with why.
    config
        The plan's ``solver`` block.
    weights
        Objective weights.
    instance_sha
        The instance file's SHA-256.
    lower_bound
        The delay lower bound.
    solve_seconds
        Seconds the solve took.
    unrouted
        The reason of an unserved shipment that has no other.
    """
    inst = prob.inst
    trucks = _trucks(prob, timed)
    outcomes, transloads, riders = _outcomes(prob, timed, trucks.events)
    bookings = _bookings(prob, riders)
    unserved = _unserved(prob, dropped, outcomes, bookings, unrouted)
    order = {s.id: i for i, s in enumerate(prob.given.shipments)}
    outcomes.sort(key=lambda o: order[o.shipment])
    unserved.sort(key=lambda u: order[u.shipment])
    handovers = sorted(trucks.handovers, key=lambda h: (h.start, h.station, h.truck))
    loop_duties = _loop_duties(prob, trucks.duties)
    wd = sum(o.weighted_delay for o in outcomes)
    km = sum(r.km for r in trucks.routes)
    pri = prob.given.shipments_by_id
    rail_cost = sum(b.cost for b in bookings)
    objective = (
        sum(unserved_cost(pri[u.shipment], weights, prob.given.horizon) for u in unserved)
        + weights["delay"] * wd
        + weights["km"] * km
        + weights["truck"] * len(trucks.routes)
        + weights["loop_driver"] * len(loop_duties)
        + weights["rail"] * rail_cost
    )
    kpis = KPIs(
        objective=_r(objective),
        weighted_delay=_r(wd),
        delay_lower_bound=_r(lower_bound),
        served=len(outcomes),
        unserved=len(unserved),
        on_time_share=_r(sum(o.delay <= 0 for o in outcomes) / len(outcomes)) if outcomes else 0.0,
        km=_r(km),
        trucks_used=len(trucks.routes),
        loop_drivers_used=len(loop_duties),
        handovers=len(handovers),
        passes=len(trucks.passes),
        transloads=len(transloads),
        rail_bookings=len(bookings),
        solve_seconds=round(solve_seconds, 2),
        by_priority=priority_classes(prob.given.shipments, outcomes),
    )
    return Plan(
        relayroute_version=__version__,
        instance=InstanceRef(name=inst.name, sha256=instance_sha),
        solver=config,
        routes=trucks.routes,
        shipments=outcomes,
        unserved=unserved,
        handovers=handovers,
        loop_drivers=loop_duties,
        passes=trucks.passes,
        transloads=sorted(transloads, key=lambda t: (t.time, t.station, t.shipment)),
        rail_bookings=bookings,
        kpis=kpis,
    )


def _trucks(prob: Problem, timed: list[Timed]) -> _Trucks:
    """Each truck's route, handovers, excursions and passes, in truck order."""
    out = _Trucks()
    for tt in sorted(timed, key=lambda t: t.trip.vehicle.truck):
        route, hos, trips_in = _route(prob, tt)
        out.routes.append(route)
        out.handovers += hos
        for d, ex in trips_in:
            out.duties.setdefault(d, []).append(ex)
        out.passes += _passes(prob, route)
        station_here: str | None = None
        for s in route.stops:
            if s.kind == "handover" and s.station:
                station_here = s.station if s.driver != route.driver else None
            if s.shipments:
                out.events.setdefault(s.shipments[0], []).append((route.truck, s, station_here))
    return out


def _outcomes(
    prob: Problem, timed: list[Timed], events: dict[str, list[tuple[str, Stop, str | None]]]
) -> tuple[list[ShipmentOutcome], list[Transload], dict[tuple[str, float], list[str]]]:
    """The outcome of each shipment picked up and delivered, the transloads, and the
    shipments riding each rail departure."""
    used = {
        prob.owner(ps.shipment): prob.way_of[ps.shipment]
        for tt in timed
        for ps in tt.trip.stops
        if ps.shipment in prob.way_of
    }
    outcomes: list[ShipmentOutcome] = []
    transloads: list[Transload] = []
    riders: dict[tuple[str, float], list[str]] = {}
    for sid, evs in events.items():
        by_kind: dict[str, list[tuple[str, Stop]]] = {}
        for truck, stop, _ in evs:
            by_kind.setdefault(stop.kind, []).append((truck, stop))
        if "delivery" not in by_kind or "pickup" not in by_kind:
            continue
        outcomes.append(_outcome(prob, sid, evs, by_kind, used, transloads, riders))
    return outcomes, transloads, riders


def _outcome(
    prob: Problem,
    sid: str,
    evs: list[tuple[str, Stop, str | None]],
    by_kind: dict[str, list[tuple[str, Stop]]],
    used: dict[str, Way],
    transloads: list[Transload],
    riders: dict[tuple[str, float], list[str]],
) -> ShipmentOutcome:
    """One shipment's outcome from its stops by kind; its transload or rail ride is added
    to ``transloads`` or ``riders``."""
    sh = prob.given.shipments_by_id[sid]
    services = {svc.id: svc for svc in prob.inst.rail_services}
    relay = prob.inst.relay_stations_by_id
    (p_truck, p_stop), (d_truck, d_stop) = by_kind["pickup"][0], by_kind["delivery"][0]
    unload, load = by_kind.get("unload", []), by_kind.get("load", [])
    itinerary: str = prob.itinerary[sid]
    segments: list[Segment] = []
    if unload and load:
        (u_truck, u_stop), (l_truck, l_stop) = unload[0], load[0]
        segments.append(_road(u_truck, sh.origin, p_stop, u_stop))
        station = u_stop.station or ""
        if station in relay:
            itinerary = "transload"
            transloads.append(
                Transload(
                    station=station,
                    shipment=sid,
                    time=u_stop.depart,
                    ready=_r(u_stop.depart + relay[station].transload_minutes),
                    from_truck=u_truck,
                    to_truck=l_truck,
                )
            )
        else:
            itinerary = "rail"
            way = used[sid]
            svc_id, dep = str(way.service), float(way.departure or 0.0)
            svc = services[svc_id]
            riders.setdefault((svc_id, dep), []).append(sid)
            segments.append(
                Segment(
                    mode="rail",
                    service=svc_id,
                    departure=dep,
                    origin=u_stop.place,
                    destination=l_stop.place,
                    start=dep,
                    end=_r(dep + svc.duration),
                )
            )
        segments.append(_road(d_truck, l_stop.place, l_stop, d_stop))
    else:
        segments.append(_road(d_truck, sh.origin, p_stop, d_stop))
    delay = max(0.0, d_stop.depart - sh.due)
    return ShipmentOutcome(
        shipment=sid,
        itinerary=itinerary,  # type: ignore[arg-type]
        stations=list(dict.fromkeys(st for _, _, st in evs if st)),
        truck=p_truck,
        segments=segments,
        pickup=p_stop.start,
        delivered=d_stop.depart,
        delay=_r(delay),
        weighted_delay=_r(delay * sh.priority),
    )


def _bookings(prob: Problem, riders: dict[tuple[str, float], list[str]]) -> list[RailBooking]:
    """One booking per rail departure ridden, in (service, departure) order."""
    ships = prob.given.shipments_by_id
    services = {svc.id: svc for svc in prob.inst.rail_services}
    bookings = []
    for (svc_id, dep), sids in sorted(riders.items()):
        load_sum: dict[str, float] = {}
        for x in sids:
            for d, q in ships[x].quantity.items():
                load_sum[d] = _r(load_sum.get(d, 0.0) + q)
        bookings.append(
            RailBooking(
                service=svc_id,
                departure=dep,
                arrival=_r(dep + services[svc_id].duration),
                shipments=sorted(sids),
                load=load_sum,
                cost=services[svc_id].cost,
            )
        )
    return bookings


def _unserved(
    prob: Problem,
    dropped: dict[str, Reason],
    outcomes: list[ShipmentOutcome],
    bookings: list[RailBooking],
    unrouted: Reason,
) -> list[Unserved]:
    """Each shipment not served, with why: its own reason, else one of its legs', else
    full trains or ``unrouted``."""
    served = {o.shipment for o in outcomes}
    why: dict[str, Reason] = {}
    for sid, reason in list(prob.unserved.items()) + list(dropped.items()):
        owner = prob.owner(sid)
        if owner not in served:
            why.setdefault(owner, reason)
    for sh in prob.given.shipments:
        if sh.id not in served and sh.id not in why:
            why[sh.id] = RAIL_FULL if _rail_full(prob, sh.id, bookings) else unrouted
    return [
        Unserved(shipment=sid, reason=reason.code, detail=reason.detail)
        for sid, reason in why.items()
    ]


def _loop_duties(prob: Problem, duties: dict[str, list[Excursion]]) -> list[LoopDuty]:
    """Each loop driver called in, with its excursions, in pool and number order."""
    inst = prob.inst
    pools = {
        f"{p.id}/{k + 1}": p for p in inst.driver_pools if p.kind == "loop" for k in range(p.count)
    }
    station_of = {s.id: s for s in inst.relay_stations}
    names = driver_names(inst)
    loop_duties = []
    for d in sorted(duties, key=lambda x: (x.split("/")[0], int(x.rsplit("/", 1)[1]))):
        exs = sorted(duties[d], key=lambda e: e.start)
        pool = pools[d]
        home = pool.station or next(s.id for s in prob.swap_stations[pool.zone or ""])
        loop_duties.append(
            LoopDuty(
                driver=d,
                name=names.get(d),
                pool=pool.id,
                station=home,
                zone=station_of[home].zone,
                start=exs[0].start,
                end=exs[-1].end,
                excursions=exs,
            )
        )
    return loop_duties

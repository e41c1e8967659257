"""Turning timed trips into a :class:`~relayroute.model.plan.Plan`.

Arrival times follow from the exact (not rounded) travel times; service, handover and
inspection starts are the scheduler's. Waiting happens on arrival at a stop or at a
checkpoint before its inspection.
"""

from __future__ import annotations

from relayroute import __version__
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
    ShipmentOutcome,
    Stop,
    TruckRoute,
    Unserved,
)
from relayroute.solve.problem import Problem, Reason
from relayroute.solve.resources import Timed

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
        now, driven = depart, 0.0
        crossings = []
        for c, inspect in zip(pleg.route.crossings, times.inspect[i - 1]):
            reach = now + c.offset - driven
            crossings.append(
                Crossing(
                    checkpoint=c.checkpoint,
                    zone=c.zone,
                    direction="in" if c.direction == "in" else "out",
                    arrive=_r(reach),
                    depart=_r(inspect + c.delay),
                )
            )
            now = inspect + c.delay
            driven = c.offset + c.delay
        arrive = now + pleg.route.minutes - driven
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
        if ps.kind in ("pickup", "delivery") and ps.shipment is not None:
            sign = 1.0 if ps.kind == "pickup" else -1.0
            for d, q in ships[ps.shipment].quantity.items():
                load[d] = _r(load[d] + sign * q)
        after = leg_driver[i] if i < len(trip.legs) else own
        stops.append(
            Stop(
                place=ps.place,
                kind=ps.kind,
                shipments=[ps.shipment] if ps.shipment else [],
                station=ps.station,
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
    route = TruckRoute(
        truck=truck,
        driver=own,
        stops=stops,
        legs=legs,
        km=_r(km),
        duty_minutes=_r(stops[-1].arrive - stops[0].depart),
    )
    return route, handovers, excursions


def _passes(prob: Problem, route: TruckRoute) -> list[Pass]:
    """One pass per entry of the truck into a permit zone, valid until it leaves."""
    policy = prob.net.zone_policy
    out: list[Pass] = []
    open_: dict[str, Pass] = {}
    for leg in route.legs:
        for c in leg.crossings:
            if policy.get(c.zone) != "permit":
                continue
            if c.direction == "in":
                p = Pass(
                    truck=route.truck,
                    driver=leg.driver,
                    checkpoint=c.checkpoint,
                    zone=c.zone,
                    valid_from=c.arrive,
                    valid_to=route.stops[-1].arrive,
                )
                open_[c.zone] = p
                out.append(p)
            elif c.zone in open_:
                open_.pop(c.zone).valid_to = c.depart
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
    """A full plan from timed trips (trucks without one stay home)."""
    inst = prob.inst
    routes: list[TruckRoute] = []
    handovers: list[Handover] = []
    duties: dict[str, list[Excursion]] = {}

    passes: list[Pass] = []
    outcomes: list[ShipmentOutcome] = []
    for tt in sorted(timed, key=lambda t: t.trip.vehicle.truck):
        route, hos, trips_in = _route(prob, tt)
        routes.append(route)
        handovers += hos
        for d, ex in trips_in:
            duties.setdefault(d, []).append(ex)
        passes += _passes(prob, route)
        picked = {}
        stations: dict[str, list[str]] = {}
        station_here: str | None = None
        for s in route.stops:
            if s.kind == "handover" and s.station:
                station_here = s.station if s.driver != route.driver else None
            if s.kind in ("pickup", "delivery") and station_here:
                stations.setdefault(s.shipments[0], []).append(station_here)
            if s.kind == "pickup":
                picked[s.shipments[0]] = s
            if s.kind != "delivery":
                continue
            sh = inst.shipments_by_id[s.shipments[0]]
            delay = max(0.0, s.depart - sh.due)
            outcomes.append(
                ShipmentOutcome(
                    shipment=sh.id,
                    itinerary=prob.itinerary[sh.id],  # type: ignore[arg-type]
                    stations=list(dict.fromkeys(stations.get(sh.id, []))),
                    truck=route.truck,
                    pickup=picked[sh.id].start,
                    delivered=s.depart,
                    delay=_r(delay),
                    weighted_delay=_r(delay * sh.priority),
                )
            )
    served = {o.shipment for o in outcomes}
    unserved = [
        Unserved(shipment=sid, reason=reason.code, detail=reason.detail)
        for sid, reason in list(prob.unserved.items()) + list(dropped.items())
    ]
    unserved += [
        Unserved(shipment=s.id, reason=unrouted.code, detail=unrouted.detail)
        for s in inst.shipments
        if s.id not in served and s.id not in prob.unserved and s.id not in dropped
    ]
    order = {s.id: i for i, s in enumerate(inst.shipments)}
    outcomes.sort(key=lambda o: order[o.shipment])
    unserved.sort(key=lambda u: order[u.shipment])
    handovers.sort(key=lambda h: (h.start, h.station, h.truck))
    pools = {
        f"{p.id}/{k + 1}": p for p in inst.driver_pools if p.kind == "loop" for k in range(p.count)
    }
    station_of = {s.id: s for s in inst.relay_stations}
    loop_duties = []
    for d in sorted(duties, key=lambda x: (x.split("/")[0], int(x.rsplit("/", 1)[1]))):
        exs = sorted(duties[d], key=lambda e: e.start)
        pool = pools[d]
        home = pool.station or next(s.id for s in prob.swap_stations[pool.zone or ""])
        loop_duties.append(
            LoopDuty(
                driver=d,
                pool=pool.id,
                station=home,
                zone=station_of[home].zone,
                start=exs[0].start,
                end=exs[-1].end,
                excursions=exs,
            )
        )
    wd = sum(o.weighted_delay for o in outcomes)
    km = sum(r.km for r in routes)
    pri = inst.shipments_by_id
    objective = (
        weights["unserved"] * sum(pri[u.shipment].priority for u in unserved)
        + weights["delay"] * wd
        + weights["km"] * km
        + weights["truck"] * len(routes)
        + weights["loop_driver"] * len(loop_duties)
    )
    kpis = KPIs(
        objective=_r(objective),
        weighted_delay=_r(wd),
        delay_lower_bound=_r(lower_bound),
        served=len(outcomes),
        unserved=len(unserved),
        on_time_share=_r(sum(o.delay <= 0 for o in outcomes) / len(outcomes)) if outcomes else 0.0,
        km=_r(km),
        trucks_used=len(routes),
        loop_drivers_used=len(loop_duties),
        handovers=len(handovers),
        passes=len(passes),
        solve_seconds=round(solve_seconds, 2),
    )
    return Plan(
        relayroute_version=__version__,
        instance=InstanceRef(name=inst.name, sha256=instance_sha),
        solver=config,
        routes=routes,
        shipments=outcomes,
        unserved=unserved,
        handovers=handovers,
        loop_drivers=loop_duties,
        passes=passes,
        kpis=kpis,
    )

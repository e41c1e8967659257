"""Turning the solver's stop sequences into a :class:`~relayroute.model.plan.Plan`.

Times are re-simulated forward from each truck's start along the exact (not rounded)
travel times, serving every stop as early as its windows allow and waiting at a
checkpoint until it opens; this never makes a stop later than the solver planned it.
"""

from __future__ import annotations

from typing import Literal

from relayroute import __version__
from relayroute.model.plan import (
    Crossing,
    InstanceRef,
    KPIs,
    Leg,
    Plan,
    ShipmentOutcome,
    Stop,
    TruckRoute,
    Unserved,
)
from relayroute.solve.problem import Problem, earliest_in
from relayroute.solve.routing import Visit

ROUND = 4  # decimals of minutes and km in the plan
CHECKPOINT_HOURS_DETAIL = (
    "taken off its truck: waiting for a checkpoint to open would break its deadline, a site's "
    "hours or the driver's duty (the routing model does not know checkpoint hours yet)"
)


def _r(x: float) -> float:
    return round(float(x), ROUND)


def _depot_stop(
    place: str, kind: Literal["start", "end"], t: float, load: dict[str, float], driver: str
) -> Stop:
    return Stop(
        place=place,
        kind=kind,
        arrive=_r(t),
        start=_r(t),
        depart=_r(t),
        load=dict(load),
        driver=driver,
    )


def _simulate(
    prob: Problem, truck_id: str, visits: list[Visit], t0: float
) -> tuple[list[Stop], list[Leg]]:
    inst = prob.inst
    truck = inst.trucks_by_id[truck_id]
    table = prob.table(truck_id)
    ships = inst.shipments_by_id
    places = inst.places_by_id
    cps = inst.checkpoints_by_id
    dims = inst.capacity_dimensions()
    load = {d: 0.0 for d in dims}
    driver = f"{truck_id}/driver"
    here = prob.depot_place(truck)
    stops = [_depot_stop(here, "start", t0, load, driver)]
    legs: list[Leg] = []
    now = t0
    targets = [
        (
            v.kind,
            v.shipment,
            ships[v.shipment].origin if v.kind == "pickup" else ships[v.shipment].destination,
        )
        for v in visits
    ]
    targets.append(("end", "", prob.depot_place(truck, end=True)))
    for kind, sid, place in targets:
        route = table.route(here, place)
        crossings = []
        wait = 0.0
        for c in route.crossings:
            reach = now + c.offset + wait
            opened = earliest_in(cps[c.checkpoint].hours, reach)
            passed = reach if opened is None else opened
            wait += passed - reach
            crossings.append(
                Crossing(
                    checkpoint=c.checkpoint,
                    zone=c.zone,
                    direction=c.direction,
                    arrive=_r(reach),
                    depart=_r(passed + c.delay),
                )
            )
        arrive = now + route.minutes + wait
        legs.append(
            Leg(
                path=route.nodes,
                coords=route.coords,
                depart=_r(now),
                arrive=_r(arrive),
                km=_r(route.km),
                minutes=_r(route.minutes + wait),
                crossings=crossings,
            )
        )
        if kind == "end":
            stops.append(_depot_stop(place, "end", arrive, load, driver))
            break
        sh = ships[sid]
        earliest = max(arrive, sh.ready) if kind == "pickup" else arrive
        start = earliest_in(places[place].hours, earliest)
        start = earliest if start is None else start
        service = sh.pickup_minutes if kind == "pickup" else sh.delivery_minutes
        sign = 1.0 if kind == "pickup" else -1.0
        for d, q in sh.quantity.items():
            load[d] = _r(load[d] + sign * q)
        stops.append(
            Stop(
                place=place,
                kind=kind,
                shipments=[sid],
                arrive=_r(arrive),
                start=_r(start),
                depart=_r(start + service),
                load=dict(load),
                driver=driver,
            )
        )
        now = start + service
        here = place
    return stops, legs


def _first_fault(prob: Problem, truck_id: str, stops: list[Stop], legs: list[Leg]) -> str | None:
    """A shipment whose hard limits the simulated route breaks, else None.

    The routing model does not know checkpoint opening hours; waiting for a checkpoint can
    push a stop past a deadline, a site's hours or the driver's duty. Such a shipment is
    taken off the route (and reported unserved) rather than planned infeasibly.
    """
    inst = prob.inst
    places = inst.places_by_id
    ships = inst.shipments_by_id
    cps = inst.checkpoints_by_id
    last = [s for s in stops if s.kind == "delivery"]
    for leg, s in zip(legs, stops[1:]):
        for c in leg.crossings:
            hours = cps[c.checkpoint].hours
            inspect = c.depart - cps[c.checkpoint].delay
            if hours and not any(a <= inspect <= b for a, b in hours):
                # never open again that day: drop what this leg serves (or the last delivery)
                if s.kind != "end":
                    return s.shipments[0]
                return last[-1].shipments[0] if last else None
    for s in stops[1:-1]:
        sh = ships[s.shipments[0]]
        hours = places[s.place].hours
        if hours and not any(a <= s.start <= b for a, b in hours):
            return sh.id
        if s.kind == "delivery" and sh.deadline is not None and s.depart > sh.deadline + 1e-6:
            return sh.id
    lo, hi, duty = prob.duty[truck_id]
    if stops[-1].arrive > hi + 1e-6 or stops[-1].arrive - stops[0].depart > duty + 1e-6:
        return last[-1].shipments[0] if last else None
    return None


def _truck_route(
    prob: Problem, truck_id: str, visits: list[Visit], t0: float, dropped: set[str]
) -> TruckRoute | None:
    while True:
        stops, legs = _simulate(prob, truck_id, visits, t0)
        fault = _first_fault(prob, truck_id, stops, legs)
        if fault is None:
            break
        dropped.add(fault)
        visits = [v for v in visits if v.shipment != fault]
        if not visits:
            return None
    # Leave the depot as late as possible without moving any service start.
    if len(stops) > 2:
        later = max(t0, stops[1].start - legs[0].minutes)
        if later > t0:
            s2, l2 = _simulate(prob, truck_id, visits, later)
            if all(a.start == b.start for a, b in zip(stops[1:-1], s2[1:-1])):
                stops, legs = s2, l2
    km = sum(leg.km for leg in legs)
    return TruckRoute(
        truck=truck_id,
        driver=stops[0].driver,
        stops=stops,
        legs=legs,
        km=_r(km),
        duty_minutes=_r(stops[-1].arrive - stops[0].depart),
    )


def build_plan(
    prob: Problem,
    sequences: dict[str, list[Visit]],
    start_times: dict[str, float],
    config: dict[str, object],
    weights: dict[str, float],
    instance_sha: str,
    lower_bound: float,
    solve_seconds: float,
    dropped_reason: str = "the solver found no truck and time for it within its search limits",
) -> Plan:
    """A full plan from per-truck visit sequences (trucks with none stay home)."""
    inst = prob.inst
    dropped: set[str] = set()
    built = [
        _truck_route(
            prob, t.id, sequences[t.id], start_times.get(t.id, prob.duty[t.id][0]), dropped
        )
        for t in inst.trucks
        if sequences.get(t.id)
    ]
    routes = [r for r in built if r is not None]
    outcomes: list[ShipmentOutcome] = []
    served: set[str] = set()
    for r in routes:
        picked = {s.shipments[0]: s for s in r.stops if s.kind == "pickup"}
        for s in r.stops:
            if s.kind != "delivery":
                continue
            sh = inst.shipments_by_id[s.shipments[0]]
            delay = max(0.0, s.depart - sh.due)
            outcomes.append(
                ShipmentOutcome(
                    shipment=sh.id,
                    truck=r.truck,
                    pickup=picked[sh.id].start,
                    delivered=s.depart,
                    delay=_r(delay),
                    weighted_delay=_r(delay * sh.priority),
                )
            )
            served.add(sh.id)
    unserved = [
        Unserved(shipment=sid, reason=reason.code, detail=reason.detail)
        for sid, reason in prob.unserved.items()
    ]
    unserved += [
        Unserved(shipment=sid, reason="checkpoint_hours", detail=CHECKPOINT_HOURS_DETAIL)
        for sid in sorted(dropped)
    ]
    unserved += [
        Unserved(shipment=s.id, reason="dropped", detail=dropped_reason)
        for s in inst.shipments
        if s.id not in served and s.id not in prob.unserved and s.id not in dropped
    ]
    order = {s.id: i for i, s in enumerate(inst.shipments)}
    outcomes.sort(key=lambda o: order[o.shipment])
    unserved.sort(key=lambda u: order[u.shipment])
    wd = sum(o.weighted_delay for o in outcomes)
    km = sum(r.km for r in routes)
    pri = inst.shipments_by_id
    objective = (
        weights["unserved"] * sum(pri[u.shipment].priority for u in unserved)
        + weights["delay"] * wd
        + weights["km"] * km
        + weights["truck"] * len(routes)
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
        solve_seconds=round(solve_seconds, 2),
    )
    return Plan(
        relayroute_version=__version__,
        instance=InstanceRef(name=inst.name, sha256=instance_sha),
        solver=config,
        routes=routes,
        shipments=outcomes,
        unserved=unserved,
        kpis=kpis,
    )

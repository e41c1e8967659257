"""The plan objective of timed trips, as the pipeline compares its candidates: unserved,
delay, loop drivers, km, trucks and rail, with the weights of
:func:`relayroute.solve.routing.weights`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relayroute.itineraries.problem import Problem
    from relayroute.model.instance import Shipment
    from relayroute.solve.timing.dispatch import Timed


def unserved_cost(ship: Shipment, w: dict[str, float], horizon: float) -> float:
    """What leaving ``ship`` unserved costs: ``objective.unserved`` x its priority and,
    with the ``day_end`` valuation (``w["day_end"]``), its priority-weighted lateness
    until the day's end."""
    late = max(0.0, horizon - ship.due) if w.get("day_end") else 0.0
    return ship.priority * (w["unserved"] + w["delay"] * late)


def served_ways(prob: Problem, timed: list[Timed]) -> dict[str, list[str]]:
    """Shipments delivered whole, each with the legs (or itself) that carried it."""
    delivered = {s for tt in timed for s in tt.times.delivered}
    out: dict[str, list[str]] = {}
    for sid in delivered:
        way = prob.way_of.get(sid)
        if way is None:
            out[sid] = [sid]
        elif sid == way.parts[-1] and all(x in delivered for x in way.parts):
            out[prob.owner(sid)] = list(way.parts)
    return out


def score(prob: Problem, timed: list[Timed], w: dict[str, float]) -> float:
    """The plan objective of a timing: unserved, delay, loop drivers, km, trucks, rail."""
    ships = prob.inst.shipments_by_id
    served = served_ways(prob, timed)
    delay = sum(
        ships[s].priority * max(0.0, t - ships[s].due)
        for tt in timed
        for s, t in tt.times.delivered.items()
    )
    drivers = {d for tt in timed for d in tt.drivers.values()}
    # Everything servable the trips do not deliver whole: dropped by timing or never routed.
    horizon = prob.inst.horizon
    lost = sum(unserved_cost(ships[s], w, horizon) for s in prob.ways if s not in served)
    km = sum(leg.route.km for tt in timed for leg in tt.trip.legs)
    services = {svc.id: svc for svc in prob.inst.rail_services}
    trains = {
        (way.service, way.departure)
        for legs in served.values()
        if (way := prob.way_of.get(legs[0])) is not None and way.kind == "rail"
    }
    return (
        lost
        + w["delay"] * delay
        + w["loop_driver"] * len(drivers)
        + w["km"] * km
        + w["truck"] * len(timed)
        + w["rail"] * sum(services[str(svc)].cost for svc, _ in trains)
    )

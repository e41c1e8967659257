"""From an instance to what the solver works on: travel tables per driver class,
which trucks may carry which shipment, and shipments that no itinerary can serve yet.

Itineraries in this version: ``direct`` only, by an outside truck (open and permit
zones). A shipment with an end inside a closed_loop zone needs a relay station and is
reported unserved with that reason until relay itineraries exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from relayroute.model.instance import Instance, Shipment, Truck
from relayroute.network import Network, Profile, TravelTable, build_network


@dataclass(frozen=True)
class Reason:
    code: str
    detail: str


@dataclass
class Problem:
    """An instance made ready for solving."""

    inst: Instance
    net: Network
    profiles: dict[str, Profile]
    tables: dict[Profile, TravelTable]
    eligible: dict[str, list[str]] = field(default_factory=dict)
    unserved: dict[str, Reason] = field(default_factory=dict)
    duty: dict[str, tuple[float, float, float]] = field(default_factory=dict)

    def table(self, truck: str) -> TravelTable:
        return self.tables[self.profiles[truck]]

    def depot_place(self, truck: Truck, end: bool = False) -> str:
        depot = truck.end_depot if end and truck.end_depot else truck.depot
        return self.inst.depots_by_id[depot].place


def earliest_in(hours: list[tuple[float, float]], t: float) -> float | None:
    """Earliest time ≥ t inside one of ``hours`` (always open when empty); None if none."""
    if not hours:
        return t
    for lo, hi in sorted(hours):
        if t <= hi:
            return max(t, lo)
    return None


def truck_duty(inst: Instance, truck: Truck) -> tuple[float, float, float]:
    """(earliest start, latest end, max duty) from the truck and its driver's pool."""
    lo, hi = truck.available
    duty = hi - lo
    if truck.driver_pool is not None:
        pool = inst.pools_by_id[truck.driver_pool]
        lo, hi, duty = max(lo, pool.shift[0]), min(hi, pool.shift[1]), pool.max_duty
    return lo, hi, duty


def solo_delivery(prob: Problem, sh: Shipment, truck: Truck) -> float | None:
    """When ``truck`` alone would finish delivering ``sh`` at the earliest, None if never."""
    places = prob.inst.places_by_id
    t = prob.table(truck.id)
    depot = prob.depot_place(truck)
    lo, hi, _ = truck_duty(prob.inst, truck)
    o, d = sh.origin, sh.destination
    if not (
        t.reachable(depot, o)
        and t.reachable(o, d)
        and t.reachable(d, prob.depot_place(truck, end=True))
    ):
        return None
    arrive = lo + t.minutes[t.index[depot], t.index[o]]
    start = earliest_in(places[o].hours, max(arrive, sh.ready))
    if start is None:
        return None
    arrive = start + sh.pickup_minutes + t.minutes[t.index[o], t.index[d]]
    start = earliest_in(places[d].hours, arrive)
    if start is None:
        return None
    return float(start + sh.delivery_minutes)


def build_problem(inst: Instance, base: Path | None = None, net: Network | None = None) -> Problem:
    """Network, travel tables and eligibility for ``inst``."""
    net = net or build_network(inst, base)
    profiles = {t.id: Profile("outside", frozenset(t.permits)) for t in inst.trucks}
    sites = sorted(
        {inst.depots_by_id[t.depot].place for t in inst.trucks}
        | {inst.depots_by_id[t.end_depot].place for t in inst.trucks if t.end_depot}
        | {s.origin for s in inst.shipments}
        | {s.destination for s in inst.shipments}
    )
    delays = {c.id: c.delay for c in inst.checkpoints}
    closed = {c.id for c in inst.checkpoints if c.closed}
    tables = {
        prof: TravelTable(net, prof, sites, delays, closed) for prof in set(profiles.values())
    }
    prob = Problem(inst, net, profiles, tables)
    prob.duty = {t.id: truck_duty(inst, t) for t in inst.trucks}
    for sh in inst.shipments:
        reason = _classify(prob, sh)
        if reason is not None:
            prob.unserved[sh.id] = reason
    return prob


def _closed_zone(prob: Problem, place: str) -> str | None:
    zone = prob.net.node_zone.get(prob.net.place_node[place])
    if zone is not None and prob.net.zone_policy[zone] == "closed_loop":
        return zone
    return None


def _classify(prob: Problem, sh: Shipment) -> Reason | None:
    """Eligible trucks for a shipment, or why none can serve it directly."""
    inst = prob.inst
    for end, place in (("origin", sh.origin), ("destination", sh.destination)):
        zone = _closed_zone(prob, place)
        if zone is not None:
            return Reason(
                "needs_relay_station",
                f"needs a relay station: {end} {place!r} lies in closed-loop zone {zone!r}, "
                "where outside drivers may not go; relay itineraries are not implemented yet",
            )
    fits = [
        t
        for t in inst.trucks
        if all(t.capacity.get(d, 0) + 1e-9 >= q for d, q in sh.quantity.items())
    ]
    if not fits:
        return Reason("no_truck_capacity", "no truck has room for its quantity in every dimension")
    reach = [t for t in fits if solo_delivery(prob, sh, t) is not None]
    if not reach:
        ends = (prob.net.node_zone.get(prob.net.place_node[p]) for p in (sh.origin, sh.destination))
        zones = {z for z in ends if z is not None}
        permit_zones = sorted(z for z in zones if prob.net.zone_policy[z] == "permit")
        if permit_zones and not any(set(permit_zones) <= set(t.permits) for t in fits):
            return Reason(
                "no_permit",
                f"no truck with room holds a permit for zone(s) {', '.join(permit_zones)}",
            )
        return Reason(
            "no_access", "no truck with room can reach both ends within its hours by open roads"
        )
    if sh.deadline is not None:
        best = min(solo_delivery(prob, sh, t) or math.inf for t in reach)
        if best > sh.deadline + 1e-9:
            return Reason(
                "deadline_unreachable",
                f"even alone on the fastest truck it is delivered at {best:g}, after its deadline {sh.deadline:g}",
            )
        reach = [t for t in reach if (solo_delivery(prob, sh, t) or math.inf) <= sh.deadline + 1e-9]
    prob.eligible[sh.id] = [t.id for t in reach]
    return None


def delay_lower_bound(prob: Problem) -> float:
    """Σ priority × delay of each servable shipment alone on its fastest truck.

    Unlimited trucks and drivers, no waiting at checkpoints: a relaxation, so no plan
    that serves these shipments can have less weighted delay.
    """
    total = 0.0
    trucks = prob.inst.trucks_by_id
    for sh in prob.inst.shipments:
        if sh.id not in prob.eligible:
            continue
        best = min(solo_delivery(prob, sh, trucks[t]) or math.inf for t in prob.eligible[sh.id])
        total += sh.priority * max(0.0, best - sh.due)
    return total

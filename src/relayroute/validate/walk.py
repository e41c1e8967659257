"""The re-simulation core: each route walked stop by stop and leg by leg, node by node.

The walk re-adds the load on board, drives each leg along its path on the validator's own
geography (:mod:`relayroute.validate.world`) with its own clock, and notes which zone each
node lies in. At each stop, leg and node it calls the rule checks of that place (coverage,
drivers, checkpoints, goods, fleet), so that violations come in the order a route is driven;
what the rules across trucks need it gathers in a :class:`Seen`. The walk itself reports only
a route's shape (PLAN): stops and legs that do not fit together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from relayroute.validate.checkpoints import Crossings, Entry
from relayroute.validate.coverage import (
    Visit,
    check_arrival,
    check_leg_ends,
    check_leg_times,
    check_load,
    check_service,
    check_stop_times,
    check_visit,
)
from relayroute.validate.drivers import (
    Duty,
    Handover,
    check_leg_driver,
    check_node,
    check_start_driver,
    check_stop_drivers,
)
from relayroute.validate.fleet import check_path_nodes, check_road, check_truck_day
from relayroute.validate.goods import Move, check_station_stop
from relayroute.validate.report import TOL

if TYPE_CHECKING:
    from relayroute.model.instance import DriverPool
    from relayroute.model.plan import Plan, Stop, TruckRoute
    from relayroute.validate.report import Found
    from relayroute.validate.world import World


@dataclass
class Seen:
    """What the walk gathers for the rules that span several trucks."""

    loop: dict[str, DriverPool]  # loop driver -> its pool, as the plan declares them
    duties: dict[str, list[Duty]] = field(default_factory=dict)
    bays: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    inspections: dict[str, list[float]] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    handovers: list[Handover] = field(default_factory=list)
    # (truck, loop driver) -> (time, station) of the handover that gave it the truck.
    open: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)
    moves: dict[str, list[Move]] = field(default_factory=dict)  # shipment -> unload, load
    picks: dict[str, list[Visit]] = field(default_factory=dict)
    drops: dict[str, list[Visit]] = field(default_factory=dict)


def walk_routes(found: Found, world: World, plan: Plan, seen: Seen) -> float:
    """Walk every route of the plan; the km of all legs along their paths."""
    km = 0.0
    for r in plan.routes:
        if r.truck not in world.inst.trucks_by_id:
            found.add("PLAN", f"route of {r.truck}", None, "unknown truck")
            continue
        km += walk_route(found, world, r, seen)
    return km


def walk_route(found: Found, world: World, r: TruckRoute, seen: Seen) -> float:
    """Walk one route of a known truck; the km of its legs."""
    inst = world.inst
    truck = inst.trucks_by_id[r.truck]
    name = f"truck {r.truck}"
    check_start_driver(found, r, seen.loop)
    stops = r.stops
    if len(stops) < 2 or stops[0].kind != "start" or stops[-1].kind != "end":
        found.add("PLAN", name, None, "a route starts with a start stop and ends with an end stop")
        return 0.0
    check_truck_day(found, inst, r, truck)
    if len(r.legs) != len(stops) - 1:
        found.add(
            "PLAN", name, None, f"{len(stops)} stops need {len(stops) - 1} legs, got {len(r.legs)}"
        )
        return 0.0
    load: dict[str, float] = {}
    km = 0.0
    for i in range(len(stops)):
        if _walk_stop(found, world, r, i, load, seen) and i + 1 < len(stops):
            km += walk_leg(found, world, r, i, seen)
    if abs(r.km - km) > 10 * TOL:
        found.add("PLAN", name, None, f"states {r.km:g} km, its legs give {km:g}")
    return km


def _walk_stop(
    found: Found, world: World, r: TruckRoute, i: int, load: dict[str, float], seen: Seen
) -> bool:
    """Stop ``i``: its drivers, its goods on and off ``load``; False if too broken to go on."""
    inst = world.inst
    s = r.stops[i]
    where = f"truck {r.truck} stop {i} ({s.place})"
    place = inst.places_by_id.get(s.place)
    if place is None:
        found.add("PLAN", where, None, "unknown place")
        return False
    check_stop_times(found, s, where)
    came = r.legs[i - 1].driver if 0 < i <= len(r.legs) else r.driver
    goes = r.legs[i].driver if i < len(r.legs) else r.driver
    if s.driver != goes:
        found.add("PLAN", where, s.depart, f"names driver {s.driver}, the next leg {goes}")
    z = world.place_zone(place, s.arrive, world.stop_pick(r, i))
    policy = world.policy_in(z, r, i, leg=False) if z is not None else None
    st = check_stop_drivers(found, world, seen.loop, s, z, came, goes, where, policy)
    if st is not None:
        _record_handover(seen, r.truck, s, st.id, came, goes)
    ships = inst.shipments_by_id
    if s.kind in ("unload", "load"):
        if len(s.shipments) != 1 or s.shipments[0] not in ships:
            found.add("PLAN", where, None, "a load or unload stop names one known shipment")
            return False
        sh = ships[s.shipments[0]]
        check_station_stop(found, inst, s, sh, where)
        check_service(
            found, s, sh.delivery_minutes if s.kind == "unload" else sh.pickup_minutes, where
        )
        seen.moves.setdefault(sh.id, []).append(
            Move(s.kind, r.truck, i, s.start, s.depart, s.station)
        )
        _add(load, sh.quantity, 1.0 if s.kind == "load" else -1.0)
    if s.kind in ("pickup", "delivery"):
        if len(s.shipments) != 1 or s.shipments[0] not in ships:
            found.add("PLAN", where, None, "a pickup or delivery stop names one known shipment")
            return False
        sh = ships[s.shipments[0]]
        check_visit(found, s, sh, place, where)
        visits = seen.picks if s.kind == "pickup" else seen.drops
        visits.setdefault(sh.id, []).append((r.truck, i, s.start))
        _add(load, sh.quantity, 1.0 if s.kind == "pickup" else -1.0)
    check_load(found, inst.trucks_by_id[r.truck], load, s, where)
    return True


def _add(load: dict[str, float], quantity: dict[str, float], sign: float) -> None:
    for dim, q in quantity.items():
        load[dim] = load.get(dim, 0.0) + sign * q


def _record_handover(seen: Seen, truck: str, s: Stop, station: str, came: str, goes: str) -> None:
    """A proper handover at ``station``: its bay, and the loop drivers' duties it ends or starts."""
    seen.bays.setdefault(station, []).append((s.start, s.depart))
    seen.handovers.append((station, truck, round(s.start, 3), came, goes))
    if came in seen.loop:
        began = seen.open.pop((truck, came), None)
        if began is not None:
            seen.duties.setdefault(came, []).append((began[0], s.depart, began[1], station, truck))
    if goes in seen.loop:
        seen.open[(truck, goes)] = (s.start, station)


def walk_leg(found: Found, world: World, r: TruckRoute, i: int, seen: Seen) -> float:
    """Drive leg ``i`` node by node: zones, gates and crossings on its clock; its km."""
    leg, a, b = r.legs[i], r.stops[i], r.stops[i + 1]
    name = f"truck {r.truck} leg {i} ({a.place}->{b.place})"
    pool = seen.loop.get(leg.driver)
    check_leg_driver(found, r, leg, pool, name)
    check_leg_times(found, leg, a, b, name)
    if not leg.path:
        found.add("PLAN", name, None, "empty path")
        return 0.0
    check_leg_ends(found, world, leg, a, b, name)
    if world.mode != "road" and len(leg.coords) != len(leg.path):
        found.add("PLAN", name, None, "coords must match path nodes one to one")
        return 0.0
    if not check_path_nodes(found, world, leg, name):
        return 0.0
    xy = [world.node_xy(n, leg, k) for k, n in enumerate(leg.path)]
    truck = world.inst.trucks_by_id[r.truck]
    crossings = Crossings(found, world, truck, leg, name, seen.inspections, seen.entries)
    if world.changing:
        crossings.policy_of = lambda z: world.policy_in(z, r, i, leg=True)
        crossings.loop_zone = pool.zone if pool is not None else None
    t = leg.depart
    km = 0.0
    # A road is judged by the zones' areas when it starts: a truck on it finishes it.
    pick = world.leg_pick(r, i)
    zone_here = world.zone_at(*xy[0], leg.depart, pick) if world.mode != "euclidean" else None
    gates: list[tuple[str, float]] = []  # gates passed since the last plain node, with time
    for k, node in enumerate(leg.path):
        if k:
            minutes, dkm, fault = world.step(leg.path[k - 1], node, xy[k - 1], xy[k])
            check_road(found, name, t, fault)
            t += minutes
            km += dkm
        if node in world.gate_of:
            gates.append((world.gate_of[node], t))
            continue
        # A sealed transit road is a tube through its zone: its nodes count as outside.
        z = (
            world.zone_at(*xy[k], leg.depart, pick)
            if world.mode != "euclidean" and node not in world.sealed
            else None
        )
        policy = world.policy_in(z, r, i, leg=True) if z is not None else None
        if policy != "open":
            check_node(found, world, pool, leg.driver, node, z, name, t, policy)
        if z != zone_here:
            t = crossings.cross(zone_here, z, gates, t)
            zone_here = z
        gates = []
    crossings.check_all_used()
    check_arrival(found, leg, t, name)
    if abs(leg.km - km) > 10 * TOL:
        found.add("PLAN", name, None, f"states {leg.km:g} km, its path is {km:g} km")
    return km

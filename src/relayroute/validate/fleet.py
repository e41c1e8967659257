"""R12, availability and open roads: trucks and their drivers within their day, on roads that exist.

A truck starts at its depot and ends at its end depot within its availability; its outside
driver works within the pool's shift and maximum duty; each step of a leg is a road of the
network that is not closed; a pool supplies no more drivers than it has. (An outside driver
in two places at once is R12 too, judged on the plan's statements in
:mod:`relayroute.validate.statements`.)
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from relayroute.validate.report import TOL

if TYPE_CHECKING:
    from relayroute.model.instance import Instance, Truck
    from relayroute.model.plan import Leg, Plan, TruckRoute
    from relayroute.validate.report import Found
    from relayroute.validate.world import World


def check_truck_day(found: Found, inst: Instance, r: TruckRoute, truck: Truck) -> None:
    """R12 for a route as a whole: its depots, the truck's availability, its driver's shift."""
    name = f"truck {r.truck}"
    first, last = r.stops[0], r.stops[-1]
    depot = inst.depots_by_id[truck.depot].place
    end_depot = inst.depots_by_id[truck.end_depot or truck.depot].place
    if first.place != depot or last.place != end_depot:
        found.add("R12", name, None, f"must start at {depot} and end at {end_depot}")
    lo, hi = truck.available
    if first.depart < lo - TOL or last.arrive > hi + TOL:
        found.add(
            "R12",
            name,
            first.depart,
            f"works {first.depart:g}-{last.arrive:g}, outside its availability {lo:g}-{hi:g}",
        )
    if truck.driver_pool is None:
        return
    pool = inst.pools_by_id[truck.driver_pool]
    driver = f"driver of {r.truck}"
    if first.depart < pool.shift[0] - TOL or last.arrive > pool.shift[1] + TOL:
        found.add("R12", driver, first.depart, f"outside shift {pool.shift[0]:g}-{pool.shift[1]:g}")
    if last.arrive - first.depart > pool.max_duty + TOL:
        found.add(
            "R12",
            driver,
            last.arrive,
            f"duty {last.arrive - first.depart:g} min over max {pool.max_duty:g}",
        )


def check_path_nodes(found: Found, world: World, leg: Leg, name: str) -> bool:
    """R12: every node of a road-mode path is in the road network (False where one is not)."""
    if world.mode != "road" or world.graph is None:
        return True
    for n in leg.path:
        if n not in world.graph:
            found.add("R12", name, leg.depart, f"node {n!r} is not in the road network")
            return False
    return True


def check_road(found: Found, name: str, t: float, fault: str | None) -> None:
    """R12: the step of a leg driven at ``t`` has no road, or a closed one (``fault`` says)."""
    if fault:
        found.add("R12", name, t, fault)


def check_fleet(found: Found, inst: Instance, plan: Plan) -> None:
    """One route a truck, and no pool supplying more outside drivers than it has."""
    for t, n in Counter(r.truck for r in plan.routes).items():
        if n > 1:
            found.add("PLAN", f"truck {t}", None, f"has {n} routes")
    trucks = inst.trucks_by_id
    # Drivers, not trucks: one driver may drive two trucks one after the other.
    pools = Counter(
        pool
        for pool, _ in {
            (trucks[r.truck].driver_pool, r.driver) for r in plan.routes if r.truck in trucks
        }
    )
    for pid, used in pools.items():
        if pid is not None and used > inst.pools_by_id[pid].count:
            found.add(
                "R12",
                f"driver pool {pid}",
                None,
                f"{used} drivers used, {inst.pools_by_id[pid].count} in the pool",
            )

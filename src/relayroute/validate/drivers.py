"""R5-R8: who drives where, and where the truck changes driver.

- **R5** outside drivers stay out of closed-loop zones (neither stop nor drive through one).
- **R6** loop drivers stay inside their own zone, leaving it only to stand at one of its
  relay stations.
- **R7** a truck starts the day with its own outside driver and changes driver only by a
  handover at a relay station with driver swap: long enough, within the station's bays,
  listed in the plan, and every loop driver hands the truck back.
- **R8** loop drivers work within their pool's shift and maximum duty, drive one truck at
  a time, take and return trucks at their home station, and a pool supplies no more loop
  drivers than it has.

The stop, leg and node checks are called by the walk (:mod:`relayroute.validate.walk`);
the walk gathers the handovers and loop-driver duties that the checks across trucks judge.
The road geometry between nodes is judged in :mod:`relayroute.validate.geometry`.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import TYPE_CHECKING

from relayroute.validate.report import TOL

if TYPE_CHECKING:
    from relayroute.model.instance import DriverPool, Instance, RelayStation
    from relayroute.model.plan import Leg, LoopDuty, Plan, Stop, TruckRoute
    from relayroute.validate.report import Found
    from relayroute.validate.world import World

Handover = tuple[str, str, float, str, str]  # station, truck, start (3 decimals), from, to
Duty = tuple[float, float, str, str, str]  # a loop driver's truck: start, end, in at, out at, truck


def declared_loop_drivers(found: Found, inst: Instance, plan: Plan) -> dict[str, DriverPool]:
    """Loop driver -> its pool, as the plan declares them (PLAN where a pool is not a loop pool)."""
    loop: dict[str, DriverPool] = {}
    for d in plan.loop_drivers:
        name = f"loop driver {d.driver}"
        pool = inst.pools_by_id.get(d.pool)
        if pool is None or pool.kind != "loop":
            found.add("PLAN", name, None, f"pool {d.pool!r} is not a loop pool")
            continue
        if d.driver in loop:
            found.add("PLAN", name, None, "listed twice")
        loop[d.driver] = pool
    return loop


def check_start_driver(found: Found, r: TruckRoute, loop: dict[str, DriverPool]) -> None:
    """R7: the route's own driver is an outside driver."""
    if r.driver_kind != "outside" or r.driver in loop:
        found.add(
            "R7",
            f"truck {r.truck}",
            None,
            "a truck starts its day with its own outside driver, not a loop driver",
        )


def check_leg_driver(
    found: Found, r: TruckRoute, leg: Leg, pool: DriverPool | None, name: str
) -> None:
    """R7: a leg is driven by the truck's own driver or by a loop driver (of ``pool``)."""
    if leg.driver != r.driver and pool is None:
        found.add(
            "R7",
            name,
            leg.depart,
            f"driven by {leg.driver}, neither the truck's driver nor a loop driver of the plan",
        )


def check_node(
    found: Found,
    world: World,
    pool: DriverPool | None,
    driver: str,
    node: str,
    z: str | None,
    name: str,
    t: float,
    policy: str | None = None,
) -> None:
    """R5 / R6 at a path node in zone ``z``, reached at ``t`` by ``driver`` (of loop ``pool``);
    ``policy``: the zone's as the truck is judged there (:meth:`World.policy_in`)."""
    if z is None:
        return
    zid = world.real(z)
    if pool is not None:
        if zid != pool.zone:
            found.add(
                "R6",
                name,
                t,
                f"loop driver {driver} of zone {pool.zone!r} drives through {node!r} in zone {zid!r}",
            )
    elif (policy or world.policy[z]) == "closed_loop":
        found.add(
            "R5",
            name,
            t,
            f"an outside driver drives through {node!r} inside closed-loop zone {zid!r}",
        )


def check_stop_drivers(
    found: Found,
    world: World,
    loop: dict[str, DriverPool],
    s: Stop,
    z: str | None,
    came: str,
    goes: str,
    where: str,
    policy: str | None = None,
) -> RelayStation | None:
    """R5-R7 at a stop in zone ``z``: who may stand here, and whether the driver changes.

    ``came`` brought the truck here and ``goes`` drives it on; ``policy`` is the zone's as
    the truck is judged there (:meth:`World.policy_in`). Returns the relay station where
    they hand the truck over properly (for the walk to record), else none.
    """
    stations = world.inst.relay_stations_by_id
    zid = world.real(z) if z is not None else None
    for who in dict.fromkeys((came, goes)):
        pool = loop.get(who)
        if z is not None and (policy or world.policy[z]) == "closed_loop":
            if pool is None:
                found.add(
                    "R5",
                    where,
                    s.arrive,
                    f"an outside driver stops inside closed-loop zone {zid!r}",
                )
            elif pool.zone != zid:
                found.add(
                    "R6",
                    where,
                    s.arrive,
                    f"loop driver {who} of zone {pool.zone!r} stops in zone {zid!r}",
                )
        elif pool is not None and zid != pool.zone:
            # (In its own zone when that opens during the day, a loop driver may stay.)
            st = stations.get(s.station or "")
            at_station = (
                s.kind == "handover"
                and st is not None
                and st.zone == pool.zone
                and st.place == s.place
            )
            if not at_station:
                found.add(
                    "R6",
                    where,
                    s.arrive,
                    f"loop driver {who} stops outside zone {pool.zone!r}, not at one of its relay stations",
                )
    if came == goes:
        if s.kind == "handover":
            found.add("PLAN", where, s.start, "a handover stop without a change of driver")
        return None
    st = stations.get(s.station or "")
    if s.kind != "handover" or st is None or not st.driver_swap or st.place != s.place:
        found.add(
            "R7",
            where,
            s.start,
            f"the truck changes driver ({came} -> {goes}) away from a relay station with driver swap",
        )
        return None
    if s.depart - s.start < st.handover_minutes - TOL:
        found.add(
            "R7",
            where,
            s.start,
            f"handover takes {s.depart - s.start:g} min, needs {st.handover_minutes:g}",
        )
    if st.hours and not any(a - TOL <= s.start and s.depart <= b + TOL for a, b in st.hours):
        # R4, a time window: the station's hours.
        found.add("R4", where, s.start, f"handover outside the hours of station {st.id}")
    return st


def check_handover_list(found: Found, plan: Plan, made: list[Handover]) -> None:
    """R7: every handover the routes make is listed; PLAN: and none that they do not."""
    listed = Counter(
        (h.station, h.truck, round(h.start, 3), h.from_driver, h.to_driver) for h in plan.handovers
    )
    routes = Counter(made)
    for h in routes - listed:
        found.add(
            "R7",
            f"station {h[0]}",
            h[2],
            f"handover of {h[1]} ({h[3]} -> {h[4]}) is not listed in handovers",
        )
    for h in listed - routes:
        found.add(
            "PLAN", f"station {h[0]}", h[2], f"lists a handover of {h[1]} that no route makes"
        )


def _sweep_max(intervals: list[tuple[float, float]]) -> tuple[int, float]:
    """Most intervals open at once, and when."""
    events = sorted([(a + TOL, 1) for a, _ in intervals] + [(b - TOL, -1) for _, b in intervals])
    most, now, when = 0, 0, 0.0
    for t, d in events:
        now += d
        if now > most:
            most, when = now, t
    return most, when


def check_bays(found: Found, inst: Instance, bays: dict[str, list[tuple[float, float]]]) -> None:
    """R7: no station holds more handovers at once than it has bays."""
    stations = inst.relay_stations_by_id
    for sid, used in bays.items():
        most, when = _sweep_max(used)
        if most > stations[sid].bays:
            found.add(
                "R7", f"station {sid}", when, f"{most} handovers at once, {stations[sid].bays} bays"
            )


def _home(inst: Instance, pool: DriverPool) -> str | None:
    if pool.station is not None:
        return pool.station
    ss = [s.id for s in inst.relay_stations if s.zone == pool.zone and s.driver_swap]
    return ss[0] if len(ss) == 1 else None


def check_duties(
    found: Found,
    inst: Instance,
    plan: Plan,
    loop: dict[str, DriverPool],
    duties: dict[str, list[Duty]],
    still_out: dict[tuple[str, str], tuple[float, str]],
) -> None:
    """R8 on each loop driver's duty, R7 for a truck a loop driver never hands back.

    Parameters
    ----------
    found
        Where the violations go.
    inst, plan
        The instance and the plan.
    loop
        Loop driver -> its pool, as the plan declares them.
    duties
        Loop driver -> the trucks it drove, from taking to handing back.
    still_out
        (truck, loop driver) -> (time, station) of a handover the driver never undoes.
    """
    per_pool: Counter[str] = Counter()
    declared = {d.driver: d for d in plan.loop_drivers}
    for driver, spans in duties.items():
        pool = loop[driver]
        per_pool[pool.id] += 1
        _check_duty(found, inst, f"loop driver {driver}", pool, spans, declared.get(driver))
    for (truck, driver), (t, _) in still_out.items():
        found.add("R7", f"truck {truck}", t, f"loop driver {driver} never hands it back")
    for pid, n in per_pool.items():
        if n > inst.pools_by_id[pid].count:
            found.add(
                "R8",
                f"loop pool {pid}",
                None,
                f"{n} loop drivers work, {inst.pools_by_id[pid].count} in the pool",
            )


def _check_duty(
    found: Found,
    inst: Instance,
    name: str,
    pool: DriverPool,
    spans: list[Duty],
    d: LoopDuty | None,
) -> None:
    """R8 for one loop driver of ``pool`` who drove ``spans``; PLAN if its listed duty ``d`` differs."""
    spans.sort()
    for (_, b1, _, _, t1), (a2, _, _, _, t2) in itertools.pairwise(spans):
        if a2 < b1 - TOL:
            found.add("R8", name, a2, f"drives {t1} and {t2} at once")
    first, last = spans[0][0], max(b for _, b, _, _, _ in spans)
    if first < pool.shift[0] - TOL or last > pool.shift[1] + TOL:
        found.add(
            "R8",
            name,
            first,
            f"works {first:g}-{last:g}, outside shift {pool.shift[0]:g}-{pool.shift[1]:g}",
        )
    if last - first > pool.max_duty + TOL:
        found.add("R8", name, last, f"duty {last - first:g} min over max {pool.max_duty:g}")
    home = _home(inst, pool)
    for a, _, s_in, s_out, truck in spans:
        if home is not None and (s_in != home or s_out != home):
            found.add(
                "R8",
                name,
                a,
                f"takes {truck} at {s_in} and returns it at {s_out}, away from home station {home}",
            )
    if d is not None and (abs(d.start - first) > TOL or abs(d.end - last) > TOL):
        found.add(
            "PLAN",
            name,
            first,
            f"duty listed {d.start:g}-{d.end:g}, routes give {first:g}-{last:g}",
        )

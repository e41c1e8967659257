"""Checking a re-planned day: the plan's rules, the past kept, the closed objects unused.

A plan made by :func:`relayroute.replan` at ``at`` is checked here on its own terms,
without the solver's code:

- it breaks none of R1-R12 against the day as it now is (:func:`relayroute.validate`);
- **REPLAN past**: every truck's day up to its cut is the old plan's, stop for stop and leg
  for leg (the cut stop may be left later); the cut is derived here again: the stop
  the truck's road at ``at`` leads to, and on while the truck is with a loop driver or
  in a restricted zone (judged by the validator's own geography);
- **REPLAN future**: nothing after its cut leaves before ``at``;
- **REPLAN closed**: after its cut, no truck is inspected at a closed checkpoint (it may
  wait there for it to open) or hands over or
  transloads at a closed station within the closure, a broken-down truck does not drive,
  and a station short of loop drivers does not call in more than it has left.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from relayroute.model.events import (
    CheckpointClosed,
    LoopDriversFewer,
    StationClosed,
    TruckBroken,
)
from relayroute.validate import validate
from relayroute.validate.report import TOL, Found, Report
from relayroute.validate.world import World

if TYPE_CHECKING:
    from relayroute.model.events import Event
    from relayroute.model.instance import Instance
    from relayroute.model.plan import Plan, TruckRoute

RULE = "REPLAN"


def frozen_cut(route: TruckRoute, at: float, world: World) -> int:
    """Index of the last stop of ``route`` a re-plan at ``at`` must keep (0: none).

    Parameters
    ----------
    route
        A route of the old plan.
    at
        Minutes from the instance start.
    world
        The validator's geography of the instance.

    Returns
    -------
    int
    """
    n = sum(1 for leg in route.legs if leg.depart < at)
    if n == 0:
        return 0
    places = world.inst.places_by_id
    k, last = n, len(route.stops) - 1

    def restricted(place: str) -> bool:
        p = places.get(place)
        z = world.place_zone(p) if p is not None else None
        return z is not None and world.policy.get(z) in ("closed_loop", "permit")

    while k < last and (route.stops[k].driver != route.driver or restricted(route.stops[k].place)):
        k += 1
    return k


def check_replan(
    inst: Instance,
    old: Plan,
    new: Plan,
    events: list[Event],
    at: float,
    base: Path | None = None,
) -> Report:
    """Check a re-planned plan against the day as it now is and the old plan.

    Parameters
    ----------
    inst
        The day as it now is (events applied): ``Replan.loaded.instance``.
    old
        The plan that ran until ``at``.
    new
        The re-planned plan.
    events
        The events re-planned for.
    at
        Minutes from the instance start.
    base
        Folder of the instance file.

    Returns
    -------
    Report
        The validator's violations, then the ``REPLAN`` ones.
    """
    found = Found()
    found.extend(validate(inst, new, base).violations)
    world = World(inst, base or Path.cwd())
    new_routes = {r.truck: r for r in new.routes}
    cut: dict[str, int] = {}
    for r in old.routes:
        k = frozen_cut(r, at, world)
        cut[r.truck] = k
        if k == 0:
            continue
        nr = new_routes.get(r.truck)
        name = f"truck {r.truck}"
        if nr is None or len(nr.stops) <= k or len(nr.legs) < k:
            found.add(RULE, name, at, f"its day up to stop {k} is not kept")
            continue
        for i in range(k + 1):
            a, b = r.stops[i], nr.stops[i]
            if i == k and k < len(r.stops) - 1:
                a, b = a.model_copy(update={"depart": 0.0}), b.model_copy(update={"depart": 0.0})
            if a != b:
                found.add(RULE, f"{name} stop {i}", a.arrive, "differs from the old plan's")
        for i in range(k):
            if r.legs[i] != nr.legs[i]:
                found.add(RULE, f"{name} leg {i}", r.legs[i].depart, "differs from the old plan's")
    closures = _closures(events, at)
    broken = {e.truck for e in events if isinstance(e, TruckBroken)}
    loop_work: dict[str, set[str]] = {}
    for r in new.routes:
        k = cut.get(r.truck, 0)
        name = f"truck {r.truck}"
        for i in range(k, len(r.legs)):
            leg = r.legs[i]
            if leg.depart < at - TOL:
                found.add(RULE, f"{name} leg {i}", leg.depart, f"a new leg leaves before {at:g}")
            if r.truck in broken and leg.km > TOL:
                found.add(RULE, f"{name} leg {i}", leg.depart, "the truck has broken down")
            for c in leg.crossings:
                # Waiting at a shut checkpoint is allowed; inspecting there is not.
                cp = inst.checkpoints_by_id.get(c.checkpoint)
                inspect = c.depart - (cp.delay if cp is not None else 0.0)
                for lo, hi in closures.get(("checkpoint", c.checkpoint), []):
                    if c.depart > lo + TOL and inspect < hi - TOL:
                        found.add(
                            RULE,
                            f"checkpoint {c.checkpoint}",
                            c.arrive,
                            f"{r.truck} crosses it while closed ({lo:g}-{hi:g})",
                        )
        for i in range(k + 1, len(r.stops)):
            s = r.stops[i]
            if s.station is None or s.kind not in ("handover", "unload", "load"):
                continue
            for lo, hi in closures.get(("station", s.station), []):
                if s.depart > lo + TOL and s.start < hi - TOL:
                    found.add(
                        RULE,
                        f"station {s.station}",
                        s.start,
                        f"{r.truck} {s.kind} there while closed ({lo:g}-{hi:g})",
                    )
            came = r.legs[i - 1].driver
            if s.kind == "handover" and s.driver not in (r.driver, came):
                loop_work.setdefault(s.station, set()).add(s.driver)
    pools = inst.driver_pools
    for e in events:
        if not isinstance(e, LoopDriversFewer):
            continue
        st = inst.relay_stations_by_id[e.station]
        mine = [
            p for p in pools if p.kind == "loop" and p.zone == st.zone and p.station == e.station
        ]
        have = sum(p.count for p in mine) - e.fewer
        ids = {p.id for p in mine}
        busy = {d for d in loop_work.get(e.station, set()) if d.rsplit("/", 1)[0] in ids}
        if len(busy) > have:
            found.add(
                RULE,
                f"station {e.station}",
                at,
                f"{len(busy)} loop drivers take trucks in after {at:g}, {have} are left",
            )
    return Report(found.violations)


def _closures(events: list[Event], at: float) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """(kind, id) -> the windows it is closed in."""
    out: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for e in events:
        if isinstance(e, CheckpointClosed | StationClosed):
            w = e.window
            lo, hi = (float(w[0]), float(w[1])) if w is not None else (at, math.inf)
            key = (
                ("checkpoint", e.checkpoint)
                if isinstance(e, CheckpointClosed)
                else ("station", e.station)
            )
            out.setdefault(key, []).append((lo, hi))
    return out

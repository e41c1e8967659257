"""Checking a re-planned day: the plan's rules, the past kept, the closed objects unused.

A plan made by :func:`relayroute.replan` at ``at`` is checked here on its own terms,
without the solver's code:

- it breaks none of R1-R12 against the day as it now is (:func:`relayroute.validate`);
- **REPLAN past**: every truck's day up to its cut is the old plan's, stop for stop and leg
  for leg (the cut stop may be left later); the cut is derived here again: the stop
  the truck's road at ``at`` leads to, and on while the truck is with a loop driver or
  in a closed-loop zone (judged by the validator's own geography). Two changes are
  allowed: a leg that waits longer at a checkpoint closed when the truck reaches it
  (same road, same departure; the frozen stops after it later by the wait), a leg on
  its way at ``at`` to a checkpoint closed when it gets there that turns back at its
  gate (the same road up to the gate, then another way to the same stop, no earlier),
  a leg leaving at ``at`` or later that goes round a closed road or checkpoint (same
  ends, driver and departure, on neither, no earlier; the stops after it later), a
  frozen stop not begun at ``at`` later by a wait (for a bay), and a
  truck **released** from the stop its road at ``at`` leads to, whose service starts at
  ``at`` or later (the new leg drives that road and on; the stop is not in the past);
- **REPLAN future**: nothing after its cut leaves before ``at``;
- **REPLAN closed**: from ``at`` on, frozen past or not, no truck is inspected at a closed
  checkpoint (it may wait there for it to open), hands over into a zone, unloads or
  loads at a closed station within the closure (a truck inside when it closed may come
  back out through it), no leg leaving at ``at`` or later drives a closed road (two
  consecutive nodes of its path) while the leg overlaps the closure (a truck on it at
  ``at`` finishes its leg), a broken-down truck does not drive after its cut, and a
  station short of loop drivers does not call in more than it has left.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from relayroute.model.events import (
    CheckpointClosed,
    LoopDriversFewer,
    RoadClosed,
    StationClosed,
    TruckBroken,
)
from relayroute.validate import validate
from relayroute.validate.report import TOL, Found, Report
from relayroute.validate.world import World

if TYPE_CHECKING:
    from relayroute.model.events import Event
    from relayroute.model.instance import Instance
    from relayroute.model.plan import Leg, Plan, Stop, TruckRoute

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
        z = world.place_zone(p, at) if p is not None else None
        if z is None:
            return False
        changing = world.changing.get(z)
        return (changing.policy_at(at) if changing else world.policy.get(z)) == "closed_loop"

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
    closures = _closures(events, at)
    world = World(inst, base or Path.cwd())
    new_routes = {r.truck: r for r in new.routes}
    cut: dict[str, int] = {}
    road: set[str] = set()  # released: the leg out of the cut stop is the old road, driven on
    for r in old.routes:
        k = frozen_cut(r, at, world)
        cut[r.truck] = k
        if k == 0:
            continue
        nr = new_routes.get(r.truck)
        name = f"truck {r.truck}"
        n = _released(r, nr, at)
        if n is None:
            n = _taken_back(r, nr, closures, at, world)
        if n is not None:
            # On its road at ``at`` to a stop it no longer serves: the past is the stops
            # before that stop and the road, which the new leg drives on from.
            k = cut[r.truck] = n - 1
            road.add(r.truck)
        if nr is None or len(nr.stops) <= k or len(nr.legs) < k:
            found.add(RULE, name, at, f"its day up to stop {k} is not kept")
            continue
        # From a leg that waits at a checkpoint closed when the truck gets there, the
        # frozen stops may be later by the wait (and nothing else).
        late = False
        for i in range(k + 1):
            a, b = r.stops[i], nr.stops[i]
            if i == k and k < len(r.stops) - 1 and n is None:
                a, b = a.model_copy(update={"depart": 0.0}), b.model_copy(update={"depart": 0.0})
            if (late or (i > 0 and a.start >= at - TOL)) and _later(a, b):
                # Later by a wait: after one on the road, or for a bay or a driver at a
                # frozen stop not begun at ``at``.
                late = True
                continue
            if a != b:
                found.add(RULE, f"{name} stop {i}", a.arrive, "differs from the old plan's")
            if i < k and r.legs[i] != nr.legs[i]:
                if (
                    _waited(r.legs[i], nr.legs[i], closures, at, inst)
                    or _round(r.legs[i], nr.legs[i], closures, at, inst)
                    or _turned(r.legs[i], nr.legs[i], closures, at, world)
                ):
                    late = True
                else:
                    found.add(
                        RULE, f"{name} leg {i}", r.legs[i].depart, "differs from the old plan's"
                    )
    broken = {e.truck for e in events if isinstance(e, TruckBroken)}
    loop_work: dict[str, set[str]] = {}
    for r in new.routes:
        k = cut.get(r.truck, 0)
        name = f"truck {r.truck}"
        first = k + 1 if r.truck in road else k
        for i in range(len(r.legs)):
            leg = r.legs[i]
            if i >= first and leg.depart < at - TOL:
                found.add(RULE, f"{name} leg {i}", leg.depart, f"a new leg leaves before {at:g}")
            if i >= first and r.truck in broken and leg.km > TOL:
                found.add(RULE, f"{name} leg {i}", leg.depart, "the truck has broken down")
            if leg.depart >= at - TOL and _on_road(leg, closures):
                for u, v in zip(leg.path, leg.path[1:], strict=False):
                    for lo, hi in closures.get(("road", "|".join(sorted((u, v)))), []):
                        if leg.depart < hi - TOL and leg.arrive > lo + TOL:
                            found.add(
                                RULE,
                                f"{name} leg {i}",
                                leg.depart,
                                f"drives the road {u}-{v} while closed ({lo:g}-{hi:g})",
                            )
            for c in leg.crossings:
                # Waiting at a shut checkpoint is allowed; inspecting there is not, from
                # ``at`` on, frozen past or not (before ``at`` nobody knew).
                cp = inst.checkpoints_by_id.get(c.checkpoint)
                inspect = c.depart - (cp.delay if cp is not None else 0.0)
                if inspect < at - TOL:
                    continue
                for lo, hi in closures.get(("checkpoint", c.checkpoint), []):
                    if c.depart > lo + TOL and inspect < hi - TOL:
                        found.add(
                            RULE,
                            f"checkpoint {c.checkpoint}",
                            c.arrive,
                            f"{r.truck} crosses it while closed ({lo:g}-{hi:g})",
                        )
        for i in range(1, len(r.stops)):
            s = r.stops[i]
            if s.station is None or s.kind not in ("handover", "unload", "load"):
                continue
            if i <= k and (s.start < at - TOL or (s.kind == "handover" and s.driver == r.driver)):
                # The frozen past: before ``at``, or a truck inside when the station
                # closed coming back out through it (its loop driver's way out).
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


def _released(r: TruckRoute, nr: TruckRoute | None, at: float) -> int | None:
    """``n`` where the old route's truck is on its road at ``at`` to stop ``n``, with its
    own driver, whose service starts at ``at`` or later, and the new route drives that
    road on to elsewhere (its leg ``n - 1`` the old one and more) or to another stop
    where it ends: the truck was released from that stop. None otherwise."""
    n = sum(1 for leg in r.legs if leg.depart < at)
    if nr is None or not 0 < n < len(r.stops) - 1 or len(nr.legs) < n:
        return None
    a, b = r.legs[n - 1], nr.legs[n - 1]
    if a.driver != r.driver or r.stops[n].start < at - TOL:
        return None
    same = (a.depart, a.driver) == (b.depart, b.driver) and b.arrive >= a.arrive - TOL
    prefix = b.path[: len(a.path)] == a.path and b.coords[: len(a.coords)] == a.coords
    crossed = [(c.checkpoint, c.direction) for c in b.crossings[: len(a.crossings)]]
    if not (same and prefix and crossed == [(c.checkpoint, c.direction) for c in a.crossings]):
        return None
    times = dict.fromkeys(("arrive", "start", "depart"), 0.0)
    if (
        b.path == a.path
        and len(nr.stops) > n
        and r.stops[n].model_copy(update=times) == nr.stops[n].model_copy(update=times)
        and (
            len(r.stops) <= n + 1
            or len(nr.stops) <= n + 1
            or _later(r.stops[n + 1], nr.stops[n + 1])
        )
    ):
        # The same stop, later, the same road, and the same after it: a wait on the road
        # or at the stop, not a release (a released truck may come back to the same
        # stop: its road then goes on, or its day after that stop is another).
        return None
    return n


def _later(a: Stop, b: Stop) -> bool:
    """``b`` is ``a`` later (or at its time): the same stop but for its times."""
    times = ("arrive", "start", "depart")
    same = a.model_copy(update=dict.fromkeys(times, 0.0)) == b.model_copy(
        update=dict.fromkeys(times, 0.0)
    )
    return same and all(getattr(b, t) >= getattr(a, t) - TOL for t in times)


def _waited(
    a: Leg,
    b: Leg,
    closures: dict[tuple[str, str], list[tuple[float, float]]],
    at: float,
    inst: Instance,
) -> bool:
    """``b`` is ``a`` driven the same way from the same time, only waiting longer at
    checkpoints closed, from ``at`` on, when the truck was to be inspected there (it
    may have reached the queue before ``at``)."""
    keys = ("path", "coords", "km", "driver", "depart")
    if any(getattr(a, x) != getattr(b, x) for x in keys) or len(a.crossings) != len(b.crossings):
        return False
    if b.arrive < a.arrive - TOL:
        return False
    for c, d in zip(a.crossings, b.crossings, strict=True):
        if (c.checkpoint, c.zone, c.direction) != (d.checkpoint, d.zone, d.direction):
            return False
        if d.depart - d.arrive > c.depart - c.arrive + TOL:
            shut = closures.get(("checkpoint", c.checkpoint), [])
            cp = inst.checkpoints_by_id.get(c.checkpoint)
            inspect = c.depart - (cp.delay if cp is not None else 0.0)
            if not any(
                inspect >= at - TOL and c.depart > lo + TOL and inspect < hi - TOL
                for lo, hi in shut
            ):
                return False
    return True


def _on_road(leg: Leg, closures: dict[tuple[str, str], list[tuple[float, float]]]) -> bool:
    """``leg`` drives a closed road while the leg overlaps the closure."""
    for u, v in zip(leg.path, leg.path[1:], strict=False):
        for lo, hi in closures.get(("road", "|".join(sorted((u, v)))), []):
            if leg.depart < hi - TOL and leg.arrive > lo + TOL:
                return True
    return False


def _round(
    a: Leg,
    b: Leg,
    closures: dict[tuple[str, str], list[tuple[float, float]]],
    at: float,
    inst: Instance,
) -> bool:
    """``b`` is ``a`` driven round a road or checkpoint closed from ``at`` on: the same
    ends, driver and departure (at ``at`` or later), ``a`` on the closed road or
    inspected at the closed checkpoint and ``b`` on neither, and no earlier; the road
    geometry of ``b`` is the validator's own check (R-rules)."""
    if a.depart < at - TOL or (a.depart, a.driver, a.driver_kind) != (
        b.depart,
        b.driver,
        b.driver_kind,
    ):
        return False
    if not (a.path and b.path and (a.path[0], a.path[-1]) == (b.path[0], b.path[-1])):
        return False
    if b.arrive < a.arrive - TOL:
        return False
    hit_a = _on_road(a, closures) or _shut_at(a, closures, at, inst) is not None
    return hit_a and not _on_road(b, closures) and _shut_at(b, closures, at, inst) is None


def _shut_at(
    leg: Leg, closures: dict[tuple[str, str], list[tuple[float, float]]], at: float, inst: Instance
) -> int | None:
    """Index of the first crossing of ``leg`` inspected at ``at`` or later at a
    checkpoint closed then (None: none is)."""
    for m, c in enumerate(leg.crossings):
        cp = inst.checkpoints_by_id.get(c.checkpoint)
        inspect = c.depart - (cp.delay if cp is not None else 0.0)
        if inspect < at - TOL:
            continue
        for lo, hi in closures.get(("checkpoint", c.checkpoint), []):
            if c.depart > lo + TOL and inspect < hi - TOL:
                return m
    return None


def _taken_back(
    r: TruckRoute,
    nr: TruckRoute | None,
    closures: dict[tuple[str, str], list[tuple[float, float]]],
    at: float,
    world: World,
) -> int | None:
    """``n`` where the old route's truck is on its way at ``at`` to a checkpoint closed
    when it gets there, and the new route turns back at the gate (:func:`_turned`): with
    a loop driver from a handover at a relay station (stop ``n - 1``) back to that
    station, where its own driver takes it again (stop ``n``, a handover); with its own
    driver home to the depot its day ended at, where it ends now (stop ``n``). The truck
    is released from its old stop ``n``. None otherwise."""
    n = sum(1 for leg in r.legs if leg.depart < at)
    if nr is None or not 0 < n < len(r.stops) or len(nr.legs) < n or len(nr.stops) <= n:
        return None
    a, b, left, back = r.legs[n - 1], nr.legs[n - 1], r.stops[n - 1], nr.stops[n]
    if a.driver == r.driver:
        # Its own driver's: home to the depot its day ended at, where it ends now.
        end = r.stops[-1]
        if not (back.kind == "end" and back.place == end.place and len(nr.stops) == n + 1):
            return None
        depot = world.place_node.get(end.place)
        return n if depot and _turned(a, b, closures, at, world, to=depot) else None
    if a.driver_kind != "loop" or left.kind != "handover" or left.station is None:
        return None
    if not (back.kind == "handover" and back.station == left.station and back.place == left.place):
        return None
    if back.driver != r.driver or not _turned(a, b, closures, at, world, to=a.path[0]):
        return None
    return n


def _turned(
    a: Leg,
    b: Leg,
    closures: dict[tuple[str, str], list[tuple[float, float]]],
    at: float,
    world: World,
    to: str | None = None,
) -> bool:
    """``b`` is ``a``, on its way at ``at`` to a checkpoint closed when it gets there,
    turned back at that checkpoint's gate: the same departure, driver and ends, the same
    road and crossings up to the gate (reached at ``at`` or later), then another way
    that does not cross there, no earlier. Whether the new way is a road of the network,
    crosses nothing closed and keeps the zones is the walk's and the closures' check.
    ``to``: then to that node instead of ``a``'s end (back to where it left from, or
    home to its depot), at any time."""
    if not (a.depart < at - TOL and a.path and b.path):
        return False
    if (a.depart, a.driver, a.driver_kind) != (b.depart, b.driver, b.driver_kind):
        return False
    if to is not None:
        if (b.path[0], b.path[-1]) != (a.path[0], to):
            return False
    elif (a.path[0], a.path[-1]) != (b.path[0], b.path[-1]) or b.arrive < a.arrive - TOL:
        return False
    m = _shut_at(a, closures, at, world.inst)
    if m is None:
        return False
    # The gate of crossing ``m``: the m-th gate node of its checkpoints along the path.
    j = -1
    for c in a.crossings[: m + 1]:
        nodes = [
            k for k in range(j + 1, len(a.path)) if world.gate_of.get(a.path[k]) == c.checkpoint
        ]
        if not nodes:
            return False
        j = nodes[0]
    if b.path[: j + 1] != a.path[: j + 1] or b.path[j + 1 : j + 2] == a.path[j + 1 : j + 2]:
        return False
    if b.crossings[:m] != a.crossings[:m]:
        return False
    # Its shape is the old one's up to the gate (off the road graph: a point a node).
    k: int | None = j
    if world.graph is not None:
        gate = world.graph.nodes[a.path[j]]
        k = next(
            (
                n
                for n, p in enumerate(a.coords)
                if abs(p[0] - gate["lon"]) < 1e-9 and abs(p[1] - gate["lat"]) < 1e-9
            ),
            None,
        )
    if k is None or list(b.coords[: k + 1]) != list(a.coords[: k + 1]):
        return False
    return _shut_at(b, closures, at, world.inst) is None


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
        elif isinstance(e, RoadClosed):
            w = e.window
            lo, hi = (float(w[0]), float(w[1])) if w is not None else (at, math.inf)
            out.setdefault(("road", "|".join(sorted(e.road))), []).append((lo, hi))
    return out

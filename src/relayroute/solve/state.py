"""The state of a plan at a time ``at``: what is done, what is aboard, where each truck is.

A truck's day is cut at the first point where the plan can hand it to a new plan: the
stop its current road leads to (a truck on a road finishes that road, and does what it
came for there), and on from there while it is not back with its own driver outside
every restricted zone (a truck inside a closed zone comes out through its relay station
with its loop driver; one in a permit zone leaves it as planned). Everything up to the
cut is the **frozen past**; the truck is free at the cut stop's place when that stop's
service ends. A truck that had not left its depot by ``at`` has no past. Asked to
(``until_empty``), a truck with goods aboard at its cut is frozen on until it has
delivered them.

:mod:`relayroute.validate.replan` re-derives the same cut on its own to check a new plan
keeps the past.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shapely import Point, Polygon

if TYPE_CHECKING:
    from collections.abc import Callable

    from relayroute.model.instance import Instance
    from relayroute.model.plan import Plan, TruckRoute


@dataclass(frozen=True)
class TruckState:
    """One truck at ``at``.

    Attributes
    ----------
    truck
        Its id.
    cut
        Index of the last frozen stop of its route (0: nothing frozen, the truck is at
        its depot and has not left).
    place
        Where it is free: the cut stop's place.
    free
        When it is free there: the end of the cut stop's service (for ``cut == 0``: the
        time its day may start, no earlier than ``at``).
    duty_left
        Minutes its own driver may still work (None: the truck has no driver pool).
    aboard
        Shipments on board at the cut, in loading order.
    done
        True: its day ended before the cut (its end stop is frozen).
    where
        In words: ``at depot``, ``on the road to X``, ``at X``, ``inside zone Z``.
    """

    truck: str
    cut: int
    place: str
    free: float
    duty_left: float | None
    aboard: tuple[str, ...] = ()
    done: bool = False
    where: str = ""


@dataclass(frozen=True)
class LoopState:
    """One loop driver at ``at``: its frozen excursions' end and the duty it has used."""

    driver: str
    busy_until: float
    first_start: float


@dataclass
class State:
    """The plan at ``at``.

    Attributes
    ----------
    at
        Minutes from the instance start.
    trucks
        The state of each truck with a route in the plan.
    delivered
        Shipments whose delivery is in the frozen past.
    picked
        Shipments whose pickup is in the frozen past (delivered or aboard).
    loop
        Loop drivers with work in the frozen past.
    """

    at: float
    trucks: dict[str, TruckState] = field(default_factory=dict)
    delivered: set[str] = field(default_factory=set)
    picked: set[str] = field(default_factory=set)
    loop: dict[str, LoopState] = field(default_factory=dict)

    def aboard(self) -> dict[str, str]:
        """Shipment -> the truck it is aboard at its cut."""
        return {s: t.truck for t in self.trucks.values() for s in t.aboard}


def restricted_places(inst: Instance) -> dict[str, str]:
    """Place -> the restricted (closed-loop or permit) zone it lies in, for places in one."""
    polys = [
        (z.id, Polygon(z.polygon[0], z.polygon[1:]))
        for z in inst.zones
        if z.policy in ("closed_loop", "permit")
    ]
    out: dict[str, str] = {}
    for p in inst.places:
        pt = Point(p.lon, p.lat)
        for zid, poly in polys:
            if poly.contains(pt):
                out[p.id] = zid
                break
    return out


def cut_index(route: TruckRoute, at: float, zone_of: dict[str, str]) -> int:
    """Index of the last frozen stop of ``route`` at ``at`` (0: nothing frozen).

    Parameters
    ----------
    route
        A truck's route.
    at
        Minutes from the instance start.
    zone_of
        Place -> restricted zone, for places in one.

    Returns
    -------
    int
    """
    n = sum(1 for leg in route.legs if leg.depart < at)
    if n == 0:
        return 0
    k = n
    last = len(route.stops) - 1
    while k < last and (route.stops[k].driver != route.driver or route.stops[k].place in zone_of):
        k += 1
    return k


def _emptied(route: TruckRoute, k: int) -> int:
    """The first stop from ``k`` on where the truck has nothing aboard."""
    last = len(route.stops) - 1
    while k < last and any(v > 1e-9 for v in route.stops[k].load.values()):
        k += 1
    return k


def state_at(
    inst: Instance,
    plan: Plan,
    at: float,
    until_empty: Callable[[TruckRoute, int, int], bool] | None = None,
) -> State:
    """The state of ``plan`` at ``at``.

    Parameters
    ----------
    inst
        The instance the plan is for.
    plan
        The plan.
    at
        Minutes from the instance start.
    until_empty
        Asked with (route, cut, later cut) where a truck has goods aboard at its cut:
        True freezes its day on until it has delivered them (the later cut). None: never.

    Returns
    -------
    State
    """
    from relayroute.itineraries.problem import truck_duty

    zone_of = restricted_places(inst)
    state = State(at=at)
    for r in plan.routes:
        k = cut_index(r, at, zone_of)
        if k and until_empty is not None:
            later = _emptied(r, k)
            while later < len(r.stops) - 1 and (
                r.stops[later].driver != r.driver or r.stops[later].place in zone_of
            ):
                later = _emptied(r, later + 1)
            if later > k and until_empty(r, k, later):
                k = later
        truck = inst.trucks_by_id[r.truck]
        lo, _, duty = truck_duty(inst, truck)
        if k == 0:
            state.trucks[r.truck] = TruckState(
                r.truck, 0, r.stops[0].place, max(lo, at), None, where="at depot"
            )
            continue
        aboard: list[str] = []
        for s in r.stops[1 : k + 1]:
            if s.kind in ("pickup", "load"):
                aboard.extend(s.shipments)
                if s.kind == "pickup":
                    state.picked.update(s.shipments)
            elif s.kind in ("delivery", "unload"):
                aboard = [x for x in aboard if x not in s.shipments]
                if s.kind == "delivery":
                    state.delivered.update(s.shipments)
        stop = r.stops[k]
        n = sum(1 for leg in r.legs if leg.depart < at)
        if r.stops[n].arrive > at:
            where = f"on the road to {r.stops[n].place}"
        else:
            where = f"at {r.stops[n].place}"
        if n < len(r.stops) and r.stops[n].place in zone_of:
            where += f" (inside zone {zone_of[r.stops[n].place]})"
        left = None if truck.driver_pool is None else duty - (stop.depart - r.stops[0].depart)
        state.trucks[r.truck] = TruckState(
            r.truck,
            k,
            stop.place,
            stop.depart,
            left,
            tuple(aboard),
            done=stop.kind == "end",
            where=where,
        )
        for i in range(1, k + 1):
            s = r.stops[i]
            if s.kind == "handover" and s.driver != r.driver:
                # A loop driver takes the truck here: busy until it is handed back.
                j = next(
                    (j for j in range(i + 1, len(r.stops)) if r.stops[j].driver != s.driver),
                    len(r.stops) - 1,
                )
                old = state.loop.get(s.driver)
                end = r.stops[j].depart
                first = s.start if old is None else min(old.first_start, s.start)
                busy = end if old is None else max(old.busy_until, end)
                state.loop[s.driver] = LoopState(s.driver, busy, first)
    return state

"""The state of a plan at a time ``at``: what is done, what is aboard, where each truck is.

A truck's day is cut at the first point where the plan can hand it to a new plan: the
stop its current road leads to (a truck on a road finishes that road, and does what it
came for there), and on from there while it is not back with its own driver outside
every closed-loop zone (a truck inside a closed zone comes out through its relay
station with its loop driver; one in a permit zone is re-planned from where it is, its
own driver holding the pass). Everything up to the
cut is the **frozen past**; the truck is free at the cut stop's place when that stop's
service ends. A truck that had not left its depot by ``at`` has no past. Asked to
(``until_empty``), a truck with goods aboard at its cut is frozen on until it has
delivered those goods (and is back with its own driver outside closed-loop zones).

:mod:`relayroute.validate.replan` re-derives the same cut on its own to check a new plan
keeps the past.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from shapely import Point, Polygon

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from relayroute.model.instance import Instance
    from relayroute.model.plan import Leg, Plan, Stop, TruckRoute


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
    released
        The truck is on a road at ``at`` to a stop whose service it no longer does (a
        handover or transload at a station the events close, or the pickup of goods with
        no way left): its past is its stops up to ``cut`` and the legs up to and with
        ``legs[cut]``, the road it is on; it is free at that road's end on arrival.
    """

    truck: str
    cut: int
    place: str
    free: float
    duty_left: float | None
    aboard: tuple[str, ...] = ()
    done: bool = False
    where: str = ""
    released: bool = False

    @property
    def started(self) -> bool:
        """Its day has a frozen past (it left its depot before ``at``)."""
        return self.cut > 0 or self.released

    def past_legs(self, route: TruckRoute) -> list[Leg]:
        """The legs of ``route`` in the frozen past (with the road it is on, released)."""
        return list(route.legs[: self.cut + (1 if self.released else 0)])


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


def restricted_places(
    inst: Instance, policies: tuple[str, ...] = ("closed_loop", "permit"), at: float = 0.0
) -> dict[str, str]:
    """Place -> the restricted zone (of one of ``policies`` at ``at``, in its area then)
    it lies in, for places in one."""
    polys = [
        (z.id, Polygon(rings[0], rings[1:]))
        for z in inst.zones
        if z.policy_at(at) in policies and (rings := z.area_at(at))
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


def _aboard(route: TruckRoute, k: int) -> set[str]:
    """Shipments on board after stop ``k``."""
    on: set[str] = set()
    for s in route.stops[1 : k + 1]:
        if s.kind in ("pickup", "load"):
            on.update(s.shipments)
        elif s.kind in ("delivery", "unload"):
            on.difference_update(s.shipments)
    return on


def _emptied(route: TruckRoute, k: int, goods: set[str] | None = None) -> int:
    """The first stop from ``k`` on where ``goods`` (all aboard at ``k`` if None) are off
    the truck."""
    last = len(route.stops) - 1
    left = set(_aboard(route, k) if goods is None else goods)
    while k < last and left:
        k += 1
        if route.stops[k].kind in ("delivery", "unload"):
            left.difference_update(route.stops[k].shipments)
    return k


def state_at(
    inst: Instance,
    plan: Plan,
    at: float,
    until_empty: Callable[[TruckRoute, int, int], bool] | None = None,
    release: Callable[[TruckRoute, int], bool] | None = None,
    empty: frozenset[str] | set[str] = frozenset(),
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
    release
        Asked with (route, n) where a truck with its own driver is on the road to stop
        ``n`` at ``at`` and that stop's service starts at ``at`` or later: True releases
        the stop (:attr:`TruckState.released`). None: never.
    empty
        Trucks whose day ``until_empty`` freezes on until they have nothing aboard.

    Returns
    -------
    State
    """
    from relayroute.itineraries.problem import truck_duty

    # Only a closed-loop zone holds a truck to its plan: its loop driver brings it out
    # through the relay station; in a permit zone its own driver may turn where it is.
    zone_of = restricted_places(inst, ("closed_loop",), at)
    # A truck inside a zone that became a permit zone it has no permit for goes on as
    # planned until it is out too (it entered when the zone was open).
    permit_of = {
        p: z
        for p, z in restricted_places(inst, ("permit",), at).items()
        if inst.zones_by_id[z].policy != "permit"
    }
    state = State(at=at)
    all_zones = zone_of
    for r in plan.routes:
        permits = inst.trucks_by_id[r.truck].permits
        if permit_of:
            zone_of = all_zones | {p: z for p, z in permit_of.items() if z not in permits}
        n = sum(1 for leg in r.legs if leg.depart < at)
        if (
            release is not None
            and 0 < n < len(r.stops) - 1
            and r.legs[n - 1].driver == r.driver
            and r.stops[n].start >= at - 1e-6
            and r.stops[n].place not in zone_of
            and release(r, n)
        ):
            state.trucks[r.truck] = _released(inst, r, n, state)
            _loop_work(r, n - 1, state)
            continue
        k = cut_index(r, at, zone_of)
        while k and until_empty is not None:
            # Until the goods aboard at the cut are off (not until the truck is empty:
            # a truck that is never empty would be frozen for the rest of its day);
            # of ``empty``, on until it is.
            later = _emptied(r, k)
            while later < len(r.stops) - 1 and (
                r.stops[later].driver != r.driver or r.stops[later].place in zone_of
            ):
                later += 1
            if not (later > k and until_empty(r, k, later)):
                break
            k = later
            if r.truck not in empty:
                break
        truck = inst.trucks_by_id[r.truck]
        lo, _, duty = truck_duty(inst, truck)
        if k == 0:
            state.trucks[r.truck] = TruckState(
                r.truck, 0, r.stops[0].place, max(lo, at), None, where="at depot"
            )
            continue
        aboard = _goods_through(r.stops[1 : k + 1], state)
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
        _loop_work(r, k, state)
    return state


def _goods_through(stops: Sequence[Stop], state: State) -> list[str]:
    """What is aboard after ``stops`` (a truck's stops from its first on); the pickups and
    deliveries among them go into ``state.picked`` and ``state.delivered``."""
    aboard: list[str] = []
    for s in stops:
        if s.kind in ("pickup", "load"):
            aboard.extend(s.shipments)
            if s.kind == "pickup":
                state.picked.update(s.shipments)
        elif s.kind in ("delivery", "unload"):
            aboard = [x for x in aboard if x not in s.shipments]
            if s.kind == "delivery":
                state.delivered.update(s.shipments)
    return aboard


def _loop_work(r: TruckRoute, k: int, state: State) -> None:
    """The loop drivers' frozen work on ``r`` up to stop ``k``, into ``state.loop``."""
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


def _released(inst: Instance, r: TruckRoute, n: int, state: State) -> TruckState:
    """A truck on the road to stop ``n`` whose service there it no longer does."""
    from relayroute.itineraries.problem import truck_duty

    _, _, duty = truck_duty(inst, inst.trucks_by_id[r.truck])
    aboard = _goods_through(r.stops[1:n], state)
    stop = r.stops[n]
    truck = inst.trucks_by_id[r.truck]
    left = None if truck.driver_pool is None else duty - (stop.arrive - r.stops[0].depart)
    return TruckState(
        r.truck,
        n - 1,
        stop.place,
        stop.arrive,
        left,
        tuple(aboard),
        where=f"on the road to {stop.place} (its {stop.kind} there released)",
        released=True,
    )

"""``replan()``: a plan again from ``at`` on, after disruptions, the past left as it was.

The state at ``at`` (:mod:`relayroute.solve.state`) freezes each truck's day up to its
cut: a truck on a road finishes that road and what it came for, a truck with a loop
driver in a closed-loop zone goes on as planned until it is back outside with its own
driver, and a truck with goods aboard goes on as planned until those goods are off,
unless that would take it through an object the events close (or it has broken down,
or picks up a cancelled order): measured, goods aboard as shipments of their own were
often left undelivered by the dispatcher. Where the events hit the road in progress:

- a truck on its road at ``at`` to a checkpoint closed when it gets there turns back
  at its gate and goes the fastest other way to the stop it was going to, or (closed
  for a window, where that is sooner) waits there until it opens again;
- a frozen leg leaving at ``at`` or later that drives a road the events close, or would
  be inspected at a checkpoint they close (a loop driver's way back out of its zone;
  goods aboard are not held to such a way, they are planned anew unless they have no
  other), goes round it between the same stops with the same driver, waiting its turn
  at a checkpoint whose hourly throughput is full (or waits, where that is sooner);
- frozen handovers that a wait or a way round brings to a station together queue for
  its bays; the truck's day is later by each wait, turn or detour
  (:attr:`Replan.in_progress` says so);
- a truck on its road to a handover in, unloading or loading at a station closed by
  then, or to a handover to a loop driver whose way in and out a closure hits, or to
  the pickup of a cancelled order, or of goods that turn out to have no way left, is
  **released**: it drives on from where that road ends, the stop not done
  (:attr:`relayroute.solve.state.TruckState.released`).

What is left becomes an instance of its own:

- each truck with a frozen past starts at its cut place, free when the cut stop's
  service ends, and ends its day by what is left of its driver's duty; trucks that had
  not left start no earlier than ``at``; trucks whose day is over, or broken down, are
  not in it; a truck in a permit zone is re-planned from where it is;
- goods still aboard at a cut are shipments from the cut place, loadable only in the
  minute the truck is there and only onto that truck, first of all (highest priority);
  where no way is left for them the truck does not load them if it was on its way to,
  else they stay aboard to the end of its day (unserved, ``held_aboard``; listed in
  :attr:`Replan.in_progress`), never driven through a closure or over a duty;
- goods unloaded at a transload or rail station in the frozen past and not yet loaded
  again are shipments from that station, ready when the transload time is over (rail:
  when their train, which runs as booked, arrives and is handled), in the station's
  hours, first of all; where no truck collects them they wait there (unserved,
  ``held_at_station``); a departure with frozen goods aboard takes no new ones;
- trucks with a frozen past count in no driver pool (their drivers are out already);
  each takes one driver off its pool for the fresh trucks;
- delivered goods are gone, cancelled orders dropped, new ones added; the events change
  the objects they hit (checkpoint and station hours, loop drivers, and closed roads
  shut in its network for all of the rest of the day); bays still held by frozen work
  after ``at`` are taken off, and its inspections at checkpoints with a throughput are
  booked in the timing before the new part's (``Problem.held_inspections``); a loop
  driver with frozen work is a pool of one from when that work is over to the end of
  its duty.

It is solved two ways: ``warm``, the routing search with the **stability costs as terms
of its objective** (:class:`Stability`, through :class:`relayroute.solve.routing.model.Keep`:
per shipment whose first pickup is on another truck than before, per shipment whose
relay stations change, per minute its pickup moves), started from the old plan's
remaining routes where the model is small enough, then timed and re-timed with CP-SAT
as the optimiser does (a recreate descent first puts in what the old routes leave out);
and ``free``, :func:`relayroute.solve.solve` afresh with the same stability costs in its
routing searches. The new
routes are joined to the frozen past, and every list of the plan (handovers,
loop-driver duties, passes, outcomes, transloads, rail bookings, KPIs) is derived again
from the joined routes with the plan builder's own functions. Loop drivers of the new
part get the names of real drivers (a bipartite matching, networkx); where that fails
the remaining part is solved again with fresh drivers only. Of the candidates, the one
with the smaller objective plus stability cost is kept. A candidate that leaves goods
aboard out is no plan, and the part is solved again (their truck released from loading
them where it was on its way to, then the goods held aboard); with less than a quarter
of the time limit left, such a candidate is kept with those goods held aboard (where its
truck has the room) rather than going over the limit by another round.

A zone's policy change (:class:`~relayroute.model.events.ZonePolicyChanged`) is one
of the zone's ``changes`` in the day (the validator judges each truck by the policy it
entered the zone under, or the new one where that is more lenient); the remaining part
has the zone with its new policy and only what goes with it. A truck inside a zone
closed to its driver goes on as planned until it is out; goods aboard bound into such
a zone stay on their truck to the end of its day (unserved, ``held_aboard``), their
room taken, unless the zone turns closed-loop with relay stations and loop drivers for
it (given with the event, opened at ``at``): then they are handed over there. A zone
drawn wider or narrower (the event's ``polygon`` for a zone the day has) changes its
area the same way: one of the zone's ``changes`` in the day (the validator judges each
road by the areas in force when it starts, a truck's stay and a loop driver's excursion
by the area they began in, and a truck standing in the ground a zone takes in as one
inside when it closes); the remaining part has the new area with the zone's gates on
its boundary (old ones left inside or outside it are no gates) and the new ones the
event gives, and frozen roads with goods aboard that cross the zone are planned anew.

Goods aboard a truck that breaks down stay with it (unserved, ``held_aboard``): moving
them to another truck where it stands is not planned yet.

Not done yet: a truck on its road to a checkpoint closed for good with no
other way and no way home (it goes on through it; the validator says so), work a way
round makes longer than a driver's duty (measured on yiwu-day, the G60 gate closed for
good at 14:00: a loop driver inside one minute over; on liling-day, a park gate closed
for good at 12:00 or 14:00: the queues at the other two outlast drivers' duty;
``in_progress`` and the validator say so), trucks the new part leaves idle driving home inside the
routing model (they are sent home after it, waiting their turn at full checkpoints).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import math
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import networkx as nx
import shapely

from relayroute._version import __version__
from relayroute.errors import InputError
from relayroute.io.instance import LoadedInstance
from relayroute.itineraries import build_problem
from relayroute.model.checks import CHECKPOINT_TOLERANCE_KM, boundary_km
from relayroute.model.events import (
    CheckpointClosed,
    CheckpointReopened,
    Event,
    LoopDriversFewer,
    RoadClosed,
    ShipmentsAdded,
    ShipmentsCancelled,
    StationClosed,
    TruckBroken,
    ZonePolicyChanged,
    event_from_data,
    parse_event,
)
from relayroute.model.instance import (
    Checkpoint,
    Depot,
    DriverPool,
    Instance,
    Place,
    Shipment,
    Truck,
    Zone,
    ZoneChange,
)
from relayroute.model.limits import MAX_MINUTES, MAX_PRIORITY
from relayroute.model.plan import (
    Crossing,
    Excursion,
    Handover,
    InstanceRef,
    KPIs,
    Leg,
    Pass,
    Plan,
    Stop,
    TruckRoute,
    Unserved,
)
from relayroute.network.graph import build_network
from relayroute.network.travel import Profile, TravelTable
from relayroute.solve.config import SolverConfig
from relayroute.solve.insert import _same_day, _shipment
from relayroute.solve.routing import weights
from relayroute.solve.routing.model import Keep
from relayroute.solve.state import State, TruckState, restricted_places, state_at
from relayroute.solve.timing.dispatch import lane_gap
from relayroute.solve.to_plan import (
    _bookings,
    _crossings,
    _loop_duties,
    _outcome,
    _passes,
    _r,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

    from relayroute.itineraries.problem import Problem
    from relayroute.network.graph import Network

TOL = 1e-6
WARM_ROUTES = True
WARM_ROUTES_SIZE = 30_000
# Goods aboard weigh this many times their priority in the remaining part (left out,
# they would have to be planned again); the plan's KPIs use their own priority.
PINNED_PRIORITY = 10.0
WARM_SHARE = 0.75  # of the time left: the search with the stability costs
FILL_SHARE = 0.9  # of the warm candidate's time: by when putting in what timing dropped ends
# A loop driver with less duty left than this once its frozen work is over is not
# offered to the remaining part; one that is, is a pool of its own, named its pool's id,
# ONE and its number.
MIN_DUTY_LEFT = 60.0
ONE = "~"
# Times the remaining part is solved again with inspections held for the trucks it sends
# home that had to wait their turn at a checkpoint.
HOME_ROUNDS = 3
# Room left on a truck its held goods fill (a capacity is more than 0).
HELD_ROOM = 1e-6
# With less than this share of the time limit left after a round, goods aboard the
# round's candidates leave out stay aboard instead of the part being solved again.
SHORT_SHARE = 0.25
# Of the time limit: kept back from the last search for what follows it (matching loop
# drivers, the join, the plan's lists derived again; measured on liling-day's closure:
# the re-plan ended 0.1 s past a 30 s limit without it).
TAIL_SHARE = 0.02


@dataclass(frozen=True)
class Stability:
    """What a change costs, in priority-weighted minutes of delay: terms of the routing
    search's objective, and what chooses between the candidates.

    Attributes
    ----------
    truck_change
        Per shipment not yet delivered that goes on another truck than planned.
    station_change
        Per shipment whose relay stations change.
    pickup_minute
        Per minute a shipment's pickup moves.
    """

    truck_change: float = 60.0
    station_change: float = 30.0
    pickup_minute: float = 0.5


@dataclass
class Replan:
    """What :func:`replan` did.

    Attributes
    ----------
    plan
        The new plan: the frozen past, then the new future.
    loaded
        The day as it now is (events applied, orders added and cancelled): the instance
        to validate ``plan`` against.
    state
        The old plan's state at ``at``.
    events, at
        As given (events parsed).
    revoked, issued, unchanged
        The old plan's passes no longer in the new one, the new one's not in the old, and
        those in both (the same id and content).
    moved
        Shipments not delivered by the cut that change truck.
    stations_changed
        Shipments not delivered by the cut whose relay stations change.
    pickup_shift
        Minutes the pickups of shipments not picked up by ``at`` moved, in all.
    stability_cost
        The three above priced with :class:`Stability`.
    candidate
        Which candidate was kept: ``warm`` (the routing search with the stability costs
        in its objective, from the old routes) or ``free`` (the optimiser afresh).
    candidates
        Each candidate's objective plus stability cost (the smaller is kept).
    in_progress
        Frozen work after ``at`` that uses an object the events close, in words.
    seconds
        Wall-clock seconds of the replan.
    """

    plan: Plan
    loaded: LoadedInstance
    state: State
    events: list[Event]
    at: float
    revoked: list[Pass] = field(default_factory=list)
    issued: list[Pass] = field(default_factory=list)
    unchanged: list[Pass] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    stations_changed: list[str] = field(default_factory=list)
    pickup_shift: float = 0.0
    stability_cost: float = 0.0
    candidate: str = "free"
    candidates: dict[str, float] = field(default_factory=dict)
    in_progress: list[str] = field(default_factory=list)
    seconds: float = 0.0


def replan(
    loaded: LoadedInstance,
    plan: Plan,
    events: Sequence[Event | str | dict[str, Any]],
    at: float,
    *,
    config: SolverConfig | None = None,
    time_limit: float | None = None,
    stability: Stability | None = None,
) -> Replan:
    """Plan the rest of the day again from ``at``, after ``events``.

    Parameters
    ----------
    loaded
        The instance the plan is for.
    plan
        The plan running so far (not changed).
    events
        What happened: :data:`~relayroute.model.events.Event` objects, their JSON data or
        their command-line form (``checkpoint-closed:cp_yiwu_g60:10:00-14:00``).
    at
        Minutes from the instance start: now. Everything the plan started before stays.
    config
        Solver configuration of the remaining part (the default when omitted).
    time_limit
        Seconds for the whole replan (both candidates); the configuration's when omitted.
    stability
        Prices of change (:class:`Stability` defaults when omitted).

    Returns
    -------
    Replan

    Raises
    ------
    InputError
        An event names what the instance has not, cancels an order already picked up, or
        hits what re-planning does not handle yet; ``at`` is not a time of the day.

    Examples
    --------
    >>> import relayroute as rr
    >>> loaded = rr.read_instance("tests/data/small-straight.json")
    >>> plan = rr.solve(loaded, rr.SolverConfig(engine="greedy"))
    >>> done = rr.replan(loaded, plan, ["station-closed:rs_west"], 480,
    ...                  config=rr.SolverConfig(engine="greedy"))
    >>> from relayroute.validate.replan import check_replan
    >>> check_replan(done.loaded.instance, plan, done.plan, done.events, 480).ok
    True
    >>> done.in_progress  # inside the zone at 480: it comes back out there as planned
    ['T2 handover at rs_west at ... (on its way at 480)']
    >>> new = [h for h in done.plan.handovers if h.station == "rs_west" and h.start >= 480]
    >>> [h.truck for h in new]  # no other handover there after 480
    ['T2']
    """
    tick = time.perf_counter()
    inst = loaded.instance
    _same_day(inst, plan)
    if not (math.isfinite(at) and 0 <= at <= inst.horizon):
        raise InputError("at", f"{at:g} is not a time of the day (0 to {inst.horizon:g})")
    config = config or SolverConfig()
    stability = stability or Stability()
    evs = [_event(e, inst, loaded) for e in events]
    _check_events(inst, evs)
    evs = _reopened(evs, at, inst.horizon)
    limit = time_limit if time_limit is not None else config.time_limit
    releasing: set[str] = set()
    detoured = _detoured(inst, loaded.base, plan, evs, at)
    # Turned back home to its depot by a closure: what it carries stays aboard.
    holding = {
        b.truck
        for a, b in zip(plan.routes, detoured.routes, strict=True)
        if len(b.stops) < len(a.stops) and b.stops[-1].kind == "end"
    }
    now = _zoned(inst, evs, at, rest=False)  # who is held inside a zone: by the new policy
    short: set[str] = set()  # frozen on with their goods, they ended over duty
    reserved: dict[str, list[float]] = {}  # inspections held for trucks sent home
    rounds = 0
    extended: set[str] = set()

    def cut(running: Plan) -> State:
        on = _unhindered(evs, at, inst.horizon, plan, inst)

        def until_empty(route: TruckRoute, k: int, later: int) -> bool:
            if route.truck in short:
                return False
            if on(route, k, later):
                extended.add(route.truck)
                return True
            return False

        return state_at(
            now,
            running,
            at,
            until_empty,
            _releasing(evs, at, inst, releasing, plan, unqueued),
        )

    unqueued: set[str] = set()  # their handover released: its queue overran a duty
    while True:
        running = _waiting(inst, detoured, evs, at)
        extended = set()
        state = cut(running)
        queued = _queued(inst, running, state, at)
        if queued is not running:
            # A truck on its way to a handover that now waits for a bay or a loop
            # driver so long that its driver would end over duty: released from it
            # (measured on yiwu-day-scarce, the south gate closed at noon: T41 15
            # minutes over), and the queue made again.
            late = {
                b.truck
                for a, b in zip(running.routes, queued.routes, strict=True)
                if a != b and b.truck not in unqueued and _over_duty(inst, b, 0)
            }
            if late:
                unqueued |= late
                extended = set()
                state = cut(running)
                queued = _queued(inst, running, state, at)
        if queued is not running:
            running = queued
            extended = set()
            state = cut(running)
        _refuse_unhandled(running, state, evs)
        day = _day_instance(inst, running, state, evs, at)
        try:
            pending: dict[str, list[float]] = {}
            tried = _solve_rest(
                loaded,
                day,
                running,
                state,
                evs,
                at,
                config,
                limit,
                tick,
                stability,
                holding,
                reserved,
                pending,
            )
        except _Stuck as stuck:
            # Goods aboard their truck cannot take to them any more. Taken back to a
            # station by a loop driver turned back at a gate: they stay aboard. Else
            # first the truck does not load them, where it is on its way to load them
            # at ``at``; then they stay aboard.
            homed = {
                a.truck
                for a, b in zip(plan.routes, detoured.routes, strict=True)
                if len(b.stops) < len(a.stops)
            }
            if stuck.trucks & homed - holding:
                holding |= stuck.trucks & homed
                continue
            if stuck.trucks <= holding:  # pragma: no cover - held goods are no pins
                raise AssertionError(f"goods aboard {stuck} stuck though held") from None
            # Released and still no way: the goods stay aboard (unserved, held) rather
            # than going on as planned through the closure or over a driver's duty
            # (measured on yiwu-day: the port station closed at noon, that broke REPLAN;
            # the G60 gate closed for good at 14:00, T20 ended 30 minutes over duty).
            holding |= stuck.trucks & releasing
            if time.perf_counter() - tick >= limit:
                # No time left for a round of its own: released and held at once (each
                # round is 10-20 s on liling-day whatever time is left).
                holding |= stuck.trucks
            releasing |= stuck.trucks
            continue
        # Frozen on with its goods aboard, a truck that cannot then get home within its
        # driver's duty (a way round a closure made it longer; measured on yiwu-day, the
        # Dongyang west gate closed for good at 14:00): its goods are planned anew.
        over = {
            r.truck
            for _, sub, _ in tried
            for r in sub.routes
            if r.truck in extended - short and _over_duty(inst, r, 0)
        }
        if over:
            short |= over
            continue
        # Trucks the new part sends home that had to wait their turn at a checkpoint it
        # fills (a driver over duty, measured on liling-day at 14:00): the part is solved
        # again with those inspections held for them (a few times at most).
        if pending and rounds < HOME_ROUNDS:
            rounds += 1
            for cid, times in pending.items():
                reserved.setdefault(cid, []).extend(times)
            continue
        break
    in_progress = _in_progress(running, state, evs, at, inst)
    in_progress += _waits(detoured, running)
    in_progress += _rounds(plan, detoured, state)
    in_progress += [
        f"{t} keeps its goods aboard to the end of its day: no way left" for t in sorted(holding)
    ]
    priced = [(sub.kpis.objective + _price(f, stability), name, sub, f) for name, sub, f in tried]
    scores = {name: round(cost, 2) for cost, name, _, _ in priced}
    _, name, new, figures = min(priced, key=lambda x: x[0])
    in_progress += [
        f"{t} keeps goods aboard to the end of its day: no time left to plan them again"
        for t in figures.get("held", [])
        if t not in holding
    ]
    in_progress += _overruns(inst, new, state)
    text = day.model_dump_json(by_alias=True)
    day_loaded = LoadedInstance(day, loaded.base, hashlib.sha256(text.encode()).hexdigest())
    new.instance = InstanceRef(name=day.name, sha256=day_loaded.sha256)
    old_p = {p.id: p for p in plan.passes}
    new_p = {p.id: p for p in new.passes}
    return Replan(
        plan=new,
        loaded=day_loaded,
        state=state,
        events=evs,
        at=at,
        revoked=[p for i, p in old_p.items() if new_p.get(i) != p],
        issued=[p for i, p in new_p.items() if old_p.get(i) != p],
        unchanged=[p for i, p in new_p.items() if old_p.get(i) == p],
        moved=figures["moved"],
        stations_changed=figures["stations"],
        pickup_shift=_r(figures["shift"]),
        stability_cost=_r(_price(figures, stability)),
        candidate=name,
        candidates=scores,
        in_progress=in_progress,
        seconds=round(time.perf_counter() - tick, 2),
    )


def _waiting(inst: Instance, plan: Plan, evs: list[Event], at: float) -> Plan:
    """``plan`` as it now runs: a truck that would be inspected at a checkpoint the events
    close for a window with an end, from ``at`` on, waits there until it opens again; its
    day from there on is later by the wait (what of it is not frozen is planned anew)."""
    end = 3 * inst.horizon
    shut: dict[str, list[tuple[float, float]]] = {}
    for e in evs:
        if isinstance(e, CheckpointClosed) and e.window is not None:
            shut.setdefault(e.checkpoint, []).append(_window(e, at, end))
    if not shut:
        return plan
    delay = {c.id: c.delay for c in inst.checkpoints}
    routes = []
    for r in plan.routes:
        legs, stops = list(r.legs), list(r.stops)
        for i, leg in enumerate(legs):
            # Every leg: the frozen ones after ``at`` (a truck coming out of a closed
            # zone, goods aboard frozen on) wait as well; the rest is planned anew.
            wait = 0.0
            crossings = []
            for c in leg.crossings:
                c = c.model_copy(update={"arrive": c.arrive + wait, "depart": c.depart + wait})
                inspect = c.depart - delay.get(c.checkpoint, 0.0)
                for lo, hi in shut.get(c.checkpoint, []):
                    if inspect >= at - TOL and c.depart > lo + TOL and inspect < hi - TOL:
                        more = hi - inspect
                        wait += more
                        c = c.model_copy(update={"depart": _r(c.depart + more)})
                crossings.append(c)
            if wait <= 0:
                continue
            legs[i] = leg.model_copy(
                update={
                    "crossings": crossings,
                    "arrive": _r(leg.arrive + wait),
                    "minutes": _r(leg.minutes + wait),
                }
            )
            _later_from(stops, i + 1, wait)
            for j in range(i + 1, len(legs)):
                g = legs[j]
                legs[j] = _shifted(g, wait)
        routes.append(r.model_copy(update={"legs": legs, "stops": stops}))
    return plan.model_copy(update={"routes": routes})


def _detoured(
    inst: Instance,
    base: Path | None,
    plan: Plan,
    evs: list[Event],
    at: float,
) -> Plan:
    """``plan`` as it now runs round the closures the events make.

    A leg leaving at ``at`` or later that drives a road the events close (within its
    window) or would be inspected at a checkpoint they close goes round, between the same
    stops, with the same driver (a loop driver inside its zone), the fastest way the
    network has left. A truck on its way at ``at`` to a checkpoint they close turns back
    at its gate (it does not cross) and goes the fastest other way to the stop it was
    going to. Round a checkpoint closed for a window only where that arrives before
    waiting for it to open (:func:`_waiting`). The truck's day from there on is later by
    what the way round costs (what of it is not frozen is planned anew). A leg with no
    way round is left (it waits, or its goods are planned anew).

    A loop driver turned back on its way into the zone from a relay station, where the
    way round has none or would take the truck's own driver (waiting at the station)
    over their duty, takes the truck back to that station instead and hands it back
    there: its route ends with that handover, the rest of its day and its goods aboard
    are planned anew (held aboard to the end of its day where they have no way left).
    """
    end = 3 * inst.horizon
    roads = _roads(evs, at, end)
    shut_cp: dict[str, list[tuple[float, float]]] = {}
    for e in evs:
        if isinstance(e, CheckpointClosed):
            shut_cp.setdefault(e.checkpoint, []).append(_window(e, at, end))
    if not roads and not shut_cp:
        return plan
    net = _closed_network(inst, base, evs, at) or build_network(inst, base)
    delays = {c.id: c.delay for c in inst.checkpoints}
    shut = {c.id for c in inst.checkpoints if c.closed}
    avoid = frozenset(shut_cp)
    pools = {p.id: p for p in inst.driver_pools}
    limit = {c.id: c.throughput_per_hour for c in inst.checkpoints}
    gate_node = {c: n for n, c in net.gates.items()}
    # Inspections planned, by checkpoint: a way round waits for its turn at a
    # checkpoint whose hourly throughput they fill (measured on yiwu-day: the G60 gate
    # full from noon, a way round through it made 13 inspections in an hour for 12).
    seen: dict[str, list[float]] = {}
    for r in plan.routes:
        for leg in r.legs:
            for c in leg.crossings:
                seen.setdefault(c.checkpoint, []).append(c.depart - delays.get(c.checkpoint, 0.0))

    def profile_of(truck: str, leg: Leg) -> Profile:
        pool = pools.get(leg.driver.rsplit("/", 1)[0])
        if leg.driver_kind == "loop" and pool is not None and pool.zone is not None:
            return Profile("loop", zone=pool.zone)
        return Profile("outside", frozenset(inst.trucks_by_id[truck].permits))

    def hit(leg: Leg) -> tuple[int, float] | None:
        """The first crossing of ``leg`` inspected at ``at`` or later at a checkpoint
        closed then (as :func:`_waiting` judges it): its index and the wait there."""
        for m, c in enumerate(leg.crossings):
            inspect = c.depart - delays.get(c.checkpoint, 0.0)
            if inspect < at - TOL:
                continue
            for lo, hi in shut_cp.get(c.checkpoint, []):
                if c.depart > lo + TOL and inspect < hi - TOL:
                    return m, hi - inspect
        return None

    def gate_at(leg: Leg, m: int) -> int | None:
        """Index in ``leg.path`` of the gate of its crossing ``m``."""
        k = -1
        for c in leg.crossings[: m + 1]:
            node = gate_node.get(c.checkpoint)
            if node is None or node not in leg.path[k + 1 :]:
                return None
            k = leg.path.index(node, k + 1)
        return k

    # One travel table a driver class, between the ends of the legs it goes round.
    ends: dict[Profile, set[str]] = {}
    for r in plan.routes:
        for i, leg in enumerate(r.legs):
            if leg.arrive < at - TOL:
                continue
            if (leg.depart >= at - TOL and _on_closed_road(leg, roads)) or hit(leg):
                ends.setdefault(profile_of(r.truck, leg), set()).update(
                    (r.stops[i].place, r.stops[i + 1].place, r.stops[-1].place)
                )
    tables = {p: TravelTable(net, p, sorted(x), delays, shut) for p, x in ends.items()}
    g = net.graph
    routes = []
    for r in plan.routes:
        legs, stops = list(r.legs), list(r.stops)
        for i, leg in enumerate(legs):
            if leg.arrive < at - TOL:
                continue
            on_road = leg.depart >= at - TOL and _on_closed_road(leg, roads)
            h = hit(leg)
            if not on_road and h is None:
                continue
            a, b = stops[i].place, stops[i + 1].place
            table = tables.get(profile_of(r.truck, leg))
            if table is None or not {a, b} <= table.index.keys():
                continue  # moved into a closure's window by an earlier way round: left
            kept: list[Crossing] = []
            home = None  # the way back to the station a loop driver left, turned back
            head: list[str] = []
            shape: list[tuple[float, float]] = []
            head_km = 0.0
            start = leg.depart
            if leg.depart >= at - TOL:
                if h is None:
                    way = table.route(a, b) if table.reachable(a, b) else None
                else:
                    way = table.avoiding(a, b, avoid)
            else:
                assert h is not None  # on a closed road at ``at``: it finishes its road
                m = h[0]
                j = gate_at(leg, m)
                if j is None:
                    continue
                c = leg.crossings[m]
                way = table.turned(leg.path[j], c.direction == "out", b, avoid)
                head = leg.path[: j + 1]
                shape = [(g.nodes[head[0]]["lon"], g.nodes[head[0]]["lat"])]
                for u, v in itertools.pairwise(head):
                    shape.extend(g.edges[u, v]["coords"][1:])
                    head_km += g.edges[u, v]["km"]
                if [tuple(x) for x in leg.coords[: len(shape)]] != [tuple(x) for x in shape]:
                    continue  # not the network's own road: left as it is
                # Queued at the gate at ``at`` already: it turns from there then.
                kept, start = list(leg.crossings[:m]), max(c.arrive, at)
                back = stops[i]
                if (
                    leg.driver_kind == "loop"
                    and c.direction == "in"
                    and back.kind == "handover"
                    and back.station is not None
                ):
                    home = table.turned(leg.path[j], False, a, avoid)
                elif leg.driver == r.driver:
                    # Its own driver: home to its depot, where going on would overrun.
                    depot = stops[-1].place
                    home = table.turned(leg.path[j], c.direction == "out", depot, avoid)
            if way is None and home is None:
                continue
            gone = leg.crossings[len(kept) :]
            for c in gone:
                _drop(seen[c.checkpoint], c.depart - delays.get(c.checkpoint, 0.0))
            inspect: list[float] = []
            now, driven = start, 0.0
            for w in way.crossings if way is not None else []:
                t = _turn(
                    seen.get(w.checkpoint, []), now + w.offset - driven, limit.get(w.checkpoint)
                )
                inspect.append(t)
                now, driven = t + w.delay, w.offset + w.delay
            if way is not None:
                crossings, arrive = _crossings(
                    SimpleNamespace(route=way),  # type: ignore[arg-type]
                    start,
                    inspect,
                )
            if home is not None and (
                way is None or _too_long(inst, r, leg, arrive, table, b, stops[-1].place, avoid)
            ):
                road = (head, shape, head_km)
                times: list[float] = []
                now, driven = start, 0.0
                for w in home.crossings:
                    t = _turn(
                        seen.get(w.checkpoint, []),
                        now + w.offset - driven,
                        limit.get(w.checkpoint),
                    )
                    seen.setdefault(w.checkpoint, []).append(t)
                    times.append(t)
                    now, driven = t + w.delay, w.offset + w.delay
                out, reach = _crossings(
                    SimpleNamespace(route=home),  # type: ignore[arg-type]
                    start,
                    times,
                )
                _home_again(inst, r, i, legs, stops, leg, road, kept + out, reach, home)
                for g2 in legs[i + 1 :]:
                    for c in g2.crossings:
                        _drop(seen[c.checkpoint], c.depart - delays.get(c.checkpoint, 0.0))
                del legs[i + 1 :], stops[i + 2 :]
                break
            assert way is not None
            more = arrive - leg.arrive
            waited = leg.arrive + h[1] if h is not None and not on_road else math.inf
            if (h is None and more < -TOL) or arrive >= waited - TOL:
                # Shorter than the plan's way round a road (not a detour), or no sooner
                # than waiting for the checkpoint to open: left as it was.
                for c in gone:
                    seen[c.checkpoint].append(c.depart - delays.get(c.checkpoint, 0.0))
                continue
            for w, t in zip(way.crossings, inspect, strict=True):
                seen.setdefault(w.checkpoint, []).append(t)
            # Sooner than a queue at the gate it was in: it still arrives as planned.
            arrive, more = max(arrive, leg.arrive), max(more, 0.0)
            legs[i] = leg.model_copy(
                update={
                    "path": head + way.nodes[1:] if head else way.nodes,
                    "coords": shape + way.coords[1:] if head else way.coords,
                    "km": _r(head_km + way.km if head else way.km),
                    "arrive": _r(arrive),
                    "minutes": _r(arrive - leg.depart),
                    "crossings": kept + crossings,
                }
            )
            if more <= 0:
                continue
            _later_from(stops, i + 1, more)
            for j in range(i + 1, len(legs)):
                g2 = legs[j]
                for c in g2.crossings:
                    t = c.depart - delays.get(c.checkpoint, 0.0)
                    _drop(seen[c.checkpoint], t)
                    seen[c.checkpoint].append(t + more)
                legs[j] = _shifted(g2, more)
        routes.append(r.model_copy(update={"legs": legs, "stops": stops}))
    return plan.model_copy(update={"routes": routes})


def _queued(inst: Instance, plan: Plan, state: State, at: float) -> Plan:
    """``plan`` with the frozen handovers after ``at`` queued for their stations' bays
    and their loop drivers.

    A wait at a closed checkpoint or a way round can bring frozen handovers to a station
    together (measured on yiwu-day: four trucks waiting out a gate shut 12:00-12:45
    reached the port station together, for 3 bays), or make a loop driver's frozen trip
    end after its next one was to begin (the G60 gate shut 12:00-14:00). One that finds
    every bay taken waits for the first to free, one whose loop driver is still out
    waits for it; its truck's day from there on is later by the wait. Handovers under
    way at ``at`` stay as they are. ``plan`` itself when nothing waits.
    """
    bays = {st.id: st.bays for st in inst.relay_stations}
    routes = {r.truck: r for r in plan.routes}
    changed = False
    for _ in range(10 * len(routes) + 10):
        spans: dict[str, list[tuple[float, float, str, int]]] = {}
        for r, i, s in _frozen_stops(routes, state):
            if s.kind == "handover" and s.station is not None and s.depart > at + TOL:
                spans.setdefault(s.station, []).append((s.start, s.depart, r.truck, i))
        worst: tuple[float, str, int, float] | None = None
        for station, used in spans.items():
            for start, *_ in sorted(used):
                on = [u for u in used if u[0] <= start + TOL and u[1] > start + TOL]
                if len(on) <= bays.get(station, len(on)):
                    continue
                movable = [u for u in on if u[0] >= at - TOL]
                if not movable:
                    break  # all under way at ``at``: nothing to queue
                last = max(movable, key=lambda u: (u[0], routes[u[2]].stops[u[3]].arrive))
                free = min(u[1] for u in on if u is not last)
                if worst is None or start < worst[0]:
                    worst = (start, last[2], last[3], free - last[0])
                break
        if worst is None:
            worst = _busy_loop_driver(routes, state, at)
        if worst is None:
            break
        _, truck, i, wait = worst
        r = routes[truck]
        stops, legs = list(r.stops), list(r.legs)
        s = stops[i]
        stops[i] = s.model_copy(update={"start": _r(s.start + wait), "depart": _r(s.depart + wait)})
        _later_from(stops, i + 1, wait)
        for j in range(i, len(legs)):
            legs[j] = _shifted(legs[j], wait)
        routes[truck] = r.model_copy(update={"stops": stops, "legs": legs})
        changed = True
    if not changed:
        return plan
    return plan.model_copy(update={"routes": [routes[r.truck] for r in plan.routes]})


def _frozen_stops(
    routes: dict[str, TruckRoute], state: State
) -> Iterator[tuple[TruckRoute, int, Stop]]:
    """Each frozen stop after the first: its route, index and stop."""
    for r in routes.values():
        ts = state.trucks.get(r.truck)
        for i in range(1, ts.cut + 1 if ts is not None else 1):
            yield r, i, r.stops[i]


def _busy_loop_driver(
    routes: dict[str, TruckRoute], state: State, at: float
) -> tuple[float, str, int, float] | None:
    """The first frozen handover after ``at`` to a loop driver still out on an earlier
    frozen trip: (its start, its truck, its stop, the wait until the driver is back)."""
    trips: dict[str, list[tuple[float, float, str, int]]] = {}
    for r, i, s in _frozen_stops(routes, state):
        if s.kind != "handover" or s.driver == r.driver:
            continue
        back = next((x for x in r.stops[i + 1 :] if x.driver != s.driver), r.stops[-1])
        trips.setdefault(s.driver, []).append((s.start, back.depart, r.truck, i))
    worst = None
    for spans in trips.values():
        spans.sort()
        for (_, end, _, _), (start, _, truck, i) in itertools.pairwise(spans):
            if start < end - TOL and start >= at - TOL and (worst is None or start < worst[0]):
                worst = (start, truck, i, end - start)
    return worst


def _too_long(
    inst: Instance,
    r: TruckRoute,
    leg: Leg,
    arrive: float,
    table: TravelTable,
    b: str,
    depot: str,
    avoid: frozenset[str],
) -> bool:
    """Going on round to ``b`` (reached at ``arrive`` instead of ``leg.arrive``) takes
    a driver over duty: a loop driver's truck, its day from there later by as much (its
    trip is frozen); its own driver's, then straight home from ``b`` (through none of
    the checkpoints ``avoid``)."""
    from relayroute.itineraries.problem import truck_duty

    if leg.driver != r.driver:
        return _over_duty(inst, r, arrive - leg.arrive)
    _, hi, duty = truck_duty(inst, inst.trucks_by_id[r.truck])
    if b == depot:
        home = 0.0
    elif avoid:
        way = table.avoiding(b, depot, avoid)
        home = way.minutes if way is not None else math.inf
    else:
        home = float(table.minutes[table.index[b], table.index[depot]])
    end = arrive + home
    return end - r.stops[0].depart > duty + TOL or end > hi + TOL


def _over_duty(inst: Instance, r: TruckRoute, more: float) -> bool:
    """The day of ``r``, later by ``more`` minutes from here on, takes its own driver
    over their duty or past their shift."""
    from relayroute.itineraries.problem import truck_duty

    _, hi, duty = truck_duty(inst, inst.trucks_by_id[r.truck])
    end = r.stops[-1].arrive + max(more, 0.0)
    return end - r.stops[0].depart > duty + TOL or end > hi + TOL


def _home_again(
    inst: Instance,
    r: TruckRoute,
    i: int,
    legs: list[Leg],
    stops: list[Stop],
    leg: Leg,
    road: tuple[list[str], list[tuple[float, float]], float],
    crossings: list[Crossing],
    arrive: float,
    home: Any,
) -> None:
    """Leg ``i`` of ``r`` driven on its old ``road`` (nodes, shape, km) to its gate,
    turned back there and driven ``home`` (with ``crossings``, arriving at ``arrive``):
    by a loop driver to the station it left, where the truck is handed back to its own
    driver (stop ``i + 1``); by its own driver to its depot, where its day ends (stop
    ``i + 1``, the end)."""
    head, shape, head_km = road
    back = stops[i]
    arrive = _r(arrive)
    legs[i] = leg.model_copy(
        update={
            "path": head + home.nodes[1:],
            "coords": shape + home.coords[1:],
            "km": _r(head_km + home.km),
            "arrive": arrive,
            "minutes": _r(arrive - leg.depart),
            "crossings": crossings,
        }
    )
    if leg.driver == r.driver:
        # Its own driver's: its day ends at its depot, what it carries still aboard.
        stops[i + 1] = _end(stops[-1].model_copy(update={"load": dict(back.load)}), arrive)
        return
    assert back.station is not None
    station = inst.relay_stations_by_id[back.station]
    stops[i + 1] = Stop(
        place=back.place,
        kind="handover",
        shipments=[],
        station=back.station,
        arrive=arrive,
        start=arrive,
        depart=_r(arrive + station.handover_minutes),
        load=dict(back.load),
        driver=r.driver,
    )


def _later_from(stops: list[Stop], first: int, minutes: float) -> None:
    """Stops ``first`` on, later by ``minutes`` (a wait or a way round before them)."""
    for j in range(first, len(stops)):
        x = stops[j]
        stops[j] = x.model_copy(
            update={k: _r(getattr(x, k) + minutes) for k in ("arrive", "start", "depart")}
        )


def _drop(times: list[float], t: float) -> None:
    """``times`` less the one nearest ``t`` (times are rounded in a plan)."""
    if times:
        times.pop(min(range(len(times)), key=lambda k: abs(times[k] - t)))


def _turn(times: list[float], reach: float, limit: int | None) -> float:
    """The first time from ``reach`` at which one more inspection keeps every hour of a
    checkpoint's ``times`` within its throughput ``limit`` (None: no limit)."""
    if limit is None:
        return reach

    def fits(t: float) -> bool:
        starts = [t, *(x for x in times if t - 60 < x <= t)]
        return all(sum(1 for x in times if u <= x < u + 60) + 1 <= limit for u in starts)

    for t in sorted({reach, *(x + 60 for x in times if x + 60 > reach)}):
        if fits(t):
            return t
    return reach  # pragma: no cover - an hour after the last one always fits


def _price(figures: dict[str, Any], w: Stability) -> float:
    return (
        w.truck_change * len(figures["moved"])
        + w.station_change * len(figures["stations"])
        + w.pickup_minute * figures["shift"]
    )


def _event(given: Event | str | dict[str, Any], inst: Instance, loaded: LoadedInstance) -> Event:
    if isinstance(given, str):
        return parse_event(given, inst.start, loaded.base)
    return event_from_data(given)


def _check_events(inst: Instance, evs: list[Event]) -> None:
    """Every object an event names is the instance's."""
    for k, e in enumerate(evs):
        where = f"events[{k}] ({e.kind})"
        if isinstance(e, CheckpointClosed | CheckpointReopened):
            if e.checkpoint not in inst.checkpoints_by_id:
                raise InputError(where, f"no checkpoint {e.checkpoint!r} in the instance")
        elif isinstance(e, StationClosed | LoopDriversFewer):
            if e.station not in inst.relay_stations_by_id:
                raise InputError(where, f"no relay station {e.station!r} in the instance")
            if isinstance(e, LoopDriversFewer):
                have = sum(p.count for p in _station_pools(inst, e.station))
                if e.fewer > have:
                    raise InputError(
                        where, f"station {e.station} has {have} loop drivers, not {e.fewer}"
                    )
        elif isinstance(e, RoadClosed):
            if e.road[0] == e.road[1]:
                raise InputError(where, f"a road joins two nodes, not {e.road[0]!r} to itself")
        elif isinstance(e, TruckBroken):
            if e.truck not in inst.trucks_by_id:
                raise InputError(where, f"no truck {e.truck!r} in the instance")
        elif isinstance(e, ZonePolicyChanged):
            z = inst.zones_by_id.get(e.zone)
            if z is None and e.polygon is None:
                raise InputError(
                    where, f"no zone {e.zone!r} in the instance (a new zone needs a polygon)"
                )
            if z is None and e.policy == "open":
                raise InputError(where, f"a new zone {e.zone!r} opening changes nothing")
            if z is not None and e.checkpoints and e.polygon is None:
                raise InputError(where, "checkpoints come with a new zone or a new area only")
            for k, c in enumerate(e.checkpoints):
                if c.zone != e.zone:
                    raise InputError(
                        f"{where} checkpoints[{k}].zone", f"is {c.zone!r}, not the new {e.zone!r}"
                    )
            if z is None:
                z = Zone(id=e.zone, policy="open", polygon=[[]])
                ours = [*inst.checkpoints, *e.checkpoints]
            else:
                off = _gates_off(inst, e) if e.polygon is not None else set()
                ours = [*(c for c in inst.checkpoints if c.id not in off), *e.checkpoints]
            for t in e.permits:
                if t not in inst.trucks_by_id:
                    raise InputError(where, f"no truck {t!r} in the instance")
            if e.permits and e.policy != "permit":
                raise InputError(where, f"permits are for a permit zone, not {e.policy}")
            if sum(isinstance(x, ZonePolicyChanged) and x.zone == e.zone for x in evs) > 1:
                raise InputError(where, f"zone {e.zone!r} changes once in a re-plan")
            now = z.changes[-1].policy if z.changes else z.policy
            if e.policy == now and (e.polygon is None or now == "open"):
                raise InputError(where, f"zone {e.zone!r} is {now} already")
            _check_new_objects(inst, e, where)
            if e.policy != "open" and not any(c.zone == e.zone for c in ours):
                raise InputError(
                    where,
                    f"zone {e.zone!r} has no checkpoint: nobody could enter it {e.policy} "
                    "(give a new zone its checkpoints)",
                )
        elif isinstance(e, ShipmentsCancelled):
            for s in e.shipments:
                if s not in inst.shipments_by_id:
                    raise InputError(where, f"no shipment {s!r} in the instance")
        elif isinstance(e, ShipmentsAdded):
            seen: set[str] = set()
            for i, sh in enumerate(e.shipments):
                try:
                    _shipment(inst, sh)
                except InputError as exc:
                    raise InputError(
                        f"{where} shipments[{i}]{exc.where[1:]}", exc.message
                    ) from None
                if sh.id in seen:
                    raise InputError(where, f"shipment {sh.id!r} is added twice")
                seen.add(sh.id)


def _gates_off(inst: Instance, e: ZonePolicyChanged) -> set[str]:
    """The zone's checkpoints that do not stand on the boundary of its new area (within
    the straight-line model's tolerance): no gate from the change on."""
    assert e.polygon is not None
    mine = [c for c in inst.checkpoints if c.zone == e.zone]
    if not mine:
        return set()
    poly = shapely.Polygon(e.polygon[0], e.polygon[1:])
    km = boundary_km([(c.lon, c.lat) for c in mine], poly)
    return {c.id for c, d in zip(mine, km, strict=True) if d > CHECKPOINT_TOLERANCE_KM}


def _check_new_objects(inst: Instance, e: ZonePolicyChanged, where: str) -> None:
    """The relay stations, loop pools and places a zone turning closed-loop comes with
    are new, and of that zone (the day after the events checks the rest of them)."""
    if (e.relay_stations or e.driver_pools or e.places) and e.policy != "closed_loop":
        raise InputError(
            where, f"relay stations and loop drivers come with a closed_loop zone, not {e.policy}"
        )
    for name, ids, known in (
        ("relay_stations", [x.id for x in e.relay_stations], set(inst.relay_stations_by_id)),
        ("driver_pools", [x.id for x in e.driver_pools], set(inst.pools_by_id)),
        ("places", [x.id for x in e.places], set(inst.places_by_id)),
    ):
        seen: set[str] = set()
        for k, x in enumerate(ids):
            if x in known or x in seen:
                raise InputError(f"{where} {name}[{k}].id", f"{x!r} is in the day already")
            seen.add(x)
    for k, st in enumerate(e.relay_stations):
        if st.zone != e.zone:
            raise InputError(f"{where} relay_stations[{k}].zone", f"is {st.zone!r}, not {e.zone!r}")
    for k, p in enumerate(e.driver_pools):
        if p.kind != "loop" or p.zone != e.zone:
            raise InputError(
                f"{where} driver_pools[{k}]",
                f"loop drivers of zone {e.zone!r} are kind loop, their zone {e.zone!r}",
            )


def _reopened(evs: list[Event], at: float, horizon: float) -> list[Event]:
    """The events with each checkpoint closure less the windows the checkpoint is told
    reopened in (closed from ``at`` on, reopened 14:00-20:00: closed until 14:00 and from
    20:00), so that every check of a closure sees the windows it is really shut in."""
    again: dict[str, list[tuple[float, float]]] = {}
    for e in evs:
        if isinstance(e, CheckpointReopened):
            again.setdefault(e.checkpoint, []).append(_window(e, at, 3 * horizon))
    if not again:
        return evs
    end = min(3 * horizon, MAX_MINUTES)
    out: list[Event] = []
    for e in evs:
        if not (isinstance(e, CheckpointClosed) and e.checkpoint in again):
            out.append(e)
            continue
        lo, hi = _window(e, at, end)
        spans = [(lo, hi)]
        for a, b in again[e.checkpoint]:
            spans = [x for s in spans for x in _without([s], a, b, end)]
        out += [
            e.model_copy(update={"window": (a, b)}) if (a, b) != (at, end) or e.window else e
            for a, b in spans
            if b > a
        ]
    return out


def _station_pools(inst: Instance, station: str) -> list[DriverPool]:
    """The loop pools whose drivers work from ``station``."""
    st = inst.relay_stations_by_id[station]
    swaps = [s for s in inst.relay_stations if s.zone == st.zone and s.driver_swap]
    return [
        p
        for p in inst.driver_pools
        if p.kind == "loop"
        and p.zone == st.zone
        and (p.station == station or (p.station is None and len(swaps) == 1))
    ]


def _refuse_unhandled(plan: Plan, state: State, evs: list[Event]) -> None:
    """What re-planning does not handle yet is refused by name, not planned wrongly."""
    for e in evs:
        if isinstance(e, ShipmentsCancelled):
            for s in e.shipments:
                if s in state.picked:
                    raise InputError(
                        f"event shipments-cancelled:{s}", "already picked up: cannot be cancelled"
                    )


def _barred(evs: list[Event], inst: Instance) -> Any:
    """Whether a truck's leg enters a zone the events close to its own driver from
    ``at`` on: closed-loop now, or a permit zone it has no permit for. A leg planned
    while the zone was open (or before it was a zone) lists no crossing and passes no
    checkpoint of it: its line is tested against the zone's polygon, and barred with a
    permit too."""
    tightened = {e.zone: e for e in evs if isinstance(e, ZonePolicyChanged) and e.policy != "open"}
    permits = {t.id: t.permits for t in inst.trucks}
    known = inst.zones_by_id
    unlisted: dict[str, shapely.Polygon] = {}
    for zid, e in tightened.items():
        z = known.get(zid)
        if z is None or z.policy == "open":
            rings = e.polygon if e.polygon is not None else z.polygon if z else None
            assert rings is not None  # a new zone has its polygon (_check_events)
            unlisted[zid] = shapely.Polygon(rings[0], rings[1:])
        elif e.polygon is not None:
            # An area drawn wider: what it takes in was no zone, no gate is on the way in.
            old = z.area_at(math.inf)  # (the area it has: the day before this change)
            grown = shapely.difference(
                shapely.Polygon(e.polygon[0], e.polygon[1:]), shapely.Polygon(old[0], old[1:])
            )
            if not grown.is_empty:
                unlisted[zid] = grown

    def closed_to(truck: str, zid: str) -> bool:
        e = tightened[zid]
        return e.policy == "closed_loop" or (
            zid not in permits.get(truck, []) and truck not in e.permits
        )

    # A zone drawn anew: roads into or out of it planned on the old area (goods aboard
    # going on as planned after ``at``) are planned anew on the new one.
    drawn = {
        e.zone
        for e in evs
        if isinstance(e, ZonePolicyChanged) and e.polygon is not None and e.zone in known
    }

    def barred(truck: str, leg: Leg) -> str | None:
        for c in leg.crossings:
            if c.zone in drawn:  # (its old gates off the new boundary among them)
                return c.zone
        if leg.driver_kind == "loop":
            return None
        for c in leg.crossings:
            if c.zone in tightened and c.direction == "in" and closed_to(truck, c.zone):
                return c.zone
        for zid, poly in unlisted.items():
            # Planned with no checkpoint there: an entry is barred even with a permit.
            if len(leg.coords) < 2:
                continue
            start = shapely.Point(leg.coords[0])
            if not poly.contains(start) and poly.intersects(shapely.LineString(leg.coords)):
                return zid
        return None

    return barred


class _Stuck(Exception):
    """Trucks whose goods aboard the remaining part cannot deliver."""

    def __init__(self, trucks: set[str]) -> None:
        super().__init__(", ".join(sorted(trucks)))
        self.trucks = trucks


def _unhindered(
    evs: list[Event],
    at: float,
    horizon: float,
    plan: Plan | None = None,
    inst: Instance | None = None,
) -> Any:
    """Whether a truck may go on as planned with its goods aboard from stop ``k`` to stop
    ``later``: none of it crosses or stops at an object the events close, or drives a
    closed road in ``plan`` (the plan before ways round: a way round made the frozen
    part longer and could take the driver over their duty, measured on yiwu-day; the
    goods are planned anew instead), and the truck has not broken down."""
    before = {r.truck: r for r in plan.routes} if plan is not None else {}
    end = 3 * horizon
    closed: dict[str, list[tuple[float, float]]] = {}
    broken = _broken(evs)
    for e in evs:
        if isinstance(e, CheckpointClosed):
            closed.setdefault(e.checkpoint, []).append(_window(e, at, end))
        elif isinstance(e, StationClosed):
            closed.setdefault(e.station, []).append(_window(e, at, end))

    cancelled = {x for e in evs if isinstance(e, ShipmentsCancelled) for x in e.shipments}
    roads = _roads(evs, at, end)
    barred = _barred(evs, inst) if inst is not None else (lambda truck, leg: None)
    delay = {c.id: c.delay for c in inst.checkpoints} if inst is not None else {}

    def ok(route: TruckRoute, k: int, later: int) -> bool:
        if route.truck in broken:
            return False
        if any(x in cancelled for s in route.stops[k + 1 : later + 1] for x in s.shipments):
            return False
        for leg in route.legs[k:later]:
            for c in leg.crossings:
                if any(c.depart > lo and c.arrive < hi for lo, hi in closed.get(c.checkpoint, [])):
                    return False
        for leg in before.get(route.truck, route).legs[k:later]:
            # Nor round a closed checkpoint (a way round or a turn back made it longer).
            for c in leg.crossings:
                if c.depart - delay.get(c.checkpoint, 0.0) >= at - TOL and any(
                    c.depart > lo and c.arrive < hi for lo, hi in closed.get(c.checkpoint, [])
                ):
                    return False
            if leg.depart >= at - TOL and _on_closed_road(leg, roads):
                return False
            if leg.depart >= at - TOL and barred(route.truck, leg):
                return False
        for stop in route.stops[k + 1 : later + 1]:
            for lo, hi in closed.get(stop.station or "", []):
                if stop.depart > lo and stop.start < hi:
                    return False
        return True

    return ok


def _releasing(
    evs: list[Event],
    at: float,
    inst: Instance,
    trucks: set[str],
    plan: Plan | None = None,
    handovers: frozenset[str] | set[str] = frozenset(),
) -> Any:
    """Whether a truck on the road to stop ``n`` at ``at`` (or there, its service not
    begun) no longer does that stop's service: a handover in, unloading or loading at a
    station the events close then, a handover to a loop driver whose way in and out
    crosses a checkpoint or drives a road the events close (the loop work is planned
    anew, not sent round; judged on ``plan``, the plan before ways round), the pickup of
    a cancelled order, or (of ``trucks``, whose goods had no way left) a pickup, or (of
    ``handovers``, whose queue for it overran a duty) a handover to a loop driver."""
    end = 3 * inst.horizon
    before = {r.truck: r for r in plan.routes} if plan is not None else {}
    closed: dict[str, list[tuple[float, float]]] = {}
    shut: dict[str, list[tuple[float, float]]] = {}
    for e in evs:
        if isinstance(e, StationClosed):
            closed.setdefault(e.station, []).append(_window(e, at, end))
        elif isinstance(e, CheckpointClosed):
            shut.setdefault(e.checkpoint, []).append(_window(e, at, end))
    roads = _roads(evs, at, end)
    delay = {c.id: c.delay for c in inst.checkpoints}
    cancelled = {x for e in evs if isinstance(e, ShipmentsCancelled) for x in e.shipments}

    def hindered(route: TruckRoute, n: int) -> bool:
        """The loop work from handover ``n`` until the truck is back with its driver."""
        for leg in route.legs[n:]:
            if leg.driver == route.driver:
                return False
            if _on_closed_road(leg, roads):
                return True
            for c in leg.crossings:
                inspect = c.depart - delay.get(c.checkpoint, 0.0)
                if inspect >= at - TOL and any(
                    c.depart > lo and inspect < hi for lo, hi in shut.get(c.checkpoint, [])
                ):
                    return True
        return False

    def release(route: TruckRoute, n: int) -> bool:
        old = before.get(route.truck)
        if old is not None and old.legs[n - 1].path != route.legs[n - 1].path:
            return False  # turned back at a gate on that road: it goes where it turned to
        s = route.stops[n]
        handover = s.kind == "handover" and s.driver != route.driver
        uses = s.kind in ("load", "unload") or handover
        if uses and any(
            s.depart > lo and s.start < hi for lo, hi in closed.get(s.station or "", [])
        ):
            return True
        if handover and (route.truck in handovers or hindered(before.get(route.truck, route), n)):
            return True
        if s.kind == "pickup" and any(x in cancelled for x in s.shipments):
            return True
        return s.kind == "pickup" and route.truck in trucks

    return release


def _roads(
    evs: list[Event], at: float, end: float
) -> dict[frozenset[str], list[tuple[float, float]]]:
    """The roads the events close (both directions), with their windows."""
    out: dict[frozenset[str], list[tuple[float, float]]] = {}
    for e in evs:
        if isinstance(e, RoadClosed):
            out.setdefault(frozenset(e.road), []).append(_window(e, at, end))
    return out


def _on_closed_road(leg: Leg, roads: dict[frozenset[str], list[tuple[float, float]]]) -> bool:
    """``leg`` drives a road of ``roads`` while the leg overlaps its window (the leg's
    times are all a plan says of when a truck is on each of its roads)."""
    if not roads:
        return False
    for a, b in itertools.pairwise(leg.path):
        for lo, hi in roads.get(frozenset((a, b)), []):
            if leg.depart < hi - TOL and leg.arrive > lo + TOL:
                return True
    return False


def _closed_network(
    inst: Instance, base: Path | None, evs: list[Event], at: float
) -> Network | None:
    """The network of ``inst`` with the roads the events close for some of the rest of
    the day shut for all of it (a network has no hours: a road open again later in the
    day stays shut to the remaining part, which may cost it time but never breaks the
    closure); None when no event closes a road."""
    roads = [(k, e) for k, e in enumerate(evs) if isinstance(e, RoadClosed)]
    if not roads:
        return None
    net = build_network(inst, base)
    g = net.graph
    # A truck's start in the remaining part is a place of its own ("X@T"): without a
    # road graph (straight_line) it is a node of its own too, standing for X's.
    replan_places = {p.id for p in inst.places if p.kind == "replan"}

    def real(n: str) -> str:
        return n.split("@", 1)[0] if n in replan_places else n

    edges: dict[frozenset[str], list[tuple[str, str]]] = {}
    for u, v in g.edges:
        edges.setdefault(frozenset((real(u), real(v))), []).append((u, v))
    for k, e in roads:
        a, b = e.road
        found = edges.get(frozenset((a, b)))
        if not found:
            raise InputError(
                f"events[{k}] (road-closed)", f"no road between {a!r} and {b!r} in the network"
            )
        if _window(e, at, 3 * inst.horizon)[1] <= at:
            continue  # over before the remaining part starts
        for u, v in found:
            g.edges[u, v]["closed"] = True
    return net


def _window(e: Event, at: float, end: float) -> tuple[float, float]:
    w = getattr(e, "window", None)
    return (float(w[0]), float(w[1])) if w is not None else (at, end)


def _without(
    hours: list[tuple[float, float]], lo: float, hi: float, end: float
) -> list[tuple[float, float]]:
    """Opening ``hours`` (empty: always) less ``[lo, hi]``."""
    out: list[tuple[float, float]] = []
    for a, b in hours or [(0.0, end)]:
        if b <= lo or a >= hi:
            out.append((a, b))
            continue
        if a < lo:
            out.append((a, lo))
        if b > hi:
            out.append((hi, b))
    return out


def _with(hours: list[tuple[float, float]], lo: float, hi: float) -> list[tuple[float, float]]:
    """Opening ``hours`` and ``[lo, hi]`` (empty stays always open)."""
    if not hours:
        return []
    merged: list[tuple[float, float]] = []
    for a, b in sorted([*hours, (lo, hi)]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _frozen_crossings(plan: Plan, state: State) -> Iterator[Crossing]:
    """The checkpoint crossings of the frozen past (with the road a released truck is on)."""
    for r in plan.routes:
        ts = state.trucks.get(r.truck)
        if ts is not None:
            for leg in ts.past_legs(r):
                yield from leg.crossings


def _frozen_uses(plan: Plan, state: State) -> dict[str, float]:
    """Object (checkpoint or station id) -> the latest time frozen work uses it."""
    out: dict[str, float] = {}
    for c in _frozen_crossings(plan, state):
        out[c.checkpoint] = max(out.get(c.checkpoint, -1.0), c.depart)
    for r in plan.routes:
        ts = state.trucks.get(r.truck)
        if ts is None:
            continue
        for s in r.stops[1 : ts.cut + 1]:
            if s.station is not None and s.kind in ("handover", "unload", "load"):
                out[s.station] = max(out.get(s.station, -1.0), s.depart)
    return out


def _closed_objects(
    inst: Instance, evs: list[Event], at: float, frozen: dict[str, float] | None
) -> Instance:
    """``inst`` with checkpoint and station hours changed by the events; with
    ``frozen``, each closure starts only once frozen work no longer uses the object."""
    end = 3 * inst.horizon
    cps = {c.id: c for c in inst.checkpoints}
    sts = {s.id: s for s in inst.relay_stations}
    for e in evs:
        if isinstance(e, CheckpointClosed | StationClosed):
            oid = e.checkpoint if isinstance(e, CheckpointClosed) else e.station
            lo, hi = _window(e, at, end)
            if frozen is not None and frozen.get(oid, -1.0) > lo:
                lo = min(hi, frozen[oid])
            if isinstance(e, CheckpointClosed):
                cp = cps[oid]
                if frozen is None and lo <= at and hi >= end:
                    # Closed for all the remaining part: said so, not as hours (the
                    # travel tables would still route through it and find it shut).
                    cps[oid] = cp.model_copy(update={"closed": True})
                    continue
                hours = _without(list(cp.hours), lo, hi, end)
                cps[oid] = cp.model_copy(update={"hours": hours, "closed": cp.closed or not hours})
            else:
                st = sts[oid]
                hours = _without(list(st.hours), lo, hi, end) or [(0.0, 0.0)]
                update: dict[str, Any] = {"hours": hours}
                if frozen is None and lo <= at and hi >= end:
                    # No transload there in the remaining part: offered one, the routing
                    # model fails on a station shut when the goods could reach it.
                    update["transload"] = False
                sts[oid] = st.model_copy(update=update)
        elif isinstance(e, CheckpointReopened):
            cp = cps[e.checkpoint]
            lo, hi = _window(e, at, end)
            if cp.closed:
                cps[cp.id] = cp.model_copy(update={"closed": False, "hours": [(lo, hi)]})
            else:
                cps[cp.id] = cp.model_copy(update={"hours": _with(list(cp.hours), lo, hi)})
    return inst.model_copy(
        update={"checkpoints": list(cps.values()), "relay_stations": list(sts.values())}
    )


def _zoned(inst: Instance, evs: list[Event], at: float, rest: bool) -> Instance:
    """``inst`` with the zone policies the events change from ``at``: for the whole day
    each change is one of the zone's ``changes`` (the morning is judged by the old
    policy); for the remaining part (``rest``) the zone has its new policy and only what
    goes with it (permits for a permit zone, relay stations and loop drivers for a
    closed-loop one, checkpoints for either)."""
    changed = {e.zone: e for e in evs if isinstance(e, ZonePolicyChanged)}
    if not changed and not (rest and any(z.changes for z in inst.zones)):
        return inst  # (a day re-planned before keeps its changes; its rest has none)
    for z in inst.zones:
        e = changed.get(z.id)
        if e is not None and z.changes and z.changes[-1].at >= at:
            raise InputError(
                f"event zone-policy:{z.id}",
                f"the zone changes at {z.changes[-1].at:g} already, not before {at:g}",
            )
    given = {t for e in changed.values() for t in e.permits}
    known = inst.zones_by_id
    # A new zone: open until ``at``, with its checkpoints.
    fresh = [
        Zone(id=e.zone, name=e.name, policy="open", polygon=e.polygon or [[]])
        for e in changed.values()
        if e.zone not in known
    ]
    end = 3 * inst.horizon
    inst = inst.model_copy(
        update={
            "zones": [*inst.zones, *fresh],
            # (A zone whose area changes: its gates on the new boundary, as a new zone's.)
            "checkpoints": [
                *inst.checkpoints,
                *(c for e in changed.values() for c in e.checkpoints),
            ],
            "places": [*inst.places, *(x for e in changed.values() for x in e.places)],
            # Opened for the zone at ``at``: no handover there before.
            "relay_stations": [
                *inst.relay_stations,
                *(
                    st.model_copy(update={"hours": _without(list(st.hours), 0.0, at, end)})
                    for e in changed.values()
                    for st in e.relay_stations
                ),
            ],
            "driver_pools": [
                *inst.driver_pools,
                *(p for e in changed.values() for p in e.driver_pools),
            ],
        }
    )
    if not rest:
        zones = [
            z.model_copy(
                update={
                    "changes": [
                        *z.changes,
                        ZoneChange(
                            at=at, policy=e.policy, polygon=e.polygon if z.id in known else None
                        ),
                    ]
                }
            )
            if (e := changed.get(z.id)) is not None
            else z
            for z in inst.zones
        ]
        trucks = [
            t.model_copy(
                update={
                    "permits": [
                        *t.permits,
                        *(
                            z
                            for z, e in changed.items()
                            if t.id in e.permits and z not in t.permits
                        ),
                    ]
                }
            )
            if t.id in given
            else t
            for t in inst.trucks
        ]
        return inst.model_copy(update={"zones": zones, "trucks": trucks})
    policy = {
        z.id: changed[z.id].policy if z.id in changed else z.policy_at(at) for z in inst.zones
    }
    zones = [
        z.model_copy(
            update={
                "policy": policy[z.id],
                "polygon": e.polygon
                if (e := changed.get(z.id)) is not None and e.polygon is not None
                else z.area_at(at),
                "changes": [],
            }
        )
        for z in inst.zones
    ]
    # A zone whose area changes: its old gates off the new boundary are no gates.
    off = {
        c
        for e in changed.values()
        if e.polygon is not None and e.zone in known
        for c in _gates_off(inst, e)
    }
    trucks = []
    for t in inst.trucks:
        permits = [z for z in t.permits if policy.get(z) == "permit"]
        permits += [z for z, e in changed.items() if t.id in e.permits and z not in permits]
        trucks.append(t.model_copy(update={"permits": permits}))
    closed = {z for z, p in policy.items() if p == "closed_loop"}
    return inst.model_copy(
        update={
            "zones": zones,
            "trucks": trucks,
            "checkpoints": [
                c for c in inst.checkpoints if policy.get(c.zone) != "open" and c.id not in off
            ],
            "relay_stations": [
                st for st in inst.relay_stations if st.zone is None or st.zone in closed
            ],
            "driver_pools": [p for p in inst.driver_pools if p.kind != "loop" or p.zone in closed],
        }
    )


def _orders(inst: Instance, evs: list[Event]) -> list[Shipment]:
    """The day's orders after cancellations and additions."""
    gone = {s for e in evs if isinstance(e, ShipmentsCancelled) for s in e.shipments}
    added = [sh for e in evs if isinstance(e, ShipmentsAdded) for sh in e.shipments]
    return [s for s in inst.shipments if s.id not in gone] + added


def _broken(evs: list[Event]) -> set[str]:
    return {e.truck for e in evs if isinstance(e, TruckBroken)}


def _day_instance(
    inst: Instance, plan: Plan, state: State, evs: list[Event], at: float
) -> Instance:
    """The whole day as it now is: what the joined plan is validated against."""
    day = _zoned(_closed_objects(inst, evs, at, _frozen_uses(plan, state)), evs, at, rest=False)
    depots = list(day.depots)
    trucks = []
    for t in day.trucks:
        ts = state.trucks.get(t.id)
        if t.id in _broken(evs) and ts is not None and ts.started and not ts.done:
            # It ends its day where it broke down.
            depots.append(Depot(id=f"broken-{t.id}", place=ts.place))
            t = t.model_copy(update={"end_depot": f"broken-{t.id}"})
        trucks.append(t)
    data = day.model_copy(
        update={"shipments": _orders(inst, evs), "depots": depots, "trucks": trucks}
    ).model_dump(by_alias=True)
    try:
        return Instance.model_validate(data)
    except InputError as exc:
        # A new zone that overlaps another, a checkpoint off its boundary...: named in
        # the day the events make.
        raise InputError(f"the day after the events, {exc.where}", exc.message) from None


def _in_progress(
    plan: Plan, state: State, evs: list[Event], at: float, inst: Instance
) -> list[str]:
    """Frozen work after ``at`` that uses a closed object, in words."""
    out = []
    end = 3 * inst.horizon
    delay = {c.id: c.delay for c in inst.checkpoints}
    closed = []
    for e in evs:
        if isinstance(e, CheckpointClosed):
            closed.append(("checkpoint", e.checkpoint, *_window(e, at, end)))
        elif isinstance(e, StationClosed):
            closed.append(("station", e.station, *_window(e, at, end)))
    roads = _roads(evs, at, end)
    for r in plan.routes:
        ts = state.trucks.get(r.truck)
        if ts is None:
            continue
        for leg in ts.past_legs(r):
            if leg.depart >= at - TOL and _on_closed_road(leg, roads):
                out.append(
                    f"{r.truck} drives a closed road at {leg.depart:g} (on its way at {at:g})"
                )
        for what, oid, lo, hi in closed:
            for leg in ts.past_legs(r):
                for c in leg.crossings:
                    if (
                        what == "checkpoint"
                        and c.checkpoint == oid
                        and c.depart > lo
                        and c.depart - delay.get(oid, 0.0) < hi - TOL
                        and c.depart - delay.get(oid, 0.0) >= at - TOL
                    ):
                        out.append(
                            f"{r.truck} crosses {oid} at {c.arrive:g} (on its way at {at:g})"
                        )
            for s in r.stops[1 : ts.cut + 1]:
                if what == "station" and s.station == oid and s.depart > lo and s.start < hi:
                    out.append(f"{r.truck} {s.kind} at {oid} at {s.start:g} (on its way at {at:g})")
    return out


def _overruns(inst: Instance, new: Plan, state: State) -> list[str]:
    """Drivers the re-planned day takes over their duty, in words: frozen work a
    closure made longer with no way found within the duty (the validator's R8 and R12
    name them too)."""
    from relayroute.itineraries.problem import truck_duty

    out = []
    for r in new.routes:
        _, _, duty = truck_duty(inst, inst.trucks_by_id[r.truck])
        worked = r.stops[-1].arrive - r.stops[0].depart
        if worked > duty + TOL and r.truck in state.trucks:
            out.append(f"{r.truck}'s driver works {worked - duty:.1f} min over duty")
    pools = inst.pools_by_id
    for d in new.loop_drivers:
        pool = pools.get(d.pool)
        if pool is not None and d.end - d.start > pool.max_duty + TOL:
            out.append(f"{d.driver} works {d.end - d.start - pool.max_duty:.1f} min over duty")
    return out


def _waits(plan: Plan, running: Plan) -> list[str]:
    """The waits at closed checkpoints :func:`_waiting` made, in words."""
    out = []
    for a, b in zip(plan.routes, running.routes, strict=True):
        for x, y in zip(a.legs, b.legs, strict=True):
            for c, d in zip(x.crossings, y.crossings, strict=True):
                if d.depart - d.arrive > c.depart - c.arrive + TOL:
                    out.append(
                        f"{a.truck} waits at {c.checkpoint} from {d.arrive:g} to "
                        f"{d.depart:g} (closed when it gets there)"
                    )
    return out


def _rounds(plan: Plan, detoured: Plan, state: State) -> list[str]:
    """The turns back and ways round :func:`_detoured` made in the frozen past, in words."""
    out = []
    for a, b in zip(plan.routes, detoured.routes, strict=True):
        ts = state.trucks.get(a.truck)
        frozen = len(ts.past_legs(b)) if ts is not None else 0
        for x, y in zip(a.legs[:frozen], b.legs[:frozen], strict=True):
            if x.path == y.path:
                continue
            cut_short = len(b.stops) < len(a.stops) and len(b.legs) == frozen
            gate = next((c.checkpoint for c in x.crossings if c not in y.crossings), "a gate")
            if x.depart < state.at and cut_short and b.stops[-1].kind == "end":
                out.append(
                    f"{a.truck} turns back at {gate} (closed when it gets there) and goes home "
                    f"to {b.stops[-1].place} by {y.arrive:g}: going round would overrun its "
                    "driver's duty"
                )
            elif x.depart < state.at and cut_short:
                out.append(
                    f"{a.truck} turns back at {gate} (closed when it gets there) and is taken "
                    f"back to {b.stops[-1].station}, to its own driver, at {y.arrive:g}"
                )
            elif x.depart < state.at:
                out.append(
                    f"{a.truck} turns back at {gate} (closed when it gets there) and goes "
                    f"round ({y.arrive - x.arrive:+.1f} min)"
                )
            else:
                out.append(
                    f"{a.truck} goes round a closure from {x.depart:g} "
                    f"({y.arrive - x.arrive:+.1f} min)"
                )
    return out


def _shared_left(
    inst: Instance,
    plan: Plan,
    state: State,
    at: float,
    reserved: dict[str, list[float]] | None = None,
) -> Instance:
    """``inst`` with the bays the frozen work still holds after ``at`` taken off: a
    station's bays less the most frozen handovers at once (or, with none left, the
    station shut while each lasts). Checkpoint throughput held by frozen work is booked
    in the timing (:func:`_held_inspections`) where the frozen inspections keep a lane's
    gap; where they do not (a way round waited its turn by the hour), the checkpoint's
    throughput is cut instead (:func:`_throughput_left`)."""
    held: dict[str, list[tuple[float, float]]] = {}
    for r in plan.routes:
        ts = state.trucks.get(r.truck)
        if ts is None:
            continue
        for s in r.stops[1 : ts.cut + 1]:
            if s.kind == "handover" and s.station is not None and s.depart > at:
                held.setdefault(s.station, []).append((s.start, s.depart))
    end = 3 * inst.horizon
    stations = []
    for st in inst.relay_stations:
        most = _most_at_once(held.get(st.id, []))
        if most and st.bays - most >= 1:
            st = st.model_copy(update={"bays": st.bays - most})
        elif most:
            # No bay to spare: shut while each frozen handover lasts.
            hours = list(st.hours)
            for a, b in held[st.id]:
                hours = _without(hours, a, b, end)
            st = st.model_copy(update={"hours": hours or [(0.0, 0.0)]})
        stations.append(st)
    held_at = _held_inspections(inst, plan, state, at, reserved)
    checkpoints = [
        _throughput_left(cp, held_at[cp.id], at, inst.horizon, end)
        if cp.id in held_at and not _lane_spaced(cp, held_at[cp.id])
        else cp
        for cp in inst.checkpoints
    ]
    return inst.model_copy(update={"relay_stations": stations, "checkpoints": checkpoints})


def _lane_spaced(cp: Checkpoint, times: list[float]) -> bool:
    """Whether inspections at ``times`` keep the timing's lane gap of ``cp`` from each
    other: booked as lanes, new lane-spaced ones round them then keep every hour within
    its throughput; closer ones (a way round waited its turn by the hour) need not, and
    measured on the Liling closure they made 31 in an hour for 30."""
    if cp.throughput_per_hour is None:
        return True
    gap = lane_gap(cp.throughput_per_hour)
    return all(b - a >= gap - TOL for a, b in itertools.pairwise(sorted(times)))


def _throughput_left(
    cp: Checkpoint, times: list[float], at: float, horizon: float, end: float
) -> Checkpoint:
    """A checkpoint shut from ``at`` until a time ``s``, then its throughput less the most
    frozen inspections (``times``) within an hour from ``s`` on: the ``s`` that gives up
    the fewest inspections over the rest of the day."""
    limit = cp.throughput_per_hour or 0

    def most_from(s: float) -> int:
        later = [u for u in times if u > s - 60]
        return max((sum(1 for v in later if u <= v < u + 60) for u in later), default=0)

    best: tuple[float, float, int] | None = None
    for s in sorted({at, *(u + 60 for u in times)}):
        most = most_from(s)
        if limit - most < 1 and s < times[-1] + 60:
            continue
        lost = limit * (s - at) / 60 + most * max(0.0, horizon - s) / 60
        if best is None or lost < best[0]:
            best = (lost, s, most)
    assert best is not None  # s = an hour after the last frozen one always fits
    _, s, most = best
    hours = _without(list(cp.hours), 0.0, s, end) if s > at else list(cp.hours)
    return cp.model_copy(
        update={
            "hours": hours,
            "closed": cp.closed or (s > at and not hours),
            "throughput_per_hour": max(1, limit - most),
        }
    )


def _held_inspections(
    inst: Instance,
    plan: Plan,
    state: State,
    at: float,
    reserved: dict[str, list[float]] | None = None,
) -> dict[str, list[float]]:
    """Checkpoint -> the inspection start times frozen work (and the trucks sent home,
    ``reserved``) holds from an hour before ``at`` on, at checkpoints with a throughput:
    booked in the timing of the remaining part before its own. Measured on the Liling
    closure: shutting the other gates until the frozen inspections left room (as before)
    made the timing drop 39 of 79 routed shipments."""
    limited = {c.id: c.delay for c in inst.checkpoints if c.throughput_per_hour is not None}
    seen: dict[str, list[float]] = {}
    for c in _frozen_crossings(plan, state):
        t = c.depart - limited.get(c.checkpoint, 0.0)
        if c.checkpoint in limited and t >= at - 60:
            seen.setdefault(c.checkpoint, []).append(t)
    for cid, times in (reserved or {}).items():
        if cid in limited:
            seen.setdefault(cid, []).extend(t for t in times if t >= at - 60)
    return {cid: sorted(times) for cid, times in seen.items()}


def _most_at_once(spans: list[tuple[float, float]]) -> int:
    """Most of ``spans`` open at one time."""
    marks = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    now = most = 0
    for _, d in marks:
        now += d
        most = max(most, now)
    return most


def _rest_instance(
    inst: Instance,
    plan: Plan,
    state: State,
    evs: list[Event],
    at: float,
    fresh_only: bool,
    holding: frozenset[str] | set[str] = frozenset(),
    reserved: dict[str, list[float]] | None = None,
    waiting: dict[str, _AtStation] | None = None,
) -> tuple[Instance, dict[str, str], dict[str, str]]:
    """The remaining part as an instance of its own; shipment -> the truck it is aboard;
    and shipment -> the truck that **holds** it: goods aboard bound into a zone the
    events close to their truck, or aboard a truck of ``holding`` (taken back by its
    loop driver from a gate that closed, with no way left), stay on it to the end of its
    day (unserved, ``held_aboard``), taking their room."""
    base = _shared_left(
        _zoned(_closed_objects(inst, evs, at, None), evs, at, True), plan, state, at, reserved
    )
    # A zone closed with relay stations and loop drivers for it: goods aboard bound into
    # it are handed over there, not held.
    served_in = {
        st.zone
        for st in base.relay_stations
        if st.driver_swap
        and any(p.kind == "loop" and p.zone == st.zone and p.count for p in base.driver_pools)
    }
    barred = {
        e.zone: e
        for e in evs
        if isinstance(e, ZonePolicyChanged)
        and e.policy != "open"
        and not (e.policy == "closed_loop" and e.zone in served_in)
    }
    zone_at = restricted_places(base) if barred else {}
    held: dict[str, str] = {}
    places = list(base.places)
    depots = list(base.depots)
    by_place = base.places_by_id
    trucks: list[Truck] = []
    broken = _broken(evs)
    outside_gone: dict[str, int] = {}
    pins: dict[str, str] = {}
    aboard_ships: list[Shipment] = []
    ships = inst.shipments_by_id
    for t in base.trucks:
        ts = state.trucks.get(t.id)
        lo, hi = t.available
        if ts is None or not ts.started:
            if t.id in broken or max(lo, at) > hi:
                continue
            trucks.append(t.model_copy(update={"available": (max(lo, at), hi)}))
            continue
        if t.driver_pool is not None:
            # Its driver is out already: one less in the pool for the fresh trucks,
            # whether the new part uses it or not (measured on fuquan-kaili at 12:00,
            # the plant pool one driver over).
            outside_gone[t.driver_pool] = outside_gone.get(t.driver_pool, 0) + 1
        if ts.done or t.id in broken:
            # Goods aboard a truck broken down, or sent home by a closure, stay with it
            # (moving them off is not planned).
            stays = t.id in broken or t.id in holding
            held.update(dict.fromkeys(ts.aboard if stays else (), t.id))
            continue
        x = by_place[ts.place]
        start = Place(
            id=f"{x.id}@{t.id}", name=x.name, kind="replan", lon=x.lon, lat=x.lat, node=x.node
        )
        places.append(start)
        depots.append(Depot(id=f"@{t.id}", place=start.id))
        capacity = dict(t.capacity)
        for sid in ts.aboard:
            e = barred.get(zone_at.get(ships[sid].destination, ""))
            if t.id in holding or (
                e is not None
                and (
                    e.policy == "closed_loop" or (e.zone not in t.permits and t.id not in e.permits)
                )
            ):
                held[sid] = t.id
                for dim, q in ships[sid].quantity.items():
                    if dim in capacity:
                        capacity[dim] = max(HELD_ROOM, capacity[dim] - q)
        if any(sid not in held for sid in ts.aboard):
            # Goods aboard: loaded at once where the truck is, and only there. Two
            # minutes: the routing model's whole minutes take the window in to
            # [ceil(free), floor(free + 2)], and the truck's start to its own spot is one
            # minute there (its 0.001 min rounded up); a one-minute window left no room
            # at a free time with a fraction, so no goods aboard were ever loaded there.
            here = start.model_copy(
                update={"id": f"{x.id}@{t.id}/aboard", "hours": [(ts.free, ts.free + 2.0)]}
            )
            places.append(here)
            for sid in ts.aboard:
                if sid in held:
                    continue
                sh = ships[sid]
                aboard_ships.append(
                    sh.model_copy(
                        update={
                            "origin": here.id,
                            # Its place's hours hold it to the truck's time; a ready
                            # past due would be refused.
                            "ready": min(ts.free, sh.due),
                            "pickup_minutes": 0.0,
                            "deadline": None,
                            # Goods on a truck come first: left out, they would have
                            # to be planned again (measured: the search left some).
                            "priority": min(MAX_PRIORITY, PINNED_PRIORITY * sh.priority),
                        }
                    )
                )
                pins[sid] = t.id
        if t.driver_pool is not None:
            hi = min(hi, base.pools_by_id[t.driver_pool].shift[1])
        trucks.append(
            t.model_copy(
                update={
                    "depot": f"@{t.id}",
                    "end_depot": t.end_depot or t.depot,
                    # Its driver's day began in the past: it ends by the duty left
                    # and its pool's shift, and it counts in no pool of the new part.
                    "available": (ts.free, _latest(hi, ts)),
                    "capacity": capacity,
                    "driver_pool": None,
                }
            )
        )
    if not trucks:
        # Every truck gone or broken down: the part is still an instance (it has a
        # truck), one that cannot drive (its day over at ``at``), and all is left out.
        t = base.trucks[0]
        trucks.append(t.model_copy(update={"available": (at, at), "driver_pool": None}))
    fewer = _fewer_by_pool(inst, evs)
    pools = []
    for p in base.driver_pools:
        if p.kind == "outside":
            pools.append(
                p.model_copy(update={"count": max(0, p.count - outside_gone.get(p.id, 0))})
            )
        else:
            count = p.count - fewer.get(p.id, 0)
            mine = {d: ls for d, ls in state.loop.items() if d.rsplit("/", 1)[0] == p.id}
            count = min(count, p.count - len(mine))
            pools.append(p.model_copy(update={"count": max(0, count)}))
            if fresh_only:
                continue
            # Each driver with frozen work is a pool of one, from when that work is over
            # to the end of its duty: measured on the Yiwu port closure, the remaining
            # part's loop drivers could not all be named real drivers when the whole
            # pool was offered from ``at`` on (and the second solve, fresh drivers only,
            # had no time left).
            sick = max(0, fewer.get(p.id, 0) - (p.count - len(mine)))
            spans = sorted(
                (
                    (
                        max(at, ls.busy_until, p.shift[0]),
                        min(p.shift[1], ls.first_start + p.max_duty),
                        d,
                    )
                    for d, ls in mine.items()
                ),
                key=lambda x: x[0] - x[1],
            )
            for lo, hi, d in spans[: len(spans) - sick]:
                if hi - lo >= MIN_DUTY_LEFT:
                    pools.append(
                        p.model_copy(
                            update={
                                "id": f"{p.id}{ONE}{d.rsplit('/', 1)[1]}",
                                "count": 1,
                                "shift": (lo, hi),
                                "max_duty": hi - lo,
                                "drivers": [],
                            }
                        )
                    )
    # A station shut for all the remaining part is no home station to any truck.
    shut = {
        e.station
        for e in evs
        if isinstance(e, StationClosed)
        and _window(e, at, 3 * inst.horizon)[0] <= at
        and _window(e, at, 3 * inst.horizon)[1] >= 3 * inst.horizon
    }
    pools = [p for p in pools if p.station not in shut]
    # Goods waiting at a transload or rail station: collected there, as an order of
    # their own from there (a rail station's goods have only road ways on from it).
    for sid, w in (waiting or {}).items():
        sh = ships[sid]
        st = base.relay_stations_by_id.get(w.station)
        # The loading starts and ends in the station's hours (a closure is no gap in it).
        hours = [
            (a, b - sh.pickup_minutes)
            for a, b in (st.hours if st is not None else [])
            if b - sh.pickup_minutes >= a
        ]
        if (st is not None and st.hours and not hours) or not _collectable(w, hours):
            continue
        x = by_place[w.place]
        pid = f"{w.place}@{w.station}/{sid}"
        places.append(
            Place(
                id=pid,
                name=x.name,
                kind="replan",
                lon=x.lon,
                lat=x.lat,
                node=x.node,
                hours=hours or list(x.hours),
            )
        )
        aboard_ships.append(
            sh.model_copy(
                update={
                    "origin": pid,
                    "ready": w.ready,
                    # Late already: its delay is counted by the joined plan, from its due.
                    "due": max(sh.due, w.ready),
                    "deadline": None,
                    "priority": min(MAX_PRIORITY, PINNED_PRIORITY * sh.priority),
                }
            )
        )
    picked = state.picked
    orders = [s for s in _orders(inst, evs) if s.id not in picked]
    # A departure carrying goods of the frozen past takes no more in the remaining part
    # (a service has one room for all its departures).
    taken = {(b.service, b.departure) for b in plan.rail_bookings if set(b.shipments) & picked}
    services = [
        svc.model_copy(
            update={"departures": [d for d in svc.departures if (svc.id, d) not in taken]}
        )
        for svc in base.rail_services
    ]
    rest = base.model_copy(
        update={
            "rail_services": [svc for svc in services if svc.departures],
            "places": places,
            "depots": depots,
            "trucks": trucks,
            "driver_pools": pools,
            "relay_stations": [st for st in base.relay_stations if st.id not in shut],
            "shipments": orders + aboard_ships,
        }
    )
    return Instance.model_validate(rest.model_dump(by_alias=True)), pins, held


@dataclass(frozen=True)
class _AtStation:
    """Goods part way on a rail or transload way at ``at``: unloaded in the frozen past
    at ``station`` (a rail station: the train's arrival one), to be collected at
    ``place`` from ``ready``; ``hours`` the station's opening hours then (empty: always)."""

    station: str
    place: str
    ready: float
    hours: tuple[tuple[float, float], ...] = ()


def _at_stations(inst: Instance, plan: Plan, state: State) -> dict[str, _AtStation]:
    """Shipment -> where it waits: goods picked up and unloaded at a transload or rail
    station in the frozen past, and not yet loaded again (the train it was booked on
    runs as booked)."""
    aboard = state.aboard()
    relay = inst.relay_stations_by_id
    rail = {r.id: r for r in inst.rail_stations}
    services = {s.id: s for s in inst.rail_services}
    rides = {x: b for b in plan.rail_bookings for x in b.shipments}
    out: dict[str, _AtStation] = {}
    for r in plan.routes:
        ts = state.trucks.get(r.truck)
        if ts is None:
            continue
        for s in r.stops[1 : ts.cut + 1]:
            if s.kind != "unload" or not s.shipments or s.station is None:
                continue
            sid = s.shipments[0]
            if sid in state.delivered or sid in aboard or sid not in state.picked:
                continue
            if s.station in relay:
                st = relay[s.station]
                hours = tuple(st.hours)
                out[sid] = _AtStation(st.id, st.place, s.depart + st.transload_minutes, hours)
            elif sid in rides:
                b = rides[sid]
                to = rail[services[b.service].destination]
                out[sid] = _AtStation(to.id, to.place, b.arrival + to.handling_minutes)
    return out


def _collectable(w: _AtStation, hours: list[tuple[float, float]]) -> bool:
    """Whether goods waiting at a station can be collected there (its ``hours`` open
    after they are ready; empty: always open)."""
    return not hours or any(b > w.ready for a, b in hours)


def _latest(hi: float, ts: TruckState) -> float:
    """When a cut truck's day must end: its hours, and its driver's duty left; at least
    the whole minute after it is free (the routing model's windows are whole minutes)."""
    end = hi if ts.duty_left is None else min(hi, ts.free + ts.duty_left)
    return max(end, float(math.ceil(ts.free)))


def _solve_rest(
    loaded: LoadedInstance,
    day: Instance,
    plan: Plan,
    state: State,
    evs: list[Event],
    at: float,
    config: SolverConfig,
    limit: float,
    tick: float,
    stability: Stability,
    holding: frozenset[str] | set[str] = frozenset(),
    reserved: dict[str, list[float]] | None = None,
    pending: dict[str, list[float]] | None = None,
) -> list[tuple[str, Plan, dict[str, Any]]]:
    """The remaining part solved two ways, each joined to the frozen past: ``warm``, the
    routing search from the old plan's routes, and ``free``, the whole optimiser (or the
    dispatcher) afresh, both with the stability costs in their routing objective; each
    with its stability figures."""
    from relayroute.solve.pipeline import solve

    out: list[tuple[str, Plan, dict[str, Any]]] = []
    waiting = _at_stations(loaded.instance, plan, state)
    for fresh_only in (False, True):
        rest, pins, held = _rest_instance(
            loaded.instance, plan, state, evs, at, fresh_only, holding, reserved, waiting
        )
        # Goods aboard may need another relay station than a truck's home one: with
        # some, the search chooses among each truck's three nearest.
        choices = max(config.station_choices, 3) if pins else config.station_choices
        try:
            net = _closed_network(rest, loaded.base, evs, at)
            prob = build_problem(rest, loaded.base, net=net, station_choices=choices)
        except InputError as exc:
            # A zone drawn anew whose gates have no road inside...: named in the day
            # from ``at`` the events make.
            raise InputError(
                f"the day from {at:g} after the events, {exc.where}", exc.message
            ) from None
        cps = rest.checkpoints_by_id
        held_at = _held_inspections(rest, plan, state, at, reserved)
        prob = dataclasses.replace(
            prob,
            held_inspections={
                c: times for c, times in held_at.items() if _lane_spaced(cps[c], times)
            },
        )
        _pin(prob, state, pins)
        stuck = {pins[sid] for sid in pins if not prob.eligible.get(sid)}
        if stuck:
            raise _Stuck(stuck)
        text = rest.model_dump_json(by_alias=True)
        rest_loaded = LoadedInstance(rest, loaded.base, hashlib.sha256(text.encode()).hexdigest())
        left = limit - (time.perf_counter() - tick)
        keep = _keep_terms(prob, plan, state, stability)
        # From the old routes where the model is small enough to read them in: on
        # liling-day (130 trucks x 390 legs) reading them took 18 s and failed.
        small = len(prob.vehicles) * len(prob.ways) <= WARM_ROUTES_SIZE
        initial = _old_routes(prob, plan, state, waiting) if WARM_ROUTES and small else None
        warm = _warm(prob, config, initial, max(1.0, left * WARM_SHARE), rest_loaded, keep)
        left = limit * (1 - TAIL_SHARE) - (time.perf_counter() - tick)
        free = solve(rest_loaded, config, time_limit=max(1.0, left), problem=prob, keep=keep)
        lost: set[str] = set()
        # Time for another round? Each is 8-20 s on liling-day whatever is left.
        short = limit - (time.perf_counter() - tick) < SHORT_SHARE * limit
        for name, sub in (("warm", warm), ("free", free)):
            if sub is None:
                continue
            served = {o.shipment for o in sub.shipments}
            dropped = {x: pins[x] for x in pins if x not in served}
            if dropped and not short:
                lost |= set(dropped.values())  # goods would stay aboard: not a plan
                continue
            names = _match_loop_drivers(day, sub, state, evs)
            if names is None:
                continue  # its loop drivers cannot all be real ones: fresh drivers only
            joined = _join(
                loaded.instance,
                day,
                plan,
                state,
                sub,
                prob,
                names,
                evs,
                config,
                at,
                {**held, **dropped},
                pending,
                waiting,
            )
            if dropped and _overfull(loaded.instance, joined, set(dropped.values())):
                lost |= set(dropped.values())
                continue
            figures = _figures(plan, joined, state)
            # No time to plan them again: the goods the part leaves out stay aboard
            # (measured on liling-day from the old routes: the re-timing dropped one
            # consignment aboard, and the round again took 8-10 s past the limit).
            figures["held"] = sorted(set(dropped.values()))
            out.append((name, joined, figures))
        if out:
            return out
        if lost:
            raise _Stuck(lost)
    raise AssertionError("fresh loop drivers always match")  # pragma: no cover


def _overfull(inst: Instance, plan: Plan, trucks: set[str]) -> bool:
    """Whether a route of ``trucks`` goes over its truck's capacity at a stop."""
    cap = inst.trucks_by_id
    return any(
        q > cap[r.truck].capacity.get(d, 0.0) + TOL
        for r in plan.routes
        if r.truck in trucks
        for s in r.stops
        for d, q in s.load.items()
    )


def _old_routes(
    prob: Problem, plan: Plan, state: State, waiting: dict[str, _AtStation]
) -> dict[Any, list[Any]]:
    """The old plan's remaining routes as routing node keys: each truck's goods aboard
    first, then its pickups and deliveries after its cut (a collection of goods
    ``waiting`` at a station as a pickup), of the shipments it may still carry."""
    index: dict[str, list[int]] = {}
    for i, veh in enumerate(prob.vehicles):
        index.setdefault(veh.truck, []).append(i)
    routes: dict[Any, list[Any]] = {}
    for r in plan.routes:
        ts = state.trucks.get(r.truck)
        if ts is None or ts.done or r.truck not in index:
            continue
        # The truck's vehicle with the relay stations its old day still uses.
        used = {s.station for s in r.stops[ts.cut + 1 :] if s.kind == "handover"}
        v = max(
            index[r.truck],
            key=lambda i: sum(st in used for _, st in prob.vehicles[i].stations),
        )
        keys: list[tuple[str, str]] = [("p", s) for s in ts.aboard]
        for s in r.stops[ts.cut + 1 :]:
            if not s.shipments:
                continue
            sid = s.shipments[0]
            if s.kind == "load" and sid in waiting:
                if v in prob.eligible.get(sid, []):
                    keys.append(("p", sid))
                continue
            if s.kind not in ("pickup", "delivery"):
                continue
            if v not in prob.eligible.get(sid, []):
                continue
            if s.kind == "delivery" and ("p", sid) not in keys:
                continue
            keys.append(("p" if s.kind == "pickup" else "d", sid))
        keys = [k for k in keys if k[0] == "d" or ("d", k[1]) in keys]
        if keys:
            routes[v] = keys
    return routes


def _keep_terms(prob: Problem, plan: Plan, state: State, stability: Stability) -> Keep:
    """The stability prices as routing costs: a shipment's first pickup on a vehicle of
    another truck than its old one costs ``truck_change``, on a vehicle without its old
    relay stations ``station_change``; its pickup time away from the old one costs
    ``pickup_minute`` a minute. Goods aboard are pinned to their truck: no cost."""
    before = {o.shipment: o for o in plan.shipments}
    first: dict[str, Any] = {}
    for sid, ways in prob.ways.items():
        o = before.get(sid)
        if o is None or sid in state.picked:
            continue
        for way in ways:
            first[way.parts[0]] = o
    trucks = [veh.truck for veh in prob.vehicles]
    homes = [{st for _, st in veh.stations} for veh in prob.vehicles]

    def cost(v: int, key: tuple[str, ...]) -> float:
        if key[0] != "p" or key[1] not in first:
            return 0.0
        o = first[key[1]]
        c = stability.truck_change if trucks[v] != o.truck else 0.0
        if o.stations and not set(o.stations) <= homes[v]:
            c += stability.station_change
        return c

    times: dict[tuple[str, ...], tuple[float, float]] = {
        ("p", leg): (o.pickup, stability.pickup_minute) for leg, o in first.items()
    }
    return Keep(node_cost=cost, times=times)


def _warm(
    prob: Problem,
    config: SolverConfig,
    initial: dict[Any, list[Any]] | None,
    seconds: float,
    rest: LoadedInstance,
    keep: Keep | None = None,
) -> Plan | None:
    """The routing search started from ``initial``, its routes timed (dispatcher, then
    CP-SAT where it helps) as the optimiser times its own; None if it found no routes."""
    from relayroute.itineraries import delay_lower_bound
    from relayroute.itineraries.ways import fix_transloads
    from relayroute.solve.objective import score
    from relayroute.solve.pipeline import _fill
    from relayroute.solve.routing import solve_routing
    from relayroute.solve.timing import complete_ways, improve, time_routes
    from relayroute.solve.to_plan import build_plan

    tick = time.perf_counter()
    if config.engine != "routing":
        return None
    w = weights(rest.instance, config)
    # No old routes to read in (a large day): the first-solution heuristic; measured on
    # the Liling closure, reading the dispatcher's routes in took 15 s and failed.
    left = seconds - (time.perf_counter() - tick)
    if initial and config.recreate_share > 0:
        # What the old routes leave out put in first where it fits (the insertion
        # operators alone): the full search rarely reaches left-out shipments (issue 15).
        put = solve_routing(
            prob,
            config,
            time_limit=max(0.2, left * 0.75 * config.recreate_share),
            initial=initial,
            keep=keep,
            phase="recreate",
        )
        if put.sequences:
            initial = put.routes
        left = seconds - (time.perf_counter() - tick)
    result = solve_routing(
        prob, config, time_limit=max(0.5, left * 0.75), initial=initial or None, keep=keep
    )
    if not result.sequences:
        return None
    fixed = fix_transloads(prob, result.transload_starts)
    trips, dropped = time_routes(fixed, result.sequences, result.start_times, keep=keep)
    trips, dropped = complete_ways(fixed, trips, dropped)
    # What the timing dropped, put in by road at the end of some truck's day where it
    # still fits, as the optimiser does last: the routing model sees no checkpoint hours
    # or throughput (measured on the Liling closure from the old routes: 76 dropped, 23-26
    # after this; 416-417 served, 474-477 after).
    trips, dropped = _fill(fixed, trips, dropped, tick + seconds * FILL_SHARE)
    left = seconds - (time.perf_counter() - tick)
    if trips and w["delay"] > 0 and config.schedule_deterministic_time > 0 and left > 0.1:
        out = improve(
            fixed,
            trips,
            w,
            left,
            deterministic_time=config.schedule_deterministic_time,
            workers=config.schedule_workers,
            seed=config.seed,
        )
        if out.objective is not None and score(fixed, out.timed, w) <= score(fixed, trips, w):
            trips = out.timed
    block: dict[str, object] = config.model_dump()
    block.update(status=result.status, solutions=result.solutions, warm_start="old plan")
    return build_plan(
        fixed,
        trips,
        dropped,
        block,
        w,
        rest.sha256,
        delay_lower_bound(fixed),
        time.perf_counter() - tick,
    )


def _pin(prob: Problem, state: State, pins: dict[str, str]) -> None:
    """Goods aboard go only on their truck; each truck keeps what is left of its duty."""
    for sid, truck in pins.items():
        if sid in prob.eligible:
            prob.eligible[sid] = [v for v in prob.eligible[sid] if prob.vehicles[v].truck == truck]
    for t, ts in state.trucks.items():
        if ts.started and ts.duty_left is not None and t in prob.duty:
            lo, hi, _ = prob.duty[t]
            prob.duty[t] = (lo, hi, max(0.0, ts.duty_left))
        if ts.started and not ts.done and t in prob.duty:
            # The drive home must fit in whole minutes (the routing model's): a truck
            # with just the time to get home, rounded up, made the whole model
            # infeasible (status "fail" at once on the Yiwu port closure at noon).
            lo, hi, duty = prob.duty[t]
            tk = prob.inst.trucks_by_id[t]
            a, b = prob.depot_place(tk), prob.depot_place(tk, True)
            if not prob.table(t).reachable(a, b):
                # A road closure can cut a truck off from its end depot.
                raise InputError(
                    f"truck {t}",
                    f"has no way left from {ts.place} to its end depot {tk.end_depot or tk.depot} "
                    "with what the events close",
                )
            home = prob.table(t).route(a, b)
            need = math.ceil(home.minutes - 1e-9) + 1
            prob.duty[t] = (lo, max(hi, math.ceil(lo) + need), max(duty, need))


def _duties_of(routes: list[TruckRoute]) -> dict[str, list[Excursion]]:
    """Loop driver -> its excursions, read off the routes' handover stops."""
    out: dict[str, list[Excursion]] = {}
    for r in routes:
        for i, s in enumerate(r.stops):
            came = r.legs[i - 1].driver if i else r.driver
            if s.kind != "handover" or s.driver == r.driver or s.driver == came:
                continue
            j = next(
                (j for j in range(i + 1, len(r.stops)) if r.stops[j].driver != s.driver),
                len(r.stops) - 1,
            )
            places = [x.place for x in r.stops[i + 1 : j] if x.kind in ("pickup", "delivery")]
            out.setdefault(s.driver, []).append(
                Excursion(truck=r.truck, start=s.start, end=r.stops[j].depart, places=places)
            )
    return out


def _match_loop_drivers(
    inst: Instance, sub: Plan, state: State, evs: list[Event]
) -> dict[str, str] | None:
    """The real driver each loop driver of the remaining part is: free of frozen work by
    the duty's start, with room left in its duty, not fallen out; None if not all match."""
    pools = inst.pools_by_id
    out_count = _fewer_by_pool(inst, evs)
    graph = nx.Graph()
    tops = []
    for d in sub.loop_drivers:
        base, one, number = d.pool.partition(ONE)
        pool = pools[base]
        top = ("new", d.driver)
        tops.append(top)
        graph.add_node(top)
        # Who falls out: the drivers with no frozen work, highest numbers first, then
        # those at work at the cut (as :func:`_rest_instance` counts them).
        real = [f"{pool.id}/{k}" for k in range(1, pool.count + 1)]
        busy = [x for x in real if x in state.loop]
        idle = [x for x in reversed(real) if x not in busy]
        sick = set((idle + busy)[: out_count.get(pool.id, 0)])
        if one:  # a pool of one: that driver
            real = [f"{pool.id}/{number}"]
        for x in real:
            if x in sick:
                continue
            past = state.loop.get(x)
            if past is None or (
                past.busy_until <= d.start + TOL
                and d.end - min(past.first_start, d.start) <= pool.max_duty + TOL
            ):
                graph.add_edge(top, ("real", x))
    if not tops:
        return {}
    matching = nx.bipartite.hopcroft_karp_matching(graph, top_nodes=tops)
    names = {}
    for top in tops:
        if top not in matching:
            return None
        names[top[1]] = matching[top][1]
    return names


def _join(
    inst: Instance,
    day: Instance,
    plan: Plan,
    state: State,
    sub: Plan,
    prob: Problem,
    names: dict[str, str],
    evs: list[Event],
    config: SolverConfig,
    at: float,
    held: dict[str, str] | None = None,
    pending: dict[str, list[float]] | None = None,
    waiting: dict[str, _AtStation] | None = None,
) -> Plan:
    """The frozen past and the new routes as one plan, its lists derived again; where a
    truck sent home has to wait its turn at a checkpoint, the inspection it wanted goes
    into ``pending``; goods ``waiting`` at a station are loaded there."""
    real_place = {p.id: p.id.split("@")[0] for p in prob.inst.places if "@" in p.id}
    waiting = waiting or {}
    new_routes = {r.truck: _collected(_renamed(r, names, real_place), waiting) for r in sub.routes}
    old_routes = {r.truck: r for r in plan.routes}
    broken = _broken(evs)
    # Inspections of the frozen past and the new part, by checkpoint: a truck sent home
    # waits its turn at a checkpoint they fill (measured on liling-day at 14:00: five
    # trucks sent home all reached a gate as it opened, 33 inspections in its hour for 30).
    delay = {c.id: c.delay for c in inst.checkpoints}
    seen: dict[str, list[float]] = {}
    for c in _frozen_crossings(plan, state):
        seen.setdefault(c.checkpoint, []).append(c.depart - delay.get(c.checkpoint, 0.0))
    for r in sub.routes:
        for g in r.legs:
            for c in g.crossings:
                seen.setdefault(c.checkpoint, []).append(c.depart - delay.get(c.checkpoint, 0.0))
    routes: list[TruckRoute] = []
    for t in inst.trucks:
        ts = state.trucks.get(t.id)
        old, new = old_routes.get(t.id), new_routes.get(t.id)
        if old is None or ts is None or not ts.started:
            if new is not None:
                routes.append(new)
            continue
        if ts.done:
            # Frozen to its end (ways round and turns back in it: its km and duty anew).
            km, duty = (
                _r(sum(g.km for g in old.legs)),
                _r(old.stops[-1].arrive - old.stops[0].depart),
            )
            routes.append(old.model_copy(update={"km": km, "duty_minutes": duty}))
            continue
        stops = [s.model_copy() for s in old.stops[: ts.cut + 1]]
        legs = list(old.legs[: ts.cut])
        # Released: the road it is on, to be driven on from its end.
        road = old.legs[ts.cut] if ts.released else None
        if new is not None:
            tail_stops, tail_legs = _without_aboard(new, ts)
            mine = [sid for sid, truck in (held or {}).items() if truck == t.id]
            if mine:
                # Its held goods ride along to the end of its day.
                ships = inst.shipments_by_id
                extra: dict[str, float] = {}
                for sid in mine:
                    for dim, q in ships[sid].quantity.items():
                        extra[dim] = extra.get(dim, 0.0) + q
                tail_stops = [
                    x.model_copy(
                        update={
                            "load": {
                                d: _r(x.load.get(d, 0.0) + extra.get(d, 0.0))
                                for d in {*x.load, *extra}
                            }
                        }
                    )
                    for x in tail_stops
                ]
            if road is not None:
                tail_legs[0] = _merged(road, tail_legs[0])
            else:
                tail_legs[0] = _leaving(tail_legs[0], stops[-1].depart)
            stops += tail_stops
            legs += tail_legs
        elif t.id in broken:
            if road is not None:  # it stops where the road ends
                legs.append(road)
                stops.append(_end(stops[-1].model_copy(update={"place": ts.place}), ts.free))
            else:
                t_end = stops[-1].depart
                legs.append(_stay(prob, stops[-1].place, old.driver, t_end))
                stops.append(_end(stops[-1], t_end))
        else:
            leg = _home(prob, t.id, ts, old.driver, seen, pending)
            if road is not None:
                leg = _merged(road, leg)
            legs.append(leg)
            home = prob.depot_place(prob.inst.trucks_by_id[t.id], end=True)
            stops.append(_end(stops[-1].model_copy(update={"place": home}), leg.arrive))
        routes.append(
            old.model_copy(
                update={
                    "stops": stops,
                    "legs": legs,
                    "km": _r(sum(leg.km for leg in legs)),
                    "duty_minutes": _r(stops[-1].arrive - stops[0].depart),
                }
            )
        )
    return _derive(day, plan, state, sub, prob, routes, config, held or {}, waiting)


def _collected(r: TruckRoute, waiting: dict[str, _AtStation]) -> TruckRoute:
    """A new route whose pickups of goods waiting at a station are their loading there
    (the second part of their rail or transload way)."""
    stops = [
        s.model_copy(update={"kind": "load", "station": waiting[s.shipments[0]].station})
        if s.kind == "pickup" and s.shipments and s.shipments[0] in waiting
        else s
        for s in r.stops
    ]
    return r.model_copy(update={"stops": stops})


def _renamed(r: TruckRoute, names: dict[str, str], real_place: dict[str, str]) -> TruckRoute:
    """A route of the remaining part with real loop drivers' names and real places."""

    def who(d: str) -> str:
        return names.get(d, d)

    stops = [
        s.model_copy(update={"driver": who(s.driver), "place": real_place.get(s.place, s.place)})
        for s in r.stops
    ]
    legs = [
        leg.model_copy(
            update={"driver": who(leg.driver), "path": [real_place.get(n, n) for n in leg.path]}
        )
        for leg in r.legs
    ]
    return r.model_copy(update={"stops": stops, "legs": legs})


def _without_aboard(new: TruckRoute, ts: TruckState) -> tuple[list[Stop], list[Leg]]:
    """A new route's stops and legs after its start, without the loading of the goods
    already aboard (loaded in the past, where the truck stands); its loads already count
    them."""
    dropped = {
        i
        for i, s in enumerate(new.stops)
        if i and s.kind == "pickup" and s.shipments and s.shipments[0] in ts.aboard
    }
    kept = [i for i in range(len(new.stops)) if i not in dropped]
    stops: list[Stop] = []
    legs: list[Leg] = []
    for _a, b in itertools.pairwise(kept):
        # Between a and b only loadings where the truck stands: the leg into b is driven.
        leg = new.legs[b - 1]
        if stops and leg.depart > stops[-1].depart:
            leg = _leaving(leg, stops[-1].depart)
        legs.append(leg)
        stops.append(new.stops[b])
    return stops, legs


def _merged(road: Leg, on: Leg) -> Leg:
    """The road a released truck is on, and the leg it drives on from that road's end,
    as one leg (no stop between: it does nothing where the road ends)."""
    path = on.path[1:] if on.path and road.path and on.path[0] == road.path[-1] else on.path
    coords = on.coords[1:] if len(path) < len(on.path) else on.coords
    return road.model_copy(
        update={
            "path": [*road.path, *path],
            "coords": [*road.coords, *coords],
            "arrive": on.arrive,
            "km": _r(road.km + on.km),
            "minutes": _r(on.arrive - road.depart),
            "crossings": [*road.crossings, *on.crossings],
        }
    )


def _fewer_by_pool(inst: Instance, evs: list[Event]) -> dict[str, int]:
    """Loop drivers fallen out per pool: each ``LoopDriversFewer`` taken from its
    station's pools, the largest first."""
    fewer: dict[str, int] = {}
    for e in evs:
        if isinstance(e, LoopDriversFewer):
            left = e.fewer
            for p in sorted(_station_pools(inst, e.station), key=lambda p: -p.count):
                take = min(left, p.count - fewer.get(p.id, 0))
                fewer[p.id] = fewer.get(p.id, 0) + take
                left -= take
    return fewer


def _shifted(leg: Leg, minutes: float) -> Leg:
    """``leg`` driven ``minutes`` later, its gate crossings with it."""
    return leg.model_copy(
        update={
            "depart": _r(leg.depart + minutes),
            "arrive": _r(leg.arrive + minutes),
            "crossings": [
                c.model_copy(update={"arrive": c.arrive + minutes, "depart": c.depart + minutes})
                for c in leg.crossings
            ],
        }
    )


def _leaving(leg: Leg, t: float) -> Leg:
    """``leg`` leaving at ``t`` (no later than it did): the truck sets off when its stop
    ends and waits on the way (at a checkpoint or on arrival), the rest of its times kept,
    so the stop it leaves, frozen, stays as it was."""
    return leg.model_copy(update={"depart": t, "minutes": _r(leg.arrive - t)})


def _end(last: Stop, t: float) -> Stop:
    return last.model_copy(
        update={
            "kind": "end",
            "shipments": [],
            "station": None,
            "arrive": t,
            "start": t,
            "depart": t,
        }
    )


def _stay(prob: Problem, place: str, driver: str, t: float) -> Leg:
    """An empty leg where the truck stands (its day ends there)."""
    return Leg(
        path=[_node_of(prob, place)],
        coords=[_coords(prob, place)],
        depart=t,
        arrive=t,
        km=0.0,
        minutes=0.0,
        driver=driver,
    )


def _node_of(prob: Problem, place: str) -> str:
    return str(prob.net.place_node[place])


def _coords(prob: Problem, place: str) -> tuple[float, float]:
    p = prob.inst.places_by_id[place]
    return (p.lon, p.lat)


def _home(
    prob: Problem,
    truck: str,
    ts: TruckState,
    driver: str,
    seen: dict[str, list[float]],
    pending: dict[str, list[float]] | None = None,
) -> Leg:
    """The drive home of a truck the remaining part has no work for, each inspection in
    its turn after those ``seen`` (which it joins); one that has to wait for its turn
    goes into ``pending`` at the time it wanted."""
    start = f"{ts.place}@{truck}"
    home = prob.depot_place(prob.inst.trucks_by_id[truck], end=True)
    route = prob.table(truck).route(start, home)
    pleg = SimpleNamespace(route=route)
    # Each inspection once the checkpoint is open (the events' closures are its hours
    # here): the truck waits at a shut one.
    cps = prob.inst.checkpoints_by_id
    inspect: list[float] = []
    now, driven = ts.free, 0.0
    for c in route.crossings:
        t = now + c.offset - driven
        hours = sorted(cps[c.checkpoint].hours) if c.checkpoint in cps else []
        if hours and not any(a - TOL <= t <= b + TOL for a, b in hours):
            t = min((a for a, _ in hours if a > t), default=t)
        cp = cps.get(c.checkpoint)
        want, t = t, _turn(seen.get(c.checkpoint, []), t, cp.throughput_per_hour if cp else None)
        if t > want + TOL and pending is not None:
            pending.setdefault(c.checkpoint, []).append(want)
        seen.setdefault(c.checkpoint, []).append(t)
        inspect.append(t)
        now, driven = t + c.delay, c.offset + c.delay
    crossings, arrive = _crossings(pleg, ts.free, inspect)  # type: ignore[arg-type]
    real = {start: ts.place}
    return Leg(
        path=[real.get(n, n) for n in route.nodes],
        coords=route.coords,
        depart=_r(ts.free),
        arrive=_r(arrive),
        km=_r(route.km),
        minutes=_r(arrive - ts.free),
        crossings=crossings,
        driver=driver,
    )


def _derive(
    day: Instance,
    plan: Plan,
    state: State,
    sub: Plan,
    prob: Problem,
    routes: list[TruckRoute],
    config: SolverConfig,
    held: dict[str, str],
    waiting: dict[str, _AtStation],
) -> Plan:
    """Handovers, duties, passes, outcomes and KPIs of the joined routes."""
    # A road way's itinerary from the joined stops: the zone the truck is in at the
    # pickup and at the delivery, by who drives it there (part of a way can be the
    # past's, part the new part's; rail and transload ways are told by their stops).
    loop_zone = {p.id: p.zone for p in day.driver_pools if p.kind == "loop"}
    ends: dict[str, dict[str, str | None]] = {}
    for r in routes:
        for i, s in enumerate(r.stops):
            if s.kind in ("pickup", "delivery") and s.shipments and i:
                came = r.legs[i - 1].driver
                zone = None if came == r.driver else loop_zone.get(came.rsplit("/", 1)[0])
                ends.setdefault(s.shipments[0], {})[s.kind] = zone
    itinerary = {
        sid: _road_itinerary(e.get("pickup"), e.get("delivery")) for sid, e in ends.items()
    }
    aboard = state.aboard()
    dprob = dataclasses.replace(prob, inst=day, original=None, itinerary=itinerary)
    handovers: list[Handover] = []
    events: dict[str, list[tuple[str, Stop, str | None]]] = {}
    passes: list[Pass] = []
    for r in routes:
        here: str | None = None
        for i, s in enumerate(r.stops):
            if s.kind == "handover" and s.station:
                came = r.legs[i - 1].driver
                handovers.append(
                    Handover(
                        station=s.station,
                        truck=r.truck,
                        direction="in" if s.driver != r.driver else "out",
                        start=s.start,
                        end=s.depart,
                        from_driver=came,
                        to_driver=s.driver,
                    )
                )
                here = s.station if s.driver != r.driver else None
            if s.shipments:
                events.setdefault(s.shipments[0], []).append((r.truck, s, here))
        passes += _passes(dprob, r)
    # The trains of goods unloaded in the past run as booked; the rest are the new part's.
    rides = {
        x: (b.service, b.departure)
        for b in plan.rail_bookings
        for x in b.shipments
        if x in state.picked and x not in aboard
    }
    rides.update({x: (b.service, b.departure) for b in sub.rail_bookings for x in b.shipments})
    used: dict[str, Any] = {
        x: SimpleNamespace(service=s, departure=d) for x, (s, d) in rides.items()
    }
    outcomes = []
    transloads: list[Any] = []
    riders: dict[tuple[str, float], list[str]] = {}
    for sid, evs in events.items():
        by_kind: dict[str, list[tuple[str, Stop]]] = {}
        for truck, stop, _ in evs:
            by_kind.setdefault(stop.kind, []).append((truck, stop))
        if "delivery" in by_kind and "pickup" in by_kind:
            outcomes.append(_outcome(dprob, sid, evs, by_kind, used, transloads, riders))
    served = {o.shipment for o in outcomes}
    why = {u.shipment: u for u in sub.unserved}
    for sid, truck in held.items():
        why[sid] = Unserved(
            shipment=sid,
            reason="held_aboard",
            detail=f"aboard {truck}, no way left for it from {state.at:g} (bound into a "
            "zone closed to it, taken back from a gate that closed, or its truck broken "
            "down): it stays on the truck to the end of its day",
        )
    for sid, left in waiting.items():
        if sid in served:
            continue
        if sid in rides:  # it rides its train as booked, and waits where it arrives
            riders.setdefault(rides[sid], []).append(sid)
        why[sid] = Unserved(
            shipment=sid,
            reason="held_at_station",
            detail=f"unloaded before {state.at:g} on its way through {left.station}, where no "
            "truck collects it from then to the end of the day (the station closed, or "
            "no truck free in time)",
        )
    bookings = _bookings(dprob, riders)
    unserved = [
        why.get(s.id)
        or Unserved(shipment=s.id, reason="dropped", detail="the re-planned part left it out")
        for s in day.shipments
        if s.id not in served
    ]
    order = {s.id: i for i, s in enumerate(day.shipments)}
    outcomes.sort(key=lambda o: order[o.shipment])
    unserved.sort(key=lambda u: order[u.shipment])
    duties = _loop_duties(dprob, _duties_of(routes))
    w = weights(day, config)
    pri = day.shipments_by_id
    wd = sum(o.weighted_delay for o in outcomes)
    km = sum(r.km for r in routes)
    objective = (
        w["unserved"] * sum(pri[u.shipment].priority for u in unserved)
        + w["delay"] * wd
        + w["km"] * km
        + w["truck"] * len(routes)
        + w["loop_driver"] * len(duties)
        + w["rail"] * sum(b.cost for b in bookings)
    )
    past = sum(o.weighted_delay for o in plan.shipments if o.shipment in state.delivered)
    # The remaining part's bound again with the day's priorities (goods aboard weigh more
    # there: PINNED_PRIORITY).
    rest_ships = prob.inst.shipments_by_id
    rest_lb = sum(
        pri[s].priority * max(0.0, done - rest_ships[s].due)
        for s, done in prob.solo.items()
        if s in pri and s in rest_ships
    )
    kpis = KPIs(
        objective=_r(objective),
        weighted_delay=_r(wd),
        delay_lower_bound=_r(rest_lb + past),
        served=len(outcomes),
        unserved=len(unserved),
        on_time_share=_r(sum(o.delay <= 0 for o in outcomes) / len(outcomes)) if outcomes else 0.0,
        km=_r(km),
        trucks_used=len(routes),
        loop_drivers_used=len(duties),
        handovers=len(handovers),
        passes=len(passes),
        transloads=len(transloads),
        rail_bookings=len(bookings),
        solve_seconds=sub.kpis.solve_seconds,
    )
    solver = dict(sub.solver)
    solver["replan"] = {"at": state.at, "frozen": {t: s.cut for t, s in state.trucks.items()}}
    return Plan(
        relayroute_version=__version__,
        instance=InstanceRef(name=day.name, sha256=""),
        solver=solver,
        routes=sorted(routes, key=lambda r: r.truck),
        shipments=outcomes,
        unserved=unserved,
        handovers=sorted(handovers, key=lambda h: (h.start, h.station, h.truck)),
        loop_drivers=duties,
        passes=passes,
        transloads=sorted(transloads, key=lambda t: (t.time, t.station, t.shipment)),
        rail_bookings=bookings,
        kpis=kpis,
    )


def _road_itinerary(pickup: str | None, delivery: str | None) -> str:
    """A road way's itinerary from the closed zones at its pickup and its delivery."""
    if pickup is None:
        return "direct" if delivery is None else "relay_in"
    if delivery is None:
        return "relay_out"
    return "inside" if pickup == delivery else "relay_through"


def _figures(old: Plan, new: Plan, state: State) -> dict[str, Any]:
    """Shipments moved to another truck, with other relay stations, and pickup minutes
    moved, among those not delivered by the cut."""
    before = {o.shipment: o for o in old.shipments}
    moved, stations = [], []
    shift = 0.0
    for o in new.shipments:
        b = before.get(o.shipment)
        if b is None or o.shipment in state.delivered:
            continue
        if b.truck != o.truck:
            moved.append(o.shipment)
        if b.stations != o.stations:
            stations.append(o.shipment)
        if o.shipment not in state.picked:
            shift += abs(o.pickup - b.pickup)
    return {"moved": moved, "stations": stations, "shift": shift}


__all__ = ["Replan", "Stability", "replan", "restricted_places"]

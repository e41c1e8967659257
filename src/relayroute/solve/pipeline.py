"""``solve()``: route, time, re-route, switch ways, re-time with CP-SAT, build the plan.

1. The dispatcher's plan (:func:`~relayroute.solve.greedy.greedy`) is the floor.
2. The routing model routes the trucks; the dispatcher times the routes and takes off
   what it cannot time (:func:`~relayroute.solve.timing.time_routes`).
3. Where relay work was dropped, the stations it came from get less of their loop-driver
   minutes and the trucks are routed again (at most ``ROUNDS`` rounds).
4. Where transload ways were kept aside, the way switch tries them a group at a time.
5. CP-SAT re-times the best trips to cut delay; what is still left out goes in by road at
   the end of some truck's day where it fits.

What the run did (routing status, solutions, rounds, the switch's counts, CP-SAT's
status) is kept in :class:`Statistics` and written into the plan's ``solver`` block.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Literal

from relayroute.itineraries import build_problem, delay_lower_bound
from relayroute.itineraries.ways import fix_transloads
from relayroute.solve.budget import Budget
from relayroute.solve.config import SolverConfig
from relayroute.solve.greedy import greedy, insert_dropped
from relayroute.solve.lns import LnsStats, lns
from relayroute.solve.objective import score, served_ways, unserved_cost
from relayroute.solve.routing import (
    LOOP_UTILISATION,
    Expected,
    RoutingResult,
    expected_of,
    model_size,
    routes_of,
    solve_routing,
    weights,
)
from relayroute.solve.stop import reset, stop_requested
from relayroute.solve.switch import Incumbent, SwitchStats, switch_ways, without
from relayroute.solve.timing import (
    complete_ways,
    improve,
    stuck_stations,
    time_everything,
    time_routes,
    visits_of,
)
from relayroute.solve.to_plan import UNROUTED, build_plan

if TYPE_CHECKING:
    from collections.abc import Callable

    from relayroute.io.instance import LoadedInstance
    from relayroute.itineraries import Problem, Reason
    from relayroute.itineraries.ways import Way
    from relayroute.model.plan import Plan
    from relayroute.solve.routing import NodeKey, RouteKey
    from relayroute.solve.routing.model import Keep
    from relayroute.solve.timing import Timed

ROUNDS = 3  # routing rounds at most: the first, and re-routes where timing dropped work
# Shares of the time limit the steps before the search may take at most on days too large
# for it: classifying the shipments, then the dispatcher's plan (the floor).
BUILD_SHARE = 0.4
GREEDY_SHARE = 0.5
# Legs x vehicles from which the routing search starts from the dispatcher's routes
# instead of its first-solution heuristic: on the generated 2,000-shipment Yiwu day
# (1,861 legs, 600 vehicles) parallel cheapest insertion ran 200 s past a 20 s limit
# without a solution (it checks the limit too seldom), while from the dispatcher's
# routes the local search has a solution at once. Below it (the bundled days reach
# 500 x 130) the heuristic's start was measured better.
WARM_START_SIZE = 150_000
# Share of a routing search's time the first-solution heuristic may take to find a first
# routing solution before the search starts from the dispatcher's routes instead.
FIRST_WITHIN = 0.2
# Share of a routing search's time (beyond it) for mending the ways it left half taken.
MEND_SHARE = 0.1
# Share of the first routing round for the portfolio's search from the dispatcher's
# routes; OR-Tools' first-solution heuristic and its search get the rest.
PORTFOLIO_WARM = 0.25


@dataclass
class Statistics:
    """What one run of :func:`solve` did.

    Attributes
    ----------
    status
        The routing search's status in the last routing round (``dispatched``: the
        greedy engine).
    solutions
        Routing solutions found over the routing rounds.
    rounds
        Routing rounds run (0: the greedy engine).
    switch
        What the way switch did, if it ran.
    schedule_status
        CP-SAT's status the last time it ran, if it did.
    phases
        Wall-clock seconds of each step: ``build`` (network, tables, classifying),
        ``greedy``, ``routing`` (the routing rounds: ``model`` builds, ``search``, and
        timing the routes), ``switch``, ``schedule`` (CP-SAT), ``fill``.
    warm_start
        The first routing search started from the dispatcher's routes (large days).
    first_solution
        Seconds from the run's start to the first routing solution (None: none found).
    portfolio
        The portfolio's start that scored better (``warm``: the dispatcher's routes,
        ``cold``: OR-Tools' first-solution heuristic), when it ran.
    """

    status: str = ""
    interrupted: bool = False
    # Wall-clock seconds of each step (build, greedy, routing, switch, schedule, fill).
    phases: dict[str, float] = field(default_factory=dict)
    warm_start: bool = False
    solutions: int = 0
    first_solution: float | None = None
    portfolio: str | None = None
    rounds: int = 0
    switch: SwitchStats | None = None
    lns: LnsStats | None = None
    mended: int = 0  # shipments whose half-taken ways were mended
    schedule_status: str | None = None
    # The key ``schedule_status`` follows in the plan's solver block: the one last set
    # when CP-SAT first ran (the block lists keys in the order the run met them).
    _schedule_after: str = field(default="", repr=False)

    def scheduled(self, status: str) -> None:
        """CP-SAT ran and ended with ``status``."""
        if self.schedule_status is None:
            self._schedule_after = (
                "switch" if self.switch is not None else "rounds" if self.rounds else "solutions"
            )
        self.schedule_status = status

    def solver_block(self, config: SolverConfig, time_limit: float | None) -> dict[str, object]:
        """The plan's ``solver`` block: the configuration as run, then these statistics."""
        out: dict[str, object] = config.model_dump()
        if time_limit is not None:
            out["time_limit"] = time_limit
        out["status"] = self.status
        if self.interrupted:  # only then: plans of whole runs stay as they were
            out["interrupted"] = True
        if self.warm_start:
            out["warm_start"] = "greedy"
        if self.portfolio is not None:
            out["portfolio_start"] = self.portfolio
        if not self.rounds:  # the greedy engine
            return self._with_phases(out)
        after: list[tuple[str, object]] = [("solutions", self.solutions), ("rounds", self.rounds)]
        if self.switch is not None:
            after.append(("switch", asdict(self.switch)))
        if self.lns is not None:
            after.append(("lns", asdict(self.lns)))
        if self.mended:
            after.append(("mended", self.mended))
        for key, value in after:
            out[key] = value
            if key == self._schedule_after:
                out["schedule_status"] = self.schedule_status
        return self._with_phases(out)

    def _with_phases(self, out: dict[str, object]) -> dict[str, object]:
        """Where the time went, last (wall-clock seconds: they differ run to run)."""
        if self.phases:
            out["phases"] = {k: round(v, 3) for k, v in self.phases.items()}
        if self.rounds and self.phases:
            search = self.phases.get("search", 0.0)
            out["speed"] = {
                "first_solution": None
                if self.first_solution is None
                else round(self.first_solution, 3),
                "solutions_per_second": round(self.solutions / search, 2) if search else 0.0,
            }
        return out


@dataclass
class Timing:
    """Timed trips, what timing dropped, and the problem they were timed on (transload
    times fixed as routed; the way switch changes its ways)."""

    trips: list[Timed]
    dropped: dict[str, Reason]
    prob: Problem


def solve(
    loaded: LoadedInstance,
    config: SolverConfig | None = None,
    *,
    time_limit: float | None = None,
    on_solution: Callable[[float, float], None] | None = None,
    problem: Problem | None = None,
    started: float | None = None,
    on_phase: Callable[[str, float | None], None] | None = None,
    keep: Keep | None = None,
) -> Plan:
    """Plan one day.

    Parameters
    ----------
    loaded
        The instance (from :func:`relayroute.io.instance.read_instance`).
    config
        Search configuration; the balanced default when omitted.
    time_limit
        Seconds; overrides the configuration's.
    on_solution
        Called with (elapsed seconds, objective) whenever the routing search finds a
        solution.
    problem
        A problem already built for this instance, to skip rebuilding the network.
    started
        When the run's clock started (``time.perf_counter``; now when omitted): the time
        limit bounds everything from then on, reading the instance included when the
        caller started the clock before it.
    on_phase
        Called as each step starts, with its name (``build``, ``greedy``, ``routing``,
        ``switch``, ``schedule``, ``fill``: the keys of ``Statistics.phases``) and the
        objective of the best plan so far as the plan states it (``kpis.objective``;
        None before there is one), for progress reports.
    keep
        Prices of change the routing searches of the whole day add to their objective
        (:func:`relayroute.replan` passes its stability costs); none by default.

    Returns
    -------
    Plan
        Routes, handovers, loop-driver duties, passes, shipment outcomes, unserved
        shipments with reasons, and KPIs; the configuration and :class:`Statistics` of
        the run in its ``solver`` block.

    Examples
    --------
    The demo day, stopped after 50 routing solutions (the same plan on any machine):

    >>> import relayroute as rr
    >>> loaded = rr.read_instance("instances/yiwu-demo.json")
    >>> plan = rr.solve(loaded, rr.SolverConfig(solution_limit=50, time_limit=30))
    >>> plan.kpis.served + plan.kpis.unserved == len(loaded.instance.shipments)
    True
    >>> plan.kpis.weighted_delay >= plan.kpis.delay_lower_bound
    True
    >>> [c.priority for c in plan.kpis.by_priority] == sorted(
    ...     {s.priority for s in loaded.instance.shipments}, reverse=True)
    True
    >>> rr.validate(loaded.instance, plan, loaded.base).ok
    True
    """
    config = config or SolverConfig()
    limit = time_limit if time_limit is not None else config.time_limit
    budget = Budget.from_now(limit, started)
    stats = Statistics()
    if on_phase is not None:
        on_phase("build", None)
    tick = time.perf_counter()
    prob = problem or build_problem(
        loaded.instance,
        loaded.base,
        station_choices=config.station_choices,
        deadline=budget.deadline(BUILD_SHARE),
        stop=stop_requested,
    )
    stats.phases["build"] = time.perf_counter() - tick
    w = weights(loaded.instance, config)
    if config.engine == "greedy":
        if on_phase is not None:
            on_phase("greedy", None)
        tick = time.perf_counter()
        trips, dropped = greedy(prob, deadline=budget.deadline() - budget.reserve())
        stats.phases["greedy"] = time.perf_counter() - tick
        stats.status = "dispatched"
        timing = Timing(trips, dropped, prob)
    else:
        try:
            timing = _Run(
                prob, config, w, budget, stats, on_solution, on_phase, keep=keep
            ).optimise()
        finally:
            stats.interrupted = stop_requested()
            reset()  # the stop was this run's; the next solve starts afresh
    t0 = budget.start
    return build_plan(
        timing.prob,
        timing.trips,
        timing.dropped,
        stats.solver_block(config, time_limit),
        w,
        loaded.sha256,
        delay_lower_bound(timing.prob),
        time.perf_counter() - t0,
    )


@dataclass
class _Run:
    """One optimising run: its budget, clock and statistics, and its steps."""

    prob: Problem
    config: SolverConfig
    w: dict[str, float]
    budget: Budget  # the whole run's time limit
    stats: Statistics
    on_solution: Callable[[float, float], None] | None
    on_phase: Callable[[str, float | None], None] | None
    # Share of each station's loop-driver minutes the routes may use: lowered round by
    # round where timing shows a station cannot cope.
    utilisation: dict[str, float] = field(default_factory=dict)
    # Routes to start the first routing search from (large days: the dispatcher's).
    initial: dict[RouteKey, list[NodeKey]] | None = None
    # The dispatcher's timed trips: the floor, and the routes to fall back on.
    floor: list[Timed] = field(default_factory=list)
    # Prices of change for searches of the whole day's problem (a re-plan's stability).
    keep: Keep | None = None
    # When the best timed plan so far has its stops and what the gates queue: the next
    # routing models' legs take the gates' hours and queues at those times.
    expect: Expected | None = None

    @property
    def limit(self) -> float:
        return self.budget.limit

    def elapsed(self) -> float:
        return self.budget.elapsed()

    def begin(self, name: str, best: float | None = None) -> float:
        """Step ``name`` starts: ``on_phase`` is told, with ``best`` (a :func:`score`) as
        the plan will state it; returns the clock reading to time the step from."""
        if self.on_phase is not None:
            # score() leaves out what no way can serve; the plan counts it as unserved.
            ways = self.prob.ways
            given = self.prob.given
            lost = sum(
                unserved_cost(s, self.w, given.horizon) for s in given.shipments if s.id not in ways
            )
            self.on_phase(name, None if best is None else best + lost)
        return time.perf_counter()

    def phase(self, name: str, since: float) -> None:
        """Add the seconds since ``since`` to step ``name``."""
        phases = self.stats.phases
        phases[name] = phases.get(name, 0.0) + time.perf_counter() - since

    def search_deadline(self) -> float:
        """When searching must end: the limit less what the steps after it need."""
        return self.budget.deadline() - self.budget.reserve()

    def optimise(self) -> Timing:
        """The best timing of the run, CP-SAT-timed and filled."""
        prob, config, w = self.prob, self.config, self.w
        # The dispatcher's plan is the floor: the optimiser's plan is never worse than it.
        # (Starting the routing search from it was measured worse: guided local search
        # then rarely inserts what the dispatcher left unserved.)
        tick = self.begin("greedy")
        trips, dropped = greedy(prob, deadline=self.budget.deadline(GREEDY_SHARE))
        self.phase("greedy", tick)
        best = (score(prob, trips, w), Timing(trips, dropped, prob))
        self.floor = trips
        # The dispatcher's stop times and gate queues are what the first routing model
        # expects (BENCHMARKS.md, issue 15: on generated Liling days with a gate shut
        # for hours the routes served more with both than with neither or times alone).
        self.saw(best[1])
        warm = config.warm_start
        if warm == "greedy" or (warm == "auto" and model_size(prob) > WARM_START_SIZE):
            self.initial = routes_of(prob, trips)
            self.stats.warm_start = True
        # CP-SAT re-times trips to cut delay: with no weight on delay the routing search
        # gets the whole time limit.
        schedule_share = config.schedule_share if w["delay"] > 0 else 0.0
        whole = self.limit * (1 - schedule_share)  # routing, switch and LNS
        # The large-neighbourhood search gets the last part of it.
        routing_budget = whole * (1 - config.lns_share)
        switch_budget = routing_budget * config.switch_share if prob.spare else 0.0
        tick = self.begin("routing", best[0])
        best, routed = self.route(best, routing_budget, switch_budget)
        self.phase("routing", tick)
        left = min(routing_budget, self.search_deadline() - self.budget.start) - self.elapsed()
        if (
            not stop_requested()
            and routed is not None
            and switch_budget > 0
            and left > config.switch_trial_time
        ):
            tick = self.begin("switch", best[0])
            routed = self.switch(routed, left, routing_budget, schedule_share)
            self.phase("switch", tick)
            assert routed.extra is not None
            if routed.score < best[0]:
                best = (routed.score, routed.extra)
                self.saw(routed.extra)
        left = min(whole, self.search_deadline() - self.budget.start) - self.elapsed()
        if config.lns_share > 0 and not stop_requested() and left > config.lns_trial_time:
            tick = self.begin("lns", best[0])
            start = routed if routed is not None and routed.score <= best[0] else None
            if start is None:  # the floor is the best so far: the search starts from it
                start = _as_routed(best[0], best[1])
            if start is not None:
                found, self.stats.lns = lns(
                    start,
                    self._route,
                    partial(self.evaluate, quick=True),
                    _late,
                    left,
                    trial_seconds=config.lns_trial_time,
                    seed=config.seed,
                    stop=stop_requested,
                )
                if self.stats.lns.kept:  # timed in full, as the rest were
                    value, timing = self.evaluate(found.prob, found.result)
                    if value < best[0]:
                        best = (value, timing)
            self.phase("lns", tick)
        timing = best[1]
        trips = timing.trips
        if trips and w["delay"] > 0 and not stop_requested():
            tick = self.begin("schedule", best[0])
            better = self.cpsat(timing.prob, trips, 1.0)
            self.phase("schedule", tick)
            if better is not None and score(timing.prob, better, w) <= score(timing.prob, trips, w):
                trips = better
        tick = self.begin("fill", score(timing.prob, trips, w) if self.on_phase else None)
        # Half the reserve is for the plan and its validation.
        fill_by = self.budget.deadline() - self.budget.reserve() / 2
        trips, dropped = _fill(timing.prob, trips, timing.dropped, fill_by)
        self.phase("fill", tick)
        return Timing(trips, dropped, timing.prob)

    def saw(self, timing: Timing, queues: bool = True) -> None:
        """``timing`` is the best so far: its stop times (and with ``queues`` its gate
        queues) are what the next routing models expect."""
        if self.config.gate_hours:
            seen = expected_of(timing.prob, timing.trips, queues)
            old = self.expect.waits if self.expect is not None else {}
            # Successive averages: half what this plan showed, half what was expected
            # (the dispatcher's queues at first, halved): a plan routed away from a
            # queue does not meet it, and taking each plan's queues whole swung the
            # Yiwu days' routes from gate to gate (BENCHMARKS.md, issue 15).
            waits = {
                cp: [
                    0.5 * a + 0.5 * b
                    for a, b in zip(seen.waits.get(cp, [0.0] * len(w)), old.get(cp, [0.0] * len(w)))
                ]
                for cp, w in {**old, **seen.waits}.items()
            }
            self.expect = Expected(seen.times, waits)

    def cpsat(self, p: Problem, trips: list[Timed], share: float) -> list[Timed] | None:
        """CP-SAT's timing of ``trips`` in ``share`` of the time left (None: no time for
        it, or it found none)."""
        config = self.config
        left = (self.search_deadline() - time.perf_counter()) * share
        if config.schedule_deterministic_time <= 0 or left <= 0.1:
            return None
        out = improve(
            p,
            trips,
            self.w,
            left,
            deterministic_time=config.schedule_deterministic_time * min(1.0, share),
            workers=config.schedule_workers,
            seed=config.seed,
        )
        self.stats.scheduled(out.status)
        return out.timed if out.objective is not None else None

    def evaluate(
        self, p: Problem, result: RoutingResult, quick: bool = False
    ) -> tuple[float, Timing]:
        """Time a routing result: its score and timing (``quick``: by the dispatcher
        alone, without the CP-SAT timing of what it drops: for the many trials of the
        large-neighbourhood search)."""
        # Transload times as routed: the two trucks are then timed apart.
        fixed = fix_transloads(p, result.transload_starts)
        # (A re-plan: what changes truck anyway is dropped before what a truck keeps.)
        keep = self.keep if p is self.prob else None
        trips, dropped = time_routes(fixed, result.sequences, result.start_times, keep=keep)
        if dropped and not quick:
            trips, dropped = time_everything(
                fixed, result, trips, dropped, self.w, partial(self.cpsat, fixed, share=0.1)
            )
        trips, dropped = complete_ways(fixed, trips, dropped)
        return score(fixed, trips, self.w), Timing(trips, dropped, fixed)

    def route(
        self, best: tuple[float, Timing], routing_budget: float, switch_budget: float
    ) -> tuple[tuple[float, Timing], Incumbent[Timing] | None]:
        """Route, time, and where a station could not cope, route again asking less of
        it: the best timing so far, and the best routed one (for the switch)."""
        routed: Incumbent[Timing] | None = None
        for round_ in range(ROUNDS):
            spent = self.elapsed()
            # Later rounds only use time a solution-limited first round left over.
            share = (routing_budget - switch_budget - spent) * (1.0 if round_ == 0 else 0.6)
            if round_ and share < 1.0:
                break
            start = self.initial if round_ == 0 else None
            if round_ == 0 and start is None and self.config.portfolio:
                result, value, timing = self._portfolio(share)
            else:
                result = self._search(share, start)
                if not result.sequences and start is None and not stop_requested():
                    # The first-solution heuristic is stuck (a day it cannot build a
                    # route for in its share of the time): search on from the
                    # dispatcher's routes.
                    self.initial = routes_of(self.prob, self.floor)
                    self.stats.warm_start = True
                    share = routing_budget - switch_budget - self.elapsed()
                    result = self._search(share, self.initial)
                # Compared as routed: putting what it left out in by road before
                # comparing (at the end of trucks' days) was measured much worse on
                # yiwu-day-scarce (52,865 against 6,311 weighted delay): it picks rounds
                # whose gaps were filled late instead of rounds CP-SAT can re-time well.
                value, timing = self.evaluate(self.prob, result)
            if value < best[0]:
                best = (value, timing)
                self.saw(timing)
            if result.sequences and (routed is None or value < routed.score):
                routed = Incumbent(value, self.prob, result, timing)
            stuck = stuck_stations(self.prob, result.sequences, timing.dropped)
            if not stuck or stop_requested():
                break
            for sid in stuck:
                self.utilisation[sid] = self.utilisation.get(sid, LOOP_UTILISATION) * 0.8
        self.stats.rounds = round_ + 1
        return best, routed

    def _portfolio(self, share: float) -> tuple[RoutingResult, float, Timing]:
        """Two starts, the better kept: the search from the dispatcher's routes for
        :data:`PORTFOLIO_WARM` of ``share``, then from OR-Tools' first-solution
        heuristic for the rest, each timed and scored as a plan.

        Neither start wins everywhere (measured, 60 s, busy machine): from the
        dispatcher's routes liling-day ends with 476 of 500 served at 3,222 weighted
        delay, from the heuristic with all 500 at 155,968; on yiwu-day-scarce 165 of 187
        at 11,808 against 181 at 4,380. The heuristic's search gets the larger share and
        runs unbroken: going on from its routes in a second search (guided local search
        starting afresh) was measured worse on yiwu-day under load (32,734 weighted
        delay against 2,898)."""
        end = time.perf_counter() + share
        tried: list[tuple[float, str, RoutingResult, Timing]] = []
        result: RoutingResult | None = None
        for label in ("warm", "cold"):
            if stop_requested():
                break
            initial = routes_of(self.prob, self.floor) if label == "warm" else None
            part = share * PORTFOLIO_WARM if label == "warm" else end - time.perf_counter()
            result = self._search(part, initial)
            if result.sequences:
                value, timing = self.evaluate(self.prob, result)
                tried.append((value, label, result, timing))
        if not tried:
            assert result is not None
            return result, *self.evaluate(self.prob, result)
        value, label, result, timing = min(tried, key=lambda t: t[0])
        self.stats.portfolio = label
        return result, value, timing

    def _search(self, share: float, initial: dict[RouteKey, list[NodeKey]] | None) -> RoutingResult:
        """One routing search in ``share`` seconds, from ``initial`` routes or, with
        none, OR-Tools' first-solution heuristic (given up when it has found nothing
        in :data:`FIRST_WITHIN` of the share); counted in the statistics."""
        if initial is not None:
            initial, spent = self._recreate(self.prob, initial, share)
            share -= spent
        result = solve_routing(
            self.prob,
            self.config,
            time_limit=max(0.0, share),
            on_solution=self.on_solution,
            utilisation=self.utilisation,
            initial=initial,
            deadline=self.search_deadline(),
            first_within=None if initial is not None else max(1.0, FIRST_WITHIN * share),
            keep=self.keep,
            expect=self.expect,
        )
        self.stats.status = result.status
        self.stats.solutions += result.solutions
        if self.stats.first_solution is None and result.first_at is not None:
            self.stats.first_solution = result.first_at - self.budget.start
        for name, seconds in (("model", result.built), ("search", result.seconds)):
            self.stats.phases[name] = self.stats.phases.get(name, 0.0) + seconds
        if result.sequences and not stop_requested():
            result = self._mend_ways(result, share * MEND_SHARE)
        return result

    def _mend_ways(self, result: RoutingResult, seconds: float) -> RoutingResult:
        """The routes with each way the search left half taken mended: the shipment's
        legs taken out, the way it had begun forbidden for it, and what the routes leave
        out put in again (the recreate phase), kept when the timed plan scores better.

        The search's local optimum can hold a way half taken (the first leg to a train
        that is full: on fuquan-kaili four shipments trucked to the 18:00 train's
        station with no room on it). The routing model prices the missing parts, but no
        single move takes the first leg off and begins another way, and the way switch
        tries transloads only."""
        begun = half_taken(self.prob, result)
        if not begun or seconds <= 0.05:
            return result
        broken = sorted(begun)
        ways = {
            **self.prob.ways,
            **{s: [w for w in self.prob.ways[s] if w not in begun[s]] for s in broken},
        }
        tick = time.perf_counter()
        try:
            return self._mended(result, ways, broken, seconds)
        finally:
            self.phase("mend", tick)

    def _mended(
        self, result: RoutingResult, ways: dict[str, list[Way]], broken: list[str], seconds: float
    ) -> RoutingResult:
        prob = self.prob
        mended = self._route(
            dataclasses.replace(prob, ways=ways),
            without(result.routes, broken),
            seconds,
            "recreate",
        )
        if not mended.sequences:
            return result
        value = self.evaluate(prob, mended)[0]
        if value >= self.evaluate(prob, result)[0]:
            return result
        self.stats.mended += len(broken)
        # The search goes on from the mended routes for as long again.
        more = self._route(prob, mended.routes, seconds)
        if more.sequences and self.evaluate(prob, more)[0] < value:
            return more
        return mended

    def _recreate(
        self, p: Problem, initial: dict[RouteKey, list[NodeKey]], share: float
    ) -> tuple[dict[RouteKey, list[NodeKey]], float]:
        """Routes with what ``initial`` leaves out put in where they fit (a greedy
        descent of the insertion operators, in at most ``recreate_share`` of ``share``
        seconds), and the seconds it took: the search from routes then starts with
        everything in that fits (its full operator set rarely reaches the left-out
        shipments)."""
        seconds = share * self.config.recreate_share
        if seconds <= 0.05:
            return initial, 0.0
        put = self._route(p, initial, seconds, "recreate")
        self.stats.solutions += put.solutions
        for name, spent in (("model", put.built), ("search", put.seconds)):
            self.stats.phases[name] = self.stats.phases.get(name, 0.0) + spent
        return (put.routes if put.sequences else initial), put.built + put.seconds

    def _route(
        self,
        p: Problem,
        initial: dict[RouteKey, list[NodeKey]] | None,
        seconds: float,
        phase: str = "search",
    ) -> RoutingResult:
        """A routing search of ``p`` from ``initial`` routes (None: OR-Tools' first
        solution) in ``seconds``, within the run's deadline: ``search`` as configured,
        ``recreate`` or ``descent`` (see :func:`~relayroute.solve.routing.search.parameters`)."""
        phases: dict[str, Literal["search", "recreate", "descent"]] = {
            "search": "search",
            "recreate": "recreate",
            "descent": "descent",
        }
        return solve_routing(
            p,
            self.config,
            time_limit=seconds,
            utilisation=self.utilisation,
            initial=initial,
            deadline=self.search_deadline(),
            phase=phases[phase],
            # Its node keys and vehicles are the whole day's: not for a part of it.
            keep=self.keep if p is self.prob else None,
            expect=self.expect,
        )

    def _route_from(
        self, p: Problem, initial: dict[RouteKey, list[NodeKey]], seconds: float
    ) -> RoutingResult:
        initial, spent = self._recreate(p, initial, seconds)
        return self._route(p, initial, seconds - spent)

    def switch(
        self,
        routed: Incumbent[Timing],
        left: float,
        routing_budget: float,
        schedule_share: float,
    ) -> Incumbent[Timing]:
        """The way switch from the best routes, then the routing search on from its best
        in the routing time it left."""
        config = self.config
        routed, self.stats.switch = switch_ways(
            routed,
            self._route_from,
            self.evaluate,
            _on_road,
            left,
            size=config.switch_group,
            trial_seconds=config.switch_trial_time,
            road=config.switch_to == "road",
            trials=config.switch_trials,
            patience=config.switch_patience,
            late=config.switch_late,
            # While groups keep being kept, the switch may go on into half of the
            # CP-SAT timing's share: a shipment served outweighs minutes of delay.
            more_seconds=self.limit * schedule_share / 2,
        )
        # The routing time the switch left: the search goes on from the best routes.
        left = routing_budget - self.elapsed()
        if left > 1.0:
            more = self._route_from(routed.prob, routed.result.routes, left)
            if more.sequences:
                value, timing = self.evaluate(routed.prob, more)
                if value < routed.score:
                    routed = Incumbent(value, routed.prob, more, timing)
        return routed


def _on_road(inc: Incumbent[Timing]) -> dict[str, float]:
    """Served by road, or not at all: the shipments a switch may help, the unserved
    first, then the latest (priority-weighted)."""
    assert inc.extra is not None
    served = served_ways(inc.extra.prob, inc.extra.trips)
    return {s: late for s, late in _late(inc).items() if served.get(s, [s]) == [s]}


def half_taken(prob: Problem, result: RoutingResult) -> dict[str, list[Way]]:
    """The shipments whose routes begin a way they do not finish (or begin several),
    with the ways they began, where another way is left to try."""
    routed = {x.shipment for seq in result.sequences.values() for x in seq}
    riding = {s for riders in result.bookings.values() for s in riders}
    out: dict[str, list[Way]] = {}
    for sid, options in prob.ways.items():
        begun = [w for w in options if any(leg in routed for leg in w.parts)]
        if not begun or len(begun) == len(options):
            continue
        way = begun[0]
        whole = all(leg in routed for leg in way.parts) and (way.kind != "rail" or sid in riding)
        if len(begun) > 1 or not whole:
            out[sid] = begun
    return out


def _as_routed(value: float, timing: Timing) -> Incumbent[Timing] | None:
    """The dispatcher's timed trips as routes the large-neighbourhood search can start
    from (None where they use a transload way: its times are the routing model's)."""
    prob = timing.prob
    if any(w.kind == "transload" for w in prob.way_of.values()):
        return None
    sequences, starts = visits_of(prob, timing.trips)
    routes = routes_of(prob, timing.trips)
    result = RoutingResult(sequences, starts, None, 0.0, 0, "dispatched", routes=routes)
    return Incumbent(value, prob, result, timing)


def _late(inc: Incumbent[Timing]) -> dict[str, float]:
    """Every servable shipment with its priority-weighted minutes late in the
    incumbent's timing (``math.inf``: not delivered whole)."""
    assert inc.extra is not None
    trips, fixed = inc.extra.trips, inc.extra.prob
    served = served_ways(fixed, trips)
    done = {s: t for tt in trips for s, t in tt.times.delivered.items()}
    ships = fixed.inst.shipments_by_id
    out: dict[str, float] = {}
    for s in fixed.ways:
        legs = served.get(s)
        if legs is None:
            out[s] = math.inf
        else:
            out[s] = ships[s].priority * max(0.0, done[legs[-1]] - ships[s].due)
    return out


def _fill(
    prob: Problem, trips: list[Timed], dropped: dict[str, Reason], deadline: float | None = None
) -> tuple[list[Timed], dict[str, Reason]]:
    """What timing or routing left out, put in by road at the end of some truck's day
    where it still fits (the routing search may also leave a way half taken, when a
    train turned out full, with no move back to the road)."""
    done = served_ways(prob, trips)
    missing = {
        s: dropped.get(s, UNROUTED) for s in prob.ways if s not in done and s in prob.eligible
    }
    if not missing:
        return trips, dropped
    trips, more = insert_dropped(prob, trips, missing, deadline)
    return trips, {**{k: v for k, v in dropped.items() if k not in missing}, **more}

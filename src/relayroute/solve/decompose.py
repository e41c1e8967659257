"""Decomposition: a large day cut into parts, each solved on its own, then put back together.

A day of thousands of shipments is too large for one routing model (the model of the
generated 5,000-shipment Yiwu day outgrew 20 GB). Its structure lets it be cut:

1. **Parts** (:func:`split`). Shipments are grouped by the zone they serve (the closed
   zone an end lies in, else the permit zone, else ``open``); a group larger than
   ``size`` is cut into time bands of consecutive ready times. Each truck goes to the
   part where most of its eligible work is, the parts getting trucks in proportion to
   their shipments; loop drivers stay with their station and are shared among the parts
   of their zone in proportion to the relay work each part has in the pool's shift.
2. **Each part** is the day's problem restricted to its shipments, trucks and drivers
   (:func:`restrict`: the same network, travel tables and vehicles, nothing rebuilt),
   solved by the pipeline's own steps (the dispatcher's floor, the routing rounds, the
   way switch, CP-SAT) in its share of the time, in parallel: local processes by
   default, or the workers of a Dask cluster given its scheduler's address.
3. **Repair** (:func:`merge`). Stations' bays, loop drivers, checkpoint lanes and trains
   are shared between the parts: all parts' routes are timed together by the plan-wide
   dispatcher (:func:`~relayroute.solve.timing.time_routes`), a train booked over its
   capacity by several parts gives up its lowest-priority ways first, a way is kept
   whole or not at all, and what no longer fits goes in again at the end of some
   truck's day where it still keeps every rule
   (:func:`~relayroute.solve.greedy.insert_dropped`).

The parts' dispatcher plans, repaired the same way, give the first valid plan early; the
parts' optimised routes then replace it when they score better.
"""

from __future__ import annotations

import math
import os
import pickle
import time
from collections import Counter, defaultdict
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, Self

import numpy as np

from relayroute.errors import InputError
from relayroute.itineraries import build_problem, delay_lower_bound
from relayroute.itineraries.trips import Visit
from relayroute.solve.budget import Budget
from relayroute.solve.greedy import greedy, insert_dropped
from relayroute.solve.objective import score, served_ways
from relayroute.solve.routing import weights
from relayroute.solve.stop import reset, stop_requested
from relayroute.solve.timing import complete_ways, improve, time_routes
from relayroute.solve.timing.dispatch import Calendar
from relayroute.solve.to_plan import UNROUTED, build_plan

if TYPE_CHECKING:
    from collections.abc import Callable

    from relayroute.io.instance import LoadedInstance
    from relayroute.itineraries import Problem, Reason
    from relayroute.itineraries.ways import Way
    from relayroute.model.instance import Shipment
    from relayroute.model.plan import Plan
    from relayroute.solve.config import SolverConfig
    from relayroute.solve.timing import Timed

# ``decompose = "auto"`` cuts days of this many shipments or more. Measured on the
# generated Yiwu days (2 cores, load ~3): 2,000 shipments solve whole within a 120 s
# limit (wall 122 s, 4.6 GB peak), while the routing model of 5,000 outgrew 20 GB; the
# bundled days (at most 500) are never cut.
AUTO_FROM = 3_000
# Shipments of a part at most: a routing model of ~500 shipments and ~150 trucks builds
# in a few seconds and a few hundred MB (the Yiwu 500 day: 539 MB whole).
PART_SHIPMENTS = 500
# Share of the time limit kept for the plan-wide repair and the plan.
MERGE_SHARE = 0.12
# Trips at most for CP-SAT's plan-wide re-timing after the repair: on the generated Yiwu
# days of 2,000, 5,000 and 10,000 shipments (441, 1,075, 1,669 trips) it found nothing in
# the 22, 18 and 155 s it was given (status UNKNOWN, load ~6); the parts' own CP-SAT runs.
SCHEDULE_TRIPS = 200
# Seconds to reach a Dask scheduler before saying it does not answer.
DASK_CONNECT_SECONDS = 10.0
OPEN = "open"


@dataclass(frozen=True)
class Part:
    """One part of a day: its shipments (as given), trucks, and loop-driver counts."""

    key: str
    shipments: tuple[str, ...]
    trucks: tuple[str, ...]
    # Driver pool -> drivers of it this part may use (every pool of the day is listed).
    pools: tuple[tuple[str, int], ...] = ()


@dataclass
class PartResult:
    """What solving a part gave back: its timed trips, what it left out and why, and
    the shipments and ways as its run ended (transload times fixed, ways switched)."""

    key: str
    trips: list[Timed]
    dropped: dict[str, Reason]
    shipments: dict[str, Shipment]
    ways: dict[str, list[Way]]
    spare: dict[str, list[Way]]
    seconds: float
    status: str = ""
    solutions: int = 0


@dataclass
class DecomposeStats:
    """What a decomposed run did (the plan's ``solver`` block)."""

    parts: list[dict[str, Any]] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    first_plan: float | None = None
    kept: str = ""
    executor: str = ""
    repair: dict[str, int] = field(default_factory=dict)
    schedule: str | None = None
    # The objective (as scored, before CP-SAT) of each repaired plan: dispatcher, routing.
    scores: dict[str, float] = field(default_factory=dict)


def wanted(shipments: int, config: SolverConfig) -> bool:
    """Whether ``config`` cuts a day of ``shipments`` shipments into parts."""
    mode = config.decompose
    return mode == "zone" or (mode == "auto" and shipments >= AUTO_FROM)


def _zone_of(prob: Problem, sid: str) -> str:
    """The zone a shipment serves: the closed zone one of its ends lies in, else the
    permit zone, else :data:`OPEN`."""
    sh = prob.given.shipments_by_id[sid]
    ends = (sh.origin, sh.destination)
    for place in ends:
        z = prob.place_zone.get(place)
        if z is not None:
            return z
    net = prob.net
    for place in ends:
        z = net.node_zone.get(net.place_node[place])
        if z is not None:
            return z
    return OPEN


def split(prob: Problem, size: int = PART_SHIPMENTS) -> list[Part]:
    """The parts of a day: zones, then time bands of at most ``size`` shipments.

    Parameters
    ----------
    prob
        The whole day's problem (:func:`~relayroute.itineraries.build_problem`).
    size
        Shipments of a part at most.

    Returns
    -------
    list of Part
        In a fixed order (zone, then band); every servable shipment is in exactly one,
        every truck in at most one (a truck eligible for no part's work is left out).
    """
    given = prob.given
    servable = [s.id for s in given.shipments if s.id in prob.ways]
    groups: dict[str, list[str]] = defaultdict(list)
    for sid in servable:
        groups[_zone_of(prob, sid)].append(sid)
    ships = given.shipments_by_id
    bands: list[tuple[str, list[str]]] = []
    for zone in sorted(groups):
        sids = sorted(groups[zone], key=lambda s: (ships[s].ready, s))
        k = max(1, math.ceil(len(sids) / size))
        step = len(sids) / k
        for b in range(k):
            chunk = sids[round(b * step) : round((b + 1) * step)]
            bands.append((f"{zone}/{b + 1}" if k > 1 else zone, chunk))
    trucks = _share_trucks(prob, [sids for _, sids in bands])
    pools = _share_pools(prob, [sids for _, sids in bands], trucks)
    return [
        Part(key, tuple(sids), tuple(trucks[i]), tuple(sorted(pools[i].items())))
        for i, (key, sids) in enumerate(bands)
    ]


def _eligible_trucks(prob: Problem, sid: str, truck_of: np.ndarray) -> np.ndarray:
    """Indices (into ``prob.inst.trucks``) of the trucks that may carry some part of one
    of ``sid``'s ways; ``truck_of`` maps a vehicle to its truck's index."""
    legs = [
        np.asarray(prob.eligible.get(leg, []), dtype=np.int64)
        for w in prob.ways.get(sid, [])
        for leg in w.parts
    ]
    if not legs:
        return np.empty(0, dtype=np.int64)
    return np.unique(truck_of[np.concatenate(legs)])


def _largest_remainder(weights_: list[float], total: int) -> list[int]:
    """``total`` shared in proportion to ``weights_`` (largest remainders)."""
    s = sum(weights_)
    if s <= 0 or total <= 0:
        return [0] * len(weights_)
    raw = [w * total / s for w in weights_]
    out = [math.floor(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))[: total - sum(out)]:
        out[i] += 1
    return out


def _share_trucks(prob: Problem, parts: list[list[str]]) -> list[list[str]]:
    """Each truck to one part: quotas in proportion to the parts' shipments; the trucks
    with the fewest parts to choose from first, each to a part still below its quota
    where its work is scarcest (its shipments there have the fewest other trucks),
    else to that part anyway."""
    ids = [t.id for t in prob.inst.trucks]
    index = {t: k for k, t in enumerate(ids)}
    truck_of = np.asarray([index[v.truck] for v in prob.vehicles], dtype=np.int64)
    # value[t, i]: truck t's share of part i's work (1 / the trucks able, a shipment).
    grid = np.zeros((len(ids), len(parts)))
    for i, sids in enumerate(parts):
        for sid in sids:
            able = _eligible_trucks(prob, sid, truck_of)
            if able.size:
                grid[able, i] += 1.0 / able.size
    value = {
        ids[t]: {int(i): float(grid[t, i]) for i in np.flatnonzero(grid[t])}
        for t in np.flatnonzero(grid.any(axis=1))
    }
    trucks = [t.id for t in prob.inst.trucks if t.id in value]
    quota = _largest_remainder([float(len(s)) for s in parts], len(trucks))
    given = [0] * len(parts)
    out: list[list[str]] = [[] for _ in parts]
    for t in sorted(trucks, key=lambda t: (len(value[t]), t)):
        mine = value[t]
        i = min(mine, key=lambda i: (given[i] >= quota[i], -mine[i], i))
        given[i] += 1
        out[i].append(t)
    order = {t.id: k for k, t in enumerate(prob.inst.trucks)}
    return [sorted(ts, key=order.__getitem__) for ts in out]


def _share_pools(
    prob: Problem, parts: list[list[str]], trucks: list[list[str]]
) -> list[dict[str, int]]:
    """Driver pools shared among the parts: a loop pool among the parts with work in
    its zone, in proportion to their shipments of the zone ready within the pool's
    shift; an outside pool in proportion to the part's trucks that take their drivers
    from it (never more than those trucks)."""
    pool_of = {t.id: t.driver_pool for t in prob.inst.trucks}
    ships = prob.given.shipments_by_id
    zones = [[_zone_of(prob, s) for s in sids] for sids in parts]
    out: list[dict[str, int]] = [{} for _ in parts]
    for pool in prob.given.driver_pools:
        if pool.kind == "loop":
            lo, hi = pool.shift[0], pool.shift[1]
            share = [
                float(
                    sum(
                        1
                        for s, z in zip(sids, zs, strict=True)
                        if z == pool.zone and lo <= ships[s].ready <= hi
                    )
                )
                for sids, zs in zip(parts, zones, strict=True)
            ]
            if not any(share):  # no ready time in the shift: by the zone's work alone
                share = [float(sum(z == pool.zone for z in zs)) for zs in zones]
        else:
            share = [float(sum(pool_of[t] == pool.id for t in ts)) for ts in trucks]
        total = pool.count if pool.kind == "loop" else min(pool.count, round(sum(share)))
        for i, k in enumerate(_largest_remainder(share, total)):
            out[i][pool.id] = k
    return out


def restrict(prob: Problem, part: Part) -> Problem:
    """The day's problem cut down to one part: its shipments (with their legs), trucks
    and driver counts; the network, travel tables and vehicles are the day's.

    A shipment none of whose ways the part's trucks can carry whole is left out of the
    part (the plan-wide repair may still place it).
    """
    inst, given = prob.inst, prob.given
    trucks = set(part.trucks)
    counts = dict(part.pools)
    keep_v = [v for v, veh in enumerate(prob.vehicles) if veh.truck in trucks]
    renum = {v: k for k, v in enumerate(keep_v)}
    owners = set(part.shipments)
    legs = [s.id for s in inst.shipments if prob.owner(s.id) in owners]
    eligible = {
        sid: [renum[v] for v in prob.eligible[sid] if v in renum]
        for sid in legs
        if sid in prob.eligible
    }
    eligible = {sid: vs for sid, vs in eligible.items() if vs}

    def carried(way: Way) -> bool:
        return all(leg in eligible for leg in way.parts)

    ways = {s: [w for w in prob.ways[s] if carried(w)] for s in part.shipments if s in prob.ways}
    ways = {s: ws for s, ws in ways.items() if ws}
    kept_legs = {leg for ws in ways.values() for w in ws for leg in w.parts}
    spare = {s: [w for w in prob.spare[s] if carried(w)] for s in ways if prob.spare.get(s)}
    spare = {s: ws for s, ws in spare.items() if ws}
    kept_legs |= {leg for ws in spare.values() for w in ws for leg in w.parts}
    kept_legs |= {s for s in part.shipments if s in ways}
    leg_set = set(legs)

    def cut(i: Any) -> Any:
        pools = [p.model_copy(update={"count": counts.get(p.id, 0)}) for p in i.driver_pools]
        return i.model_copy(
            update={
                "shipments": [s for s in i.shipments if s.id in leg_set],
                "trucks": [t for t in i.trucks if t.id in trucks],
                "driver_pools": pools,
            }
        )

    sub_inst = cut(inst)
    return replace(
        prob,
        inst=sub_inst,
        original=cut(given) if prob.original is not None else None,
        vehicles=[prob.vehicles[v] for v in keep_v],
        itinerary={s: x for s, x in prob.itinerary.items() if s in leg_set},
        eligible={s: vs for s, vs in eligible.items() if s in kept_legs},
        unserved={s: r for s, r in prob.unserved.items() if s in owners},
        duty={t: d for t, d in prob.duty.items() if t in trucks},
        solo={s: x for s, x in prob.solo.items() if s in leg_set},
        ways=ways,
        parent={k: v for k, v in prob.parent.items() if k in leg_set},
        way_of={k: v for k, v in prob.way_of.items() if k in leg_set},
        spare=spare,
    )


@dataclass(frozen=True)
class PartJob:
    """What a worker needs to solve one part (pickled to it)."""

    key: str
    # The part's problem, pickled once in the parent and sent as bytes to both of its
    # runs (on the 10,000-shipment Yiwu day pickling the 21 parts took 12 s each time).
    problem: bytes
    config: SolverConfig
    seconds: float
    engine: Literal["greedy", "routing"]

    @property
    def prob(self) -> Problem:
        """The part's problem."""
        out: Problem = pickle.loads(self.problem)
        return out


def solve_part(job: PartJob) -> PartResult:
    """Solve one part: the dispatcher alone, or the pipeline's optimising run.

    Parameters
    ----------
    job
        The part's problem, the configuration and its seconds.

    Returns
    -------
    PartResult
    """
    # The pipeline's run, its steps and statistics: the same search a whole day gets.
    from relayroute.solve.pipeline import Statistics, Timing, _Run

    t0 = time.perf_counter()
    prob = job.prob
    given = [s.id for s in prob.inst.shipments]
    w = weights(prob.given, job.config)
    stats = Statistics()
    if job.engine == "greedy":
        trips, dropped = greedy(prob, deadline=t0 + job.seconds)
        timing = Timing(trips, dropped, prob)
        stats.status = "dispatched"
    else:
        budget = Budget.from_now(job.seconds, t0)
        try:
            timing = _Run(prob, job.config, w, budget, stats, None, None).optimise()
        finally:
            reset()
    final = timing.prob
    ships = final.inst.shipments_by_id
    return PartResult(
        key=job.key,
        trips=timing.trips,
        dropped=timing.dropped,
        shipments={sid: ships[sid] for sid in given},
        ways=dict(final.ways),
        spare=dict(final.spare),
        seconds=time.perf_counter() - t0,
        status=stats.status,
        solutions=stats.solutions,
    )


class Runner:
    """Where the parts run, opened once for a whole run (a context manager).

    Parameters
    ----------
    executor
        ``processes`` (local worker processes, the default), ``inline`` (one after the
        other in this process), or ``dask`` (a local Dask cluster of worker processes,
        or the cluster at ``scheduler``).
    workers
        Local processes (default: the CPUs).
    scheduler
        A Dask scheduler's address (``tcp://host:8786``): the parts go to that cluster.

    Raises
    ------
    InputError
        No Dask scheduler answers at ``scheduler``, or ``distributed`` is missing.
    """

    def __init__(
        self, executor: str = "processes", workers: int | None = None, scheduler: str | None = None
    ) -> None:
        self.kind = "dask" if scheduler is not None else executor
        if self.kind not in ("processes", "inline", "dask"):
            raise InputError("executor", f"one of processes, inline, dask; got {executor!r}")
        self.workers = 1 if self.kind == "inline" else max(1, workers or os.cpu_count() or 1)
        self.scheduler = scheduler
        self._stack = ExitStack()
        self._client: Any = None
        self._pool: Any = None

    def __enter__(self) -> Self:
        if self.kind == "dask":
            self._client = self._stack.enter_context(self._dask())
        elif self.kind == "processes" and self.workers > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # A fresh small process for each part, forked from a server that has only
            # imported the solver: a fork of this process would carry the whole day's
            # problem along, and a reused worker keeps the memory of its last model
            # (measured on the 5,000-shipment Yiwu day: 1.8 GB a worker).
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["relayroute.solve.decompose", "relayroute.solve.pipeline"])
            self._pool = self._stack.enter_context(
                ProcessPoolExecutor(self.workers, mp_context=ctx, max_tasks_per_child=1)
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _dask(self) -> Any:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InputError(
                "--scheduler", "needs the dask extra: pip install -e '.[dask]'"
            ) from None
        if self.scheduler is None:
            cluster = self._stack.enter_context(
                LocalCluster(
                    n_workers=self.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
            )
            return Client(cluster)
        try:
            return Client(self.scheduler, timeout=DASK_CONNECT_SECONDS)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                "--scheduler",
                f"no Dask scheduler answers at {self.scheduler} ({exc}); start one with "
                "`dask scheduler` and workers with `dask worker ADDRESS` (README: Comparing "
                "on a Dask cluster)",
            ) from None

    def map(
        self,
        jobs: list[PartJob],
        deadline: float | None = None,
        fallback: list[PartResult] | None = None,
    ) -> list[PartResult]:
        """Solve every part; results in the order of ``jobs``.

        Parameters
        ----------
        jobs
            The parts.
        deadline
            A ``time.perf_counter`` time: a part not back by then is given up (its worker
            process stopped) and ``fallback``'s result for it is taken instead.
        fallback
            A result for each job, to take for a part given up.
        """
        if deadline is None or fallback is None:
            deadline, fallback = None, None
        if self._client is not None:
            return self._map_dask(jobs, deadline, fallback)
        if self._pool is not None and len(jobs) > 1:
            return self._map_pool(jobs, deadline, fallback)
        out = []
        for k, job in enumerate(jobs):
            late = deadline is not None and time.perf_counter() > deadline
            out.append(fallback[k] if late and fallback is not None else solve_part(job))
        return out

    def _map_pool(
        self, jobs: list[PartJob], deadline: float | None, fallback: list[PartResult] | None
    ) -> list[PartResult]:
        from concurrent.futures import wait

        futures = [self._pool.submit(solve_part, j) for j in jobs]
        timeout = None if deadline is None else max(0.0, deadline - time.perf_counter())
        _, late = wait(futures, timeout=timeout)
        if late:
            for fut in late:
                fut.cancel()
            # The pool has no public way to end a running part: its workers are stopped
            # (each worker runs one part and ends, so no other part is lost).
            for proc in list((getattr(self._pool, "_processes", None) or {}).values()):
                proc.kill()
        assert fallback is not None or not late
        return [
            fallback[k] if fut in late and fallback is not None else fut.result()
            for k, fut in enumerate(futures)
        ]

    def _map_dask(
        self, jobs: list[PartJob], deadline: float | None, fallback: list[PartResult] | None
    ) -> list[PartResult]:
        from distributed import wait

        futures = self._client.map(solve_part, jobs, pure=False)
        timeout = None if deadline is None else max(0.0, deadline - time.perf_counter())
        with suppress(TimeoutError):
            wait(futures, timeout=timeout)
        late = [f for f in futures if not f.done()]
        if late:
            self._client.cancel(late)
        return [
            fallback[k] if not f.done() and fallback is not None else f.result()
            for k, f in enumerate(futures)
        ]


def merged_problem(prob: Problem, results: list[PartResult]) -> Problem:
    """The day's problem with each part's shipments and ways as its run left them."""
    changed: dict[str, Shipment] = {}
    ways = dict(prob.ways)
    spare = dict(prob.spare)
    for r in results:
        changed.update(r.shipments)
        ways.update(r.ways)
        for s in r.ways:
            if s in r.spare:
                spare[s] = r.spare[s]
            else:
                spare.pop(s, None)
    inst = prob.inst
    shipments = [changed.get(s.id, s) for s in inst.shipments]
    return replace(
        prob, inst=inst.model_copy(update={"shipments": shipments}), ways=ways, spare=spare
    )


def _over_trains(prob: Problem, trips: list[Timed]) -> set[str]:
    """Shipments whose rail way rides a departure booked over its capacity by the parts
    together: the lowest priority (then latest due) given up first."""
    services = {s.id: s for s in prob.inst.rail_services}
    if not services:
        return set()
    ships = prob.given.shipments_by_id
    served = served_ways(prob, trips)
    riding: dict[tuple[str, float], list[str]] = defaultdict(list)
    for sid, legs in served.items():
        way = prob.way_of.get(legs[0])
        if way is not None and way.kind == "rail":
            riding[(str(way.service), float(way.departure or 0.0))].append(sid)
    out: set[str] = set()
    for (svc, _), sids in riding.items():
        cap = services[svc].capacity
        used: Counter[str] = Counter()
        for sid in sorted(sids, key=lambda s: (-ships[s].priority, ships[s].due, s)):
            q = ships[sid].quantity
            if any(used[d] + x > cap.get(d, 0.0) + 1e-9 for d, x in q.items()):
                out.add(sid)
                continue
            used.update(q)
    return out


def _handovers(tt: Timed) -> list[tuple[float, float, str]]:
    """A trip's handovers: (start, end, station)."""
    return [
        (tt.times.start[i], tt.times.start[i] + s.service, s.station)
        for i, s in enumerate(tt.trip.stops)
        if s.kind == "handover" and s.station is not None
    ]


def bay_order(
    prob: Problem, timed: list[Timed], tries: int | None = None, deadline: float | None = None
) -> list[Timed] | None:
    """The trips in an order in which booking each one's handovers on the first free bay
    finds a bay for every handover; None if none was found in ``tries`` orders (or by
    ``deadline``).

    :func:`~relayroute.solve.greedy.insert_dropped` books the plan's bays trip by trip,
    each handover on the first free bay, and puts nothing back when one finds none. A
    valid plan-wide timing never has more handovers at once than bays, but booked in
    the order of the trips a trip with two handovers can take a bay that a handover
    starting earlier needed (on the Yiwu 2,000 day none of the 674 shipments left out
    went back in). Trips are taken by their first handover; a trip whose handover finds
    no bay is moved to the front and the booking starts again.

    Parameters
    ----------
    prob
        The problem the trips are timed in (its stations' bays).
    timed
        The timed trips.
    tries
        Orders tried at most (default: twice the trips, plus 10).
    deadline
        A ``time.perf_counter`` time after which no other order is tried.

    Returns
    -------
    list of Timed or None
        The same trips, reordered.
    """
    hs = [_handovers(tt) for tt in timed]
    order = sorted(
        range(len(timed)), key=lambda k: (min((h[0] for h in hs[k]), default=math.inf), k)
    )
    stations = [st for sts in prob.swap_stations.values() for st in sts]
    for _ in range(2 * len(timed) + 10 if tries is None else tries):
        if deadline is not None and time.perf_counter() > deadline:
            break
        bays = {st.id: [Calendar() for _ in range(st.bays)] for st in stations}
        bad = None
        for k in order:
            for a, b, station in hs[k]:
                cal = next((c for c in bays[station] if c.free(a, b)), None)
                if cal is None:
                    bad = k
                    break
                cal.book(a, b)
            if bad is not None:
                break
        if bad is None:
            return [timed[k] for k in order]
        order.remove(bad)
        order.insert(0, bad)
    return None


def merge(
    prob: Problem, results: list[PartResult], deadline: float | None = None
) -> tuple[Problem, list[Timed], dict[str, Reason], dict[str, int]]:
    """All parts' routes as one plan-wide timing: the shared resources restored.

    Parameters
    ----------
    prob
        The whole day's problem.
    results
        The parts' results.
    deadline
        A ``time.perf_counter`` time after which nothing more is put in again.

    Returns
    -------
    tuple
        The merged problem, its timed trips, what is left out with its reason, and
        counts of what the repair did (``retimed_out``: shipments the plan-wide timing
        took off, ``trains``: rail ways given up for a full train, ``put_back``: left-out
        shipments put back in, ``bays_booked``: 1 if the trips' bays could be booked in
        some order, so that shipments could be put back).
    """
    merged = merged_problem(prob, results)
    index = {veh: v for v, veh in enumerate(merged.vehicles)}
    trips = [tt for r in results for tt in r.trips]
    gone = _over_trains(merged, trips)
    gone_legs = {leg for s in gone for leg in served_ways(merged, trips).get(s, [s])}
    routes: dict[int, list[Visit]] = {}
    departs: dict[int, float] = {}
    for tt in trips:
        v = index[tt.trip.vehicle]
        visits = [
            Visit("pickup" if s.kind == "pickup" else "delivery", s.shipment)
            for s in tt.trip.stops
            if s.visit is not None and s.shipment is not None and s.shipment not in gone_legs
        ]
        if visits:
            routes[v], departs[v] = visits, tt.times.start[0]
    before = set(served_ways(merged, trips)) - gone
    timed, dropped = time_routes(merged, routes, departs)
    timed, dropped = complete_ways(merged, timed, dropped)
    reasons: dict[str, Reason] = {}
    for r in results:
        reasons.update(r.dropped)
    reasons.update(dropped)
    done = served_ways(merged, timed)
    missing = {
        s: reasons.get(s, UNROUTED) for s in merged.ways if s not in done and s in merged.eligible
    }
    out_before = len(missing)
    # Put back in the order of the bays' bookings (see bay_order); as timed otherwise.
    ordered = bay_order(merged, timed, deadline=deadline)
    timed, still = insert_dropped(merged, ordered or timed, missing, deadline)
    left = {**{k: v for k, v in reasons.items() if k not in missing}, **still}
    counts = {
        "retimed_out": len(before - set(done)),
        "trains": len(gone),
        "put_back": out_before - len(still),
        "bays_booked": int(ordered is not None),
    }
    return merged, timed, left, counts


def solve(
    loaded: LoadedInstance,
    config: SolverConfig,
    *,
    time_limit: float | None = None,
    problem: Problem | None = None,
    started: float | None = None,
    on_phase: Callable[[str, float | None], None] | None = None,
    executor: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    size: int = PART_SHIPMENTS,
) -> Plan:
    """Plan one day part by part (see the module's description).

    Parameters
    ----------
    loaded
        The instance.
    config
        Search configuration; each part is searched with it.
    time_limit
        Seconds for the whole run; overrides the configuration's.
    problem
        A problem already built for the instance.
    started
        When the run's clock started (``time.perf_counter``; now when omitted).
    on_phase
        Called as each step starts (``build``, ``greedy``: the parts' dispatcher plans,
        ``routing``: the parts' optimising runs, ``fill``: the plan-wide repair) with
        the objective of the best plan so far (None before there is one).
    executor, workers, scheduler
        Where the parts run (:func:`run_parts`).
    size
        Shipments of a part at most.

    Returns
    -------
    Plan
        The better of the two repaired plans (the parts' dispatcher plans, the parts'
        optimised plans); the parts and the repair's counts in its ``solver`` block.
    """
    limit = time_limit if time_limit is not None else config.time_limit
    budget = Budget.from_now(limit, started)
    stats = DecomposeStats(executor="dask" if scheduler else executor)

    def step(name: str, best: float | None = None) -> float:
        if on_phase is not None:
            on_phase(name, best)
        return time.perf_counter()

    def took(name: str, since: float) -> None:
        stats.phases[name] = stats.phases.get(name, 0.0) + time.perf_counter() - since

    with Runner(executor, workers, scheduler) as runner:
        return _solve(
            loaded, config, limit, time_limit, budget, stats, runner, problem, size, step, took
        )


def _solve(
    loaded: LoadedInstance,
    config: SolverConfig,
    limit: float,
    time_limit: float | None,
    budget: Budget,
    stats: DecomposeStats,
    runner: Runner,
    problem: Problem | None,
    size: int,
    step: Callable[..., float],
    took: Callable[[str, float], None],
) -> Plan:
    tick = step("build")
    prob = problem or build_problem(
        loaded.instance,
        loaded.base,
        station_choices=config.station_choices,
        deadline=budget.deadline(0.4),
        stop=stop_requested,
    )
    w = weights(loaded.instance, config)
    parts = split(prob, size)
    subs = [pickle.dumps(restrict(prob, p), protocol=pickle.HIGHEST_PROTOCOL) for p in parts]
    took("build", tick)
    # The parts' dispatcher plans, repaired: the first valid plan.
    tick = step("greedy")
    rounds = math.ceil(len(parts) / min(len(parts), runner.workers))
    greedy_each = max(1.0, budget.left() * 0.3 / rounds)
    jobs = [
        PartJob(p.key, sp, config, greedy_each, "greedy") for p, sp in zip(parts, subs, strict=True)
    ]
    floor_results = runner.map(jobs)
    took("greedy", tick)
    tick = step("fill")
    merge_time = max(2.0, MERGE_SHARE * limit)
    fill_by = budget.deadline() - budget.reserve() / 2
    mp, trips, dropped, counts = merge(prob, floor_results, fill_by)
    took("fill", tick)
    best = (score(mp, trips, w), mp, trips, dropped, floor_results, counts, "dispatcher")
    stats.scores["dispatcher"] = round(best[0], 3)
    stats.first_plan = budget.elapsed()
    # The parts' optimising runs in the time left, then the same repair.
    left = budget.left() - merge_time - budget.reserve()
    per_part = left / rounds
    results: list[PartResult] | None = None
    if config.engine == "routing" and per_part >= 2.0 and not stop_requested():
        tick = step("routing", best[0])
        jobs = [
            PartJob(p.key, sp, config, per_part, "routing")
            for p, sp in zip(parts, subs, strict=True)
        ]
        # A part not back by the time the repair must start keeps its dispatcher plan.
        results = runner.map(
            jobs, budget.start + limit - merge_time - budget.reserve(), floor_results
        )
        took("routing", tick)
        tick = step("fill", best[0])
        mp2, trips2, dropped2, counts2 = merge(prob, results, fill_by)
        took("fill", tick)
        value = score(mp2, trips2, w)
        stats.scores["routing"] = round(value, 3)
        if value < best[0]:
            best = (value, mp2, trips2, dropped2, results, counts2, "routing")
    _, mp, trips, dropped, _parts, counts, stats.kept = best
    stats.repair = counts
    # CP-SAT re-times the whole day's trips around the shared resources in the time left,
    # on days it can still take whole.
    left = budget.deadline() - budget.reserve() - time.perf_counter()
    if (
        0 < len(trips) <= SCHEDULE_TRIPS
        and w["delay"] > 0
        and config.schedule_deterministic_time > 0
        and left > 1.0
        and not stop_requested()
    ):
        tick = step("schedule", best[0])
        out = improve(
            mp,
            trips,
            w,
            left,
            deterministic_time=config.schedule_deterministic_time,
            workers=config.schedule_workers,
            seed=config.seed,
        )
        took("schedule", tick)
        stats.schedule = out.status
        if out.objective is not None and score(mp, out.timed, w) < score(mp, trips, w):
            trips = out.timed
    by_key = {r.key: r for r in (results or floor_results)}
    stats.parts = [
        {
            "key": p.key,
            "shipments": len(p.shipments),
            "trucks": len(p.trucks),
            "seconds": round(by_key[p.key].seconds, 3),
            "status": by_key[p.key].status,
            "solutions": by_key[p.key].solutions,
        }
        for p in parts
    ]
    reset()
    block = _solver_block(config, time_limit, stats)
    return build_plan(
        mp,
        trips,
        dropped,
        block,
        w,
        loaded.sha256,
        delay_lower_bound(mp),
        budget.elapsed(),
    )


def plan_day(
    loaded: LoadedInstance,
    config: SolverConfig | None = None,
    *,
    time_limit: float | None = None,
    on_solution: Callable[[float, float], None] | None = None,
    started: float | None = None,
    on_phase: Callable[[str, float | None], None] | None = None,
    scheduler: str | None = None,
) -> Plan:
    """Plan a day whole or part by part, as ``config.decompose`` says for its size.

    What ``relayroute solve`` calls: :func:`solve` (part by part) when :func:`wanted`,
    else the whole-day :func:`relayroute.solve.pipeline.solve`.

    Parameters
    ----------
    loaded, config, time_limit, on_solution, started, on_phase
        As :func:`relayroute.solve.pipeline.solve` (``on_solution`` is only called on a
        whole day: the parts' searches run in other processes).
    scheduler
        A Dask scheduler's address: a decomposed day's parts run on that cluster.

    Raises
    ------
    InputError
        ``scheduler`` is given for a day that is not cut into parts.
    """
    from relayroute.solve.config import SolverConfig
    from relayroute.solve.pipeline import solve as whole

    config = config or SolverConfig()
    if wanted(len(loaded.instance.shipments), config):
        return solve(
            loaded,
            config,
            time_limit=time_limit,
            started=started,
            on_phase=on_phase,
            scheduler=scheduler,
        )
    if scheduler is not None:
        raise InputError("--scheduler", "runs the parts of a decomposed day; add --decompose zone")
    return whole(
        loaded,
        config,
        time_limit=time_limit,
        on_solution=on_solution,
        on_phase=on_phase,
        started=started,
    )


def _solver_block(
    config: SolverConfig, time_limit: float | None, stats: DecomposeStats
) -> dict[str, object]:
    """The plan's ``solver`` block: the configuration, then what the decomposition did;
    wall-clock figures last (they differ run to run)."""
    out: dict[str, object] = config.model_dump()
    if time_limit is not None:
        out["time_limit"] = time_limit
    out["status"] = "decomposed"
    out["decomposition"] = {
        "kept": stats.kept,
        "repair": stats.repair,
        "scores": stats.scores,
        "schedule_status": stats.schedule,
        "parts": [{k: v for k, v in p.items() if k != "seconds"} for p in stats.parts],
    }
    out["phases"] = {k: round(v, 3) for k, v in stats.phases.items()}
    out["speed"] = {
        "first_plan": None if stats.first_plan is None else round(stats.first_plan, 3),
        "part_seconds": [p["seconds"] for p in stats.parts],
        "executor": stats.executor,
    }
    return out

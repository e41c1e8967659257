"""Timing the trucks' trips with CP-SAT, around shared resources.

The routing model fixes which truck serves which stops in which order, with relay
handovers on the truck's own route ("swap the driver, keep the truck"). What it cannot
see well is time shared between routes: a station's bays, its loop drivers and a
checkpoint's throughput (OR-Tools tracker #1288, #2135, #813: cumul constraints across
routes and cumulative resources inside the routing search are slow and fragile). So the
trip order is kept and the times are decided here, exactly:

- every stop start and checkpoint inspection is a variable; legs take their driving time
  (rounded up to a tenth of a minute) and any waiting;
- site, station and checkpoint hours; ready times, deadlines, truck hours and duty;
- each excursion (handover in → handover out) is assigned one named loop driver of its
  station: no-overlap per driver, within shift and max duty;
- handovers share the station's bays (cumulative); inspections at a checkpoint with an
  hourly throughput are spaced ``60 / throughput`` minutes apart (no-overlap);
- minimise Σ priority x delay, then loop drivers called in, then outside duty.

The dispatcher's timing (:func:`relayroute.solve.timing.dispatch.dispatch`) is a feasible
first solution and the hint, so CP-SAT only ever improves on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from relayroute.itineraries.trips import Times
from relayroute.solve.stop import on_stop
from relayroute.solve.timing.dispatch import Timed, lane_gap, loop_drivers

if TYPE_CHECKING:
    from relayroute.itineraries.problem import Problem

UNIT = 10  # CP-SAT time units per minute
DELAY_COST = 1000  # objective units per priority-weighted minute late
DUTY_COST = 1  # per time unit of a truck's day: only breaks ties


@dataclass
class ScheduleResult:
    """A re-timing: the trips, CP-SAT's status and time, and its objective (None: CP-SAT
    found no timing, ``timed`` is the one given)."""

    timed: list[Timed]
    status: str
    seconds: float
    objective: float | None


def _up(x: float) -> int:
    return math.ceil(x * UNIT - 1e-6)


def _down(x: float) -> int:
    return math.floor(x * UNIT + 1e-6)


def _domain(hours: list[tuple[float, float]], length: float, horizon: int) -> cp_model.Domain:
    if not hours:
        return cp_model.Domain(0, horizon)
    spans = [[_up(a), _down(b) - _up(length)] for a, b in sorted(hours)]
    spans = [s for s in spans if s[0] <= s[1]]
    return cp_model.Domain.from_intervals(spans) if spans else cp_model.Domain(1, 0)


# An excursion of trip k from handover stop a to b: (k, a, b, start var, end var).
Excursion = tuple[int, int, int, cp_model.IntVar, cp_model.IntVar]


@dataclass
class _Model:
    """The CP-SAT model as it is built, trip by trip, then resource by resource."""

    m: cp_model.CpModel
    horizon: int
    starts: list[list[cp_model.IntVar]] = field(default_factory=list)
    inspects: list[list[list[cp_model.IntVar]]] = field(default_factory=list)
    objective: list[cp_model.LinearExprT] = field(default_factory=list)
    handovers: dict[str, list[tuple[cp_model.IntervalVar, int]]] = field(default_factory=dict)
    lanes: dict[str, list[cp_model.IntervalVar]] = field(default_factory=dict)
    excursions: dict[str, list[Excursion]] = field(default_factory=dict)
    hint_start: list[list[int]] = field(default_factory=list)
    # (trip, handover-in stop) -> loop driver -> "this driver takes the excursion"
    assign: dict[tuple[int, int], dict[str, cp_model.IntVar]] = field(default_factory=dict)


def improve(
    prob: Problem,
    timed: list[Timed],
    weights: dict[str, float],
    time_limit: float,
    deterministic_time: float | None = None,
    workers: int = 1,
    seed: int = 0,
) -> ScheduleResult:
    """Re-time ``timed`` trips optimally (or as well as ``time_limit`` allows).

    Parameters
    ----------
    prob
        The problem.
    timed
        Trips with a feasible timing (the dispatcher's), used as the hint and fallback.
    weights
        Objective weights (``delay``, ``loop_driver``).
    time_limit
        Seconds for CP-SAT.
    deterministic_time
        Cap on CP-SAT's deterministic time (reproducible across machines).
    workers
        CP-SAT search workers.
    seed
        CP-SAT random seed.

    Returns
    -------
    ScheduleResult
        The better of CP-SAT's and the given timing.
    """
    b = _Model(cp_model.CpModel(), _up(3 * prob.inst.horizon))
    for k, tt in enumerate(timed):
        _trip(prob, b, k, tt, weights)
    _bays_and_lanes(prob, b)
    _loop_drivers(prob, b, timed, weights)
    for k, s in enumerate(b.starts):
        for var, hs in zip(s, b.hint_start[k]):
            b.m.add_hint(var, hs)
        for row, hrow in zip(b.inspects[k], timed[k].times.inspect):
            for var, hx in zip(row, hrow):
                b.m.add_hint(var, _up(hx))
    b.m.minimize(sum(b.objective))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    if deterministic_time:
        solver.parameters.max_deterministic_time = deterministic_time
    solver.parameters.num_workers = workers
    # Not interleave_search: with it CP-SAT 9.15 aborted the whole process here
    # ("Check failed: heuristics.fixed_search != nullptr"). One worker repeats exactly.
    solver.parameters.random_seed = seed
    with on_stop(solver.stop_search):
        status = solver.solve(b.m)
    name = solver.status_name(status)
    seconds = solver.wall_time
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ScheduleResult(timed, name, seconds, None)
    return ScheduleResult(_read(solver, b, timed), name, seconds, solver.objective_value)


def _trip(prob: Problem, b: _Model, k: int, tt: Timed, weights: dict[str, float]) -> None:
    """Trip k's stop and inspection variables: its truck's hours and duty, driving times,
    hours of the places, checkpoints and stations, deadlines and delay, and its bay and
    lane intervals and excursions for the shared resources."""
    m, horizon = b.m, b.horizon
    ships = prob.inst.shipments_by_id
    cps = prob.inst.checkpoints_by_id
    trip, times = tt.trip, tt.times
    lo, hi, duty = prob.duty[trip.vehicle.truck]
    s = [m.new_int_var(0, horizon, f"s{k}_{i}") for i in range(len(trip.stops))]
    b.starts.append(s)
    b.hint_start.append([_up(t) for t in times.start])
    m.add(s[0] >= _up(lo))
    m.add(s[-1] <= _down(hi))
    m.add(s[-1] - s[0] <= _down(duty))
    b.objective.append(DUTY_COST * (s[-1] - s[0]))
    xs: list[list[cp_model.IntVar]] = []
    for i, (leg, stop) in enumerate(zip(trip.legs, trip.stops[1:]), start=1):
        prev = trip.stops[i - 1]
        before = s[i - 1] + _up(prev.service)
        driven = 0.0
        row: list[cp_model.IntVar] = []
        for c in leg.route.crossings:
            x = m.new_int_var(0, horizon, f"x{k}_{i}_{len(row)}")
            m.add(x >= before + _up(c.offset - driven))
            cp = cps[c.checkpoint]
            if cp.hours:
                m.add_linear_expression_in_domain(
                    x, _domain([(a, z) for a, z in cp.hours], 0, horizon)
                )
            if cp.throughput_per_hour is not None:
                gap = _up(lane_gap(cp.throughput_per_hour))
                b.lanes.setdefault(cp.id, []).append(
                    m.new_interval_var(x, gap, x + gap, f"lane{k}_{i}_{len(row)}")
                )
            before = x + _up(c.delay)
            driven = c.offset + c.delay
            row.append(x)
        xs.append(row)
        m.add(s[i] >= before + _up(leg.route.minutes - driven))
        if stop.ready:
            m.add(s[i] >= _up(stop.ready))
        length = stop.service if stop.kind == "handover" else 0.0
        if stop.hours:
            m.add_linear_expression_in_domain(s[i], _domain(stop.hours, length, horizon))
        if stop.kind == "delivery" and stop.shipment is not None:
            sh = ships[stop.shipment]
            end = s[i] + _up(stop.service)
            if sh.deadline is not None:
                m.add(end <= _down(sh.deadline))
            coeff = round(sh.priority * weights["delay"] * DELAY_COST / UNIT)
            if coeff > 0:
                late = m.new_int_var(0, horizon, f"late{k}_{i}")
                m.add(late >= end - round(sh.due * UNIT))
                b.objective.append(coeff * late)
        if stop.kind == "handover" and stop.station is not None:
            dur = _up(stop.service)
            iv = m.new_interval_var(s[i], dur, s[i] + dur, f"bay{k}_{i}")
            b.handovers.setdefault(stop.station, []).append((iv, 1))
    b.inspects.append(xs)
    for a, z in trip.excursions():
        st = trip.stops[a].station
        assert st is not None
        end = m.new_int_var(0, horizon, f"xend{k}_{a}")
        m.add(end == s[z] + _up(trip.stops[z].service))
        b.excursions.setdefault(st, []).append((k, a, z, s[a], end))


def _bays_and_lanes(prob: Problem, b: _Model) -> None:
    """Handovers share their station's bays; inspections at a checkpoint with a
    throughput take its lane one at a time."""
    for st, ivs in b.handovers.items():
        bays = prob.station(st).bays
        if bays == 1:
            b.m.add_no_overlap([iv for iv, _ in ivs])
        else:
            b.m.add_cumulative([iv for iv, _ in ivs], [d for _, d in ivs], bays)
    cps = prob.inst.checkpoints_by_id
    for cid, times in prob.held_inspections.items():
        cp = cps.get(cid)
        if cp is None or cp.throughput_per_hour is None:
            continue
        gap = lane_gap(cp.throughput_per_hour)
        for k, t in enumerate(times):
            # Held already: the model's time units that cover it.
            lo = _down(t)
            b.lanes.setdefault(cid, []).append(
                b.m.new_fixed_size_interval_var(lo, _up(t + gap) - lo, f"held{cid}_{k}")
            )
    for ivs2 in b.lanes.values():
        b.m.add_no_overlap(ivs2)


def _loop_drivers(prob: Problem, b: _Model, timed: list[Timed], weights: dict[str, float]) -> None:
    """Each excursion gets exactly one named loop driver of its station: one excursion at
    a time per driver, within the driver's shift and max duty; each driver called in
    costs ``loop_driver``. The dispatcher's drivers are the hint."""
    m, horizon = b.m, b.horizon
    driver_hint: dict[str, set[tuple[int, int]]] = {}
    for tt_k, tt in enumerate(timed):
        for a, name in tt.drivers.items():
            driver_hint.setdefault(name, set()).add((tt_k, a))
    for st, exs in b.excursions.items():
        drivers = loop_drivers(prob, st)
        per_driver: dict[str, list[cp_model.IntervalVar]] = {d.id: [] for d in drivers}
        dstart = {d.id: m.new_int_var(0, horizon, f"ds_{d.id}") for d in drivers}
        dend = {d.id: m.new_int_var(0, horizon, f"de_{d.id}") for d in drivers}
        used = {d.id: m.new_bool_var(f"used_{d.id}") for d in drivers}
        for k, a, _, sa, end in exs:
            lits = {}
            for d in drivers:
                lit = m.new_bool_var(f"a{k}_{a}_{d.id}")
                lits[d.id] = lit
                size = m.new_int_var(0, horizon, f"sz{k}_{a}_{d.id}")
                per_driver[d.id].append(
                    m.new_optional_interval_var(sa, size, end, lit, f"ex{k}_{a}_{d.id}")
                )
                m.add(sa >= _up(d.shift[0])).only_enforce_if(lit)
                m.add(end <= _down(d.shift[1])).only_enforce_if(lit)
                m.add(dstart[d.id] <= sa).only_enforce_if(lit)
                m.add(dend[d.id] >= end).only_enforce_if(lit)
                m.add_implication(lit, used[d.id])
                if timed[k].times.start:  # trips the dispatcher could not time have no hint
                    m.add_hint(lit, 1 if (k, a) in driver_hint.get(d.id, set()) else 0)
            m.add_exactly_one(lits.values())
            b.assign[(k, a)] = lits
        for d in drivers:
            m.add_no_overlap(per_driver[d.id])
            m.add(dend[d.id] - dstart[d.id] <= _down(d.max_duty))
            m.add_hint(used[d.id], 1 if driver_hint.get(d.id) else 0)
            cost = round(weights["loop_driver"] * DELAY_COST)
            if cost > 0:
                b.objective.append(cost * used[d.id])


def _read(solver: cp_model.CpSolver, b: _Model, timed: list[Timed]) -> list[Timed]:
    """The trips with CP-SAT's times and loop drivers."""
    out: list[Timed] = []
    for k, tt in enumerate(timed):
        trip = tt.trip
        times = Times(
            [solver.value(v) / UNIT for v in b.starts[k]],
            [[solver.value(v) / UNIT for v in row] for row in b.inspects[k]],
        )
        for i, stop in enumerate(trip.stops):
            if stop.kind == "delivery" and stop.shipment is not None:
                times.delivered[stop.shipment] = times.start[i] + stop.service
        chosen = {
            a: next(d for d, lit in b.assign[(k, a)].items() if solver.value(lit))
            for a, _ in trip.excursions()
        }
        out.append(Timed(trip, times, chosen))
    return out

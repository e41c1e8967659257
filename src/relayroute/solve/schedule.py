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
- minimise Σ priority × delay, then loop drivers called in, then outside duty.

The dispatcher's timing (:func:`relayroute.solve.resources.dispatch`) is a feasible
first solution and the hint, so CP-SAT only ever improves on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ortools.sat.python import cp_model

from relayroute.itineraries.problem import Problem
from relayroute.itineraries.trips import Times
from relayroute.solve.resources import Timed, lane_gap, loop_drivers

UNIT = 10  # CP-SAT time units per minute
DELAY_COST = 1000  # objective units per priority-weighted minute late
DUTY_COST = 1  # per time unit of a truck's day: only breaks ties


@dataclass
class ScheduleResult:
    timed: list[Timed]
    status: str
    seconds: float
    objective: float | None


def _up(x: float) -> int:
    return int(math.ceil(x * UNIT - 1e-6))


def _down(x: float) -> int:
    return int(math.floor(x * UNIT + 1e-6))


def _domain(hours: list[tuple[float, float]], length: float, horizon: int) -> cp_model.Domain:
    if not hours:
        return cp_model.Domain(0, horizon)
    spans = [[_up(a), _down(b) - _up(length)] for a, b in sorted(hours)]
    spans = [s for s in spans if s[0] <= s[1]]
    return cp_model.Domain.from_intervals(spans) if spans else cp_model.Domain(1, 0)


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
    inst = prob.inst
    ships = inst.shipments_by_id
    cps = inst.checkpoints_by_id
    horizon = _up(3 * inst.horizon)
    m = cp_model.CpModel()
    starts: list[list[cp_model.IntVar]] = []
    inspects: list[list[list[cp_model.IntVar]]] = []
    objective = []
    handovers: dict[str, list[tuple[cp_model.IntervalVar, int]]] = {}
    lanes: dict[str, list[cp_model.IntervalVar]] = {}
    excursions: dict[str, list[tuple[int, int, int, cp_model.IntVar, cp_model.IntVar]]] = {}
    hint_start: list[list[int]] = []
    for k, tt in enumerate(timed):
        trip, times = tt.trip, tt.times
        lo, hi, duty = prob.duty[trip.vehicle.truck]
        s = [m.new_int_var(0, horizon, f"s{k}_{i}") for i in range(len(trip.stops))]
        starts.append(s)
        hint_start.append([_up(t) for t in times.start])
        m.add(s[0] >= _up(lo))
        m.add(s[-1] <= _down(hi))
        m.add(s[-1] - s[0] <= _down(duty))
        objective.append(DUTY_COST * (s[-1] - s[0]))
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
                        x, _domain([(a, b) for a, b in cp.hours], 0, horizon)
                    )
                if cp.throughput_per_hour is not None:
                    gap = _up(lane_gap(cp.throughput_per_hour))
                    lanes.setdefault(cp.id, []).append(
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
                    objective.append(coeff * late)
            if stop.kind == "handover" and stop.station is not None:
                dur = _up(stop.service)
                iv = m.new_interval_var(s[i], dur, s[i] + dur, f"bay{k}_{i}")
                handovers.setdefault(stop.station, []).append((iv, 1))
        inspects.append(xs)
        for a, b in trip.excursions():
            st = trip.stops[a].station
            assert st is not None
            end = m.new_int_var(0, horizon, f"xend{k}_{a}")
            m.add(end == s[b] + _up(trip.stops[b].service))
            excursions.setdefault(st, []).append((k, a, b, s[a], end))

    for st, ivs in handovers.items():
        bays = prob.station(st).bays
        if bays == 1:
            m.add_no_overlap([iv for iv, _ in ivs])
        else:
            m.add_cumulative([iv for iv, _ in ivs], [d for _, d in ivs], bays)
    for ivs2 in lanes.values():
        m.add_no_overlap(ivs2)

    assign: dict[tuple[int, int], dict[str, cp_model.IntVar]] = {}
    driver_hint: dict[str, set[tuple[int, int]]] = {}
    for tt_k, tt in enumerate(timed):
        for a, name in tt.drivers.items():
            driver_hint.setdefault(name, set()).add((tt_k, a))
    used_hint: dict[str, int] = {}
    for st, exs in excursions.items():
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
            assign[(k, a)] = lits
        for d in drivers:
            m.add_no_overlap(per_driver[d.id])
            m.add(dend[d.id] - dstart[d.id] <= _down(d.max_duty))
            used_hint[d.id] = 1 if driver_hint.get(d.id) else 0
            m.add_hint(used[d.id], used_hint[d.id])
            cost = round(weights["loop_driver"] * DELAY_COST)
            if cost > 0:
                objective.append(cost * used[d.id])

    for k, s in enumerate(starts):
        for var, hs in zip(s, hint_start[k]):
            m.add_hint(var, hs)
        for row, hrow in zip(inspects[k], timed[k].times.inspect):
            for var, hx in zip(row, hrow):
                m.add_hint(var, _up(hx))
    m.minimize(sum(objective))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    if deterministic_time:
        solver.parameters.max_deterministic_time = deterministic_time
    solver.parameters.num_workers = workers
    # Not interleave_search: with it CP-SAT 9.15 aborted the whole process here
    # ("Check failed: heuristics.fixed_search != nullptr"). One worker repeats exactly.
    solver.parameters.random_seed = seed
    status = solver.solve(m)
    name = solver.status_name(status)
    seconds = solver.wall_time
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ScheduleResult(timed, name, seconds, None)
    out: list[Timed] = []
    for k, tt in enumerate(timed):
        trip = tt.trip
        times = Times(
            [solver.value(v) / UNIT for v in starts[k]],
            [[solver.value(v) / UNIT for v in row] for row in inspects[k]],
        )
        for i, stop in enumerate(trip.stops):
            if stop.kind == "delivery" and stop.shipment is not None:
                times.delivered[stop.shipment] = times.start[i] + stop.service
        chosen = {
            a: next(d for d, lit in assign[(k, a)].items() if solver.value(lit))
            for a, _ in trip.excursions()
        }
        out.append(Timed(trip, times, chosen))
    return ScheduleResult(out, name, seconds, solver.objective_value)

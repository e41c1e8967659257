"""The re-plan checks catch a changed past, an early start and a closed object used."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from relayroute.model.events import (
    CheckpointClosed,
    LoopDriversFewer,
    RoadClosed,
    StationClosed,
    TruckBroken,
)
from relayroute.solve import SolverConfig, solve
from relayroute.validate.replan import check_replan, frozen_cut
from relayroute.validate.world import World

if TYPE_CHECKING:
    from relayroute.io.instance import LoadedInstance
    from relayroute.model.events import Event
    from relayroute.model.instance import Instance
    from relayroute.model.plan import Plan

QUICK = SolverConfig(name="quick", solution_limit=60, time_limit=20, schedule_deterministic_time=1)


@pytest.fixture(scope="module")
def old(small: LoadedInstance) -> Plan:
    return solve(small, QUICK)


def _rules(small: LoadedInstance, old: Plan, new: Plan, events: list[Event], at: float) -> set[str]:
    report = check_replan(small.instance, old, new, events, at, small.base)
    return {v.rule for v in report.violations}


def test_the_old_plan_keeps_its_own_past(small: LoadedInstance, old: Plan) -> None:
    """With no event, the old plan itself passes: its past is its past."""
    assert _rules(small, old, old, [], 480) == set()


def test_a_changed_past_is_caught(small: LoadedInstance, old: Plan) -> None:
    """Moving a stop that was served before ``at`` breaks REPLAN (and R2)."""
    new = old.model_copy(deep=True)
    r = next(r for r in new.routes if len(r.stops) > 2)
    at = r.stops[1].depart + 1
    r.stops[1].start += 0.5
    assert "REPLAN" in _rules(small, old, new, [], at)


def test_the_cut_follows_a_loop_driver_back_out(small: LoadedInstance, old: Plan) -> None:
    """A truck with a loop driver at ``at`` is kept until it is back with its own."""
    world = World(small.instance, small.base)
    for r in old.routes:
        for i, s in enumerate(r.stops):
            if s.kind == "handover" and s.driver != r.driver:
                at = r.legs[i].depart + 1  # inside, with the loop driver
                k = frozen_cut(r, at, world)
                assert r.stops[k].driver == r.driver and k > i
                return
    pytest.skip("no excursion in this plan")


def test_a_new_leg_before_at_is_caught(small: LoadedInstance, old: Plan) -> None:
    """A plan whose trucks set out before ``at`` did not re-plan from ``at``."""
    first = min(r.legs[0].depart for r in old.routes)
    # Re-planning at the day's first departure: every truck still home then, so a
    # truck leaving at that minute leaves no earlier than ``at``.
    assert "REPLAN" not in _rules(small, old, old, [], first)
    # A minute later, ``old`` still has that truck leaving at it: fine, it is the past.
    assert "REPLAN" not in _rules(small, old, old, [], first + 1)
    late = [r for r in old.routes if r.legs[0].depart > first + 5]
    if not late:
        pytest.skip("all trucks leave at once")
    at = late[0].legs[0].depart - 1  # before this truck leaves: its day is all future
    new = old.model_copy(deep=True)
    route = next(r for r in new.routes if r.truck == late[0].truck)
    route.legs[0].depart -= 10
    route.stops[0].depart -= 10
    route.stops[0].start -= 10
    route.stops[0].arrive -= 10
    assert "REPLAN" in _rules(small, old, new, [], at)


def test_a_closed_checkpoint_used_after_at_is_caught(small: LoadedInstance, old: Plan) -> None:
    """The old plan itself, told its checkpoint closed before it uses it, fails."""
    used = [
        (c.checkpoint, leg.depart, c.depart)
        for r in old.routes
        for leg in r.legs
        for c in leg.crossings
        if c.direction == "in"  # from outside: not a way out of a zone it is in
    ]
    cp, depart, inspect = max(used, key=lambda x: x[1])
    at = depart - 1  # the leg to it has not left yet
    events = [CheckpointClosed(checkpoint=cp)]
    assert "REPLAN" in _rules(small, old, old, events, at)
    # Closed only after the crossing: not a use.
    later = [CheckpointClosed(checkpoint=cp, window=(inspect + 1, inspect + 60))]
    assert "REPLAN" not in _rules(small, old, old, later, at)


def test_a_closed_station_used_after_at_is_caught(small: LoadedInstance, old: Plan) -> None:
    """A handover at a station closed since ``at`` is a REPLAN violation."""
    hos = [h for h in old.handovers if h.direction == "in"]
    if not hos:
        pytest.skip("no handover in this plan")
    h = max(hos, key=lambda h: h.start)
    r = next(r for r in old.routes if r.truck == h.truck)
    i = next(i for i, s in enumerate(r.stops) if s.kind == "handover" and s.start == h.start)
    at = r.legs[i - 1].depart - 1
    world = World(small.instance, small.base)
    if frozen_cut(r, at, world) >= i:
        pytest.skip("that handover is part of the kept past")
    assert "REPLAN" in _rules(small, old, old, [StationClosed(station=h.station)], at)


def test_a_broken_truck_that_drives_on_is_caught(small: LoadedInstance, old: Plan) -> None:
    """A truck broken down at ``at`` that still drives later roads is caught."""
    r = max(old.routes, key=lambda r: r.legs[-1].depart)
    at = r.legs[0].depart - 1
    assert "REPLAN" in _rules(small, old, old, [TruckBroken(truck=r.truck)], at)


def test_too_many_loop_drivers_after_at_are_caught(small: LoadedInstance, old: Plan) -> None:
    """Loop drivers taking trucks in after ``at`` beyond what is left are counted."""
    ins = [h for h in old.handovers if h.direction == "in"]
    if not ins:
        pytest.skip("no excursion in this plan")
    station = ins[0].station
    at = min(h.start for h in ins) - 30
    drivers = {h.to_driver for h in ins if h.station == station}
    pool = sum(
        p.count for p in small.instance.driver_pools if p.kind == "loop" and p.station == station
    )
    fewer = pool - len(drivers) + 1  # one fewer than the plan uses after ``at``
    events = [LoopDriversFewer(station=station, fewer=fewer)]
    assert "REPLAN" in _rules(small, old, old, events, at)
    if pool - len(drivers) >= 1:
        enough = [LoopDriversFewer(station=station, fewer=pool - len(drivers))]
        assert "REPLAN" not in _rules(small, old, old, enough, at)


def _road_to_a_checkpoint(old: Plan) -> tuple[int, int, int, float]:
    """A leg under way at ``at`` whose checkpoint is reached after ``at``: route, leg and
    crossing index, and ``at``."""
    for ri, r in enumerate(old.routes):
        for li, leg in enumerate(r.legs):
            for ci, c in enumerate(leg.crossings):
                if c.arrive - leg.depart > 2:
                    return ri, li, ci, leg.depart + 1
    pytest.skip("no leg reaches a checkpoint after it leaves")


def test_a_frozen_crossing_of_a_closed_checkpoint_is_caught(
    small: LoadedInstance, old: Plan
) -> None:
    """A truck on its road at ``at`` inspected at a checkpoint closed from ``at``: the
    frozen past does not excuse it."""
    ri, li, ci, at = _road_to_a_checkpoint(old)
    cp = old.routes[ri].legs[li].crossings[ci]
    events = [CheckpointClosed(checkpoint=cp.checkpoint, window=(at, cp.depart + 60))]
    assert "REPLAN" in _rules(small, old, old, events, at)


def test_waiting_at_a_closed_checkpoint_keeps_the_past(small: LoadedInstance, old: Plan) -> None:
    """The same leg waiting at the checkpoint until it opens again, the day later by the
    wait from there on, keeps the past; waiting at an open checkpoint does not."""
    ri, li, ci, at = _road_to_a_checkpoint(old)
    r = old.routes[ri]
    cp = r.legs[li].crossings[ci]
    delay = small.instance.checkpoints_by_id[cp.checkpoint].delay
    hi = cp.depart + 30  # closed until 30 min after the old inspection ended
    wait = hi + delay - cp.depart
    new = old.model_copy(deep=True)
    nr = new.routes[ri]
    leg = nr.legs[li]
    leg.crossings[ci].depart += wait
    for c in leg.crossings[ci + 1 :]:
        c.arrive += wait
        c.depart += wait
    leg.arrive += wait
    leg.minutes += wait
    for s in nr.stops[li + 1 :]:
        s.arrive += wait
        s.start += wait
        s.depart += wait
    for g in nr.legs[li + 1 :]:
        g.depart += wait
        g.arrive += wait
        for c in g.crossings:
            c.arrive += wait
            c.depart += wait
    shut = [CheckpointClosed(checkpoint=cp.checkpoint, window=(at, hi))]
    report = check_replan(small.instance, old, new, shut, at, small.base)
    assert not [v for v in report.violations if v.rule == "REPLAN"], [
        str(v) for v in report.violations
    ]
    assert "REPLAN" in _rules(small, old, new, [], at)  # no closure: not the past


def test_a_closed_road_driven_after_at_is_caught(small: LoadedInstance, old: Plan) -> None:
    """The old plan itself, told a road it drives later was closed: REPLAN names the leg;
    closed only after that leg has arrived, or only before ``at``, it is not caught."""
    r, i, leg = next((r, i, g) for r in old.routes for i, g in enumerate(r.legs) if len(g.path) > 1)
    at = leg.depart  # the leg leaves at ``at``: after it, for the check
    a, b = leg.path[0], leg.path[1]
    shut = RoadClosed(road=(a, b))
    report = check_replan(small.instance, old, old, [shut], at, small.base)
    named = [v for v in report.violations if v.rule == "REPLAN"]
    assert any(v.obj == f"truck {r.truck} leg {i}" and a in v.message for v in named)
    later = RoadClosed(road=(b, a), window=(leg.arrive + 1, leg.arrive + 60))
    report = check_replan(small.instance, old, old, [later], at, small.base)
    assert not any(v.obj == f"truck {r.truck} leg {i}" for v in report.violations)


def test_a_plan_that_ignores_a_zone_closing_is_caught(small: LoadedInstance, old: Plan) -> None:
    """The old plan, judged against its day with the park turned closed-loop at a time
    before a truck drives in, breaks R5 (an outside driver inside a closed-loop zone);
    judged with the change after the last entry it passes: the morning is judged by the
    policy then."""
    from relayroute.model.instance import ZoneChange

    entries = [
        leg.depart
        for r in old.routes
        for leg in r.legs
        if any(c.zone == "park" and c.direction == "in" for c in leg.crossings)
    ]
    assert entries

    def day(at: float) -> Instance:
        zones = [
            z.model_copy(update={"changes": [ZoneChange(at=at, policy="closed_loop")]})
            if z.id == "park"
            else z
            for z in small.instance.zones
        ]
        return small.instance.model_copy(update={"zones": zones})

    report = check_replan(day(min(entries) - 1), old, old, [], min(entries) - 1, small.base)
    assert "R5" in {v.rule for v in report.violations}
    assert check_replan(day(max(entries) + 1), old, old, [], max(entries) + 1, small.base).ok


def test_a_truck_released_to_a_new_stop_at_the_same_place(old: Plan) -> None:
    """A truck on its road at ``at`` to a pickup not begun yet may be released from it
    and start another stop where that road ends (the same road, a new stop): that is a
    release, not a changed past; the same stop again is no release."""
    from relayroute.validate.replan import _released

    r, n = next(
        (r, i)
        for r in old.routes
        for i in range(1, len(r.stops) - 1)
        if r.stops[i].kind == "pickup"
        and r.legs[i - 1].driver == r.driver
        and r.stops[i].start > r.legs[i - 1].depart + 1
    )
    at = r.legs[n - 1].depart + 0.5
    other = r.stops[n].model_copy(update={"shipments": ["S-other"]})
    new = r.model_copy(update={"stops": [*r.stops[:n], other, *r.stops[n + 1 :]]})
    assert _released(r, new, at) == n
    assert _released(r, r, at) is None


def test_a_turn_back_at_a_closed_gate_keeps_the_past(small: LoadedInstance, old: Plan) -> None:
    """A truck on its road at ``at`` to a checkpoint closed for good, turned back at its
    gate by the re-plan, keeps the past; the same turn without the closure, or with the
    road before the gate changed, does not."""
    from relayroute.solve.replan import replan

    ri, li, ci, at = _road_to_a_checkpoint(old)
    r = old.routes[ri]
    shut = [CheckpointClosed(checkpoint=r.legs[li].crossings[ci].checkpoint)]
    done = replan(small, old, shut, at, config=SolverConfig(engine="greedy"))
    nr = next(x for x in done.plan.routes if x.truck == r.truck)
    if nr.legs[li].path == r.legs[li].path:
        pytest.skip("no other way from the gate")
    report = check_replan(done.loaded.instance, old, done.plan, done.events, at, small.base)
    assert not [v for v in report.violations if v.rule == "REPLAN"], [
        str(v) for v in report.violations
    ]
    assert "REPLAN" in _rules(small, old, done.plan, [], at)
    bent = done.plan.model_copy(deep=True)
    leg = next(x for x in bent.routes if x.truck == r.truck).legs[li]
    leg.coords[0] = (leg.coords[0][0] + 0.01, leg.coords[0][1])
    report = check_replan(done.loaded.instance, old, bent, done.events, at, small.base)
    assert "REPLAN" in {v.rule for v in report.violations}

"""R9 (:mod:`relayroute.validate.checkpoints`): each planted fault names exactly its rule."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..validate.test_validate import _changed, _mutate, _rules

if TYPE_CHECKING:
    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Plan


def _used(plan: Plan) -> set[str]:
    """Checkpoints the plan's legs cross at."""
    return {c.checkpoint for r in plan.routes for leg in r.legs for c in leg.crossings}


def test_r9_crossing_without_checkpoint(small: LoadedInstance, small_plan: Plan) -> None:
    """The gate on the way into the permit park becomes a plain way-point at the same spot.

    The path then crosses the park's boundary away from any checkpoint, and the crossing the
    leg lists is not made; its length and times stay as they were.
    """

    def change(p: Plan) -> None:
        leg = next(leg for r in p.routes for leg in r.legs if leg.crossings)
        leg.path = ["way-point" if n.startswith("checkpoint:") else n for n in leg.path]

    assert _rules(small, _mutate(small_plan, change)) == {"R9"}


def test_r9_closed_checkpoint(small: LoadedInstance, small_plan: Plan) -> None:
    """Crossing at a checkpoint the instance marks closed is rejected under R9."""
    used = _used(small_plan)
    assert used, "the fixture plan must cross a checkpoint"
    closed = _changed(small.instance, "checkpoints", lambda c: c.id in used, closed=True)
    assert _rules(small, small_plan, closed) == {"R9"}


def test_r9_checkpoint_hours(small: LoadedInstance, small_plan: Plan) -> None:
    """A crossing outside the checkpoint's opening hours is rejected under R9."""
    used = _used(small_plan)
    night = _changed(small.instance, "checkpoints", lambda c: c.id in used, hours=[(0.0, 60.0)])
    assert _rules(small, small_plan, night) == {"R9"}


def test_r9_no_pass(small: LoadedInstance, small_plan: Plan) -> None:
    """Entering the permit zone with a truck that holds no permit is rejected under R9."""
    no_permits = _changed(small.instance, "trucks", lambda t: True, permits=[])
    assert _rules(small, small_plan, no_permits) == {"R9"}


def test_r9_skipped_inspection(small: LoadedInstance, small_plan: Plan) -> None:
    """Leaving a checkpoint before its inspection delay is over is caught."""

    def change(p: Plan) -> None:
        c = next(c for r in p.routes for leg in r.legs for c in leg.crossings)
        c.depart = c.arrive

    assert _rules(small, _mutate(small_plan, change)) == {"R9"}


def test_r9_pass_not_listed(small: LoadedInstance, small_plan: Plan) -> None:
    """A truck enters the permit park but the plan lists no pass for it."""
    assert small_plan.passes

    def change(p: Plan) -> None:
        p.passes = []

    assert _rules(small, _mutate(small_plan, change)) == {"R9"}


def test_r9_throughput(demo: LoadedInstance, demo_plan: Plan) -> None:
    """A checkpoint allowed fewer inspections an hour than the plan makes there."""
    times: dict[str, list[float]] = {}
    for r in demo_plan.routes:
        for leg in r.legs:
            for c in leg.crossings:
                times.setdefault(c.checkpoint, []).append(c.depart)
    busiest = max(
        times, key=lambda c: max(sum(1 for u in times[c] if t <= u < t + 60) for t in times[c])
    )
    peak = max(sum(1 for u in times[busiest] if t <= u < t + 60) for t in times[busiest])
    assert peak >= 2
    inst = _changed(
        demo.instance, "checkpoints", lambda c: c.id == busiest, throughput_per_hour=peak - 1
    )
    assert _rules(demo, demo_plan, inst) == {"R9"}

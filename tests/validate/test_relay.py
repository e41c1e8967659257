"""The validator names each closed-loop rule (R5-R9) a relay plan breaks.

Each test breaks a solver plan, or the instance under it, in exactly one way and checks
the validator names that rule.
"""

from __future__ import annotations

from collections import Counter

from relayroute.io.instance import LoadedInstance
from relayroute.model.plan import Plan, TruckRoute
from relayroute.validate import validate

from ..validate.test_validate import _changed, _mutate


def _relay_route(p: Plan) -> TruckRoute:
    return next(r for r in p.routes if any(s.kind == "handover" for s in r.stops))


def _rules(loaded: LoadedInstance, plan: Plan, inst=None) -> set[str]:
    return validate(inst or loaded.instance, plan, loaded.base).rules()


def test_fixture_plans_use_relay(small_plan: Plan, demo_plan: Plan) -> None:
    """The fixtures these tests break do hand trucks to loop drivers."""
    for plan in (small_plan, demo_plan):
        assert plan.handovers and plan.loop_drivers
        assert any(leg.driver_kind == "loop" for r in plan.routes for leg in r.legs)


def test_r5_outside_driver_drives_the_excursion(small: LoadedInstance, small_plan: Plan) -> None:
    """The truck's own driver takes it into the closed city instead of a loop driver."""

    def change(p: Plan) -> None:
        r = _relay_route(p)
        for leg in r.legs:
            leg.driver, leg.driver_kind = r.driver, "outside"
        for s in r.stops:
            s.driver = r.driver
        p.handovers = [h for h in p.handovers if h.truck != r.truck]
        p.loop_drivers = []

    assert "R5" in _rules(small, _mutate(small_plan, change))


def test_r6_loop_driver_leaves_its_zone(small: LoadedInstance, small_plan: Plan) -> None:
    """The loop driver keeps the truck after bringing it out and drives it to the depot."""

    def change(p: Plan) -> None:
        r = _relay_route(p)
        out = max(i for i, s in enumerate(r.stops) if s.kind == "handover")
        loop = r.legs[out - 1].driver
        for leg in r.legs[out:]:
            leg.driver, leg.driver_kind = loop, "loop"
        for s in r.stops[out:-1]:
            s.driver = loop

    rules = _rules(small, _mutate(small_plan, change))
    assert "R6" in rules


def test_r6_loop_driver_of_another_zone(small: LoadedInstance, small_plan: Plan) -> None:
    """A loop pool bound to the permit park drives into the closed city: not its zone."""
    pool = next(p for p in small.instance.driver_pools if p.kind == "loop")
    inst = _changed(small.instance, "driver_pools", lambda p: p.id == pool.id, zone="park")
    # The instance checks would refuse this pool; the validator must still catch the plan.
    assert "R6" in _rules(small, small_plan, inst)


def test_r7_short_handover(small: LoadedInstance, small_plan: Plan) -> None:
    """A handover cut to one minute, shorter than the station's handover time."""

    def change(p: Plan) -> None:
        r = _relay_route(p)
        i = next(i for i, s in enumerate(r.stops) if s.kind == "handover")
        s = r.stops[i]
        shift = s.depart - (s.start + 1)
        s.depart -= shift
        r.legs[i].depart -= shift
        r.legs[i].arrive -= shift
        for c in r.legs[i].crossings:
            c.arrive -= shift
            c.depart -= shift
        for h in p.handovers:
            if h.truck == r.truck and h.start == s.start:
                h.end = s.depart

    assert "R7" in _rules(small, _mutate(small_plan, change))


def test_r7_swap_away_from_a_station(small: LoadedInstance, small_plan: Plan) -> None:
    """The truck changes driver at a station that does not offer driver swaps."""
    inst = _changed(
        small.instance, "relay_stations", lambda s: True, driver_swap=False, transload=True
    )
    assert "R7" in _rules(small, small_plan, inst)


def test_r7_handover_not_listed(small: LoadedInstance, small_plan: Plan) -> None:
    """A handover the routes make is missing from the plan's handover list."""

    def change(p: Plan) -> None:
        p.handovers = p.handovers[1:]

    assert "R7" in _rules(small, _mutate(small_plan, change))


def test_r7_more_handovers_than_bays(demo: LoadedInstance, demo_plan: Plan) -> None:
    """A station with fewer bays than the handovers the plan makes there at once."""
    by_station: dict[str, list[tuple[float, float]]] = {}
    for h in demo_plan.handovers:
        by_station.setdefault(h.station, []).append((h.start, h.end))

    def most(spans: list[tuple[float, float]]) -> int:
        return max(sum(1 for a, b in spans if a <= t < b) for t, _ in spans)

    station, spans = max(by_station.items(), key=lambda kv: most(kv[1]))
    m = most(spans)
    inst = _changed(demo.instance, "relay_stations", lambda s: s.id == station, bays=max(1, m - 1))
    if m >= 2:
        assert "R7" in _rules(demo, demo_plan, inst)
    else:  # no overlap in the plan: one bay is enough there, and the plan stays valid
        assert "R7" not in _rules(demo, demo_plan, inst)


def test_r8_more_loop_drivers_than_the_pool(demo: LoadedInstance, demo_plan: Plan) -> None:
    """A loop pool with fewer drivers than the plan calls in."""
    used = Counter(d.pool for d in demo_plan.loop_drivers)
    pool, n = used.most_common(1)[0]
    inst = _changed(demo.instance, "driver_pools", lambda p: p.id == pool, count=n - 1)
    assert "R8" in _rules(demo, demo_plan, inst)


def test_r8_loop_driver_off_shift(small: LoadedInstance, small_plan: Plan) -> None:
    """A loop shift that ends before the excursion does."""
    duty = small_plan.loop_drivers[0]
    inst = _changed(
        small.instance, "driver_pools", lambda p: p.kind == "loop", shift=(0.0, duty.end - 10)
    )
    assert "R8" in _rules(small, small_plan, inst)


def test_r8_loop_driver_over_max_duty(small: LoadedInstance, small_plan: Plan) -> None:
    """A loop driver whose duty is longer than the pool's max duty."""
    inst = _changed(small.instance, "driver_pools", lambda p: p.kind == "loop", max_duty=10.0)
    assert "R8" in _rules(small, small_plan, inst)


def test_r8_one_loop_driver_two_trucks_at_once(demo: LoadedInstance, demo_plan: Plan) -> None:
    """Two overlapping excursions from one station given to the same loop driver."""
    duties = [(d, e) for d in demo_plan.loop_drivers for e in d.excursions]
    pair = next(
        (a, b)
        for a in duties
        for b in duties
        if a[0].driver != b[0].driver
        and a[0].station == b[0].station
        and a[1].start < b[1].end
        and b[1].start < a[1].end
    )
    (keep, _), (other, ex) = pair

    def change(p: Plan) -> None:
        r = next(r for r in p.routes if r.truck == ex.truck)
        for leg in r.legs:
            if leg.driver == other.driver and ex.start <= leg.depart <= ex.end:
                leg.driver = keep.driver
        for s in r.stops:
            if s.driver == other.driver and ex.start <= s.start <= ex.end:
                s.driver = keep.driver
        for h in p.handovers:
            if h.truck == ex.truck and ex.start <= h.start <= ex.end:
                h.from_driver = keep.driver if h.from_driver == other.driver else h.from_driver
                h.to_driver = keep.driver if h.to_driver == other.driver else h.to_driver

    assert "R8" in _rules(demo, _mutate(demo_plan, change))


def test_r9_pass_not_listed(small: LoadedInstance, small_plan: Plan) -> None:
    """A truck enters the permit park but the plan lists no pass for it."""
    assert small_plan.passes

    def change(p: Plan) -> None:
        p.passes = []

    assert "R9" in _rules(small, _mutate(small_plan, change))


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
    assert "R9" in _rules(demo, demo_plan, inst)

"""R5-R8 (:mod:`relayroute.validate.drivers`): each planted fault names exactly its rule.

Each test breaks a solver plan, or the instance under it, in one way; where the fault
changes what the plan must state (its roster, outcomes or counts), the change states it
too, so that only the rule under test is broken.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from ..validate.test_validate import _changed, _mutate, _rules

if TYPE_CHECKING:
    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Plan, TruckRoute


def _relay_route(p: Plan) -> TruckRoute:
    return next(r for r in p.routes if any(s.kind == "handover" for s in r.stops))


def _drop_stop(r: TruckRoute, i: int) -> None:
    """Take stop ``i`` out of the route, joining the legs on either side of it into one."""
    a, b = r.legs[i - 1], r.legs[i]
    a.path += b.path[1:]
    a.coords += b.coords[1:]
    a.crossings += b.crossings
    a.arrive, a.km, a.minutes = b.arrive, a.km + b.km, b.arrive - a.depart
    del r.legs[i], r.stops[i]


def test_fixture_plans_use_relay(small_plan: Plan, demo_plan: Plan) -> None:
    """The fixtures these tests break do hand trucks to loop drivers."""
    for plan in (small_plan, demo_plan):
        assert plan.handovers and plan.loop_drivers
        assert any(leg.driver_kind == "loop" for r in plan.routes for leg in r.legs)


def test_r5_outside_driver_in_closed_zone(small: LoadedInstance, small_plan: Plan) -> None:
    """The permit park becomes a closed-loop zone that an outside truck still enters.

    Its pass goes with it (a pass is for a permit zone), so only R5 is broken.
    """
    closed = _changed(small.instance, "zones", lambda z: z.policy == "permit", policy="closed_loop")

    def change(p: Plan) -> None:
        p.passes = []
        p.kpis.passes = 0

    assert small_plan.passes
    assert _rules(small, _mutate(small_plan, change), closed) == {"R5"}


def test_r5_outside_driver_drives_the_excursion(small: LoadedInstance, small_plan: Plan) -> None:
    """The truck's own driver takes it into the closed city instead of a loop driver.

    The handover stops go (their legs joined), and the roster, the shipment's itinerary and
    the counts and cost of loop drivers and handovers follow.
    """

    def change(p: Plan) -> None:
        r = _relay_route(p)
        for i in reversed([i for i, s in enumerate(r.stops) if s.kind == "handover"]):
            _drop_stop(r, i)
        for leg in r.legs:
            leg.driver, leg.driver_kind = r.driver, "outside"
        for s in r.stops:
            s.driver = r.driver
        p.handovers = [h for h in p.handovers if h.truck != r.truck]
        p.loop_drivers = []
        for o in p.shipments:
            if o.truck == r.truck:
                o.itinerary, o.stations = "direct", []
        p.kpis.loop_drivers_used = p.kpis.handovers = 0
        p.kpis.objective -= small.instance.objective.loop_driver

    assert len(small_plan.loop_drivers) == 1
    assert _rules(small, _mutate(small_plan, change)) == {"R5"}


def test_r6_loop_driver_leaves_its_zone(small: LoadedInstance, small_plan: Plan) -> None:
    """The loop driver takes the truck before its pickup outside the zone, and picks it up.

    The handover moves before the pickup at the same place (the relay station's); the
    handover list, the roster and the shipment's outcome follow.
    """

    def change(p: Plan) -> None:
        r = _relay_route(p)
        i = next(i for i, s in enumerate(r.stops) if s.kind == "handover")
        pick, hand = r.stops[i - 1], r.stops[i]
        assert pick.kind == "pickup" and pick.place == hand.place
        loop, sid = r.legs[i].driver, pick.shipments[0]
        took, service = hand.depart - hand.start, pick.depart - pick.start
        hand.arrive, hand.start, hand.depart = pick.arrive, pick.start, pick.start + took
        hand.load, pick.driver = r.stops[i - 2].load, loop
        pick.arrive = pick.start = hand.depart
        pick.depart = pick.start + service
        r.stops[i - 1 : i + 1] = [hand, pick]
        between = r.legs[i - 1]  # both stops stand at one place: a leg of no length
        between.driver, between.driver_kind = loop, "loop"
        between.depart = between.arrive = hand.depart
        h = next(h for h in p.handovers if h.truck == r.truck and h.to_driver == loop)
        h.start, h.end = hand.start, hand.depart
        duty = next(d for d in p.loop_drivers if d.driver == loop)
        ex = next(e for e in duty.excursions if e.truck == r.truck)
        duty.start = ex.start = hand.start
        ex.places.insert(0, pick.place)
        o = next(o for o in p.shipments if o.shipment == sid)
        o.pickup = o.segments[0].start = pick.start
        o.itinerary = "inside"

    assert _rules(small, _mutate(small_plan, change)) == {"R6"}


def test_r6_loop_driver_of_another_zone(small: LoadedInstance, small_plan: Plan) -> None:
    """A loop pool bound to the permit park drives into the closed city: not its zone."""
    pool = next(p for p in small.instance.driver_pools if p.kind == "loop")
    inst = _changed(small.instance, "driver_pools", lambda p: p.id == pool.id, zone="park")

    def change(p: Plan) -> None:  # the roster states the pool's zone
        for d in p.loop_drivers:
            if d.pool == pool.id:
                d.zone = "park"

    # The instance checks would refuse this pool; the validator must still catch the plan.
    assert _rules(small, _mutate(small_plan, change), inst) == {"R6"}


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
        r.stops[i + 1].arrive -= shift  # and waits there as long as the handover was cut
        for c in r.legs[i].crossings:
            c.arrive -= shift
            c.depart -= shift
        for h in p.handovers:
            if h.truck == r.truck and h.start == s.start:
                h.end = s.depart

    assert _rules(small, _mutate(small_plan, change)) == {"R7"}


def test_r7_swap_away_from_a_station(small: LoadedInstance, small_plan: Plan) -> None:
    """The truck changes driver at a station that does not offer driver swaps.

    The plan's handover list goes (no handover is made at a station without driver swap);
    the count of driver changes stays, since the routes still make them.
    """
    inst = _changed(
        small.instance, "relay_stations", lambda s: True, driver_swap=False, transload=True
    )

    def change(p: Plan) -> None:
        p.handovers = []

    assert _rules(small, _mutate(small_plan, change), inst) == {"R7"}


def test_r7_handover_not_listed(small: LoadedInstance, small_plan: Plan) -> None:
    """A handover the routes make is missing from the plan's handover list."""

    def change(p: Plan) -> None:
        p.handovers = p.handovers[1:]

    assert _rules(small, _mutate(small_plan, change)) == {"R7"}


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
    # No overlap in the plan: one bay is enough there, and the plan stays valid.
    assert _rules(demo, demo_plan, inst) == ({"R7"} if m >= 2 else set())


def test_r8_more_loop_drivers_than_the_pool(demo: LoadedInstance, demo_plan: Plan) -> None:
    """A loop pool with fewer drivers than the plan calls in."""
    used = Counter(d.pool for d in demo_plan.loop_drivers)
    pool, n = used.most_common(1)[0]
    inst = _changed(demo.instance, "driver_pools", lambda p: p.id == pool, count=n - 1)
    assert _rules(demo, demo_plan, inst) == {"R8"}


def test_r8_loop_driver_off_shift(small: LoadedInstance, small_plan: Plan) -> None:
    """A loop shift that ends before the excursion does."""
    duty = small_plan.loop_drivers[0]
    inst = _changed(
        small.instance, "driver_pools", lambda p: p.kind == "loop", shift=(0.0, duty.end - 10)
    )
    assert _rules(small, small_plan, inst) == {"R8"}


def test_r8_loop_driver_over_max_duty(small: LoadedInstance, small_plan: Plan) -> None:
    """A loop driver whose duty is longer than the pool's max duty."""
    inst = _changed(small.instance, "driver_pools", lambda p: p.kind == "loop", max_duty=10.0)
    assert _rules(small, small_plan, inst) == {"R8"}


def test_r8_one_loop_driver_two_trucks_at_once(demo: LoadedInstance, demo_plan: Plan) -> None:
    """Two overlapping excursions from one station given to the same loop driver.

    The roster follows: the excursion moves to the driver who now drives it, and a driver
    left with none leaves the roster (and the count and cost of loop drivers).
    """
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
        k = next(d for d in p.loop_drivers if d.driver == keep.driver)
        o = next(d for d in p.loop_drivers if d.driver == other.driver)
        moved = next(e for e in o.excursions if e.truck == ex.truck and e.start == ex.start)
        o.excursions.remove(moved)
        k.excursions = sorted([*k.excursions, moved], key=lambda e: e.start)
        k.start, k.end = min(k.start, moved.start), max(k.end, moved.end)
        if o.excursions:
            o.start, o.end = o.excursions[0].start, max(e.end for e in o.excursions)
        else:
            p.loop_drivers.remove(o)
            p.kpis.loop_drivers_used -= 1
            p.kpis.objective -= demo.instance.objective.loop_driver

    assert _rules(demo, _mutate(demo_plan, change)) == {"R8"}

"""R1-R4 (:mod:`relayroute.validate.coverage`): each planted fault names exactly its rule."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..validate.test_validate import _changed, _mutate, _rules

if TYPE_CHECKING:
    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Plan


def test_r1_shipment_lost(small_no_relay: LoadedInstance, small_no_relay_plan: Plan) -> None:
    """A shipment neither delivered nor listed unserved: dropped from the unserved list.

    The unserved count drops with it, so that only the shipment itself is lost.
    """
    assert small_no_relay_plan.unserved

    def change(p: Plan) -> None:
        p.unserved.pop(0)
        p.kpis.unserved -= 1

    assert _rules(small_no_relay, _mutate(small_no_relay_plan, change)) == {"R1"}


def test_r1_unserved_without_reason(
    small_no_relay: LoadedInstance, small_no_relay_plan: Plan
) -> None:
    """An unserved shipment with an empty reason is rejected under R1."""
    assert _rules(small_no_relay, small_no_relay_plan) == set()

    def change(p: Plan) -> None:
        p.unserved[0].reason = " "

    assert _rules(small_no_relay, _mutate(small_no_relay_plan, change)) == {"R1"}


def test_r2_delivery_before_pickup(small: LoadedInstance, small_plan: Plan) -> None:
    """A pickup that takes longer than the plan allows: its delivery starts before it ends."""
    pick = next(s for r in small_plan.routes for s in r.stops if s.kind == "pickup")
    drop = next(
        s
        for r in small_plan.routes
        for s in r.stops
        if s.kind == "delivery" and s.shipments == pick.shipments
    )
    inst = _changed(
        small.instance,
        "shipments",
        lambda s: s.id == pick.shipments[0],
        pickup_minutes=drop.start - pick.start + 1,
    )
    assert _rules(small, small_plan, inst) == {"R2"}


def test_r2_teleport(small: LoadedInstance, small_plan: Plan) -> None:
    """Arriving sooner than the road allows is caught."""

    def change(p: Plan) -> None:
        r = p.routes[0]
        leg = next(leg for leg in r.legs if leg.minutes > 10)
        k = r.legs.index(leg)
        leg.arrive -= 10
        r.stops[k + 1].arrive -= 10

    assert _rules(small, _mutate(small_plan, change)) == {"R2"}


def test_r3_over_capacity(small: LoadedInstance, small_plan: Plan) -> None:
    """A plan on a truck with less room than its load is rejected under R3."""
    truck = small_plan.routes[0].truck
    smaller = _changed(small.instance, "trucks", lambda t: t.id == truck, capacity={"t": 1.0})
    assert _rules(small, small_plan, smaller) == {"R3"}


def test_r3_stated_load(small: LoadedInstance, small_plan: Plan) -> None:
    """A stop that states a wrong load is caught."""

    def change(p: Plan) -> None:
        p.routes[0].stops[1].load = {"t": 99.0}

    assert _rules(small, _mutate(small_plan, change)) == {"R3"}


def test_r4_pickup_before_ready(small: LoadedInstance, small_plan: Plan) -> None:
    """A shipment that becomes ready only after its planned pickup starts."""
    pick = next(s for r in small_plan.routes for s in r.stops if s.kind == "pickup")
    late = _changed(
        small.instance, "shipments", lambda s: s.id == pick.shipments[0], ready=pick.start + 5
    )
    assert _rules(small, small_plan, late) == {"R4"}


def test_r4_deadline(small: LoadedInstance, small_plan: Plan) -> None:
    """A hard deadline earlier than the planned delivery is a violation."""
    out = small_plan.shipments[0]
    tight = _changed(
        small.instance, "shipments", lambda s: s.id == out.shipment, deadline=out.delivered - 5
    )
    assert _rules(small, small_plan, tight) == {"R4"}


def test_r4_site_hours(small: LoadedInstance, small_plan: Plan) -> None:
    """A site closed when the service starts is a violation."""
    stop = next(s for r in small_plan.routes for s in r.stops if s.kind == "delivery")
    closed = _changed(
        small.instance, "places", lambda p: p.id == stop.place, hours=[(0.0, stop.start - 1)]
    )
    assert _rules(small, small_plan, closed) == {"R4"}

"""The validator accepts solver plans and names the rule of each planted fault."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from relayroute.io.instance import LoadedInstance
from relayroute.model.instance import Instance
from relayroute.model.plan import Plan
from relayroute.validate import validate


def _mutate(plan: Plan, change: Callable[[Plan], None]) -> Plan:
    broken = plan.model_copy(deep=True)
    change(broken)
    return broken


def _changed(inst: Instance, attr: str, pick: Callable[[Any], bool], **update: Any) -> Instance:
    """The instance with ``update`` applied to the objects of list ``attr`` that ``pick`` selects."""
    items = [o.model_copy(update=update) if pick(o) else o for o in getattr(inst, attr)]
    return inst.model_copy(update={attr: items})


def _route_with(plan: Plan, kind: str):  # the first route with a stop of that kind
    return next(r for r in plan.routes if any(s.kind == kind for s in r.stops))


def test_solver_plans_validate(
    small: LoadedInstance, small_plan: Plan, demo: LoadedInstance, demo_plan: Plan
) -> None:
    """Plans the solver makes for the fixtures pass every rule."""
    assert validate(small.instance, small_plan, small.base).ok
    report = validate(demo.instance, demo_plan, demo.base)
    assert report.ok, [str(v) for v in report.violations]


def test_r1_shipment_lost(small: LoadedInstance, small_plan: Plan) -> None:
    """A served shipment that is dropped from the outcome and the stops, but not listed unserved."""

    def change(p: Plan) -> None:
        sid = p.shipments[0].shipment
        for r in p.routes:
            keep = [i for i, s in enumerate(r.stops) if sid not in s.shipments]
            r.stops = [r.stops[i] for i in keep]
        p.shipments = p.shipments[1:]

    report = validate(small.instance, _mutate(small_plan, change), small.base)
    assert "R1" in report.rules()


def test_r1_unserved_without_reason(
    small_no_relay: LoadedInstance, small_no_relay_plan: Plan
) -> None:
    """An unserved shipment with an empty reason is rejected under R1."""
    inst, plan = small_no_relay.instance, small_no_relay_plan
    assert validate(inst, plan, small_no_relay.base).ok

    def change(p: Plan) -> None:
        p.unserved[0].reason = " "

    assert validate(inst, _mutate(plan, change), small_no_relay.base).rules() == {"R1"}


def test_r2_delivery_before_pickup(small: LoadedInstance, small_plan: Plan) -> None:
    """Swapping the kinds of a pickup and its delivery breaks precedence."""

    def change(p: Plan) -> None:
        r = _route_with(p, "pickup")
        sid = next(s.shipments[0] for s in r.stops if s.kind == "pickup")
        for s in r.stops:
            if s.shipments == [sid]:
                s.kind = "delivery" if s.kind == "pickup" else "pickup"

    assert "R2" in validate(small.instance, _mutate(small_plan, change), small.base).rules()


def test_r2_teleport(small: LoadedInstance, small_plan: Plan) -> None:
    """Arriving sooner than the road allows is caught."""

    def change(p: Plan) -> None:
        r = p.routes[0]
        leg = next(leg for leg in r.legs if leg.minutes > 10)
        k = r.legs.index(leg)
        leg.arrive -= 10
        r.stops[k + 1].arrive -= 10

    assert "R2" in validate(small.instance, _mutate(small_plan, change), small.base).rules()


def test_r3_over_capacity(small: LoadedInstance, small_plan: Plan) -> None:
    """A plan on a truck with less room than its load is rejected under R3."""
    inst = small.instance
    truck = small_plan.routes[0].truck
    smaller = _changed(inst, "trucks", lambda t: t.id == truck, capacity={"t": 1.0})
    assert "R3" in validate(smaller, small_plan, small.base).rules()


def test_r3_stated_load(small: LoadedInstance, small_plan: Plan) -> None:
    """A stop that states a wrong load is caught."""

    def change(p: Plan) -> None:
        p.routes[0].stops[1].load = {"t": 99.0}

    assert "R3" in validate(small.instance, _mutate(small_plan, change), small.base).rules()


def test_r4_pickup_before_ready(small: LoadedInstance, small_plan: Plan) -> None:
    """Shifting a whole route earlier puts a pickup before its ready time."""

    def change(p: Plan) -> None:
        r = p.routes[0]
        for s in r.stops:
            s.arrive -= 200
            s.start -= 200
            s.depart -= 200
        for leg in r.legs:
            leg.depart -= 200
            leg.arrive -= 200
            for c in leg.crossings:
                c.arrive -= 200
                c.depart -= 200

    assert "R4" in validate(small.instance, _mutate(small_plan, change), small.base).rules()


def test_r4_deadline(small: LoadedInstance, small_plan: Plan) -> None:
    """A hard deadline earlier than the planned delivery is a violation."""
    inst = small.instance
    out = small_plan.shipments[0]
    tight = _changed(inst, "shipments", lambda s: s.id == out.shipment, deadline=out.delivered - 5)
    assert "R4" in validate(tight, small_plan, small.base).rules()


def test_r4_site_hours(small: LoadedInstance, small_plan: Plan) -> None:
    """A site closed when the service starts is a violation."""
    inst = small.instance
    stop = next(s for r in small_plan.routes for s in r.stops if s.kind == "delivery")
    closed = _changed(inst, "places", lambda p: p.id == stop.place, hours=[(0.0, stop.start - 1)])
    assert "R4" in validate(closed, small_plan, small.base).rules()


def test_r5_outside_driver_in_closed_zone(small: LoadedInstance, small_plan: Plan) -> None:
    """An outside truck routed through the closed city is rejected under R5."""

    def change(p: Plan) -> None:
        r = p.routes[0]
        leg = r.legs[0]
        # Detour through the closed city's factory on the way to the first stop.
        factory = next(pl for pl in small.instance.places if pl.id == "city_factory")
        leg.path = [
            leg.path[0],
            "checkpoint:cp_city_w",
            "city_factory",
            "checkpoint:cp_city_w",
            leg.path[-1],
        ]
        cp = (120.00, 29.35)
        leg.coords = [leg.coords[0], cp, (factory.lon, factory.lat), cp, leg.coords[-1]]

    assert "R5" in validate(small.instance, _mutate(small_plan, change), small.base).rules()


def test_r9_crossing_without_checkpoint(small: LoadedInstance, small_plan: Plan) -> None:
    """Driving straight into the permit park, not through its gate, is rejected under R9."""

    def change(p: Plan) -> None:
        for r in p.routes:
            for leg in r.legs:
                if leg.crossings:
                    leg.path = [leg.path[0], leg.path[-1]]
                    leg.coords = [leg.coords[0], leg.coords[-1]]
                    leg.crossings = []
                    return

    assert "R9" in validate(small.instance, _mutate(small_plan, change), small.base).rules()


def test_r9_closed_checkpoint(small: LoadedInstance, small_plan: Plan) -> None:
    """Crossing at a checkpoint the instance marks closed is rejected under R9."""
    inst = small.instance
    used = {c.checkpoint for r in small_plan.routes for leg in r.legs for c in leg.crossings}
    assert used, "the fixture plan must cross a checkpoint"
    closed = _changed(inst, "checkpoints", lambda c: c.id in used, closed=True)
    assert "R9" in validate(closed, small_plan, small.base).rules()


def test_r9_checkpoint_hours(small: LoadedInstance, small_plan: Plan) -> None:
    """A crossing outside the checkpoint's opening hours is rejected under R9."""
    inst = small.instance
    used = {c.checkpoint for r in small_plan.routes for leg in r.legs for c in leg.crossings}
    night = _changed(inst, "checkpoints", lambda c: c.id in used, hours=[(0.0, 60.0)])
    assert "R9" in validate(night, small_plan, small.base).rules()


def test_r9_no_pass(small: LoadedInstance, small_plan: Plan) -> None:
    """Entering the permit zone with a truck that holds no permit is rejected under R9."""
    inst = small.instance
    no_permits = _changed(inst, "trucks", lambda t: True, permits=[])
    assert "R9" in validate(no_permits, small_plan, small.base).rules()


def test_r9_skipped_inspection(small: LoadedInstance, small_plan: Plan) -> None:
    """Leaving a checkpoint before its inspection delay is over is caught."""

    def change(p: Plan) -> None:
        for r in p.routes:
            for leg in r.legs:
                for c in leg.crossings:
                    c.depart = c.arrive
                    return

    assert "R9" in validate(small.instance, _mutate(small_plan, change), small.base).rules()


def test_r12_outside_availability(small: LoadedInstance, small_plan: Plan) -> None:
    """A truck whose availability ends before its route does is rejected under R12."""
    inst = small.instance
    truck = small_plan.routes[0].truck
    short = _changed(inst, "trucks", lambda t: t.id == truck, available=(360.0, 500.0))
    assert "R12" in validate(short, small_plan, small.base).rules()


def test_r12_max_duty(small: LoadedInstance, small_plan: Plan) -> None:
    """A duty longer than the pool's max duty is rejected under R12."""
    inst = small.instance
    long_duty = _changed(inst, "driver_pools", lambda p: p.kind == "outside", max_duty=30.0)
    assert "R12" in validate(long_duty, small_plan, small.base).rules()


def test_r12_closed_road(demo: LoadedInstance, demo_plan: Plan, tmp_path) -> None:
    """A plan using a road the network marks closed is rejected under R12."""
    import json

    leg = next(leg for r in demo_plan.routes for leg in r.legs if len(leg.path) >= 2)
    a, b = leg.path[0], leg.path[1]
    edges = json.loads((demo.base / demo.instance.network.edges).read_text())
    for f in edges["features"]:
        if {f["properties"]["from"], f["properties"]["to"]} == {a, b}:
            f["properties"]["closed"] = True
    (tmp_path / "edges.geojson").write_text(json.dumps(edges))
    nodes = demo.base / demo.instance.network.nodes
    net = demo.instance.network.model_copy(
        update={"edges": str(tmp_path / "edges.geojson"), "nodes": str(nodes)}
    )
    closed = demo.instance.model_copy(update={"network": net})
    assert "R12" in validate(closed, demo_plan, demo.base).rules()


@pytest.mark.parametrize("field", ["weighted_delay", "km", "served"])
def test_kpis_are_checked(small: LoadedInstance, small_plan: Plan, field: str) -> None:
    """A plan whose KPIs do not add up is rejected."""

    def change(p: Plan) -> None:
        setattr(p.kpis, field, getattr(p.kpis, field) + 7)

    assert "PLAN" in validate(small.instance, _mutate(small_plan, change), small.base).rules()

"""The re-simulation core (:mod:`relayroute.validate.walk`): what it measures and gathers."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from relayroute.validate.drivers import declared_loop_drivers
from relayroute.validate.report import Found
from relayroute.validate.walk import Seen, walk_route, walk_routes
from relayroute.validate.world import World

from ..validate.test_validate import _mutate

if TYPE_CHECKING:
    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Plan


def _walk(loaded: LoadedInstance, plan: Plan) -> tuple[Found, Seen, float]:
    found = Found()
    seen = Seen(declared_loop_drivers(found, loaded.instance, plan))
    km = walk_routes(found, World(loaded.instance, loaded.base), plan, seen)
    return found, seen, km


def test_walk_gathers_what_the_plan_states(small: LoadedInstance, small_plan: Plan) -> None:
    """On a valid plan the walk finds nothing, measures the plan's km and sees its lists."""
    found, seen, km = _walk(small, small_plan)
    assert found.violations == []
    assert math.isclose(km, small_plan.kpis.km, abs_tol=1e-2)
    assert sorted(seen.handovers) == sorted(
        (h.station, h.truck, round(h.start, 3), h.from_driver, h.to_driver)
        for h in small_plan.handovers
    )
    served = {o.shipment for o in small_plan.shipments}
    assert set(seen.picks) == set(seen.drops) == served
    assert set(seen.duties) == {d.driver for d in small_plan.loop_drivers}
    assert not seen.open  # every loop driver hands its truck back
    entries = [(p.truck, p.checkpoint, p.zone) for p in small_plan.passes]
    assert [e[:3] for e in seen.entries] == entries


def test_route_without_an_end_is_not_driven(small: LoadedInstance, small_plan: Plan) -> None:
    """A route that does not end with an end stop: one PLAN violation, no km, nothing seen."""
    broken = _mutate(small_plan, lambda p: p.routes[0].stops.pop())
    found = Found()
    seen = Seen(declared_loop_drivers(found, small.instance, broken))
    km = walk_route(found, World(small.instance, small.base), broken.routes[0], seen)
    assert km == 0.0
    assert [(v.rule, v.message) for v in found.violations] == [
        ("PLAN", "a route starts with a start stop and ends with an end stop")
    ]
    assert not seen.picks and not seen.moves

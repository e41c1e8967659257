"""Re-planning goods part way on a rail or transload way (issue 18).

The line network of :mod:`tests.solve.test_rail`, with a second truck at the east depot
(``TE2``): the goods are unloaded at a transload or rail station in the frozen past and
collected there by the new part, or left there, ``held_at_station``, when no truck can.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import pytest

from relayroute.model.plan import Unserved
from relayroute.solve import solve
from relayroute.solve.replan import replan
from relayroute.validate import validate
from relayroute.validate.replan import check_replan

from ..conftest import QUICK
from .test_rail import BASE, TRANSLOAD, _load

if TYPE_CHECKING:
    from pathlib import Path

    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Plan
    from relayroute.solve.replan import Replan

ROAD_CUT = {("n", "c")}  # the east end is reached by rail only


def _two_east(data: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(data)
    out["trucks"].append(dict(out["trucks"][1], id="TE2"))
    return out


@pytest.fixture
def rail(tmp_path: Path) -> tuple[LoadedInstance, Plan]:
    loaded = _load(tmp_path, _two_east(BASE), ROAD_CUT)
    return loaded, solve(loaded, QUICK)


@pytest.fixture
def transload(tmp_path: Path) -> tuple[LoadedInstance, Plan]:
    loaded = _load(tmp_path, _two_east(TRANSLOAD), set())
    return loaded, solve(loaded, QUICK)


def _replanned(loaded: LoadedInstance, old: Plan, events: list[str], at: float) -> Replan:
    done = replan(loaded, old, events, at, config=QUICK)
    report = check_replan(done.loaded.instance, old, done.plan, done.events, at, loaded.base)
    assert report.ok, [str(v) for v in report.violations]
    return done


def _stops(plan: Plan, truck: str) -> list[tuple[str, str]]:
    (r,) = [r for r in plan.routes if r.truck == truck]
    return [(s.kind, s.place) for s in r.stops]


def test_goods_on_the_train_are_collected_by_another_truck(
    rail: tuple[LoadedInstance, Plan],
) -> None:
    """At 10:00 the goods ride the 09:00 train; the truck to collect them breaks down:
    the other east truck collects them, the train runs as booked."""
    loaded, old = rail
    (o,) = old.shipments
    assert o.itinerary == "rail" and o.segments[2].truck == "TE"
    assert old.rail_bookings[0].departure == 540
    done = _replanned(loaded, old, ["truck-broken:TE"], 600)
    assert "S1" in done.state.picked and not done.state.aboard()
    (new,) = done.plan.shipments
    assert new.itinerary == "rail"
    assert [s.truck for s in new.segments] == ["TW", None, "TE2"]
    assert [(b.service, b.departure, b.shipments) for b in done.plan.rail_bookings] == [
        ("K1", 540, ["S1"])
    ]
    assert ("load", "rail_east") in _stops(done.plan, "TE2")
    assert done.plan.kpis.rail_bookings == 1


def test_goods_on_the_train_with_no_truck_left_stay_at_the_station(
    rail: tuple[LoadedInstance, Plan],
) -> None:
    """Both east trucks broken: the goods ride their train and wait where it arrives,
    listed ``held_at_station``; the booking still carries them."""
    loaded, old = rail
    done = _replanned(loaded, old, ["truck-broken:TE", "truck-broken:TE2"], 600)
    assert done.plan.shipments == []
    assert [(u.shipment, u.reason) for u in done.plan.unserved] == [("S1", "held_at_station")]
    assert [b.shipments for b in done.plan.rail_bookings] == [["S1"]]


def test_goods_driven_to_the_train_are_unloaded_and_collected(
    rail: tuple[LoadedInstance, Plan],
) -> None:
    """At 07:10 the goods are being loaded at the plant: their truck goes on to unload
    them at the train (frozen on: nothing hinders it), and the other east truck
    collects them."""
    loaded, old = rail
    done = _replanned(loaded, old, ["truck-broken:TE"], 430)
    assert not done.state.aboard() and "S1" in done.state.picked
    (new,) = done.plan.shipments
    assert new.itinerary == "rail" and new.segments[2].truck == "TE2"
    assert [b.departure for b in done.plan.rail_bookings] == [540]


def test_goods_at_a_transload_station_are_collected_by_another_truck(
    transload: tuple[LoadedInstance, Plan],
) -> None:
    """At 07:10 the west truck drives the goods to the hub (its unloading is frozen);
    the east truck that was to take them on breaks down: the other one does."""
    loaded, old = transload
    (o,) = old.shipments
    assert o.itinerary == "transload"
    done = _replanned(loaded, old, ["truck-broken:TE"], 430)
    (new,) = done.plan.shipments
    assert new.itinerary == "transload"
    (t,) = done.plan.transloads
    assert (t.station, t.from_truck, t.to_truck) == ("HUB", "TW", "TE2")
    assert done.plan.kpis.transloads == 1


def test_a_transload_station_closed_for_a_while_is_waited_for(
    transload: tuple[LoadedInstance, Plan],
) -> None:
    """The hub closes 09:00-09:30 before the goods are ready there: they are taken on
    when it opens again, not during the closure."""
    loaded, old = transload
    done = _replanned(loaded, old, ["station-closed:HUB:09:00-09:30"], 430)
    (t,) = done.plan.transloads
    (r,) = [r for r in done.plan.routes if r.truck == t.to_truck]
    (load,) = [s for s in r.stops if s.kind == "load"]
    assert load.start >= 570


def test_goods_at_a_station_that_stays_shut_are_held_there(
    transload: tuple[LoadedInstance, Plan],
) -> None:
    """The hub shuts at 09:20 for the rest of the day, with the goods on it: they stay
    there, listed ``held_at_station``; no transload is listed or counted."""
    loaded, old = transload
    done = _replanned(loaded, old, ["station-closed:HUB"], 560)
    assert [(u.shipment, u.reason) for u in done.plan.unserved] == [("S1", "held_at_station")]
    assert done.plan.transloads == [] and done.plan.kpis.transloads == 0


def test_the_validator_knows_goods_held_at_a_station(
    transload: tuple[LoadedInstance, Plan],
) -> None:
    """Goods held at a station listed as held aboard, or a delivered shipment listed
    held at a station, are caught."""
    loaded, old = transload
    held = _replanned(loaded, old, ["station-closed:HUB"], 560).plan
    inst = loaded.instance
    aboard = held.model_copy(
        update={"unserved": [u.model_copy(update={"reason": "held_aboard"}) for u in held.unserved]}
    )
    assert "R1" in validate(inst, aboard, loaded.base).rules()
    extra = Unserved(shipment="S1", reason="held_at_station", detail="")
    served = old.model_copy(update={"unserved": [extra]})
    assert "R1" in validate(inst, served, loaded.base).rules()

"""R10 (transloads) and R11 (rail) (:mod:`relayroute.validate.goods`), one fault at a time.

Each test breaks a solver plan from :mod:`tests.solve.test_rail`, or the instance under it,
in one way and asserts the validator names exactly that rule; where the fault changes what
the plan must state (its lists, outcome or counts), the change states it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from relayroute.solve import solve

from ..conftest import QUICK
from ..solve.test_rail import BASE, TRANSLOAD, _load
from ..validate.test_validate import _changed, _mutate, _rules

if TYPE_CHECKING:
    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Plan, Stop


@pytest.fixture(scope="module")
def rail(tmp_path_factory: pytest.TempPathFactory) -> tuple[LoadedInstance, Plan]:
    loaded = _load(tmp_path_factory.mktemp("rail"), BASE, {("n", "c")})
    return loaded, solve(loaded, QUICK)


@pytest.fixture(scope="module")
def transload(tmp_path_factory: pytest.TempPathFactory) -> tuple[LoadedInstance, Plan]:
    loaded = _load(tmp_path_factory.mktemp("transload"), TRANSLOAD, set())
    return loaded, solve(loaded, QUICK)


def _stop(p: Plan, kind: str) -> Stop:
    return next(s for r in p.routes for s in r.stops if s.kind == kind)


def test_fixture_plans_are_valid_and_change_mode(rail, transload) -> None:
    """The plans these tests break are valid and do ride a train / move goods across."""
    for (loaded, plan), itinerary in ((rail, "rail"), (transload, "transload")):
        assert _rules(loaded, plan) == set()
        assert plan.shipments[0].itinerary == itinerary


def test_r10_station_without_transload(transload) -> None:
    """The hub stops offering transload: moving goods there breaks R10."""
    loaded, plan = transload
    inst = _changed(loaded.instance, "relay_stations", lambda s: True, transload=False)
    assert _rules(loaded, plan, inst) == {"R10"}


def test_r10_loaded_before_transload_time(transload) -> None:
    """The transload takes longer than the plan allows for (the list states the new time)."""
    loaded, plan = transload
    inst = _changed(loaded.instance, "relay_stations", lambda s: True, transload_minutes=300)

    def change(p: Plan) -> None:
        for t in p.transloads:
            t.ready = t.time + 300

    assert _rules(loaded, _mutate(plan, change), inst) == {"R10"}


def test_r10_transload_not_listed(transload) -> None:
    """The plan's transload list leaves out the transload its routes make."""
    loaded, plan = transload
    assert _rules(loaded, _mutate(plan, lambda p: p.transloads.clear())) == {"R10"}


def test_r10_listed_transload_that_does_not_happen(transload) -> None:
    """The transload list names the wrong receiving truck."""
    loaded, plan = transload

    def change(p: Plan) -> None:
        p.transloads[0].to_truck = p.transloads[0].from_truck

    assert _rules(loaded, _mutate(plan, change)) == {"R10"}


def test_r10_goods_change_trucks_without_a_station(transload) -> None:
    """The unload and load stops name no station: goods change trucks just anywhere.

    No transload is made at a station then, so the list and the count of transloads go.
    """
    loaded, plan = transload

    def change(p: Plan) -> None:
        for r in p.routes:
            for s in r.stops:
                if s.kind in ("unload", "load"):
                    s.station = None
        p.transloads.clear()
        p.kpis.transloads = 0

    assert _rules(loaded, _mutate(plan, change)) == {"R10"}


def test_r11_departure_not_in_timetable(rail) -> None:
    """The booking names a departure the service does not run (7 minutes early).

    The shipment's outcome states the train it rides, so its rail segment moves too.
    """
    loaded, plan = rail

    def change(p: Plan) -> None:
        b = p.rail_bookings[0]
        for o in p.shipments:
            for g in o.segments:
                if g.mode == "rail" and g.departure == b.departure:
                    g.departure = b.departure - 7
                    g.start -= 7
                    g.end -= 7
        b.departure -= 7
        b.arrival -= 7

    assert _rules(loaded, _mutate(plan, change)) == {"R11"}


def test_r11_after_cut_off(rail) -> None:
    """The cut-off grows so the truck reaches the station too late."""
    loaded, plan = rail
    inst = _changed(loaded.instance, "rail_services", lambda s: True, cutoff_minutes=200)
    assert _rules(loaded, plan, inst) == {"R11"}


def test_r11_over_capacity(rail) -> None:
    """The departure's capacity shrinks below the load it carries."""
    loaded, plan = rail
    inst = _changed(loaded.instance, "rail_services", lambda s: True, capacity={"t": 5})
    assert _rules(loaded, plan, inst) == {"R11"}


def test_r11_collected_before_handling(rail) -> None:
    """Handling at the destination station takes longer than the plan allows for."""
    loaded, plan = rail
    inst = _changed(loaded.instance, "rail_stations", lambda s: s.id == "RE", handling_minutes=500)
    assert _rules(loaded, plan, inst) == {"R11"}


def test_r11_no_booking(rail) -> None:
    """Goods unloaded at the rail station with no booking on any departure.

    The count of bookings and the cost of their departures go with the list.
    """
    loaded, plan = rail

    def change(p: Plan) -> None:
        p.kpis.objective -= loaded.instance.objective.rail * sum(b.cost for b in p.rail_bookings)
        p.rail_bookings.clear()
        p.kpis.rail_bookings = 0

    assert _rules(loaded, _mutate(plan, change)) == {"R11"}


def test_r11_train_goes_elsewhere(rail) -> None:
    """The service runs between other stations than the ones the goods use."""
    loaded, plan = rail
    inst = loaded.instance.model_copy(
        update={
            "rail_stations": [
                *loaded.instance.rail_stations,
                loaded.instance.rail_stations[0].model_copy(update={"id": "RX", "place": "hub"}),
            ],
            "rail_services": [
                loaded.instance.rail_services[0].model_copy(update={"destination": "RX"})
            ],
        }
    )
    assert _rules(loaded, plan, inst) == {"R11"}


def test_r11_unload_away_from_the_station(rail) -> None:
    """The unload stop names the rail station, but the station stands elsewhere."""
    loaded, plan = rail
    unload = _stop(plan, "unload")
    moved = _changed(
        loaded.instance, "rail_stations", lambda s: s.id == unload.station, place="hub"
    )
    assert unload.place != "hub"
    assert _rules(loaded, plan, moved) == {"R11"}


def test_r10_unload_names_no_station(rail) -> None:
    """The unload stop names a station that does not exist: no transload or rail station."""
    loaded, plan = rail

    def change(p: Plan) -> None:
        _stop(p, "unload").station = "nowhere"

    assert _rules(loaded, _mutate(plan, change)) == {"R10"}

"""The validator names R10 (transloads) and R11 (rail) for each way a plan breaks them.

Each test breaks a solver plan from :mod:`tests.test_rail`, or the instance under it, in
one way and checks the validator names the rule.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from relayroute.io.instance import LoadedInstance
from relayroute.model.plan import Plan, Stop
from relayroute.solve import solve
from relayroute.validate import validate

from ..conftest import QUICK
from ..solve.test_rail import BASE, TRANSLOAD, _load
from ..validate.test_validate import _changed, _mutate


@pytest.fixture(scope="module")
def rail(tmp_path_factory: pytest.TempPathFactory) -> tuple[LoadedInstance, Plan]:
    loaded = _load(tmp_path_factory.mktemp("rail"), BASE, {("n", "c")})
    return loaded, solve(loaded, QUICK)


@pytest.fixture(scope="module")
def transload(tmp_path_factory: pytest.TempPathFactory) -> tuple[LoadedInstance, Plan]:
    loaded = _load(tmp_path_factory.mktemp("transload"), TRANSLOAD, set())
    return loaded, solve(loaded, QUICK)


def _rules(loaded: LoadedInstance, plan: Plan, inst=None) -> set[str]:
    return validate(inst or loaded.instance, plan, loaded.base).rules()


def _stop(p: Plan, kind: str) -> Stop:
    return next(s for r in p.routes for s in r.stops if s.kind == kind)


def test_fixture_plans_are_valid_and_change_mode(rail, transload) -> None:
    """The plans these tests break are valid and do ride a train / move goods across."""
    for (loaded, plan), itinerary in ((rail, "rail"), (transload, "transload")):
        assert validate(loaded.instance, plan, loaded.base).ok
        assert plan.shipments[0].itinerary == itinerary


def test_r10_station_without_transload(transload) -> None:
    """The hub stops offering transload: moving goods there breaks R10."""
    loaded, plan = transload
    inst = _changed(loaded.instance, "relay_stations", lambda s: True, transload=False)
    assert "R10" in _rules(loaded, plan, inst)


def test_r10_loaded_before_transload_time(transload) -> None:
    """The transload takes longer than the plan allows for."""
    loaded, plan = transload
    inst = _changed(loaded.instance, "relay_stations", lambda s: True, transload_minutes=300)
    assert "R10" in _rules(loaded, plan, inst)


def test_r10_transload_not_listed(transload) -> None:
    """The plan's transload list leaves out the transload its routes make."""
    loaded, plan = transload
    assert "R10" in _rules(loaded, _mutate(plan, lambda p: p.transloads.clear()))


def test_r10_listed_transload_that_does_not_happen(transload) -> None:
    """The transload list names the wrong receiving truck."""
    loaded, plan = transload

    def change(p: Plan) -> None:
        p.transloads[0].to_truck = p.transloads[0].from_truck

    assert "R10" in _rules(loaded, _mutate(plan, change))


def test_r10_goods_change_trucks_without_a_station(transload) -> None:
    """The unload and load stops name no station: goods change trucks just anywhere."""
    loaded, plan = transload

    def change(p: Plan) -> None:
        for r in p.routes:
            for s in r.stops:
                if s.kind in ("unload", "load"):
                    s.station = None
        p.transloads.clear()

    rules = _rules(loaded, _mutate(plan, change))
    assert "R10" in rules


def test_r11_departure_not_in_timetable(rail) -> None:
    """The booking names a departure the service does not run."""
    loaded, plan = rail

    def change(p: Plan) -> None:
        p.rail_bookings[0].departure += 7
        p.rail_bookings[0].arrival += 7

    assert "R11" in _rules(loaded, _mutate(plan, change))


def test_r11_after_cut_off(rail) -> None:
    """The cut-off grows so the truck reaches the station too late."""
    loaded, plan = rail
    inst = _changed(loaded.instance, "rail_services", lambda s: True, cutoff_minutes=200)
    assert "R11" in _rules(loaded, plan, inst)


def test_r11_over_capacity(rail) -> None:
    """The departure's capacity shrinks below the load it carries."""
    loaded, plan = rail
    inst = _changed(loaded.instance, "rail_services", lambda s: True, capacity={"t": 5})
    assert "R11" in _rules(loaded, plan, inst)


def test_r11_collected_before_handling(rail) -> None:
    """Handling at the destination station takes longer than the plan allows for."""
    loaded, plan = rail
    inst = _changed(loaded.instance, "rail_stations", lambda s: s.id == "RE", handling_minutes=500)
    assert "R11" in _rules(loaded, plan, inst)


def test_r11_no_booking(rail) -> None:
    """Goods unloaded at the rail station with no booking on any departure."""
    loaded, plan = rail
    assert "R11" in _rules(loaded, _mutate(plan, lambda p: p.rail_bookings.clear()))


def test_r11_train_goes_elsewhere(rail, tmp_path: Path) -> None:
    """The service runs between other stations than the ones the goods use."""
    loaded, plan = rail
    data = copy.deepcopy(BASE)
    data["rail_stations"].append({"id": "RX", "place": "hub"})
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
    assert "R11" in _rules(loaded, plan, inst)


def test_r11_unload_away_from_the_station(rail) -> None:
    """The unload stop names the rail station but stands elsewhere."""
    loaded, plan = rail

    def change(p: Plan) -> None:
        _stop(p, "unload").station = "nowhere"

    assert "R10" in _rules(loaded, _mutate(plan, change))

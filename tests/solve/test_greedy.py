"""The greedy dispatcher: the dispatch office's hand rules, on days small enough to check."""

from __future__ import annotations

import importlib
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from relayroute.io.instance import LoadedInstance, instance_from_data, read_instance
from relayroute.solve import SolverConfig, solve
from relayroute.validate import validate

from ..conftest import ROOT

# The module, not the function ``relayroute.solve.greedy`` re-exports under its name.
greedy_module = importlib.import_module("relayroute.solve.greedy")

GREEDY = SolverConfig(name="greedy", engine="greedy")


def _day(
    shipments: list[dict[str, Any]], available: tuple[float, float] = (360, 1320)
) -> LoadedInstance:
    """One depot, one truck, customers east of it on open roads (no zones)."""
    places = [{"id": "depot", "lon": 120.0, "lat": 29.0}] + [
        {"id": f"c{i}", "lon": 120.0 + 0.05 * i, "lat": 29.0 + 0.02 * (i % 2)} for i in range(1, 5)
    ]
    data = {
        "name": "greedy-day",
        "start": "2022-08-12T00:00:00+08:00",
        "places": places,
        "depots": [{"id": "D", "place": "depot"}],
        "trucks": [{"id": "T1", "depot": "D", "capacity": {"t": 10}, "available": list(available)}],
        "shipments": shipments,
    }
    return LoadedInstance(instance_from_data(data), Path(tempfile.gettempdir()), "test")


def _ship(sid: str, origin: str, destination: str, due: float) -> dict[str, Any]:
    return {
        "id": sid,
        "origin": origin,
        "destination": destination,
        "quantity": {"t": 2},
        "ready": 360,
        "due": due,
    }


def test_shipments_go_by_due_time() -> None:
    """With one truck, shipments are taken in order of their due times, not their ids."""
    loaded = _day(
        [_ship("A", "c1", "c2", 900), _ship("B", "c3", "c4", 500), _ship("C", "c2", "c3", 700)]
    )
    plan = solve(loaded, GREEDY)
    assert validate(loaded.instance, plan, loaded.base).ok
    order = [o.shipment for o in sorted(plan.shipments, key=lambda o: o.pickup)]
    assert order == ["B", "C", "A"]


def test_one_shipment_a_trip() -> None:
    """Each shipment is delivered before the next is picked up (one shipment per trip)."""
    loaded = _day(
        [_ship("A", "c1", "c2", 900), _ship("B", "c1", "c2", 900), _ship("C", "c1", "c3", 900)]
    )
    plan = solve(loaded, GREEDY)
    assert validate(loaded.instance, plan, loaded.base).ok
    for route in plan.routes:
        aboard = 0
        for stop in route.stops:
            aboard += {"pickup": 1, "delivery": -1}.get(stop.kind, 0)
            assert aboard <= 1


def test_no_truck_free_is_said() -> None:
    """When the truck's day is full, what is left is unserved with the reason no_truck_free."""
    ships = [_ship(f"S{i}", "c1", "c4", 420) for i in range(6)]
    loaded = _day(ships, available=(360, 600))
    plan = solve(loaded, GREEDY)
    assert validate(loaded.instance, plan, loaded.base).ok
    assert plan.kpis.served < 6
    assert {u.reason for u in plan.unserved} == {"no_truck_free"}


def _dispatched(loaded: LoadedInstance) -> str:
    """The greedy plan as JSON, its wall-clock fields dropped."""
    plan = solve(loaded, GREEDY.model_copy(update={"station_choices": 3}))
    assert validate(loaded.instance, plan, loaded.base).ok
    data = plan.model_dump(mode="json")
    data["kpis"].pop("solve_seconds", None)
    data.pop("solver", None)
    return json.dumps(data, sort_keys=True)


@pytest.mark.parametrize("day", ["liling-day.json", "yiwu-day-scarce.json"])
def test_trucks_passed_over_would_have_been_refused(
    day: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lower bound that passes over trucks without trying them changes no decision:
    with it switched off (every truck tried), the dispatcher's plan is the same, and on
    these days it does pass over trucks."""
    loaded = read_instance(ROOT / "instances" / day)
    passed = 0
    fleet = greedy_module._Fleet  # noqa: SLF001
    cannot = fleet.cannot

    def counting(self: Any, *args: Any) -> bool:
        nonlocal passed
        out = cannot(self, *args)
        passed += out
        return out

    monkeypatch.setattr(fleet, "cannot", counting)
    with_bound = _dispatched(loaded)
    assert passed > 50
    monkeypatch.setattr(fleet, "cannot", lambda self, *args: False)
    assert _dispatched(loaded) == with_bound

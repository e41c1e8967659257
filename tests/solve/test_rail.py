"""Rail fallback and transload between trucks on a small road network (issue 4).

The network is a line of nodes (minutes on each edge): the plant ``p`` and rail station
``a`` at the west end, the customer ``c`` and rail station ``b`` at the east end, the
transload station ``s`` half way, and depots at both ends. A train runs ``a`` → ``b``.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import pytest

from relayroute.io.instance import LoadedInstance, instance_from_data
from relayroute.solve import SolverConfig, solve
from relayroute.validate import validate

from ..conftest import QUICK

if TYPE_CHECKING:
    from pathlib import Path

    from relayroute.model.plan import Plan

NODES = {  # id: (lon, lat)
    "w": (120.00, 29.30),
    "p": (120.01, 29.30),
    "a": (120.02, 29.30),
    "m": (120.10, 29.30),
    "s": (120.15, 29.30),
    "n": (120.20, 29.30),
    "b": (120.28, 29.30),
    "c": (120.29, 29.30),
    "e": (120.30, 29.30),
}
# (from, to, minutes); km = minutes / 2
EDGES = [
    ("w", "p", 10),
    ("p", "a", 10),
    ("p", "m", 50),
    ("m", "s", 50),
    ("s", "n", 50),
    ("n", "c", 50),
    ("b", "c", 10),
    ("c", "e", 10),
]


def _network(folder: Path, closed: set[tuple[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nodes.csv").write_text(
        "id,lon,lat\n" + "".join(f"{k},{x},{y}\n" for k, (x, y) in NODES.items())
    )
    (folder / "edges.csv").write_text(
        "from,to,km,minutes,closed\n"
        + "".join(f"{u},{v},{m / 2},{m},{(u, v) in closed}\n" for u, v, m in EDGES)
    )


def _place(pid: str, node: str, **kw: Any) -> dict[str, Any]:
    lon, lat = NODES[node]
    return {"id": pid, "lon": lon, "lat": lat, "node": node, **kw}


BASE: dict[str, Any] = {
    "name": "rail-line",
    "start": "2022-04-20T00:00:00+08:00",
    "network": {"mode": "road", "nodes": "nodes.csv", "edges": "edges.csv"},
    "places": [
        _place("west_depot", "w"),
        _place("plant", "p"),
        _place("rail_west", "a"),
        _place("hub", "s"),
        _place("rail_east", "b"),
        _place("customer", "c"),
        _place("east_depot", "e"),
    ],
    "rail_stations": [
        {"id": "RW", "place": "rail_west", "handling_minutes": 30},
        {"id": "RE", "place": "rail_east", "handling_minutes": 30},
    ],
    "rail_services": [
        {
            "id": "K1",
            "origin": "RW",
            "destination": "RE",
            "departures": [540, 720, 900],
            "duration": 90,
            "cutoff_minutes": 30,
            "capacity": {"t": 10},
            "cost": 5,
        }
    ],
    "depots": [{"id": "W", "place": "west_depot"}, {"id": "E", "place": "east_depot"}],
    "trucks": [
        {"id": "TW", "depot": "W", "capacity": {"t": 10}, "available": [360, 1320]},
        {"id": "TE", "depot": "E", "capacity": {"t": 10}, "available": [360, 1320]},
    ],
    "shipments": [
        {
            "id": "S1",
            "origin": "plant",
            "destination": "customer",
            "quantity": {"t": 8},
            "ready": 420,
            "due": 720,
        }
    ],
}


def _load(tmp_path: Path, data: dict[str, Any], closed: set[tuple[str, str]]) -> LoadedInstance:
    _network(tmp_path, closed)
    return LoadedInstance(instance_from_data(data), tmp_path, "test")


def _solved(loaded: LoadedInstance, config: SolverConfig = QUICK) -> Plan:
    plan = solve(loaded, config)
    report = validate(loaded.instance, plan, loaded.base)
    assert report.ok, str(report)
    return plan


def test_closed_road_sends_the_shipment_by_rail(tmp_path: Path) -> None:
    """With the road to the customer closed and a train running, the shipment rides it."""
    plan = _solved(_load(tmp_path, BASE, {("n", "c")}))
    assert [o.shipment for o in plan.shipments] == ["S1"]
    out = plan.shipments[0]
    assert out.itinerary == "rail"
    assert [seg.mode for seg in out.segments] == ["road", "rail", "road"]
    assert [seg.truck for seg in out.segments] == ["TW", None, "TE"]
    assert len(plan.rail_bookings) == 1
    booking = plan.rail_bookings[0]
    assert booking.service == "K1" and booking.shipments == ["S1"]
    assert booking.load == {"t": 8}
    # The earliest departure it can make: ready 420 + 20 load + 10 drive + 20 unload < 510.
    assert booking.departure == 540
    assert plan.kpis.rail_bookings == 1


def test_road_wins_when_rail_is_slower_and_trucks_are_free(tmp_path: Path) -> None:
    """All roads open and a slow train: the truck drives it all the way."""
    data = copy.deepcopy(BASE)
    data["rail_services"][0]["duration"] = 600
    plan = _solved(_load(tmp_path, data, set()))
    out = plan.shipments[0]
    assert out.itinerary == "direct"
    assert [seg.mode for seg in out.segments] == ["road"]
    assert plan.rail_bookings == []


def test_full_departure_moves_a_shipment_to_the_next_one(tmp_path: Path) -> None:
    """Two 8 t shipments, 10 t per departure: they ride different departures."""
    data = copy.deepcopy(BASE)
    second = dict(data["shipments"][0], id="S2", due=730)
    data["shipments"].append(second)
    plan = _solved(_load(tmp_path, data, {("n", "c")}))
    assert {o.shipment for o in plan.shipments} == {"S1", "S2"}
    deps = sorted(b.departure for b in plan.rail_bookings)
    assert len(deps) == 2 and deps[0] != deps[1]
    assert all(sum(b.load.values()) <= 10 for b in plan.rail_bookings)


def test_no_departure_left_means_unserved_with_a_reason(tmp_path: Path) -> None:
    """Road closed and every departure it could make already full: unserved, said why."""
    data = copy.deepcopy(BASE)
    data["rail_services"][0]["departures"] = [540]
    data["shipments"].append(dict(data["shipments"][0], id="S2", priority=2))
    plan = _solved(_load(tmp_path, data, {("n", "c")}))
    assert [o.shipment for o in plan.shipments] == ["S2"]  # the higher priority rides
    assert [(u.shipment, u.reason) for u in plan.unserved] == [("S1", "rail_full")]


def test_greedy_falls_back_to_rail(tmp_path: Path) -> None:
    """The dispatcher baseline also takes the train when no road reaches the customer."""
    plan = _solved(_load(tmp_path, BASE, {("n", "c")}), SolverConfig(name="g", engine="greedy"))
    assert plan.shipments[0].itinerary == "rail"


TRANSLOAD = copy.deepcopy(BASE)
TRANSLOAD["rail_services"] = []
TRANSLOAD["relay_stations"] = [
    {
        "id": "HUB",
        "place": "hub",
        "driver_swap": False,
        "transload": True,
        "transload_minutes": 30,
    }
]
# Each truck can only be out 6 hours: neither can drive plant -> customer and back.
for _t in TRANSLOAD["trucks"]:
    _t["available"] = [360, 720]
TRANSLOAD["shipments"][0].update(ready=360, due=700)


def test_transload_serves_what_no_single_truck_can(tmp_path: Path) -> None:
    """Short truck days: one truck brings the goods to the hub, the other takes them on."""
    plan = _solved(_load(tmp_path, TRANSLOAD, set()))
    assert [o.shipment for o in plan.shipments] == ["S1"]
    out = plan.shipments[0]
    assert out.itinerary == "transload"
    assert [seg.truck for seg in out.segments] == ["TW", "TE"]
    (t,) = plan.transloads
    assert (t.station, t.shipment, t.from_truck, t.to_truck) == ("HUB", "S1", "TW", "TE")
    assert t.ready == pytest.approx(t.time + 30)
    load = next(s for r in plan.routes for s in r.stops if s.kind == "load")
    assert load.start >= t.ready - 1e-3
    assert plan.kpis.transloads == 1


def test_transload_unused_when_one_truck_does_it(tmp_path: Path) -> None:
    """With full-day trucks the direct trip is shorter than going through the hub."""
    data = copy.deepcopy(TRANSLOAD)
    for t in data["trucks"]:
        t["available"] = [360, 1320]
    plan = _solved(_load(tmp_path, data, set()))
    assert plan.shipments[0].itinerary == "direct"
    assert plan.transloads == []


def test_transload_only_station_needs_no_zone(tmp_path: Path) -> None:
    """A station offering driver_swap must name its closed zone; transload-only need not."""
    data = copy.deepcopy(TRANSLOAD)
    data["relay_stations"][0]["driver_swap"] = True
    with pytest.raises(Exception, match="closed_loop zone"):
        instance_from_data(data)


def test_rail_leg_into_a_closed_zone_by_relay(small: LoadedInstance) -> None:
    """Goods from a far plant ride a train to the relay station, and the last leg goes
    into the closed city the relay way: a loop driver takes the truck in."""
    import json

    from ..conftest import DATA

    data = json.loads((DATA / "small-straight.json").read_text())
    data["places"] += [
        {"id": "far_plant", "kind": "factory", "lon": 122.0, "lat": 29.35},
        {"id": "far_rail", "kind": "station", "lon": 122.01, "lat": 29.35},
    ]
    data["depots"].append({"id": "FAR", "place": "far_plant"})
    data["trucks"].append(
        {"id": "TF", "depot": "FAR", "capacity": {"t": 10}, "available": [360, 1320]}
    )
    data["rail_stations"] = [
        {"id": "R_FAR", "place": "far_rail", "handling_minutes": 20},
        {"id": "R_WEST", "place": "depot", "handling_minutes": 20},
    ]
    data["rail_services"] = [
        {
            "id": "EXPRESS",
            "origin": "R_FAR",
            "destination": "R_WEST",
            "departures": [480, 600],
            "duration": 60,
            "cutoff_minutes": 20,
            "capacity": {"t": 20},
        }
    ]
    # Alone, rail delivers at 657.7 and road well after 800: due at 660.
    data["shipments"] = [
        {
            "id": "F1",
            "origin": "far_plant",
            "destination": "city_factory",
            "quantity": {"t": 3},
            "ready": 400,
            "due": 660,
            "priority": 5,
        }
    ]
    loaded = LoadedInstance(instance_from_data(data), small.base, "test")
    plan = _solved(loaded)
    out = plan.shipments[0]
    assert out.itinerary == "rail"
    assert out.delay == 0
    last = out.segments[-1]
    assert last.mode == "road" and last.origin == "depot"
    truck = next(r for r in plan.routes if r.truck == last.truck)
    kinds = [s.kind for s in truck.stops]
    # Loaded at the rail station, then handed to a loop driver to go in.
    assert kinds.index("load") < kinds.index("handover") < kinds.index("delivery")
    assert any(h.truck == last.truck for h in plan.handovers)


def test_full_departure_sends_the_other_shipment_by_road(tmp_path: Path) -> None:
    """Roads open, a fast train with room for one 8 t load on its only useful departure:
    both shipments are served, at most one of them by the train, the other by road."""
    data = copy.deepcopy(BASE)
    data["rail_services"][0].update(departures=[540], duration=30)
    data["trucks"].append(dict(data["trucks"][0], id="TW2"))
    data["shipments"][0]["due"] = 600
    data["shipments"].append(dict(data["shipments"][0], id="S2"))
    plan = _solved(_load(tmp_path, data, set()))
    assert len(plan.shipments) == 2
    assert [o.itinerary for o in plan.shipments].count("rail") <= 1
    assert "direct" in [o.itinerary for o in plan.shipments]
    assert all(b.load["t"] <= 10 for b in plan.rail_bookings)

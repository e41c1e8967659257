"""Bad input: one clear message naming where, exit 2, no traceback, no output file."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import shapely

from relayroute.cli import main
from relayroute.errors import InputError
from relayroute.io.instance import read_instance
from relayroute.validate import validate

if TYPE_CHECKING:
    from collections.abc import Callable

    from relayroute.model.plan import Plan

DATA = Path(__file__).resolve().parents[1] / "data"
BASE: dict[str, Any] = json.loads((DATA / "small-straight.json").read_text())


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        *head, last = path.split(".")
        obj: Any = d
        for part in head:
            obj = obj[int(part)] if part.isdigit() else obj[part]
        if last.isdigit():
            obj[int(last)] = value
        else:
            obj[last] = value

    return change


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        *head, last = path.split(".")
        obj: Any = d
        for part in head:
            obj = obj[int(part)] if part.isdigit() else obj[part]
        del obj[last]

    return change


# (name, change to the valid instance, text the message must contain)
FAULTS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("missing field", _delete("shipments.0.origin"), "$.shipments[0].origin"),
    ("unknown field", _set("trucks.0.colour", "red"), "$.trucks[0].colour"),
    ("wrong type", _set("shipments.1.ready", "eight o'clock"), "$.shipments[1].ready"),
    ("unknown place", _set("shipments.2.destination", "atlantis"), "unknown place 'atlantis'"),
    ("unknown depot", _set("trucks.1.depot", "nowhere"), "$.trucks[1].depot"),
    ("unknown zone in permits", _set("trucks.0.permits", ["moon"]), "$.trucks[0].permits[0]"),
    ("duplicate id", _set("shipments.1.id", "S1"), "duplicate id 'S1'"),
    ("inverted window", _set("trucks.0.available", [900, 400]), "ends before it starts"),
    ("due before ready", _set("shipments.0.due", 100), "$.shipments[0].due"),
    ("negative quantity", _set("shipments.0.quantity", {"t": -4}), "$.shipments[0].quantity.t"),
    (
        "unknown dimension",
        _set("shipments.0.quantity", {"m3": 4}),
        "no truck has capacity dimension 'm3'",
    ),
    ("latitude out of range", _set("places.1.lat", 129.25), "$.places[1]"),
    ("lon/lat swapped", lambda d: d["places"][2].update(lon=29.45, lat=120.15), "swapped"),
    (
        "unclosed polygon",
        _set("zones.0.polygon", [[[120.0, 29.3], [120.1, 29.3], [120.1, 29.4], [120.0, 29.4]]]),
        "not closed",
    ),
    (
        "self-intersecting polygon",
        _set(
            "zones.0.polygon",
            [[[120.0, 29.3], [120.1, 29.4], [120.1, 29.3], [120.0, 29.4], [120.0, 29.3]]],
        ),
        "invalid polygon",
    ),
    (
        "overlapping zones",
        _set(
            "zones.1.polygon",
            [[[120.05, 29.3], [120.26, 29.3], [120.26, 29.36], [120.05, 29.36], [120.05, 29.3]]],
        ),
        "overlaps",
    ),
    ("checkpoint off the boundary", _set("checkpoints.0.lon", 119.9), "from the boundary"),
    ("negative delay", _set("checkpoints.1.delay", -5), "$.checkpoints[1].delay"),
    ("start without offset", _set("start", "2022-08-12T00:00:00"), "UTC offset"),
    ("no trucks", _set("trucks", []), "$.trucks"),
    ("same origin and destination", _set("shipments.0.destination", "sup1"), "same place"),
    ("relay station in a permit zone", _set("relay_stations.0.zone", "park"), "not closed_loop"),
    (
        "relay station inside its closed zone",
        _set("relay_stations.0.place", "city_factory"),
        "$.relay_stations[0].place",
    ),
    (
        "loop pool without a home station",
        lambda d: (
            d["relay_stations"].append({"id": "rs_north", "zone": "city", "place": "cust1"}),
            d["driver_pools"][1].pop("station"),
        ),
        "$.driver_pools[1].station",
    ),
    ("swap station without a zone", _delete("relay_stations.0.zone"), "name it"),
    (
        "rail service to an unknown station",
        lambda d: d.update(
            rail_stations=[{"id": "RA", "place": "sup1"}],
            rail_services=[
                {
                    "id": "K",
                    "origin": "RA",
                    "destination": "RB",
                    "departures": [600],
                    "duration": 60,
                    "capacity": {"t": 10},
                }
            ],
        ),
        "$.rail_services[0].destination",
    ),
    (
        "rail departure with no capacity field",
        lambda d: d.update(
            rail_stations=[{"id": "RA", "place": "sup1"}, {"id": "RB", "place": "cust1"}],
            rail_services=[
                {
                    "id": "K",
                    "origin": "RA",
                    "destination": "RB",
                    "departures": [600],
                    "duration": 60,
                }
            ],
        ),
        "$.rail_services[0].capacity",
    ),
    (
        "place enclosed in a zone without checkpoints",
        lambda d: d.update(checkpoints=[c for c in d["checkpoints"] if c["zone"] != "park"]),
        "'park_factory' cannot be reached",
    ),
]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("horizon", float("inf")),
        ("shipments.0.due", float("inf")),
        ("shipments.1.ready", float("nan")),
        ("objective.unserved", float("inf")),
    ],
)
def test_non_finite_numbers_refused(
    path: str, value: float, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Infinity or NaN (Python's JSON reader takes them) is bad input with its path, exit 2."""
    data = copy.deepcopy(BASE)
    data.setdefault("objective", {})
    _set(path, value)(data)
    inst = tmp_path / "bad.json"
    inst.write_text(json.dumps(data))  # writes Infinity / NaN, as a hostile file would
    out = tmp_path / "plan.json"
    assert main(["solve", str(inst), "-o", str(out), "-q", "--time-limit", "1"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    where = "$." + path.replace(".0.", "[0].").replace(".1.", "[1].")
    assert where in err and "internal error" not in err
    assert not out.exists()


@pytest.mark.parametrize(("name", "change", "expected"), FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_gets_clear_message(
    name: str,
    change: Callable[[dict[str, Any]], None],
    expected: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each fault exits 2 with one message naming where it is, and writes no plan."""
    data = copy.deepcopy(BASE)
    change(data)
    inst = tmp_path / "bad.json"
    inst.write_text(json.dumps(data))
    out = tmp_path / "plan.json"
    code = main(["solve", str(inst), "-o", str(out), "-q", "--time-limit", "1"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected in " ".join(err.split()), err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [inst]


def test_unreachable_place_on_roads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A place on a road node that no road joins to the depots is named."""
    root = DATA.parents[1]
    demo = json.loads((root / "instances" / "yiwu-demo.json").read_text())
    nodes = json.loads((root / "data" / "yiwu" / "nodes.geojson").read_text())
    nodes["features"].append(
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [120.4, 29.1]},
            "properties": {"id": "island"},
        }
    )
    (tmp_path / "nodes.geojson").write_text(json.dumps(nodes))
    demo["network"] = {
        "mode": "road",
        "nodes": "nodes.geojson",
        "edges": str(root / "data" / "yiwu" / "edges.geojson"),
    }
    demo["places"].append({"id": "island", "lon": 120.4, "lat": 29.1, "node": "island"})
    inst = tmp_path / "bad.json"
    inst.write_text(json.dumps(demo))
    assert main(["solve", str(inst), "-q"]) == 2
    err = capsys.readouterr().err
    assert "$.places[15]" in err and "cannot be reached" in err


def test_place_far_from_roads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A place with no node, far from every road node, is named with its distance."""
    root = DATA.parents[1]
    demo = json.loads((root / "instances" / "yiwu-demo.json").read_text())
    demo["network"]["nodes"] = str(root / "data" / "yiwu" / "nodes.geojson")
    demo["network"]["edges"] = str(root / "data" / "yiwu" / "edges.geojson")
    demo["places"].append({"id": "far", "lon": 121.0, "lat": 28.5})
    inst = tmp_path / "bad.json"
    inst.write_text(json.dumps(demo))
    assert main(["solve", str(inst), "-q"]) == 2
    assert "km from the nearest road node" in " ".join(capsys.readouterr().err.split())


def _demo_with(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    root = DATA.parents[1]
    demo = json.loads((root / "instances" / "yiwu-demo.json").read_text())
    demo["network"]["nodes"] = str(root / "data" / "yiwu" / "nodes.geojson")
    demo["network"]["edges"] = str(root / "data" / "yiwu" / "edges.geojson")
    change(demo)
    inst = tmp_path / "bad.json"
    inst.write_text(json.dumps(demo))
    return inst


def _place(demo: dict[str, Any], pid: str) -> dict[str, Any]:
    return next(p for p in demo["places"] if p["id"] == pid)


def _moved_factory(demo: dict[str, Any]) -> None:
    # about 6 km east: 6.01 km on the WGS84 ellipsoid (a sphere of 6371 km gave 6.00)
    _place(demo, "yiwu_futian")["lon"] += 6 / 97.0


def test_place_far_from_its_node(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A factory moved 6 km from the road node it names is refused, with the distance."""
    inst = _demo_with(tmp_path, _moved_factory)
    assert main(["solve", str(inst), "-q", "-o", str(tmp_path / "out.json")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "$.places[" in err and "'yiwu_futian' lies 6.01 km" in err and "km from its node" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out.json").exists()


def test_validator_refuses_place_far_from_its_node(tmp_path: Path, demo_plan: Plan) -> None:
    """The validator refuses the same instance instead of judging zones its own way."""
    loaded = read_instance(_demo_with(tmp_path, _moved_factory))
    with pytest.raises(InputError, match=r"'yiwu_futian' lies 6\.01 km from its node"):
        validate(loaded.instance, demo_plan, loaded.base)


def test_place_across_a_boundary_from_its_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A place outside the closed zone whose named node is inside it: refused, zones named."""

    def move(demo: dict[str, Any]) -> None:
        jinhua, inside = _place(demo, "jinhua"), _place(demo, "yiwu_futian")
        zone = shapely.Polygon(next(z for z in demo["zones"] if z["id"] == "yiwu")["polygon"][0])
        node = shapely.Point(inside["lon"], inside["lat"])
        edge = zone.exterior.interpolate(zone.exterior.project(node))
        # 300 m beyond the boundary point nearest the factory's node, outside the zone.
        away = shapely.Point(edge.x + (edge.x - node.x), edge.y + (edge.y - node.y))
        step = 0.003 / max(edge.distance(away), 1e-9)
        out = shapely.Point(edge.x + (away.x - edge.x) * step, edge.y + (away.y - edge.y) * step)
        assert not zone.contains(out)
        jinhua["node"] = inside["node"]
        jinhua["lon"], jinhua["lat"] = out.x, out.y
        demo["network"]["snap_km"] = 10.0  # near enough: only the zones disagree

    inst = _demo_with(tmp_path, move)
    assert main(["solve", str(inst), "-q"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "'jinhua' lies in no restricted zone but its node 'yiwu_futian' in zone 'yiwu'" in err


def test_invalid_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Broken JSON is reported with its line and column."""
    inst = tmp_path / "bad.json"
    inst.write_text('{"name": "x",\n "start": }')
    assert main(["solve", str(inst), "-q"]) == 2
    assert "line 2" in capsys.readouterr().err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing instance file is one message, exit 2."""
    assert main(["solve", str(tmp_path / "none.json"), "-q"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_missing_network_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A road network file that is not there is named."""
    data = copy.deepcopy(BASE)
    data["network"] = {"mode": "road", "nodes": "nodes.geojson", "edges": "edges.geojson"}
    inst = tmp_path / "bad.json"
    inst.write_text(json.dumps(data))
    assert main(["solve", str(inst), "-q"]) == 2
    assert "nodes.geojson" in capsys.readouterr().err


def test_bad_solver_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown strategy in a solver configuration is named."""
    cfg = tmp_path / "x.toml"
    cfg.write_text('metaheuristic = "MAGIC"\n')
    assert main(["solve", str(DATA / "small-straight.json"), "--solver", str(cfg), "-q"]) == 2
    assert "metaheuristic" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("shipments.0.ready", 2000, "$.shipments[0].ready: ready 2000 is past the horizon 1440"),
        ("shipments.1.due", 1500, "$.shipments[1].due: due 1500 is past the horizon 1440"),
        (
            "places.1.hours",
            [[1500, 1600]],
            "$.places[1].hours[0]: opening 1500 is past the horizon",
        ),
    ],
)
def test_time_past_horizon_refused(
    path: str, value: Any, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ready, due or opening time past the horizon is refused with its path, not planned round."""
    data = copy.deepcopy(BASE)
    _set(path, value)(data)
    inst = tmp_path / "bad.json"
    inst.write_text(json.dumps(data))
    assert main(["solve", str(inst), "-q"]) == 2
    assert message in " ".join(capsys.readouterr().err.split())


def test_misspelt_field_named_with_all_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`redy` is named as unknown next to the missing `ready`, and every error is listed."""
    data = copy.deepcopy(BASE)
    data["shipments"][0]["redy"] = data["shipments"][0].pop("ready")
    data["trucks"][1]["capacity"] = "lots"
    inst = tmp_path / "bad.json"
    inst.write_text(json.dumps(data))
    assert main(["solve", str(inst), "-q"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "$.shipments[0].redy: unknown field (did you mean 'ready'?)" in err
    assert "$.shipments[0].ready: Field required" in err
    assert "$.trucks[1].capacity" in err


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("shipments.0.priority", 1e30),
        ("trucks.0.capacity", {"t": 1e30}),
        ("driver_pools.0.max_duty", 1e308),
        ("shipments.2.deadline", 1e300),
        ("horizon", 1e20),
        ("driver_pools.0.count", 10**12),
    ],
)
def test_huge_numbers_refused(
    path: str, value: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Numbers past the stated maxima (which keep OR-Tools' integers safe) are bad input."""
    data = copy.deepcopy(BASE)
    _set(path, value)(data)
    inst = tmp_path / "bad.json"
    inst.write_text(json.dumps(data))
    assert main(["solve", str(inst), "-q", "--time-limit", "1"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    where = "$." + ".".join(f"[{p}]" if p.isdigit() else p for p in path.split(".")).replace(
        ".[", "["
    )
    assert where in err and "internal error" not in err


def test_deep_nesting_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON nested 100,000 deep gets one line, exit 2 (was a RecursionError, exit 3)."""
    inst = tmp_path / "deep.json"
    inst.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["solve", str(inst), "-q"]) == 2
    assert "nested too deeply" in capsys.readouterr().err


# (change to the valid instance, the JSON path the message must name)
NOT_NUMBERS: list[tuple[str, Any, str]] = [
    ("horizon", True, "$.horizon"),
    ("shipments.0.ready", "420", "$.shipments[0].ready"),
    ("shipments.1.priority", True, "$.shipments[1].priority"),
    ("shipments.2.deadline", "900", "$.shipments[2].deadline"),
    ("shipments.0.quantity", {"t": "4"}, "$.shipments[0].quantity.t"),
    ("trucks.0.available", [True, 1320], "$.trucks[0].available[0]"),
    ("trucks.1.capacity", {"t": "10"}, "$.trucks[1].capacity.t"),
    ("places.1.hours", [[420, "1200"]], "$.places[1].hours[0][1]"),
    ("places.2.lon", "120.15", "$.places[2].lon"),
    ("zones.1.polygon.0.2", [120.26, True], "$.zones[1].polygon[0][2][1]"),
    ("checkpoints.0.delay", False, "$.checkpoints[0].delay"),
    ("checkpoints.1.throughput_per_hour", "6", "$.checkpoints[1].throughput_per_hour"),
    ("relay_stations.0.bays", True, "$.relay_stations[0].bays"),
    ("driver_pools.0.count", "3", "$.driver_pools[0].count"),
    ("objective", {"delay": True}, "$.objective.delay"),
    ("network.speed_kmh", "50", "$.network.speed_kmh"),
]


def _rail(departures: list[Any]) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        d["rail_stations"] = [{"id": "RA", "place": "sup1"}, {"id": "RB", "place": "cust1"}]
        d["rail_services"] = [
            {
                "id": "K",
                "origin": "RA",
                "destination": "RB",
                "departures": departures,
                "duration": 60,
                "capacity": {"t": 10},
            }
        ]

    return change


@pytest.mark.parametrize(("path", "value", "where"), NOT_NUMBERS, ids=[c[0] for c in NOT_NUMBERS])
def test_boolean_or_string_as_number_refused(
    path: str, value: Any, where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`true` or "12" where a number is expected: exit 2, one line naming the path, no plan."""
    data = copy.deepcopy(BASE)
    _set(path, value)(data)
    inst = tmp_path / "bad.json"
    inst.write_text(json.dumps(data))
    out = tmp_path / "plan.json"
    assert main(["solve", str(inst), "-o", str(out), "-q", "--time-limit", "1"]) == 2
    err = capsys.readouterr().err
    assert f"{where}: a number is expected, not" in " ".join(err.split()), err
    assert err.count("error:") == 1 and "Traceback" not in err
    assert not out.exists()


def test_string_departure_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A rail departure given as a string is refused with its index in the list."""
    data = copy.deepcopy(BASE)
    _rail([600, "900"])(data)
    inst = tmp_path / "bad.json"
    inst.write_text(json.dumps(data))
    assert main(["solve", str(inst), "-q", "--time-limit", "1"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "$.rail_services[0].departures[1]: a number is expected, not a string" in err


def test_integers_still_numbers(tmp_path: Path) -> None:
    """The same fields given as JSON integers read (strict is not pedantic)."""
    data = copy.deepcopy(BASE)
    _rail([600, 900])(data)
    data["horizon"] = 1440
    data["shipments"][0]["quantity"] = {"t": 4}
    data["places"][2]["lon"] = 120
    loaded = read_instance(_write(tmp_path, data))
    assert loaded.instance.rail_services[0].departures == [600.0, 900.0]
    assert loaded.instance.places[2].lon == 120.0


def _write(tmp_path: Path, data: Any) -> Path:
    inst = tmp_path / "inst.json"
    inst.write_text(json.dumps(data))
    return inst


def test_too_many_shipments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """100,001 shipments: one line naming $.shipments and the limit, at once, not after a build."""
    from relayroute.model.instance import MAX_SHIPMENTS

    data = copy.deepcopy(BASE)
    data["shipments"] = [dict(BASE["shipments"][0], id=f"S{i}") for i in range(MAX_SHIPMENTS + 1)]
    inst = _write(tmp_path, data)
    assert main(["solve", str(inst), "-q", "--time-limit", "1"]) == 2
    err = capsys.readouterr().err
    assert "$.shipments: at most 100,000 shipments (relayroute's input limit), got 100,001" in (
        " ".join(err.split())
    )
    assert err.count("error:") == 1


def test_file_past_the_byte_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file larger than the byte limit is refused by its size, before it is parsed."""
    import relayroute.io.instance as io_instance

    inst = _write(tmp_path, BASE)
    size = inst.stat().st_size
    monkeypatch.setattr(io_instance, "MAX_INPUT_BYTES", size - 1)
    assert main(["solve", str(inst), "-q"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{inst}: larger than" in err and "relayroute's input limit" in err
    monkeypatch.setattr(io_instance, "MAX_INPUT_BYTES", size)
    assert read_instance(inst).instance.name == "small-straight"


def test_endless_device_is_cut_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """/dev/zero (no size, no end) is read only up to the limit, then refused."""
    import relayroute.io.instance as io_instance

    monkeypatch.setattr(io_instance, "MAX_INPUT_BYTES", 1_000_000)
    with pytest.raises(InputError, match=r"/dev/zero: larger than 1 MB"):
        read_instance("/dev/zero")


def test_folder_as_instance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A folder given as the instance is one line, exit 2."""
    assert main(["solve", str(tmp_path), "-q"]) == 2
    assert "cannot read: Is a directory" in " ".join(capsys.readouterr().err.split())


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda p: p["kpis"].update(km=True), "$.kpis.km"),
        (lambda p: p["kpis"].update(served="5"), "$.kpis.served"),
        (lambda p: p["routes"][0]["stops"][0].update(arrive="360"), "$.routes[0].stops[0].arrive"),
    ],
    ids=["bool", "str count", "str time"],
)
def test_plan_reader_strict_numbers(
    change: Callable[[dict[str, Any]], None],
    where: str,
    tmp_path: Path,
    small_plan: Plan,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The plan reader refuses booleans and strings as numbers too, naming the path, exit 2."""
    from relayroute.io.plan import plan_to_json

    data = json.loads(plan_to_json(small_plan))
    good = tmp_path / "good.json"
    good.write_text(json.dumps(data))
    instance = str(DATA / "small-straight.json")
    assert main(["validate", instance, str(good)]) == 0
    change(data)
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["validate", instance, str(bad)]) == 2
    assert f"{bad} {where}" in " ".join(capsys.readouterr().err.split())


def test_plan_reader_refuses_non_finite(
    tmp_path: Path, small_plan: Plan, capsys: pytest.CaptureFixture[str]
) -> None:
    """Infinity or NaN in a plan is bad input (exit 2), not a figure the validator meets."""
    from relayroute.io.plan import plan_to_json

    data = json.loads(plan_to_json(small_plan))
    data["kpis"]["km"] = float("nan")
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps(data))
    assert main(["validate", str(DATA / "small-straight.json"), str(bad)]) == 2
    assert "NaN is not a number here" in capsys.readouterr().err


@pytest.mark.parametrize("key", ["nodes", "edges", "graphml", "osm"])
def test_empty_network_path_refused(
    key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty network file name is refused at its path (was read as "not given")."""
    data = copy.deepcopy(BASE)
    data["network"] = {"mode": "road", "nodes": "n.geojson", "edges": "e.geojson", key: ""}
    assert main(["solve", str(_write(tmp_path, data)), "-q"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"$.network.{key}: String should have at least 1 character" in err


@pytest.mark.parametrize(
    ("key", "where"),
    [
        ("x\ny", '$.trucks[0]["x\\ny"]: unknown field'),
        ("", '$.trucks[0][""]: unknown field'),
        ("a.b", '$.trucks[0]["a.b"]: unknown field'),
        ("\ud800", "$.trucks[0]: Input should be a valid string, unable to parse raw data"),
        ("colour", "$.trucks[0].colour: unknown field"),
    ],
    ids=["newline", "empty", "dot", "lone surrogate", "plain"],
)
def test_odd_keys_named_on_one_line(
    key: str, where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown key with a line break, a dot or nothing in it is quoted in the path: the
    message stays one line that says where the key ends (was ``$.trucks[0].x`` + newline)."""
    data = copy.deepcopy(BASE)
    data["trucks"][0][key] = 1
    inst = tmp_path / "bad.json"
    inst.write_text(json.dumps(data))  # ASCII, with \\u escapes
    assert main(["solve", str(inst), "-q"]) == 2
    err = capsys.readouterr().err
    assert where in " ".join(err.split()), err
    assert err.count("\n") == len(err.splitlines()) and "Traceback" not in err


def test_lone_surrogate_id_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An id holding a lone surrogate (a valid JSON escape, no text) is refused, printed
    escaped: no terminal encoding error."""
    data = copy.deepcopy(BASE)
    data["shipments"][0]["origin"] = "\ud800"
    inst = tmp_path / "bad.json"
    inst.write_text(json.dumps(data))
    assert main(["solve", str(inst), "-q"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert (
        '$.shipments[0].origin: Input should be a valid string, unable to parse raw data as a unicode string (got "\\ud800")'
        in err
    )


def test_named_pipe_without_writer_does_not_hang(tmp_path: Path) -> None:
    """An instance path that is a named pipe no one writes to reads as empty (bad input),
    instead of blocking the open where not even SIGTERM stops it (found after the fuzz
    campaign: ``timeout 10 relayroute solve fifo`` never ended)."""
    import os

    fifo = tmp_path / "day.json"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="invalid JSON"):
        read_instance(fifo)

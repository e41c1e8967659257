"""Cross-object checks: the euclidean coordinate range, bays and loop drivers in all
(limits the fuzz campaign of issue 19 found missing)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from relayroute.errors import InputError
from relayroute.io.instance import instance_from_data
from relayroute.model.instance import MAX_BAYS, MAX_COORDINATE, MAX_POOL

ROOT = Path(__file__).resolve().parents[2]


def _euclid(x: float) -> dict[str, Any]:
    return {
        "name": "plane",
        "start": "2022-08-12T00:00:00+08:00",
        "horizon": 1000,
        "network": {"mode": "euclidean", "speed": 1},
        "places": [{"id": "a", "lon": 0, "lat": 0}, {"id": "b", "lon": x, "lat": -x}],
        "depots": [{"id": "D", "place": "a"}],
        "trucks": [{"id": "v", "depot": "D", "capacity": {"load": 1}, "available": [0, 1000]}],
    }


@pytest.mark.parametrize("x", [1e300, -1.7e308, MAX_COORDINATE * 1.000001])
def test_euclidean_coordinate_past_the_limit(x: float) -> None:
    """x or y beyond ±1e9 is refused at the place: 1e300 overflowed every distance to inf."""
    with pytest.raises(InputError, match=r"beyond ±1e\+09, the largest euclidean coordinate") as e:
        instance_from_data(_euclid(x))
    assert e.value.where == "$.places[1]"


def test_euclidean_coordinate_at_the_limit() -> None:
    """At the limit itself the instance reads."""
    inst = instance_from_data(_euclid(MAX_COORDINATE))
    assert inst.places[1].lon == MAX_COORDINATE


def _small() -> dict[str, Any]:
    return json.loads((ROOT / "tests" / "data" / "small-straight.json").read_text())


def test_bays_past_the_limit() -> None:
    """10**30 bays (the timing gives each a calendar: memory ran out) is refused at the station."""
    data = _small()
    data["relay_stations"][0]["bays"] = 10**30
    with pytest.raises(InputError, match=r"less than or equal to 100000") as e:
        instance_from_data(data)
    assert e.value.where == "$.relay_stations[0].bays"


def test_bays_and_loop_drivers_in_all() -> None:
    """Within each object's limit, the totals over stations and loop pools are held too."""
    data = _small()
    data["relay_stations"][0]["bays"] = MAX_BAYS
    data["relay_stations"].append(dict(data["relay_stations"][0], id="rs2", bays=1))
    with pytest.raises(InputError, match=r"at most 100,000 bays in all") as e:
        instance_from_data(data)
    assert e.value.where == "$.relay_stations[1]"
    data["relay_stations"].pop()
    data["driver_pools"][1]["count"] = MAX_POOL
    assert instance_from_data(data).driver_pools[1].count == MAX_POOL
    data["driver_pools"].append(dict(data["driver_pools"][1], id="loop2", count=1))
    with pytest.raises(InputError, match=r"at most 100,000 loop drivers in all") as e:
        instance_from_data(data)
    assert e.value.where == "$.driver_pools[2]"


def test_checkpoint_tolerance_measured_on_the_ground() -> None:
    """A checkpoint 0.18 km west of its zone (within 0.2 km) reads, 0.22 km is refused with
    its distance: degrees × 111 read the first as 0.21 km (east-west, cos 29.35° short)."""
    data = _small()
    assert data["checkpoints"][0]["lon"] == 120.0  # on the city's west edge, at 29.35° N
    deg_per_km = 1 / (111.32 * math.cos(math.radians(29.35)))
    data["checkpoints"][0]["lon"] = 120.0 - 0.18 * deg_per_km
    assert instance_from_data(data).checkpoints[0].lon < 120.0
    data["checkpoints"][0]["lon"] = 120.0 - 0.22 * deg_per_km
    with pytest.raises(InputError, match=r"is 0\.22 km from the boundary of zone 'city'"):
        instance_from_data(data)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ([{"at": 600, "policy": "closed_loop"}], "the zone is closed_loop already"),
        (
            [{"at": 600, "policy": "open"}, {"at": 500, "policy": "permit"}],
            "is not after the change before it",
        ),
        ([{"at": 5000, "policy": "open"}], "past the horizon"),
    ],
)
def test_zone_changes_in_order_and_real(changes: list[dict[str, Any]], words: str) -> None:
    """A zone's policy changes are in time order, each a change, within the day."""
    data = _small()
    data["zones"][0]["changes"] = changes  # city, closed_loop
    with pytest.raises(InputError, match=words) as e:
        instance_from_data(data)
    assert e.value.where.startswith("$.zones[0].changes[")


def test_a_zone_that_changes_keeps_the_objects_of_each_policy() -> None:
    """A closed-loop zone that opens at noon keeps its relay station, loop drivers and
    checkpoints (the morning needs them); the solver refuses the day by name, since only
    a re-plan from the change plans it."""
    from relayroute.itineraries import build_problem

    data = _small()
    data["zones"][0]["changes"] = [{"at": 720, "policy": "open"}]
    inst = instance_from_data(data)
    assert inst.zones[0].policy_at(719) == "closed_loop"
    assert inst.zones[0].policy_at(720) == "open"
    with pytest.raises(InputError, match="relayroute replan") as e:
        build_problem(inst, ROOT / "tests" / "data")
    assert e.value.where == "$.zones[0].changes"

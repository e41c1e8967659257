"""Physical trips (itineraries/trips.py) on the small straight-line instance.

The small instance has one depot, which is also the relay station ``rs_west`` of the
closed city; ``city_factory`` lies inside the city, behind checkpoint ``cp_city_w``; the
supplier ``sup1`` opens 420-1200.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from relayroute.io.instance import instance_from_data
from relayroute.itineraries import Problem, build_problem
from relayroute.itineraries.trips import Visit, earliest_schedule, plan_trip

from ..conftest import DATA

BASE: dict[str, Any] = json.loads((DATA / "small-straight.json").read_text())


def _problem(data: dict[str, Any]) -> Problem:
    return build_problem(instance_from_data(data), DATA)


@pytest.fixture(scope="module")
def prob() -> Problem:
    return _problem(BASE)


def _visits(*shipments: str) -> list[Visit]:
    """Each shipment picked up, then each delivered, in the order given."""
    return [Visit("pickup", s) for s in shipments] + [Visit("delivery", s) for s in shipments]


def _place(data: dict[str, Any], pid: str) -> dict[str, Any]:
    return next(p for p in data["places"] if p["id"] == pid)


def test_relay_trip_hands_over_at_the_home_station(prob: Problem) -> None:
    """Into the closed city the truck goes through its home station: a handover in to a
    loop driver before the inside stop, a handover out to its own driver after it, and
    only the legs between them are driven by the zone's loop driver."""
    veh = prob.vehicles[1]
    trip = plan_trip(prob, veh, _visits("S3"))
    assert trip is not None
    kinds = [(s.kind, s.direction) for s in trip.stops]
    assert kinds == [
        ("start", None),
        ("pickup", None),
        ("handover", "in"),
        ("delivery", None),
        ("handover", "out"),
        ("end", None),
    ]
    station = prob.station("rs_west")
    for i in (2, 4):
        assert trip.stops[i].station == veh.station("city") == "rs_west"
        assert trip.stops[i].place == station.place
        assert trip.stops[i].service == station.handover_minutes
    assert [leg.zone for leg in trip.legs] == [None, None, "city", "city", None]
    assert trip.excursions() == [(2, 4)]


def test_outside_trip_has_no_handover(prob: Problem) -> None:
    """A shipment with both ends outside closed zones is driven by the truck's own
    driver all day: no handover, no loop-driven leg."""
    trip = plan_trip(prob, prob.vehicles[0], _visits("S1"))
    assert trip is not None
    assert [s.kind for s in trip.stops] == ["start", "pickup", "delivery", "end"]
    assert all(leg.zone is None for leg in trip.legs)
    assert trip.excursions() == []


def test_crossings_at_checkpoints_are_inspected_on_the_way(prob: Problem) -> None:
    """The loop legs into and out of the city cross its checkpoint (in, then out); the
    inspection starts when the truck reaches the checkpoint, and the delivery waits for
    it: arrival = leaving the handover + the leg's minutes, which count the inspection."""
    trip = plan_trip(prob, prob.vehicles[1], _visits("S3"))
    assert trip is not None
    crossings = [[(c.checkpoint, c.direction) for c in leg.route.crossings] for leg in trip.legs]
    assert crossings == [[], [], [("cp_city_w", "in")], [("cp_city_w", "out")], []]
    times = earliest_schedule(prob, "T2", trip)
    assert times is not None
    leave = times.start[2] + trip.stops[2].service
    into = trip.legs[2].route
    assert times.inspect[2] == pytest.approx([leave + into.crossings[0].offset])
    assert into.minutes > into.crossings[0].delay == 20.0
    assert times.arrive[3] == pytest.approx(leave + into.minutes)
    assert times.delivered["S3"] == pytest.approx(times.start[3] + trip.stops[3].service)


def test_earliest_schedule_waits_for_the_site_to_open() -> None:
    """The pickup at ``sup1`` starts when the site opens (600), not when the truck could
    be there; the truck leaves the depot late enough not to wait at the site."""
    data = copy.deepcopy(BASE)
    _place(data, "sup1")["hours"] = [[600, 1200]]
    prob = _problem(data)
    trip = plan_trip(prob, prob.vehicles[0], _visits("S1"))
    assert trip is not None
    times = earliest_schedule(prob, "T1", trip)
    assert times is not None
    drive = trip.legs[0].route.minutes
    assert 360 + drive < 600  # it could be there long before
    assert times.start[1] == pytest.approx(600.0)
    assert times.start[0] == pytest.approx(600.0 - drive)
    assert times.delivered["S1"] == pytest.approx(
        600.0 + 20 + trip.legs[1].route.minutes + 20  # pickup, drive, delivery
    )


def test_earliest_schedule_none_when_the_site_is_closed_by_then() -> None:
    """A pickup ready after its site has closed for the day cannot be timed."""
    data = copy.deepcopy(BASE)
    _place(data, "sup1")["hours"] = [[420, 450]]
    next(s for s in data["shipments"] if s["id"] == "S1")["ready"] = 460
    prob = _problem(data)
    trip = plan_trip(prob, prob.vehicles[0], _visits("S1"))
    assert trip is not None
    assert earliest_schedule(prob, "T1", trip) is None


def test_inside_stops_share_an_excursion_unless_split() -> None:
    """Two shipments into the city share one loop-driven excursion; with ``split`` (the
    dispatcher's way) each pickup starts from outside, one excursion each."""
    data = copy.deepcopy(BASE)
    s3 = next(s for s in data["shipments"] if s["id"] == "S3")
    data["shipments"].append({**s3, "id": "S6"})
    prob = _problem(data)
    visits = [Visit("pickup", "S3"), Visit("delivery", "S3")]
    visits += [Visit("pickup", "S6"), Visit("delivery", "S6")]
    together = plan_trip(prob, prob.vehicles[1], _visits("S3", "S6"))
    apart = plan_trip(prob, prob.vehicles[1], visits, split=True)
    assert together is not None and apart is not None
    assert len(together.excursions()) == 1
    assert len(apart.excursions()) == 2

"""Events of the day: their models and their command-line form."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from relayroute.errors import InputError
from relayroute.model.events import (
    CheckpointClosed,
    CheckpointReopened,
    LoopDriversFewer,
    RoadClosed,
    ShipmentsAdded,
    ShipmentsCancelled,
    StationClosed,
    TruckBroken,
    event_from_data,
    parse_event,
    parse_time,
)

if TYPE_CHECKING:
    from pathlib import Path

START = datetime.fromisoformat("2022-08-12T00:00:00+08:00")


def test_clock_times_are_minutes_from_the_start() -> None:
    """HH:MM is read in the instance's clock; a plain number is minutes already."""
    assert parse_time("12:00", START) == 720
    assert parse_time("09:30", START) == 570
    assert parse_time("455", START) == 455
    later = datetime.fromisoformat("2022-08-12T06:00:00+08:00")
    assert parse_time("12:00", later) == 360
    assert parse_time("05:00", later) == 23 * 60  # before the start: the next day


@pytest.mark.parametrize("bad", ["noon", "25:00", "12:75", "-3"])
def test_bad_times_are_refused(bad: str) -> None:
    """A time that is neither HH:MM nor minutes is refused by name."""
    with pytest.raises(InputError, match=bad.lstrip("-") if bad != "-3" else "negative"):
        parse_time(bad, START)


def test_each_kind_from_its_command_line_form(tmp_path: Path) -> None:
    """Every kind parses to its model, with window, count and files read."""
    extra = {
        "id": "S-new",
        "origin": "sup1",
        "destination": "cust2",
        "quantity": {"t": 1},
        "ready": 600,
        "due": 900,
    }
    (tmp_path / "new.json").write_text(json.dumps(extra))
    assert parse_event("checkpoint-closed:cp1", START) == CheckpointClosed(checkpoint="cp1")
    assert parse_event("checkpoint-closed:cp1:10:00-14:00", START) == CheckpointClosed(
        checkpoint="cp1", window=(600, 840)
    )
    assert parse_event("checkpoint-reopened:cp1:780-900", START) == CheckpointReopened(
        checkpoint="cp1", window=(780, 900)
    )
    assert parse_event("station-closed:rs", START) == StationClosed(station="rs")
    assert parse_event("loop-drivers-fewer:rs", START) == LoopDriversFewer(station="rs")
    assert parse_event("loop-drivers-fewer:rs:3", START).fewer == 3  # type: ignore[union-attr]
    assert parse_event("truck-broken:T1", START) == TruckBroken(truck="T1")
    assert parse_event("road-closed:a-b:10:00-11:00", START) == RoadClosed(
        road=("a", "b"), window=(600.0, 660.0)
    )
    assert parse_event("shipments-cancelled:S1,S2", START) == ShipmentsCancelled(
        shipments=["S1", "S2"]
    )
    added = parse_event("shipments-added:new.json", START, tmp_path)
    assert isinstance(added, ShipmentsAdded)
    assert [s.id for s in added.shipments] == ["S-new"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("road-closed-soon:a-b", "unknown kind 'road-closed-soon'"),
        ("road-closed:a-b-c", "a road is NODE-NODE"),
        ("road-closed:a-b:12:00", "from-to"),
        ("road-closed:a-b:14:00-10:00", "ends before it starts"),
        ("checkpoint-closed", "needs an object"),
        ("checkpoint-closed:cp1:10:00", "from-to"),
        ("checkpoint-closed:cp1:14:00-10:00", "ends before it starts"),
        ("loop-drivers-fewer:rs:two", "whole number"),
        ("loop-drivers-fewer:rs:0", "greater than or equal to 1"),
        ("truck-broken:T1:10:00-11:00", "no window"),
        ("shipments-added:missing.json", "cannot read"),
    ],
)
def test_bad_events_are_refused_by_name(text: str, says: str) -> None:
    """A malformed event is one InputError naming the event and what is wrong."""
    with pytest.raises(InputError, match=says) as err:
        parse_event(text, START)
    assert text.split(":")[0] in str(err.value) or "missing.json" in str(err.value)


def test_events_from_json_data() -> None:
    """JSON data is told apart by its kind; an unknown field is refused."""
    e = event_from_data({"kind": "station-closed", "station": "rs", "window": [600, 700]})
    assert e == StationClosed(station="rs", window=(600, 700))
    with pytest.raises(InputError, match="station"):
        event_from_data({"kind": "station-closed"})
    with pytest.raises(InputError):
        event_from_data({"kind": "station-closed", "station": "rs", "colour": "red"})

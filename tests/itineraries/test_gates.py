"""Checkpoint hours as the routing model sees them: a leg's minutes by when it sets out
(issue 15, item 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from relayroute.io.instance import LoadedInstance, instance_from_data
from relayroute.itineraries.build import build_problem
from relayroute.itineraries.gates import DETOUR_WAIT, STEP, gate_clock, timed_gates
from relayroute.itineraries.trips import transit_matrices
from relayroute.network import Profile
from relayroute.solve.greedy import greedy
from relayroute.solve.routing import expected_of, layout
from relayroute.solve.routing.model import expected_starts

if TYPE_CHECKING:
    from relayroute.itineraries.problem import Problem

DATA = Path(__file__).resolve().parents[1] / "data" / "small-straight.json"
PERMIT = Profile("outside", frozenset({"park"}))


def _day(hours: list[list[float]] | None = None, throughput: int | None = None) -> Problem:
    """The small day with the park's west gate open in ``hours`` (and ``throughput``
    trucks an hour)."""
    data = json.loads(DATA.read_text())
    for c in data["checkpoints"]:
        if c["id"] == "cp_park_w":
            if hours is not None:
                c["hours"] = hours
            if throughput is not None:
                c["throughput_per_hour"] = throughput
    inst = instance_from_data(data)
    return build_problem(inst, LoadedInstance(inst, DATA.parent, "gates").base)


def _gates(prob: Problem) -> dict[str, tuple[tuple[tuple[float, float], ...], tuple[float, ...]]]:
    return timed_gates({c.id: c.hours for c in prob.inst.checkpoints}, prob.inst.horizon)


@pytest.fixture(scope="module")
def shut() -> Problem:
    """The park's west gate shut 10:00-15:00."""
    return _day([[0, 600], [900, 1440]])


def test_gates_open_all_day_are_not_timed() -> None:
    """Hours covering the whole day shut nothing; hours that close part of it do, and so
    does a queue expected in some band."""
    assert timed_gates({"a": [(0.0, 1440.0)], "b": []}, 1440.0) == {}
    night = timed_gates({"a": [(300.0, 1380.0)]}, 1440.0)
    assert night == {"a": (((300.0, 1380.0),), ())}
    queued = timed_gates({"b": []}, 1440.0, {"b": [0.0, 4.0]})
    assert queued == {"b": ((), (0.0, 4.0))}


def test_no_clock_where_no_road_crosses_a_timed_gate() -> None:
    """With every gate open all day the tables' minutes hold: no clock."""
    prob = _day()
    assert all(gate_clock(t, _gates(prob), prob.inst.horizon) is None for t in prob.tables.values())


def test_the_clock_goes_round_or_waits_whichever_is_sooner(shut: Problem) -> None:
    """depot -> park_factory crosses the west gate 48.8 min out: setting out while the
    gate is shut takes the south gate's road (the detour's extra minutes); setting out so
    that the gate opens within a few minutes waits for it; before the closure, nothing."""
    table = shut.tables[PERMIT]
    clock = gate_clock(table, _gates(shut), shut.inst.horizon)
    assert clock is not None
    a, b = table.index["depot"], table.index["park_factory"]
    fast = table.route("depot", "park_factory")
    (cross,) = fast.crossings
    other = table.avoiding("depot", "park_factory", frozenset({"cp_park_w"}))
    assert cross.checkpoint == "cp_park_w" and other is not None
    round_by = other.minutes - fast.minutes
    assert 0 < round_by < 30

    def extra(t: float) -> float:
        return float(clock.at(np.array(a), np.array(b), np.array(t)))

    assert extra(450.0) == 0.0  # reaches the gate at 08:19, open
    assert extra(600.0) == pytest.approx(round_by)  # reaches it while shut for hours
    # Setting out in the band of 14:00: the wait at the gate (about 11 min) is longer
    # than going round, and going round arrives over a minute sooner.
    assert extra(840.0) == pytest.approx(round_by)
    assert extra(float("nan")) == 0.0
    # The other way, park_factory -> depot, crosses 4.5 min out and is timed the same.
    assert float(clock.at(np.array(b), np.array(a), np.array(700.0))) == pytest.approx(
        other.minutes - fast.minutes
    )


def test_a_short_wait_is_waited() -> None:
    """Reaching the gate a few minutes before it opens, the leg waits for it (no way
    round for a wait of DETOUR_WAIT minutes or less)."""
    prob = _day([[0, 600], [892, 1440]])
    table = prob.tables[PERMIT]
    clock = gate_clock(table, _gates(prob), prob.inst.horizon)
    assert clock is not None
    (cross,) = table.route("depot", "park_factory").crossings
    t = 840.0  # a band's start: the gate is reached at 14:48.8
    a, b = table.index["depot"], table.index["park_factory"]
    wait = 892.0 - (t + cross.offset)
    assert 0 < wait <= DETOUR_WAIT
    assert float(clock.at(np.array(a), np.array(b), np.array(t + STEP / 2))) == pytest.approx(wait)


def test_a_gate_shut_for_the_rest_of_the_day_with_no_way_round() -> None:
    """Both park gates shut from noon: a leg setting out after that cannot arrive today,
    and its extra minutes take it to the day's end."""
    data = json.loads(DATA.read_text())
    for c in data["checkpoints"]:
        if c["zone"] == "park":
            c["hours"] = [[0, 720]]
    inst = instance_from_data(data)
    prob = build_problem(inst, DATA.parent)
    table = prob.tables[PERMIT]
    clock = gate_clock(table, _gates(prob), inst.horizon)
    assert clock is not None
    a, b = table.index["depot"], table.index["park_factory"]
    fast = table.route("depot", "park_factory")
    got = float(clock.at(np.array(a), np.array(b), np.array(750.0)))
    assert got == pytest.approx(inst.horizon - 750.0 - fast.minutes)


def test_arcs_take_the_gate_hours_at_the_expected_departure(shut: Problem) -> None:
    """An arc's minutes grow by the clock's extra at its from-node's expected start plus
    service; with no expected start they are the table's."""
    veh = next(v for v in shut.vehicles if v.truck == "T1")
    places = ["depot", "park_factory"]
    service = np.array([0.0, 10.0])
    plain, km, loop = transit_matrices(shut, veh, places, service)
    depart = np.array([600.0, np.nan])
    timed, km2, loop2 = transit_matrices(shut, veh, places, service, depart, _gates(shut))
    table = shut.tables[PERMIT]
    other = table.avoiding("depot", "park_factory", frozenset({"cp_park_w"}))
    assert other is not None
    assert timed[0, 1] - plain[0, 1] == pytest.approx(
        other.minutes - table.route("depot", "park_factory").minutes
    )
    assert timed[1, 0] == plain[1, 0]
    assert np.array_equal(km, km2)
    assert np.array_equal(loop, loop2)


def test_expected_starts_default_to_the_earliest(shut: Problem) -> None:
    """With no timed plan, a pickup is expected at its ready time (its place open) and a
    delivery at its earliest end alone less its service."""
    nodes = layout(shut)
    starts = expected_starts(shut, nodes, {})
    for node, key in nodes.key.items():
        sh = shut.inst.shipments_by_id[key[1]]
        if key[0] == "p":
            assert starts[node] >= sh.ready
        elif key[0] == "d" and sh.id in shut.solo:
            assert starts[node] == pytest.approx(shut.solo[sh.id] - sh.delivery_minutes)
    given = {nodes.key[len(nodes.depot_places)]: 777.0}
    assert expected_starts(shut, nodes, given)[len(nodes.depot_places)] == 777.0


def test_a_timed_plan_tells_stop_times_and_queues() -> None:
    """expected_of reads each stop's start from the timed trips, and per checkpoint with
    a throughput the mean queue per band: with one inspection an hour at every gate the
    dispatcher's second truck through the city gate within the hour queues, and that
    band says how long."""
    data = json.loads(DATA.read_text())
    for c in data["checkpoints"]:
        c["throughput_per_hour"] = 1
    inst = instance_from_data(data)
    prob = build_problem(inst, DATA.parent)
    trips, _ = greedy(prob)
    seen = expected_of(prob, trips)
    for tt in trips:
        for i, stop in enumerate(tt.trip.stops):
            if stop.kind == "delivery" and stop.shipment is not None:
                assert seen.times[("d", stop.shipment)] == tt.times.start[i]
    queued = []  # (checkpoint, arrival, inspection); no leg here crosses twice
    for tt in trips:
        for k, leg in enumerate(tt.trip.legs):
            leave = tt.times.start[k] + tt.trip.stops[k].service
            assert len(leg.route.crossings) <= 1
            for c, at in zip(leg.route.crossings, tt.times.inspect[k], strict=True):
                queued.append((c.checkpoint, leave + c.offset, at))
    waited = [(cp, arrive, at) for cp, arrive, at in queued if at > arrive + 1e-6]
    assert waited, "one inspection an hour makes some truck queue"
    for cp, arrive, _ in waited:
        band = [x for x in queued if x[0] == cp and x[1] // STEP == arrive // STEP]
        mean = sum(b[2] - b[1] for b in band) / len(band)
        assert seen.waits[cp][int(arrive // STEP)] == pytest.approx(mean)
    assert all(x >= 0 for xs in seen.waits.values() for x in xs)
    assert expected_of(prob, trips, queues=False).waits == {}

"""Property: on random small instances, the validator never rejects a solver plan."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relayroute.io.instance import LoadedInstance, instance_from_data
from relayroute.solve import SolverConfig, solve
from relayroute.validate import validate

DATA = Path(__file__).resolve().parent / "data"
BASE = json.loads((DATA / "small-straight.json").read_text())
FAST = SolverConfig(name="prop", solution_limit=30, time_limit=10, schedule_deterministic_time=1)

# Points west of the city, east of the park, inside the permit park or inside the closed city.
lon = st.one_of(
    st.floats(119.80, 119.98),
    st.floats(120.28, 120.40),
    st.floats(120.21, 120.25),
    st.floats(120.02, 120.08),
)
lat = st.floats(29.10, 29.50)


@st.composite
def instances(draw: st.DrawFn) -> dict:
    data = copy.deepcopy(BASE)
    n = draw(st.integers(2, 5))
    for i in range(n):
        x, y = draw(lon), draw(lat)
        if 120.21 <= x <= 120.25:
            y = draw(st.floats(29.31, 29.35))  # inside the park
        if 120.02 <= x <= 120.08:
            y = draw(st.floats(29.32, 29.38))  # inside the closed city
        hours = draw(st.sampled_from([[], [[420, 1200]], [[360, 600], [700, 1200]]]))
        data["places"].append({"id": f"r{i}", "lon": x, "lat": y, "hours": hours})
    ids = [p["id"] for p in data["places"]]
    data["shipments"] = []
    for k in range(draw(st.integers(1, 6))):
        a, b = draw(st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True))
        ready = draw(st.integers(360, 900))
        ship = {
            "id": f"X{k}",
            "origin": a,
            "destination": b,
            "quantity": {"t": draw(st.integers(0, 12))},
            "ready": ready,
            "due": ready + draw(st.integers(0, 300)),
            "priority": draw(st.sampled_from([1, 2, 5])),
        }
        if draw(st.booleans()):
            ship["deadline"] = ready + draw(st.integers(60, 600))
        data["shipments"].append(ship)
    for cp in data["checkpoints"]:
        cp["hours"] = draw(st.sampled_from([[], [[360, 1000]], [[0, 480], [600, 1440]]]))
        cp["throughput_per_hour"] = draw(st.sampled_from([None, 1, 3]))
    station = data["relay_stations"][0]
    station["bays"] = draw(st.integers(1, 2))
    station["handover_minutes"] = draw(st.sampled_from([5, 15, 30]))
    station["hours"] = draw(st.sampled_from([[], [[360, 1100]], [[300, 700], [800, 1300]]]))
    loop = next(p for p in data["driver_pools"] if p["kind"] == "loop")
    loop["count"] = draw(st.integers(1, 3))
    loop["shift"] = draw(st.sampled_from([[360, 1320], [360, 800], [700, 1320]]))
    loop["max_duty"] = draw(st.sampled_from([120, 300, 600]))
    return data


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_solver_plans_always_validate(data: dict) -> None:
    """Random places (some in the closed city, reached by relay), windows, deadlines,
    checkpoint hours and throughput, station bays, hours and handover times, loop-driver
    counts, shifts and duties: every solver plan passes the validator."""
    loaded = LoadedInstance(instance_from_data(data), DATA, "x")
    plan = solve(loaded, FAST)
    report = validate(loaded.instance, plan, loaded.base)
    assert report.ok, [str(v) for v in report.violations]
    assert plan.kpis.served + plan.kpis.unserved == len(data["shipments"])

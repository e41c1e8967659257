"""Decomposition: a day cut into parts, solved apart (locally or on Dask), repaired."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

import relayroute as rr
from relayroute.bench.generate import generate
from relayroute.itineraries import build_problem
from relayroute.solve import decompose
from relayroute.solve.config import SolverConfig
from relayroute.solve.timing.dispatch import Calendar

if TYPE_CHECKING:
    from relayroute.io.instance import LoadedInstance
    from relayroute.itineraries import Problem
    from relayroute.solve.timing import Timed

ROOT = Path(__file__).resolve().parents[2]
# Small enough to stay fast, large enough for several parts of every kind (closed zone,
# permit zones, open roads, time bands) and a few long-haul shipments between regions.
SHIPMENTS = 100
PART = 30


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> LoadedInstance:
    """A small province day (Yiwu and Liling joined), read as an instance."""
    folder = tmp_path_factory.mktemp("province")
    data = generate("yiwu,liling", SHIPMENTS, seed=3, roads=folder / "roads", relative_to=folder)
    path = folder / "province.json"
    path.write_text(json.dumps(data))
    return rr.read_instance(path)


def _plan_data(plan: rr.Plan) -> dict[str, Any]:
    """The plan without what differs run to run (wall-clock seconds, where it ran)."""
    out = plan.model_dump(mode="json")
    out["kpis"].pop("solve_seconds")
    for key in ("phases", "speed"):
        out["solver"].pop(key, None)
    return out


def test_parts_cover_the_day_once(province: LoadedInstance) -> None:
    """Every servable shipment is in one part; no truck in two; no part over the size;
    every loop driver is given to some part, none twice; outside drivers go with their
    trucks."""
    prob = build_problem(province.instance, province.base)
    parts = decompose.split(prob, PART)
    ids = [s for p in parts for s in p.shipments]
    assert sorted(ids) == sorted(prob.ways)
    assert all(len(p.shipments) <= PART for p in parts)
    trucks = [t for p in parts for t in p.trucks]
    assert len(trucks) == len(set(trucks))
    pool_of = {t.id: t.driver_pool for t in province.instance.trucks}
    for pool in province.instance.driver_pools:
        given = sum(dict(p.pools)[pool.id] for p in parts)
        if pool.kind == "loop":
            assert given == pool.count
        else:  # outside drivers follow their trucks
            assert given == min(pool.count, sum(pool_of[t] == pool.id for t in trucks))
            for p in parts:
                assert dict(p.pools)[pool.id] <= sum(pool_of[t] == pool.id for t in p.trucks)
    keys = {p.key.split("/")[0] for p in parts}
    assert {"yiwu", "liling_park", "open"} <= keys


def test_dask_gives_the_plan_of_one_process(province: LoadedInstance) -> None:
    """Through a local Dask cluster the parts give the same validated plan as solved one
    after the other in this process (same seed, a solution-count stop)."""
    config = SolverConfig(
        decompose="zone", solution_limit=10, time_limit=120, seed=0, schedule_deterministic_time=1.0
    )
    here = decompose.solve(province, config, executor="inline", workers=2, size=PART)
    there = decompose.solve(province, config, executor="dask", workers=2, size=PART)
    for plan in (here, there):
        report = rr.validate(province.instance, plan, province.base)
        assert report.ok, report
    assert here.solver["speed"]["executor"] == "inline"
    assert there.solver["speed"]["executor"] == "dask"
    assert _plan_data(here) == _plan_data(there)
    assert here.kpis.served > 0.8 * len(province.instance.shipments)
    # Long-haul shipments between the regions are served.
    assert any(o.shipment.startswith("X") for o in here.shipments)


def test_decomposed_plan_is_valid_and_keeps_the_floor(province: LoadedInstance) -> None:
    """Local worker processes: a valid plan, never worse than the parts' dispatcher plans
    repaired (the first valid plan), which came first."""
    config = SolverConfig(decompose="zone", time_limit=10)
    plan = decompose.solve(province, config, executor="processes", workers=2, size=PART)
    assert rr.validate(province.instance, plan, province.base).ok
    speed = plan.solver["speed"]
    assert speed["first_plan"] < plan.kpis.solve_seconds
    assert plan.solver["decomposition"]["kept"] in ("dispatcher", "routing")


def test_auto_keeps_small_days_whole() -> None:
    """``auto`` leaves the bundled days (at most 500 shipments) whole, and the default is
    left out of the plan's solver block, so their plans read as before."""
    assert not decompose.wanted(500, SolverConfig())
    assert decompose.wanted(decompose.AUTO_FROM, SolverConfig())
    assert not decompose.wanted(10**6, SolverConfig(decompose="off"))
    assert decompose.wanted(1, SolverConfig(decompose="zone"))
    assert "decompose" not in SolverConfig().model_dump()
    assert SolverConfig(decompose="zone").model_dump()["decompose"] == "zone"


def test_unknown_executor_is_bad_input(province: LoadedInstance) -> None:
    """An executor that is none of the three is named in one clear message."""
    with pytest.raises(rr.InputError) as err:
        decompose.Runner("threads")
    assert err.value.where == "executor"


def test_cli_scheduler_needs_a_decomposed_day(tmp_path: Path) -> None:
    """``solve --scheduler`` on a day that is not cut says to add ``--decompose zone``."""
    from relayroute.cli import main

    day = ROOT / "instances" / "yiwu-demo.json"
    code = main(["solve", str(day), "--scheduler", "tcp://127.0.0.1:1", "-q"])
    assert code == 2


def _first_fit(prob: Problem, trips: list[Timed]) -> bool:
    """Whether booking each trip's handovers, trip by trip, on the first free bay of its
    station finds a bay for every one (what ``insert_dropped`` needs)."""
    bays = {
        st.id: [Calendar() for _ in range(st.bays)]
        for sts in prob.swap_stations.values()
        for st in sts
    }
    for tt in trips:
        for i, stop in enumerate(tt.trip.stops):
            if stop.kind == "handover" and stop.station is not None:
                a, b = tt.times.start[i], tt.times.start[i] + stop.service
                cal = next((c for c in bays[stop.station] if c.free(a, b)), None)
                if cal is None:
                    return False
                cal.book(a, b)
    return True


def test_repair_books_bays_in_an_order_that_puts_back(province: LoadedInstance) -> None:
    """The repaired trips, in the order they come or reversed, are given back (the same
    trips) in an order whose first-fit bay booking finds a bay for every handover, so the
    repair puts left-out shipments back (the decomposed plans are validated above)."""
    config = SolverConfig(decompose="zone")
    prob = build_problem(province.instance, province.base)
    results = [
        decompose.solve_part(
            decompose.PartJob(
                p.key, pickle.dumps(decompose.restrict(prob, p)), config, 30.0, "greedy"
            )
        )
        for p in decompose.split(prob, PART)
    ]
    merged, trips, _, counts = decompose.merge(prob, results)
    assert counts["bays_booked"] == 1
    assert counts["put_back"] > 0
    # Trips with several handovers: where booking trip by trip can go wrong.
    assert any(sum(s.kind == "handover" for s in tt.trip.stops) > 1 for tt in trips)
    for given in (trips, trips[::-1]):
        order = decompose.bay_order(merged, given)
        assert order is not None and _first_fit(merged, order)
        assert sorted(map(id, order)) == sorted(map(id, given))


def _stub_trip(*handovers: tuple[float, float]) -> Any:
    """A stand-in timed trip with handovers at station ``s`` (start, end), as far as
    :func:`decompose.bay_order` reads one."""
    stops = [SimpleNamespace(kind="start", service=0.0, station=None)]
    start = [0.0]
    for a, b in handovers:
        stops.append(SimpleNamespace(kind="handover", service=b - a, station="s"))
        start.append(a)
    return SimpleNamespace(trip=SimpleNamespace(stops=stops), times=SimpleNamespace(start=start))


def test_bay_order_mends_an_order_that_books_a_bay_too_many() -> None:
    """Two bays, never more than two handovers at once; booked in the given order (a
    trip at 16-18, then one at 0-8 and 12-20, then one at 5-15) the last finds both bays
    taken. ``bay_order`` gives an order that books them all, and None when no order is
    tried."""
    prob: Any = SimpleNamespace(swap_stations={"z": [SimpleNamespace(id="s", bays=2)]})
    given = [_stub_trip((16, 18)), _stub_trip((0, 8), (12, 20)), _stub_trip((5, 15))]
    assert not _first_fit(prob, given)
    order = decompose.bay_order(prob, given)
    assert order is not None and _first_fit(prob, order)
    assert sorted(map(id, order)) == sorted(map(id, given))
    assert decompose.bay_order(prob, given, tries=0) is None

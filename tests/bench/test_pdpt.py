"""The Lyu & Yu pickup-and-delivery-with-transfers benchmark: reading it and its results,
the independent route checker, and the conversion that the product's pipeline solves."""

from __future__ import annotations

import itertools
from functools import cache
from pathlib import Path

import pytest

import relayroute as rr
from relayroute.bench.pdpt.convert import (
    SCALE,
    pdpt_objective,
    plan_routes,
    to_instance,
    transfers_used,
)
from relayroute.bench.pdpt.read import (
    PDPTInstance,
    check_routes,
    distance,
    read_lyu_yu,
    read_published_results,
    total_distance,
)
from relayroute.errors import InputError

PDPT = Path(__file__).resolve().parents[1] / "data" / "pdpt"


def test_read_example() -> None:
    """The paper's first example: two requests, one vehicle, no transfer station."""
    inst = read_lyu_yu(PDPT / "example1.txt")
    assert (len(inst.requests), len(inst.vehicles), len(inst.transfers)) == (2, 1, 0)
    r0 = inst.requests[0]
    assert (r0.pickup.x, r0.pickup.y, r0.delivery.x, r0.delivery.y, r0.quantity) == (1, 0, 3, 1, 1)
    assert inst.vehicles[0].capacity == 10
    assert (inst.vehicles[0].start.x, inst.vehicles[0].end.x) == (0, 3)


def test_hand_checked_route() -> None:
    """o0 (0,0) -> p0 (1,0) -> p1 (1,1) -> d1 (0,1) -> d0 (3,1) -> e0 (3,0) is 1+1+1+3+1 km."""
    inst = read_lyu_yu(PDPT / "example1.txt")
    assert total_distance(inst, {"k0": ["p0", "p1", "d1", "d0"]}) == pytest.approx(7.0)


def _best_without_transfers(inst: PDPTInstance) -> float:
    """Exact optimum with every request on one vehicle (test-side dynamic programme)."""
    nodes = inst.nodes
    reqs = inst.requests
    n = len(reqs)

    def best_path(v: int, subset: int) -> float:
        veh = inst.vehicles[v]

        @cache
        def go(at: str, picked: int, done: int) -> float:
            if done == subset:
                return distance(nodes[at], veh.end)
            load = sum(reqs[i].quantity for i in range(n) if picked >> i & 1 and not done >> i & 1)
            out = float("inf")
            for i in range(n):
                if not subset >> i & 1:
                    continue
                if not picked >> i & 1 and load + reqs[i].quantity <= veh.capacity:
                    nxt = reqs[i].pickup
                    out = min(out, distance(nodes[at], nxt) + go(nxt.id, picked | 1 << i, done))
                elif picked >> i & 1 and not done >> i & 1:
                    nxt = reqs[i].delivery
                    out = min(out, distance(nodes[at], nxt) + go(nxt.id, picked, done | 1 << i))
            return out

        return go(veh.start.id, 0, 0)

    full = (1 << n) - 1
    return min(best_path(0, s) + best_path(1, full ^ s) for s in range(1 << n))


def test_published_optimum_reproduced() -> None:
    """The published optimum of PDPT-R5-K2-T1-Q100-0 (512.7914791, no transfer needed per
    the benchmark README) is reproduced within 0.01 from the file read here."""
    inst = read_lyu_yu(PDPT / "PDPT-R5-K2-T1-Q100-0.txt")
    assert (len(inst.requests), len(inst.vehicles), len(inst.transfers)) == (5, 2, 1)
    assert all(r.pickup.a == 0 and r.pickup.b == 999 for r in inst.requests)
    published = read_published_results(PDPT / "results-sample.csv")[inst.name]
    assert published.status == "optimal"
    assert _best_without_transfers(inst) == pytest.approx(published.objective, abs=0.01)


def test_unused_vehicle_pays_its_depot_trip() -> None:
    """A vehicle with no route still drives from its start depot to its end depot."""
    inst = read_lyu_yu(PDPT / "PDPT-R5-K2-T1-Q100-0.txt")
    k1 = inst.vehicles[1]
    assert total_distance(inst, {}) == pytest.approx(
        sum(distance(v.start, v.end) for v in inst.vehicles)
    )
    assert total_distance(inst, {}) > distance(k1.start, k1.end)


def test_bad_file_names_the_line(tmp_path: Path) -> None:
    """A file with a row out of order is refused with the line named."""
    text = (PDPT / "example1.txt").read_text().replace("p1\t", "px\t")
    bad = tmp_path / "bad.txt"
    bad.write_text(text)
    with pytest.raises(InputError) as err:
        read_lyu_yu(bad)
    assert "line 6" in str(err.value.where) and "p1" in err.value.message


RELAY_LINE = """nr\tnv\tnt\tcapacity
1\t2\t1\t10

node\tx\ty\ta\tb\tload
p0\t1\t0\t0\t999\t4
d0\t19\t0\t0\t999\t-4
o0\t0\t0\t0\t999\t0
o1\t10\t0\t0\t999\t0
e0\t10\t0\t0\t999\t0
e1\t20\t0\t0\t999\t0
t0\t10\t1\t0\t999\t0
"""


def _relay_line(tmp_path: Path) -> PDPTInstance:
    path = tmp_path / "relay-line.txt"
    path.write_text(RELAY_LINE)
    return read_lyu_yu(path)


def _solve(inst: PDPTInstance, seconds: float) -> rr.Plan:
    """Through the product: converted, solved by relayroute's pipeline with the default
    configuration, and passed by relayroute's validator."""
    converted = to_instance(inst)
    loaded = rr.LoadedInstance(converted, PDPT, "")
    config = rr.read_config(Path(__file__).resolve().parents[2] / "solvers" / "default.toml")
    plan = rr.solve(loaded, config, time_limit=seconds)
    report = rr.validate(converted, plan, PDPT)
    assert report.ok, report.violations
    return plan


def _driven(inst: PDPTInstance, plan: rr.Plan) -> float:
    """The distance of the plan's routes from the file's coordinates, every vehicle from
    its start to its end depot (computed here, apart from convert.py)."""
    nodes = inst.nodes
    used = {r.truck: [nodes[s.place] for s in r.stops] for r in plan.routes}
    return sum(
        sum(distance(a, b) for a, b in itertools.pairwise(used.get(v.id, [v.start, v.end])))
        for v in inst.vehicles
    )


def test_converted_instance(tmp_path: Path) -> None:
    """Places with the windows as hours, trucks with their own depots, the station
    transload-only, distance the only cost; each vehicle's depot trip a shipment only it
    can carry (none without ``depot_trips``)."""
    pdpt = _relay_line(tmp_path)
    inst = to_instance(pdpt)
    assert inst.network.mode == "euclidean" and inst.network.speed == 1
    places = inst.places_by_id
    assert (places["p0"].lon, places["p0"].lat, places["p0"].hours) == (
        SCALE,
        0,
        [(0, 999 * SCALE)],
    )
    k1 = inst.trucks_by_id["k1"]
    assert (k1.depot, k1.end_depot, k1.capacity) == ("o1", "e1", {"load": 10, "k1": 1})
    (station,) = inst.relay_stations
    assert (station.zone, station.driver_swap, station.transload, station.transload_minutes) == (
        None,
        False,
        True,
        0,
    )
    r0 = inst.shipments_by_id["r0"]
    assert (r0.origin, r0.destination, r0.quantity, r0.ready, r0.deadline) == (
        "p0",
        "d0",
        {"load": 4},
        0,
        999 * SCALE,
    )
    assert (r0.due, r0.pickup_minutes, r0.delivery_minutes) == (r0.deadline, 0, 0)
    w = inst.objective
    assert (w.km, w.delay, w.truck, w.loop_driver) == (1, 0, 0, 0)
    assert w.unserved > 1000 * SCALE * 100
    trip = inst.shipments_by_id["depots-k0"]
    assert (trip.origin, trip.destination, trip.quantity) == ("o0", "e0", {"k0": 1})
    plain = to_instance(pdpt, depot_trips=False)
    assert [s.id for s in plain.shipments] == ["r0"]
    assert plain.trucks_by_id["k1"].capacity == {"load": 10}


def test_product_solves_the_relay_line(tmp_path: Path) -> None:
    """Through the product: a valid plan whose routes keep the Lyu & Yu rules, its
    distance recomputed from the file's coordinates. The road plan costs 38 (one vehicle
    carries the goods, the other drives its depot trip); a transfer at the station would
    cost 22.1, and the product offers a transfer only where the road cannot serve (or
    where it delivers sooner alone), so it may keep the road."""
    inst = _relay_line(tmp_path)
    plan = _solve(inst, 1.0)
    assert check_routes(inst, plan_routes(plan)) == []
    assert not plan.unserved
    got = pdpt_objective(inst, plan)
    assert got == pytest.approx(_driven(inst, plan), rel=1e-9)
    assert got == pytest.approx(plan.kpis.km / SCALE, abs=1e-3)
    assert got <= 38 + 1e-6


def test_product_transfers_where_the_road_cannot_serve(tmp_path: Path) -> None:
    """The west vehicle must be back at the middle by 12 and the east one at its end by
    22: neither can carry the goods all the way (28 each), so the product moves them at
    the station, and the routes keep the benchmark's rules (drop before collection)."""
    text = (
        RELAY_LINE.replace("o0\t0\t0\t0\t999", "o0\t0\t0\t0\t12")
        .replace("e0\t10\t0\t0\t999", "e0\t10\t0\t0\t12")
        .replace("o1\t10\t0\t0\t999", "o1\t10\t0\t0\t22")
        .replace("e1\t20\t0\t0\t999", "e1\t20\t0\t0\t22")
    )
    path = tmp_path / "tight.txt"
    path.write_text(text)
    inst = read_lyu_yu(path)
    plan = _solve(inst, 1.0)
    routes = plan_routes(plan)
    assert check_routes(inst, routes) == []
    assert transfers_used(plan) == 1
    assert [a for a, _, _ in routes["k0"] if a != "visit"] == ["pickup", "drop"]
    assert [a for a, _, _ in routes["k1"] if a != "visit"] == ["collect", "delivery"]
    assert pdpt_objective(inst, plan) == pytest.approx(2 * (1 + 2 * 0.5 + 82**0.5), abs=1e-3)


def test_product_reaches_a_published_optimum() -> None:
    """PDPT-R5-K2-T1-Q100-0 through the product: within 0.01 % of the published
    512.7914791, the routes checked by the benchmark's rules."""
    inst = read_lyu_yu(PDPT / "PDPT-R5-K2-T1-Q100-0.txt")
    plan = _solve(inst, 2.0)
    assert check_routes(inst, plan_routes(plan)) == []
    assert pdpt_objective(inst, plan) == pytest.approx(512.7914791, rel=1e-4)
    assert pdpt_objective(inst, plan) == pytest.approx(_driven(inst, plan), rel=1e-9)


@pytest.mark.parametrize(
    ("routes", "expected"),
    [
        (  # collected at a station it was never dropped at
            {
                "k0": [("pickup", "r0", "p0"), ("drop", "r0", "t0")],
                "k1": [("collect", "r0", "t9"), ("delivery", "r0", "d0")],
            },
            "not dropped there",
        ),
        (  # the west vehicle calls at the station twice
            {
                "k0": [
                    ("pickup", "r0", "p0"),
                    ("drop", "r0", "t0"),
                    ("pickup", "r0", "p0"),
                    ("collect", "r0", "t0"),
                    ("delivery", "r0", "d0"),
                ]
            },
            "twice",
        ),
        (  # delivered by a vehicle that never had the goods
            {"k0": [("pickup", "r0", "p0")], "k1": [("delivery", "r0", "d0")]},
            "does not carry",
        ),
        ({"k0": []}, "not once"),
        ({"k9": []}, "no vehicle k9"),
    ],
)
def test_checker_rejects(tmp_path: Path, routes, expected: str) -> None:
    """The independent checker names each broken rule."""
    errors = check_routes(_relay_line(tmp_path), routes)
    assert any(expected in e for e in errors), errors


def test_checker_capacity_and_windows(tmp_path: Path) -> None:
    """Too much load, and a station window closing before the collection can happen."""
    text = RELAY_LINE.replace("p0\t1\t0\t0\t999\t4", "p0\t1\t0\t0\t999\t11").replace(
        "d0\t19\t0\t0\t999\t-4", "d0\t19\t0\t0\t999\t-11"
    )
    path = tmp_path / "heavy.txt"
    path.write_text(text)
    heavy = read_lyu_yu(path)
    one = {"k0": [("pickup", "r0", "p0"), ("delivery", "r0", "d0")]}
    assert any("over capacity" in e for e in check_routes(heavy, one))
    late = tmp_path / "late.txt"
    late.write_text(RELAY_LINE.replace("t0\t10\t1\t0\t999\t0", "t0\t10\t1\t0\t5\t0"))
    split = {
        "k0": [("pickup", "r0", "p0"), ("drop", "r0", "t0")],
        "k1": [("collect", "r0", "t0"), ("delivery", "r0", "d0")],
    }
    assert any("after 5" in e for e in check_routes(read_lyu_yu(late), split))


def test_checker_drives_through_visits(tmp_path: Path) -> None:
    """A ``visit`` moves no goods but is driven to: a detour by the east end makes the
    delivery late."""
    path = tmp_path / "due.txt"
    path.write_text(RELAY_LINE.replace("d0\t19\t0\t0\t999", "d0\t19\t0\t0\t25"))
    inst = read_lyu_yu(path)
    direct = [("pickup", "r0", "p0"), ("delivery", "r0", "d0")]
    assert check_routes(inst, {"k0": direct}) == []
    detour = {"k0": [("visit", "", "e1"), *direct]}
    assert any("after 25" in e for e in check_routes(inst, detour))

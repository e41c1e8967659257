"""Reading the Lyu & Yu pickup-and-delivery-with-transfers benchmark and its results."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from relayroute.bench.pdpt.read import (
    PDPTInstance,
    check_routes,
    distance,
    read_lyu_yu,
    read_published_results,
    solution_routes,
    to_transfer_problem,
    total_distance,
)
from relayroute.bench.pdpt.transfers import solve_with_transfers
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


def test_transfer_model_finds_the_transfer(tmp_path: Path) -> None:
    """West vehicle ends at the middle, east vehicle starts there: handing the goods over
    at the station (22.1) beats either vehicle driving them all the way (38)."""
    inst = _relay_line(tmp_path)
    tp, locs = to_transfer_problem(inst)
    sol = solve_with_transfers(tp, time_limit=1.0)
    routes = solution_routes(inst, sol, locs)
    assert check_routes(inst, routes) == []
    assert sol.transfers == {0: 0}
    assert total_distance(inst, {v: [n for _, _, n in r] for v, r in routes.items()}) == (
        pytest.approx(2 * (1 + 2 * 0.5 + (81 + 1) ** 0.5), rel=1e-6)
    )


def test_transfer_model_reaches_a_published_optimum() -> None:
    """PDPT-R5-K2-T1-Q100-0 within 0.01% of the published 512.7914791, checked routes."""
    inst = read_lyu_yu(PDPT / "PDPT-R5-K2-T1-Q100-0.txt")
    tp, locs = to_transfer_problem(inst)
    sol = solve_with_transfers(tp, time_limit=2.0)
    routes = solution_routes(inst, sol, locs)
    assert check_routes(inst, routes) == []
    got = total_distance(inst, {v: [n for _, _, n in r] for v, r in routes.items()})
    assert got == pytest.approx(512.7914791, rel=1e-4)


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

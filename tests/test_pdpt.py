"""Reading the Lyu & Yu pickup-and-delivery-with-transfers benchmark and its results."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from relayroute.errors import InputError
from relayroute.io.pdpt import (
    PDPTInstance,
    distance,
    read_lyu_yu,
    read_published_results,
    total_distance,
)

PDPT = Path(__file__).resolve().parent / "data" / "pdpt"


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

"""Reading the pickup-and-delivery-with-transfers (PDPT) benchmark of Lyu & Yu (2023).

Format (tab-separated, ../shared/benchmarks/pdpt/README.md): a header ``nr nv nt capacity``
line and its values, a blank line, a ``node x y a b load`` header, then exactly
``2 nr + 2 nv + nt`` rows in the order p0.., d0.., o0.., e0.., t0... Objective of the
published results: total Euclidean distance (unrounded), every vehicle driving from its
start depot to its end depot even when it carries nothing.

This module only reads instances and published results and evaluates routes; solving
them with transfers needs the transload model (issue 4), which does not exist yet.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from relayroute.errors import InputError


@dataclass(frozen=True)
class Node:
    id: str
    x: float
    y: float
    a: float  # earliest arrival
    b: float  # latest departure
    load: float


@dataclass(frozen=True)
class Request:
    id: str
    pickup: Node
    delivery: Node
    quantity: float


@dataclass(frozen=True)
class Vehicle:
    id: str
    start: Node
    end: Node
    capacity: float


@dataclass(frozen=True)
class PDPTInstance:
    name: str
    requests: list[Request]
    vehicles: list[Vehicle]
    transfers: list[Node]

    @property
    def nodes(self) -> dict[str, Node]:
        out = {n.id: n for r in self.requests for n in (r.pickup, r.delivery)}
        out.update({n.id: n for v in self.vehicles for n in (v.start, v.end)})
        out.update({t.id: t for t in self.transfers})
        return out


@dataclass(frozen=True)
class PublishedResult:
    family: str
    instance: str
    objective: float
    status: str  # "optimal" or "time-limit" (an upper bound only)
    source: str


def read_lyu_yu(path: str | Path) -> PDPTInstance:
    """Read one Lyu & Yu PDPT, PDPTWT or PDPT-vehicle instance file.

    Raises
    ------
    InputError
        The file is missing or does not follow the format (naming the line).
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(str(p), f"cannot read: {exc.strerror}") from None

    def fail(line: int, msg: str) -> InputError:
        return InputError(f"{p} line {line}", msg)

    if len(lines) < 4 or lines[0].split() != ["nr", "nv", "nt", "capacity"]:
        raise fail(1, "expected the header 'nr nv nt capacity'")
    try:
        nr, nv, nt, cap = (int(v) for v in lines[1].split())
    except ValueError:
        raise fail(
            2, "expected four integers: requests, vehicles, transfer stations, capacity"
        ) from None
    if lines[3].split() != ["node", "x", "y", "a", "b", "load"]:
        raise fail(4, "expected the header 'node x y a b load'")
    rows = [ln for ln in lines[4:] if ln.strip()]
    expected = 2 * nr + 2 * nv + nt
    if len(rows) != expected:
        raise fail(5, f"expected {expected} node rows (2*{nr} + 2*{nv} + {nt}), found {len(rows)}")
    order = (
        [f"p{i}" for i in range(nr)]
        + [f"d{i}" for i in range(nr)]
        + [f"o{k}" for k in range(nv)]
        + [f"e{k}" for k in range(nv)]
        + [f"t{j}" for j in range(nt)]
    )
    nodes: dict[str, Node] = {}
    for k, (row, want) in enumerate(zip(rows, order), start=5):
        parts = row.split()
        if len(parts) != 6 or parts[0] != want:
            raise fail(k, f"expected node {want!r} with x, y, a, b and load")
        try:
            x, y, a, b, load = (float(v) for v in parts[1:])
        except ValueError:
            raise fail(k, f"node {want!r}: x, y, a, b and load must be numbers") from None
        nodes[want] = Node(want, x, y, a, b, load)
    requests = []
    for i in range(nr):
        pick, drop = nodes[f"p{i}"], nodes[f"d{i}"]
        if pick.load <= 0 or abs(pick.load + drop.load) > 1e-9:
            raise fail(5 + i, f"request {i}: pickup load must be +q and delivery load -q")
        requests.append(Request(f"r{i}", pick, drop, pick.load))
    vehicles = [Vehicle(f"k{k}", nodes[f"o{k}"], nodes[f"e{k}"], float(cap)) for k in range(nv)]
    transfers = [nodes[f"t{j}"] for j in range(nt)]
    return PDPTInstance(p.stem, requests, vehicles, transfers)


def read_published_results(path: str | Path) -> dict[str, PublishedResult]:
    """The published objective of each instance in ``results.csv`` (by instance name)."""
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise InputError(str(p), f"cannot read: {exc.strerror}") from None
    out = {}
    for k, r in enumerate(rows, start=2):
        try:
            out[r["instance"]] = PublishedResult(
                r["family"], r["instance"], float(r["objective"]), r["status"], r["source"]
            )
        except (KeyError, TypeError, ValueError):
            raise InputError(
                f"{p} line {k}", "expected family, instance, objective, status, source"
            ) from None
    return out


def distance(a: Node, b: Node) -> float:
    return math.hypot(a.x - b.x, a.y - b.y)


def total_distance(inst: PDPTInstance, routes: dict[str, list[str]]) -> float:
    """Total Euclidean distance of vehicle routes given as node ids between the depots.

    Every vehicle drives from its start depot to its end depot; one without a route
    still pays that trip, as in the published objective.
    """
    nodes = inst.nodes
    total = 0.0
    for v in inst.vehicles:
        path = [v.start, *(nodes[n] for n in routes.get(v.id, [])), v.end]
        total += sum(distance(a, b) for a, b in zip(path, path[1:]))
    return total

"""Reading the pickup-and-delivery-with-transfers (PDPT) benchmark of Lyu & Yu (2023).

Format (tab-separated, ../shared/benchmarks/pdpt/README.md): a header ``nr nv nt capacity``
line and its values, a blank line, a ``node x y a b load`` header, then exactly
``2 nr + 2 nv + nt`` rows in the order p0.., d0.., o0.., e0.., t0... Objective of the
published results: total Euclidean distance (unrounded), every vehicle driving from its
start depot to its end depot even when it carries nothing.

This module reads instances and published results, measures routes and checks them by the
benchmark's own rules, independently of relayroute (its instances and its validator):
:mod:`relayroute.bench.pdpt.convert` makes a PDPT instance a relayroute instance and a plan
routes this module checks.
"""

from __future__ import annotations

import csv
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from relayroute.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


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
        total += sum(distance(a, b) for a, b in itertools.pairwise(path))
    return total


# A route's visits: consecutive stops at one node form one visit, with its actions
# (action, request id) in order.
Visits = list[tuple[str, list[tuple[str, str]]]]


def check_routes(
    inst: PDPTInstance, routes: Mapping[str, Sequence[tuple[str, str, str]]]
) -> list[str]:
    """Every way ``routes`` breaks the Lyu & Yu rules; empty when it keeps them.

    ``routes`` maps a vehicle id to its stops ``(action, request id, node id)`` with
    action ``pickup`` (at the request's pickup node), ``delivery`` (at its delivery
    node), ``drop`` or ``collect`` (at a transfer node), or ``visit`` (driving through a
    node without moving goods, request id empty). Checked: each request picked
    up and delivered once, goods moved between vehicles only at a transfer node where
    they were dropped, load within capacity, time windows (arrival ≥ a, departure ≤ b,
    waiting allowed, travel time = distance), each vehicle at each transfer node in at
    most one visit, and a drop no later than the collection's departure.
    """
    errors: list[str] = []
    known = {v.id for v in inst.vehicles}
    errors += [f"no vehicle {v}" for v in routes if v not in known]
    visits = {v.id: _visits(v.id, routes.get(v.id, []), errors) for v in inst.vehicles}
    _goods(inst, visits, errors)
    if errors:
        return errors
    _times(inst, visits, errors)
    return errors


def _visits(vehicle: str, stops: Sequence[tuple[str, str, str]], errors: list[str]) -> Visits:
    """A route's stops as visits; a second visit to a transfer node is an error."""
    seq: Visits = []
    for action, rid, nid in stops:
        if seq and seq[-1][0] == nid:
            seq[-1][1].append((action, rid))
        else:
            seq.append((nid, [(action, rid)]))
    seen: set[str] = set()
    for nid, _ in seq:
        if nid.startswith("t"):
            if nid in seen:
                errors.append(f"vehicle {vehicle} visits transfer node {nid} twice")
            seen.add(nid)
    return seq


def _goods(inst: PDPTInstance, visits: dict[str, Visits], errors: list[str]) -> None:
    """Each request picked up, moved and delivered once, in order; loads within capacity."""
    reqs = {r.id: r for r in inst.requests}
    where: dict[str, str] = {}  # request -> transfer node it was dropped at
    for v in inst.vehicles:  # whichever vehicle drops it, before anyone collects it
        for nid, acts in visits[v.id]:
            for action, rid in acts:
                if action == "drop":
                    if rid in where:
                        errors.append(f"request {rid} is dropped twice")
                    where[rid] = nid
    holder: dict[str, str] = {}  # request -> vehicle that picked it up
    collected: dict[str, str] = {}  # request -> vehicle that collected it at a station
    done: dict[str, int] = {}
    for v in inst.vehicles:
        load = 0.0
        for nid, acts in visits[v.id]:
            for action, rid in acts:
                if action == "visit":
                    continue
                r = reqs.get(rid)
                if r is None:
                    errors.append(f"vehicle {v.id}: unknown request {rid}")
                    continue
                if action == "pickup":
                    if nid != r.pickup.id or rid in holder:
                        errors.append(f"vehicle {v.id}: bad pickup of {rid} at {nid}")
                    holder[rid] = v.id
                elif action == "drop":
                    if not nid.startswith("t") or holder.get(rid) != v.id:
                        errors.append(f"vehicle {v.id}: drops {rid} it does not carry at {nid}")
                elif action == "collect":
                    if where.get(rid) != nid:
                        errors.append(f"vehicle {v.id}: collects {rid} at {nid}, not dropped there")
                    collected[rid] = v.id
                elif action == "delivery":
                    if nid != r.delivery.id or collected.get(rid, holder.get(rid)) != v.id:
                        errors.append(f"vehicle {v.id}: delivers {rid} it does not carry")
                    done[rid] = done.get(rid, 0) + 1
                else:
                    errors.append(f"vehicle {v.id}: unknown action {action!r}")
                    continue
                load += r.quantity if action in ("pickup", "collect") else -r.quantity
                if load > v.capacity + 1e-9:
                    errors.append(f"vehicle {v.id}: load {load:g} over capacity at {nid}")
                if load < -1e-9:
                    errors.append(f"vehicle {v.id}: unloads at {nid} what it does not carry")
    for rid in reqs:
        if done.get(rid, 0) != 1:
            errors.append(f"request {rid} is delivered {done.get(rid, 0)} times, not once")
        if (rid in where) != (rid in collected):
            errors.append(f"request {rid} is dropped and collected unevenly")


def _times(inst: PDPTInstance, visits: dict[str, Visits], errors: list[str]) -> None:
    """Windows kept at the earliest times; a collection waits for its drop.

    Earliest arrival and departure per visit, found as a fixed point since a collection
    may wait for another vehicle's drop (which may itself wait for a collection).
    """
    nodes = inst.nodes
    arrive = {v.id: [0.0] * len(visits[v.id]) for v in inst.vehicles}
    depart = {v.id: [0.0] * len(visits[v.id]) for v in inst.vehicles}
    dropped_at = {
        rid: (v.id, i)
        for v in inst.vehicles
        for i, (_, acts) in enumerate(visits[v.id])
        for action, rid in acts
        if action == "drop"
    }
    for _ in range(len(dropped_at) + 2):
        changed = False
        for v in inst.vehicles:
            t, prev = v.start.a, v.start
            for i, (nid, acts) in enumerate(visits[v.id]):
                node = nodes[nid]
                a = max(t + distance(prev, node), node.a)
                d = max([a] + [arrive[ov][oi] for ov, oi in _drops_waited(acts, dropped_at)])
                changed |= (a, d) != (arrive[v.id][i], depart[v.id][i])
                arrive[v.id][i], depart[v.id][i] = a, d
                t, prev = d, node
        if not changed:
            break
    else:
        errors.append("drops and collections wait on each other in a cycle")
    for v in inst.vehicles:
        t, prev = v.start.a, v.start
        for i, (nid, _) in enumerate(visits[v.id]):
            if depart[v.id][i] > nodes[nid].b + 1e-6:
                errors.append(
                    f"vehicle {v.id} leaves {nid} at {depart[v.id][i]:.3f}, after {nodes[nid].b:g}"
                )
            t, prev = depart[v.id][i], nodes[nid]
        if t + distance(prev, v.end) > v.end.b + 1e-6:
            errors.append(f"vehicle {v.id} reaches its end depot after {v.end.b:g}")


def _drops_waited(
    acts: list[tuple[str, str]], dropped_at: dict[str, tuple[str, int]]
) -> list[tuple[str, int]]:
    """The (vehicle, visit) of each drop a visit's collections wait for."""
    return [dropped_at[rid] for action, rid in acts if action == "collect"]

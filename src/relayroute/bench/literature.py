"""Readers for the literature's VRPTW and PDPTW benchmarks, as relayroute instances.

Formats (../shared/benchmarks/README.md):

- **Solomon / Gehring & Homberger** (VRPTW): a name line, a ``VEHICLE`` block with
  ``NUMBER CAPACITY``, then a ``CUSTOMER`` block of rows ``no x y demand ready due service``;
  node 0 is the depot. Every customer's demand comes from the depot.
- **Li & Lim** (PDPTW): a ``K Q S`` line, then rows ``no x y demand earliest latest service
  pickup-sibling delivery-sibling``; node 0 is the depot; a pickup has demand > 0 and names
  its delivery.

The instance is plain: ``euclidean`` network mode, no zones, stations or driver pools,
the fleet size as given, every window a site's opening hours (service *starts* within
it, waiting allowed), and an objective of distance only (``km`` weight 1, the time-based
weights 0). Coordinates, windows and service times are multiplied by ``scale`` (default 100)
so that the routing search's whole-minute travel times are ``ceil(scale · distance)``: a
plan feasible in whole units is feasible in the file's real numbers, and every solver is
given the same integer data. Distances of a plan are its km divided by ``scale``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from relayroute.errors import InputError
from relayroute.io.instance import instance_from_data

if TYPE_CHECKING:
    from relayroute.model.instance import Instance
    from relayroute.model.plan import Plan

SCALE = 100
START = "2000-01-01T00:00:00+00:00"  # the files have no date; times count from zero
# Large enough to serve every request first, then (hierarchical mode) use fewer vehicles.
UNSERVED_WEIGHT = 1e9
VEHICLE_WEIGHT = 1e7  # per vehicle, in scaled distance units: 1e5 file units


@dataclass(frozen=True)
class Node:
    no: int
    x: float
    y: float
    demand: float
    ready: float
    due: float
    service: float
    pickup: int = 0  # Li & Lim: this delivery's pickup
    delivery: int = 0  # Li & Lim: this pickup's delivery


@dataclass(frozen=True)
class Benchmark:
    """A literature instance as read: its format, fleet and nodes (node 0 the depot)."""

    name: str
    kind: str  # "vrptw" or "pdptw"
    vehicles: int
    capacity: float
    nodes: list[Node]


def _numbers(line: str, where: str, count: int) -> list[float]:
    parts = line.split()
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InputError(where, f"expected {count} numbers, got {line.strip()!r}") from None
    if len(values) < count:
        raise InputError(where, f"expected {count} numbers, got {len(values)}")
    return values


def read_solomon(path: str | Path) -> Benchmark:
    """Read a Solomon or Gehring & Homberger VRPTW file (parsed by :mod:`vrplib`).

    Raises
    ------
    InputError
        Naming the file and line of the first thing that is not as the format says.
    """
    p = Path(path)
    lines = p.read_text(encoding="utf-8", errors="replace").splitlines()
    # vrplib reads the node rows with np.genfromtxt(dtype=int), which turns a token that is
    # not a whole number into -1 without a word, and drops the node numbers: check the rows
    # first, naming the line.
    c = next((i for i, line in enumerate(lines) if line.strip().upper() == "CUSTOMER"), None)
    if c is None or not any(line.strip().upper() == "VEHICLE" for line in lines[:c]):
        raise InputError(str(p), "not a Solomon file: no VEHICLE or CUSTOMER block")
    rows = [(k, line.split()) for k, line in enumerate(lines[c + 2 :], start=c + 3)]
    for no, (k, parts) in enumerate((k, t) for k, t in rows if t):
        if len(parts) != 7 or not all(t.lstrip("-").isdigit() for t in parts):
            raise InputError(f"{p}:{k}", f"expected 7 whole numbers, got {' '.join(parts)!r}")
        if int(parts[0]) != no:
            raise InputError(f"{p}:{k}", f"node {parts[0]}: nodes must be numbered 0, 1, 2, …")
    if not any(parts for _, parts in rows):
        raise InputError(str(p), "the first node must be the depot, number 0")
    import vrplib  # the bench extra; Li & Lim files read without it

    try:
        data = vrplib.read_instance(p, instance_format="solomon", compute_edge_weights=False)
    except (RuntimeError, ValueError) as e:
        raise InputError(str(p), f"not a Solomon file: {e}") from None
    columns = np.column_stack(
        [data["node_coord"], data["demand"], data["time_window"], data["service_time"]]
    )
    nodes = [
        Node(no, float(x), float(y), float(q), float(a), float(b), float(sv))
        for no, (x, y, q, a, b, sv) in enumerate(columns.tolist())
    ]
    for n in nodes:
        if n.due < n.ready:
            raise InputError(str(p), f"node {n.no}: due {n.due:g} before ready {n.ready:g}")
    _check_nodes(p, nodes)
    name = str(data["name"]) or p.stem
    return Benchmark(name, "vrptw", int(data["vehicles"]), float(data["capacity"]), nodes)


def read_lilim(path: str | Path) -> Benchmark:
    """Read a Li & Lim PDPTW file (tab- or space-separated).

    Raises
    ------
    InputError
        Naming the file and line of the first thing that is not as the format says, or a
        pickup whose delivery is missing or does not name it back.
    """
    p = Path(path)
    lines = [line for line in p.read_text(encoding="utf-8", errors="replace").splitlines()]
    rows = [(k + 1, line) for k, line in enumerate(lines) if line.strip()]
    if not rows:
        raise InputError(str(p), "empty file")
    number, capacity = _numbers(rows[0][1], f"{p}:{rows[0][0]}", 2)[:2]
    nodes = []
    for k, line in rows[1:]:
        no, x, y, demand, ready, due, service, pick, deliv = _numbers(line, f"{p}:{k}", 9)[:9]
        if due < ready:
            raise InputError(
                f"{p}:{k}", f"node {int(no)}: latest {due:g} before earliest {ready:g}"
            )
        nodes.append(Node(int(no), x, y, demand, ready, due, service, int(pick), int(deliv)))
    _check_nodes(p, nodes)
    by_no = {n.no: n for n in nodes}
    for n in nodes[1:]:
        if n.delivery:
            d = by_no.get(n.delivery)
            if d is None or d.pickup != n.no:
                raise InputError(
                    str(p),
                    f"pickup {n.no} names delivery {n.delivery}, which does not name it back",
                )
        elif n.pickup:
            if n.pickup not in by_no or by_no[n.pickup].delivery != n.no:
                raise InputError(str(p), f"delivery {n.no} names pickup {n.pickup}, not its pair")
        else:
            raise InputError(str(p), f"node {n.no} is neither a pickup nor a delivery")
    return Benchmark(p.stem, "pdptw", int(number), capacity, nodes)


def _check_nodes(p: Path, nodes: list[Node]) -> None:
    if not nodes or nodes[0].no != 0:
        raise InputError(str(p), "the first node must be the depot, number 0")
    if [n.no for n in nodes] != list(range(len(nodes))):
        raise InputError(str(p), "nodes must be numbered 0, 1, 2, … in order")


def read_benchmark(path: str | Path) -> Benchmark:
    """Read a Solomon/Homberger or Li & Lim file, telling them apart by content."""
    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "no such file")
    head = p.read_text(encoding="utf-8", errors="replace")[:2000].upper()
    if "CUSTOMER" in head and "VEHICLE" in head:
        return read_solomon(p)
    return read_lilim(p)


def benchmark_instance(bench: Benchmark, scale: float = SCALE, mode: str = "distance") -> Instance:
    """A relayroute instance of a literature benchmark.

    Parameters
    ----------
    bench
        As read by :func:`read_benchmark`.
    scale
        Multiplies coordinates, windows and service times (see the module docstring).
    mode
        ``"distance"``: distance only, the fleet as given. ``"hierarchical"``: also a fixed
        cost per vehicle used (:data:`VEHICLE_WEIGHT`) that puts fewer vehicles first.

    Returns
    -------
    Instance
    """
    if mode not in ("distance", "hierarchical"):
        raise InputError("mode", "distance or hierarchical")
    depot = bench.nodes[0]

    def s(v: float) -> float:
        return round(v * scale, 6)

    places: list[dict[str, Any]] = [
        {
            "id": f"n{n.no}",
            "kind": "depot" if n.no == 0 else "site",
            "lon": s(n.x),
            "lat": s(n.y),
            "hours": [[s(n.ready), s(n.due)]],
        }
        for n in bench.nodes
    ]
    horizon = s(depot.due)
    shipments: list[dict[str, Any]] = []
    for n in bench.nodes[1:]:
        if bench.kind == "vrptw":
            origin, dest, pick_s, drop_s, qty, sid = (
                "n0",
                f"n{n.no}",
                0.0,
                n.service,
                n.demand,
                n.no,
            )
        elif n.delivery:
            d = bench.nodes[n.delivery]
            origin, dest, pick_s, drop_s, qty, sid = (
                f"n{n.no}",
                f"n{d.no}",
                n.service,
                d.service,
                n.demand,
                n.no,
            )
        else:
            continue
        shipments.append(
            {
                "id": f"r{sid}",
                "origin": origin,
                "destination": dest,
                "quantity": {"load": max(qty, 0.0)},
                "ready": 0.0,
                "due": horizon,
                "pickup_minutes": s(pick_s),
                "delivery_minutes": s(drop_s),
            }
        )
    data = {
        "name": bench.name,
        "start": START,
        "horizon": horizon,
        "network": {"mode": "euclidean", "speed": 1.0},
        "places": places,
        "depots": [{"id": "depot", "place": "n0"}],
        "trucks": [
            {
                "id": f"v{k + 1}",
                "depot": "depot",
                "capacity": {"load": bench.capacity},
                "available": [0.0, horizon],
            }
            for k in range(bench.vehicles)
        ],
        "shipments": shipments,
        "objective": {
            "unserved": UNSERVED_WEIGHT,
            "delay": 0.0,
            "km": 1.0,
            "truck": VEHICLE_WEIGHT if mode == "hierarchical" else 0.0,
            "loop_driver": 0.0,
            "rail": 0.0,
        },
    }
    return instance_from_data(data, bench.name)


def plan_routes(plan: Plan) -> list[list[int]]:
    """A relayroute plan of a converted benchmark as node sequences, one per used vehicle
    (depot left out; VRPTW pickups at the depot left out)."""
    routes = []
    for r in plan.routes:
        seq = [
            int(s.place[1:])
            for s in r.stops
            if s.kind in ("pickup", "delivery") and s.place != "n0"
        ]
        if seq:
            routes.append(seq)
    return routes


def route_distance(bench: Benchmark, route: list[int]) -> float:
    """Unrounded Euclidean length of depot → route → depot."""
    xy = np.array([(bench.nodes[i].x, bench.nodes[i].y) for i in [0, *route, 0]])
    return float(np.hypot(*np.diff(xy, axis=0).T).sum())


def total_distance(bench: Benchmark, routes: list[list[int]]) -> float:
    return sum(route_distance(bench, r) for r in routes if r)


def check_routes(bench: Benchmark, routes: list[list[int]], tol: float = 1e-6) -> list[str]:
    """Every broken rule of the benchmark, checked from the file's own numbers.

    Travel time is the unrounded Euclidean distance; service starts within each node's
    window (waiting allowed) and vehicles are back at the depot by its due time; every
    customer (VRPTW) or every pickup and delivery (PDPTW) once; a pickup before its
    delivery on the same route; load within [0, capacity]; at most the given fleet.

    Returns
    -------
    list of str
        Empty when the routes are feasible.
    """
    errors: list[str] = []
    nodes = bench.nodes
    used = [r for r in routes if r]
    if len(used) > bench.vehicles:
        errors.append(f"{len(used)} routes for a fleet of {bench.vehicles}")
    seen: dict[int, int] = {}
    for k, route in enumerate(used):
        for i in route:
            if not 0 < i < len(nodes):
                errors.append(f"route {k}: no node {i}")
                continue
            if i in seen:
                errors.append(f"node {i} visited twice (routes {seen[i]} and {k})")
            seen[i] = k
    for n in nodes[1:]:
        if n.no not in seen:
            errors.append(f"node {n.no} not visited")
    if errors:
        return errors
    for k, route in enumerate(used):
        t, load, x, y = nodes[0].ready, 0.0, nodes[0].x, nodes[0].y
        pos = {i: j for j, i in enumerate(route)}
        for i in route:
            n = nodes[i]
            t = max(t + math.hypot(n.x - x, n.y - y), n.ready)
            if t > n.due + tol:
                errors.append(f"route {k}: node {i} served at {t:.4f}, after its due {n.due:g}")
            load += n.demand  # VRPTW: delivered so far, at most what the truck set out with
            if n.pickup and (seen.get(n.pickup) != k or pos[n.pickup] > pos[i]):
                errors.append(f"route {k}: delivery {i} not after its pickup {n.pickup}")
            if load > bench.capacity + tol or load < -tol:
                errors.append(
                    f"route {k}: load {load:g} at node {i} outside [0, {bench.capacity:g}]"
                )
            t += n.service
            x, y = n.x, n.y
        t += math.hypot(nodes[0].x - x, nodes[0].y - y)
        if t > nodes[0].due + tol:
            errors.append(f"route {k}: back at the depot at {t:.4f}, after {nodes[0].due:g}")
    return errors

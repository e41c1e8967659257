"""R5, R6 and R9 on what a leg physically drives: its road geometry against the zones.

Each road a leg takes is drawn as a line — in road mode from the validator's own reading of
the road files along the leg's path, in straight-line mode as the straight segment between
consecutive path positions — and measured in metres in the UTM zone of the instance
(geopandas), all legs of the plan at once. Node-by-node tests cannot see a road that runs
through a closed city between two nodes outside it; this can.

Tolerances, stated once: a road may touch a zone by :data:`ZONE_TOLERANCE_M` (coordinates
rounded to 6 decimals, nodes drawn on a boundary), and within :data:`GATE_RADIUS_M` of a
checkpoint the leg passes the road is at the gate, where it may cross (the instance rule: a
checkpoint stands on its zone's boundary within 0.2 km).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely

if TYPE_CHECKING:
    from relayroute.model.instance import DriverPool
    from relayroute.model.plan import Leg, Plan
    from relayroute.validate.report import Found
    from relayroute.validate.world import World

ZONE_TOLERANCE_M = 25.0
GATE_RADIUS_M = 200.0
# Plan coordinates are written with 6 decimals (about 0.1 m).
COORD_TOLERANCE_DEG = 2e-6


@dataclass(frozen=True)
class _Road:
    """One road of one leg: which route and leg, its path step, its driver."""

    truck: str
    leg: int
    a: str
    b: str
    depart: float
    driver: str
    gate_a: str | None  # checkpoint at the road's start node, if any
    gate_b: str | None


def check_geometry(found: Found, world: World, plan: Plan, loop: dict[str, DriverPool]) -> None:
    """R5, R6 and R9 on the legs' geometry, and PLAN for coords off the roads.

    Parameters
    ----------
    found
        Where the violations go.
    world
        The validator's :class:`~relayroute.validate.world.World` (its own graph, zone polygons, gates).
    plan
        The plan to check.
    loop
        Loop drivers the plan declares, with their pools.
    """
    if world.mode == "euclidean":
        return
    roads: list[_Road] = []
    lines: list[list[tuple[float, float]]] = []
    for r in plan.routes:
        if r.truck not in world.inst.trucks_by_id:
            continue
        for i, leg in enumerate(r.legs):
            shape = _leg_roads(world, leg, r.truck, i, roads, lines)
            if shape is None:
                continue
            if not _same_shape(shape, leg.coords):
                found.add(
                    "PLAN",
                    f"truck {r.truck} leg {i}",
                    leg.depart,
                    "coords do not follow the roads of its path",
                )
    if not roads or not world.zones:
        return
    metres, crossing = _measure(world, roads, lines)
    zone_ids = list(world.zones)
    # Sum per leg and zone; name the first road of the leg that breaks the rule.
    per_leg: dict[tuple[str, int, str], tuple[float, _Road, bool]] = {}
    for e, road in enumerate(roads):
        for k, zid in enumerate(zone_ids):
            if metres[e, k] <= ZONE_TOLERANCE_M and not crossing[e, k]:
                continue
            at = (road.truck, road.leg, zid)
            m, first, crossed = per_leg.get(at, (0.0, road, False))
            per_leg[at] = (m + metres[e, k], first, crossed or bool(crossing[e, k]))
    trucks = world.inst.trucks_by_id
    routes = {r.truck: r for r in plan.routes}
    for (truck, index, key), (m, road, crossed) in per_leg.items():
        name = f"truck {truck} leg {index}"
        # (Open outside its period: the area of a zone whose area changes.)
        zid = world.real(key)
        chosen = world.leg_pick(routes[truck], index).get(zid) if key in world.period else None
        if chosen is not None and chosen != key:
            continue  # a stay begun in another of the zone's areas: judged in that one
        policy = world.policy_in(key, routes[truck], index, leg=True)
        if policy == "open":
            continue  # open then (a zone whose policy changes): no boundary to keep
        pool = loop.get(road.driver)
        where = f"from {road.a!r} to {road.b!r}"
        if pool is None and policy == "closed_loop":
            if m > ZONE_TOLERANCE_M:
                found.add(
                    "R5",
                    name,
                    road.depart,
                    f"outside driver {road.driver} drives {m:.0f} m inside closed-loop zone "
                    f"{zid!r} (road {where})",
                )
            continue
        if pool is not None and zid != pool.zone and m > ZONE_TOLERANCE_M:
            found.add(
                "R6",
                name,
                road.depart,
                f"loop driver {road.driver} of zone {pool.zone!r} drives {m:.0f} m in zone "
                f"{zid!r} (road {where})",
            )
            continue
        if (
            pool is None
            and policy == "permit"
            and zid not in trucks[truck].permits
            and m > ZONE_TOLERANCE_M
        ):
            found.add(
                "R9",
                name,
                road.depart,
                f"drives {m:.0f} m in permit zone {zid!r} without a permit (road {where})",
            )
            continue
        if crossed:
            found.add(
                "R9",
                name,
                road.depart,
                f"crosses the boundary of zone {zid!r} away from any checkpoint (road {where})",
            )


def _leg_roads(
    world: World,
    leg: Leg,
    truck: str,
    i: int,
    roads: list[_Road],
    lines: list[list[tuple[float, float]]],
) -> list[tuple[float, float]] | None:
    """Append the leg's roads; return its whole shape, or None where the path is unknown."""
    path = leg.path
    if not path:
        return None
    if world.mode == "road":
        g = world.graph
        assert g is not None  # road mode reads the road files
        if any(n not in g for n in path) or any(
            not g.has_edge(a, b) for a, b in itertools.pairwise(path)
        ):
            return None  # R12 reports the unknown road
        shape: list[tuple[float, float]] = [(g.nodes[path[0]]["lon"], g.nodes[path[0]]["lat"])]
        steps = []
        for a, b in itertools.pairwise(path):
            coords = [tuple(c) for c in g.edges[a, b]["coords"]]
            steps.append(coords)
            shape.extend(coords[1:])
    else:
        if len(leg.coords) != len(path):
            return None  # reported by the leg check
        xy = [(c[0], c[1]) for c in leg.coords]
        # Places and checkpoints stand where the instance puts them; only way-points are free.
        shape = [world.fixed_xy.get(n, c) for n, c in zip(path, xy)]
        steps = [[xy[k], xy[k + 1]] for k in range(len(xy) - 1)]
    for k, coords in enumerate(steps):
        a, b = path[k], path[k + 1]
        if len(coords) < 2 or all(c == coords[0] for c in coords):
            continue
        if (a, b) in world.transit:
            continue  # a sealed transit road lies outside its zone; check_sealed_roads checks it
        roads.append(
            _Road(
                truck, i, a, b, leg.depart, leg.driver, world.gate_of.get(a), world.gate_of.get(b)
            )
        )
        lines.append(coords)
    return shape


def _same_shape(shape: list[tuple[float, float]], coords: list[tuple[float, float]]) -> bool:
    if len(shape) != len(coords):
        return False
    diff = np.abs(np.asarray(shape, dtype=float) - np.asarray(coords, dtype=float))
    return bool(diff.size == 0 or diff.max() <= COORD_TOLERANCE_DEG)


def _measure(
    world: World, roads: list[_Road], lines: list[list[tuple[float, float]]]
) -> tuple[np.ndarray, np.ndarray]:
    """Metres of each road inside each zone, and whether it crosses the boundary off a gate."""
    zone_ids = list(world.zones)
    flat = np.array([xy for line in lines for xy in line], dtype=float)
    index = np.repeat(np.arange(len(lines)), [len(line) for line in lines])
    geo = gpd.GeoSeries(shapely.linestrings(flat, indices=index), crs="EPSG:4326")
    utm = geo.estimate_utm_crs()
    m_lines = np.asarray(geo.to_crs(utm).values)
    polys = np.asarray(
        gpd.GeoSeries([world.zones[z] for z in zone_ids], crs="EPSG:4326").to_crs(utm).values
    )
    starts = shapely.get_point(m_lines, 0)
    ends = shapely.get_point(m_lines, -1)
    for mask, pts in (
        (np.array([r.gate_a is not None for r in roads]), starts),
        (np.array([r.gate_b is not None for r in roads]), ends),
    ):
        if mask.any():
            m_lines[mask] = shapely.difference(
                m_lines[mask], shapely.buffer(pts[mask], GATE_RADIUS_M)
            )
    total = shapely.length(m_lines)
    metres = np.zeros((len(roads), len(zone_ids)))
    crossing = np.zeros((len(roads), len(zone_ids)), dtype=bool)
    for k, poly in enumerate(polys):
        hit = shapely.intersects(m_lines, poly)
        if not hit.any():
            continue
        inside = shapely.length(shapely.intersection(m_lines[hit], poly))
        metres[hit, k] = inside
        # Partly in, partly out: the road crosses this zone's boundary off any gate.
        crossing[hit, k] = (inside > ZONE_TOLERANCE_M) & (total[hit] - inside > ZONE_TOLERANCE_M)
    return metres, crossing


def check_sealed_roads(found: Found, world: World, plan: Plan) -> None:
    """R9: a leg drives a sealed transit road only from one end to the other.

    Every time a path passes an inner node of a sealed road, the roads on both sides of it
    must be that sealed road's, and each stretch on it must run from one end to the other.

    Parameters
    ----------
    found
        Where the violations go.
    world
        The validator's :class:`~relayroute.validate.world.World`.
    plan
        The plan to check.
    """
    if not world.sealed:
        return
    for r in plan.routes:
        for i, leg in enumerate(r.legs):
            _sealed_stretches(found, world, leg.path, f"truck {r.truck} leg {i}", leg.depart)


def _sealed_stretches(found: Found, world: World, p: list[str], name: str, t: float) -> None:
    k = 1
    while k < len(p):
        road = world.transit.get((p[k - 1], p[k]))
        if road is None:
            # A road that is not the sealed one, at a node of it: an exit, closed.
            off = p[k - 1] if p[k - 1] in world.sealed else p[k] if p[k] in world.sealed else None
            if off is not None:
                tid = world.sealed[off]
                ends = world.transit_ends[tid]
                found.add(
                    "R9",
                    name,
                    t,
                    f"leaves or joins sealed transit road {tid!r} at {off!r} (road "
                    f"{p[k - 1]!r}->{p[k]!r}), away from its ends {ends[0]!r} and {ends[1]!r}",
                )
            k += 1
            continue
        start = k - 1
        while k < len(p) and world.transit.get((p[k - 1], p[k])) == road:
            k += 1
        a, b = p[start], p[k - 1]
        ends = world.transit_ends[road]
        if {a, b} != set(ends):
            found.add(
                "R9",
                name,
                t,
                f"drives sealed transit road {road!r} from {a!r} to {b!r}; it is entered "
                f"and left only at its ends {ends[0]!r} and {ends[1]!r}",
            )

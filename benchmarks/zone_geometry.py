"""Benchmark: do outside drivers stay out of closed zones, by geometry (R5)?

For every instance in ``instances/*.json`` this solves one plan with the default
configuration (``solvers/default.toml``, the same as the CLI's built-in default), or reads
an already-solved plan (``--plans DIR``, plan files named ``<instance>.json``), and then
measures, *independently of relayroute's validator and network code* (shapely 2 and
pyproj only, with ``relayroute.model`` / ``relayroute.io`` to read the instance and the
plan):

- for every leg driven by an outside driver (``leg.driver_kind == "outside"``): the metres
  of the leg's shape (``leg.coords``, lon/lat) inside each ``closed_loop`` zone polygon
  (exterior ring and holes), both projected to a metric azimuthal-equidistant CRS centred
  on the zone (pyproj), with shapely's vectorised ``intersection`` / ``length`` over all
  legs at once. A leg counts as *inside* when more than ``--tolerance`` metres (25 m, for
  coordinates rounded to 6 decimals and checkpoints standing on the boundary) of it lie
  inside; the total includes every metre measured;
- the stops outside drivers make (arrive at or leave): a stop's place more than the
  tolerance inside a closed zone is counted too (R5 says "never drive *or stop*");
- for every leg driven by a loop driver: the metres inside a closed-loop zone other than
  the driver's own (the ``zone`` of its duty in ``plan.loop_drivers``).

Nothing here calls :mod:`relayroute.validate` or :mod:`relayroute.network`: this is the
check of issue 13's last "Done when" bullet (every bundled instance: 0 metres of outside
legs inside closed zones), and it can disagree with the validator.

Run from the project root (not a CI test; one solve after another, the configuration's
time limit each, 60 s by default)::

    .venv/bin/python benchmarks/zone_geometry.py [--time-limit S] [--instances 'instances/*.json']
        [--plans DIR] [--save-plans DIR] [--legs LEGS.csv] [--tolerance 25] [-o results.csv]

Writes one CSV row per instance (default ``benchmarks/results/zone-geometry-<date>.csv``):
instance, routes, outside legs, outside legs more than the tolerance inside a closed zone,
total km inside, the worst leg (truck, leg index, zone, metres), outside stops inside, and
the same for loop-driver legs in other closed zones; and prints the table as markdown.
``--legs`` also writes every offending leg (truck, leg index, from/to nodes, zone, metres).
Exit status 1 when any instance has an outside leg or stop inside a closed zone.
"""

from __future__ import annotations

import argparse
import csv
import glob
import io
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pyproj import Transformer

from relayroute.io.atomic import write_text_atomic
from relayroute.io.instance import LoadedInstance, read_instance
from relayroute.io.plan import read_plan, write_plan

if TYPE_CHECKING:
    from collections.abc import Iterator

    from relayroute.model.instance import Instance, Zone
    from relayroute.model.plan import Leg, Plan

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE_M = 25.0


@dataclass
class LegRow:
    """One leg of one route, as measured."""

    truck: str
    index: int
    kind: str  # outside | loop
    driver: str
    frm: str
    to: str
    path: str
    own_zone: str | None  # loop drivers: the zone of their duty
    inside: dict[str, float] = field(default_factory=dict)  # zone -> metres inside


def zone_polygon(zone: Zone) -> shapely.Polygon:
    """The zone's GeoJSON polygon (exterior ring first, then holes) in lon/lat."""
    return shapely.Polygon(zone.polygon[0], zone.polygon[1:])


def metric(zone_ll: shapely.Polygon) -> Transformer:
    """lon/lat -> metres, azimuthal equidistant around the zone's centroid."""
    c = zone_ll.centroid
    return Transformer.from_crs(
        "EPSG:4326",
        f"+proj=aeqd +lat_0={c.y:.7f} +lon_0={c.x:.7f} +datum=WGS84 +units=m +no_defs",
        always_xy=True,
    )


def project(geoms: Any, t: Transformer) -> Any:
    """Geometries (scalar or array) from lon/lat to the transformer's metric CRS."""

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = t.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn)


def leg_lines(legs: list[Leg]) -> np.ndarray:
    """Each leg's shape as a LineString (lon/lat); a one-point leg as a zero-length line."""
    parts, idx = [], []
    for i, leg in enumerate(legs):
        pts = list(leg.coords)
        if len(pts) == 1:
            pts = pts * 2
        parts.extend(pts)
        idx.extend([i] * len(pts))
    lines = np.full(len(legs), None, dtype=object)
    if parts:
        made = shapely.linestrings(np.asarray(parts, dtype=float), indices=np.asarray(idx))
        present = sorted(set(idx))
        lines[present] = made
    return lines


def measure(inst: Instance, plan: Plan, tolerance: float) -> tuple[dict[str, Any], list[LegRow]]:
    """The metres inside closed zones of every leg and stop of ``plan``."""
    closed = [z for z in inst.zones if z.policy == "closed_loop"]
    if inst.network.mode == "euclidean":
        closed = []  # x/y, not lon/lat: no zones on the globe to measure against
    duty_zone = {d.driver: d.zone for d in plan.loop_drivers}
    places = inst.places_by_id
    legs: list[Leg] = []
    rows: list[LegRow] = []
    stops: list[tuple[str, int, str]] = []  # truck, stop index, place: touched by outside
    for r in plan.routes:
        touched: set[int] = set()
        for i, leg in enumerate(r.legs):
            legs.append(leg)
            rows.append(
                LegRow(
                    r.truck,
                    i,
                    leg.driver_kind,
                    leg.driver,
                    leg.path[0] if leg.path else r.stops[i].place,
                    leg.path[-1] if leg.path else r.stops[i + 1].place,
                    " ".join(leg.path),
                    duty_zone.get(leg.driver) if leg.driver_kind == "loop" else None,
                )
            )
            if leg.driver_kind == "outside":
                touched |= {i, i + 1}
        stops += [(r.truck, k, r.stops[k].place) for k in sorted(touched) if k < len(r.stops)]
    lines_ll = leg_lines(legs)
    stop_pts = shapely.points(
        np.asarray([(places[p].lon, places[p].lat) for _, _, p in stops], dtype=float).reshape(
            -1, 2
        )
    )
    stops_inside: list[tuple[str, int, str, str]] = []
    for z in closed:
        poly_ll = zone_polygon(z)
        t = metric(poly_ll)
        poly = project(poly_ll, t)
        shapely.prepare(poly)
        lines = project(lines_ll, t)
        hit = shapely.intersects(lines, poly) & ~shapely.is_missing(lines)
        metres = np.zeros(len(legs))
        if hit.any():
            metres[hit] = shapely.length(shapely.intersection(lines[hit], poly))
        for j in np.flatnonzero(metres > 0):
            rows[j].inside[z.id] = float(metres[j])
        if len(stops):
            core = shapely.buffer(poly, -tolerance)
            deep = shapely.within(project(stop_pts, t), core)
            stops_inside += [(*stops[k], z.id) for k in np.flatnonzero(deep)]

    def against(row: LegRow) -> dict[str, float]:
        """The metres that count: outside legs in any closed zone, loop legs in others'."""
        if row.kind == "outside":
            return row.inside
        return {z: m for z, m in row.inside.items() if z != row.own_zone}

    out: dict[str, Any] = {"routes": len(plan.routes)}
    for kind in ("outside", "loop"):
        mine = [r for r in rows if r.kind == kind]
        scored = [(m, r, z) for r in mine for z, m in against(r).items()]
        worst = max(scored, default=None, key=lambda x: x[0])
        out[f"{kind}_legs"] = len(mine)
        out[f"{kind}_legs_inside"] = sum(
            1 for r in mine if any(m > tolerance for m in against(r).values())
        )
        out[f"{kind}_km_inside"] = round(sum(sum(against(r).values()) for r in mine) / 1000, 3)
        out[f"{kind}_worst_truck"] = worst[1].truck if worst else ""
        out[f"{kind}_worst_leg"] = worst[1].index if worst else ""
        out[f"{kind}_worst_zone"] = worst[2] if worst else ""
        out[f"{kind}_worst_m"] = round(worst[0], 1) if worst else 0.0
    out["outside_stops"] = len(stops)
    out["outside_stops_inside"] = len(stops_inside)
    out["closed_zones"] = " ".join(z.id for z in closed)
    offending = [r for r in rows if any(m > tolerance for m in against(r).values())]
    return out, offending


def plans(
    files: list[Path], args: argparse.Namespace
) -> Iterator[tuple[str, LoadedInstance, Plan, float | None, str]]:
    """Each instance with its plan (solved one after another, or read): name, instance,
    plan, solve seconds (None when read) and where the plan came from."""
    from relayroute.solve import read_config, solve

    config = read_config(args.solver)
    for f in files:
        name = f.stem
        loaded: LoadedInstance = read_instance(f)
        if args.plans:
            p = Path(args.plans) / f"{name}.json"
            if not p.exists():
                print(f"{name}: no plan {p}, skipped", file=sys.stderr, flush=True)
                continue
            yield name, loaded, read_plan(p), None, str(p)
            continue
        t0 = time.perf_counter()
        plan = solve(loaded, config, time_limit=args.time_limit)
        seconds = time.perf_counter() - t0
        if args.save_plans:
            write_plan(plan, Path(args.save_plans) / f"{name}.json")
        limit = args.time_limit if args.time_limit is not None else config.time_limit
        yield name, loaded, plan, seconds, f"{config.name} {limit:g} s"


COLUMNS = [
    ("instance", "instance"),
    ("routes", "routes"),
    ("outside_legs", "outside legs"),
    ("outside_legs_inside", "inside > tol"),
    ("outside_km_inside", "km inside"),
    ("worst_outside", "worst leg (truck, leg, m)"),
    ("outside_stops_inside", "outside stops inside"),
    ("loop_legs", "loop legs"),
    ("loop_legs_inside", "loop legs in other zone"),
    ("loop_km_inside", "loop km other zone"),
]


def markdown(rows: list[dict[str, Any]]) -> str:
    out = ["| " + " | ".join(h for _, h in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        w = (
            # float(): rows read back from a CSV carry the metres as text
            f"{r['outside_worst_truck']} #{r['outside_worst_leg']}, "
            f"{float(r['outside_worst_m']):,.0f} m"
            if r["outside_worst_truck"]
            else "-"
        )
        cells = {**r, "worst_outside": w}
        out.append("| " + " | ".join(str(cells[k]) for k, _ in COLUMNS) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument(
        "--time-limit", type=float, default=None, help="seconds per solve (default: the config's)"
    )
    ap.add_argument("--instances", default=str(ROOT / "instances" / "*.json"), help="glob")
    ap.add_argument("--solver", default=str(ROOT / "solvers" / "default.toml"))
    ap.add_argument("--plans", help="check the plans in DIR (<instance>.json) instead of solving")
    ap.add_argument("--save-plans", help="write each solved plan to DIR/<instance>.json")
    ap.add_argument("--legs", help="also write every offending leg to this CSV")
    ap.add_argument("--tolerance", type=float, default=TOLERANCE_M, help="metres (default 25)")
    ap.add_argument(
        "-o",
        "--output",
        default=str(ROOT / "benchmarks" / "results" / f"zone-geometry-{date.today()}.csv"),
    )
    args = ap.parse_args(argv)
    files = [Path(f) for f in sorted(glob.glob(args.instances))]
    if not files:
        print(f"no instances match {args.instances}", file=sys.stderr)
        return 2
    rows: list[dict[str, Any]] = []
    legs_out: list[dict[str, Any]] = []
    for name, loaded, plan, seconds, source in plans(files, args):
        m, offending = measure(loaded.instance, plan, args.tolerance)
        row = {
            "instance": name,
            **m,
            "plan": source,
            "solve_seconds": "" if seconds is None else round(seconds, 1),
            "tolerance_m": args.tolerance,
            "load_avg": os.getloadavg()[0] if hasattr(os, "getloadavg") else "",
            "date": str(date.today()),
        }
        rows.append(row)
        legs_out += [
            {
                "instance": name,
                "truck": r.truck,
                "leg": r.index,
                "driver_kind": r.kind,
                "driver": r.driver,
                "from": r.frm,
                "to": r.to,
                "zone": z,
                "metres": round(v, 1),
                "path": r.path,
            }
            for r in offending
            for z, v in r.inside.items()
            if (r.kind == "outside" or z != r.own_zone) and v > args.tolerance
        ]
        print(
            f"{name}: {m['outside_legs_inside']}/{m['outside_legs']} outside legs inside, "
            f"{m['outside_km_inside']} km; {m['outside_stops_inside']} stops inside"
            + ("" if seconds is None else f" (solved in {seconds:.0f} s)"),
            file=sys.stderr,
            flush=True,
        )

    def to_csv(records: list[dict[str, Any]]) -> str:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(records[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(records)
        return buf.getvalue()

    if rows:
        write_text_atomic(args.output, to_csv(rows))
        print(f"wrote {args.output}", file=sys.stderr)
    if args.legs and legs_out:
        write_text_atomic(args.legs, to_csv(legs_out))
    print(markdown(rows))
    bad = any(r["outside_legs_inside"] or r["outside_stops_inside"] for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

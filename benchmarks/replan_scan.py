"""Benchmark: how often a re-plan validates, over closures at several times of a day.

Run from the project root (not a CI test; about five minutes with the dispatcher)::

    .venv/bin/python benchmarks/replan_scan.py [--instance instances/yiwu-day.json]
        [--at 10:00 12:00 14:00] [--engine greedy] [-o results.csv]

The day is planned once; then, at each time, each of these events alone is re-planned
for and the re-plan checked by :func:`relayroute.validate.replan.check_replan` (R1-R12,
the past kept, the closed object unused): every checkpoint closed for good, every
checkpoint closed for the two hours from that time, every relay station closed. One row
per re-plan: valid or the rules it breaks, seconds, served, goods held aboard or at a
station, goods part way on a rail or transload way at that time, and how many lines
``in_progress`` has (waits, turns back, ways round, goods kept aboard, duty overruns).
With ``--broken``, each truck of the plan broken down at each time too. With ``--areas``,
instead, each restricted zone drawn anew at each time, its policy kept: narrower by a
quarter of its extent from one side (north, south, east or west), or wider by as much to
that side (the gates on that side left off the new boundary; refused where the new area
overlaps another zone or leaves a gate with no road inside).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shapely
import shapely.affinity
import shapely.geometry

from relayroute.errors import InputError
from relayroute.io.instance import read_instance
from relayroute.solve import SolverConfig, solve
from relayroute.solve.replan import replan
from relayroute.validate.replan import check_replan

if TYPE_CHECKING:
    from datetime import datetime

    from relayroute.model.instance import Zone

ROOT = Path(__file__).resolve().parents[1]


def _minutes(clock: str, start: datetime) -> float:
    """``HH:MM`` on the instance's day as minutes from its start."""
    h, m = (int(x) for x in clock.split(":"))
    return float((h - start.hour) * 60 + (m - start.minute))


def _drawn_anew(zone: Zone, at: float) -> list[dict[str, Any]]:
    """``zone-policy`` events drawing ``zone`` narrower and wider by a quarter of its
    extent on each side, its policy kept (a "name" for the rows, taken out again)."""
    ring = shapely.Polygon(zone.polygon[0], zone.polygon[1:])
    x0, y0, x1, y1 = ring.bounds
    dx, dy = (x1 - x0) / 4, (y1 - y0) / 4
    sides = {
        "north": ((x0 - dx, y1 - dy, x1 + dx, y1 + dy), (0, dy)),
        "south": ((x0 - dx, y0 - dy, x1 + dx, y0 + dy), (0, -dy)),
        "east": ((x1 - dx, y0 - dy, x1 + dx, y1 + dy), (dx, 0)),
        "west": ((x0 - dx, y0 - dy, x0 + dx, y1 + dy), (-dx, 0)),
    }
    out = []
    for side, (box, (mx, my)) in sides.items():
        strip = shapely.box(*box)
        narrower = ring.difference(shapely.intersection(strip, ring))
        # Wider: the zone's edge on that side moved out by the strip's half.
        wider = shapely.union(ring, shapely.affinity.translate(ring, mx, my))
        for how, area in (("narrower", narrower), ("wider", wider)):
            if area.geom_type != "Polygon" or area.is_empty:
                continue
            area = shapely.geometry.polygon.orient(area.simplify(1e-9), 1.0)
            rings = [list(area.exterior.coords), *(list(r.coords) for r in area.interiors)]
            out.append(
                {
                    "name": f"zone-policy:{zone.id}:{how}-{side}",
                    "kind": "zone-policy",
                    "zone": zone.id,
                    "policy": zone.policy_at(at),
                    "polygon": [[[x, y] for x, y in r] for r in rings],
                }
            )
    return out


def main(argv: list[str] | None = None) -> int:
    """Re-plan each event at each time; print a summary and write the rows."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instance", default=str(ROOT / "instances" / "yiwu-day.json"))
    ap.add_argument("--at", nargs="+", default=["10:00", "12:00", "14:00"])
    ap.add_argument("--engine", default="greedy", help="solver engine for plan and re-plans")
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument(
        "--broken",
        action="store_true",
        help="also each truck of the plan broken down at each time (goods part way on "
        "rail or transload, collected by another truck or held)",
    )
    ap.add_argument(
        "--areas",
        action="store_true",
        help="instead of closures, each restricted zone drawn narrower or wider on each side",
    )
    ap.add_argument("-o", "--output", help="CSV file for the rows")
    args = ap.parse_args(argv)
    loaded = read_instance(args.instance)
    inst = loaded.instance
    config = SolverConfig(engine=args.engine, time_limit=args.time_limit)
    plan = solve(loaded, config)
    rows: list[dict[str, Any]] = []
    for clock in args.at:
        at = _minutes(clock, inst.start)
        h, m = (int(x) for x in clock.split(":"))
        window = f"{clock}-{h + 2:02d}:{m:02d}"
        events: list[Any] = [f"checkpoint-closed:{c.id}" for c in inst.checkpoints]
        events += [f"checkpoint-closed:{c.id}:{window}" for c in inst.checkpoints]
        events += [f"station-closed:{s.id}" for s in inst.relay_stations]
        if args.broken:
            events += [f"truck-broken:{r.truck}" for r in plan.routes]
        if args.areas:
            events = [e for z in inst.zones if z.policy != "open" for e in _drawn_anew(z, at)]
        for event in events:
            tick = time.perf_counter()
            name = event if isinstance(event, str) else event["name"]
            row: dict[str, Any] = {"at": clock, "event": name}
            given = (
                event if isinstance(event, str) else {k: v for k, v in event.items() if k != "name"}
            )
            try:
                done = replan(loaded, plan, [given], at, config=config)
            except InputError as e:
                row.update(result="refused", detail=str(e))
                rows.append(row)
                print(clock, name, "refused", str(e)[:100], flush=True)
                continue
            seconds = time.perf_counter() - tick
            report = check_replan(
                done.loaded.instance, plan, done.plan, done.events, at, done.loaded.base
            )
            rules = sorted({v.rule for v in report.violations})
            row.update(
                result="valid" if report.ok else " ".join(rules),
                detail="; ".join(str(v) for v in report.violations[:2]),
                seconds=round(seconds, 1),
                served=done.plan.kpis.served,
                held_aboard=sum(u.reason == "held_aboard" for u in done.plan.unserved),
                held_at_station=sum(u.reason == "held_at_station" for u in done.plan.unserved),
                part_way=sum(
                    o.itinerary in ("rail", "transload")
                    and o.shipment in done.state.picked
                    and o.shipment not in done.state.delivered
                    for o in plan.shipments
                ),
                in_progress=len(done.in_progress),
            )
            rows.append(row)
            print(clock, name, row["result"], row["seconds"], flush=True)
    valid = sum(r["result"] == "valid" for r in rows)
    print(f"{valid} of {len(rows)} re-plans valid ({args.engine}, {Path(args.instance).name})")
    if args.output:
        keys = ["at", "event", "result", "seconds", "served", "held_aboard", "held_at_station"]
        keys += ["part_way", "in_progress"]
        with open(args.output, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=[*keys, "detail"], extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

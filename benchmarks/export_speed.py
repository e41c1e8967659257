"""Benchmark: how long exporting a plan takes, on the largest scenario (issue 6: < 5 s).

Run from the project root (not a CI test)::

    .venv/bin/python benchmarks/export_speed.py [--instance instances/liling-day.json]
        [--plan plan.json] [--repeat 3] [-o results.csv]

Without ``--plan`` the instance is first solved with ``solvers/default.toml`` (30 s). Each
export is then timed ``--repeat`` times in this process (the median is reported), writing
into a temporary folder:

- ``read``: reading the instance and the plan JSON — the baseline every ratio is against;
- ``geojson``: the FeatureCollection plus one file per truck and loop driver (``--split``);
- ``csv``: stops.csv and shipments.csv;
- ``charts``: the three PNGs;
- ``map``: the self-contained HTML map with its report panel;
- ``all``: everything ``relayroute export --geojson --split --csv --charts`` and
  ``relayroute map`` write, one after the other.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from relayroute.export.charts import write_charts
from relayroute.export.geojson import write_geojson
from relayroute.export.tables import write_tables
from relayroute.export.webmap import write_map
from relayroute.io.instance import read_instance
from relayroute.io.plan import read_plan, write_plan
from relayroute.solve import read_config, solve

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parents[1]


def _median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instance", default=str(ROOT / "instances" / "liling-day.json"))
    ap.add_argument("--plan", default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("-o", "--output", default=None)
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        plan_path = Path(args.plan) if args.plan else out / "plan.json"
        if not args.plan:
            loaded = read_instance(args.instance)
            plan = solve(loaded, read_config(ROOT / "solvers" / "default.toml"), time_limit=30)
            write_plan(plan, plan_path)
        loaded = read_instance(args.instance)
        plan = read_plan(plan_path)
        inst = loaded.instance

        def read() -> None:
            read_instance(args.instance)
            read_plan(plan_path)

        def geojson() -> None:
            write_geojson(inst, plan, out / "g" / "routes.geojson", split=True)

        def tables() -> None:
            write_tables(inst, plan, out / "csv")

        def charts() -> None:
            write_charts(inst, plan, out / "png")

        def webmap() -> None:
            write_map(inst, plan, out / "map.html")

        def everything() -> None:
            geojson()
            tables()
            charts()
            webmap()

        steps = {
            "read": read,
            "geojson": geojson,
            "csv": tables,
            "charts": charts,
            "map": webmap,
            "all": everything,
        }
        everything()  # warm-up: imports, font cache
        seconds = {name: _median_seconds(fn, args.repeat) for name, fn in steps.items()}
        files = sum(1 for _ in (out / "g").iterdir())
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file() and p != plan_path)

    legs = sum(len(r.legs) for r in plan.routes)
    print(
        f"{inst.name}: {len(plan.routes)} routes, {legs} legs, {len(inst.shipments)} shipments; "
        f"{files} GeoJSON files; {size / 1e6:.1f} MB written per export"
    )
    base = seconds["read"]
    print(f"{'step':<9}{'seconds':>9}{'× read':>9}")
    for name, s in seconds.items():
        print(f"{name:<9}{s:>9.3f}{s / base:>9.1f}")
    if args.output:
        with open(args.output, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["date", "machine", "instance", "legs", "step", "seconds", "ratio_to_read"])
            machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores"
            for name, s in seconds.items():
                w.writerow(
                    [date.today(), machine, inst.name, legs, name, round(s, 4), round(s / base, 2)]
                )
    return 0 if seconds["all"] < 5.0 else 1


if __name__ == "__main__":
    sys.exit(main())

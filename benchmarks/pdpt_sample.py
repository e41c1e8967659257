"""Benchmark: relayroute's transload model on the Lyu & Yu PDPT and PDPTWT instances.

Run from the project root (not a CI test; about 40 minutes on one core)::

    .venv/bin/python benchmarks/pdpt_sample.py [-j 2] [-o results.csv] [--only PATTERN]

The fixed sample of issue 4: for each PDPT size and each of its three configurations the
first three instances (72 in all; 10 s each up to 15 requests, 60 s each from 20), and
every tenth PDPTWT instance in name order (36, 10 s each). Every solution is checked by
the independent checker :func:`relayroute.bench.pdpt.read.check_routes` (coverage, capacity,
windows, drops before collections, each station at most once per vehicle) and its
distance recomputed by :func:`relayroute.bench.pdpt.read.total_distance` before it is compared
with the published Gurobi result (``../shared/benchmarks/pdpt/results.csv``).

Per size it prints the share reaching the published optimum (within 0.01 %), the mean
gap to the published value, the share equal to or better than a published 1-hour
(time-limit) value, and the share solved (a valid solution serving every request).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from relayroute.bench.pdpt.read import (
    check_routes,
    read_lyu_yu,
    read_published_results,
    solution_routes,
    to_transfer_problem,
    total_distance,
)
from relayroute.bench.pdpt.transfers import solve_with_transfers

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PDPT_DATA", ROOT.parent / "shared" / "benchmarks" / "pdpt"))
OPTIMUM_TOL = 1e-4  # 0.01 %


def sample(data: Path) -> list[tuple[str, Path, float]]:
    """(family, file, seconds) of the fixed sample."""
    out = []
    for folder in sorted((data / "lyu-yu" / "PDPT").iterdir(), key=lambda p: p.name):
        r = int(folder.name.split("-")[1][1:])
        limit = 10.0 if r <= 15 else 60.0
        for i in range(3):
            out.append(("PDPT", folder / f"{folder.name}-Q100-{i}.txt", limit))
    wt = sorted((data / "lyu-yu" / "PDPTWT").glob("*/*.txt"), key=lambda p: p.name)
    out += [("PDPTWT", p, 10.0) for p in wt[::10]]
    return out


def run_one(job: tuple[str, Path, float]) -> dict[str, object]:
    family, path, limit = job
    inst = read_lyu_yu(path)
    tp, locs = to_transfer_problem(inst)
    t0 = time.perf_counter()
    sol = solve_with_transfers(tp, time_limit=limit)
    seconds = time.perf_counter() - t0
    routes = solution_routes(inst, sol, locs)
    errors = check_routes(inst, routes)
    distance = total_distance(inst, {v: [n for _, _, n in r] for v, r in routes.items()})
    return {
        "family": family,
        "instance": inst.name,
        "requests": len(inst.requests),
        "time_limit": limit,
        "seconds": round(seconds, 2),
        "objective": round(distance, 7),
        "transfers": len(sol.transfers),
        "valid": not errors and not sol.unserved,
        "errors": "; ".join(errors[:3]),
    }


def size_key(row: dict[str, object]) -> str:
    name = str(row["instance"])
    if row["family"] == "PDPT":
        return "PDPT-" + name.split("-")[1]
    return "PDPTWT-" + name.split("-")[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-j", "--jobs", type=int, default=1)
    ap.add_argument("-o", "--output", default=None)
    ap.add_argument("--only", default="", help="run sample files whose name contains this")
    ap.add_argument("--family", choices=["PDPT", "PDPTWT"], default=None)
    ap.add_argument(
        "--max-seconds", type=float, default=None, help="only jobs with this limit or less"
    )
    ap.add_argument("--data", default=str(DATA))
    args = ap.parse_args(argv)
    data = Path(args.data)
    published = read_published_results(data / "results.csv")
    jobs = [
        j
        for j in sample(data)
        if args.only in j[1].name
        and (args.family is None or j[0] == args.family)
        and (args.max_seconds is None or j[2] <= args.max_seconds)
    ]
    rows = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for row in pool.map(run_one, jobs):
            pub = published.get(str(row["instance"]))
            row["published"] = pub.objective if pub else ""
            row["published_status"] = pub.status if pub else "none"
            gap = (float(row["objective"]) - pub.objective) / pub.objective if pub else None
            row["gap_pct"] = "" if gap is None else round(100 * gap, 4)
            row["at_optimum"] = bool(
                pub and pub.status == "optimal" and gap is not None and gap <= OPTIMUM_TOL
            )
            row["not_worse"] = bool(pub and gap is not None and gap <= OPTIMUM_TOL)
            rows.append(row)
            print(
                f"{row['instance']:28s} {row['objective']:>12} pub {row['published']!s:>12} "
                f"({row['published_status']}) gap {row['gap_pct']!s:>8}% "
                f"transfers {row['transfers']} valid {row['valid']} {row['errors']}",
                flush=True,
            )
    print()
    groups: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        groups[size_key(row)].append(row)
    print(f"{'size':14s} {'n':>3s} {'optimum':>9s} {'mean gap':>9s} {'<=1h':>7s} {'solved':>7s}")
    for key in sorted(
        groups,
        key=lambda k: (k.split("-")[0], int("".join(c for c in k.split("-")[1] if c.isdigit()))),
    ):
        g = groups[key]
        opt = [r for r in g if r["published_status"] == "optimal"]
        gaps = [float(r["gap_pct"]) for r in g if r["gap_pct"] != ""]
        tl = [r for r in g if r["published_status"] == "time-limit"]
        print(
            f"{key:14s} {len(g):3d} "
            f"{sum(bool(r['at_optimum']) for r in opt)}/{len(opt):<7} "
            f"{statistics.fmean(gaps) if gaps else float('nan'):8.4f}% "
            f"{sum(bool(r['not_worse']) for r in tl)}/{len(tl):<5} "
            f"{sum(bool(r['valid']) for r in g)}/{len(g)}"
        )
    if args.output:
        with open(args.output, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        print(f"\nwrote {args.output} ({platform.python_version()}, {os.cpu_count()} cpus)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

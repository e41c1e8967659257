"""Benchmark: relayroute's solve pipeline on the Lyu & Yu PDPT and PDPTWT instances.

Run from the project root (not a CI test)::

    .venv/bin/python benchmarks/pdpt_sample.py [-j 2] [-o results.csv] [--only PATTERN]
        [--max-seconds 10] [--config solvers/default.toml] [--no-depot-trips]

Each instance is converted into a relayroute instance
(:func:`relayroute.bench.pdpt.convert.to_instance`: transfer points as transload
stations) and solved by :func:`relayroute.solve` with the configuration given (the
default one unless told), the pipeline ``relayroute solve`` runs. The fixed sample of
issue 4: for each PDPT size and each of its three configurations the first three
instances (72 in all; 10 s each up to 15 requests, 60 s each from 20), and every tenth
PDPTWT instance in name order (36, 10 s each); ``--max-seconds 10`` keeps the 81 small
ones. Every plan is checked twice: by relayroute's validator, and as PDPT routes by the
benchmark's own independent checker :func:`relayroute.bench.pdpt.read.check_routes`
(coverage, capacity, windows, drops before collections, each station at most once per
vehicle), with its distance recomputed from the file's coordinates
(:func:`relayroute.bench.pdpt.convert.pdpt_objective`) before it is compared with the
published Gurobi result (``../shared/benchmarks/pdpt/results.csv``).

Per size it prints how many plans reach the published optimum (within 0.01 %), are
within 1 % of it, are worse, or are infeasible (a check fails or a request is left
unserved), the transfers used and the mean gap. Each row carries the 1-minute load
average (``/proc/loadavg``) when its solve ended.
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

import relayroute as rr
from relayroute.bench.pdpt.convert import (
    SCALE,
    pdpt_objective,
    plan_routes,
    to_instance,
    transfers_used,
)
from relayroute.bench.pdpt.read import (
    PublishedResult,
    check_routes,
    read_lyu_yu,
    read_published_results,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PDPT_DATA", ROOT.parent / "shared" / "benchmarks" / "pdpt"))
CONFIG = ROOT / "solvers" / "default.toml"
OPTIMUM_TOL = 1e-4  # 0.01 %
NEAR_TOL = 1e-2  # 1 %


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


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages, as /proc/loadavg gives them."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ""


def run_one(job: tuple[str, Path, float, Path, bool]) -> dict[str, object]:
    """Convert, solve through the product, check both ways, measure."""
    family, path, limit, config_path, depot_trips = job
    pdpt = read_lyu_yu(path)
    inst = to_instance(pdpt, depot_trips=depot_trips)
    loaded = rr.LoadedInstance(inst, path.parent, "")
    t0 = time.perf_counter()
    plan = rr.solve(loaded, rr.read_config(config_path), time_limit=limit)
    seconds = time.perf_counter() - t0
    report = rr.validate(inst, plan, path.parent)
    errors = check_routes(pdpt, plan_routes(plan))
    return {
        "family": family,
        "instance": pdpt.name,
        "requests": len(pdpt.requests),
        "time_limit": limit,
        "seconds": round(seconds, 2),
        "objective": round(pdpt_objective(pdpt, plan), 7),
        "plan_km": round(plan.kpis.km / SCALE, 5),  # the product's own measure, scaled back
        "transfers": transfers_used(plan),
        "unserved": len(plan.unserved),
        "validator_ok": report.ok,
        "checker_ok": not errors,
        "valid": report.ok and not errors and not plan.unserved,
        "errors": "; ".join([*errors[:3], *(str(v) for v in report.violations[:2])]),
        "loadavg": load_average(),
    }


def size_key(row: dict[str, object]) -> str:
    name = str(row["instance"])
    if row["family"] == "PDPT":
        return "PDPT-" + name.split("-")[1]
    return "PDPTWT-" + name.split("-")[0]


def compare(row: dict[str, object], published: dict[str, PublishedResult]) -> str:
    """Add the published value and the gap to ``row``; its class: ``optimum``, ``near``
    (within 1 %), ``worse``, ``infeasible`` or ``unpublished``."""
    pub = published.get(str(row["instance"]))
    row["published"] = pub.objective if pub else ""
    row["published_status"] = pub.status if pub else "none"
    gap = (float(str(row["objective"])) - pub.objective) / pub.objective if pub else None
    row["gap_pct"] = "" if gap is None else round(100 * gap, 4)
    if not row["valid"]:
        cls = "infeasible"
    elif gap is None:
        cls = "unpublished"
    elif gap <= OPTIMUM_TOL:
        cls = "optimum" if pub and pub.status == "optimal" else "not_worse"
    else:
        cls = "near" if gap <= NEAR_TOL else "worse"
    row["class"] = cls
    return cls


def summary(rows: list[dict[str, object]]) -> None:
    """Per size: optimum / within 1 % / worse / infeasible, transfers, mean gap."""
    groups: dict[str, list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        groups[size_key(row)].append(row)
    print(
        f"{'size':14s} {'n':>3s} {'optimum':>8s} {'<=1%':>5s} {'worse':>5s} {'infeas':>6s} "
        f"{'transf':>6s} {'mean gap':>9s}"
    )
    for key in sorted(
        groups,
        key=lambda k: (k.split("-")[0], int("".join(c for c in k.split("-")[1] if c.isdigit()))),
    ):
        g = groups[key]
        count = defaultdict(int)
        for r in g:
            count[str(r["class"])] += 1
        gaps = [float(str(r["gap_pct"])) for r in g if r["gap_pct"] != "" and r["valid"]]
        print(
            f"{key:14s} {len(g):3d} {count['optimum']:8d} {count['near']:5d} {count['worse']:5d} "
            f"{count['infeasible']:6d} {sum(bool(r['transfers']) for r in g):6d} "
            f"{statistics.fmean(gaps) if gaps else float('nan'):8.3f}%"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("-j", "--jobs", type=int, default=1)
    ap.add_argument("-o", "--output", default=None)
    ap.add_argument("--only", default="", help="run sample files whose name contains this")
    ap.add_argument("--family", choices=["PDPT", "PDPTWT"], default=None)
    ap.add_argument(
        "--max-seconds", type=float, default=None, help="only jobs with this limit or less"
    )
    ap.add_argument("--config", default=str(CONFIG), help="solver configuration TOML")
    ap.add_argument("--data", default=str(DATA))
    ap.add_argument(
        "--no-depot-trips",
        action="store_true",
        help="leave out each vehicle's shipment between its depots (to_instance's depot_trips)",
    )
    args = ap.parse_args(argv)
    data = Path(args.data)
    published = read_published_results(data / "results.csv")
    jobs = [
        (*j, Path(args.config), not args.no_depot_trips)
        for j in sample(data)
        if args.only in j[1].name
        and (args.family is None or j[0] == args.family)
        and (args.max_seconds is None or j[2] <= args.max_seconds)
    ]
    print(f"load average at start: {load_average()}", flush=True)
    rows = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for row in pool.map(run_one, jobs):
            compare(row, published)
            rows.append(row)
            print(
                f"{row['instance']:28s} {row['objective']:>12} pub {row['published']!s:>12} "
                f"({row['published_status']}) gap {row['gap_pct']!s:>8}% {row['class']:10s} "
                f"transfers {row['transfers']} load {row['loadavg']} {row['errors']}",
                flush=True,
            )
    print(f"\nload average at end: {load_average()}\n")
    summary(rows)
    if args.output:
        with open(args.output, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        print(f"\nwrote {args.output} ({platform.python_version()}, {os.cpu_count()} cpus)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

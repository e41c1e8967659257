"""Benchmark: the optimiser against the greedy dispatcher on the relay scenarios.

Run from the project root (not a CI test; about a minute per instance and solver)::

    .venv/bin/python benchmarks/relay_scenarios.py [--time-limit 60] [-o results.csv] [NAMES...]

For each scenario in ``instances/`` it solves with ``solvers/default.toml`` (the
optimiser, with the stated time limit) and ``solvers/greedy.toml``, validates both plans
with the independent validator, and prints served / unserved, priority-weighted delay,
the delay lower bound (LB) and the target ratio (optimiser − LB) / (greedy − LB).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

from relayroute.io.instance import read_instance
from relayroute.solve import read_config, solve
from relayroute.validate import validate

ROOT = Path(__file__).resolve().parents[1]
# Reasons a shipment cannot be served by any plan (it is left out of the lower bound too).
NEVER_SERVABLE = {
    "needs_relay_station",
    "no_truck_capacity",
    "no_permit",
    "no_access",
    "deadline_unreachable",
}
SCENARIOS = ["yiwu-day", "yiwu-day-scarce", "yiwu-day-station-closed", "liling-day"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=SCENARIOS)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--solver", default=str(ROOT / "solvers" / "default.toml"))
    ap.add_argument("-o", "--output", default=None)
    args = ap.parse_args(argv)
    rows = []
    for name in args.names:
        path = ROOT / "instances" / f"{name}.json"
        if not path.exists():
            print(f"{name}: no instance file, skipped", file=sys.stderr)
            continue
        loaded = read_instance(path)
        for label, cfg_path, limit in (
            ("optimiser", args.solver, args.time_limit),
            ("greedy", str(ROOT / "solvers" / "greedy.toml"), args.time_limit),
        ):
            config = read_config(cfg_path)
            t0 = time.perf_counter()
            plan = solve(loaded, config, time_limit=limit)
            wall = time.perf_counter() - t0
            report = validate(loaded.instance, plan, loaded.base)
            k = plan.kpis
            ships = loaded.instance.shipments_by_id
            horizon = loaded.instance.horizon
            # Unserved but servable shipments wait for tomorrow: late at least until day end.
            carried = sum(
                ships[u.shipment].priority * max(0.0, horizon - ships[u.shipment].due)
                for u in plan.unserved
                if u.reason not in NEVER_SERVABLE
            )
            rows.append(
                {
                    "instance": name,
                    "solver": label,
                    "config": config.name,
                    "shipments": len(loaded.instance.shipments),
                    "served": k.served,
                    "unserved": k.unserved,
                    "weighted_delay": round(k.weighted_delay, 1),
                    "delay_with_unserved": round(k.weighted_delay + carried, 1),
                    "lower_bound": round(k.delay_lower_bound, 1),
                    "objective": round(k.objective, 1),
                    "loop_drivers": k.loop_drivers_used,
                    "trucks": k.trucks_used,
                    "seconds": round(wall, 1),
                    "valid": report.ok,
                }
            )
            print(rows[-1], flush=True)
    print()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cpus; date {date.today()}")
    header = (
        "| instance | solver | served/n | weighted delay | LB | (x-LB) | loop drivers | s | valid |"
    )
    print(header)
    print("|" + "---|" * 9)
    by = {(r["instance"], r["solver"]): r for r in rows}
    for r in rows:
        print(
            f"| {r['instance']} | {r['solver']} | {r['served']}/{r['shipments']} | "
            f"{r['weighted_delay']:,} | {r['lower_bound']:,} | "
            f"{r['delay_with_unserved']:,} | {r['loop_drivers']} | "
            f"{r['seconds']} | {'yes' if r['valid'] else 'NO'} |"
        )
    print()
    for name in dict.fromkeys(r["instance"] for r in rows):
        o, g = by.get((name, "optimiser")), by.get((name, "greedy"))
        if o and g:
            for key, label in (
                ("weighted_delay", "served shipments only"),
                ("delay_with_unserved", "unserved counted late to day end"),
            ):
                gap_g = g[key] - g["lower_bound"]
                gap_o = o[key] - o["lower_bound"]
                ratio = gap_o / gap_g if gap_g > 0 else float("nan")
                print(
                    f"{name}: (opt-LB)/(greedy-LB) = {ratio:.3f} on {label} (target <= 0.5); "
                    f"served {o['served']} vs {g['served']}"
                )
    if args.output:
        with open(args.output, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

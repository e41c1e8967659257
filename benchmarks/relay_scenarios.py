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

from relayroute.io.instance import LoadedInstance, read_instance
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
# Medical goods: the issue asks that none be later than 120 min where it could be on time.
URGENT = 10.0
SCENARIOS = ["yiwu-day", "yiwu-day-scarce", "yiwu-day-station-closed", "liling-day"]


def run_day(name: str, loaded: LoadedInstance, solver: str, limit: float) -> list[dict]:
    """Solve one day with the optimiser and the dispatcher; one row each, validated."""
    rows = []
    for label, cfg_path in (
        ("optimiser", solver),
        ("greedy", str(ROOT / "solvers" / "greedy.toml")),
    ):
        config = read_config(cfg_path)
        load = os.getloadavg()[0]
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
        # Minutes late of the urgent shipments, and of those the lower bound has on time.
        urgent = [o.delay for o in plan.shipments if ships[o.shipment].priority >= URGENT]
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
                "urgent": len(urgent),
                "urgent_max_late": round(max(urgent, default=0.0), 1),
                "solutions": (plan.solver or {}).get("solutions", ""),
                "first_solution_s": (plan.solver.get("speed") or {}).get("first_solution", ""),
                "seconds": round(wall, 1),
                "load": round(load, 2),
                "valid": report.ok,
            }
        )
        print(rows[-1], flush=True)
    return rows


def report(rows: list[dict], output: str | None) -> None:
    """Print the table and the ratios; write the CSV."""
    print()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cpus; date {date.today()}")
    header = "| instance | solver | served/n | weighted delay | LB | (x-LB) | loop drivers | s | load | valid |"
    print(header)
    print("|" + "---|" * 10)
    by = {(r["instance"], r["solver"]): r for r in rows}
    for r in rows:
        print(
            f"| {r['instance']} | {r['solver']} | {r['served']}/{r['shipments']} | "
            f"{r['weighted_delay']:,} | {r['lower_bound']:,} | "
            f"{r['delay_with_unserved']:,} | {r['loop_drivers']} | "
            f"{r['seconds']} | {r['load']} | {'yes' if r['valid'] else 'NO'} |"
        )
    print()
    for name in dict.fromkeys(r["instance"] for r in rows):
        o, g = by.get((name, "optimiser")), by.get((name, "greedy"))
        if o and g:
            for key, label in (
                ("weighted_delay", "served shipments only"),
                ("delay_with_unserved", "unserved counted late to day end"),
            ):
                # The lower bound of the instance: each plan's is over the ways its
                # problem allowed (the switch may open rail), so the smaller holds for both.
                lb = min(g["lower_bound"], o["lower_bound"])
                gap_g = g[key] - lb
                gap_o = o[key] - lb
                ratio = gap_o / gap_g if gap_g > 0 else float("nan")
                print(
                    f"{name}: (opt-LB)/(greedy-LB) = {ratio:.3f} on {label} (target <= 0.5); "
                    f"served {o['served']} vs {g['served']}"
                )
    if output and rows:
        with open(output, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)


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
        rows += run_day(name, read_instance(path), args.solver, args.time_limit)
    report(rows, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

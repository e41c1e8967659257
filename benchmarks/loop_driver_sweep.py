"""Sweep: fewer loop drivers must never make the best plan better.

Run from the project root (a benchmark, not a CI test)::

    .venv/bin/python benchmarks/loop_driver_sweep.py [--time-limit 30] [--seeds 3]

Takes ``instances/yiwu-day.json``, scales every loop pool (40 drivers in all) down step by
step, and solves each step with the same configuration and time limit under several seeds.
The best plan of a step is its best objective (unserved penalty + weighted delay + costs)
over the seeds; the solver's noise is the spread over the seeds. A step "goes down" when
its best objective is lower than the best of the step with more drivers by more than the
larger spread of the two.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from relayroute.io.instance import LoadedInstance, instance_from_data
from relayroute.solve import read_config, solve
from relayroute.validate import validate

ROOT = Path(__file__).resolve().parents[1]


def _scaled(base: dict, total: int) -> dict:
    data = json.loads(json.dumps(base))
    pools = [p for p in data["driver_pools"] if p["kind"] == "loop"]
    full = sum(p["count"] for p in pools)
    for p in pools:
        p["count"] = max(1, round(p["count"] * total / full))
    data["name"] = f"{base['name']}-loop{total}"
    return data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instance", default=str(ROOT / "instances" / "yiwu-day.json"))
    ap.add_argument("--solver", default=str(ROOT / "solvers" / "default.toml"))
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--steps", default="40,32,24,16,8")
    args = ap.parse_args(argv)
    base = json.loads(Path(args.instance).read_text())
    config = read_config(args.solver)
    src = Path(args.instance).resolve().parent
    invalid: list[str] = []  # plans the independent validator rejects

    def run(total: int, seed: int) -> tuple[float, float, int]:
        loaded = LoadedInstance(instance_from_data(_scaled(base, total)), src, f"loop{total}")
        plan = solve(loaded, config.model_copy(update={"seed": seed}), time_limit=args.time_limit)
        report = validate(loaded.instance, plan, loaded.base)
        if not report.ok:
            invalid.append(f"{total} drivers, seed {seed}")
        k = plan.kpis
        return k.objective, k.weighted_delay, k.served

    steps = [int(x) for x in args.steps.split(",")]
    print(
        "| loop drivers | best objective | spread over seeds | weighted delay (best) | served (best) |"
    )
    print("|---|---|---|---|---|")
    prev: tuple[float, float] | None = None
    bad = 0
    for total in steps:
        runs = sorted(run(total, seed) for seed in range(args.seeds))
        best, spread = runs[0], runs[-1][0] - runs[0][0]
        flag = ""
        if prev is not None and best[0] < prev[0] - max(spread, prev[1]) - 1e-6:
            flag = "  <- better with fewer drivers"
            bad += 1
        print(
            f"| {total} | {best[0]:,.1f} | {spread:,.1f} | {best[1]:,.1f} | {best[2]} |{flag}",
            flush=True,
        )
        prev = (best[0], spread)
    print(f"steps better with fewer drivers (beyond the measured noise): {bad}")
    which = f" ({'; '.join(invalid)})" if invalid else ""
    print(f"plans rejected by the validator: {len(invalid)}{which}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Sweep: fewer loop drivers must never make the best plan better.

Run from the project root (a benchmark, not a CI test)::

    .venv/bin/python benchmarks/loop_driver_sweep.py [--time-limit 30] [--seeds 3]

Takes ``instances/yiwu-day.json``, scales every loop pool (40 drivers in all) down step by
step, and solves each with the same configuration, seed and time limit. The solver's own
noise is measured first: the full instance solved with several seeds. A step "goes down"
when its objective (unserved penalty + weighted delay + costs) is lower than the step
with more drivers by more than that noise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from relayroute.io.instance import LoadedInstance, instance_from_data
from relayroute.solve import read_config, solve

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

    def run(total: int, seed: int) -> tuple[float, float, int]:
        loaded = LoadedInstance(instance_from_data(_scaled(base, total)), src, f"loop{total}")
        plan = solve(loaded, config.model_copy(update={"seed": seed}), time_limit=args.time_limit)
        k = plan.kpis
        return k.objective, k.weighted_delay, k.served

    steps = [int(x) for x in args.steps.split(",")]
    noise_runs = [run(steps[0], seed)[0] for seed in range(args.seeds)]
    noise = max(noise_runs) - min(noise_runs)
    print(
        f"noise: objective over {args.seeds} seeds at {steps[0]} drivers: "
        f"{[round(x, 1) for x in noise_runs]} (spread {noise:.1f})"
    )
    print("| loop drivers | objective | weighted delay | served |")
    print("|---|---|---|---|")
    prev = None
    bad = 0
    for total in steps:
        obj, delay, served = run(total, config.seed)
        flag = ""
        if prev is not None and obj < prev - noise - 1e-6:
            flag = "  <- better with fewer drivers"
            bad += 1
        print(f"| {total} | {obj:,.1f} | {delay:,.1f} | {served} |{flag}", flush=True)
        prev = obj
    print(f"steps better with fewer drivers (beyond noise): {bad}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

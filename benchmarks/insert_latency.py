"""Benchmark: how long inserting one shipment into a day's plan takes (issue 17: p95 ≤ 200 ms
in-process).

Run from the project root (not a CI test)::

    .venv/bin/python benchmarks/insert_latency.py [--day liling-day --day yiwu-day]
        [--requests 200] [--seed 17] [--validate-every 20] [-o results.csv]

The plan of each day is read from ``/tmp/<day>-plan.json``, or solved once with the
default configuration (``--time-limit`` 60 s) and kept there. Each request is a new
shipment drawn from the day's own mix: the places, quantity, priority and slack (due
minus ready) of a shipment of the day picked at random, ready at a random time of the
day, ``now`` an hour before it. Every request goes into the same plan (a pass counter
answers requests one at a time on the day's plan). The first request on an instance
builds the travel tables once (reported apart as ``first``); the 200 timed requests come
after it. Every ``--validate-every``-th plan inserted into is checked with the independent
validator, outside the timing, and the earlier passes are checked to be listed
unchanged.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from relayroute.io.instance import read_instance
from relayroute.io.plan import read_plan
from relayroute.solve.insert import insert
from relayroute.validate import validate

ROOT = Path(__file__).resolve().parents[1]


def _plan_of(day: str, time_limit: float) -> Path:
    path = Path("/tmp") / f"{day}-plan.json"
    if not path.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "relayroute",
                "solve",
                str(ROOT / "instances" / f"{day}.json"),
                "--time-limit",
                str(time_limit),
                "-q",
                "-o",
                str(path),
            ],
            check=True,
        )
    return path


def _requests(loaded: Any, n: int, rng: random.Random) -> list[tuple[dict[str, Any], float]]:
    inst = loaded.instance
    out = []
    for k in range(n):
        like = rng.choice(inst.shipments)
        ready = rng.uniform(0.2, 0.7) * inst.horizon
        slack = like.due - like.ready
        sh = {
            "id": f"REQ{k:04d}",
            "origin": like.origin,
            "destination": like.destination,
            "quantity": dict(like.quantity),
            "ready": round(ready, 1),
            "due": round(min(inst.horizon, ready + slack), 1),
            "priority": like.priority,
        }
        out.append((sh, max(0.0, ready - 60.0)))
    return out


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * len(xs)) - 1))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--day", action="append", help="instances/<day>.json (repeatable)")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--validate-every", type=int, default=20)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("-o", "--output", help="CSV of one row per day")
    args = ap.parse_args(argv)
    days = args.day or ["liling-day", "yiwu-day"]
    rows = []
    for day in days:
        loaded = read_instance(ROOT / "instances" / f"{day}.json")
        plan = read_plan(_plan_of(day, args.time_limit))
        rng = random.Random(args.seed)
        warm, now0 = _requests(loaded, 1, random.Random(-1))[0]
        warm["id"] = "WARM"
        t0 = time.perf_counter()
        insert(loaded, plan, warm, now=now0)
        first = time.perf_counter() - t0
        ms: list[float] = []
        ok = checked = bad = 0
        codes: dict[str, int] = {}
        for sh, now in _requests(loaded, args.requests, rng):
            t0 = time.perf_counter()
            done = insert(loaded, plan, sh, now=now)
            ms.append((time.perf_counter() - t0) * 1000)
            if done.ok:
                ok += 1
            else:
                assert done.refusal is not None and done.plan is plan
                codes[done.refusal.code] = codes.get(done.refusal.code, 0) + 1
            if done.ok and (ok - 1) % args.validate_every == 0:
                report = validate(done.loaded.instance, done.plan, done.loaded.base)
                kept = all(p in done.plan.passes for p in plan.passes)
                checked += 1
                if not (report.ok and kept):
                    bad += 1
                    print(f"  {sh['id']}: {[str(v) for v in report.violations][:3]} kept={kept}")
        row = {
            "day": day,
            "shipments": len(loaded.instance.shipments),
            "requests": len(ms),
            "inserted": ok,
            "refused": len(ms) - ok,
            "refusals": " ".join(f"{c}:{n}" for c, n in sorted(codes.items())),
            "first_ms": round(first * 1000, 1),
            "p50_ms": round(statistics.median(ms), 1),
            "p95_ms": round(_pct(ms, 0.95), 1),
            "max_ms": round(max(ms), 1),
            "validated": checked,
            "invalid": bad,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "date": date.today().isoformat(),
        }
        rows.append(row)
        print(
            f"{day}: {row['inserted']}/{row['requests']} inserted ({row['refusals'] or 'none refused'}); "
            f"first {row['first_ms']} ms; p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, "
            f"max {row['max_ms']} ms; {checked} validated, {bad} invalid"
        )
    if args.output:
        with open(args.output, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return 1 if any(r["invalid"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())

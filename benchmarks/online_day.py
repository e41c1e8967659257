"""Benchmark: an online day (issue 17). Plan a day knowing 80 % of its shipments, insert the
other 20 % one at a time as the pass counter would, and compare with the day planned
knowing them all.

Run from the project root (not a CI test; about three minutes on 2 cores)::

    .venv/bin/python benchmarks/online_day.py [--day liling-day] [--share 0.2] [--seed 17]
        [--time-limit 60] [--lead 0] [-o results.csv]

The late shipments are drawn at random (``--seed``), then inserted in order of their ready
time with ``now`` = ready time minus ``--lead`` minutes (0 by default: a request arrives
when its goods are ready, and nothing of its trip may start before then). Both plans are
solved with the default configuration for ``--time-limit`` seconds; both are checked by
the independent validator, and so is the plan after the last insertion. Reported: shipments
served, weighted delay, the same day's delay lower bound (the offline plan's, every
shipment alone), the weighted delay above it, and the passes of the 80 % plan that are no
longer listed unchanged at the end (target 0), with the machine's load average.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import random
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

from relayroute.io.instance import LoadedInstance, read_instance
from relayroute.io.plan import write_plan
from relayroute.solve import solve
from relayroute.solve.config import read_config
from relayroute.solve.insert import insert
from relayroute.validate import validate

ROOT = Path(__file__).resolve().parents[1]


def _subset(loaded: LoadedInstance, keep: list[Any]) -> LoadedInstance:
    inst = loaded.instance.model_copy(update={"shipments": keep})
    sha = hashlib.sha256(inst.model_dump_json(by_alias=True).encode()).hexdigest()
    return LoadedInstance(inst, loaded.base, sha)


def _check(loaded: LoadedInstance, plan: Any, what: str) -> None:
    report = validate(loaded.instance, plan, loaded.base)
    if not report.ok:
        raise SystemExit(f"{what}: the validator rejects it: {report.violations[:3]}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--day", default="liling-day")
    ap.add_argument("--share", type=float, default=0.2, help="share of shipments inserted")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--lead", type=float, default=0.0, help="now = ready - LEAD minutes")
    ap.add_argument("-o", "--output", help="CSV of one row")
    ap.add_argument("--keep", metavar="DIR", help="write the three plans and the refusals here")
    args = ap.parse_args(argv)
    load0 = os.getloadavg()
    full = read_instance(ROOT / "instances" / f"{args.day}.json")
    ships = list(full.instance.shipments)
    late_ids = set(
        s.id for s in random.Random(args.seed).sample(ships, round(args.share * len(ships)))
    )
    known = _subset(full, [s for s in ships if s.id not in late_ids])
    late = sorted((s for s in ships if s.id in late_ids), key=lambda s: (s.ready, s.id))
    config = read_config(ROOT / "solvers" / "default.toml")

    t0 = time.perf_counter()
    offline = solve(full, config, time_limit=args.time_limit)
    t_off = time.perf_counter() - t0
    _check(full, offline, "offline plan")
    t0 = time.perf_counter()
    base = solve(known, config, time_limit=args.time_limit)
    t_base = time.perf_counter() - t0
    _check(known, base, "80 % plan")
    print(
        f"offline: {offline.kpis.served}/{len(ships)} served, weighted delay "
        f"{offline.kpis.weighted_delay:g} (LB {offline.kpis.delay_lower_bound:g}), {t_off:.0f} s; "
        f"known {len(known.instance.shipments)}: {base.kpis.served} served, {t_base:.0f} s"
    )

    loaded, plan = known, base
    ms: list[float] = []
    refused: dict[str, int] = {}
    why: list[str] = []
    for sh in late:
        now = max(0.0, sh.ready - args.lead)
        t0 = time.perf_counter()
        done = insert(loaded, plan, sh, now=now)
        ms.append((time.perf_counter() - t0) * 1000)
        if done.ok:
            loaded, plan = done.loaded, done.plan
        else:
            assert done.refusal is not None
            refused[done.refusal.code] = refused.get(done.refusal.code, 0) + 1
            r = done.refusal
            why.append(
                f"{sh.id} ready {sh.ready:g} due {sh.due:g} now {now:g}: "
                f"{r.code} ({r.blocking}) {r.detail}"
            )
    _check(loaded, plan, "plan after the insertions")
    final = {p.id: p for p in plan.passes}
    changed = sum(final.get(p.id) != p for p in base.passes)
    lb = offline.kpis.delay_lower_bound
    load1 = os.getloadavg()
    row = {
        "day": args.day,
        "shipments": len(ships),
        "inserted_requests": len(late),
        "lead_min": args.lead,
        "time_limit_s": args.time_limit,
        "offline_served": offline.kpis.served,
        "offline_weighted_delay": offline.kpis.weighted_delay,
        "lower_bound": lb,
        "offline_above_lb": round(offline.kpis.weighted_delay - lb, 1),
        "known_served": base.kpis.served,
        "known_weighted_delay": base.kpis.weighted_delay,
        "online_served": plan.kpis.served,
        "online_weighted_delay": plan.kpis.weighted_delay,
        "online_above_lb": round(plan.kpis.weighted_delay - lb, 1),
        "served_gap_pct": round(100 * (offline.kpis.served - plan.kpis.served) / len(ships), 2),
        "above_lb_ratio": round(
            (plan.kpis.weighted_delay - lb) / max(1e-9, offline.kpis.weighted_delay - lb), 2
        ),
        "inserted": len(late) - sum(refused.values()),
        "refusals": " ".join(f"{c}:{n}" for c, n in sorted(refused.items())),
        "passes_before": len(base.passes),
        "passes_after": len(plan.passes),
        "passes_changed": changed,
        "insert_p50_ms": round(statistics.median(ms), 1),
        "insert_max_ms": round(max(ms), 1),
        "load_start": " ".join(f"{x:.2f}" for x in load0),
        "load_end": " ".join(f"{x:.2f}" for x in load1),
        "cpus": os.cpu_count(),
        "date": date.today().isoformat(),
    }
    for k, v in row.items():
        print(f"  {k}: {v}")
    if args.keep:
        keep = Path(args.keep)
        keep.mkdir(parents=True, exist_ok=True)
        for name, p in (("offline", offline), ("known", base), ("online", plan)):
            write_plan(p, keep / f"{args.day}-{name}-plan.json")
        (keep / f"{args.day}-refusals.txt").write_text("\n".join(why) + "\n")
    if args.output:
        with open(args.output, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(row))
            w.writeheader()
            w.writerow(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

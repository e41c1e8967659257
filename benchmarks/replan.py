"""Benchmark: re-planning at the time of a disruption against knowing it from the start.

Run from the project root (not a CI test; about three solves of ``--time-limit`` per
scenario)::

    .venv/bin/python benchmarks/replan.py [--time-limit 30] [-o results.csv]

Two scenarios (issue 18):

- **yiwu port**: yiwu-day is planned not knowing that the Yiwu port relay station closes
  at noon; at 12:00 the closure is announced and the day re-planned. The yardstick is
  yiwu-day-station-closed (the port station's hours end at noon) solved from the start.
- **liling checkpoint**: liling-day is planned; at 10:00 the checkpoint
  ``cp_liling_park_w`` is announced closed 10:00-14:00 and the day re-planned; the
  yardstick is liling-day with that window taken out of the checkpoint's hours.

With ``--zones``: yiwu-day re-planned at noon when Dongyang turns closed-loop, when
Yiwu's closed loop is lifted, and when Dongyang is drawn narrower (its north gate left
outside; there is no foreseen day to compare with).

For each: the re-plan's wall-clock seconds (target: within 30 s; with the higher of the
1-minute load averages before and after it), its priority-weighted
delay above the delay lower bound against the foreseen plan's (target: at most 1.25x),
and the share of the shipments not yet delivered at the announcement that change truck
(target: at most 10 %); every plan is checked by the validator, the re-plan also by
:func:`relayroute.validate.replan.check_replan` (past kept, closed object unused).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path
from typing import Any

from relayroute.io.instance import LoadedInstance, read_instance
from relayroute.model.instance import Instance
from relayroute.solve import SolverConfig, solve
from relayroute.solve.replan import replan
from relayroute.validate import validate
from relayroute.validate.replan import check_replan

ROOT = Path(__file__).resolve().parents[1]


def _liling_foreseen(loaded: LoadedInstance, cp: str, lo: float, hi: float) -> LoadedInstance:
    """liling-day with ``cp`` shut from ``lo`` to ``hi``, known from the start."""
    cps = []
    for c in loaded.instance.checkpoints:
        if c.id == cp:
            hours = []
            for a, b in c.hours or [(0.0, 3 * loaded.instance.horizon)]:
                if a < lo:
                    hours.append((a, min(b, lo)))
                if b > hi:
                    hours.append((max(a, hi), b))
            c = c.model_copy(update={"hours": hours})
        cps.append(c)
    inst = Instance.model_validate(
        loaded.instance.model_copy(update={"checkpoints": cps}).model_dump(by_alias=True)
    )
    return LoadedInstance(inst, loaded.base, loaded.sha256 + "-foreseen")


def scenario(
    name: str,
    day: LoadedInstance,
    foreseen: LoadedInstance | None,
    events: list[Any],
    at: float,
    config: SolverConfig,
) -> dict[str, Any]:
    """Plan, re-plan at ``at``, and solve the foreseen day (where there is one: a day
    whose zone changes policy cannot be solved whole); one row of figures."""
    old = solve(day, config)
    assert validate(day.instance, old, day.base).ok
    load = os.getloadavg()[0]
    tick = time.perf_counter()
    done = replan(day, old, events, at, config=config)  # type: ignore[arg-type]
    seconds = time.perf_counter() - tick
    load = max(load, os.getloadavg()[0])
    kept = check_replan(done.loaded.instance, old, done.plan, done.events, at, done.loaded.base)
    open_at = [o.shipment for o in old.shipments if o.shipment not in done.state.delivered]
    if foreseen is not None:
        known = solve(foreseen, config)
        known_ok: bool | None = validate(foreseen.instance, known, foreseen.base).ok
        lb = known.kpis.delay_lower_bound
        above_known = known.kpis.weighted_delay - lb
        figures = [known.kpis.served, known.kpis.unserved, known.kpis.weighted_delay]
    else:
        known_ok, lb, above_known = None, done.plan.kpis.delay_lower_bound, 0.0
        figures = [None, None, None]
    above_new = done.plan.kpis.weighted_delay - lb
    return {
        "scenario": name,
        # (a JSON form: its kind and zone, "+polygon" where it draws the zone anew)
        "events": " ".join(
            e if isinstance(e, str) else f"{e['kind']}:{e['zone']}{'+polygon' * ('polygon' in e)}"
            for e in events
        ),
        "at": at,
        "replan_seconds": round(seconds, 1),
        "load_average_1min": round(load, 2),
        "candidate": done.candidate,
        "candidates": " ".join(f"{k}={v:g}" for k, v in done.candidates.items()),
        "replan_valid": kept.ok,
        "replan_violations": "; ".join(str(v) for v in kept.violations[:3]),
        "in_progress": len(done.in_progress),
        "delivered_before": len(done.state.delivered),
        "replan_served": done.plan.kpis.served,
        "replan_unserved": done.plan.kpis.unserved,
        "replan_weighted_delay": done.plan.kpis.weighted_delay,
        "held_aboard": sum(u.reason == "held_aboard" for u in done.plan.unserved),
        "foreseen_valid": known_ok,
        "foreseen_served": figures[0],
        "foreseen_unserved": figures[1],
        "foreseen_weighted_delay": figures[2],
        "lower_bound": lb,
        "ratio_above_lb": round(above_new / above_known, 3) if above_known > 0 else None,
        "open_at_announcement": len(open_at),
        "changed_truck": len(done.moved),
        "changed_truck_share": round(len(done.moved) / len(open_at), 3) if open_at else 0.0,
        "passes_revoked": len(done.revoked),
        "passes_issued": len(done.issued),
        "passes_unchanged": len(done.unchanged),
    }


def main(argv: list[str] | None = None) -> int:
    """Run both scenarios and print (and optionally write) their figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--time-limit", type=float, default=30.0, help="seconds per solve")
    ap.add_argument("-o", "--output", help="CSV file for the rows")
    ap.add_argument(
        "--zones",
        action="store_true",
        help="instead, yiwu-day with a zone's policy changed at noon: Dongyang closed-loop, "
        "Yiwu's closed loop lifted (no foreseen day: one with a change cannot be solved whole)",
    )
    args = ap.parse_args(argv)
    config = SolverConfig(time_limit=args.time_limit)
    rows = []
    yiwu = read_instance(ROOT / "instances" / "yiwu-day.json")
    if args.zones:
        narrower = {
            "kind": "zone-policy",
            "zone": "dongyang",
            "policy": "permit",
            # South of 29.285: the north gate left 2 km outside, the development zone in.
            "polygon": [
                [
                    [120.18, 29.235],
                    [120.255, 29.235],
                    [120.255, 29.285],
                    [120.18, 29.285],
                    [120.18, 29.235],
                ]
            ],
        }
        events: tuple[tuple[str, Any], ...] = (
            ("dongyang closed", "zone-policy:dongyang:closed_loop"),
            ("yiwu lifted", "zone-policy:yiwu:open"),
            ("dongyang narrower", narrower),
        )
        for name, event in events:
            rows.append(scenario(name, yiwu, None, [event], 720, config))
        return _report(rows, args.output)
    closed = read_instance(ROOT / "instances" / "yiwu-day-station-closed.json")
    rows.append(scenario("yiwu port", yiwu, closed, ["station-closed:rs_yiwu_port"], 720, config))
    liling = read_instance(ROOT / "instances" / "liling-day.json")
    cp, lo, hi = "cp_liling_park_w", 600.0, 840.0
    rows.append(
        scenario(
            "liling checkpoint",
            liling,
            _liling_foreseen(liling, cp, lo, hi),
            [f"checkpoint-closed:{cp}:{lo:g}-{hi:g}"],
            lo,
            config,
        )
    )
    return _report(rows, args.output)


def _report(rows: list[dict[str, Any]], output: str | None) -> int:
    for row in rows:
        print("\n".join(f"{k:>24}: {v}" for k, v in row.items()), end="\n\n")
    if output:
        with open(output, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

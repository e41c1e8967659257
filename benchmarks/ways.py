"""Benchmark: what rail and transload ways are worth, on the scenarios built for them.

Run from the project root (not a CI test; about a minute per instance and variant)::

    .venv/bin/python benchmarks/ways.py [--time-limit 60] [--solver solvers/default.toml]
        [--seeds N] [-o results.csv] [NAMES...]

Each scenario is solved with the same solver and time limit: as given, and with its rail
services and transload stations taken away (road only, driver swaps only); where it has a
transload station, also as given with the way switch putting its groups back by road
(``switch_to = "road"``: the same search with no transload chosen, a control showing what
the transload itself brings). ``--seeds N`` repeats each variant with seeds 0..N-1.
Served and delay are also given apart for the shipments whose transload way alone is
sooner than the road (the flows the way switch is for) and for the others.
Every plan is checked by the independent validator. Printed per plan: shipments
served, priority-weighted delay, loop drivers called in, driver swaps (handovers),
transloads and rail departures booked, and the ratio of the weighted delay with the
ways to the delay without them, with every unserved shipment counted late to the end of
the horizon ("day-end").
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from relayroute.io.instance import LoadedInstance, read_instance
from relayroute.solve import build_problem, read_config, solve
from relayroute.validate import validate

if TYPE_CHECKING:
    from relayroute.model.plan import Plan

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ["yiwu-day-port", "yiwu-day-transload", "fuquan-kaili"]


def road_only(loaded: LoadedInstance) -> LoadedInstance:
    inst = loaded.instance.model_copy(
        update={
            "rail_services": [],
            "relay_stations": [
                s.model_copy(update={"transload": False})
                for s in loaded.instance.relay_stations
                if s.driver_swap
            ],
        }
    )
    return LoadedInstance(inst, loaded.base, loaded.sha256)


def day_end_delay(loaded: LoadedInstance, plan: Plan) -> float:
    """Weighted delay with each unserved shipment delivered at the end of the horizon."""
    ships = loaded.instance.shipments_by_id
    late = sum(
        ships[u.shipment].priority * max(0.0, loaded.instance.horizon - ships[u.shipment].due)
        for u in plan.unserved
    )
    return plan.kpis.weighted_delay + late


def _split(loaded: LoadedInstance, plan: Plan, sooner: set[str]) -> dict[str, float]:
    """Served and weighted delay of the shipments in ``sooner`` and of the others."""
    out = {o.shipment: o.weighted_delay for o in plan.shipments}
    rest = {s.id for s in loaded.instance.shipments} - sooner
    return {
        "sooner_served": sum(s in out for s in sooner),
        "sooner_delay": round(sum(out.get(s, 0.0) for s in sooner), 1),
        "others_served": sum(s in out for s in rest),
        "others_delay": round(sum(out.get(s, 0.0) for s in rest), 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=SCENARIOS)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--solver", default=str(ROOT / "solvers" / "default.toml"))
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("-o", "--output", default=None)
    args = ap.parse_args(argv)
    base_config = read_config(args.solver)
    rows = []
    for name, seed in ((n, s) for n in args.names for s in range(args.seeds)):
        loaded = read_instance(ROOT / "instances" / f"{name}.json")
        # The flows the switch is for: shipments with a transload way sooner alone.
        sooner = set(build_problem(loaded.instance, loaded.base).spare)
        config = base_config.model_copy(update={"seed": seed})
        variants = [("with ways", loaded, config), ("road only", road_only(loaded), config)]
        if any(s.transload for s in loaded.instance.relay_stations):
            control = config.model_copy(update={"switch_to": "road"})
            variants.append(("switch by road", loaded, control))
        for label, variant, cfg in variants:
            t0 = time.perf_counter()
            plan = solve(variant, cfg, time_limit=args.time_limit)
            seconds = time.perf_counter() - t0
            report = validate(variant.instance, plan, variant.base)
            k = plan.kpis
            moved = sorted({t.shipment for t in plan.transloads})
            row = {
                "instance": name,
                "variant": label,
                "solver": config.name,
                "seed": seed,
                "time_limit": args.time_limit,
                "seconds": round(seconds, 1),
                "valid": report.ok,
                "served": k.served,
                "unserved": k.unserved,
                "objective": round(k.objective, 1),
                "weighted_delay": k.weighted_delay,
                "day_end_delay": round(day_end_delay(variant, plan), 1),
                "loop_drivers": k.loop_drivers_used,
                "handovers": k.handovers,
                "transloads": k.transloads,
                "rail_departures": k.rail_bookings,
                "trucks": k.trucks_used,
                "transloaded": " ".join(moved),
                "switch": plan.solver.get("switch", ""),
                **_split(loaded, plan, sooner),
            }
            rows.append(row)
            print(
                f"{name:22s} {label:14s} seed {seed} valid={report.ok} served {k.served:3d} "
                f"unserved {k.unserved:3d} delay {k.weighted_delay:10.1f} "
                f"(day-end {row['day_end_delay']:10.1f}) loop drivers {k.loop_drivers_used:3d} "
                f"swaps {k.handovers:3d} transloads {k.transloads:3d} "
                f"rail {k.rail_bookings:2d} {seconds:5.1f}s | transload sooner: served "
                f"{row['sooner_served']}/{len(sooner)} delay {row['sooner_delay']}; others: "
                f"served {row['others_served']} delay {row['others_delay']}",
                flush=True,
            )
        a, b = rows[-len(variants)], rows[-len(variants) + 1]
        if float(b["day_end_delay"]) > 0:
            print(
                f"{'':22s} ratio with/without (day-end): "
                f"{float(a['day_end_delay']) / float(b['day_end_delay']):.3f}"
            )
    if args.output:
        with open(args.output, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

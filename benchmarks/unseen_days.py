"""Benchmark: the optimiser against the dispatcher on days it has not been tuned on.

Run from the project root (not a CI test; about a minute per day and solver)::

    .venv/bin/python benchmarks/unseen_days.py [--time-limit 60] [--seeds 7001 7002 7003]
        [--days /tmp/unseen] [-o results.csv] [--bundled]

Days are drawn with :func:`relayroute.bench.generate.generate` (the generator that draws
the bundled yiwu-day and liling-day, at their sizes) with new seeds, each made harder in
one way, rotating over the seeds:

- ``station``: a relay station out of service all day, its loop drivers re-homed at the
  zone's other stations (Yiwu; Liling has no relay station, so a checkpoint shut all day);
- ``urgent``: a peak of urgent goods: 12 % of the shipments become medical (priority 10),
  ready between 07:00 and 09:00 and due after the same slack as drawn;
- ``slow``: every checkpoint a half slower at three quarters of its throughput, and one
  shut from 10:00 to 15:00.

Besides them, ``fuquan-kaili`` with a train fewer (the 18:00 Guangzhou departure), and,
with ``--bundled``, the bundled days of the issue (yiwu-day, yiwu-day-scarce,
yiwu-day-station-closed, liling-day, fuquan-kaili). The evaluation is
``relay_scenarios.py``'s: both plans validated, unserved servable shipments counted late
until the day's end, the ratio (optimiser − LB) / (greedy − LB).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from relay_scenarios import ROOT, report, run_day

from relayroute.bench.generate import generate
from relayroute.io.instance import read_instance

CHANGES = ["station", "urgent", "slow"]
SIZES = {"yiwu": 200, "liling": 500}
BUNDLED = [
    "yiwu-day",
    "yiwu-day-scarce",
    "yiwu-day-station-closed",
    "liling-day",
    "fuquan-kaili",
]


def station_out(day: dict[str, Any], rng: random.Random) -> str:
    """One relay station out of service; its loop drivers work from a sister station."""
    stations = [s for s in day.get("relay_stations", []) if s.get("driver_swap", True)]
    if len(stations) < 2:
        cp = rng.choice(day["checkpoints"])
        cp["closed"] = True
        return f"checkpoint {cp['id']} shut all day"
    out = rng.choice(stations)
    others = [s for s in stations if s["id"] != out["id"] and s.get("zone") == out.get("zone")]
    day["relay_stations"] = [s for s in day["relay_stations"] if s["id"] != out["id"]]
    for pool in day["driver_pools"]:
        if pool.get("station") == out["id"]:
            pool["station"] = rng.choice(others)["id"]
    return f"station {out['id']} out of service"


def urgent_peak(day: dict[str, Any], rng: random.Random) -> str:
    """12 % of the shipments medical (priority 10), ready 07:00–09:00."""
    ships = day["shipments"]
    chosen = rng.sample(ships, max(1, round(0.12 * len(ships))))
    for s in chosen:
        slack = s["due"] - s["ready"]
        s["priority"] = 10.0
        s["ready"] = float(rng.randrange(420, 541, 5))
        s["due"] = s["ready"] + slack
        if s.get("deadline") is not None:
            s["deadline"] = max(s["deadline"], s["due"])
    return f"{len(chosen)} medical shipments ready 07:00-09:00"


def slow_checkpoints(day: dict[str, Any], rng: random.Random) -> str:
    """Checkpoints a half slower, three quarters of their throughput, one shut 10–15 h."""
    for cp in day["checkpoints"]:
        cp["delay"] = round(1.5 * cp.get("delay", 0))
        if cp.get("throughput_per_hour"):
            cp["throughput_per_hour"] = max(1, round(0.75 * cp["throughput_per_hour"]))
    busy = [c for c in day["checkpoints"] if c.get("delay")]
    cp = rng.choice(busy or day["checkpoints"])
    lo, hi = (cp.get("hours") or [[0.0, float(day["horizon"])]])[0]
    cp["hours"] = [[lo, 600.0], [900.0, hi]]
    return f"checkpoints slower; {cp['id']} shut 10:00-15:00"


APPLY = {"station": station_out, "urgent": urgent_peak, "slow": slow_checkpoints}


def build_days(seeds: list[int], folder: Path) -> list[tuple[str, Path, str]]:
    """The unseen days as instance files in ``folder``: (name, path, what changed)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for region, size in SIZES.items():
        for k, seed in enumerate(seeds):
            change = CHANGES[k % len(CHANGES)]
            day = generate(region, size, seed, relative_to=folder)
            what = APPLY[change](day, random.Random(seed))
            name = f"{region}-{size}-s{seed}-{change}"
            day["name"] = name
            path = folder / f"{name}.json"
            path.write_text(json.dumps(day, indent=1) + "\n")
            out.append((name, path, what))
    fuquan = json.loads((ROOT / "instances" / "fuquan-kaili.json").read_text())
    day = copy.deepcopy(fuquan)
    for svc in day["rail_services"]:
        if svc["id"] == "kaili-guangzhou":
            svc["departures"] = [d for d in svc["departures"] if d != 1080.0]
    day["name"] = "fuquan-kaili-train-fewer"
    net = day.get("network", {})
    for key in ("nodes", "edges"):
        if isinstance(net.get(key), str):
            net[key] = str((ROOT / "instances" / net[key]).resolve())
    path = folder / "fuquan-kaili-train-fewer.json"
    path.write_text(json.dumps(day, indent=1) + "\n")
    out.append((day["name"], path, "the 18:00 Kaili-Guangzhou train cancelled"))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[7001, 7002, 7003])
    ap.add_argument("--days", type=Path, default=Path("/tmp/relayroute-unseen"))
    ap.add_argument("--solver", default=str(ROOT / "solvers" / "default.toml"))
    ap.add_argument("--bundled", action="store_true", help="also the bundled days")
    ap.add_argument("--only", nargs="*", default=None, help="day names to run")
    ap.add_argument("-o", "--output", default=None)
    args = ap.parse_args(argv)
    days = build_days(args.seeds, args.days)
    if args.bundled:
        days = [(n, ROOT / "instances" / f"{n}.json", "bundled") for n in BUNDLED] + days
    if args.only:
        days = [d for d in days if d[0] in args.only]
    rows = []
    for name, path, what in days:
        print(f"{name}: {what}", flush=True)
        rows += run_day(name, read_instance(path), args.solver, args.time_limit)
    report(rows, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

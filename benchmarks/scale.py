"""How relayroute scales: generated days of N shipments on both regions, solved under a
time limit, and the preprocessing and dispatcher against a baseline tree.

For each region and N, a day is drawn with ``relayroute generate`` (a fixed seed), then:

1. ``relayroute solve DAY --time-limit L`` runs in a child process; measured around it:
   the wall time and the child's peak RSS (``os.wait4``); read from the plan: served,
   weighted delay and its lower bound, the phases (``solver.phases``), when the first
   routing solution came (``solver.speed.first_solution``) and so when the first valid
   plan was there (the dispatcher's floor, ready after ``build`` + ``greedy``).
2. The plan is validated in a child of its own (``relayroute.validate``), timed.
   ``--decompose zone`` (or ``auto``) solves the day part by part
   (:mod:`relayroute.solve.decompose`); the first valid plan is then the parts'
   dispatcher plans repaired plan-wide (``solver.speed.first_plan``). The peak RSS is
   that of the whole process tree (the parts' worker processes included), sampled.
   ``--greedy`` also solves with ``solvers/greedy.toml`` (undecomposed): what the
   dispatcher alone serves.
3. With ``--baseline SRC``, the build (``build_problem``) and the dispatcher
   (``greedy``) run once under each tree, in children whose ``PYTHONPATH`` is that
   tree's ``src``, one right after the other: their CPU and wall seconds, and whether
   both trees dispatch the same (a digest of every trip's stops, times and drivers).

The 1-minute load average is written beside each figure: the machine is shared.

Examples
--------
From the project root, the committed tree exported to ``/tmp/base`` as the baseline::

    git archive HEAD | tar -x -C /tmp/base
    .venv/bin/python benchmarks/scale.py --region yiwu --region liling \\
        --shipments 200 --shipments 500 --shipments 1000 --shipments 2000 \\
        --time-limit 120 --baseline /tmp/base/src -o benchmarks/results/scale.csv
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GREEDY = ROOT / "solvers" / "greedy.toml"

# Run in a child under one tree: build the problem and dispatch it, timed; a digest of
# the dispatch (every trip's vehicle, stops, times and loop drivers, and what is left).
PHASES = """
import hashlib, json, sys, time
from relayroute.io.instance import read_instance
from relayroute.itineraries import build_problem
from relayroute.solve.greedy import greedy
loaded = read_instance(sys.argv[1])
w0, c0 = time.perf_counter(), time.process_time()
prob = build_problem(loaded.instance, loaded.base)
w1, c1 = time.perf_counter(), time.process_time()
timed, dropped = greedy(prob)
w2, c2 = time.perf_counter(), time.process_time()
digest = hashlib.sha256()
for t in timed:
    digest.update(repr((t.trip.vehicle, t.trip.stops, t.times.start, t.times.inspect,
                        sorted(t.drivers.items()))).encode())
digest.update(repr(sorted((k, v.code) for k, v in dropped.items())).encode())
print(json.dumps({"build_s": w1 - w0, "build_cpu": c1 - c0, "greedy_s": w2 - w1,
                  "greedy_cpu": c2 - c1, "digest": digest.hexdigest()[:16]}))
"""

# Run in a child: validate a plan, timed (reading excluded).
VALIDATE = """
import json, sys, time
from relayroute.io.instance import read_instance
from relayroute.io.plan import read_plan
from relayroute.validate import validate
loaded = read_instance(sys.argv[1])
plan = read_plan(sys.argv[2])
t0 = time.perf_counter()
report = validate(loaded.instance, plan, loaded.base)
print(json.dumps({"validate_s": time.perf_counter() - t0, "valid": report.ok}))
"""


def load() -> float:
    """The 1-minute load average."""
    return float(Path("/proc/loadavg").read_text().split()[0])


# Peak of the whole process tree's memory (the child and its worker processes together),
# sampled this often: a decomposed solve's parts run in processes of their own. Summed
# as PSS (each shared page counted once, split among the processes sharing it: the
# forked workers share the solver's code with their server) and as plain RSS (shared
# pages counted in every process: an upper bound).
SAMPLE_SECONDS = 0.5
TREE_PEAK: dict[int, tuple[int, int]] = {}
LAST_TREE_RSS = [0]


def _sample_tree(pid: int, done: threading.Event) -> None:
    """Keep the largest (PSS, RSS) sums in kB over ``pid`` and its descendants."""
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not done.is_set():
        pss = rss = 0
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for proc in procs:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                info = proc.memory_full_info()
                pss += info.pss
                rss += info.rss
        old = TREE_PEAK.get(pid, (0, 0))
        TREE_PEAK[pid] = (max(old[0], pss // 1024), max(old[1], rss // 1024))
        done.wait(SAMPLE_SECONDS)


def child(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int, str]:
    """Run ``cmd``; (wall seconds, exit status, peak memory in kB, stdout).

    The peak is the larger of the child's own peak RSS (``os.wait4``) and the sampled
    PSS sum over the child and its descendants (worker processes) at any one time; the
    sampled RSS sum is kept in ``LAST_TREE_RSS``.
    """
    with tempfile.TemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env=env)
        done = threading.Event()
        sampler = threading.Thread(target=_sample_tree, args=(proc.pid, done), daemon=True)
        sampler.start()
        # wait4: this child's own peak RSS (getrusage would give the largest of all).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        pss, rss = TREE_PEAK.pop(proc.pid, (0, 0))
        LAST_TREE_RSS[0] = rss
        peak = max(int(usage.ru_maxrss), pss)
        return wall, proc.returncode, peak, out.read().decode()


def day(region: str, shipments: int, seed: int, work: Path) -> Path:
    """The generated day (drawn once, kept in ``work``)."""
    path = work / f"{region}-{shipments}-{seed}.json"
    if not path.exists():
        cmd = [sys.executable, "-m", "relayroute", "generate", "--region", region]
        cmd += ["--shipments", str(shipments), "--seed", str(seed), "-o", str(path), "-q"]
        subprocess.run(cmd, check=True)
    return path


def phases(src: Path, instance: Path) -> dict[str, Any]:
    """Build and dispatch ``instance`` under the tree ``src``; seconds and the digest."""
    env = {**os.environ, "PYTHONPATH": str(src.resolve())}
    before = load()
    _, status, rss, text = child([sys.executable, "-c", PHASES, str(instance)], env)
    if status != 0:
        return {"error": status}
    out: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    out.update(load=before, rss_mb=round(rss / 1024))
    return out


def solve(
    instance: Path,
    limit: float,
    work: Path,
    src: Path,
    decompose: str | None = None,
    solver: Path | None = None,
) -> dict[str, Any]:
    """Solve under ``limit`` through the CLI of the tree ``src`` (``--decompose`` and
    ``--solver`` passed on when given), then validate the plan; the measured row."""
    tag = f"-{decompose}" if decompose else ""
    tag += f"-{solver.stem}" if solver else ""
    plan = work / f"{instance.stem}{tag}.plan.json"
    cmd = [sys.executable, "-m", "relayroute", "solve", str(instance), "-o", str(plan)]
    cmd += ["-q", "--time-limit", str(limit)]
    if decompose:
        cmd += ["--decompose", decompose]
    if solver:
        cmd += ["--solver", str(solver)]
    env = {**os.environ, "PYTHONPATH": str(src.resolve())}
    before = load()
    wall, status, rss, _ = child(cmd, env)
    row: dict[str, Any] = {
        "limit_s": limit,
        "wall_s": round(wall, 1),
        "exit": status,
        "peak_rss_mb": round(rss / 1024),
        "tree_rss_sum_mb": round(LAST_TREE_RSS[0] / 1024),
        "load_before": before,
        "load_after": load(),
    }
    if status not in (0, 4):  # 4: a valid plan with shipments unserved
        return row
    p = json.loads(plan.read_text())
    kpis, solver = p["kpis"], p["solver"]
    ph = solver.get("phases", {})
    floor = ph.get("build", 0.0) + ph.get("greedy", 0.0)
    speed = solver.get("speed") or {}
    first = speed.get("first_solution")
    if "decomposition" in solver:  # the parts' dispatcher plans, repaired: the floor
        floor = speed.get("first_plan") or floor
        dec = solver["decomposition"]
        row.update(parts=len(dec["parts"]), kept=dec["kept"], repair=json.dumps(dec["repair"]))
    row.update(
        served=kpis["served"],
        shipments=len(json.loads(instance.read_text())["shipments"]),
        weighted_delay=round(kpis["weighted_delay"], 1),
        lower_bound=round(kpis["delay_lower_bound"], 1),
        build_s=round(ph.get("build", 0.0), 1),
        greedy_s=round(ph.get("greedy", 0.0), 1),
        floor_at_s=round(floor, 1),
        first_routing_s=None if first is None else round(first, 1),
        phases=json.dumps({k: round(v, 1) for k, v in ph.items()}),
    )
    script = [sys.executable, "-c", VALIDATE, str(instance), str(plan)]
    _, vstatus, vrss, text = child(script, env)
    if vstatus == 0:
        v = json.loads(text.strip().splitlines()[-1])
        row.update(validate_s=round(v["validate_s"], 1), valid=v["valid"])
        row["validate_rss_mb"] = round(vrss / 1024)
    return row


def main(argv: list[str] | None = None) -> None:
    """Measure every (region, N) asked for; print a JSON line a row, optionally a CSV.

    Parameters
    ----------
    argv
        Command-line arguments (default: ``sys.argv[1:]``).
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--region", action="append", required=True)
    ap.add_argument("--shipments", type=int, action="append", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="src folder of the tree")
    ap.add_argument("--baseline", type=Path, help="src folder of the tree to compare with")
    ap.add_argument(
        "--baseline-max", type=int, default=None, help="largest N the baseline runs for"
    )
    ap.add_argument("--no-solve", action="store_true", help="only the build/greedy comparison")
    ap.add_argument(
        "--decompose", choices=["off", "auto", "zone"], help="passed on to relayroute solve"
    )
    ap.add_argument(
        "--greedy",
        action="store_true",
        help="also solve with solvers/greedy.toml, undecomposed (served/delay to compare)",
    )
    ap.add_argument("--work", type=Path, help="folder for the days and plans (kept)")
    ap.add_argument("-o", "--output", type=Path, help="append the rows to this CSV")
    args = ap.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="relayroute-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for region in args.region:
        for n in args.shipments:
            instance = day(region, n, args.seed, work)
            row: dict[str, Any] = {"region": region, "n": n, "seed": args.seed}
            row["src"] = str(args.src)  # which tree solved (``--src``)
            if args.baseline and (args.baseline_max is None or n <= args.baseline_max):
                for side, src in (("base", args.baseline), ("new", args.src)):
                    for key, value in phases(src, instance).items():
                        row[f"{side}_{key}"] = (
                            round(value, 2) if isinstance(value, float) else value
                        )
                if "base_build_cpu" in row and "new_build_cpu" in row:
                    row["build_ratio"] = round(row["base_build_cpu"] / row["new_build_cpu"], 1)
                    row["greedy_ratio"] = round(row["base_greedy_cpu"] / row["new_greedy_cpu"], 1)
                    row["same_dispatch"] = row["base_digest"] == row["new_digest"]
            if not args.no_solve:
                row.update(solve(instance, args.time_limit, work, args.src, args.decompose))
                row["decompose"] = args.decompose or "config"
            if args.greedy:
                g = solve(instance, args.time_limit, work, args.src, "off", GREEDY)
                row.update(
                    greedy_served=g.get("served"),
                    greedy_delay=g.get("weighted_delay"),
                    greedy_wall_s=g.get("wall_s"),
                    greedy_rss_mb=g.get("peak_rss_mb"),
                )
            print(json.dumps(row), flush=True)
            rows.append(row)
    if args.output:
        keys = list(dict.fromkeys(k for r in rows for k in r))
        new = not args.output.exists()
        with args.output.open("a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
            if new:
                w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    main()

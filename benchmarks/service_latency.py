"""Benchmark: inserting trips over HTTP into a served day's plan (issue 17: p95 ≤ 300 ms).

Run from the project root (not a CI test)::

    .venv/bin/python benchmarks/service_latency.py [--day liling-day --day yiwu-day]
        [--requests 200] [--seed 17] [--mode saved --mode memory --mode checked]
        [-o results.csv]

For each day and mode, ``relayroute serve`` runs as its own process on a free loopback
port, on the day's plan (``/tmp/<day>-plan.json``, solved once by
``benchmarks/insert_latency.py``'s rule); one client (httpx, one kept-alive connection)
sends ``POST /insert`` requests one after another, drawn as ``insert_latency.py`` draws
them (same seed: the same requests). Unlike there, each request goes into the plan the one
before it left, as at a pass counter. Modes: ``saved`` (the default service: each change
written to its state folder before the answer), ``memory`` (``--no-state``), ``checked``
(``--check-inserts``: each new plan validated before it is taken). The first request,
which builds the travel tables, is reported apart. At the end the plan served is read
back (``GET /plan``), checked by the independent validator against the grown instance,
its count of new shipments compared with the inserts answered 200, and every pass of the
starting plan looked up unchanged.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from relayroute.io.instance import LoadedInstance, read_instance
from relayroute.io.plan import plan_from_text, read_plan
from relayroute.model.instance import Shipment
from relayroute.service.state import Store
from relayroute.validate import validate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from insert_latency import _pct, _plan_of, _requests

ROOT = Path(__file__).resolve().parents[1]
FLAGS = {"saved": [], "memory": ["--no-state"], "checked": ["--check-inserts"]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(day: str, plan_path: Path, mode: str, n: int, seed: int) -> dict[str, Any]:
    loaded = read_instance(ROOT / "instances" / f"{day}.json")
    start_plan = read_plan(plan_path)
    port = _free_port()
    state = Path(tempfile.mkdtemp(prefix=f"svc-{day}-"))
    cmd = [
        *(sys.executable, "-m", "relayroute", "serve", str(ROOT / "instances" / f"{day}.json")),
        *(str(plan_path), "--port", str(port), "--state-dir", str(state), *FLAGS[mode]),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as http:
            for _ in range(600):
                try:
                    if http.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise SystemExit(f"{day}: the service did not come up: {proc.stderr}")
            warm, now0 = _requests(loaded, 1, random.Random(-1))[0]
            warm["id"] = "WARM"
            t0 = time.perf_counter()
            first = http.post("/insert", json={"shipment": warm, "now": now0})
            first_ms = (time.perf_counter() - t0) * 1000
            ms: list[float] = []
            codes: dict[str, int] = {}
            ok = 1 if first.status_code == 200 else 0
            for sh, now in _requests(loaded, n, random.Random(seed)):
                t0 = time.perf_counter()
                got = http.post("/insert", json={"shipment": sh, "now": now})
                ms.append((time.perf_counter() - t0) * 1000)
                if got.status_code == 200:
                    ok += 1
                elif got.status_code in (409, 422) and got.json().get("error") == "refused":
                    code = got.json()["code"]
                    codes[code] = codes.get(code, 0) + 1
                else:
                    raise SystemExit(f"{day} {sh['id']}: {got.status_code} {got.text[:300]}")
            version = http.get("/health").json()["version"]
            served = plan_from_text(http.get("/plan").text, "GET /plan")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    # The grown instance: from the state folder when saved, else the day plus the requests.
    saved = Store(state).load()
    grown = saved.loaded if saved is not None else None
    if grown is None:
        ships = [warm, *(sh for sh, _ in _requests(loaded, n, random.Random(seed)))]
        inplan = {o.shipment for o in served.shipments}
        extra = [s for s in ships if s["id"] in inplan]
        inst = loaded.instance.model_copy(
            update={
                "shipments": [
                    *loaded.instance.shipments,
                    *(Shipment.model_validate(s) for s in extra),
                ]
            }
        )
        grown = LoadedInstance(inst, loaded.base, "")
    report = validate(grown.instance, served, grown.base)
    new = len(served.shipments) - len(start_plan.shipments)
    kept = all(p in served.passes for p in start_plan.passes)
    return {
        "day": day,
        "mode": mode,
        "shipments": len(loaded.instance.shipments),
        "requests": len(ms),
        "inserted": ok,
        "version": version,
        "new_in_plan": new,
        "refusals": " ".join(f"{c}:{k}" for c, k in sorted(codes.items())),
        "first_ms": round(first_ms, 1),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(_pct(ms, 0.95), 1),
        "max_ms": round(max(ms), 1),
        "valid": report.ok,
        "passes_kept": kept,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--day", action="append", help="instances/<day>.json (repeatable)")
    ap.add_argument("--mode", action="append", choices=sorted(FLAGS), help="(repeatable)")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("-o", "--output", help="CSV of one row per day and mode")
    args = ap.parse_args(argv)
    rows = []
    for day in args.day or ["liling-day", "yiwu-day"]:
        plan_path = _plan_of(day, args.time_limit)
        for mode in args.mode or ["saved", "memory"]:
            load0 = os.getloadavg()[0]
            row = _run(day, plan_path, mode, args.requests, args.seed)
            row["load_1min"] = f"{load0:.2f}-{os.getloadavg()[0]:.2f}"
            row["cpus"] = os.cpu_count()
            row["date"] = date.today().isoformat()
            rows.append(row)
            print(
                f"{day} [{mode}]: {row['inserted']} inserted (version {row['version']}, "
                f"{row['new_in_plan']} new in the plan; {row['refusals'] or 'none refused'}); "
                f"first {row['first_ms']} ms; p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, "
                f"max {row['max_ms']} ms; valid {row['valid']}, passes kept {row['passes_kept']}; "
                f"load {row['load_1min']}",
                flush=True,
            )
    if args.output:
        with open(args.output, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return 0 if all(r["valid"] and r["passes_kept"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Check that two source trees give the same plans, apart from timings.

A refactor that claims to change no behaviour must give byte-identical plans under a
configuration that repeats exactly (``solvers/repeatable.toml``: a solution limit, one
CP-SAT worker, a deterministic-time cap). Each instance is solved once under each tree, in
a subprocess whose ``PYTHONPATH`` is that tree's ``src``, and the plan JSONs are compared
after dropping the fields that are wall-clock times (``kpis.solve_seconds``,
``solver.switch.seconds``, ``solver.phases``, ``solver.speed``), and solver options one tree lacks that the
other leaves at their default (None).

Examples
--------
From the project root, the tree before a refactor exported to ``/tmp/before``::

    git archive <commit> | tar -x -C /tmp/before
    .venv/bin/python benchmarks/identical_plans.py --before /tmp/before/src --after src \\
        --config solvers/repeatable.toml --time-limit 600 \\
        instances/yiwu-demo.json instances/yiwu-day.json

The exit status is 0 when every instance gives identical plans, 1 otherwise.

Notes
-----
A solution-limited search repeats only if it reaches its solution count before its time
limit: on large instances pass a ``--time-limit`` long enough for both runs (the report
shows each run's routing solutions and rounds, and how long it took).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Run in the child: solve one instance and write the plan as ``relayroute`` writes it.
CHILD = """
import json, sys
from relayroute.io.instance import read_instance
from relayroute.solve import read_config, solve
instance, config, limit, out = sys.argv[1:]
plan = solve(
    read_instance(instance), read_config(config), time_limit=float(limit) if limit else None
)
text = json.dumps(plan.model_dump(mode="json"), indent=1, ensure_ascii=False) + "\\n"
with open(out, "w", encoding="utf-8") as f:
    f.write(text)
"""

# Fields that are wall-clock times: (path of keys).
TIMINGS: list[tuple[str, ...]] = [
    ("kpis", "solve_seconds"),
    ("solver", "switch", "seconds"),
    ("solver", "phases"),
    ("solver", "speed"),
]


def solve_under(
    src: Path, instance: Path, config: Path, time_limit: float | None, out: Path, python: str
) -> float:
    """Solve ``instance`` with the code of ``src`` in a subprocess, writing the plan to ``out``.

    Parameters
    ----------
    src
        The source tree's ``src`` folder (put first on ``PYTHONPATH``).
    instance
        The instance JSON.
    config
        The solver configuration TOML.
    time_limit
        Seconds, overriding the configuration's (None: the configuration's).
    out
        Where the plan JSON is written.
    python
        The interpreter to run.

    Returns
    -------
    float
        Wall-clock seconds the subprocess took.

    Raises
    ------
    subprocess.CalledProcessError
        The solve failed.
    """
    env = {**os.environ, "PYTHONPATH": str(src.resolve())}
    limit = "" if time_limit is None else str(time_limit)
    t0 = time.perf_counter()
    subprocess.run(
        [python, "-c", CHILD, str(instance), str(config), limit, str(out)],
        env=env,
        check=True,
    )
    return time.perf_counter() - t0


def without_timings(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan with its wall-clock fields (``TIMINGS``) removed, in place.

    Parameters
    ----------
    plan
        A plan as parsed JSON.

    Returns
    -------
    dict
        The same plan.
    """
    for path in TIMINGS:
        node: Any = plan
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return plan


def first_difference(a: Any, b: Any, where: str = "") -> str | None:
    """Where two parsed JSON values first differ (key order counts), or None.

    Parameters
    ----------
    a, b
        Parsed JSON values.
    where
        The path of ``a`` and ``b`` in their documents.

    Returns
    -------
    str or None
        The path and both values at the first difference.
    """
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{where or '/'}: keys {list(a)} != {list(b)}"
        for key in a:
            diff = first_difference(a[key], b[key], f"{where}/{key}")
            if diff is not None:
                return diff
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            diff = first_difference(x, y, f"{where}/{i}")
            if diff is not None:
                return diff
        if len(a) != len(b):
            return f"{where}: {len(a)} items != {len(b)}"
        return None
    if a != b or type(a) is not type(b):
        return f"{where}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"
    return None


def compare(before: Path, after: Path) -> str | None:
    """The first difference between two plan files apart from timings, or None.

    Parameters
    ----------
    before, after
        Plan JSON files.

    Returns
    -------
    str or None
        None when the files are byte-identical once the timings are dropped.
    """
    a = without_timings(json.loads(before.read_text(encoding="utf-8")))
    b = without_timings(json.loads(after.read_text(encoding="utf-8")))
    # A configuration option one tree has and the other lacks, left at its default
    # (None), changes no search: it is not a difference of plans.
    for x, y in ((a, b), (b, a)):
        for key in [k for k, v in x.get("solver", {}).items() if v is None]:
            if key not in y.get("solver", {}):
                del x["solver"][key]
    if json.dumps(a, indent=1, ensure_ascii=False) == json.dumps(b, indent=1, ensure_ascii=False):
        return None
    return first_difference(a, b) or "the same values, written differently"


def _summary(path: Path) -> str:
    plan = json.loads(path.read_text(encoding="utf-8"))
    solver, kpis = plan.get("solver", {}), plan.get("kpis", {})
    return (
        f"solutions {solver.get('solutions')} in {solver.get('rounds')} round(s), "
        f"served {kpis.get('served')}, objective {kpis.get('objective')}"
    )


def main(argv: list[str] | None = None) -> int:
    """Solve each instance under both trees and report identical or the first difference.

    Parameters
    ----------
    argv
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 when every instance gives identical plans, 1 otherwise.
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instances", nargs="+", type=Path)
    ap.add_argument("--before", type=Path, required=True, help="src folder of the old tree")
    ap.add_argument("--after", type=Path, default=Path("src"), help="src folder of the new tree")
    ap.add_argument("--config", type=Path, default=Path("solvers/repeatable.toml"))
    ap.add_argument("--time-limit", type=float, default=None, help="seconds (default: config's)")
    ap.add_argument("--python", default=sys.executable, help="interpreter for both trees")
    ap.add_argument("--keep", type=Path, default=None, help="folder to keep the plans in")
    args = ap.parse_args(argv)
    keep = args.keep or Path(tempfile.mkdtemp(prefix="identical-plans-"))
    keep.mkdir(parents=True, exist_ok=True)
    limit = "config's" if args.time_limit is None else f"{args.time_limit:g} s"
    print(f"config {args.config}, time limit {limit}; plans in {keep}", flush=True)
    same = True
    for instance in args.instances:
        plans = {}
        for side, src in (("before", args.before), ("after", args.after)):
            plans[side] = keep / f"{instance.stem}.{side}.json"
            seconds = solve_under(
                src, instance, args.config, args.time_limit, plans[side], args.python
            )
            print(f"  {instance.stem} {side}: {seconds:.0f} s, {_summary(plans[side])}", flush=True)
        diff = compare(plans["before"], plans["after"])
        same = same and diff is None
        print(f"{instance.stem}: {'identical' if diff is None else 'DIFFERENT at ' + diff}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

"""The long fuzz campaign of issue 19: corrupted instances in-process and through the CLI.

Cases come from the hypothesis strategies in ``tests/fuzz/strategies.py`` (valid instances
in the euclidean, straight-line and road modes, corrupted one to three times) and are
judged by ``tests/fuzz/harness.py``:

- in-process, ``--cases`` of them are read and, where they read, built; every
  ``--solve-every``-th case that builds is also solved by the greedy dispatcher and its
  plan validated. Anything but :class:`~relayroute.errors.InputError` is a finding, and
  so is a case that takes longer than ``--timeout`` (a hang);
- through the command line, ``--cli-cases`` more run as ``python -m relayroute solve
  case.json -o out.json --time-limit 2`` (alternating the default solver and the greedy
  one), ``--workers`` at a time, each killed after ``--timeout`` s (a hang). Exit 0 and 1
  are fine (1: the solver's own plan was refused and not written), 2 is fine with one
  ``error:`` line; exit 3, a traceback on stderr or a hang is a finding, and every plan
  written must pass ``relayroute validate``.

Each finding is kept under ``--findings`` (the case and the command that shows it).
Run from the repository root, at low priority::

    nice -n 19 .venv/bin/python benchmarks/fuzz.py --cases 10000 --cli-cases 500 --workers 2

The figures go to BENCHMARKS.md, "Fuzz campaign (issue 19)".
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.fuzz, from a checkout

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from tests.fuzz.harness import CliOutcome, Outcome, run_cli, run_in_process, scratch  # noqa: E402
from tests.fuzz.strategies import Case, cases  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable


def loadavg() -> str:
    """The 1-, 5- and 15-minute load averages, from /proc/loadavg."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def draw_cases(n: int, at: int, each: Callable[[Case], None]) -> None:
    """Call ``each`` on ``n`` cases drawn with hypothesis seed ``at`` (no shrinking)."""

    @seed(at)
    @settings(
        max_examples=n,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(cases())
    def run(case: Case) -> None:
        each(case)

    run()


class Findings:
    """Reproducers of findings, one folder each, at most ``keep`` per kind of finding."""

    def __init__(self, folder: Path, keep: int = 3) -> None:
        self.folder = folder
        self.keep = keep
        self.kinds: collections.Counter[str] = collections.Counter()
        self.examples: dict[str, str] = {}

    @staticmethod
    def kind(finding: str) -> str:
        """A finding's kind: its text without paths and numbers that differ per case."""
        text = re.sub(r"/tmp/\S+", "PATH", finding)
        text = re.sub(r"\d+(\.\d+)?", "N", text)
        return text[:90]

    def add(self, case: Case, finding: str, command: str) -> None:
        """Count the finding and keep its case, if fewer than ``keep`` of its kind are kept."""
        kind = self.kind(finding)
        self.kinds[kind] += 1
        self.examples.setdefault(kind, finding[:300])
        if self.kinds[kind] > self.keep:
            return
        slug = re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")[:40]
        where = self.folder / f"{len(self.examples):02d}-{slug}-{self.kinds[kind]}"
        path = case.write(where)
        (where / "README").write_text(
            f"{finding}\nfaults: {', '.join(case.faults) or 'none'} ({case.mode})\n"
            f"reproduce: {command.format(case=path)}\n"
        )


def in_process(args: argparse.Namespace, findings: Findings) -> dict[str, Any]:
    """Read, build and sometimes solve ``args.cases`` cases in this process."""
    stages: collections.Counter[str] = collections.Counter()
    by_fault: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    built = 0
    slowest = 0.0
    count = 0
    t0 = time.perf_counter()
    command = ".venv/bin/python -m relayroute solve {case} -o /tmp/out.json --time-limit 2"
    with scratch() as folder:

        def each(case: Case) -> None:
            nonlocal built, slowest, count
            count += 1
            solve_it = count % args.solve_every == 0
            out: Outcome = run_in_process(case, folder(), solve_it=solve_it, timeout=args.timeout)
            # Stages: refused at reading, at building; solve or validate: a finding there.
            built += out.stage in ("solve", "validate", "done")
            stages[out.stage] += 1
            stages["solved"] += solve_it and out.stage == "done"
            for fault in case.faults or ("valid",):
                by_fault[fault.split(" (")[0]][out.stage] += 1
            slowest = max(slowest, out.seconds)
            if out.finding:
                findings.add(case, out.finding, command)
            if count % 1000 == 0:
                print(f"  in-process {count:,}: {time.perf_counter() - t0:,.0f} s", flush=True)

        draw_cases(args.cases, args.seed, each)
    return {
        "cases": count,
        "refused at reading": stages["read"],
        "refused at building": stages["build"],
        "built": built,
        "solved (every k-th case)": args.solve_every,
        "solved and validated": stages["solved"],
        "findings": sum(findings.kinds.values()),
        "slowest case s": round(slowest, 2),
        "seconds": round(time.perf_counter() - t0, 1),
        "by fault": {k: dict(v) for k, v in sorted(by_fault.items())},
    }


def through_cli(args: argparse.Namespace, findings: Findings) -> dict[str, Any]:
    """Run ``args.cli_cases`` cases through ``python -m relayroute solve``."""
    todo: list[Case] = []
    draw_cases(args.cli_cases, args.seed + 1, todo.append)
    solvers = [None if s == "default" else s for s in args.solvers.split(",")]
    codes: collections.Counter[str] = collections.Counter()
    counts: collections.Counter[str] = collections.Counter()
    t0 = time.perf_counter()
    slowest = -1.0
    slow: tuple[Case, str | None, CliOutcome]

    with scratch() as folder:

        def one(item: tuple[int, Case]) -> tuple[Case, str | None, CliOutcome]:
            i, case = item
            solver = solvers[i % len(solvers)]
            out = run_cli(
                case, folder(), solver=solver, time_limit=args.time_limit, timeout=args.timeout
            )
            return case, solver, out

        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            for n, (case, solver, out) in enumerate(pool.map(one, enumerate(todo)), 1):
                codes["hang" if out.code is None else str(out.code)] += 1
                counts["plans written"] += out.plan_written
                counts["plans valid"] += bool(out.plan_valid)
                counts["tracebacks"] += "Traceback" in out.stderr
                counts["exit 3"] += out.code == 3
                counts["hangs"] += out.code is None
                counts["invalid plans"] += out.plan_written and not out.plan_valid
                if out.seconds > slowest:
                    slowest = out.seconds
                    slow = (case, solver, out)
                if out.finding:
                    cmd = (
                        ".venv/bin/python -m relayroute solve {case} -o /tmp/out.json "
                        f"--time-limit {args.time_limit:g}"
                        + (f" --solver {solver}" if solver else "")
                    )
                    findings.add(case, out.finding, cmd)
                if n % 50 == 0:
                    print(f"  cli {n}/{len(todo)}: {time.perf_counter() - t0:,.0f} s", flush=True)
    slowest_run: dict[str, Any] = {}
    if todo:
        case, solver, out = slow
        path = case.write(args.findings / "slowest-cli-run")
        slowest_run = {
            "seconds": round(out.seconds, 1),
            "exit": out.code,
            "solver": solver or "default",
            "faults": ", ".join(case.faults) or "none",
            "kept as": str(path),
        }
    return {
        "cases": len(todo),
        "exit codes": dict(sorted(codes.items())),
        **{k: counts[k] for k in ("tracebacks", "exit 3", "hangs", "invalid plans")},
        "plans written": counts["plans written"],
        "plans valid": counts["plans valid"],
        "slowest run": slowest_run,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main() -> int:
    """Run the campaign and print (and optionally write) its figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=10_000, help="in-process cases")
    ap.add_argument("--cli-cases", type=int, default=500, help="cases through the CLI")
    ap.add_argument("--workers", type=int, default=2, help="CLI runs at a time")
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--solve-every", type=int, default=1, help="solve every k-th built case")
    ap.add_argument("--time-limit", type=float, default=2.0, help="--time-limit of each solve")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds before a hang")
    ap.add_argument("--solvers", default="default,solvers/greedy.toml", help="CLI solvers, cycled")
    ap.add_argument("--findings", type=Path, default=Path("/tmp/fuzz-findings/campaign"))
    ap.add_argument("--summary", type=Path, help="also write the figures here as JSON")
    args = ap.parse_args()
    os.chdir(ROOT)
    summary: dict[str, Any] = {
        "machine": f"{platform.node()} {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, python {platform.python_version()}",
        "command": " ".join(sys.argv),
        "load average at start": loadavg(),
    }
    t0 = time.perf_counter()
    findings = Findings(args.findings)
    if args.cases:
        summary["in-process"] = in_process(args, findings)
        summary["load average after in-process"] = loadavg()
    cli_findings = Findings(args.findings / "cli")
    if args.cli_cases:
        summary["cli"] = through_cli(args, cli_findings)
        summary["load average after cli"] = loadavg()
    summary["wall seconds"] = round(time.perf_counter() - t0, 1)
    summary["findings"] = {
        "in-process": dict(findings.kinds.most_common()),
        "cli": dict(cli_findings.kinds.most_common()),
        "examples": {**findings.examples, **cli_findings.examples},
        "kept in": str(args.findings),
    }
    text = json.dumps(summary, indent=1, ensure_ascii=False)
    print(text)
    if args.summary:
        args.summary.write_text(text + "\n")
    return 1 if findings.kinds or cli_findings.kinds else 0


if __name__ == "__main__":
    sys.exit(main())

"""The ``relayroute`` command line."""

from __future__ import annotations

import argparse
import functools
import json
import os
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from relayroute._version import __version__
from relayroute.errors import InputError
from relayroute.io.atomic import check_output, write_bytes_atomic, write_text_atomic

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

console = Console()
err_console = Console(stderr=True)
if not console.is_terminal:  # piped or logged: room for wide tables
    console = Console(width=160)

EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2


def _kpi_table(plan: object) -> Table:
    from relayroute.model.plan import Plan

    assert isinstance(plan, Plan)
    k = plan.kpis
    table = Table(title=f"plan for {plan.instance.name}", show_header=True)
    table.add_column("KPI")
    table.add_column("value", justify="right")
    rows = [
        ("weighted delay (priority x min)", f"{k.weighted_delay:,.1f}"),
        ("delay lower bound", f"{k.delay_lower_bound:,.1f}"),
        ("served", str(k.served)),
        ("unserved", str(k.unserved)),
        ("on time", f"{k.on_time_share:.0%}"),
        ("km", f"{k.km:,.1f}"),
        ("trucks used", str(k.trucks_used)),
        ("loop drivers called in", str(k.loop_drivers_used)),
        ("relay handovers", str(k.handovers)),
        ("passes to issue", str(k.passes)),
        ("transloads", str(k.transloads)),
        ("rail departures booked", str(k.rail_bookings)),
        ("objective", f"{k.objective:,.2f}"),
        ("solve seconds", f"{k.solve_seconds:.2f}"),
    ]
    for a, b in rows:
        table.add_row(a, b)
    return table


def cmd_solve(args: argparse.Namespace) -> int:
    from relayroute.io.plan import write_plan
    from relayroute.validate.verdict import describe, invalid_path, with_verdict

    if args.keep_invalid and not args.output:
        raise InputError("--keep-invalid", "keeps an invalid plan beside -o; give -o too")
    # The output place is checked before the solve: no work is lost to a bad -o.
    if args.output is not None:
        check_output(args.output, args.instance, args.solver)
        if args.keep_invalid:
            check_output(invalid_path(args.output), args.instance, args.solver)
    with _stop_on_signals() as got:
        plan, loaded = _solve_with_progress(args)
    # The solver's own plan is checked by the independent validator before anything is
    # written: an invalid plan never lands at -o as if it were good.
    plan, report = with_verdict(loaded, plan)
    code = _write_and_report(args, plan, report, write_plan, describe, invalid_path)
    if got:
        err_console.print(
            f"interrupted by {signal.Signals(got[0]).name}: the best plan found so far"
            + (" was written" if report.ok and args.output else ""),
            highlight=False,
        )
        return 128 + int(got[0])
    return code


def _solve_with_progress(args: argparse.Namespace) -> tuple[Any, Any]:
    import time

    from relayroute.io.instance import read_instance
    from relayroute.solve import SolverConfig, read_config, solve

    started = time.perf_counter()  # the time limit bounds the whole run from here
    loaded = read_instance(args.instance)
    config = read_config(args.solver) if args.solver else SolverConfig()
    limit = args.time_limit if args.time_limit is not None else config.time_limit
    best: list[float] = []
    with Progress(
        TextColumn("[bold]solving[/]"),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("of {task.total:.0f} s  best objective {task.fields[best]}"),
        console=err_console,
        transient=True,
        disable=args.quiet,
    ) as progress:
        task = progress.add_task("solve", total=limit, best="-")

        def on_solution(elapsed: float, objective: float) -> None:
            if not best or objective < best[0]:
                best[:] = [objective]
            progress.update(task, completed=min(elapsed, limit), best=f"{best[0]:,.2f}")

        plan = solve(
            loaded, config, time_limit=args.time_limit, on_solution=on_solution, started=started
        )
    return plan, loaded


def _write_and_report(
    args: argparse.Namespace,
    plan: Any,
    report: Any,
    write_plan: Any,
    describe: Any,
    invalid_path: Any,
) -> int:
    written: Path | None = None
    if args.output and report.ok:
        written = Path(args.output)
    elif args.output and args.keep_invalid:
        written = invalid_path(args.output)
    if written is not None:
        write_plan(plan, written)
    if not args.quiet:
        console.print(_kpi_table(plan))
        if plan.unserved:
            reasons: dict[str, int] = {}
            for u in plan.unserved:
                reasons[u.reason] = reasons.get(u.reason, 0) + 1
            console.print("unserved: " + ", ".join(f"{n} {r}" for r, n in sorted(reasons.items())))
        if report.ok:
            console.print("validated: ok")
            if written is not None:
                console.print(f"plan written to {written}")
    if not report.ok:
        err_console.print("[red]invalid plan:[/] the validator rejects it", highlight=False)
        err_console.print(describe(report), markup=False, highlight=False, soft_wrap=True)
        if written is not None:
            err_console.print(
                f"kept as {written}, marked invalid (its validation block lists every "
                f"violation); {args.output} not written",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        elif args.output:
            err_console.print(
                f"plan not written ({args.output} left as it was); --keep-invalid keeps it "
                f"as {invalid_path(args.output)}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    return 0 if report.ok else EXIT_VIOLATIONS


@contextmanager
def _stop_on_signals() -> Iterator[list[int]]:
    """SIGINT or SIGTERM ends the search and keeps its best plan; a second SIGINT aborts.

    Python runs signal handlers only between bytecodes, and the solvers run in C++: the
    signal is also written to a wake-up pipe that a watcher thread reads, so a stop reaches
    CP-SAT (whose search releases the GIL) at once and the routing search at its next
    solution. The stop is a :func:`~relayroute.solve.stop.halt`: a command of many runs
    (``compare``, ``bench``) skips those not started. A second SIGINT also kills this
    process's children (the worker processes of ``compare`` and ``bench``).
    """
    import multiprocessing

    from relayroute.solve.stop import halt, reset_halt

    got: list[int] = []
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)

    def handler(signum: int, _frame: object) -> None:
        if signum not in got:
            got.append(signum)
        halt()

    def watch() -> None:
        interrupts = 0
        while data := os.read(read_fd, 1):
            if data[0] in (signal.SIGINT, signal.SIGTERM):
                interrupts += data[0] == signal.SIGINT
                if interrupts >= 2:  # a second Ctrl-C: abort at once, as a terminal expects
                    for child in multiprocessing.active_children():
                        child.kill()
                    os._exit(130)
                if data[0] not in got:
                    got.append(data[0])
                halt()

    reset_halt()
    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    old_fd = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    watcher = threading.Thread(target=watch, name="relayroute-stop", daemon=True)
    watcher.start()
    try:
        yield got
    finally:
        signal.set_wakeup_fd(old_fd)
        for s, h in old.items():
            signal.signal(s, h)
        os.close(write_fd)
        watcher.join(timeout=1)
        os.close(read_fd)
        reset_halt()  # the command is over: a later one (in this process) runs whole


class _Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM during a short command (see :func:`_exits_on_signals`)."""

    def __init__(self, signum: int, written: bool = False) -> None:
        super().__init__(signum)
        self.signum = signum
        self.written = written


# Signals held back while a set of files is written (a stack: see _files_whole).
_HELD: list[list[int]] = []


def _exits_on_signals(cmd: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    """A short command (convert, export, map) ends at once on SIGINT or SIGTERM, exit
    130 or 143, with no traceback and nothing half-written: the signal unwinds it as an
    exception, and the atomic writers remove their temporary files."""

    @functools.wraps(cmd)
    def run(args: argparse.Namespace) -> int:
        def handler(signum: int, _frame: object) -> None:
            if _HELD:
                _HELD[-1].append(signum)
            else:
                raise _Interrupted(signum)

        old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            return cmd(args)
        except _Interrupted as exc:
            name = signal.Signals(exc.signum).name
            done = "its files were written first" if exc.written else "nothing written"
            err_console.print(f"interrupted by {name}: {done}", highlight=False)
            return 128 + exc.signum
        finally:
            for s, h in old.items():
                signal.signal(s, h)

    return run


@contextmanager
def _files_whole() -> Iterator[None]:
    """A signal waits until every file of the block is written (milliseconds): a command
    leaves all its files or none of them new."""
    got: list[int] = []
    _HELD.append(got)
    try:
        yield
    finally:
        _HELD.pop()
    if got:
        raise _Interrupted(got[0], written=True)


def cmd_validate(args: argparse.Namespace) -> int:
    from relayroute.validate import validate

    loaded, plan = _instance_and_plan(args)
    report = validate(loaded.instance, plan, loaded.base)
    if report.ok:
        console.print(
            f"{args.plan}: valid ({len(plan.routes)} routes, {plan.kpis.served} shipments served)"
        )
        return 0
    table = Table(title=f"{len(report.violations)} violation(s)")
    for col in ("rule", "object", "time", "what"):
        table.add_column(col)
    for v in report.violations:
        table.add_row(v.rule, v.obj, "" if v.time is None else f"{v.time:g}", v.message)
    console.print(table)
    return EXIT_VIOLATIONS


def cmd_serve(args: argparse.Namespace) -> int:
    from relayroute.service import serve
    from relayroute.validate import validate

    loaded, plan = _instance_and_plan(args)
    report = validate(loaded.instance, plan, loaded.base)
    if not report.ok:  # a service never hands out passes of a plan that breaks a rule
        err_console.print(
            f"[red]error:[/] {escape(args.plan)}: the plan breaks {len(report.violations)} "
            f"rule(s) ({', '.join(sorted(report.rules()))}); `relayroute validate` lists them",
            highlight=False,
        )
        return EXIT_VIOLATIONS
    if not 0 <= args.port <= 65535:
        raise InputError("--port", f"a port is 0-65535, got {args.port}")
    got = serve(loaded, plan, host=args.host, port=args.port, graceful_seconds=args.graceful)
    if got is None:
        return 0
    err_console.print(
        f"stopped by {signal.Signals(got).name}: the requests in flight were answered first",
        highlight=False,
    )
    return 128 + got


def _instance_and_plan(args: argparse.Namespace) -> tuple[Any, Any]:
    from relayroute.io.instance import read_instance
    from relayroute.io.plan import read_plan

    loaded = read_instance(args.instance)
    plan = read_plan(args.plan)
    if plan.instance.sha256 != loaded.sha256:
        err_console.print(
            f"note: the plan was made for another version of {plan.instance.name} (hash differs)"
        )
    return loaded, plan


@_exits_on_signals
def cmd_export(args: argparse.Namespace) -> int:
    from relayroute.export.charts import chart_files
    from relayroute.export.geojson import geojson_files
    from relayroute.export.tables import table_files

    if not (args.geojson or args.csv or args.charts):
        raise InputError("export", "name at least one output: --geojson, --csv or --charts")
    if args.split and not args.geojson:
        raise InputError("--split", "splits the --geojson output; give --geojson too")
    inputs = (args.instance, args.plan)
    if args.geojson is not None:
        check_output(args.geojson, *inputs)
    for folder in (args.csv, args.charts):
        if folder is not None:
            check_output(folder, *inputs, folder=True)
    loaded, plan = _instance_and_plan(args)
    inst = loaded.instance
    # Everything is built before anything is written: bad input leaves no file.
    texts: dict[Path, str] = {}
    blobs: dict[Path, bytes] = {}
    if args.geojson:
        texts.update(geojson_files(inst, plan, args.geojson, split=args.split))
    if args.csv:
        texts.update(table_files(inst, plan, args.csv))
    if args.charts:
        blobs.update(chart_files(inst, plan, args.charts))
    with _files_whole():
        for p, text in texts.items():
            write_text_atomic(p, text)
        for p, data in blobs.items():
            write_bytes_atomic(p, data)
    if not args.quiet:
        console.print(f"wrote {len(texts) + len(blobs)} file(s)")
    return 0


@_exits_on_signals
def cmd_map(args: argparse.Namespace) -> int:
    from relayroute.export.webmap import map_html

    check_output(args.output, args.instance, args.plan)
    loaded, plan = _instance_and_plan(args)
    page = map_html(loaded.instance, plan, tiles=args.tiles, charts=not args.no_charts)
    with _files_whole():
        write_text_atomic(args.output, page)
    if not args.quiet:
        console.print(f"wrote {args.output}")
    return 0


@_exits_on_signals
def cmd_convert(args: argparse.Namespace) -> int:
    from relayroute.bench.literature import benchmark_instance, read_benchmark

    check_output(args.output, args.file)
    bench = read_benchmark(args.file)
    inst = benchmark_instance(bench, scale=args.scale, mode=args.mode)
    text = json.dumps(inst.model_dump(mode="json", exclude_defaults=True), indent=1) + "\n"
    with _files_whole():
        write_text_atomic(args.output, text)
    if not args.quiet:
        console.print(
            f"{args.output}: {bench.name} ({bench.kind}), {len(inst.shipments)} requests, "
            f"{len(inst.trucks)} vehicles; times and distances × {args.scale:g}"
        )
    return 0


def _run_table(jobs: list[Any], args: argparse.Namespace, title: str) -> list[dict[str, Any]]:
    from relayroute.bench.compare import run_jobs

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        disable=args.quiet,
    ) as progress:
        task = progress.add_task(title, total=len(jobs))

        def done(row: dict[str, Any]) -> None:
            progress.advance(task)
            progress.console.print(
                f"{row['instance']} · {row['solver']}: "
                + ("interrupted, " if row["status"] == "interrupted" else "")
                + ("feasible" if row["feasible"] else f"[red]not feasible[/] {row['error']}"),
                highlight=False,
            )

        return run_jobs(jobs, workers=args.workers, scheduler=args.scheduler, on_done=done)


def _results_table(rows: list[dict[str, Any]], note: str | None) -> Table:
    """The runs that ran; after a stop their status, and ``note`` (which runs were cut
    short or skipped) as the caption."""
    table = Table(title="results", caption=note, caption_justify="left")
    cols = ["instance", "solver", "feasible", "served", "vehicles", "objective", "distance",
            "weighted_delay", "lower_bound", "gap_pct", "seconds"]  # fmt: skip
    if note is not None:
        cols.append("status")
    for c in cols:
        table.add_column(c.replace("_", " "), justify="left" if c in cols[:2] else "right")
    for r in rows:
        if r.get("status") != "skipped":
            table.add_row(*["" if r.get(c) is None else str(r[c]) for c in cols])
    return table


def _say_interrupted(got: list[int], rows: list[dict[str, Any]], written: list[str]) -> int:
    """The line a stopped ``compare`` or ``bench`` ends with; its exit code (128 + signal)."""
    from relayroute.bench.compare import completed

    where = f"; written: {', '.join(written)}" if written else ""
    err_console.print(
        f"interrupted by {signal.Signals(got[0]).name}: {len(completed(rows))} of "
        f"{len(rows)} runs done{where}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    return 128 + int(got[0])


def cmd_compare(args: argparse.Namespace) -> int:
    from relayroute.bench.compare import (
        gap_chart,
        interrupted_note,
        jobs_for,
        prepare_chart,
        write_csv,
    )

    for path in args.instances:
        if not Path(path).is_file():
            raise InputError(path, "no such instance file")
    if args.output is not None:
        check_output(args.output, *args.instances)
    for s in args.solvers:
        if not s.startswith("peer:") and not Path(s).is_file():
            raise InputError(s, "no such solver configuration (a TOML file or peer:NAME)")
    jobs = jobs_for(args.instances, args.solvers, args.time_limit, args.mode)
    chart = args.chart or (args.output and str(Path(args.output).with_suffix(".png")))
    if chart:
        prepare_chart()
    written: list[str] = []
    # SIGINT or SIGTERM: the runs in progress stop with their best, the rest are skipped,
    # and the table is written for what ran, saying so (its status column, the caption).
    with _stop_on_signals() as got:
        rows = _run_table(jobs, args, f"{len(jobs)} runs")
        if not args.quiet:
            console.print(_results_table(rows, interrupted_note(rows)))
        if args.output:
            write_csv(rows, args.output)
            written.append(args.output)
        if chart:
            gap_chart(rows, chart)
            written.append(chart)
    if got:
        return _say_interrupted(got, rows, written)
    return 0 if all(r["feasible"] for r in rows) else 1


def cmd_bench(args: argparse.Namespace) -> int:
    from relayroute.bench.compare import (
        gap_chart,
        interrupted_note,
        jobs_for,
        prepare_chart,
        write_csv,
    )
    from relayroute.bench.suites import suite_files, summarise

    files = [str(f) for f in suite_files(args.suite, args.data)]
    if args.limit:
        files = files[: args.limit]
    if args.output is not None:
        check_output(args.output, *files)
    solvers = list(args.solver or ["solvers/default.toml"])
    if args.peers:
        if args.suite == "relay":
            raise InputError("--peers", "the peers solve literature benchmarks only")
        solvers += ["peer:ortools", "peer:pyvrp", "peer:vroom"]
    modes = ["distance", "hierarchical"] if args.mode == "both" else [args.mode]
    if args.output:
        prepare_chart()
    rows: list[dict[str, Any]] = []
    written: list[str] = []
    # SIGINT or SIGTERM: as in compare; the summary counts whole runs only (its
    # ``incomplete`` column the others), a mode not started is skipped whole.
    with _stop_on_signals() as got:
        for mode in modes:
            jobs = jobs_for(files, solvers, args.time_limit, mode)
            rows += _run_table(jobs, args, f"{args.suite} ({mode}): {len(jobs)} runs")
        summary = summarise(rows)
        if not args.quiet:
            note = interrupted_note(rows)
            table = Table(title=f"{args.suite}: per family", caption=note, caption_justify="left")
            for c in summary.columns:
                table.add_column(str(c).replace("_", " "))
            for rec in summary.itertuples(index=False):
                table.add_row(
                    *[f"{v:.3f}" if isinstance(v, float) else str(v) for v in rec]  # type: ignore[union-attr]
                )
            console.print(table)
        if args.output:
            out = Path(args.output)
            extra = out.with_suffix(".summary.csv"), out.with_suffix(".png")
            write_csv(rows, out)
            write_text_atomic(extra[0], summary.to_csv(index=False))
            gap_chart(rows, extra[1])
            written += [str(p) for p in (out, *extra)]
    if got:
        return _say_interrupted(got, rows, written)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from relayroute.bench.generate import generate

    out = Path(args.output)
    check_output(out)
    data = Path(args.data) if args.data else None
    inst = generate(args.region, args.shipments, args.seed, data=data, relative_to=out.parent)
    write_text_atomic(out, json.dumps(inst, indent=1) + "\n")
    if not args.quiet:
        console.print(
            f"{inst['name']}: {len(inst['shipments'])} shipments, {len(inst['trucks'])} trucks, "
            f"{sum(p['count'] for p in inst['driver_pools'] if p['kind'] == 'loop')} loop "
            f"drivers -> {out}",
            highlight=False,
        )
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from relayroute.model.instance import Instance
    from relayroute.model.plan import Plan

    model = Plan if args.plan else Instance
    print(json.dumps(model.model_json_schema(), indent=2))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="relayroute", description="Plan freight through relay stations around closed zones."
    )
    p.add_argument("--version", action="version", version=f"relayroute {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser(
        "solve", help="plan one day, validate the plan, print its KPIs (exit 1 if invalid)"
    )
    s.add_argument("instance", help="instance JSON file")
    s.add_argument("-o", "--output", help="write the plan JSON here (only if it validates)")
    s.add_argument(
        "--keep-invalid",
        action="store_true",
        help="a plan the validator rejects is still written, as -o's name with .invalid "
        "(plan.json -> plan.invalid.json), marked invalid inside",
    )
    s.add_argument(
        "--solver", help="solver configuration TOML (default: built-in balanced default)"
    )
    s.add_argument("--time-limit", type=float, help="seconds; overrides the configuration")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress or tables")
    s.set_defaults(func=cmd_solve)
    v = sub.add_parser("validate", help="check a plan against its instance (exit 1 on violations)")
    v.add_argument("instance")
    v.add_argument("plan")
    v.set_defaults(func=cmd_validate)
    e = sub.add_parser(
        "export", help="write a plan as GeoJSON route maps, CSV tables and PNG charts"
    )
    e.add_argument("instance")
    e.add_argument("plan")
    e.add_argument("--geojson", metavar="FILE", help="RFC 7946 FeatureCollection of the plan")
    e.add_argument(
        "--split",
        action="store_true",
        help="also one GeoJSON per truck and per loop driver beside --geojson",
    )
    e.add_argument("--csv", metavar="DIR", help="stops.csv and shipments.csv")
    e.add_argument(
        "--charts", metavar="DIR", help="trucks.png, stations.png (timelines), delays.png"
    )
    e.add_argument("-q", "--quiet", action="store_true")
    e.set_defaults(func=cmd_export)
    mp = sub.add_parser("map", help="write a self-contained HTML map of a plan")
    mp.add_argument("instance")
    mp.add_argument("plan")
    mp.add_argument("-o", "--output", required=True, help="HTML file")
    mp.add_argument(
        "--tiles",
        choices=["osm", "light", "none"],
        default="osm",
        help="background map (fetched when viewed); none: works offline",
    )
    mp.add_argument("--no-charts", action="store_true", help="leave out the report panel")
    mp.add_argument("-q", "--quiet", action="store_true")
    mp.set_defaults(func=cmd_map)
    cv = sub.add_parser(
        "convert", help="a Solomon/Homberger or Li & Lim benchmark file as a relayroute instance"
    )
    cv.add_argument("file", help="benchmark file (format told apart by content)")
    cv.add_argument("-o", "--output", required=True, help="instance JSON to write")
    cv.add_argument(
        "--scale",
        type=float,
        default=100.0,
        help="multiplies coordinates and times so whole units keep the file's precision",
    )
    cv.add_argument(
        "--mode",
        choices=["distance", "hierarchical"],
        default="distance",
        help="distance only, or a fixed cost per vehicle first",
    )
    cv.add_argument("-q", "--quiet", action="store_true")
    cv.set_defaults(func=cmd_convert)
    cp = sub.add_parser(
        "compare", help="every solver configuration on every instance, in parallel, as a table"
    )
    cp.add_argument("instances", nargs="+", help="instance JSON or benchmark files")
    cp.add_argument(
        "--solvers",
        nargs="+",
        required=True,
        metavar="CONFIG",
        help="solver TOML files, or peer:pyvrp, peer:vroom, peer:ortools",
    )
    cp.add_argument("--time-limit", type=float, help="seconds per run (benchmarks: 30)")
    cp.add_argument("--mode", choices=["distance", "hierarchical"], default="distance")
    cp.add_argument("-o", "--output", help="results CSV (and a gap chart PNG beside it)")
    cp.add_argument("--chart", help="gap chart PNG (default: beside --output)")
    cp.add_argument("--workers", type=int, default=2, help="local processes (default 2)")
    cp.add_argument("--scheduler", help="Dask scheduler address: run on that cluster")
    cp.add_argument("-q", "--quiet", action="store_true")
    cp.set_defaults(func=cmd_compare)
    bn = sub.add_parser("bench", help="a configuration (and peers) over a named suite")
    bn.add_argument(
        "suite",
        choices=["solomon", "homberger-200", "lilim-100", "lilim-200", "relay", "sample"],
    )
    bn.add_argument("--solver", nargs="+", help="configuration TOML(s) (default: default.toml)")
    bn.add_argument("--peers", action="store_true", help="also plain OR-Tools, PyVRP and VROOM")
    bn.add_argument("--time-limit", type=float, default=30.0, help="seconds per run")
    bn.add_argument("--mode", choices=["distance", "hierarchical", "both"], default="distance")
    bn.add_argument("--data", help="benchmark folder (default ../shared/benchmarks)")
    bn.add_argument("--limit", type=int, help="only the first N instances")
    bn.add_argument("-o", "--output", help="results CSV (+ .summary.csv and .png)")
    bn.add_argument("--workers", type=int, default=2)
    bn.add_argument("--scheduler", help="Dask scheduler address")
    bn.add_argument("-q", "--quiet", action="store_true")
    bn.set_defaults(func=cmd_bench)
    sv = sub.add_parser(
        "serve",
        help="the pass service over HTTP for an instance and its plan (GET /passes, "
        "POST /validate; graceful shutdown on SIGINT/SIGTERM)",
    )
    sv.add_argument("instance", help="instance JSON file")
    sv.add_argument("plan", help="its plan JSON (checked before serving)")
    sv.add_argument("--host", default="127.0.0.1", help="default: loopback only")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument(
        "--graceful",
        type=float,
        default=10.0,
        help="seconds requests in flight may still take after a stop signal",
    )
    sv.set_defaults(func=cmd_serve)
    g = sub.add_parser(
        "generate",
        help="a generated day on a bundled region (trucks and loop drivers in proportion)",
    )
    g.add_argument("--region", required=True, help="yiwu or liling")
    g.add_argument("--shipments", type=int, required=True, help="shipments to draw")
    g.add_argument("--seed", type=int, help="random seed (default: the bundled day's)")
    g.add_argument("-o", "--output", required=True, help="write the instance JSON here")
    g.add_argument("--data", help="region data folder (default: the project's data/)")
    g.add_argument("-q", "--quiet", action="store_true")
    g.set_defaults(func=cmd_generate)
    sc = sub.add_parser("schema", help="print the JSON Schema of instances (or --plan of plans)")
    sc.add_argument("--plan", action="store_true")
    sc.set_defaults(func=cmd_schema)
    return p


# Packages of the optional extras (pyproject.toml), for a clear message when one is missing.
EXTRAS = {
    "folium": "maps",
    "matplotlib": "maps",
    "distributed": "dask",
    "pyvrp": "bench",
    "vroom": "bench",
    "fastapi": "serve",
    "uvicorn": "serve",
}


def error_markup(exc: InputError) -> str:
    """The one line bad input gets, as rich markup: ids and paths in it are the user's
    text, escaped, so they print as given."""
    return f"[red]error:[/] {escape(str(exc.where))}: {escape(exc.message)}"


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except InputError as exc:
        err_console.print(error_markup(exc), highlight=False)
        return EXIT_BAD_INPUT
    except ModuleNotFoundError as exc:
        extra = EXTRAS.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        hint = escape(f"pip install 'relayroute[{extra}]'")
        err_console.print(
            f"[red]error:[/] relayroute {args.command} needs {exc.name}, which comes with the "
            f"optional extra: {hint}",
            highlight=False,
        )
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except Exception as exc:  # a bug of ours, not the user's input: say so in one line
        if os.environ.get("RELAYROUTE_DEBUG"):
            raise
        err_console.print(
            f"[red]internal error:[/] {type(exc).__name__}: {exc} (set RELAYROUTE_DEBUG=1 for a traceback)",
            highlight=False,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())

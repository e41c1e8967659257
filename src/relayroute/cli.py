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
from typing import TYPE_CHECKING, Any, Self

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from relayroute._version import __version__
from relayroute.errors import InputError
from relayroute.io.atomic import check_output, write_bytes_atomic, write_text_atomic

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Plan

console = Console()
err_console = Console(stderr=True)
if not console.is_terminal:  # piped or logged: room for wide tables
    console = Console(width=160)

EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_UNSERVED = 4  # solve: the plan is valid but leaves shipments unserved


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
    with _SolveProgress(args.quiet) as show:
        with _stop_on_signals() as got:
            plan, loaded = _solve_with_progress(args, show)
        # The solver's own plan is checked by the independent validator before anything is
        # written: an invalid plan never lands at -o as if it were good.
        show.step("validation")
        plan, report = with_verdict(loaded, plan)
        show.finish(plan.kpis.objective, plan.kpis.unserved)
    code = _write_and_report(args, plan, report, write_plan, describe, invalid_path)
    if got:
        err_console.print(
            f"interrupted by {signal.Signals(got[0]).name}: the best plan found so far"
            + (" was written" if report.ok and args.output else ""),
            highlight=False,
        )
        return 128 + int(got[0])
    return code


# What each step of a solve is called on its progress line (keys: solve()'s on_phase).
STEPS = {
    "build": "build",
    "greedy": "dispatcher",
    "routing": "routing",
    "switch": "way switch",
    "schedule": "timing",
    "fill": "fill",
    "validation": "validation",
    "done": "done",
}


class _ClockBar(BarColumn):
    """A bar of the seconds spent against the time limit: it moves while a step runs
    without reporting (CP-SAT, the validator), and is full at the end."""

    def render(self, task: Any) -> Any:
        from rich.progress_bar import ProgressBar

        total = task.total or 1.0
        done = total if task.finished else min(total, task.elapsed or 0.0)
        return ProgressBar(
            total=total,
            completed=done,
            width=None if self.bar_width is None else max(1, self.bar_width),
            animation_time=task.get_time(),
            style=self.style,
            complete_style=self.complete_style,
            finished_style=self.finished_style,
            pulse_style=self.pulse_style,
        )


class _SolveProgress:
    """The progress line of ``solve``: the step running (build, dispatcher, routing, way
    switch, timing, fill, validation), seconds spent of the time limit, and the objective
    of the best plan so far as the plan states it (``kpis.objective``); the routing
    search's own objective, on another scale, is not shown, only its solution count."""

    def __init__(self, quiet: bool) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.fields[step]:<10}[/]"),
            _ClockBar(bar_width=12),
            TextColumn("{task.elapsed:>4.0f}/{task.total:.0f} s"),
            TextColumn("{task.fields[note]}"),
            console=err_console,
            disable=quiet,
        )
        self.task = self.progress.add_task("solve", total=1.0, step=STEPS["build"], note="")
        self.best: float | None = None
        self.solutions = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: object, *_exc: object) -> None:
        if not self.progress.live.is_started:  # failed before the line showed
            return
        if kind is not None:  # bad input or a stop: its one line stands alone
            self.progress.live.transient = True
        self.progress.stop()

    def limit(self, seconds: float) -> None:
        """The run's time limit, the length of the bar: the line shows from now on (the
        instance and the configuration have been read)."""
        self.progress.reset(self.task, total=max(seconds, 0.01))  # its clock starts now
        self.progress.start()

    def _note(self) -> str:
        parts = []
        if self.best is not None:
            parts.append(f"best plan so far {self.best:,.2f}")
        if self.solutions:
            parts.append(f"{self.solutions} solutions")
        return " · ".join(parts)

    def step(self, name: str, best: float | None = None) -> None:
        """Step ``name`` starts; ``best``: the best plan's objective so far, if known."""
        if best is not None:
            self.best = best
        self.progress.update(self.task, step=STEPS.get(name, name), note=self._note())

    def solution(self, _elapsed: float, _objective: float) -> None:
        """The routing search found a solution (its objective is its own, not shown)."""
        self.solutions += 1
        self.progress.update(self.task, note=self._note())

    def finish(self, objective: float, unserved: int) -> None:
        """The plan is made and checked: the bar full, the plan's own objective."""
        note = f"plan objective {objective:,.2f}" + (f", {unserved} unserved" if unserved else "")
        total = self.progress.tasks[0].total
        self.progress.update(self.task, step=STEPS["done"], note=note, completed=total)
        self.progress.stop_task(self.task)


def _solve_with_progress(args: argparse.Namespace, show: _SolveProgress) -> tuple[Any, Any]:
    import time

    from relayroute.io.instance import read_instance
    from relayroute.solve import SolverConfig, read_config
    from relayroute.solve.decompose import plan_day

    started = time.perf_counter()  # the time limit bounds the whole run from here
    loaded = read_instance(args.instance)
    config = read_config(args.solver) if args.solver else SolverConfig()
    show.limit(args.time_limit if args.time_limit is not None else config.time_limit)
    if args.decompose is not None:
        config = config.model_copy(update={"decompose": args.decompose})
    # A large day part by part (config.decompose), else the whole-day solve.
    plan = plan_day(
        loaded,
        config,
        time_limit=args.time_limit,
        on_solution=show.solution,
        on_phase=show.step,
        started=started,
        scheduler=args.scheduler,
    )
    return plan, loaded


# Ids of unserved shipments listed per reason at most; the plan (and export --csv) has all.
UNSERVED_SHOWN = 60


def _unserved_table(plan: Any) -> Table:
    """The unserved shipments by id, grouped by their reason and its detail."""
    groups: dict[tuple[str, str], list[str]] = {}
    for u in plan.unserved:
        groups.setdefault((u.reason, u.detail), []).append(u.shipment)
    table = Table(title=f"unserved shipments ({len(plan.unserved)})")
    for col in ("reason", "shipments", "detail"):
        table.add_column(col)
    for (reason, detail), ids in groups.items():
        listed = " ".join(ids[:UNSERVED_SHOWN])
        if len(ids) > UNSERVED_SHOWN:
            listed += f" and {len(ids) - UNSERVED_SHOWN} more (the plan's `unserved` lists all)"
        table.add_row(f"{escape(reason)} ({len(ids)})", escape(listed), escape(detail))
    return table


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
            console.print(_unserved_table(plan))
        if report.ok:
            console.print("validated: ok")
            if written is not None:
                console.print(f"plan written to {written}", highlight=False)
            if plan.unserved:
                console.print(
                    f"{len(plan.unserved)} of {len(plan.unserved) + len(plan.shipments)} "
                    f"shipments unserved (exit {EXIT_UNSERVED})",
                    highlight=False,
                )
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
    if not report.ok:
        return EXIT_VIOLATIONS
    return EXIT_UNSERVED if plan.unserved else 0


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


def _day_at(
    data: dict[str, Any], base: Path, out: Path, plan: Plan
) -> tuple[str, LoadedInstance, Plan]:
    """A changed day (instance JSON data) as it will be written to ``out``: its network
    paths rebased from ``base`` to ``out``'s folder, its text, the day loaded from that
    folder, and ``plan`` pointing at it by its SHA-256."""
    import hashlib

    from relayroute.io.instance import LoadedInstance, instance_from_data

    network = data.get("network") or {}
    for key in ("nodes", "edges", "graphml", "osm"):
        if isinstance(network.get(key), str) and not Path(network[key]).is_absolute():
            target = (base / network[key]).resolve()
            network[key] = os.path.relpath(target, out.resolve().parent)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    day = LoadedInstance(instance_from_data(data), out.resolve().parent, sha)
    pointed = plan.model_copy(update={"instance": plan.instance.model_copy(update={"sha256": sha})})
    return text, day, pointed


@_exits_on_signals
def cmd_insert(args: argparse.Namespace) -> int:

    from relayroute.io.instance import (
        parse_json,
        read_limited,
    )
    from relayroute.io.plan import plan_to_json
    from relayroute.model.instance import MAX_INPUT_BYTES
    from relayroute.model.plan import clock
    from relayroute.solve.insert import insert
    from relayroute.validate.verdict import describe, with_verdict

    out = Path(args.output)
    inst_out = Path(args.instance_out) if args.instance_out else _instance_beside(out)
    inputs = (args.instance, args.plan, args.shipment)
    check_output(out, *inputs)
    check_output(inst_out, *inputs, out)
    loaded, plan = _instance_and_plan(args)
    raw = read_limited(Path(args.shipment), MAX_INPUT_BYTES)
    try:
        text_in = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(args.shipment, "not UTF-8 text") from None
    shipment = parse_json(text_in, args.shipment, finite=True)
    try:
        done = insert(loaded, plan, shipment, now=args.now)
    except InputError as exc:  # name the file the shipment came from
        where = exc.where if exc.where == "now" else f"{args.shipment} {exc.where}"
        raise InputError("--now" if exc.where == "now" else where, exc.message) from None
    if done.refusal is not None:
        r = done.refusal
        err_console.print(
            f"refused: {r.code} ({r.blocking}): {r.detail}; {args.plan} unchanged, nothing written",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return EXIT_UNSERVED
    # The instance as the user wrote it, the shipment added, network files still found.
    data = json.loads(Path(args.instance).read_text(encoding="utf-8"))
    data.setdefault("shipments", []).append(shipment)
    # Checked as it will be read back: its network paths are relative to where it goes.
    text, new_loaded, new_plan = _day_at(data, loaded.base, inst_out, done.plan)
    new_plan, report = with_verdict(new_loaded, new_plan)
    if not report.ok:
        err_console.print(
            "[red]invalid plan:[/] the validator rejects it; nothing written", highlight=False
        )
        err_console.print(describe(report), markup=False, highlight=False, soft_wrap=True)
        return EXIT_VIOLATIONS
    with _files_whole():
        write_text_atomic(inst_out, text)
        write_text_atomic(out, plan_to_json(new_plan))
    if not args.quiet:
        eta = done.eta or 0.0
        console.print(
            f"{done.shipment}: truck {done.truck}, delivered {clock(loaded.instance.start, eta)} "
            f"(minute {eta:g}), adds {done.added_delay:g} priority-weighted minutes of delay",
            highlight=False,
        )
        table = Table(title=f"passes to issue ({len(done.passes)})")
        for col in (
            "id",
            "truck",
            "plate",
            "driver",
            "checkpoint",
            "zone",
            "valid from",
            "valid to",
        ):
            table.add_column(col)
        for p in done.passes:
            table.add_row(
                p.id,
                p.truck,
                p.plate or "",
                p.driver_name or p.driver,
                p.checkpoint,
                p.zone,
                p.valid_from_at,
                p.valid_to_at,
            )
        if done.passes:
            console.print(table)
        console.print(f"validated: ok; plan -> {out}, instance -> {inst_out}", highlight=False)
    return 0


def cmd_replan(args: argparse.Namespace) -> int:

    from relayroute.io.plan import plan_to_json
    from relayroute.model.events import parse_event, parse_time, read_events
    from relayroute.solve import read_config
    from relayroute.solve.replan import Stability, replan
    from relayroute.validate.replan import check_replan
    from relayroute.validate.verdict import describe, with_verdict

    out = Path(args.output)
    inst_out = Path(args.instance_out) if args.instance_out else _instance_beside(out)
    check_output(out, args.instance, args.plan)
    check_output(inst_out, args.instance, args.plan, out)
    loaded, plan = _instance_and_plan(args)
    start = loaded.instance.start
    at = parse_time(args.at, start)
    events = [parse_event(e, start, Path.cwd()) for e in args.event or []]
    events += [e for f in args.events or [] for e in read_events(Path(f))]
    config = read_config(args.solver) if args.solver else None
    for name in ("truck_change", "station_change", "pickup_minute"):
        if not getattr(args, name) >= 0:
            raise InputError(f"--{name.replace('_', '-')}", "a cost is a number, 0 or more")
    stability = Stability(args.truck_change, args.station_change, args.pickup_minute)
    done = replan(
        loaded, plan, events, at, config=config, time_limit=args.time_limit, stability=stability
    )
    # The day as it now is, its network files still found from where it is written.
    data = done.loaded.instance.model_dump(mode="json", by_alias=True, exclude_none=True)
    text, day, new_plan = _day_at(data, loaded.base, inst_out, done.plan)
    new_plan, _ = with_verdict(day, new_plan)
    kept = check_replan(day.instance, plan, new_plan, done.events, at, day.base)
    if not kept.ok:
        err_console.print(
            "[red]invalid plan:[/] the re-planned day breaks a rule; nothing written",
            highlight=False,
        )
        err_console.print(describe(kept), markup=False, highlight=False, soft_wrap=True)
        return EXIT_VIOLATIONS
    with _files_whole():
        write_text_atomic(inst_out, text)
        write_text_atomic(out, plan_to_json(new_plan))
    if not args.quiet:
        k = new_plan.kpis
        console.print(
            f"re-planned from {args.at} ({at:g} min): {len(done.state.delivered)} delivered "
            f"before, {k.served} served, {k.unserved} unserved, weighted delay "
            f"{k.weighted_delay:g}; {len(done.moved)} shipments change truck; passes "
            f"{len(done.revoked)} revoked, {len(done.issued)} issued, "
            f"{len(done.unchanged)} unchanged ({done.candidate}, {done.seconds:g} s)",
            highlight=False,
        )
        for line in done.in_progress:
            console.print(f"kept, already under way: {line}", highlight=False)
        for p in done.revoked:
            console.print(f"revoke {p.id}", highlight=False)
        for p in done.issued:
            console.print(
                f"issue {p.id}: {p.truck} {p.checkpoint} {p.valid_from_at} - {p.valid_to_at}",
                highlight=False,
            )
        console.print(f"validated: ok; plan -> {out}, instance -> {inst_out}", highlight=False)
    return 0


def _instance_beside(plan_out: Path) -> Path:
    """Where ``insert`` writes the instance with the new shipment: beside the new plan."""
    return plan_out.with_name(plan_out.stem + ".instance.json")


def _state_beside(plan: Path) -> Path:
    """Where ``serve`` saves its plan by default: ``plan.json`` -> ``plan.state/``."""
    return plan.with_name(plan.stem + ".state")


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
    # Each insertion is saved here; a restart on the same folder carries on from it.
    state = None if args.no_state else args.state_dir or str(_state_beside(Path(args.plan)))
    if state is not None:
        check_output(state, args.instance, args.plan, folder=True)
    got = serve(
        loaded,
        plan,
        host=args.host,
        port=args.port,
        graceful_seconds=args.graceful,
        state_dir=state,
        check_inserts=args.check_inserts,
    )
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
    _same_instance(plan, loaded, args.plan, args.instance)
    return loaded, plan


def _same_instance(plan: Any, loaded: Any, plan_path: str, instance_path: str) -> None:
    """Refuse, in one line, a plan made for another instance: another name, or (another
    file of the same name) not one shipment in common. Another version of the same
    instance (a checkpoint closed since) is checked, with a note: that is what re-checking
    an old plan is for."""
    if plan.instance.sha256 == loaded.sha256:
        return
    name, given = plan.instance.name, loaded.instance.name
    ours = {o.shipment for o in plan.shipments} | {u.shipment for u in plan.unserved}
    if name != given or (ours and not ours & set(loaded.instance.shipments_by_id)):
        what = (
            f"another instance named {name!r} (no shipment of {instance_path} in it)"
            if name == given
            else f"instance {name!r}, not {given!r} ({instance_path})"
        )
        raise InputError(plan_path, f"made for {what}: give the instance it was made for")
    err_console.print(
        f"note: the plan was made for another version of {name} (hash differs)", highlight=False
    )


@_exits_on_signals
def cmd_export(args: argparse.Namespace) -> int:
    from relayroute.export.charts import chart_files
    from relayroute.export.geojson import geojson_files
    from relayroute.export.tables import table_files
    from relayroute.export.workbook import workbook_files

    if not (args.geojson or args.csv or args.charts or args.xlsx):
        raise InputError("export", "name at least one output: --geojson, --csv, --xlsx or --charts")
    for flag, given in (("--split", args.split), ("--split-types", args.split_types)):
        if given and not args.geojson:
            raise InputError(flag, "splits the --geojson output; give --geojson too")
    inputs = (args.instance, args.plan)
    for out_file in (args.geojson, args.xlsx):
        if out_file is not None:
            check_output(out_file, *inputs)
    for folder in (args.csv, args.charts):
        if folder is not None:
            check_output(folder, *inputs, folder=True)
    loaded, plan = _instance_and_plan(args)
    inst = loaded.instance
    # Everything is built before anything is written: bad input leaves no file.
    texts: dict[Path, str] = {}
    blobs: dict[Path, bytes] = {}
    if args.geojson:
        texts.update(
            geojson_files(inst, plan, args.geojson, split=args.split, split_types=args.split_types)
        )
    if args.csv:
        texts.update(table_files(inst, plan, args.csv))
    if args.xlsx:
        blobs.update(workbook_files(inst, plan, args.xlsx))
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
    page = map_html(
        loaded.instance,
        plan,
        tiles=args.tiles,
        charts=not args.no_charts,
        base=loaded.base,
        slider=not args.no_slider,
    )
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
    from relayroute.bench.suites import PROVENANCE, suite_files, summarise

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
            # What ran where (hashes, machines, dates) is for the CSV, not the screen.
            shown = summary.drop(columns=[*PROVENANCE, "date"], errors="ignore")
            for c in shown.columns:
                table.add_column(str(c).replace("_", " "))
            for rec in shown.itertuples(index=False):
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
    # A province's joined roads are written beside the day, in a folder of its own.
    roads = out.parent / f"{out.stem}.roads" if "," in args.region else None
    inst = generate(
        args.region, args.shipments, args.seed, data=data, relative_to=out.parent, roads=roads
    )
    write_text_atomic(out, json.dumps(inst, indent=1) + "\n")
    if not args.quiet:
        console.print(
            f"{inst['name']}: {len(inst['shipments'])} shipments, {len(inst['trucks'])} trucks, "
            f"{sum(p['count'] for p in inst['driver_pools'] if p['kind'] == 'loop')} loop "
            f"drivers -> {out}",
            highlight=False,
        )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from relayroute.io.tables import import_tables, write_tables

    out = Path(args.output)
    if args.tables_from is not None:
        if args.tables:
            raise InputError("--tables-from", "writes tables from an instance; give no tables")
        from relayroute.io.instance import read_instance

        check_output(out, args.tables_from, folder=out.suffix.lower() != ".xlsx")
        loaded = read_instance(args.tables_from)
        written = write_tables(loaded.instance, out, region=args.region)
        if not args.quiet:
            console.print(f"{len(written)} file(s) -> {out}", highlight=False)
        return 0
    if not args.tables:
        raise InputError("import", "name the tables to read (shipments.csv trucks.csv ...)")
    check_output(out, *args.tables)
    inst = import_tables(args.tables, out, region=args.region)
    if not args.quiet:
        console.print(
            f"{inst.name}: {len(inst.shipments)} shipments, {len(inst.trucks)} trucks, "
            f"{len(inst.driver_pools)} driver pools, {len(inst.places)} places -> {out}",
            highlight=False,
        )
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from relayroute.model.schema import schema_text

    text = schema_text("plan" if args.plan else "instance")
    if args.output is None:
        sys.stdout.write(text)
        return 0
    check_output(args.output)
    write_text_atomic(args.output, text)
    if not args.quiet:
        console.print(f"wrote {args.output}", highlight=False)
    return 0


class _Help(argparse.RawDescriptionHelpFormatter):
    """Help that shows each option's default (when it has one worth saying) and keeps the
    line breaks of the examples."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if "%(default)" in text or default in (None, False, argparse.SUPPRESS):
            return text
        if not action.option_strings and action.nargs not in ("?", "*"):
            return text  # a required positional argument has no default
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """The parser of relayroute and of each of its commands (``add_subparsers`` makes
    commands of the parser's own class): defaults shown, examples kept as written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Help)
        super().__init__(*args, **kwargs)


# Exit codes, said once for `relayroute --help` and the README.
EXIT_CODES = """exit codes:
  0    done (solve: every shipment served)
  1    a plan breaks a rule (solve, validate, serve), or a compare run is not feasible
  2    bad input or usage (one line names where); `relayroute` alone prints this help
  3    internal error (a bug: set RELAYROUTE_DEBUG=1 for the traceback)
  4    solve: a valid plan with unserved shipments (listed with their reasons);
       insert: the shipment cannot be put in (nothing written)
  130  stopped by SIGINT (Ctrl-C), 143 by SIGTERM (solve keeps its best plan)"""

# One example a command, shown at the end of its --help (paths are the repository's).
EXAMPLES = {
    "solve": "relayroute solve instances/yiwu-demo.json -o plan.json --time-limit 30\n"
    "relayroute solve instances/yiwu-day.json -o day.json --solver solvers/quality.toml",
    "validate": "relayroute validate instances/yiwu-demo.json plan.json",
    "export": "relayroute export instances/yiwu-demo.json plan.json "
    "--geojson out/routes.geojson --csv out --charts out",
    "map": "relayroute map instances/yiwu-demo.json plan.json -o map.html --tiles none",
    "convert": "relayroute convert ../shared/benchmarks/solomon/C101.txt -o c101.json",
    "compare": "relayroute compare instances/yiwu-demo.json --solvers solvers/fast.toml "
    "solvers/greedy.toml --time-limit 20 -o results.csv\n"
    "relayroute compare instances/*.json --solvers solvers/fast.toml "
    "--scheduler tcp://10.0.0.5:8786   # on a Dask cluster: README, Comparing on a Dask cluster",
    "bench": "relayroute bench solomon --limit 3 --time-limit 10 -o solomon.csv",
    "serve": "relayroute serve instances/yiwu-demo.json plan.json --port 8000",
    "generate": "relayroute generate --region yiwu --shipments 300 --seed 7 -o day.json",
    "import": "relayroute import examples/yiwu-demo/*.csv --region data/yiwu -o day.json\n"
    "relayroute import --tables-from instances/yiwu-demo.json --region data/yiwu -o mine/",
    "schema": "relayroute schema -o schema/instance.schema.json\nrelayroute schema --plan",
    "insert": """echo '{"id": "S900", "origin": "yiwu_port", "destination": "jinhua", \
"quantity": {"t": 4}, "ready": 600, "due": 780}' > s900.json
relayroute insert instances/yiwu-demo.json plan.json s900.json --now 540 -o plan2.json""",
    "replan": "relayroute replan instances/yiwu-day.json plan.json --at 12:00 "
    "--event station-closed:rs_yiwu_port -o plan-noon.json\n"
    "relayroute replan instances/liling-day.json plan.json --at 10:00 "
    "--event checkpoint-closed:cp_liling_park_w:10:00-14:00 -o plan-10.json",
}


def _examples(text: str) -> str:
    lines = text.splitlines()
    return ("example:\n" if len(lines) == 1 else "examples:\n") + "\n".join(
        f"  {line}" for line in lines
    )


def parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="relayroute",
        description="Plan freight through relay stations around closed zones.",
        epilog=_examples("relayroute solve instances/yiwu-demo.json -o plan.json")
        + "\n\nrelayroute COMMAND --help tells more of each command.\n\n"
        + EXIT_CODES,
    )
    p.add_argument("--version", action="version", version=f"relayroute {__version__}")
    # Not required: `relayroute` alone prints the help (see main).
    sub = p.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    s = sub.add_parser(
        "solve",
        help="plan one day, validate the plan, print its KPIs (exit 1 if invalid, 4 if "
        "shipments are left unserved)",
        epilog=_examples(EXAMPLES["solve"])
        + "\n\nexit codes:\n  0    every shipment served\n  4    a valid plan, written, "
        "with shipments unserved (listed)\n  1    the plan breaks a rule (not written to "
        "-o)\n  2    bad input\n  130  stopped by Ctrl-C (143: SIGTERM), the best plan kept",
    )
    s.add_argument("instance", help="instance JSON file")
    s.add_argument(
        "-o", "--output", metavar="FILE", help="write the plan JSON here (only if it validates)"
    )
    s.add_argument(
        "--keep-invalid",
        action="store_true",
        help="a plan the validator rejects is still written, as -o's name with .invalid "
        "(plan.json -> plan.invalid.json), marked invalid inside",
    )
    s.add_argument(
        "--solver",
        metavar="TOML",
        help="solver configuration (default: the built-in one, as solvers/default.toml)",
    )
    s.add_argument(
        "--time-limit",
        type=float,
        metavar="S",
        help="seconds for the whole run; overrides the configuration's (default: its own, 60)",
    )
    s.add_argument(
        "--decompose",
        choices=["off", "auto", "zone"],
        help="cut the day into parts by zone and time band, solve them apart, repair "
        "plan-wide; overrides the configuration's (default: its own, auto: from 3,000 "
        "shipments)",
    )
    s.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler (tcp://HOST:8786): a decomposed day's parts run on that "
        "cluster instead of local processes",
    )
    s.add_argument("-q", "--quiet", action="store_true", help="no progress or tables")
    s.set_defaults(func=cmd_solve)
    v = sub.add_parser(
        "validate",
        help="check a plan against its instance (exit 1 on violations; a plan made for "
        "another instance is refused, exit 2)",
    )
    v.add_argument("instance", help="instance JSON file")
    v.add_argument("plan", help="plan JSON made for that instance")
    v.set_defaults(func=cmd_validate)
    ins = sub.add_parser(
        "insert",
        help="put one new shipment into a plan without changing a pass already issued "
        "(exit 4 if refused, nothing written)",
    )
    ins.add_argument("instance", help="instance JSON file")
    ins.add_argument("plan", help="plan JSON made for that instance")
    ins.add_argument("shipment", help="the new shipment, a JSON object as in `shipments`")
    ins.add_argument("-o", "--output", required=True, help="the new plan")
    ins.add_argument(
        "--instance-out",
        help="the instance with the shipment added, which the new plan is for (default: "
        "beside -o, NAME.instance.json)",
    )
    ins.add_argument(
        "--now",
        type=float,
        help="minutes from the instance start: nothing starts before (default: the day's start)",
    )
    ins.add_argument("-q", "--quiet", action="store_true", help="no summary")
    ins.set_defaults(func=cmd_insert)
    rp = sub.add_parser(
        "replan",
        help="plan the rest of the day again after disruptions, the past kept as it was "
        "(exit 1 if the new plan breaks a rule, nothing written)",
    )
    rp.add_argument("instance", help="instance JSON file")
    rp.add_argument("plan", help="the plan running so far, made for that instance")
    rp.add_argument(
        "--at", required=True, help="now: HH:MM in the instance's clock, or minutes from its start"
    )
    rp.add_argument(
        "--event",
        action="append",
        help="kind:object[:from-to], repeatable: checkpoint-closed, checkpoint-reopened, "
        "station-closed, loop-drivers-fewer (object STATION[:N]), truck-broken, "
        "shipments-added (object FILE.json), shipments-cancelled (object ID,ID...), "
        "road-closed (object NODE-NODE, the network nodes at the road's ends), "
        "zone-policy (object ZONE:closed_loop|permit|open[:TRUCK,TRUCK], from --at on)",
    )
    rp.add_argument(
        "--events",
        action="append",
        help="a JSON file of events (one or a list), repeatable: the JSON forms, e.g. a new "
        "zone with its polygon, checkpoints, relay stations and loop drivers",
    )
    rp.add_argument("-o", "--output", required=True, help="the new plan")
    rp.add_argument(
        "--instance-out",
        help="the day as it now is, which the new plan is for (default: beside -o, "
        "NAME.instance.json)",
    )
    rp.add_argument("--solver", help="solver configuration TOML for the rest of the day")
    rp.add_argument("--time-limit", type=float, help="seconds for the whole re-plan")
    rp.add_argument(
        "--truck-change",
        type=float,
        default=60.0,
        help="stability: cost per shipment moved to another truck (priority-weighted minutes)",
    )
    rp.add_argument(
        "--station-change",
        type=float,
        default=30.0,
        help="stability: cost per shipment whose relay stations change",
    )
    rp.add_argument(
        "--pickup-minute",
        type=float,
        default=0.5,
        help="stability: cost per minute a shipment's pickup moves",
    )
    rp.add_argument("-q", "--quiet", action="store_true", help="no summary")
    rp.set_defaults(func=cmd_replan)
    e = sub.add_parser(
        "export", help="write a plan as GeoJSON route maps, CSV tables and PNG charts"
    )
    e.add_argument("instance", help="instance JSON file")
    e.add_argument("plan", help="plan JSON made for that instance")
    e.add_argument("--geojson", metavar="FILE", help="RFC 7946 FeatureCollection of the plan")
    e.add_argument(
        "--split",
        action="store_true",
        help="also one GeoJSON per truck and per loop driver beside --geojson",
    )
    e.add_argument(
        "--split-types",
        action="store_true",
        help="also one GeoJSON per geometry type beside --geojson (points, lines, polygons): "
        "each can become a Shapefile or a GeoPackage layer",
    )
    e.add_argument(
        "--csv",
        metavar="DIR",
        help="one CSV per plan list: shipments, unserved, stops, legs, handovers, "
        "loop_drivers, excursions, passes, transloads, rail_bookings",
    )
    e.add_argument(
        "--xlsx", metavar="FILE", help="Excel workbook: a kpis sheet and one sheet per CSV table"
    )
    e.add_argument(
        "--charts", metavar="DIR", help="trucks.png, stations.png (timelines), delays.png"
    )
    e.add_argument("-q", "--quiet", action="store_true", help="no message when written")
    e.set_defaults(func=cmd_export)
    mp = sub.add_parser("map", help="write a self-contained HTML map of a plan")
    mp.add_argument("instance", help="instance JSON file (lon/lat: not euclidean)")
    mp.add_argument("plan", help="plan JSON made for that instance")
    mp.add_argument("-o", "--output", required=True, metavar="FILE", help="HTML file to write")
    mp.add_argument(
        "--tiles",
        choices=["osm", "light", "none"],
        default="osm",
        help="background map (fetched when viewed); none: works offline, the instance's own "
        "zones, roads and place names are the base",
    )
    mp.add_argument("--no-charts", action="store_true", help="leave out the report panel")
    mp.add_argument(
        "--no-slider", action="store_true", help="leave out the time slider that moves the trucks"
    )
    mp.add_argument("-q", "--quiet", action="store_true", help="no message when written")
    mp.set_defaults(func=cmd_map)
    cv = sub.add_parser(
        "convert", help="a Solomon/Homberger or Li & Lim benchmark file as a relayroute instance"
    )
    cv.add_argument("file", help="benchmark file (format told apart by content)")
    cv.add_argument("-o", "--output", required=True, metavar="FILE", help="instance JSON to write")
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
    cv.add_argument("-q", "--quiet", action="store_true", help="no summary line")
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
    cp.add_argument(
        "--time-limit",
        type=float,
        metavar="S",
        help="seconds per run (default: each configuration's; benchmark files 30)",
    )
    cp.add_argument(
        "--mode",
        choices=["distance", "hierarchical"],
        default="distance",
        help="benchmark files: distance only, or a fixed cost per vehicle first",
    )
    cp.add_argument(
        "-o", "--output", metavar="FILE", help="results CSV (and a gap chart PNG beside it)"
    )
    cp.add_argument("--chart", metavar="FILE", help="gap chart PNG (default: beside --output)")
    cp.add_argument("--workers", type=int, default=2, help="local processes running jobs")
    cp.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler (tcp://HOST:8786): run on that cluster instead of --workers",
    )
    cp.add_argument("-q", "--quiet", action="store_true", help="no progress or table")
    cp.set_defaults(func=cmd_compare)
    bn = sub.add_parser("bench", help="a configuration (and peers) over a named suite")
    bn.add_argument(
        "suite",
        choices=["solomon", "homberger-200", "lilim-100", "lilim-200", "relay", "sample"],
        help="literature family, relay (the scenarios in instances/) or sample (30 of issue 5)",
    )
    bn.add_argument(
        "--solver",
        nargs="+",
        metavar="TOML",
        help="configuration file(s) (default: solvers/default.toml)",
    )
    bn.add_argument("--peers", action="store_true", help="also plain OR-Tools, PyVRP and VROOM")
    bn.add_argument("--time-limit", type=float, default=30.0, help="seconds per run")
    bn.add_argument(
        "--mode",
        choices=["distance", "hierarchical", "both"],
        default="distance",
        help="distance only, a fixed cost per vehicle first, or both runs",
    )
    bn.add_argument(
        "--data",
        metavar="DIR",
        help="benchmark folder (default: $RELAYROUTE_BENCHMARKS, else ../shared/benchmarks)",
    )
    bn.add_argument("--limit", type=int, metavar="N", help="only the first N instances")
    bn.add_argument(
        "-o", "--output", metavar="FILE", help="results CSV (+ .summary.csv and .png beside it)"
    )
    bn.add_argument("--workers", type=int, default=2, help="local processes running jobs")
    bn.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="Dask scheduler (tcp://HOST:8786): run on that cluster instead of --workers",
    )
    bn.add_argument("-q", "--quiet", action="store_true", help="no progress or tables")
    bn.set_defaults(func=cmd_bench)
    sv = sub.add_parser(
        "serve",
        help="the pass service over HTTP for an instance and its plan (POST /insert, "
        "GET /passes, POST /validate; each change saved; graceful shutdown on SIGINT/SIGTERM)",
    )
    sv.add_argument("instance", help="instance JSON file")
    sv.add_argument("plan", help="its plan JSON (checked before serving)")
    sv.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (127.0.0.1: this machine only)"
    )
    sv.add_argument("--port", type=int, default=8000, help="TCP port, 0-65535")
    sv.add_argument(
        "--graceful",
        type=float,
        default=10.0,
        help="seconds requests in flight may still take after a stop signal",
    )
    keep = sv.add_mutually_exclusive_group()
    keep.add_argument(
        "--state-dir",
        metavar="DIR",
        help="folder each insertion is saved to, atomically; a restart on it carries on "
        "from there (default: beside PLAN, plan.json -> plan.state/)",
    )
    keep.add_argument(
        "--no-state", action="store_true", help="save nothing: insertions end with the service"
    )
    sv.add_argument(
        "--check-inserts",
        action="store_true",
        help="validate each new plan before taking it (0.3-1 s more a request on 500 shipments)",
    )
    sv.set_defaults(func=cmd_serve)
    g = sub.add_parser(
        "generate",
        help="a generated day on a bundled region (trucks and loop drivers in proportion)",
    )
    g.add_argument(
        "--region",
        required=True,
        help="bundled region: yiwu or liling; several comma-separated (yiwu,liling) for a "
        "province day, their roads joined (written to OUTPUT's stem + .roads/)",
    )
    g.add_argument("--shipments", type=int, required=True, help="shipments to draw")
    g.add_argument("--seed", type=int, help="random seed (default: the bundled day's)")
    g.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="write the instance JSON here"
    )
    g.add_argument(
        "--data", metavar="DIR", help="region data folder (default: the project's data/)"
    )
    g.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    g.set_defaults(func=cmd_generate)
    im = sub.add_parser(
        "import",
        help="a day from spreadsheets: CSV or Excel tables (one row per shipment, truck, "
        "driver pool ...) to instance JSON",
    )
    im.add_argument(
        "tables",
        nargs="*",
        metavar="TABLE",
        help="CSV files named after their table (shipments.csv, trucks.csv, day.csv ...) "
        "or .xlsx workbooks with a sheet per table; README: A day from spreadsheets",
    )
    im.add_argument(
        "--region",
        metavar="DIR",
        help="region folder: its roads (nodes, edges), its nodes' lon/lat and names for "
        "places left without, and any table not given",
    )
    im.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="instance JSON to write (with --tables-from: a folder of CSVs or an .xlsx)",
    )
    im.add_argument(
        "--tables-from",
        metavar="INSTANCE",
        help="the other way: write this instance's tables to -o, as a template",
    )
    im.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    im.set_defaults(func=cmd_import)
    sc = sub.add_parser(
        "schema", help="the JSON Schema of instance files (or --plan of plan files), for editors"
    )
    sc.add_argument("--plan", action="store_true", help="the plan's schema, not the instance's")
    sc.add_argument("-o", "--output", metavar="FILE", help="write it here instead of printing it")
    sc.add_argument("-q", "--quiet", action="store_true", help="no message when written")
    sc.set_defaults(func=cmd_schema)
    for name, command in sub.choices.items():
        if command.epilog is None and name in EXAMPLES:
            command.epilog = _examples(EXAMPLES[name])
    return p


# Packages of the optional extras (pyproject.toml), for a clear message when one is missing.
EXTRAS = {
    "folium": "maps",
    "matplotlib": "maps",
    "distributed": "dask",
    "pyvrp": "bench",
    "vroom": "bench",
    "vrplib": "bench",
    "fastapi": "serve",
    "uvicorn": "serve",
}


def error_markup(exc: InputError) -> str:
    """The one line bad input gets, as rich markup: ids and paths in it are the user's
    text, escaped, so they print as given."""
    return f"[red]error:[/] {escape(str(exc.where))}: {escape(exc.message)}"


def main(argv: list[str] | None = None) -> int:
    top = parser()
    args = top.parse_args(argv)
    if getattr(args, "func", None) is None:
        # No command: the help, on stderr, with argparse's exit code for a usage error.
        top.print_help(sys.stderr)
        return EXIT_BAD_INPUT
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
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())

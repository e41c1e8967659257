"""Every solver configuration on every instance, in parallel, in one table.

A *job* is one (instance, solver) pair. Instances are relayroute instance files (``.json``)
or literature benchmark files (Solomon/Homberger, Li & Lim; converted on the fly by
:mod:`relayroute.bench.literature`). Solvers are relayroute configuration files (TOML) or a
peer, ``peer:pyvrp``, ``peer:vroom`` or ``peer:ortools`` (benchmark files only).

Jobs run in local processes (:class:`concurrent.futures.ProcessPoolExecutor`) or on a
Dask cluster (``dask.distributed``); each worker runs one job at a time, single-threaded
where the solver allows, so jobs do not steal time from each other. Every result is
checked independently: relayroute instances by :func:`relayroute.validate.validate`,
benchmark routes (of every solver alike) by :func:`relayroute.bench.literature.check_routes`,
which also measures their distance in the file's own numbers.

A stop (SIGINT or SIGTERM in the command line, :func:`relayroute.solve.stop.halt` from
Python) ends the runs in progress at once — relayroute's search keeps its best plan, a peer
is stopped (its child process terminated) — and skips the runs not started. Every row says
how its run ended in ``status``: ``done``, ``interrupted`` (cut short: its numbers are what
it had, not counted in summaries) or ``skipped`` (no result).
"""

from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing
import os
import platform
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relayroute._version import __version__
from relayroute.errors import InputError
from relayroute.solve.stop import halt, halted, stop_requested

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from multiprocessing.synchronize import Event

    from matplotlib.figure import Figure

COLUMNS = [
    "instance",
    "family",
    "solver",
    "mode",
    "feasible",
    "served",
    "requests",
    "vehicles",
    "objective",
    "distance",
    "weighted_delay",
    "lower_bound",
    "bks_vehicles",
    "bks_distance",
    "gap_pct",
    "seconds",
    "status",
    "error",
    # What makes a row repeatable and comparable across runs (see _stamp):
    "seed",
    "config_hash",
    "relayroute_version",
    "date",
    "machine",
]
# How a run ended: whole, cut short by a stop (numbers as it had them), or no result.
DONE, INTERRUPTED, SKIPPED = "done", "interrupted", "skipped"
# Seconds the runs in progress get to return their best after a stop before their worker
# processes are killed (relayroute's search and the peers stop well within it).
STOP_GRACE = 3.0
# Seconds per run on benchmark files when no --time-limit is given.
BENCH_TIME_LIMIT = 30.0
# Peers that take the seed they are given (0); VROOM has none.
SEEDED_PEERS = {"ortools", "pyvrp"}
# Seconds to reach a Dask scheduler before saying it does not answer.
DASK_CONNECT_SECONDS = 10.0


@dataclass(frozen=True)
class Job:
    instance: str
    solver: str
    time_limit: float | None = None
    mode: str = "distance"
    bks: str | None = None


def family_of(path: str) -> str:
    """Benchmark family from a file's place: solomon, homberger_200, lilim_100, … or relay."""
    p = Path(path)
    if p.suffix == ".json":
        return "relay"
    parts = [x.lower() for x in p.parts]
    if "solomon" in parts:
        return "solomon"
    if "homberger" in parts:
        return f"homberger_{parts[parts.index('homberger') + 1]}"
    if "lilim" in parts:
        sub = parts[parts.index("lilim") + 1]
        return f"lilim_{sub.removeprefix('pdp_')}"
    return "other"


def find_bks(instance: str) -> Path | None:
    """``bks.csv`` in the folder of a benchmark file or one of its parents."""
    for parent in Path(instance).resolve().parents[:4]:
        if (parent / "bks.csv").is_file():
            return parent / "bks.csv"
    return None


def read_bks(path: Path) -> dict[tuple[str, str], tuple[int, float]]:
    out = {}
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            out[(row["family"], row["instance"])] = (int(row["vehicles"]), float(row["distance"]))
    return out


def _solver_label(solver: str) -> str:
    if solver.startswith("peer:"):
        return solver
    from relayroute.solve import read_config

    return read_config(solver).name


def _new_row(job: Job) -> dict[str, Any]:
    row: dict[str, Any] = {c: None for c in COLUMNS}
    row.update(
        instance=Path(job.instance).stem,
        family=family_of(job.instance),
        solver=job.solver,
        mode=job.mode,
        feasible=False,
        status=DONE,
        error="",
        relayroute_version=__version__,
    )
    return row


def machine() -> str:
    """The machine a run ran on, as a row states it: host name, architecture, CPUs."""
    return f"{platform.node() or 'unknown'} ({platform.machine()}, {os.cpu_count()} CPUs)"


def _stamp(job: Job) -> dict[str, Any]:
    """The seed of a job's solver and the hash of its configuration as run.

    The hash is the first 12 hex digits of the SHA-256 of the configuration's fields as
    JSON (sorted keys), with the time limit the run gets: two rows with the same hash ran
    the same search. A peer's configuration is its name and the time limit.
    """
    limit = job.time_limit
    seed: int | None
    if job.solver.startswith("peer:"):
        name = job.solver.removeprefix("peer:")
        conf: dict[str, Any] = {"peer": name}
        seed = 0 if name in SEEDED_PEERS else None
    else:
        from relayroute.solve import read_config

        config = read_config(job.solver)
        conf = config.model_dump(mode="json")
        seed = config.seed
        if limit is None and job.instance.endswith(".json"):
            limit = config.time_limit
    conf["time_limit"] = BENCH_TIME_LIMIT if limit is None else limit
    text = json.dumps(conf, sort_keys=True, default=str)
    return {"seed": seed, "config_hash": hashlib.sha256(text.encode()).hexdigest()[:12]}


def skipped_row(job: Job, why: str = "not run: the command was interrupted") -> dict[str, Any]:
    """The row of a job that gave no result (status ``skipped``, ``why`` as its error)."""
    row = _new_row(job)
    with suppress(Exception):  # a configuration that does not read: the row keeps its path
        row["solver"] = _solver_label(job.solver)
        row.update(_stamp(job))
    row.update(status=SKIPPED, error=why)
    return row


def run_job(job: Job) -> dict[str, Any]:
    """Run one job; never raises: a failure is a row with ``error`` set.

    After a :func:`~relayroute.solve.stop.halt` the job is skipped; a halt during the run
    stops it and marks its row ``interrupted``.
    """
    if halted():
        return skipped_row(job)
    row = _new_row(job)
    row["machine"] = machine()  # where it runs: a Dask worker's, not the client's
    t0 = time.perf_counter()
    try:
        row["solver"] = _solver_label(job.solver)
        row.update(_stamp(job))
        if job.instance.endswith(".json"):
            _run_relay(job, row)
        else:
            _run_benchmark(job, row)
    except InputError as exc:
        row["error"] = f"{exc.where}: {exc.message}"
    except Exception as exc:  # one failing job must not sink the table
        row["error"] = f"{type(exc).__name__}: {exc}"
        if stop_requested():  # it failed being stopped
            row["status"] = INTERRUPTED
    row["seconds"] = round(time.perf_counter() - t0, 2)
    row["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    return row


def _run_relay(job: Job, row: dict[str, Any]) -> None:
    from relayroute.io.instance import read_instance
    from relayroute.solve import read_config, solve
    from relayroute.validate import validate

    if job.solver.startswith("peer:"):
        row["error"] = "peers solve literature benchmarks only"
        return
    loaded = read_instance(job.instance)
    plan = solve(loaded, read_config(job.solver), time_limit=job.time_limit)
    if plan.solver.get("interrupted"):
        row["status"] = INTERRUPTED
    report = validate(loaded.instance, plan, loaded.base)
    k = plan.kpis
    row.update(
        feasible=report.ok,
        served=k.served,
        requests=len(loaded.instance.shipments),
        vehicles=k.trucks_used,
        objective=round(k.objective, 2),
        weighted_delay=round(k.weighted_delay, 1),
        lower_bound=round(k.delay_lower_bound, 1),
    )
    if not report.ok:
        row["error"] = f"{len(report.violations)} violations: {report.violations[0]}"


def _run_benchmark(job: Job, row: dict[str, Any]) -> None:
    from relayroute.bench.literature import (
        benchmark_instance,
        check_routes,
        plan_routes,
        read_benchmark,
        total_distance,
    )
    from relayroute.bench.peers import PEERS

    bench = read_benchmark(job.instance)
    limit = BENCH_TIME_LIMIT if job.time_limit is None else job.time_limit
    hierarchical = job.mode == "hierarchical"
    if job.solver.startswith("peer:"):
        name = job.solver.removeprefix("peer:")
        if name not in PEERS:
            raise InputError("--solvers", f"unknown peer {name!r} (one of {', '.join(PEERS)})")
        routes = PEERS[name](bench, limit, hierarchical)
        # A peer stopped early has no way to say so: a stop during its run marks it.
        if stop_requested():
            row["status"] = INTERRUPTED
    else:
        from relayroute.io.instance import LoadedInstance
        from relayroute.solve import read_config, solve

        inst = benchmark_instance(bench, mode=job.mode)
        loaded = LoadedInstance(inst, Path(job.instance).parent, "")
        plan = solve(loaded, read_config(job.solver), time_limit=limit)
        if plan.solver.get("interrupted"):
            row["status"] = INTERRUPTED
        routes = plan_routes(plan)
        row["objective"] = round(plan.kpis.objective, 2)
    requests = len(bench.nodes) - 1 if bench.kind == "vrptw" else (len(bench.nodes) - 1) // 2
    errors = check_routes(bench, routes) if routes else ["no solution"]
    visited = {i for r in routes for i in r}
    row.update(
        requests=requests,
        served=sum(1 for n in bench.nodes[1:] if n.no in visited and not n.pickup),
        vehicles=sum(1 for r in routes if r),
        feasible=not errors,
        distance=round(total_distance(bench, routes), 4) if routes else None,
    )
    if errors:
        row["error"] = errors[0] + (f" (+{len(errors) - 1} more)" if len(errors) > 1 else "")
    bks_file = Path(job.bks) if job.bks else find_bks(job.instance)
    if bks_file is not None:
        table = read_bks(bks_file)
        known = table.get((row["family"], bench.name)) or table.get(
            (row["family"], Path(job.instance).stem)
        )
        if known:
            row["bks_vehicles"], row["bks_distance"] = known
            if row["distance"] is not None and not errors:
                row["gap_pct"] = round(100 * (row["distance"] - known[1]) / known[1], 3)


def run_jobs(
    jobs: list[Job],
    workers: int = 2,
    scheduler: str | None = None,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run every job; rows come back in the order of ``jobs``.

    A :func:`~relayroute.solve.stop.halt` (from a signal handler or another thread) stops
    the runs in progress, which return their best within :data:`STOP_GRACE` seconds (or
    their worker processes are killed), and skips the rest: their rows have status
    ``skipped``.

    Parameters
    ----------
    jobs
        The (instance, solver) pairs.
    workers
        Local processes (ignored with ``scheduler``).
    scheduler
        Address of a Dask scheduler (``tcp://host:8786``): run the jobs on that cluster.
        Its workers need relayroute installed and the jobs' files at the same absolute
        paths (:func:`jobs_for` makes them absolute). A stop cancels its jobs not
        finished; a run already going on a worker is left to end there, its result not
        waited for.
    on_done
        Called with each row of a run as it finishes (progress); not for skipped runs.

    Raises
    ------
    InputError
        ``scheduler`` is not an address, or no scheduler answers there within
        :data:`DASK_CONNECT_SECONDS`.
    """
    rows: list[dict[str, Any] | None] = [None] * len(jobs)

    def finished(k: int, row: dict[str, Any]) -> None:
        rows[k] = row
        if on_done and row["status"] != SKIPPED:
            on_done(row)

    if not halted():
        if scheduler:
            _on_dask(jobs, scheduler, finished)
        else:
            _in_processes(jobs, workers, finished)
    return [r if r is not None else skipped_row(job) for r, job in zip(rows, jobs, strict=True)]


def _in_processes(
    jobs: list[Job], workers: int, finished: Callable[[int, dict[str, Any]], None]
) -> None:
    ctx = multiprocessing.get_context()
    stop = ctx.Event()  # set on a halt: every worker stops its run and skips the rest
    pool = ProcessPoolExecutor(
        max_workers=max(1, workers), mp_context=ctx, initializer=_worker_start, initargs=(stop,)
    )
    try:
        with _signals_blocked():  # the workers start (fork) here: see _worker_start
            pending = {pool.submit(run_job, job): k for k, job in enumerate(jobs)}
        deadline: float | None = None
        while pending:
            done, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            for fut in done:
                k = pending.pop(fut)
                if fut.cancelled():
                    continue
                exc = fut.exception()
                if exc is not None and halted():  # its worker ended while stopping
                    finished(k, skipped_row(jobs[k], f"stopped: {type(exc).__name__}"))
                else:
                    finished(k, fut.result())
            if halted() and deadline is None:
                stop.set()
                for fut in pending:
                    fut.cancel()  # those not handed to a worker yet
                deadline = time.monotonic() + STOP_GRACE
            elif deadline is not None and pending and time.monotonic() > deadline:
                why = f"stopped: no result within {STOP_GRACE:g} s of the stop"
                for k in pending.values():
                    finished(k, skipped_row(jobs[k], why))
                # The pool has no public way to end a run: its workers are killed.
                for proc in list((getattr(pool, "_processes", None) or {}).values()):
                    proc.kill()
                break
    except BaseException:  # KeyboardInterrupt without our handlers, a bug: stop them too
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _on_dask(
    jobs: list[Job], scheduler: str, finished: Callable[[int, dict[str, Any]], None]
) -> None:
    from distributed import Client

    try:
        client = Client(scheduler, timeout=DASK_CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(
            "--scheduler",
            f"no Dask scheduler answers at {scheduler} ({exc}); start one with `dask "
            "scheduler` and workers with `dask worker ADDRESS` (README: Comparing on a Dask "
            "cluster)",
        ) from None
    with client:
        futures = client.map(run_job, jobs, pure=False)
        remaining = dict(enumerate(futures))
        while remaining:
            for k in [k for k, fut in remaining.items() if fut.done()]:
                finished(k, _dask_row(jobs[k], remaining.pop(k)))
            if halted() and remaining:
                client.cancel(list(remaining.values()))
                for k in remaining:
                    finished(k, skipped_row(jobs[k], "cancelled: the command was interrupted"))
                break
            time.sleep(0.05)


def _dask_row(job: Job, future: Any) -> dict[str, Any]:
    """A finished Dask future's row; a worker that could not run the job at all (no
    relayroute there, or it died) gives an error row, not a crash of the whole table."""
    try:
        return dict(future.result())
    except Exception as exc:
        row = _new_row(job)
        hint = ""
        if isinstance(exc, ModuleNotFoundError | ImportError):
            hint = " (is relayroute installed on every worker? pip install -e . there)"
        row["error"] = f"on the Dask worker: {type(exc).__name__}: {exc}{hint}"
        return row


@contextmanager
def _signals_blocked() -> Iterator[None]:
    """SIGINT and SIGTERM wait (in this thread) while worker processes are forked: a
    child then never runs the parent's handlers, which write to the parent's wake-up
    pipe (a signal there would count as the parent's own)."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no fork, nothing inherited
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _worker_start(stop: Event) -> None:
    """In each worker process: its own signal handling, and a thread that halts the
    worker's run the moment the parent sets ``stop``."""
    signal.set_wakeup_fd(-1)  # a forked child shares the parent's wake-up pipe: not ours
    for s in (signal.SIGINT, signal.SIGTERM):  # from a terminal, sent to every process
        signal.signal(s, _halt_on_signal)
    threading.Thread(target=_follow, args=(stop,), name="relayroute-stop", daemon=True).start()
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


def _halt_on_signal(_signum: int, _frame: object) -> None:
    halt()


def _follow(stop: Event) -> None:
    stop.wait()
    halt()


def jobs_for(
    instances: Iterable[str],
    solvers: Iterable[str],
    time_limit: float | None,
    mode: str = "distance",
    bks: str | None = None,
) -> list[Job]:
    """Every solver on every instance (instances outer, so early rows fill a table).

    Paths are made absolute here, against the working directory of the caller: a job
    shipped to a Dask worker started in another folder still finds its files.
    """
    solvers = [s if s.startswith("peer:") else str(Path(s).resolve()) for s in solvers]
    where = str(Path(bks).resolve()) if bks else None
    return [
        Job(str(Path(i).resolve()), s, time_limit, mode, where) for i in instances for s in solvers
    ]


def completed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of whole runs (status ``done``; rows without a status count as done)."""
    return [r for r in rows if r.get("status", DONE) == DONE]


def interrupted_note(rows: list[dict[str, Any]], most: int = 10) -> str | None:
    """One line on the runs a stop cut short or skipped (None: every run was whole).

    Parameters
    ----------
    rows
        Result rows, as from :func:`run_jobs`.
    most
        Runs named at most per kind; the rest are counted.
    """
    cut = [r for r in rows if r.get("status") == INTERRUPTED]
    skipped = [r for r in rows if r.get("status") == SKIPPED]
    if not cut and not skipped:
        return None

    modes = len({r.get("mode") for r in rows}) > 1  # then named too

    def names(some: list[dict[str, Any]]) -> str:
        text = ", ".join(
            f"{r['instance']} · {r['solver']}" + (f" · {r['mode']}" if modes else "")
            for r in some[:most]
        )
        return text + (f" and {len(some) - most} more" if len(some) > most else "")

    text = f"interrupted: {len(rows) - len(cut) - len(skipped)} of {len(rows)} runs done"
    if cut:
        text += f"; cut short (not counted in summaries): {names(cut)}"
    if skipped:
        text += f"; skipped: {names(skipped)}"
    return text


def write_csv(rows: list[dict[str, Any]], path: str | Path) -> None:
    import pandas as pd

    from relayroute.io.atomic import write_text_atomic

    df = pd.DataFrame(rows, columns=COLUMNS)
    for c in ("served", "requests", "vehicles", "bks_vehicles"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("Int64")
    write_text_atomic(path, df.to_csv(index=False))


def prepare_chart() -> None:
    """Import the plotting library now, before the runs: after a stop the chart of what
    ran is then drawn at once (the import takes a second or more on a busy machine), and
    a missing library is reported before any run, not after them all."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot


# The chart's panels: one unit each (a family's rows go to the panel of its kind).
GAP_PANELS = {
    "benchmarks": "mean distance gap to the BKS (%)",
    "relay": "mean weighted delay above the lower bound (priority × min)",
}


def gap_figure(rows: list[dict[str, Any]]) -> Figure:
    """The gap chart as a figure: one panel per unit — literature benchmarks (distance gap
    to the BKS, %) and relay instances (weighted delay above the lower bound, priority ×
    min) — with bars per configuration and family, each labelled with its share feasible.

    Only whole runs are drawn; after a stop the title says how many runs that is.

    Parameters
    ----------
    rows
        Result rows, as from :func:`run_jobs`.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per kind of instance present (one with a note when nothing ran).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    note = interrupted_note(rows)
    df = pd.DataFrame(completed(rows), columns=COLUMNS)
    num = {
        c: pd.to_numeric(df[c], errors="coerce")
        for c in ("gap_pct", "weighted_delay", "lower_bound")
    }
    relay = df["family"] == "relay"
    df["gap"] = num["gap_pct"].where(~relay, num["weighted_delay"] - num["lower_bound"])
    df["kind"] = relay.map({True: "relay", False: "benchmarks"})
    df["feasible"] = df["feasible"].astype(float)
    # One group of bars per family, and per mode when a run has both.
    df["group"] = df["family"] if df["mode"].nunique() <= 1 else df["family"] + " · " + df["mode"]
    kinds = [k for k in GAP_PANELS if (df["kind"] == k).any()] or ["benchmarks"]
    tables = {}
    for kind in kinds:
        part = df[df["kind"] == kind]
        gap = part.pivot_table(index="group", columns="solver", values="gap", aggfunc="mean")
        feas = part.pivot_table(index="group", columns="solver", values="feasible", aggfunc="mean")
        tables[kind] = (gap, feas)
    bars = max(len(g.index) * max(1, len(g.columns)) for g, _ in tables.values())
    # A configuration has the same colour in every panel.
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    colour = {s: cycle[k % len(cycle)] for k, s in enumerate(sorted(df["solver"].unique()))}
    width = min(16.0, max(6.0, 2.0 + 0.45 * bars))
    fig, axes = plt.subplots(len(kinds), 1, figsize=(width, 4.0 * len(kinds)), squeeze=False)
    for ax, kind in zip(axes[:, 0], kinds, strict=True):
        gap, feas = tables[kind]
        if gap.empty:
            ax.text(0.5, 0.5, "no feasible result to compare", ha="center", transform=ax.transAxes)
        else:
            gap.plot.bar(ax=ax, rot=0, color=[colour[s] for s in gap.columns])
            for cont, solver in zip(ax.containers, gap.columns, strict=False):
                labels = [
                    f"{feas.loc[fam, solver]:.0%}" if fam in feas.index else "" for fam in gap.index
                ]
                ax.bar_label(cont, labels=labels, fontsize=7, padding=2)  # type: ignore[arg-type]
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_ylabel(GAP_PANELS[kind], fontsize=9)
        ax.set_xlabel("family" if kind == "benchmarks" else "relay instances")
    title = "Gap per configuration (labels: share feasible)"
    if note is not None:
        title += f"\ninterrupted: {len(completed(rows))} of {len(rows)} runs done"
    axes[0, 0].set_title(title)
    fig.tight_layout()
    return fig


def gap_chart(rows: list[dict[str, Any]], path: str | Path) -> None:
    """Write :func:`gap_figure` of ``rows`` as a PNG at ``path`` (atomically)."""
    import io

    import matplotlib.pyplot as plt

    from relayroute.io.atomic import write_bytes_atomic

    fig = gap_figure(rows)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    write_bytes_atomic(path, buf.getvalue())


# Row fields that differ between two runs of the same jobs on the same machine.
TIME_FIELDS = ("seconds", "date")


def rows_equal_but_time(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    """Two result tables agree in everything but the seconds taken and the date."""
    strip = [{k: v for k, v in r.items() if k not in TIME_FIELDS} for r in a]
    return strip == [{k: v for k, v in r.items() if k not in TIME_FIELDS} for r in b]


__all__ = [
    "COLUMNS",
    "Job",
    "completed",
    "gap_chart",
    "gap_figure",
    "interrupted_note",
    "jobs_for",
    "prepare_chart",
    "rows_equal_but_time",
    "run_job",
    "run_jobs",
    "skipped_row",
    "write_csv",
]

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
"""

from __future__ import annotations

import csv
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from relayroute.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

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
    "error",
]


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


def run_job(job: Job) -> dict[str, Any]:
    """Run one job; never raises: a failure is a row with ``error`` set."""
    row: dict[str, Any] = {c: None for c in COLUMNS}
    row.update(
        instance=Path(job.instance).stem,
        family=family_of(job.instance),
        solver=job.solver,
        mode=job.mode,
        feasible=False,
        error="",
    )
    t0 = time.perf_counter()
    try:
        row["solver"] = _solver_label(job.solver)
        if job.instance.endswith(".json"):
            _run_relay(job, row)
        else:
            _run_benchmark(job, row)
    except InputError as exc:
        row["error"] = f"{exc.where}: {exc.message}"
    except Exception as exc:  # one failing job must not sink the table
        row["error"] = f"{type(exc).__name__}: {exc}"
    row["seconds"] = round(time.perf_counter() - t0, 2)
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
    limit = 30.0 if job.time_limit is None else job.time_limit
    hierarchical = job.mode == "hierarchical"
    if job.solver.startswith("peer:"):
        name = job.solver.removeprefix("peer:")
        if name not in PEERS:
            raise InputError("--solvers", f"unknown peer {name!r} (one of {', '.join(PEERS)})")
        routes = PEERS[name](bench, limit, hierarchical)
    else:
        from relayroute.io.instance import LoadedInstance
        from relayroute.solve import read_config, solve

        inst = benchmark_instance(bench, mode=job.mode)
        loaded = LoadedInstance(inst, Path(job.instance).parent, "")
        plan = solve(loaded, read_config(job.solver), time_limit=limit)
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

    Parameters
    ----------
    jobs
        The (instance, solver) pairs.
    workers
        Local processes (ignored with ``scheduler``).
    scheduler
        Address of a Dask scheduler (``tcp://host:8786``): run the jobs on that cluster.
    on_done
        Called with each row as it finishes (progress).
    """
    rows: list[dict[str, Any] | None] = [None] * len(jobs)
    if scheduler:
        from distributed import Client
        from distributed import as_completed as dask_completed

        with Client(scheduler) as client:
            futures = client.map(run_job, jobs, pure=False)
            index = {f.key: k for k, f in enumerate(futures)}
            for fut in dask_completed(futures):
                row = fut.result()
                rows[index[fut.key]] = row
                if on_done:
                    on_done(row)
    else:
        with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
            pending = {pool.submit(run_job, job): k for k, job in enumerate(jobs)}
            for fut in as_completed(pending):
                row = fut.result()
                rows[pending[fut]] = row
                if on_done:
                    on_done(row)
    return [r for r in rows if r is not None]


def jobs_for(
    instances: Iterable[str],
    solvers: Iterable[str],
    time_limit: float | None,
    mode: str = "distance",
    bks: str | None = None,
) -> list[Job]:
    """Every solver on every instance (instances outer, so early rows fill a table)."""
    solvers = list(solvers)
    return [Job(str(i), s, time_limit, mode, bks) for i in instances for s in solvers]


def write_csv(rows: list[dict[str, Any]], path: str | Path) -> None:
    import pandas as pd

    from relayroute.io.atomic import write_text_atomic

    df = pd.DataFrame(rows, columns=COLUMNS)
    for c in ("served", "requests", "vehicles", "bks_vehicles"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("Int64")
    write_text_atomic(path, df.to_csv(index=False))


def gap_chart(rows: list[dict[str, Any]], path: str | Path) -> None:
    """Bar chart: mean gap per configuration and family (to the BKS for benchmarks, to
    the delay lower bound for relay instances), with the share feasible on each bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from relayroute.io.atomic import write_bytes_atomic

    df = pd.DataFrame(rows, columns=COLUMNS)
    num = {
        c: pd.to_numeric(df[c], errors="coerce")
        for c in ("gap_pct", "weighted_delay", "lower_bound")
    }
    relay = df["family"] == "relay"
    df["gap"] = num["gap_pct"].where(~relay, num["weighted_delay"] - num["lower_bound"])
    df["feasible"] = df["feasible"].astype(float)
    # One group of bars per family, and per mode when a run has both.
    df["group"] = df["family"] if df["mode"].nunique() <= 1 else df["family"] + " · " + df["mode"]
    table = df.pivot_table(index="group", columns="solver", values="gap", aggfunc="mean")
    feas = df.pivot_table(index="group", columns="solver", values="feasible", aggfunc="mean")
    fig, ax = plt.subplots(
        figsize=(
            min(16.0, max(6.0, 2.0 + 0.45 * len(table.index) * max(1, len(table.columns)))),
            4.5,
        )
    )
    if table.empty:
        ax.text(0.5, 0.5, "no feasible result to compare", ha="center", transform=ax.transAxes)
    else:
        table.plot.bar(ax=ax, rot=0)
        for cont, solver in zip(ax.containers, table.columns, strict=False):
            labels = [
                f"{feas.loc[fam, solver]:.0%}" if fam in feas.index else "" for fam in table.index
            ]
            ax.bar_label(cont, labels=labels, fontsize=7, padding=2)  # type: ignore[arg-type]
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("mean gap: % to BKS (benchmarks) / delay − LB (relay)")
    ax.set_title("Gap per configuration (labels: share feasible)")
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    write_bytes_atomic(path, buf.getvalue())


def rows_equal_but_time(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    """Two result tables agree in everything but the seconds taken."""
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in a]
    return strip == [{k: v for k, v in r.items() if k != "seconds"} for r in b]


__all__ = [
    "COLUMNS",
    "Job",
    "gap_chart",
    "jobs_for",
    "rows_equal_but_time",
    "run_job",
    "run_jobs",
    "write_csv",
]

"""Pictures of a plan (matplotlib, no screen needed): timelines of trucks and of relay
stations' bays and loop drivers, and a histogram of delays."""

from __future__ import annotations

import heapq
import io
from datetime import datetime, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never a window

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
from matplotlib.colors import to_hex
from matplotlib.patches import Patch

from relayroute.io.atomic import write_bytes_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from relayroute.model.instance import Instance
    from relayroute.model.plan import Plan

# matplotlib's own colours, no palette typed out: "tab10" is its default colour cycle
# (blue for outside drivers, orange for loop drivers, its grey for transloads); stops are
# a dark grey in its grey-level notation.
_CYCLE = matplotlib.colormaps["tab10"]
OUTSIDE, LOOP, RAIL = (to_hex(_CYCLE(i)) for i in (0, 1, 7))
SERVICE = "0.2"


def _hours_axis(ax: plt.Axes, lo: float, hi: float, start: datetime) -> None:
    """The x axis in one unit, the clock time of the instance's day (its UTC offset),
    ticks on whole hours after ``start``; ``lo`` and ``hi`` in minutes from it."""
    lo_h, hi_h = int(lo // 60), int(-(-hi // 60))
    step = max(1, (hi_h - lo_h) // 12)
    ticks = list(range(lo_h, hi_h + 1, step))
    day0 = start.date()
    labels = []
    for t in ticks:
        at = start + timedelta(hours=t)
        days = (at.date() - day0).days
        labels.append(f"{at:%H:%M}" + (f"\n+{days}d" if days else ""))
    ax.set_xticks([t * 60 for t in ticks])
    ax.set_xticklabels(labels)
    ax.set_xlim(lo_h * 60, hi_h * 60)
    ax.set_xlabel(f"time of day (hh:mm, UTC{start:%z})")
    ax.grid(axis="x", alpha=0.3)


def _frame(fig: Figure, title: str, handles: list[Patch]) -> None:
    """Title and legend above the plot, in a band of fixed height whatever the figure's."""
    h = fig.get_figheight()
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.85 / h))
    fig.suptitle(title, y=1 - 0.08 / h, va="top")
    fig.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - 0.36 / h),
        ncol=3,
        fontsize=8,
        frameon=False,
    )


def _height(rows: int) -> float:
    return min(60.0, 2.0 + 0.24 * max(rows, 1))


def truck_timeline(inst: Instance, plan: Plan) -> Figure:
    """One row per truck: driving legs (outside / loop driver) and stops (service, handover).

    Returns
    -------
    matplotlib.figure.Figure
    """
    routes = sorted(plan.routes, key=lambda r: r.truck)
    fig, ax = plt.subplots(figsize=(12, _height(len(routes))))
    lo, hi = float(inst.horizon), 0.0
    for y, r in enumerate(routes):
        out = [(g.depart, g.arrive - g.depart) for g in r.legs if g.driver_kind == "outside"]
        loop = [(g.depart, g.arrive - g.depart) for g in r.legs if g.driver_kind == "loop"]
        stops = [(s.arrive, max(s.depart - s.arrive, 0.5)) for s in r.stops[1:-1]]
        ax.broken_barh(out, (y - 0.35, 0.7), facecolors=OUTSIDE)
        ax.broken_barh(loop, (y - 0.35, 0.7), facecolors=LOOP)
        ax.broken_barh(stops, (y - 0.2, 0.4), facecolors=SERVICE)
        if r.stops:
            lo, hi = min(lo, r.stops[0].depart), max(hi, r.stops[-1].arrive)
    for b in plan.rail_bookings:
        lo, hi = min(lo, b.departure), max(hi, b.arrival)
    ax.set_yticks(range(len(routes)))
    ax.set_yticklabels([r.truck for r in routes], fontsize=7 if len(routes) > 40 else 9)
    ax.set_ylim(len(routes) - 0.5, -0.5)
    ax.tick_params(labeltop=len(routes) > 40)
    _hours_axis(ax, lo if hi > lo else 0.0, hi if hi > lo else float(inst.horizon), inst.start)
    ax.set_ylabel("truck")
    _frame(
        fig,
        f"{plan.instance.name}: trucks through the day",
        [
            Patch(color=OUTSIDE, label="driving, outside driver"),
            Patch(color=LOOP, label="driving, loop driver"),
            Patch(color=SERVICE, label="at a stop"),
        ],
    )
    return fig


def _bays(intervals: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Intervals put on the fewest rows with no overlap (first free row, by start)."""
    rows: list[list[tuple[float, float]]] = []
    free: list[tuple[float, int]] = []  # (row free from, row)
    for a, b in sorted(intervals):
        if free and free[0][0] <= a + 1e-9:
            _, k = heapq.heappop(free)
        else:
            k = len(rows)
            rows.append([])
        rows[k].append((a, b))
        heapq.heappush(free, (b, k))
    return rows


def station_timeline(inst: Instance, plan: Plan) -> Figure:
    """Each relay station: its bays (handovers, on the fewest rows that do not overlap),
    its transloads, and one row per loop driver (excursions into the zone).

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows: list[tuple[str, list[tuple[float, float]], str]] = []
    for st in inst.relay_stations:
        hand = [(h.start, h.end) for h in plan.handovers if h.station == st.id]
        for k, bay in enumerate(_bays(hand)):
            rows.append((f"{st.id} bay {k + 1}", bay, SERVICE))
        tl = [(t.time, t.ready) for t in plan.transloads if t.station == st.id]
        if tl:
            for k, bay in enumerate(_bays(tl)):
                rows.append((f"{st.id} transload {k + 1}", bay, RAIL))
        for d in sorted(plan.loop_drivers, key=lambda d: d.driver):
            if d.station == st.id:
                rows.append((d.driver, [(e.start, e.end) for e in d.excursions], LOOP))
    fig, ax = plt.subplots(figsize=(12, _height(len(rows))))
    lo, hi = float(inst.horizon), 0.0
    for y, (_, spans, colour) in enumerate(rows):
        ax.broken_barh([(a, max(b - a, 0.5)) for a, b in spans], (y - 0.35, 0.7), facecolors=colour)
        for a, b in spans:
            lo, hi = min(lo, a), max(hi, b)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows], fontsize=7 if len(rows) > 40 else 9)
    ax.set_ylim(max(len(rows), 1) - 0.5, -0.5)
    ax.tick_params(labeltop=len(rows) > 40)
    _hours_axis(ax, lo if hi > lo else 0.0, hi if hi > lo else float(inst.horizon), inst.start)
    ax.set_ylabel("bay or loop driver")
    if not rows:
        ax.text(0.5, 0.5, "no relay station activity", ha="center", transform=ax.transAxes)
        ax.set_yticks([])
    _frame(
        fig,
        f"{plan.instance.name}: relay stations — bays and loop drivers",
        [
            Patch(color=SERVICE, label="handover in a bay"),
            Patch(color=RAIL, label="transload"),
            Patch(color=LOOP, label="loop driver inside with a truck"),
        ],
    )
    return fig


def delay_histogram(inst: Instance, plan: Plan) -> Figure:
    """Delays of the served shipments, with the number unserved in the title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    delays = [o.delay for o in plan.shipments]
    fig, ax = plt.subplots(figsize=(8, 4))
    late = [d for d in delays if d > 0]
    bins = max(5, min(40, len(late) // 3 + 1))
    ax.hist(late, bins=bins, color=LOOP, edgecolor="white")
    ax.set_xlabel("delay past due (minutes)")
    ax.set_ylabel("shipments (count)")
    ax.set_title(
        f"{plan.instance.name}: {len(delays) - len(late)} on time, {len(late)} late, "
        f"{len(plan.unserved)} unserved"
    )
    fig.tight_layout()
    return fig


CHARTS = {
    "trucks": truck_timeline,
    "stations": station_timeline,
    "delays": delay_histogram,
}


def chart_png(fig: Figure, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def chart_pngs(inst: Instance, plan: Plan) -> dict[str, bytes]:
    """Every chart of :data:`CHARTS` as PNG bytes, by name."""
    return {name: chart_png(make(inst, plan)) for name, make in CHARTS.items()}


def chart_files(inst: Instance, plan: Plan, folder: str | Path) -> dict[Path, bytes]:
    """``trucks.png``, ``stations.png`` and ``delays.png`` in ``folder``, by path."""
    return {Path(folder) / f"{name}.png": data for name, data in chart_pngs(inst, plan).items()}


def write_charts(inst: Instance, plan: Plan, folder: str | Path) -> list[Path]:
    """Write ``trucks.png``, ``stations.png`` and ``delays.png`` into ``folder``."""
    blobs = chart_files(inst, plan, folder)
    for p, data in blobs.items():
        write_bytes_atomic(p, data)
    return list(blobs)

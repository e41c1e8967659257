"""Plans as tables (pandas): one row per truck stop, one row per shipment, for spreadsheets."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from relayroute.io.atomic import write_text_atomic

if TYPE_CHECKING:
    from relayroute.model.instance import Instance
    from relayroute.model.plan import Plan


def _clock(inst: Instance, minutes: pd.Series) -> pd.Series:
    """ISO 8601 local times (with the instance's UTC offset) for minutes from its start."""
    return minutes.map(
        lambda m: (
            None
            if pd.isna(m)
            else (inst.start + timedelta(minutes=float(m))).isoformat(timespec="seconds")
        )
    )


def stops_table(inst: Instance, plan: Plan) -> pd.DataFrame:
    """Every stop of every truck, in route order.

    Parameters
    ----------
    inst
        The instance the plan was made for.
    plan
        The plan.

    Returns
    -------
    pandas.DataFrame
        Columns ``truck, seq, kind, place, place_name, station, shipments, arrive, start,
        depart`` (ISO 8601), the same three as minutes (``*_minute``), ``driver`` (who drives
        away), and one ``load_<dimension>`` column per capacity dimension.
    """
    dims = inst.capacity_dimensions()
    names = {p.id: p.name for p in inst.places}
    rows = []
    for r in plan.routes:
        for k, s in enumerate(r.stops):
            row = {
                "truck": r.truck,
                "seq": k,
                "kind": s.kind,
                "place": s.place,
                "place_name": names.get(s.place, ""),
                "station": s.station or "",
                "shipments": " ".join(s.shipments),
                "arrive_minute": s.arrive,
                "start_minute": s.start,
                "depart_minute": s.depart,
                "driver": s.driver,
            }
            for d in dims:
                row[f"load_{d}"] = s.load.get(d, 0.0)
            rows.append(row)
    cols = [
        "truck",
        "seq",
        "kind",
        "place",
        "place_name",
        "station",
        "shipments",
        "arrive_minute",
        "start_minute",
        "depart_minute",
        "driver",
        *[f"load_{d}" for d in dims],
    ]
    df = pd.DataFrame(rows, columns=cols)
    for t in ("arrive", "start", "depart"):
        df.insert(df.columns.get_loc(f"{t}_minute"), t, _clock(inst, df[f"{t}_minute"]))
    return df


def shipments_table(inst: Instance, plan: Plan) -> pd.DataFrame:
    """Every shipment of the instance with what the plan does with it.

    Returns
    -------
    pandas.DataFrame
        Columns ``shipment, origin, destination, priority, ready, due, status`` (served /
        unserved), ``itinerary, truck, stations, pickup, delivered`` (ISO 8601 and
        ``*_minute``), ``delay, weighted_delay, reason, detail``, and the quantity per
        dimension (``qty_<dimension>``).
    """
    dims = inst.capacity_dimensions()
    out = {o.shipment: o for o in plan.shipments}
    un = {u.shipment: u for u in plan.unserved}
    rows = []
    for sh in inst.shipments:
        o, u = out.get(sh.id), un.get(sh.id)
        row = {
            "shipment": sh.id,
            "origin": sh.origin,
            "destination": sh.destination,
            "priority": sh.priority,
            "ready_minute": sh.ready,
            "due_minute": sh.due,
            "status": "served" if o else ("unserved" if u else "not in plan"),
            "itinerary": o.itinerary if o else "",
            "truck": o.truck if o else "",
            "trucks": " ".join(dict.fromkeys(s.truck for s in o.segments if s.truck)) if o else "",
            "rail": " ".join(f"{s.service}@{s.departure:g}" for s in o.segments if s.mode == "rail")
            if o
            else "",
            "stations": " ".join(o.stations) if o else "",
            "pickup_minute": o.pickup if o else None,
            "delivered_minute": o.delivered if o else None,
            "delay": o.delay if o else None,
            "weighted_delay": o.weighted_delay if o else None,
            "reason": u.reason if u else "",
            "detail": u.detail if u else "",
        }
        for d in dims:
            row[f"qty_{d}"] = sh.quantity.get(d, 0.0)
        rows.append(row)
    df = pd.DataFrame(rows)
    for t in ("ready", "due", "pickup", "delivered"):
        df.insert(df.columns.get_loc(f"{t}_minute"), t, _clock(inst, df[f"{t}_minute"]))
    return df


def table_files(inst: Instance, plan: Plan, folder: str | Path) -> dict[Path, str]:
    """The text of ``stops.csv`` and ``shipments.csv`` in ``folder``, by path."""
    out = Path(folder)
    return {
        out / "stops.csv": stops_table(inst, plan).to_csv(index=False),
        out / "shipments.csv": shipments_table(inst, plan).to_csv(index=False),
    }


def write_tables(inst: Instance, plan: Plan, folder: str | Path) -> list[Path]:
    """Write ``stops.csv`` and ``shipments.csv`` (UTF-8, comma-separated) into ``folder``."""
    texts = table_files(inst, plan, folder)
    for p, text in texts.items():
        write_text_atomic(p, text)
    return list(texts)

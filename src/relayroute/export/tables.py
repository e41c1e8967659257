"""Plans as tables (pandas): one CSV per list the plan has, for spreadsheets and scripts.

Every table has a fixed set of columns, even when it has no rows (a plan with no passes
still gets a ``passes.csv`` with its header). Times come twice: as ISO 8601 local time with
the instance's UTC offset (``arrive``) and as minutes from the instance start
(``arrive_minute``). Lists of ids are joined by spaces. The README lists every column.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from relayroute.io.atomic import write_text_atomic
from relayroute.model.plan import clock, pass_id

if TYPE_CHECKING:
    from collections.abc import Callable

    from relayroute.model.instance import Instance
    from relayroute.model.plan import Plan


def _frame(rows: list[dict[str, Any]], cols: list[str], inst: Instance) -> pd.DataFrame:
    """Rows in ``cols`` order; each ``<t>_minute`` column gets its ISO 8601 ``<t>`` before it."""
    df = pd.DataFrame(rows, columns=cols)
    for col in cols:
        if col.endswith("_minute"):
            name = col.removesuffix("_minute")
            iso = df[col].map(lambda m: None if pd.isna(m) else clock(inst.start, float(m)))
            df.insert(int(df.columns.get_loc(col)), name, iso.astype(object))
    return df


def _words(ids: Any) -> str:
    return " ".join(str(i) for i in ids)


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
        Columns ``truck, seq, kind, place, place_name, lon, lat, station, shipments,
        arrive, arrive_minute, start, start_minute, depart, depart_minute, driver`` (who
        drives away) and ``load_<dimension>`` (on board when leaving) per capacity dimension.
    """
    dims = inst.capacity_dimensions()
    places = inst.places_by_id
    rows = []
    for r in plan.routes:
        for k, s in enumerate(r.stops):
            place = places.get(s.place)
            row = {
                "truck": r.truck,
                "seq": k,
                "kind": s.kind,
                "place": s.place,
                "place_name": place.name if place else "",
                "lon": place.lon if place else None,
                "lat": place.lat if place else None,
                "station": s.station or "",
                "shipments": _words(s.shipments),
                "arrive_minute": s.arrive,
                "start_minute": s.start,
                "depart_minute": s.depart,
                "driver": s.driver,
            }
            for d in dims:
                row[f"load_{d}"] = s.load.get(d, 0.0)
            rows.append(row)
    cols = [
        "truck", "seq", "kind", "place", "place_name", "lon", "lat", "station", "shipments",
        "arrive_minute", "start_minute", "depart_minute", "driver", *[f"load_{d}" for d in dims],
    ]  # fmt: skip
    return _frame(rows, cols, inst)


def legs_table(inst: Instance, plan: Plan) -> pd.DataFrame:
    """Every leg of every truck: who drives it, when, how far, through which checkpoints.

    Returns
    -------
    pandas.DataFrame
        Columns ``truck, leg`` (legs[leg] joins stops seq ``leg`` and ``leg + 1``), ``from,
        to`` (places), ``driver, driver_kind, depart, depart_minute, arrive, arrive_minute,
        km, minutes`` (driving plus checkpoint time), ``checkpoints`` (crossed, in order) and
        ``shipments`` (aboard).
    """
    rows = []
    for r in plan.routes:
        aboard: dict[str, None] = {}
        for k, leg in enumerate(r.legs):
            a = r.stops[k]
            if a.kind in ("pickup", "load"):
                aboard.update(dict.fromkeys(a.shipments))
            elif a.kind in ("delivery", "unload"):
                for sid in a.shipments:
                    aboard.pop(sid, None)
            rows.append(
                {
                    "truck": r.truck,
                    "leg": k,
                    "from": a.place,
                    "to": r.stops[k + 1].place if k + 1 < len(r.stops) else "",
                    "driver": leg.driver,
                    "driver_kind": leg.driver_kind,
                    "depart_minute": leg.depart,
                    "arrive_minute": leg.arrive,
                    "km": leg.km,
                    "minutes": leg.minutes,
                    "checkpoints": _words(c.checkpoint for c in leg.crossings),
                    "shipments": _words(sorted(aboard)),
                }
            )
    cols = ["truck", "leg", "from", "to", "driver", "driver_kind", "depart_minute",
            "arrive_minute", "km", "minutes", "checkpoints", "shipments"]  # fmt: skip
    return _frame(rows, cols, inst)


def shipments_table(inst: Instance, plan: Plan) -> pd.DataFrame:
    """Every shipment of the instance with what the plan does with it.

    Parameters
    ----------
    inst
        The instance the plan was made for.
    plan
        The plan.

    Returns
    -------
    pandas.DataFrame
        Columns ``shipment, origin, destination, priority, ready, ready_minute, due,
        due_minute, status`` (served / unserved / not in plan), ``itinerary, truck`` (the
        first), ``trucks`` (all, in order), ``rail`` (``service@departure``), ``stations,
        pickup, pickup_minute, delivered, delivered_minute, delay, weighted_delay, reason,
        detail`` and the quantity per dimension (``qty_<dimension>``).
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
            "trucks": _words(dict.fromkeys(s.truck for s in o.segments if s.truck)) if o else "",
            "rail": _words(f"{s.service}@{s.departure:g}" for s in o.segments if s.mode == "rail")
            if o
            else "",
            "stations": _words(o.stations) if o else "",
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
    cols = ["shipment", "origin", "destination", "priority", "ready_minute", "due_minute",
            "status", "itinerary", "truck", "trucks", "rail", "stations", "pickup_minute",
            "delivered_minute", "delay", "weighted_delay", "reason", "detail",
            *[f"qty_{d}" for d in dims]]  # fmt: skip
    return _frame(rows, cols, inst)


def unserved_table(inst: Instance, plan: Plan) -> pd.DataFrame:
    """The shipments the plan does not carry, with the reason and the shipment's terms.

    Returns
    -------
    pandas.DataFrame
        Columns ``shipment, reason`` (a short code), ``detail`` (in words), ``origin,
        destination, priority, ready, ready_minute, due, due_minute`` and
        ``qty_<dimension>``.
    """
    dims = inst.capacity_dimensions()
    ships = inst.shipments_by_id
    rows = []
    for u in plan.unserved:
        sh = ships.get(u.shipment)
        row: dict[str, Any] = {
            "shipment": u.shipment,
            "reason": u.reason,
            "detail": u.detail,
            "origin": sh.origin if sh else "",
            "destination": sh.destination if sh else "",
            "priority": sh.priority if sh else None,
            "ready_minute": sh.ready if sh else None,
            "due_minute": sh.due if sh else None,
        }
        for d in dims:
            row[f"qty_{d}"] = sh.quantity.get(d, 0.0) if sh else None
        rows.append(row)
    cols = ["shipment", "reason", "detail", "origin", "destination", "priority",
            "ready_minute", "due_minute", *[f"qty_{d}" for d in dims]]  # fmt: skip
    return _frame(rows, cols, inst)


def handovers_table(inst: Instance, plan: Plan) -> pd.DataFrame:
    """Every change of driver at a relay station ("swap the driver, keep the truck").

    Returns
    -------
    pandas.DataFrame
        Columns ``station, station_name, truck, direction`` (in: to a loop driver; out:
        back), ``start, start_minute, end, end_minute, from_driver, to_driver``.
    """
    names = _station_names(inst)
    rows = [
        {
            "station": h.station,
            "station_name": names.get(h.station, ""),
            "truck": h.truck,
            "direction": h.direction,
            "start_minute": h.start,
            "end_minute": h.end,
            "from_driver": h.from_driver,
            "to_driver": h.to_driver,
        }
        for h in plan.handovers
    ]
    cols = ["station", "station_name", "truck", "direction", "start_minute", "end_minute",
            "from_driver", "to_driver"]  # fmt: skip
    return _frame(rows, cols, inst)


def loop_drivers_table(inst: Instance, plan: Plan) -> pd.DataFrame:
    """Each loop driver's duty: pool, home station, hours and trips into the zone.

    Returns
    -------
    pandas.DataFrame
        Columns ``driver, name, pool, station, zone, start, start_minute, end, end_minute,
        duty_minutes, excursions`` (trips into the zone), ``inside_minutes`` (their total,
        handovers included) and ``trucks`` (taken in, in order).
    """
    rows = [
        {
            "driver": d.driver,
            "name": d.name or "",
            "pool": d.pool,
            "station": d.station,
            "zone": d.zone,
            "start_minute": d.start,
            "end_minute": d.end,
            "duty_minutes": d.end - d.start,
            "excursions": len(d.excursions),
            "inside_minutes": sum(e.end - e.start for e in d.excursions),
            "trucks": _words(e.truck for e in d.excursions),
        }
        for d in plan.loop_drivers
    ]
    cols = ["driver", "name", "pool", "station", "zone", "start_minute", "end_minute",
            "duty_minutes", "excursions", "inside_minutes", "trucks"]  # fmt: skip
    return _frame(rows, cols, inst)


def excursions_table(inst: Instance, plan: Plan) -> pd.DataFrame:
    """Each loop driver's trips into the zone, one row a trip.

    Returns
    -------
    pandas.DataFrame
        Columns ``driver, station, seq`` (the driver's n-th trip, from 0), ``truck, start,
        start_minute`` (handover in starts), ``end, end_minute`` (handover out ends),
        ``minutes`` and ``places`` (served inside, in order).
    """
    rows = [
        {
            "driver": d.driver,
            "station": d.station,
            "seq": k,
            "truck": e.truck,
            "start_minute": e.start,
            "end_minute": e.end,
            "minutes": e.end - e.start,
            "places": _words(e.places),
        }
        for d in plan.loop_drivers
        for k, e in enumerate(d.excursions)
    ]
    cols = ["driver", "station", "seq", "truck", "start_minute", "end_minute", "minutes",
            "places"]  # fmt: skip
    return _frame(rows, cols, inst)


def passes_table(inst: Instance, plan: Plan) -> pd.DataFrame:
    """The freight passes the plan needs: what the pass service issues.

    Returns
    -------
    pandas.DataFrame
        Columns ``pass`` (its stable id), ``truck, plate, driver, driver_name, checkpoint,
        checkpoint_name, zone, valid_from, valid_from_minute, valid_to, valid_to_minute,
        shipments``.
    """
    names = {c.id: c.name for c in inst.checkpoints}
    rows = [
        {
            "pass": p.id or pass_id(p.truck, p.checkpoint, p.valid_from),
            "truck": p.truck,
            "plate": p.plate or "",
            "driver": p.driver,
            "driver_name": p.driver_name or "",
            "checkpoint": p.checkpoint,
            "checkpoint_name": names.get(p.checkpoint, ""),
            "zone": p.zone,
            "valid_from_minute": p.valid_from,
            "valid_to_minute": p.valid_to,
            "shipments": _words(p.shipments),
        }
        for p in plan.passes
    ]
    cols = ["pass", "truck", "plate", "driver", "driver_name", "checkpoint", "checkpoint_name",
            "zone", "valid_from_minute", "valid_to_minute", "shipments"]  # fmt: skip
    return _frame(rows, cols, inst)


def transloads_table(inst: Instance, plan: Plan) -> pd.DataFrame:
    """Goods moved from one truck to another at a station.

    Returns
    -------
    pandas.DataFrame
        Columns ``station, station_name, shipment, from_truck, to_truck, time, time_minute``
        (the goods are down) and ``ready, ready_minute`` (they may leave).
    """
    names = _station_names(inst)
    rows = [
        {
            "station": t.station,
            "station_name": names.get(t.station, ""),
            "shipment": t.shipment,
            "from_truck": t.from_truck,
            "to_truck": t.to_truck,
            "time_minute": t.time,
            "ready_minute": t.ready,
        }
        for t in plan.transloads
    ]
    cols = ["station", "station_name", "shipment", "from_truck", "to_truck", "time_minute",
            "ready_minute"]  # fmt: skip
    return _frame(rows, cols, inst)


def rail_bookings_table(inst: Instance, plan: Plan) -> pd.DataFrame:
    """The train departures the plan books.

    Returns
    -------
    pandas.DataFrame
        Columns ``service, origin, destination`` (rail stations), ``departure,
        departure_minute, arrival, arrival_minute, shipments, cost`` and ``load_<dimension>``.
    """
    dims = inst.capacity_dimensions()
    services = {s.id: s for s in inst.rail_services}
    rows = []
    for b in plan.rail_bookings:
        svc = services.get(b.service)
        row: dict[str, Any] = {
            "service": b.service,
            "origin": svc.origin if svc else "",
            "destination": svc.destination if svc else "",
            "departure_minute": b.departure,
            "arrival_minute": b.arrival,
            "shipments": _words(b.shipments),
            "cost": b.cost,
        }
        for d in dims:
            row[f"load_{d}"] = b.load.get(d, 0.0)
        rows.append(row)
    cols = ["service", "origin", "destination", "departure_minute", "arrival_minute",
            "shipments", "cost", *[f"load_{d}" for d in dims]]  # fmt: skip
    return _frame(rows, cols, inst)


def kpis_table(inst: Instance, plan: Plan) -> pd.DataFrame:
    """The plan's figures, one row each.

    Returns
    -------
    pandas.DataFrame
        Columns ``kpi, value, meaning`` (the plan schema's description of the figure).
    """
    fields = type(plan.kpis).model_fields
    rows = [
        {"kpi": name, "value": value, "meaning": fields[name].description or ""}
        for name, value in plan.kpis.model_dump().items()
        if name != "by_priority"  # a table of its own: priorities
    ]
    return pd.DataFrame(rows, columns=["kpi", "value", "meaning"])


def priorities_table(inst: Instance, plan: Plan) -> pd.DataFrame:
    """The plan's figures per priority class, most urgent first (``kpis.by_priority``)."""
    cols = ["priority", "shipments", "served", "on_time_share", "weighted_delay", "max_delay"]
    return pd.DataFrame([c.model_dump() for c in plan.kpis.by_priority], columns=cols)


def _station_names(inst: Instance) -> dict[str, str]:
    places = inst.places_by_id
    out = {}
    for st in inst.relay_stations:
        place = places.get(st.place)
        out[st.id] = st.name or (place.name if place else "")
    return out


# name -> table, in the order of the files and of the workbook's sheets.
TABLES: dict[str, Callable[[Instance, Plan], pd.DataFrame]] = {
    "shipments": shipments_table,
    "unserved": unserved_table,
    "stops": stops_table,
    "legs": legs_table,
    "handovers": handovers_table,
    "loop_drivers": loop_drivers_table,
    "excursions": excursions_table,
    "passes": passes_table,
    "transloads": transloads_table,
    "rail_bookings": rail_bookings_table,
    "priorities": priorities_table,
}


def plan_tables(inst: Instance, plan: Plan) -> dict[str, pd.DataFrame]:
    """Every table of the plan, by name (see :data:`TABLES`).

    Parameters
    ----------
    inst
        The instance the plan was made for.
    plan
        The plan.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``shipments, unserved, stops, legs, handovers, loop_drivers, excursions, passes,
        transloads, rail_bookings, priorities``.
    """
    return {name: table(inst, plan) for name, table in TABLES.items()}


def table_files(inst: Instance, plan: Plan, folder: str | Path) -> dict[Path, str]:
    """The text of each CSV file :func:`write_tables` writes, by path."""
    out = Path(folder)
    return {
        out / f"{name}.csv": df.to_csv(index=False) for name, df in plan_tables(inst, plan).items()
    }


def write_tables(inst: Instance, plan: Plan, folder: str | Path) -> list[Path]:
    """Write one CSV per table (UTF-8, comma-separated, a header row) into ``folder``.

    Parameters
    ----------
    inst
        The instance the plan was made for.
    plan
        The plan.
    folder
        Where to write ``<name>.csv`` for each name of :data:`TABLES`.

    Returns
    -------
    list of Path
        The files written. All are built before the first is written.
    """
    texts = table_files(inst, plan, folder)
    for p, text in texts.items():
        write_text_atomic(p, text)
    return list(texts)

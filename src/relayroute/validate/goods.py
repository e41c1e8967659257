"""R10-R11: goods that change truck at a transload station, or ride a train.

- **R10** transloads: goods are unloaded and loaded again at one station that offers
  transload, within its hours, no sooner than its transload time; the plan lists each
  transload its routes make, and only those.
- **R11** rail: goods reach the rail station by the cut-off of a departure in the service's
  timetable, ride one listed booking between the stations they use, are collected after
  arrival plus handling, and no departure carries more than its capacity.

The walk (:mod:`relayroute.validate.walk`) records each unload and load stop as a
:class:`Move`; the checks here judge each shipment's moves and the plan's lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from relayroute.validate.report import TOL, within

if TYPE_CHECKING:
    from relayroute.model.instance import Instance, RailStation, RelayStation, Shipment
    from relayroute.model.plan import Plan, Stop
    from relayroute.validate.report import Found


class Move(NamedTuple):
    """An unload or load stop of a shipment, as the walk found it."""

    kind: str  # "unload" or "load"
    truck: str
    stop: int  # index of the stop in its route
    start: float
    depart: float
    station: str | None


def check_station_stop(found: Found, inst: Instance, s: Stop, sh: Shipment, where: str) -> None:
    """R10 / R11: an unload or load stop stands at the place of the station it names."""
    relay = inst.relay_stations_by_id
    rail_at = {x.id: x.place for x in inst.rail_stations}
    at = relay[s.station].place if s.station in relay else rail_at.get(s.station or "")
    if at is None or at != s.place:
        found.add(
            "R11" if s.station in rail_at else "R10",
            where,
            s.start,
            f"goods of {sh.id} are {s.kind}ed here, which is not the place of a "
            f"transload or rail station (stop names {s.station!r})",
        )


def check_change(
    found: Found,
    inst: Instance,
    plan: Plan,
    sid: str,
    pick: tuple[str, int, float],
    drop: tuple[str, int, float],
    moves: list[Move],
) -> None:
    """R10/R11 for one shipment that changes truck or mode on its way.

    ``pick`` and ``drop`` are its pickup and delivery (truck, stop index, start), ``moves``
    its unload and load stops.
    """
    name = f"shipment {sid}"
    unloads = [m for m in moves if m.kind == "unload"]
    loads = [m for m in moves if m.kind == "load"]
    if len(unloads) != 1 or len(loads) != 1:
        found.add(
            "R10",
            name,
            None,
            f"unloaded {len(unloads)} and loaded {len(loads)} times on its way; one "
            "change of truck or mode is planned per shipment",
        )
        return
    un, lo = unloads[0], loads[0]
    (pt, pi, _), (dt, di, _) = pick, drop
    if un.truck != pt or un.stop < pi:
        found.add(
            "R2", name, un.start, f"unloaded by {un.truck} before or without its pickup by {pt}"
        )
    if lo.truck != dt or lo.stop > di:
        found.add("R2", name, lo.start, f"loaded by {lo.truck} after or without delivery by {dt}")
    stations = inst.relay_stations_by_id
    rail = {r.id: r for r in inst.rail_stations}
    if un.station in stations:
        _check_transload(found, stations[un.station], name, un, lo)
    elif un.station in rail:
        _check_rail(found, inst, plan, sid, rail, un, lo)
    else:
        found.add(
            "R10",
            name,
            un.depart,
            f"goods change trucks at {un.station!r}, which is no transload or rail station",
        )


def _check_transload(found: Found, st: RelayStation, name: str, un: Move, lo: Move) -> None:
    """R10: unloaded ``un`` and loaded ``lo`` again at relay station ``st``."""
    if not st.transload:
        found.add("R10", name, un.depart, f"goods change trucks at {st.id}, which has no transload")
        return
    if lo.station != st.id:
        found.add("R10", name, lo.start, f"unloaded at {st.id} but loaded at {lo.station}")
        return
    if lo.start < un.depart + st.transload_minutes - TOL:
        found.add(
            "R10",
            name,
            lo.start,
            f"loaded at {lo.start:g}, before unloading ends plus the transload time "
            f"({un.depart:g} + {st.transload_minutes:g})",
        )
    if st.hours and not (within(st.hours, un.start) and within(st.hours, lo.start)):
        found.add("R10", name, un.start, f"transload outside the hours of {st.id}")


def _check_rail(
    found: Found,
    inst: Instance,
    plan: Plan,
    sid: str,
    rail: dict[str, RailStation],
    un: Move,
    lo: Move,
) -> None:
    """R11: shipment ``sid`` unloaded ``un`` at a rail station, loaded ``lo`` off the train."""
    name = f"shipment {sid}"
    rides = [b for b in plan.rail_bookings if sid in b.shipments]
    if len(rides) != 1:
        found.add("R11", name, un.depart, f"rides {len(rides)} listed rail bookings, not one")
        return
    b = rides[0]
    svc = next((x for x in inst.rail_services if x.id == b.service), None)
    if svc is None:
        found.add("R11", name, None, f"booked on unknown service {b.service}")
        return
    if svc.origin != un.station or svc.destination != lo.station:
        found.add(
            "R11",
            name,
            un.depart,
            f"service {svc.id} runs {svc.origin}->{svc.destination}, "
            f"but the goods go {un.station}->{lo.station}",
        )
        return
    if not any(abs(b.departure - d) <= TOL for d in svc.departures):
        found.add(
            "R11", name, b.departure, f"departure {b.departure:g} is not in {svc.id}'s timetable"
        )
    if un.depart > b.departure - svc.cutoff_minutes + TOL:
        found.add(
            "R11",
            name,
            un.depart,
            f"at the station at {un.depart:g}, after the cut-off "
            f"{b.departure - svc.cutoff_minutes:g} of the {b.departure:g} departure",
        )
    ready = b.departure + svc.duration + rail[svc.destination].handling_minutes
    if lo.start < ready - TOL:
        found.add(
            "R11",
            name,
            lo.start,
            f"collected at {lo.start:g}, before arrival plus handling ({ready:g})",
        )


def check_rail_bookings(
    found: Found, inst: Instance, plan: Plan, moves: dict[str, list[Move]]
) -> None:
    """R11: each departure within its capacity; bookings name shipments that ride."""
    services = {x.id: x for x in inst.rail_services}
    ships = inst.shipments_by_id
    used: dict[tuple[str, float], dict[str, float]] = {}
    for b in plan.rail_bookings:
        name = f"rail booking {b.service}@{b.departure:g}"
        svc = services.get(b.service)
        if svc is None:
            found.add("R11", name, None, "unknown rail service")
            continue
        if abs(b.arrival - (b.departure + svc.duration)) > TOL:
            found.add("PLAN", name, None, f"arrival {b.arrival:g} does not follow the timetable")
        load: dict[str, float] = {}
        for sid in b.shipments:
            if sid not in ships:
                found.add("PLAN", name, None, f"unknown shipment {sid}")
                continue
            if not any(m.kind == "unload" for m in moves.get(sid, [])):
                found.add("PLAN", name, None, f"lists {sid}, which no truck brings to the train")
            for dim, q in ships[sid].quantity.items():
                load[dim] = load.get(dim, 0.0) + q
        for dim in set(load) | set(b.load):
            if abs(load.get(dim, 0.0) - b.load.get(dim, 0.0)) > TOL:
                found.add(
                    "PLAN",
                    name,
                    None,
                    f"states load {b.load.get(dim, 0.0):g} {dim}, shipments give {load.get(dim, 0.0):g}",
                )
        total = used.setdefault((b.service, b.departure), {})
        for dim, q in load.items():
            total[dim] = total.get(dim, 0.0) + q
    for (sid, dep), total in used.items():
        cap = services[sid].capacity
        for dim, q in total.items():
            if q > cap.get(dim, 0.0) + TOL:
                found.add(
                    "R11",
                    f"rail departure {sid}@{dep:g}",
                    dep,
                    f"carries {q:g} {dim}, capacity {cap.get(dim, 0.0):g}",
                )


def check_transload_list(
    found: Found, inst: Instance, plan: Plan, moves: dict[str, list[Move]]
) -> None:
    """R10: every change of truck at a transload station is listed, and only those."""
    stations = inst.relay_stations_by_id
    actual: dict[tuple[str, str, str, str], float] = {}
    for sid, ms in moves.items():
        un = [m for m in ms if m.kind == "unload"]
        lo = [m for m in ms if m.kind == "load"]
        if len(un) == 1 and len(lo) == 1 and un[0].station in stations:
            actual[(str(un[0].station), sid, un[0].truck, lo[0].truck)] = un[0].depart
    listed = {(t.station, t.shipment, t.from_truck, t.to_truck): t for t in plan.transloads}
    for station, sid, a, b in sorted(set(actual) - set(listed)):
        found.add(
            "R10", f"shipment {sid}", None, f"transload at {station} from {a} to {b} not listed"
        )
    for key, t in sorted(listed.items()):
        station, sid, a, b = key
        if key not in actual:
            found.add(
                "R10",
                f"shipment {sid}",
                t.time,
                f"listed transload at {station} from {a} to {b} does not happen",
            )
        elif (
            abs(t.time - actual[key]) > TOL
            or abs(t.ready - (t.time + stations[station].transload_minutes)) > TOL
        ):
            found.add(
                "PLAN",
                f"transload of {sid}",
                t.time,
                "time is not the end of unloading, or ready is not time + transload minutes",
            )

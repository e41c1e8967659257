"""The independent validator: re-simulates a plan from the instance alone.

It shares the *model* (instance and plan types, the raw road data) with the solver but
none of its feasibility code: zone membership, crossings, travel times, loads and
windows are all recomputed here in their own way, so the validator can catch the
solver's mistakes. Each violation names its rule (DESIGN.md R1–R12).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import shapely

from relayroute.io.roads import read_graphml, read_nodes_edges, read_osm_xml
from relayroute.model.checks import check_named_nodes
from relayroute.model.instance import DriverPool, Instance
from relayroute.model.plan import Leg, Plan, TruckRoute
from relayroute.validate.geometry import check_geometry, check_sealed_roads
from relayroute.validate.report import RULES, TOL, Report, Violation
from relayroute.validate.statements import check_statements

__all__ = ["RULES", "Report", "Violation", "validate"]


@dataclass
class _Seen:
    """What the route checks gather for the rules that span several trucks."""

    loop: dict[str, DriverPool]  # loop driver -> its pool, as the plan declares them
    duties: dict[str, list[tuple[float, float, str, str, str]]]  # start, end, in at, out at, truck
    bays: dict[str, list[tuple[float, float]]]
    inspections: dict[str, list[float]]
    entries: list[tuple[str, str, str, float, float]]  # truck, checkpoint, zone, arrive, depart
    handovers: list[tuple[str, str, float, str, str]]  # station, truck, start, from, to
    open: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)
    # Shipment -> its unload and load stops: (kind, truck, stop index, start, depart, station).
    moves: dict[str, list[tuple[str, str, int, float, float, str | None]]] = field(
        default_factory=dict
    )


def _within(hours: list[tuple[float, float]], t: float) -> bool:
    return not hours or any(a - TOL <= t <= b + TOL for a, b in hours)


def _great_circle(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, h)))


class _World:
    """What the validator knows of the instance's geography, computed its own way."""

    def __init__(self, inst: Instance, base: Path) -> None:
        self.inst = inst
        self.mode = inst.network.mode
        self.zones = {
            z.id: shapely.Polygon(z.polygon[0], z.polygon[1:])
            for z in inst.zones
            if z.policy != "open"
        }
        self.policy = {z.id: z.policy for z in inst.zones}
        self.graph: nx.DiGraph | None = None
        self.place_node: dict[str, str] = {}
        self.gate_of: dict[str, str] = {}  # node -> checkpoint id
        self.fixed_xy: dict[str, tuple[float, float]] = {}  # straight-line: node -> lon/lat
        # Sealed transit roads: edge -> road id, inner node -> road id, road id -> its ends.
        self.transit: dict[tuple[str, str], str] = {}
        self.sealed: dict[str, str] = {}
        self.transit_ends: dict[str, tuple[str, str]] = {}
        for z in inst.zones:
            for t in z.transit_roads:
                self.transit_ends[t.id] = (t.nodes[0], t.nodes[-1])
                for a, b in zip(t.nodes, t.nodes[1:]):
                    self.transit[a, b] = self.transit[b, a] = t.id
                self.sealed.update({n: t.id for n in t.nodes[1:-1]})
        if self.mode == "road":
            spec = inst.network
            if spec.osm:
                self.graph = read_osm_xml(base / spec.osm)
            elif spec.graphml:
                self.graph = read_graphml(base / spec.graphml)
            else:
                assert spec.nodes and spec.edges
                self.graph = read_nodes_edges(base / spec.nodes, base / spec.edges)
            ids = list(self.graph.nodes)
            xy = np.array([(self.graph.nodes[n]["lon"], self.graph.nodes[n]["lat"]) for n in ids])
            # Where the node and the lon/lat of a place disagree the instance itself is refused.
            check_named_nodes(inst, {n: (float(x), float(y)) for n, (x, y) in zip(ids, xy)})

            def nearest(lon: float, lat: float) -> str:
                return ids[int(np.argmin((xy[:, 0] - lon) ** 2 + (xy[:, 1] - lat) ** 2))]

            for p in inst.places:
                self.place_node[p.id] = p.node or nearest(p.lon, p.lat)
            for c in inst.checkpoints:
                self.gate_of[c.node or nearest(c.lon, c.lat)] = c.id
        else:
            for p in inst.places:
                self.place_node[p.id] = p.id
                self.fixed_xy[p.id] = (p.lon, p.lat)
            for c in inst.checkpoints:
                self.gate_of[f"checkpoint:{c.id}"] = c.id
                self.fixed_xy[f"checkpoint:{c.id}"] = (c.lon, c.lat)

    def zone_at(self, lon: float, lat: float) -> str | None:
        for zid, poly in self.zones.items():
            if poly.contains(shapely.Point(lon, lat)):
                return zid
        return None

    def node_xy(self, node: str, leg: Leg, k: int) -> tuple[float, float]:
        if self.mode == "road":
            assert self.graph is not None
            d = self.graph.nodes[node]
            return (d["lon"], d["lat"])
        return (leg.coords[k][0], leg.coords[k][1])

    def step(
        self, a: str, b: str, xa: tuple[float, float], xb: tuple[float, float]
    ) -> tuple[float, float, str | None]:
        """(minutes, km, fault) of driving from node a to node b."""
        spec = self.inst.network
        if self.mode == "road":
            assert self.graph is not None
            if not self.graph.has_edge(a, b):
                return 0.0, 0.0, f"no road from {a!r} to {b!r}"
            e = self.graph.edges[a, b]
            return (
                e["minutes"],
                e["km"],
                (f"road {a!r}->{b!r} is closed" if e["closed"] else None),
            )
        if self.mode == "euclidean":
            d = math.hypot(xb[0] - xa[0], xb[1] - xa[1])
            return d / spec.speed, d, None
        km = _great_circle(xa, xb) * spec.detour_factor
        return km / spec.speed_kmh * 60.0, km, None


def validate(inst: Instance, plan: Plan, base: Path | None = None) -> Report:
    """Check a plan against the instance, rule by rule.

    Parameters
    ----------
    inst
        The instance the plan is for.
    plan
        The plan to check.
    base
        Folder of the instance file (network files resolve against it).

    Returns
    -------
    Report
        Every violation found, each naming its rule, object and time.
    """
    world = _World(inst, base or Path.cwd())
    out: list[Violation] = []
    trucks = inst.trucks_by_id
    ships = inst.shipments_by_id
    seen_trucks: Counter[str] = Counter()
    picks: dict[str, list[tuple[str, int, float]]] = {}
    drops: dict[str, list[tuple[str, int, float]]] = {}
    km_total = 0.0
    seen = _Seen(_declared_loop_drivers(inst, plan, out), {}, {}, {}, [], [])
    for r in plan.routes:
        seen_trucks[r.truck] += 1
        if r.truck not in trucks:
            out.append(Violation("PLAN", f"route of {r.truck}", None, "unknown truck"))
            continue
        km_total += _check_route(world, r, out, picks, drops, seen)
    out.extend(check_geometry(world, plan, seen.loop))
    out.extend(check_sealed_roads(world, plan))
    _check_relay(inst, plan, seen, out)
    for t, n in seen_trucks.items():
        if n > 1:
            out.append(Violation("PLAN", f"truck {t}", None, f"has {n} routes"))
    # Drivers, not trucks: one driver may drive two trucks one after the other.
    pools = Counter(
        pool
        for pool, _ in {
            (trucks[r.truck].driver_pool, r.driver) for r in plan.routes if r.truck in trucks
        }
    )
    for pid, used in pools.items():
        if pid is not None and used > inst.pools_by_id[pid].count:
            out.append(
                Violation(
                    "R12",
                    f"driver pool {pid}",
                    None,
                    f"{used} drivers used, {inst.pools_by_id[pid].count} in the pool",
                )
            )

    # R1 coverage and R2 pickup-before-delivery, shipment by shipment.
    unserved: Counter[str] = Counter(u.shipment for u in plan.unserved)
    outcomes = {o.shipment: o for o in plan.shipments}
    for sid in set(unserved) | set(outcomes) | set(picks) | set(drops):
        if sid not in ships:
            out.append(Violation("PLAN", f"shipment {sid}", None, "unknown shipment"))
    for u in plan.unserved:
        if not u.reason.strip():
            out.append(
                Violation("R1", f"shipment {u.shipment}", None, "listed unserved without a reason")
            )
    weighted = 0.0
    for sh in inst.shipments:
        p, d = picks.get(sh.id, []), drops.get(sh.id, [])
        served = bool(p or d)
        if unserved[sh.id] > 1:
            out.append(Violation("R1", f"shipment {sh.id}", None, "listed unserved more than once"))
        if served and unserved[sh.id]:
            out.append(
                Violation("R1", f"shipment {sh.id}", None, "both delivered and listed unserved")
            )
        if not served and not unserved[sh.id]:
            out.append(
                Violation("R1", f"shipment {sh.id}", None, "neither delivered nor listed unserved")
            )
        if not served:
            if sh.id in outcomes:
                out.append(
                    Violation("PLAN", f"shipment {sh.id}", None, "has an outcome but no stops")
                )
            continue
        if len(p) != 1 or len(d) != 1:
            out.append(
                Violation(
                    "R1",
                    f"shipment {sh.id}",
                    None,
                    f"picked up {len(p)} and delivered {len(d)} times",
                )
            )
            continue
        (pt, pi, pstart), (dt, di, dstart) = p[0], d[0]
        moves = seen.moves.get(sh.id, [])
        if moves:
            _check_change(inst, plan, sh.id, p[0], d[0], moves, out)
        elif pt != dt:
            out.append(
                Violation(
                    "R10",
                    f"shipment {sh.id}",
                    None,
                    f"picked up by {pt} but delivered by {dt} with no transload or rail leg",
                )
            )
        elif di < pi:
            out.append(
                Violation("R2", f"shipment {sh.id}", dstart, "delivered before it is picked up")
            )
        if dstart < pstart + sh.pickup_minutes - TOL:
            out.append(
                Violation("R2", f"shipment {sh.id}", dstart, "delivery starts before pickup ends")
            )
        delivered = dstart + sh.delivery_minutes
        if sh.deadline is not None and delivered > sh.deadline + TOL:
            out.append(
                Violation(
                    "R4",
                    f"shipment {sh.id}",
                    delivered,
                    f"delivered after its deadline {sh.deadline:g}",
                )
            )
        delay = max(0.0, delivered - sh.due)
        weighted += sh.priority * delay
        o = outcomes.get(sh.id)
        if o is None:
            out.append(Violation("PLAN", f"shipment {sh.id}", None, "delivered but has no outcome"))
        elif abs(o.delivered - delivered) > TOL or abs(o.delay - delay) > TOL or o.truck != pt:
            out.append(
                Violation(
                    "PLAN",
                    f"shipment {sh.id}",
                    delivered,
                    f"outcome says delivered {o.delivered:g} delay {o.delay:g}, picked up by "
                    f"{o.truck}; stops say {delivered:g}, {delay:g}, picked up by {pt}",
                )
            )
    for sid in seen.moves:
        if sid in ships and not (picks.get(sid) and drops.get(sid)):
            out.append(
                Violation("R1", f"shipment {sid}", None, "unloaded or loaded but never delivered")
            )
    _check_rail_bookings(inst, plan, seen, out)
    _check_transload_list(inst, plan, seen, out)
    k = plan.kpis
    checks = [
        ("weighted_delay", k.weighted_delay, weighted),
        ("km", k.km, km_total),
        ("served", k.served, sum(1 for s in inst.shipments if s.id in drops)),
        ("unserved", k.unserved, len(plan.unserved)),
        ("trucks_used", k.trucks_used, len(plan.routes)),
    ]
    for name, stated, actual in checks:
        if abs(stated - actual) > max(TOL, 1e-6 * abs(actual)) * 10:
            out.append(
                Violation(
                    "PLAN", f"kpis.{name}", None, f"states {stated:g}, the plan gives {actual:g}"
                )
            )
    # What else the plan states (drivers, passes, lists, outcomes, KPIs), re-derived.
    # Imported here: statements.py imports Violation and TOL from this module.
    out += check_statements(inst, plan, km_total)
    return Report(out)


def _check_change(
    inst: Instance,
    plan: Plan,
    sid: str,
    pick: tuple[str, int, float],
    drop: tuple[str, int, float],
    moves: list[tuple[str, str, int, float, float, str | None]],
    out: list[Violation],
) -> None:
    """R10/R11 for one shipment that changes truck or mode on its way."""
    name = f"shipment {sid}"
    unloads = [m for m in moves if m[0] == "unload"]
    loads = [m for m in moves if m[0] == "load"]
    if len(unloads) != 1 or len(loads) != 1:
        out.append(
            Violation(
                "R10",
                name,
                None,
                f"unloaded {len(unloads)} and loaded {len(loads)} times on its way; one "
                "change of truck or mode is planned per shipment",
            )
        )
        return
    (_, ut, ui, ustart, udepart, ust), (_, lt, li, lstart, _, lst) = unloads[0], loads[0]
    (pt, pi, _), (dt, di, _) = pick, drop
    if ut != pt or ui < pi:
        out.append(
            Violation("R2", name, ustart, f"unloaded by {ut} before or without its pickup by {pt}")
        )
    if lt != dt or li > di:
        out.append(
            Violation("R2", name, lstart, f"loaded by {lt} after or without delivery by {dt}")
        )
    stations = inst.relay_stations_by_id
    rail = {r.id: r for r in inst.rail_stations}
    if ust in stations:
        st = stations[ust]
        if not st.transload:
            out.append(
                Violation(
                    "R10", name, udepart, f"goods change trucks at {ust}, which has no transload"
                )
            )
            return
        if lst != ust:
            out.append(Violation("R10", name, lstart, f"unloaded at {ust} but loaded at {lst}"))
            return
        if lstart < udepart + st.transload_minutes - TOL:
            out.append(
                Violation(
                    "R10",
                    name,
                    lstart,
                    f"loaded at {lstart:g}, before unloading ends plus the transload time "
                    f"({udepart:g} + {st.transload_minutes:g})",
                )
            )
        if st.hours and not (_within(st.hours, ustart) and _within(st.hours, lstart)):
            out.append(Violation("R10", name, ustart, f"transload outside the hours of {ust}"))
        return
    if ust in rail:
        rides = [b for b in plan.rail_bookings if sid in b.shipments]
        if len(rides) != 1:
            out.append(
                Violation("R11", name, udepart, f"rides {len(rides)} listed rail bookings, not one")
            )
            return
        b = rides[0]
        svc = next((x for x in inst.rail_services if x.id == b.service), None)
        if svc is None:
            out.append(Violation("R11", name, None, f"booked on unknown service {b.service}"))
            return
        if svc.origin != ust or svc.destination != lst:
            out.append(
                Violation(
                    "R11",
                    name,
                    udepart,
                    f"service {svc.id} runs {svc.origin}->{svc.destination}, "
                    f"but the goods go {ust}->{lst}",
                )
            )
            return
        if not any(abs(b.departure - d) <= TOL for d in svc.departures):
            out.append(
                Violation(
                    "R11",
                    name,
                    b.departure,
                    f"departure {b.departure:g} is not in {svc.id}'s timetable",
                )
            )
        if udepart > b.departure - svc.cutoff_minutes + TOL:
            out.append(
                Violation(
                    "R11",
                    name,
                    udepart,
                    f"at the station at {udepart:g}, after the cut-off "
                    f"{b.departure - svc.cutoff_minutes:g} of the {b.departure:g} departure",
                )
            )
        ready = b.departure + svc.duration + rail[lst].handling_minutes
        if lstart < ready - TOL:
            out.append(
                Violation(
                    "R11",
                    name,
                    lstart,
                    f"collected at {lstart:g}, before arrival plus handling ({ready:g})",
                )
            )
        return
    out.append(
        Violation(
            "R10",
            name,
            udepart,
            f"goods change trucks at {ust!r}, which is no transload or rail station",
        )
    )


def _check_rail_bookings(inst: Instance, plan: Plan, seen: _Seen, out: list[Violation]) -> None:
    """R11: each departure within its capacity; bookings name shipments that ride."""
    services = {x.id: x for x in inst.rail_services}
    ships = inst.shipments_by_id
    used: dict[tuple[str, float], dict[str, float]] = {}
    for b in plan.rail_bookings:
        name = f"rail booking {b.service}@{b.departure:g}"
        svc = services.get(b.service)
        if svc is None:
            out.append(Violation("R11", name, None, "unknown rail service"))
            continue
        if abs(b.arrival - (b.departure + svc.duration)) > TOL:
            out.append(
                Violation(
                    "PLAN", name, None, f"arrival {b.arrival:g} does not follow the timetable"
                )
            )
        load: dict[str, float] = {}
        for sid in b.shipments:
            if sid not in ships:
                out.append(Violation("PLAN", name, None, f"unknown shipment {sid}"))
                continue
            if not any(m[0] == "unload" for m in seen.moves.get(sid, [])):
                out.append(
                    Violation(
                        "PLAN", name, None, f"lists {sid}, which no truck brings to the train"
                    )
                )
            for dim, q in ships[sid].quantity.items():
                load[dim] = load.get(dim, 0.0) + q
        for dim in set(load) | set(b.load):
            if abs(load.get(dim, 0.0) - b.load.get(dim, 0.0)) > TOL:
                out.append(
                    Violation(
                        "PLAN",
                        name,
                        None,
                        f"states load {b.load.get(dim, 0.0):g} {dim}, shipments give {load.get(dim, 0.0):g}",
                    )
                )
        key = (b.service, b.departure)
        total = used.setdefault(key, {})
        for dim, q in load.items():
            total[dim] = total.get(dim, 0.0) + q
    for (sid, dep), total in used.items():
        cap = services[sid].capacity
        for dim, q in total.items():
            if q > cap.get(dim, 0.0) + TOL:
                out.append(
                    Violation(
                        "R11",
                        f"rail departure {sid}@{dep:g}",
                        dep,
                        f"carries {q:g} {dim}, capacity {cap.get(dim, 0.0):g}",
                    )
                )


def _check_transload_list(inst: Instance, plan: Plan, seen: _Seen, out: list[Violation]) -> None:
    """R10: every change of truck at a transload station is listed, and only those."""
    stations = inst.relay_stations_by_id
    actual: dict[tuple[str, str, str, str], float] = {}
    for sid, moves in seen.moves.items():
        un = [m for m in moves if m[0] == "unload"]
        lo = [m for m in moves if m[0] == "load"]
        if len(un) == 1 and len(lo) == 1 and un[0][5] in stations:
            actual[(str(un[0][5]), sid, un[0][1], lo[0][1])] = un[0][4]
    listed = {(t.station, t.shipment, t.from_truck, t.to_truck): t for t in plan.transloads}
    for station, sid, a, b in sorted(set(actual) - set(listed)):
        out.append(
            Violation(
                "R10", f"shipment {sid}", None, f"transload at {station} from {a} to {b} not listed"
            )
        )
    for key, t in sorted(listed.items()):
        station, sid, a, b = key
        if key not in actual:
            out.append(
                Violation(
                    "R10",
                    f"shipment {sid}",
                    t.time,
                    f"listed transload at {station} from {a} to {b} does not happen",
                )
            )
        elif (
            abs(t.time - actual[key]) > TOL
            or abs(t.ready - (t.time + stations[station].transload_minutes)) > TOL
        ):
            out.append(
                Violation(
                    "PLAN",
                    f"transload of {sid}",
                    t.time,
                    "time is not the end of unloading, or ready is not time + transload minutes",
                )
            )


def _check_route(
    world: _World,
    r: TruckRoute,
    out: list[Violation],
    picks: dict[str, list[tuple[str, int, float]]],
    drops: dict[str, list[tuple[str, int, float]]],
    seen: _Seen,
) -> float:
    inst = world.inst
    truck = inst.trucks_by_id[r.truck]
    places = inst.places_by_id
    ships = inst.shipments_by_id
    name = f"truck {r.truck}"
    if r.driver_kind != "outside" or r.driver in seen.loop:
        out.append(
            Violation(
                "R7",
                name,
                None,
                "a truck starts its day with its own outside driver, not a loop driver",
            )
        )
    stops = r.stops
    if len(stops) < 2 or stops[0].kind != "start" or stops[-1].kind != "end":
        out.append(
            Violation(
                "PLAN", name, None, "a route starts with a start stop and ends with an end stop"
            )
        )
        return 0.0
    depot = inst.depots_by_id[truck.depot].place
    end_depot = inst.depots_by_id[truck.end_depot or truck.depot].place
    if stops[0].place != depot or stops[-1].place != end_depot:
        out.append(Violation("R12", name, None, f"must start at {depot} and end at {end_depot}"))
    lo, hi = truck.available
    if stops[0].depart < lo - TOL or stops[-1].arrive > hi + TOL:
        out.append(
            Violation(
                "R12",
                name,
                stops[0].depart,
                f"works {stops[0].depart:g}-{stops[-1].arrive:g}, outside its availability {lo:g}-{hi:g}",
            )
        )
    if truck.driver_pool is not None:
        pool = inst.pools_by_id[truck.driver_pool]
        if stops[0].depart < pool.shift[0] - TOL or stops[-1].arrive > pool.shift[1] + TOL:
            out.append(
                Violation(
                    "R12",
                    f"driver of {r.truck}",
                    stops[0].depart,
                    f"outside shift {pool.shift[0]:g}-{pool.shift[1]:g}",
                )
            )
        if stops[-1].arrive - stops[0].depart > pool.max_duty + TOL:
            out.append(
                Violation(
                    "R12",
                    f"driver of {r.truck}",
                    stops[-1].arrive,
                    f"duty {stops[-1].arrive - stops[0].depart:g} min over max {pool.max_duty:g}",
                )
            )
    if len(r.legs) != len(stops) - 1:
        out.append(
            Violation(
                "PLAN",
                name,
                None,
                f"{len(stops)} stops need {len(stops) - 1} legs, got {len(r.legs)}",
            )
        )
        return 0.0
    load: dict[str, float] = {}
    km = 0.0
    for i, s in enumerate(stops):
        where = f"{name} stop {i} ({s.place})"
        if s.place not in places:
            out.append(Violation("PLAN", where, None, "unknown place"))
            continue
        if not (s.arrive - TOL <= s.start <= s.depart + TOL):
            out.append(Violation("R2", where, s.arrive, "needs arrive <= start <= depart"))
        z = (
            world.zone_at(places[s.place].lon, places[s.place].lat)
            if world.mode != "euclidean"
            else None
        )
        came = r.legs[i - 1].driver if 0 < i <= len(r.legs) else r.driver
        goes = r.legs[i].driver if i < len(r.legs) else r.driver
        if s.driver != goes:
            out.append(
                Violation("PLAN", where, s.depart, f"names driver {s.driver}, the next leg {goes}")
            )
        _check_stop_drivers(world, r, i, z, came, goes, where, out, seen)
        if s.kind in ("unload", "load"):
            if len(s.shipments) != 1 or s.shipments[0] not in ships:
                out.append(
                    Violation("PLAN", where, None, "a load or unload stop names one known shipment")
                )
                continue
            sh = ships[s.shipments[0]]
            relay = inst.relay_stations_by_id
            rail_at = {x.id: x.place for x in inst.rail_stations}
            at = relay[s.station].place if s.station in relay else rail_at.get(s.station or "")
            if at is None or at != s.place:
                rule = "R11" if s.station in rail_at else "R10"
                out.append(
                    Violation(
                        rule,
                        where,
                        s.start,
                        f"goods of {sh.id} are {s.kind}ed here, which is not the place of a "
                        f"transload or rail station (stop names {s.station!r})",
                    )
                )
            service = sh.delivery_minutes if s.kind == "unload" else sh.pickup_minutes
            if s.depart < s.start + service - TOL:
                out.append(
                    Violation(
                        "R2", where, s.start, f"leaves before its {service:g} min of service end"
                    )
                )
            seen.moves.setdefault(sh.id, []).append(
                (s.kind, r.truck, i, s.start, s.depart, s.station)
            )
            sign = 1.0 if s.kind == "load" else -1.0
            for dim, q in sh.quantity.items():
                load[dim] = load.get(dim, 0.0) + sign * q
        if s.kind in ("pickup", "delivery"):
            if len(s.shipments) != 1 or s.shipments[0] not in ships:
                out.append(
                    Violation(
                        "PLAN", where, None, "a pickup or delivery stop names one known shipment"
                    )
                )
                continue
            sh = ships[s.shipments[0]]
            expected = sh.origin if s.kind == "pickup" else sh.destination
            if s.place != expected:
                out.append(
                    Violation(
                        "R1",
                        where,
                        s.start,
                        f"shipment {sh.id} is {s.kind} at {expected}, not here",
                    )
                )
            service = sh.pickup_minutes if s.kind == "pickup" else sh.delivery_minutes
            if s.depart < s.start + service - TOL:
                out.append(
                    Violation(
                        "R2", where, s.start, f"leaves before its {service:g} min of service end"
                    )
                )
            if s.kind == "pickup" and s.start < sh.ready - TOL:
                out.append(
                    Violation(
                        "R4", where, s.start, f"picks up {sh.id} before it is ready at {sh.ready:g}"
                    )
                )
            if not _within(places[s.place].hours, s.start):
                out.append(
                    Violation(
                        "R4", where, s.start, f"service starts outside the hours of {s.place}"
                    )
                )
            (picks if s.kind == "pickup" else drops).setdefault(sh.id, []).append(
                (r.truck, i, s.start)
            )
            sign = 1.0 if s.kind == "pickup" else -1.0
            for dim, q in sh.quantity.items():
                load[dim] = load.get(dim, 0.0) + sign * q
        for dim in set(load) | set(truck.capacity):
            have = load.get(dim, 0.0)
            if have > truck.capacity.get(dim, 0.0) + TOL:
                out.append(
                    Violation(
                        "R3",
                        where,
                        s.depart,
                        f"{have:g} {dim} on board, capacity {truck.capacity.get(dim, 0.0):g}",
                    )
                )
            if have < -TOL:
                out.append(Violation("R3", where, s.depart, f"negative load {have:g} {dim}"))
            if abs(s.load.get(dim, 0.0) - have) > TOL:
                out.append(
                    Violation(
                        "R3",
                        where,
                        s.depart,
                        f"states load {s.load.get(dim, 0.0):g} {dim}, actually {have:g}",
                    )
                )
        if i + 1 < len(stops):
            km += _check_leg(world, r, i, out, seen)
    if abs(r.km - km) > 10 * TOL:
        out.append(Violation("PLAN", name, None, f"states {r.km:g} km, its legs give {km:g}"))
    return km


def _check_leg(world: _World, r: TruckRoute, i: int, out: list[Violation], seen: _Seen) -> float:
    inst = world.inst
    leg, a, b = r.legs[i], r.stops[i], r.stops[i + 1]
    name = f"truck {r.truck} leg {i} ({a.place}->{b.place})"
    pool = seen.loop.get(leg.driver)
    if leg.driver != r.driver and pool is None:
        out.append(
            Violation(
                "R7",
                name,
                leg.depart,
                f"driven by {leg.driver}, neither the truck's driver nor a loop driver of the plan",
            )
        )
    truck = inst.trucks_by_id[r.truck]
    cps = inst.checkpoints_by_id
    if abs(leg.depart - a.depart) > TOL or abs(leg.arrive - b.arrive) > TOL:
        out.append(Violation("R2", name, leg.depart, "leg times do not join its stops"))
    if not leg.path:
        out.append(Violation("PLAN", name, None, "empty path"))
        return 0.0
    if leg.path[0] != world.place_node.get(a.place) or leg.path[-1] != world.place_node.get(
        b.place
    ):
        out.append(Violation("R2", name, leg.depart, "path does not run from one stop to the next"))
    if world.mode != "road" and len(leg.coords) != len(leg.path):
        out.append(Violation("PLAN", name, None, "coords must match path nodes one to one"))
        return 0.0
    if world.mode == "road" and world.graph is not None:
        for n in leg.path:
            if n not in world.graph:
                out.append(
                    Violation("R12", name, leg.depart, f"node {n!r} is not in the road network")
                )
                return 0.0
    xy = [world.node_xy(n, leg, k) for k, n in enumerate(leg.path)]
    t = leg.depart
    km = 0.0
    crossings = list(leg.crossings)
    used = 0
    zone_here = world.zone_at(*xy[0]) if world.mode != "euclidean" else None
    gate_seen: list[tuple[str, float]] = []  # gates passed since the last plain node, with time
    for k in range(len(leg.path)):
        node = leg.path[k]
        if k:
            minutes, dkm, fault = world.step(leg.path[k - 1], node, xy[k - 1], xy[k])
            if fault:
                out.append(Violation("R12", name, t, fault))
            t += minutes
            km += dkm
        if node in world.gate_of:
            gate_seen.append((world.gate_of[node], t))
            continue
        # A sealed transit road is a tube through its zone: its nodes count as outside.
        z = (
            world.zone_at(*xy[k])
            if world.mode != "euclidean" and node not in world.sealed
            else None
        )
        if pool is not None:
            if z is not None and z != pool.zone:
                out.append(
                    Violation(
                        "R6",
                        name,
                        t,
                        f"loop driver {leg.driver} of zone {pool.zone!r} drives through {node!r} in zone {z!r}",
                    )
                )
        elif z is not None and world.policy[z] == "closed_loop":
            out.append(
                Violation(
                    "R5",
                    name,
                    t,
                    f"an outside driver drives through {node!r} inside closed-loop zone {z!r}",
                )
            )
        if z != zone_here:
            for zone, direction in ((zone_here, "out"), (z, "in")):
                if zone is None:
                    continue
                gates = [(g, tg) for g, tg in gate_seen if cps[g].zone == zone]
                if not gates:
                    out.append(
                        Violation(
                            "R9",
                            name,
                            t,
                            f"crosses the boundary of zone {zone!r} away from any checkpoint",
                        )
                    )
                    continue
                cp, reached = cps[gates[-1][0]], gates[-1][1]
                if cp.closed:
                    out.append(
                        Violation("R9", name, reached, f"crosses at closed checkpoint {cp.id}")
                    )
                if (
                    direction == "in"
                    and world.policy[zone] == "permit"
                    and zone not in truck.permits
                ):
                    out.append(
                        Violation(
                            "R9", name, reached, f"enters permit zone {zone!r} without a pass"
                        )
                    )
                c = crossings[used] if used < len(crossings) else None
                if c is None or c.checkpoint != cp.id or c.direction != direction:
                    out.append(
                        Violation(
                            "R9",
                            name,
                            reached,
                            f"crossing {direction} of zone {zone!r} at {cp.id} is not listed",
                        )
                    )
                    t += cp.delay
                    continue
                used += 1
                inspect_at = c.depart - cp.delay
                if cp.throughput_per_hour is not None:
                    seen.inspections.setdefault(cp.id, []).append(inspect_at)
                if direction == "in" and world.policy[zone] == "permit":
                    seen.entries.append((r.truck, cp.id, zone, c.arrive, c.depart))
                if c.arrive < reached - TOL:
                    out.append(
                        Violation(
                            "R2",
                            name,
                            c.arrive,
                            f"reaches checkpoint {cp.id} at {c.arrive:g}, the road takes until {reached:g}",
                        )
                    )
                inspect = c.depart - cp.delay
                if inspect < c.arrive - TOL:
                    out.append(
                        Violation(
                            "R9",
                            name,
                            c.arrive,
                            f"leaves checkpoint {cp.id} before its {cp.delay:g} min inspection ends",
                        )
                    )
                if not cp.closed and not _within(cp.hours, inspect):
                    out.append(
                        Violation(
                            "R9", name, inspect, f"checkpoint {cp.id} is not open at {inspect:g}"
                        )
                    )
                # Whatever waiting and inspection took pushes the rest of the leg back.
                t += max(c.depart - reached, cp.delay)
            zone_here = z
        gate_seen = []
    if used != len(crossings):
        out.append(Violation("R9", name, None, "lists crossings the path does not make"))
    if leg.arrive < t - TOL:
        out.append(
            Violation(
                "R2", name, leg.arrive, f"arrives at {leg.arrive:g}, but the road takes it to {t:g}"
            )
        )
    if abs(leg.km - km) > 10 * TOL:
        out.append(Violation("PLAN", name, None, f"states {leg.km:g} km, its path is {km:g} km"))
    return km


def _declared_loop_drivers(
    inst: Instance, plan: Plan, out: list[Violation]
) -> dict[str, DriverPool]:
    loop: dict[str, DriverPool] = {}
    for d in plan.loop_drivers:
        pool = inst.pools_by_id.get(d.pool)
        if pool is None or pool.kind != "loop":
            out.append(
                Violation(
                    "PLAN", f"loop driver {d.driver}", None, f"pool {d.pool!r} is not a loop pool"
                )
            )
            continue
        if d.driver in loop:
            out.append(Violation("PLAN", f"loop driver {d.driver}", None, "listed twice"))
        loop[d.driver] = pool
    return loop


def _home(inst: Instance, pool: DriverPool) -> str | None:
    if pool.station is not None:
        return pool.station
    ss = [s.id for s in inst.relay_stations if s.zone == pool.zone and s.driver_swap]
    return ss[0] if len(ss) == 1 else None


def _check_stop_drivers(
    world: _World,
    r: TruckRoute,
    i: int,
    z: str | None,
    came: str,
    goes: str,
    where: str,
    out: list[Violation],
    seen: _Seen,
) -> None:
    """R5-R7 at one stop: who may stand here, and whether the truck changes driver."""
    inst = world.inst
    s = r.stops[i]
    stations = inst.relay_stations_by_id
    for who in dict.fromkeys((came, goes)):
        pool = seen.loop.get(who)
        if z is not None and world.policy[z] == "closed_loop":
            if pool is None:
                out.append(
                    Violation(
                        "R5",
                        where,
                        s.arrive,
                        f"an outside driver stops inside closed-loop zone {z!r}",
                    )
                )
            elif pool.zone != z:
                out.append(
                    Violation(
                        "R6",
                        where,
                        s.arrive,
                        f"loop driver {who} of zone {pool.zone!r} stops in zone {z!r}",
                    )
                )
        elif pool is not None:
            st = stations.get(s.station or "")
            at_station = (
                s.kind == "handover"
                and st is not None
                and st.zone == pool.zone
                and st.place == s.place
            )
            if not at_station:
                out.append(
                    Violation(
                        "R6",
                        where,
                        s.arrive,
                        f"loop driver {who} stops outside zone {pool.zone!r}, not at one of its relay stations",
                    )
                )
    if came == goes:
        if s.kind == "handover":
            out.append(
                Violation("PLAN", where, s.start, "a handover stop without a change of driver")
            )
        return
    st = stations.get(s.station or "")
    if s.kind != "handover" or st is None or not st.driver_swap or st.place != s.place:
        out.append(
            Violation(
                "R7",
                where,
                s.start,
                f"the truck changes driver ({came} -> {goes}) away from a relay station with driver swap",
            )
        )
        return
    if s.depart - s.start < st.handover_minutes - TOL:
        out.append(
            Violation(
                "R7",
                where,
                s.start,
                f"handover takes {s.depart - s.start:g} min, needs {st.handover_minutes:g}",
            )
        )
    if st.hours and not any(a - TOL <= s.start and s.depart <= b + TOL for a, b in st.hours):
        out.append(
            Violation("R4", where, s.start, f"handover outside the hours of station {st.id}")
        )
    seen.bays.setdefault(st.id, []).append((s.start, s.depart))
    seen.handovers.append((st.id, r.truck, round(s.start, 3), came, goes))
    if came in seen.loop:
        began = seen.open.pop((r.truck, came), None)
        if began is not None:
            seen.duties.setdefault(came, []).append((began[0], s.depart, began[1], st.id, r.truck))
    if goes in seen.loop:
        seen.open[(r.truck, goes)] = (s.start, st.id)


def _sweep_max(intervals: list[tuple[float, float]]) -> tuple[int, float]:
    """Most intervals open at once, and when."""
    events = sorted([(a + TOL, 1) for a, _ in intervals] + [(b - TOL, -1) for _, b in intervals])
    most, now, when = 0, 0, 0.0
    for t, d in events:
        now += d
        if now > most:
            most, when = now, t
    return most, when


def _check_relay(inst: Instance, plan: Plan, seen: _Seen, out: list[Violation]) -> None:
    """R7 bays and handover list, R8 loop-driver duties, R9 throughput and passes."""
    listed = Counter(
        (h.station, h.truck, round(h.start, 3), h.from_driver, h.to_driver) for h in plan.handovers
    )
    made = Counter(seen.handovers)
    for h in made - listed:
        out.append(
            Violation(
                "R7",
                f"station {h[0]}",
                h[2],
                f"handover of {h[1]} ({h[3]} -> {h[4]}) is not listed in handovers",
            )
        )
    for h in listed - made:
        out.append(
            Violation(
                "PLAN", f"station {h[0]}", h[2], f"lists a handover of {h[1]} that no route makes"
            )
        )
    stations = inst.relay_stations_by_id
    for sid, used in seen.bays.items():
        most, when = _sweep_max(used)
        if most > stations[sid].bays:
            out.append(
                Violation(
                    "R7",
                    f"station {sid}",
                    when,
                    f"{most} handovers at once, {stations[sid].bays} bays",
                )
            )
    per_pool: Counter[str] = Counter()
    declared = {d.driver: d for d in plan.loop_drivers}
    for driver, spans in seen.duties.items():
        pool = seen.loop[driver]
        per_pool[pool.id] += 1
        spans.sort()
        for (_, b1, _, _, t1), (a2, _, _, _, t2) in zip(spans, spans[1:]):
            if a2 < b1 - TOL:
                out.append(
                    Violation("R8", f"loop driver {driver}", a2, f"drives {t1} and {t2} at once")
                )
        first, last = spans[0][0], max(b for _, b, _, _, _ in spans)
        if first < pool.shift[0] - TOL or last > pool.shift[1] + TOL:
            out.append(
                Violation(
                    "R8",
                    f"loop driver {driver}",
                    first,
                    f"works {first:g}-{last:g}, outside shift {pool.shift[0]:g}-{pool.shift[1]:g}",
                )
            )
        if last - first > pool.max_duty + TOL:
            out.append(
                Violation(
                    "R8",
                    f"loop driver {driver}",
                    last,
                    f"duty {last - first:g} min over max {pool.max_duty:g}",
                )
            )
        home = _home(inst, pool)
        for a, _, s_in, s_out, truck in spans:
            if home is not None and (s_in != home or s_out != home):
                out.append(
                    Violation(
                        "R8",
                        f"loop driver {driver}",
                        a,
                        f"takes {truck} at {s_in} and returns it at {s_out}, away from home station {home}",
                    )
                )
        d = declared.get(driver)
        if d is not None and (abs(d.start - first) > TOL or abs(d.end - last) > TOL):
            out.append(
                Violation(
                    "PLAN",
                    f"loop driver {driver}",
                    first,
                    f"duty listed {d.start:g}-{d.end:g}, routes give {first:g}-{last:g}",
                )
            )
    for (truck, driver), (t, _) in seen.open.items():
        out.append(
            Violation("R7", f"truck {truck}", t, f"loop driver {driver} never hands it back")
        )
    for pid, n in per_pool.items():
        if n > inst.pools_by_id[pid].count:
            out.append(
                Violation(
                    "R8",
                    f"loop pool {pid}",
                    None,
                    f"{n} loop drivers work, {inst.pools_by_id[pid].count} in the pool",
                )
            )
    cps = inst.checkpoints_by_id
    for cp, times in seen.inspections.items():
        limit = cps[cp].throughput_per_hour
        assert limit is not None
        times.sort()
        lo = 0
        for hi, t in enumerate(times):
            while times[lo] <= t - 60 + TOL:
                lo += 1
            if hi - lo + 1 > limit:
                out.append(
                    Violation(
                        "R9",
                        f"checkpoint {cp}",
                        t,
                        f"{hi - lo + 1} inspections within an hour, throughput {limit}",
                    )
                )
                break
    for truck, cp, zone, arrive, depart in seen.entries:
        if not any(
            p.truck == truck
            and p.checkpoint == cp
            and p.zone == zone
            and p.valid_from <= arrive + TOL
            and p.valid_to >= depart - TOL
            for p in plan.passes
        ):
            out.append(
                Violation(
                    "R9",
                    f"truck {truck}",
                    arrive,
                    f"enters permit zone {zone!r} at {cp} with no pass listed",
                )
            )

"""What a plan *states*, re-derived from its routes and compared (issue 13, part 4).

The route checks in :mod:`relayroute.validate` re-simulate the stops and legs. A plan
also states lists and figures that stations, drivers and the pass service read: who
drives which truck, the passes, the handover list, the loop-driver roster, each
shipment's outcome and the KPIs. Each is derived here again from the routes (and the
instance), never from the solver's code, and compared.

A fault is named under one rule, so that one wrong statement is one violation's rule:

- **R12**: one outside driver named on two trucks whose duties overlap, or who ends one
  truck's day elsewhere than the next truck's day starts (a driver in two places at
  once), drives trucks of two pools, or is on duty longer than the pool allows in all.
  An outside driver *may* drive several trucks one after the other (and counts once in
  its pool's size).
- **R9**: everything about passes, since "the plan lists every pass" is part of R9: a
  pass that covers no entry into a permit zone, two passes for one entry, a pass made out
  to another driver than the one who drives the truck in, or a window other than from
  reaching the entry checkpoint to leaving the zone (or the end of the day); and what is
  written on it: its id (``pass-<truck>-<checkpoint>-<seconds>``, one per pass), the
  truck's plate and the driver's name as the instance gives them, the window's clock times
  (ISO 8601 with the instance's offset) and the shipments aboard while the truck is in.
- **PLAN**: a statement that does not follow from the routes (or the instance's names: a
  route's plate and driver name, a loop driver's name): a handover's direction
  or end, the loop-driver roster (excursions, home station, zone, drivers who drive
  nothing), a shipment outcome (itinerary, stations, segments, pickup, weighted delay),
  a rail booking's cost, and the KPIs.

A loop driver in two places at once stays R8 and a missing list entry stays under the
rule that already names it (R7 handovers, R9 passes, R10 transloads): the checks here
skip what those report, so one fault is not named twice under two rules.

KPIs: the counts are of what the routes do (drivers who take trucks, driver changes,
entries into permit zones, shipments moved across at transload stations, departures
booked), the objective follows from the instance's weights with the plan's
``solver.objective`` overrides. ``delay_lower_bound`` is not checked: it needs each
shipment's fastest itinerary alone, a search of its own; ``solve_seconds`` is a
measurement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from relayroute.model.plan import Pass, Plan, Segment, Stop, TruckRoute
from relayroute.validate.report import TOL

if TYPE_CHECKING:
    from relayroute.model.instance import Instance
    from relayroute.validate.report import Found

# Half a unit of the fourth decimal the plan rounds to: on time means a delay that rounds to 0.
ON_TIME = 5e-5


def check_statements(found: Found, inst: Instance, plan: Plan, km: float) -> None:
    """The plan's statements against what its routes do.

    Parameters
    ----------
    found
        Where the violations go.
    inst
        The instance.
    plan
        The plan.
    km
        Kilometres of all legs as the validator measured them along their paths.
    """
    facts = _derive(inst, plan)
    _check_outside_drivers(found, inst, plan)
    _check_passes(found, inst, plan, facts)
    _check_handover_list(found, plan)
    _check_roster(found, inst, plan, facts)
    _check_identities(found, inst, plan)
    _check_outcomes(found, inst, plan, facts)
    _check_kpis(found, inst, plan, facts, km)


@dataclass
class _Entry:
    """A truck entering a permit zone, and until when it stays in."""

    truck: str
    driver: str
    checkpoint: str
    zone: str
    arrive: float
    until: float
    passes: int = 0
    # Shipments aboard at the entry or named at a stop before the truck leaves the zone.
    shipments: set[str] = field(default_factory=set)


@dataclass
class _Excursion:
    truck: str
    start: float
    station: str | None
    end: float | None = None
    places: list[str] = field(default_factory=list)


@dataclass
class _Event:
    """A stop naming a shipment: route, stop index, stop, and the relay station the truck
    came in through when a loop driver has it there."""

    route: TruckRoute
    index: int
    stop: Stop
    station: str | None


@dataclass
class _Facts:
    loop_zone: dict[str, str | None]  # declared loop driver -> zone of its pool
    excursions: dict[str, list[_Excursion]] = field(default_factory=dict)
    handovers: int = 0
    entries: list[_Entry] = field(default_factory=list)
    events: dict[str, list[_Event]] = field(default_factory=dict)


def _drivers(r: TruckRoute, i: int) -> tuple[str, str]:
    """Who brings the truck to stop i and who drives it away."""
    came = r.legs[i - 1].driver if i > 0 else r.driver
    goes = r.legs[i].driver if i < len(r.legs) else r.driver
    return came, goes


def _whole(r: TruckRoute) -> bool:
    """A route the derivations can read (the route checks report the others)."""
    return len(r.stops) >= 2 and len(r.legs) == len(r.stops) - 1


def _derive(inst: Instance, plan: Plan) -> _Facts:
    pools = inst.pools_by_id
    facts = _Facts(
        {
            d.driver: pools[d.pool].zone
            for d in plan.loop_drivers
            if d.pool in pools and pools[d.pool].kind == "loop"
        }
    )
    zones = inst.zones_by_id
    for r in plan.routes:
        if not _whole(r):
            continue
        open_: dict[str, _Excursion] = {}
        here: str | None = None
        for i, s in enumerate(r.stops):
            came, goes = _drivers(r, i)
            if came != goes:
                facts.handovers += 1
                if came != r.driver and came in open_:
                    ex = open_.pop(came)
                    ex.end = s.depart
                if goes != r.driver:
                    ex = _Excursion(r.truck, s.start, s.station)
                    open_[goes] = ex
                    facts.excursions.setdefault(goes, []).append(ex)
                here = s.station if goes != r.driver else None
            if (
                s.kind in ("pickup", "delivery", "unload", "load")
                and came != r.driver
                and came in open_
            ):
                open_[came].places.append(s.place)
            if s.shipments:
                facts.events.setdefault(s.shipments[0], []).append(_Event(r, i, s, here))
        inside: dict[str, _Entry] = {}
        picked: set[str] = set()
        dropped: set[str] = set()
        for leg, after in zip(r.legs, r.stops[1:]):
            for c in leg.crossings:
                # An entry starts a stay: judged by the policy when its leg leaves.
                z = zones.get(c.zone)
                if (
                    c.direction == "in"
                    and z is not None
                    and z.policy_at(leg.depart) == "permit"
                    and facts.loop_zone.get(leg.driver, "") != c.zone
                ):
                    e = _Entry(
                        r.truck, leg.driver, c.checkpoint, c.zone, c.arrive, r.stops[-1].arrive
                    )
                    e.shipments = picked - dropped
                    inside[c.zone] = e
                    facts.entries.append(e)
                elif c.direction == "out" and c.zone in inside:
                    inside.pop(c.zone).until = c.depart
            for e in inside.values():
                e.shipments |= set(after.shipments)
            if after.kind in ("pickup", "load"):
                picked |= set(after.shipments)
                dropped -= set(after.shipments)
            elif after.kind in ("delivery", "unload"):
                dropped |= set(after.shipments)
    return facts


def _near(a: float | None, b: float | None, tol: float = TOL) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= tol


def _check_outside_drivers(found: Found, inst: Instance, plan: Plan) -> None:
    """R12: an outside driver drives one truck at a time, and picks up the next where the
    last one's day ended; all its trucks of one pool, all its duty within the pool's max."""
    trucks = inst.trucks_by_id
    loop = {d.driver for d in plan.loop_drivers}
    by_driver: dict[str, list[TruckRoute]] = {}
    for r in plan.routes:
        if r.truck in trucks and len(r.stops) >= 2 and r.driver not in loop:
            by_driver.setdefault(r.driver, []).append(r)
    for driver, routes in by_driver.items():
        if len(routes) < 2:
            continue
        name = f"outside driver {driver}"
        routes.sort(key=lambda r: (r.stops[0].depart, r.truck))
        a = routes[0]  # of the trucks so far, the one whose day ends last
        for b in routes[1:]:
            a0, a1, b0 = a.stops[0].depart, a.stops[-1].arrive, b.stops[0].depart
            if b0 < a1 - TOL:
                found.add(
                    "R12",
                    name,
                    b0,
                    f"drives {a.truck} ({a0:g}-{a1:g}) and {b.truck} "
                    f"({b0:g}-{b.stops[-1].arrive:g}) at once",
                )
            elif a.stops[-1].place != b.stops[0].place:
                found.add(
                    "R12",
                    name,
                    b0,
                    f"ends {a.truck}'s day at {a.stops[-1].place} but starts "
                    f"{b.truck}'s at {b.stops[0].place}",
                )
            if b.stops[-1].arrive > a1:
                a = b
        pools = {trucks[r.truck].driver_pool for r in routes}
        if len(pools) > 1:
            found.add(
                "R12",
                name,
                None,
                f"drives trucks of pools {', '.join(sorted(str(p) for p in pools))}",
            )
            continue
        pid = pools.pop()
        if pid is not None and pid in inst.pools_by_id:
            first = routes[0].stops[0].depart
            last = max(r.stops[-1].arrive for r in routes)
            limit = inst.pools_by_id[pid].max_duty
            if last - first > limit + TOL:
                found.add(
                    "R12",
                    name,
                    last,
                    f"on duty {first:g}-{last:g} over {len(routes)} trucks, max duty {limit:g}",
                )


def _check_passes(found: Found, inst: Instance, plan: Plan, facts: _Facts) -> None:
    """R9: each pass covers one entry into a permit zone, made out to the truck and the
    driver who drive in there, valid from reaching the checkpoint until the truck leaves
    the zone (or ends its day inside)."""
    for k, p in enumerate(plan.passes):
        name = f"pass {k} ({p.truck} at {p.checkpoint})"
        covered = [
            e
            for e in facts.entries
            if e.truck == p.truck
            and e.checkpoint == p.checkpoint
            and e.zone == p.zone
            and p.valid_from - TOL <= e.arrive <= p.valid_to + TOL
        ]
        if not covered:
            found.add(
                "R9",
                name,
                p.valid_from,
                f"covers no entry of {p.truck} into permit zone {p.zone!r} at {p.checkpoint}",
            )
            continue
        e = min(covered, key=lambda e: (e.passes, abs(e.arrive - p.valid_from)))
        e.passes += 1
        if e.passes > 1:
            found.add(
                "R9", name, e.arrive, f"a second pass for the entry of {p.truck} at {e.arrive:g}"
            )
        if p.driver != e.driver:
            found.add(
                "R9", name, e.arrive, f"made out to {p.driver}, but {e.driver} drives {p.truck} in"
            )
        if not (_near(p.valid_from, e.arrive) and _near(p.valid_to, e.until)):
            found.add(
                "R9",
                name,
                p.valid_from,
                f"valid {p.valid_from:g}-{p.valid_to:g}; the truck reaches the checkpoint "
                f"at {e.arrive:g} and is in the zone until {e.until:g}",
            )
        _check_pass_papers(found, inst, p, name, e)
    ids = [p.id for p in plan.passes]
    for k, p in enumerate(plan.passes):
        if ids.index(p.id) != k:
            found.add(
                "R9",
                f"pass {k} ({p.truck} at {p.checkpoint})",
                p.valid_from,
                f"id {p.id!r} is also pass {ids.index(p.id)}'s",
            )


def _names(inst: Instance) -> dict[str, str]:
    """Each named driver's name: trucks' own drivers and loop drivers by pool order."""
    out = {f"{t.id}/driver": t.driver for t in inst.trucks if t.driver is not None}
    for pool in inst.driver_pools:
        out.update({f"{pool.id}/{k}": n for k, n in enumerate(pool.drivers, start=1)})
    return out


def _check_identities(found: Found, inst: Instance, plan: Plan) -> None:
    """PLAN: each route's plate and driver name, and each loop driver's name, as the
    instance gives them (none where it gives none)."""
    names = _names(inst)
    trucks = inst.trucks_by_id
    for r in plan.routes:
        t = trucks.get(r.truck)
        if t is not None and (r.plate, r.driver_name) != (t.plate, names.get(r.driver)):
            found.add(
                "PLAN",
                f"route of {r.truck}",
                None,
                f"plate {r.plate!r} and driver name {r.driver_name!r}; the instance gives "
                f"{t.plate!r} and {names.get(r.driver)!r}",
            )
    for d in plan.loop_drivers:
        if d.name != names.get(d.driver):
            found.add(
                "PLAN",
                f"loop driver {d.driver}",
                None,
                f"named {d.name!r}; its pool names it {names.get(d.driver)!r}",
            )


def _stamp(inst: Instance, minutes: float) -> str:
    """Minutes from the start as the pass states them: ISO 8601 to the second, with offset."""
    return (inst.start + timedelta(minutes=minutes)).isoformat(timespec="seconds")


def _check_pass_papers(found: Found, inst: Instance, p: Pass, name: str, e: _Entry) -> None:
    """R9: what is written on a pass: its stable id, the truck's plate, the driver's name,
    the window as clock times, and the shipments aboard while the truck is in the zone."""
    truck = inst.trucks_by_id.get(p.truck)
    wrong = []
    want_id = f"pass-{p.truck}-{p.checkpoint}-{round(e.arrive * 60)}"
    if p.id != want_id:
        wrong.append(f"id {p.id!r}, expected {want_id!r}")
    if truck is not None and p.plate != truck.plate:
        wrong.append(f"plate {p.plate!r}, the truck's is {truck.plate!r}")
    if p.driver_name != _names(inst).get(p.driver):
        wrong.append(f"driver name {p.driver_name!r}, {p.driver} is {_names(inst).get(p.driver)!r}")
    for label, at, minutes in (
        ("from", p.valid_from_at, p.valid_from),
        ("to", p.valid_to_at, p.valid_to),
    ):
        if at != _stamp(inst, minutes):
            wrong.append(f"valid {label} {at!r}, {minutes:g} minutes is {_stamp(inst, minutes)!r}")
    if set(p.shipments) != e.shipments or len(p.shipments) != len(e.shipments):
        wrong.append(f"for shipments {p.shipments}, aboard in the zone: {sorted(e.shipments)}")
    elif p.shipments != sorted(p.shipments):
        wrong.append("shipments not sorted")
    if wrong:
        found.add("R9", name, p.valid_from, "; ".join(wrong))


def _check_handover_list(found: Found, plan: Plan) -> None:
    """PLAN: a listed handover's direction (in: to a loop driver, out: back to the truck's
    own driver) and end (the handover stop's departure) follow from its stop."""
    routes = {r.truck: r for r in plan.routes if _whole(r)}
    for h in plan.handovers:
        r = routes.get(h.truck)
        if r is None:
            continue
        # Its stop: a change of driver at that station and time, the same drivers first.
        at = [
            (i, s, *_drivers(r, i))
            for i, s in enumerate(r.stops)
            if s.station == h.station and _near(s.start, h.start)
        ]
        at = [x for x in at if x[2] != x[3]]
        at.sort(key=lambda x: (x[2], x[3]) != (h.from_driver, h.to_driver))
        if not at:
            continue  # "lists a handover that no route makes", reported with the handovers
        _, s, came, goes = at[0]
        direction = "out" if goes == r.driver else "in"
        if h.direction != direction or not _near(h.end, s.depart):
            found.add(
                "PLAN",
                f"handover of {h.truck} at {h.station}",
                h.start,
                f"listed {h.direction} ending {h.end:g}; the route hands it "
                f"{direction} ({came} -> {goes}), ending {s.depart:g}",
            )


def _check_roster(found: Found, inst: Instance, plan: Plan, facts: _Facts) -> None:
    """PLAN: each loop driver's home station, zone and excursions as the routes give them."""
    pools = inst.pools_by_id
    stations = inst.relay_stations_by_id
    for d in plan.loop_drivers:
        pool = pools.get(d.pool)
        if pool is None or pool.kind != "loop":
            continue  # reported with the declared loop drivers
        name = f"loop driver {d.driver}"
        made = sorted(facts.excursions.get(d.driver, []), key=lambda e: (e.start, e.truck))
        if not made:
            found.add("PLAN", name, d.start, "listed, but takes no truck")
            continue
        # The pool's station, else the zone's only driver-swap station; with several
        # and none named, any of them can be home.
        swaps = [x.id for x in inst.relay_stations if x.zone == pool.zone and x.driver_swap]
        home = pool.station or (swaps[0] if len(swaps) == 1 else None)
        if home is not None and d.station != home:
            found.add("PLAN", name, None, f"home station listed {d.station}, it is {home}")
        elif home is None and d.station not in swaps:
            found.add(
                "PLAN",
                name,
                None,
                f"home station {d.station} is no driver-swap station of zone {pool.zone!r}",
            )
        zone = pool.zone or (stations[home].zone if home in stations else None)
        if d.zone != zone:
            found.add("PLAN", name, None, f"zone listed {d.zone!r}, its pool's {zone!r}")
        listed = sorted(d.excursions, key=lambda e: (e.start, e.truck))
        same = len(listed) == len(made) and all(
            a.truck == b.truck
            and _near(a.start, b.start)
            and _near(a.end, b.end)
            and a.places == b.places
            for a, b in zip(listed, made)
        )
        if not same:

            def show(xs: list[tuple[str, float, float | None, list[str]]]) -> str:
                return "; ".join(
                    f"{t} {a:g}-{'?' if b is None else f'{b:g}'} {','.join(p)}" for t, a, b, p in xs
                )

            found.add(
                "PLAN",
                name,
                d.start,
                "excursions listed "
                + show([(e.truck, e.start, e.end, e.places) for e in listed])
                + "; the routes give "
                + show([(e.truck, e.start, e.end, e.places) for e in made]),
            )


def _zone_of(facts: _Facts, r: TruckRoute, i: int) -> tuple[bool, str | None]:
    """(known, closed zone) of stop i, from who brings the truck there: a loop driver
    only stops inside its zone (R6), an outside driver never inside a closed one (R5)."""
    came, _ = _drivers(r, i)
    if came == r.driver:
        return True, None
    if came not in facts.loop_zone:
        return False, None  # an undeclared driver: R7 elsewhere
    return True, facts.loop_zone[came]


def _itinerary(zo: str | None, zd: str | None) -> str:
    if zo is None and zd is None:
        return "direct"
    if zo is None:
        return "relay_in"
    if zd is None:
        return "relay_out"
    return "inside" if zo == zd else "relay_through"


def _road(r: TruckRoute, origin: str, first: Stop, last: Stop) -> Segment:
    return Segment(
        mode="road",
        truck=r.truck,
        origin=origin,
        destination=last.place,
        start=first.start,
        end=last.depart,
    )


def _same_segment(a: Segment, b: Segment) -> bool:
    return (
        a.mode == b.mode
        and a.truck == b.truck
        and a.service == b.service
        and _near(a.departure, b.departure)
        and a.origin == b.origin
        and a.destination == b.destination
        and _near(a.start, b.start)
        and _near(a.end, b.end)
    )


def _check_outcomes(found: Found, inst: Instance, plan: Plan, facts: _Facts) -> None:
    """PLAN: each outcome's itinerary, stations, segments, pickup and weighted delay."""
    ships = inst.shipments_by_id
    relay = inst.relay_stations_by_id
    rail = {x.id for x in inst.rail_stations}
    services = {x.id: x for x in inst.rail_services}
    seen: set[str] = set()
    for o in plan.shipments:
        name = f"shipment {o.shipment}"
        if o.shipment in seen:
            found.add("PLAN", name, None, "has two outcomes")
            continue
        seen.add(o.shipment)
        sh = ships.get(o.shipment)
        evs = facts.events.get(o.shipment, [])
        by_kind: dict[str, list[_Event]] = {}
        for ev in evs:
            by_kind.setdefault(ev.stop.kind, []).append(ev)
        picks, drops = by_kind.get("pickup", []), by_kind.get("delivery", [])
        unloads, loads = by_kind.get("unload", []), by_kind.get("load", [])
        if sh is None or len(picks) != 1 or len(drops) != 1:
            continue  # R1 / PLAN elsewhere
        p, d = picks[0], drops[0]
        wrong: list[str] = []
        segments: list[Segment] | None
        itinerary: str | None
        if not unloads and not loads:
            known_o, zo = _zone_of(facts, p.route, p.index)
            known_d, zd = _zone_of(facts, d.route, d.index)
            itinerary = _itinerary(zo, zd) if known_o and known_d else None
            segments = [_road(d.route, sh.origin, p.stop, d.stop)]
        elif len(unloads) == 1 and len(loads) == 1:
            u, ld = unloads[0], loads[0]
            at = u.stop.station or ""
            segments = [_road(u.route, sh.origin, p.stop, u.stop)]
            if at in relay:
                itinerary = "transload"
            elif at in rail:
                itinerary = "rail"
                rides = [b for b in plan.rail_bookings if o.shipment in b.shipments]
                svc = services.get(rides[0].service) if len(rides) == 1 else None
                if svc is None:
                    segments = None  # R11 elsewhere
                else:
                    dep = rides[0].departure
                    segments.append(
                        Segment(
                            mode="rail",
                            service=svc.id,
                            departure=dep,
                            origin=u.stop.place,
                            destination=ld.stop.place,
                            start=dep,
                            end=dep + svc.duration,
                        )
                    )
            else:
                itinerary, segments = None, None  # R10 elsewhere
            if segments is not None:
                segments.append(_road(d.route, ld.stop.place, ld.stop, d.stop))
        else:
            continue  # R10 elsewhere
        if itinerary is not None and o.itinerary != itinerary:
            wrong.append(f"itinerary {o.itinerary}, the stops make it {itinerary}")
        stations = list(dict.fromkeys(ev.station for ev in evs if ev.station))
        if o.stations != stations:
            wrong.append(f"stations {o.stations}, the truck passes {stations}")
        if segments is not None and not (
            len(o.segments) == len(segments)
            and all(_same_segment(a, b) for a, b in zip(o.segments, segments))
        ):
            wrong.append(
                "segments "
                + ", ".join(
                    f"{s.mode} {s.truck or s.service} {s.origin}->{s.destination} "
                    f"{s.start:g}-{s.end:g}"
                    for s in o.segments
                )
                + "; the stops give "
                + ", ".join(
                    f"{s.mode} {s.truck or s.service} {s.origin}->{s.destination} "
                    f"{s.start:g}-{s.end:g}"
                    for s in segments
                )
            )
        if not _near(o.pickup, p.stop.start):
            wrong.append(f"pickup {o.pickup:g}, its pickup stop starts {p.stop.start:g}")
        delay = max(0.0, d.stop.start + sh.delivery_minutes - sh.due)
        if not _near(o.weighted_delay, sh.priority * delay, TOL * max(1.0, sh.priority)):
            wrong.append(
                f"weighted delay {o.weighted_delay:g}, priority {sh.priority:g} x delay "
                f"{delay:g} = {sh.priority * delay:g}"
            )
        for w in wrong:
            found.add("PLAN", name, d.stop.start, f"outcome states {w}")


def _weights(found: Found, plan: Plan, inst: Instance) -> dict[str, float] | None:
    """The instance's objective weights with the plan's solver overrides."""
    w = {k: float(v) for k, v in inst.objective.model_dump().items()}
    over = plan.solver.get("objective", {}) if isinstance(plan.solver, dict) else {}
    if not isinstance(over, dict):
        over = {}
    for k, v in over.items():
        if k not in w or not isinstance(v, int | float) or isinstance(v, bool):
            found.add(
                "PLAN", "solver.objective", None, f"unknown or non-numeric weight {k!r}: {v!r}"
            )
            return None
        w[k] = float(v)
    return w


def _check_priority_classes(
    found: Found, inst: Instance, plan: Plan, delays: dict[str, float]
) -> None:
    """PLAN: each priority class's figures (kpis.by_priority), from the deliveries;
    plans written before the classes were stated list none."""
    stated = plan.kpis.by_priority
    if not stated:
        return
    ships = inst.shipments_by_id
    classes = sorted({s.priority for s in inst.shipments}, reverse=True)
    if [c.priority for c in stated] != classes:
        found.add(
            "PLAN",
            "kpis.by_priority",
            None,
            f"lists priorities {[c.priority for c in stated]}, the instance has {classes}",
        )
        return
    for c in stated:
        late = [x for s, x in delays.items() if ships[s].priority == c.priority]
        actual = {
            "shipments": sum(1 for s in inst.shipments if s.priority == c.priority),
            "served": len(late),
            "on_time_share": sum(1 for x in late if x < ON_TIME) / len(late) if late else 0.0,
            "weighted_delay": c.priority * sum(late),
            "max_delay": max(late, default=0.0),
        }
        for key, value in actual.items():
            tol = ON_TIME + 1e-9 if key == "on_time_share" else 10 * TOL * max(1, len(late))
            if abs(getattr(c, key) - value) > tol:
                found.add(
                    "PLAN",
                    f"kpis.by_priority[{c.priority:g}].{key}",
                    None,
                    f"states {getattr(c, key):g}, the stops give {value:g}",
                )


def _check_kpis(found: Found, inst: Instance, plan: Plan, facts: _Facts, km: float) -> None:
    """PLAN: objective, on-time share and the counts, from what the routes do."""
    relay = inst.relay_stations_by_id
    services = {x.id: x for x in inst.rail_services}
    served: dict[str, float | None] = {}  # shipment -> its delay (None: delivered twice)
    moved_across = 0
    for sh in inst.shipments:
        evs = facts.events.get(sh.id, [])
        drops = [ev.stop for ev in evs if ev.stop.kind == "delivery"]
        unloads = [ev.stop for ev in evs if ev.stop.kind == "unload"]
        loads = [ev.stop for ev in evs if ev.stop.kind == "load"]
        # Unloaded and never loaded again (a re-plan's goods held at a station): no
        # goods moved between trucks.
        if len(unloads) == 1 and loads and (unloads[0].station or "") in relay:
            moved_across += 1
        if drops:
            served[sh.id] = (
                max(0.0, drops[0].start + sh.delivery_minutes - sh.due) if len(drops) == 1 else None
            )
    ships = inst.shipments_by_id
    delays = {s: x for s, x in served.items() if x is not None}
    weighted = sum(ships[s].priority * x for s, x in delays.items())
    loop_drivers = len(facts.excursions)
    departures: dict[tuple[str, float], float] = {}
    for j, b in enumerate(plan.rail_bookings):
        svc = services.get(b.service)
        if svc is None:
            continue  # R11 elsewhere
        name = f"rail booking {b.service}@{b.departure:g}"
        key = (b.service, round(b.departure, 3))
        if not b.shipments:
            found.add("PLAN", name, b.departure, "books a departure for no shipment")
        elif key in departures:
            found.add("PLAN", name, b.departure, f"listed twice (booking {j})")
        else:
            departures[key] = svc.cost
        if abs(b.cost - svc.cost) > TOL:
            found.add("PLAN", name, None, f"states cost {b.cost:g}, the service costs {svc.cost:g}")
    k = plan.kpis
    n = len(served)
    share = sum(1 for x in delays.values() if x < ON_TIME) / n if n else 0.0
    counts = [
        ("loop_drivers_used", k.loop_drivers_used, loop_drivers),
        ("handovers", k.handovers, facts.handovers),
        ("passes", k.passes, len(facts.entries)),
        ("transloads", k.transloads, moved_across),
        ("rail_bookings", k.rail_bookings, len(departures)),
    ]
    for label, stated, actual in counts:
        if stated != actual:
            found.add("PLAN", f"kpis.{label}", None, f"states {stated}, the routes give {actual}")
    if abs(k.on_time_share - share) > ON_TIME + 1e-9:
        found.add(
            "PLAN",
            "kpis.on_time_share",
            None,
            f"states {k.on_time_share:g}, the stops give {share:.4f} of {n} served",
        )
    _check_priority_classes(found, inst, plan, delays)
    w = _weights(found, plan, inst)
    if w is None:
        return
    unserved = sum(s.priority for s in inst.shipments if s.id not in served)
    # The day_end valuation (solver.unserved_cost): an unserved shipment also counts as
    # late until the day's end.
    day_end = isinstance(plan.solver, dict) and plan.solver.get("unserved_cost") == "day_end"
    until_day_end = sum(
        s.priority * max(0.0, inst.horizon - s.due)
        for s in inst.shipments
        if s.id not in served and day_end
    )
    objective = (
        w["unserved"] * unserved
        + w["delay"] * until_day_end
        + w["delay"] * weighted
        + w["km"] * km
        + w["truck"] * len(plan.routes)
        + w["loop_driver"] * loop_drivers
        + w["rail"] * sum(departures.values())
    )
    # Every figure the plan sums is rounded to 4 decimals: allow for that, per term.
    tol = (
        10 * TOL
        + 1e-9 * abs(objective)
        + 1e-4 * (w["delay"] * sum(ships[s].priority for s in delays) + w["km"] * len(plan.routes))
    )
    if abs(k.objective - objective) > tol:
        found.add(
            "PLAN",
            "kpis.objective",
            None,
            f"states {k.objective:.4f}; the instance's weights give {objective:.4f} "
            f"(unserved priority {unserved:g}, weighted delay {weighted:g}, {km:g} km, "
            f"{len(plan.routes)} trucks, {loop_drivers} loop drivers, "
            f"rail cost {sum(departures.values()):g})",
        )

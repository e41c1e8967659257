"""R1-R4: every shipment served once or listed unserved, in order, within capacity and time.

- **R1** coverage: each shipment is picked up and delivered once, at its own origin and
  destination, or listed unserved with a reason; never both.
- **R2** precedence and timing: pickup before delivery, service times, stop and leg times
  that join and that the roads allow.
- **R3** capacity: the load on board, re-added stop by stop, within the truck's capacity
  and as each stop states it.
- **R4** time windows: ready times, deadlines and the opening hours of sites.

The stop and leg checks are called by the walk (:mod:`relayroute.validate.walk`) as it
reaches each stop and leg; :func:`check_shipments` judges each shipment on what the walk
gathered. The plan's shipment outcomes and the totals they add up to are checked here too.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from relayroute.validate.goods import check_change
from relayroute.validate.report import TOL, within

# A re-plan's goods aboard bound into a zone closed to their truck: they stay aboard.
HELD = "held_aboard"
# A re-plan's goods unloaded at a transload or rail station that no truck collects.
HELD_AT_STATION = "held_at_station"

if TYPE_CHECKING:
    from relayroute.model.instance import Instance, Place, Shipment, Truck
    from relayroute.model.plan import Leg, Plan, ShipmentOutcome, Stop
    from relayroute.validate.goods import Move
    from relayroute.validate.report import Found
    from relayroute.validate.world import World

Visit = tuple[str, int, float]  # a pickup or delivery: truck, stop index, service start


def check_stop_times(found: Found, s: Stop, where: str) -> None:
    """R2: a stop's own times are in order."""
    if not (s.arrive - TOL <= s.start <= s.depart + TOL):
        found.add("R2", where, s.arrive, "needs arrive <= start <= depart")


def check_service(found: Found, s: Stop, service: float, where: str) -> None:
    """R2: the truck stays for the ``service`` minutes its goods take."""
    if s.depart < s.start + service - TOL:
        found.add("R2", where, s.start, f"leaves before its {service:g} min of service end")


def check_visit(found: Found, s: Stop, sh: Shipment, place: Place, where: str) -> None:
    """R1, R2 and R4 at a pickup or delivery stop of shipment ``sh`` at ``place``."""
    expected = sh.origin if s.kind == "pickup" else sh.destination
    if s.place != expected:
        found.add("R1", where, s.start, f"shipment {sh.id} is {s.kind} at {expected}, not here")
    check_service(found, s, sh.pickup_minutes if s.kind == "pickup" else sh.delivery_minutes, where)
    if s.kind == "pickup" and s.start < sh.ready - TOL:
        found.add("R4", where, s.start, f"picks up {sh.id} before it is ready at {sh.ready:g}")
    if not within(place.hours, s.start):
        found.add("R4", where, s.start, f"service starts outside the hours of {s.place}")


def check_load(found: Found, truck: Truck, load: dict[str, float], s: Stop, where: str) -> None:
    """R3: what is on board leaving the stop fits the truck and is what the stop states."""
    for dim in set(load) | set(truck.capacity):
        have = load.get(dim, 0.0)
        cap = truck.capacity.get(dim, 0.0)
        if have > cap + TOL:
            found.add("R3", where, s.depart, f"{have:g} {dim} on board, capacity {cap:g}")
        if have < -TOL:
            found.add("R3", where, s.depart, f"negative load {have:g} {dim}")
        if abs(s.load.get(dim, 0.0) - have) > TOL:
            found.add(
                "R3",
                where,
                s.depart,
                f"states load {s.load.get(dim, 0.0):g} {dim}, actually {have:g}",
            )


def check_leg_times(found: Found, leg: Leg, a: Stop, b: Stop, name: str) -> None:
    """R2: a leg leaves when its first stop is left and arrives when the next is reached."""
    if abs(leg.depart - a.depart) > TOL or abs(leg.arrive - b.arrive) > TOL:
        found.add("R2", name, leg.depart, "leg times do not join its stops")


def check_leg_ends(found: Found, world: World, leg: Leg, a: Stop, b: Stop, name: str) -> None:
    """R2: a leg's path runs from its first stop's node to the next one's."""
    if leg.path[0] != world.place_node.get(a.place) or leg.path[-1] != world.place_node.get(
        b.place
    ):
        found.add("R2", name, leg.depart, "path does not run from one stop to the next")


def check_arrival(found: Found, leg: Leg, t: float, name: str) -> None:
    """R2: a leg arrives no sooner than ``t``, when the walk along its roads gets there."""
    if leg.arrive < t - TOL:
        found.add(
            "R2", name, leg.arrive, f"arrives at {leg.arrive:g}, but the road takes it to {t:g}"
        )


def check_shipments(
    found: Found,
    inst: Instance,
    plan: Plan,
    picks: dict[str, list[Visit]],
    drops: dict[str, list[Visit]],
    moves: dict[str, list[Move]],
) -> float:
    """R1, R2 and R4 shipment by shipment, and each outcome; the priority-weighted delay.

    Parameters
    ----------
    found
        Where the violations go.
    inst, plan
        The instance and the plan.
    picks, drops
        Shipment -> its pickups / deliveries, as the walk found them on the routes.
    moves
        Shipment -> its unload and load stops (a change of truck or mode on its way).
    """
    ships = inst.shipments_by_id
    unserved: Counter[str] = Counter(u.shipment for u in plan.unserved)
    outcomes = {o.shipment: o for o in plan.shipments}
    for sid in set(unserved) | set(outcomes) | set(picks) | set(drops):
        if sid not in ships:
            found.add("PLAN", f"shipment {sid}", None, "unknown shipment")
    for u in plan.unserved:
        if not u.reason.strip():
            found.add("R1", f"shipment {u.shipment}", None, "listed unserved without a reason")
    weighted = 0.0
    held = {u.shipment: u.reason for u in plan.unserved if u.reason in (HELD, HELD_AT_STATION)}
    for sh in inst.shipments:
        p, d = picks.get(sh.id, []), drops.get(sh.id, [])
        if sh.id in held:
            at_station = held[sh.id] == HELD_AT_STATION
            _check_held(
                found, sh, unserved[sh.id], outcomes.get(sh.id), p, d, moves.get(sh.id), at_station
            )
            continue
        weighted += _check_shipment(
            found, inst, plan, sh, unserved[sh.id], outcomes.get(sh.id), p, d, moves.get(sh.id, [])
        )
    for sid in moves:
        if sid in ships and sid not in held and not (picks.get(sid) and drops.get(sid)):
            found.add("R1", f"shipment {sid}", None, "unloaded or loaded but never delivered")
    return weighted


def _check_held(
    found: Found,
    sh: Shipment,
    unserved: int,
    o: ShipmentOutcome | None,
    p: list[Visit],
    d: list[Visit],
    moves: list[Move] | None,
    at_station: bool = False,
) -> None:
    """A shipment listed ``held_aboard``: picked up once and never delivered, unloaded or
    loaded again (it stays on its truck to the end of the day; the walk counts its room).
    Listed ``held_at_station``: picked up once, unloaded once at a station (the walk
    checks it is one), never loaded or delivered again."""
    moves = moves or []
    if at_station:
        kinds = [m.kind for m in moves]
        if unserved > 1 or o is not None or len(p) != 1 or d or kinds != ["unload"]:
            found.add(
                "R1",
                f"shipment {sh.id}",
                None,
                f"listed {HELD_AT_STATION}: it must be picked up once, unloaded once at a "
                f"station and stay there (picked up {len(p)}, delivered {len(d)} times, "
                f"moves {kinds})",
            )
        return
    if unserved > 1 or o is not None or len(p) != 1 or d or moves:
        found.add(
            "R1",
            f"shipment {sh.id}",
            None,
            f"listed {HELD}: it must be picked up once and then stay on its truck "
            f"(picked up {len(p)}, delivered {len(d)} times{', moved' if moves else ''})",
        )


def _check_shipment(
    found: Found,
    inst: Instance,
    plan: Plan,
    sh: Shipment,
    unserved: int,
    o: ShipmentOutcome | None,
    p: list[Visit],
    d: list[Visit],
    moves: list[Move],
) -> float:
    """One shipment, listed ``unserved`` times; its priority-weighted delay (0: not served)."""
    name = f"shipment {sh.id}"
    served = bool(p or d)
    if unserved > 1:
        found.add("R1", name, None, "listed unserved more than once")
    if served and unserved:
        found.add("R1", name, None, "both delivered and listed unserved")
    if not served and not unserved:
        found.add("R1", name, None, "neither delivered nor listed unserved")
    if not served:
        if o is not None:
            found.add("PLAN", name, None, "has an outcome but no stops")
        return 0.0
    if len(p) != 1 or len(d) != 1:
        found.add("R1", name, None, f"picked up {len(p)} and delivered {len(d)} times")
        return 0.0
    (pt, pi, pstart), (dt, di, dstart) = p[0], d[0]
    if moves:
        check_change(found, inst, plan, sh.id, p[0], d[0], moves)
    elif pt != dt:
        found.add(
            "R10",
            name,
            None,
            f"picked up by {pt} but delivered by {dt} with no transload or rail leg",
        )
    elif di < pi:
        found.add("R2", name, dstart, "delivered before it is picked up")
    if dstart < pstart + sh.pickup_minutes - TOL:
        found.add("R2", name, dstart, "delivery starts before pickup ends")
    delivered = dstart + sh.delivery_minutes
    if sh.deadline is not None and delivered > sh.deadline + TOL:
        found.add("R4", name, delivered, f"delivered after its deadline {sh.deadline:g}")
    delay = max(0.0, delivered - sh.due)
    if o is None:
        found.add("PLAN", name, None, "delivered but has no outcome")
    elif abs(o.delivered - delivered) > TOL or abs(o.delay - delay) > TOL or o.truck != pt:
        found.add(
            "PLAN",
            name,
            delivered,
            f"outcome says delivered {o.delivered:g} delay {o.delay:g}, picked up by "
            f"{o.truck}; stops say {delivered:g}, {delay:g}, picked up by {pt}",
        )
    return sh.priority * delay


def check_totals(
    found: Found,
    inst: Instance,
    plan: Plan,
    weighted: float,
    km: float,
    drops: dict[str, list[Visit]],
) -> None:
    """PLAN: the KPIs the stops add up to (weighted delay, km, served, unserved, trucks)."""
    k = plan.kpis
    checks = [
        ("weighted_delay", k.weighted_delay, weighted),
        ("km", k.km, km),
        ("served", k.served, sum(1 for s in inst.shipments if s.id in drops)),
        ("unserved", k.unserved, len(plan.unserved)),
        ("trucks_used", k.trucks_used, len(plan.routes)),
    ]
    for label, stated, actual in checks:
        if abs(stated - actual) > max(TOL, 1e-6 * abs(actual)) * 10:
            found.add(
                "PLAN", f"kpis.{label}", None, f"states {stated:g}, the plan gives {actual:g}"
            )

"""``explain()``: how one shipment can move, alone, and what a plan did with it.

For a planner or the pass counter's clerk: which itinerary its ends call for (``direct``,
``relay_in``...), the relay stations on its way, the trucks that could carry it alone
within every window, its earliest delivery with unlimited trucks and drivers (the
yardstick its delay is measured against), or why nothing can serve it. Given a plan, also
what the plan did: its truck and delivery, or why it was left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from relayroute.errors import InputError
from relayroute.itineraries.build import classify_shipment
from relayroute.model.plan import clock
from relayroute.solve.insert import _problem, _shipment, built

if TYPE_CHECKING:
    from relayroute.io.instance import LoadedInstance
    from relayroute.model.instance import Shipment
    from relayroute.model.plan import Plan


@dataclass(frozen=True)
class Explanation:
    """How one shipment can move.

    Attributes
    ----------
    shipment
        Its id.
    itinerary
        What its ends call for: ``direct`` (both outside closed-loop zones),
        ``relay_in``, ``relay_out``, ``inside`` or ``relay_through``.
    servable
        Whether some truck (or way) can serve it alone within every window.
    reason, detail
        Why not, when not servable (codes as in a plan's ``unserved``).
    ways
        The ways it may go: ``road``, and where offered ``rail`` or ``transload``.
    stations
        Relay stations of the closed-loop zones its ends lie in.
    trucks
        Trucks that could carry it alone by road within every window and its deadline.
    earliest
        Its earliest delivery alone (minutes), None when not servable.
    earliest_at
        The same as ISO 8601 with the instance's offset.
    lower_bound
        Priority-weighted delay it cannot avoid: at its earliest delivery alone.
    planned
        What the plan given did: ``truck T03 delivers at 612.5 (delay 12.5)``,
        ``unserved: no_truck_free (...)``; None without a plan, or for a shipment not in it.
    """

    shipment: str
    itinerary: str
    servable: bool
    reason: str | None = None
    detail: str | None = None
    ways: list[str] = field(default_factory=list)
    stations: list[str] = field(default_factory=list)
    trucks: list[str] = field(default_factory=list)
    earliest: float | None = None
    earliest_at: str | None = None
    lower_bound: float = 0.0
    planned: str | None = None


def explain(
    loaded: LoadedInstance, shipment: str | Shipment | dict[str, Any], plan: Plan | None = None
) -> Explanation:
    """How a shipment of the instance, or a new one, can move alone; and what a plan did.

    Parameters
    ----------
    loaded
        The instance.
    shipment
        A shipment id of the instance, or a new shipment (a
        :class:`~relayroute.model.instance.Shipment` or its JSON data), checked against the
        instance as :func:`relayroute.insert` checks it.
    plan
        A plan for the instance, to say what it did with the shipment.

    Returns
    -------
    Explanation
        Its itinerary, ways, stations, trucks, earliest delivery alone, or why nothing can
        serve it.

    Raises
    ------
    InputError
        An id the instance does not have, or a new shipment that does not fit the instance.

    Examples
    --------
    >>> import relayroute as rr
    >>> loaded = rr.read_instance("tests/data/small-straight.json")
    >>> e = rr.explain(loaded, "S3")
    >>> e.itinerary, e.servable, e.stations
    ('relay_in', True, ['rs_west'])
    >>> e.earliest <= loaded.instance.shipments_by_id["S3"].due
    True
    >>> far = {"id": "X", "origin": "sup1", "destination": "cust1", "quantity": {"t": 99},
    ...        "ready": 400, "due": 600}
    >>> rr.explain(loaded, far).reason
    'no_truck_capacity'
    """
    inst = loaded.instance
    base = built(loaded)
    if isinstance(shipment, str):
        sh = inst.shipments_by_id.get(shipment)
        if sh is None:
            raise InputError("shipment", f"no shipment {shipment!r} in instance {inst.name!r}")
        grown = inst
    else:
        sh = _shipment(inst, shipment)
        grown = inst.model_copy(update={"shipments": [*inst.shipments, sh]})
    if base.inst.shipments_by_id.get(sh.id) == sh:
        # Classified when the tables were built, with its rail and transload ways.
        prob = base
        reason = base.unserved.get(sh.id)
    else:
        prob = _problem(loaded, grown, plan)
        reason = classify_shipment(prob, sh)  # by road: the new shipment's only way here
    itinerary = prob.itinerary.get(sh.id, "direct")
    zones = {prob.place_zone.get(p) for p in (sh.origin, sh.destination)} - {None}
    stations = sorted(s.id for z in zones for s in prob.swap_stations.get(str(z), []))
    trucks = sorted({prob.vehicles[v].truck for v in prob.eligible.get(sh.id, [])})
    ways = [w.kind for w in prob.ways.get(sh.id, [])] or ([] if reason else ["road"])
    earliest = None if reason else prob.solo.get(sh.id)
    lower = 0.0 if earliest is None else sh.priority * max(0.0, earliest - sh.due)
    return Explanation(
        shipment=sh.id,
        itinerary=itinerary,
        servable=reason is None,
        reason=reason.code if reason else None,
        detail=reason.detail if reason else None,
        ways=list(dict.fromkeys(ways)),
        stations=stations,
        trucks=trucks,
        earliest=None if earliest is None else round(earliest, 4),
        earliest_at=None if earliest is None else clock(inst.start, earliest),
        lower_bound=round(lower, 4),
        planned=_planned(plan, sh.id),
    )


def _planned(plan: Plan | None, sid: str) -> str | None:
    if plan is None:
        return None
    for o in plan.shipments:
        if o.shipment == sid:
            return f"truck {o.truck} delivers at {o.delivered:g} (delay {o.delay:g}), {o.itinerary}"
    for u in plan.unserved:
        if u.shipment == sid:
            return f"unserved: {u.reason} ({u.detail})"
    return None

"""Ways a shipment may travel, and the parts each way is made of (one truck or train each).

A shipment goes by ``road`` (one truck, with handovers at relay stations where its ends
are in closed zones), by ``rail`` (a truck to the origin rail station before the cut-off,
a listed departure, a truck from the destination station after arrival plus handling), or
by ``transload`` (one truck to a transload station, another truck on from there after the
transload time). Each truck leg is a shipment of its own for the routing, timing and
scheduling machinery (a *leg shipment*, id ``<shipment>~<way>#<n>``); the way a shipment
takes is one choice of the routing model, so departures and their capacity are part of
the optimisation.

A rail leg's times are fixed by its departure: the first leg must be unloaded at the
station by the cut-off (its deadline), the last may be collected from arrival plus
handling (its ready time). A transload's time is the routing search's: once routes are
chosen it is fixed, and the two legs become independent like the rail ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relayroute.itineraries.problem import Problem
    from relayroute.model.instance import Instance, Shipment

DEPARTURES_PER_SERVICE = 3  # the first departures a shipment can still make, per service


@dataclass(frozen=True)
class Way:
    """One way to carry a shipment: its parts in order (part shipment ids).

    A *part* is the stretch one truck carries (the plan calls it a segment); a plan's
    ``Leg`` is something else, a truck's drive between two stops.
    """

    kind: str  # road | rail | transload
    parts: tuple[str, ...]
    service: str | None = None
    departure: float | None = None
    station: str | None = None  # transload station


def leg_id(shipment: str, tag: str, n: int) -> str:
    return f"{shipment}~{tag}#{n}"


@dataclass
class Expansion:
    """What :func:`split_ways` makes of an instance."""

    instance: Instance  # the original shipments and every leg shipment
    ways: dict[str, list[Way]]  # original shipment -> candidate ways (road first)
    parent: dict[str, str]  # leg shipment -> original shipment


def _leg(sh: Shipment, tag: str, n: int, origin: str, destination: str, **kw: object) -> Shipment:
    return sh.model_copy(
        update={"id": leg_id(sh.id, tag, n), "origin": origin, "destination": destination, **kw}
    )


def split_ways(inst: Instance) -> Expansion:
    """Candidate ways of every shipment, with their leg shipments added to the instance.

    Rail: every service, and per service the first ``DEPARTURES_PER_SERVICE`` departures
    whose cut-off is after the shipment is ready. Transload: every station offering it.
    Ways whose legs cannot be served are pruned later, when legs are classified.
    """
    rail_places = {r.id: r for r in inst.rail_stations}
    transload = [s for s in inst.relay_stations if s.transload]
    extra: list[Shipment] = []
    ways: dict[str, list[Way]] = {}
    parent: dict[str, str] = {}
    for sh in inst.shipments:
        out = [Way("road", (sh.id,))]
        for svc in inst.rail_services:
            a, b = rail_places[svc.origin], rail_places[svc.destination]
            if sh.origin == a.place or sh.destination == b.place:
                continue  # goods already at a station: not modelled
            deps = sorted(d for d in svc.departures if d - svc.cutoff_minutes >= sh.ready)
            for dep in deps[:DEPARTURES_PER_SERVICE]:
                tag = f"rail:{svc.id}@{dep:g}"
                cut = dep - svc.cutoff_minutes
                ready = dep + svc.duration + b.handling_minutes
                first = _leg(sh, tag, 1, sh.origin, a.place, due=cut, deadline=cut)
                last = _leg(sh, tag, 2, b.place, sh.destination, ready=ready)
                extra += [first, last]
                out.append(Way("rail", (first.id, last.id), svc.id, dep))
        for st in transload:
            if st.place in (sh.origin, sh.destination):
                continue
            tag = f"transload:{st.id}"
            first = _leg(sh, tag, 1, sh.origin, st.place, due=inst.horizon * 3, deadline=None)
            last = _leg(sh, tag, 2, st.place, sh.destination)
            extra += [first, last]
            out.append(Way("transload", (first.id, last.id), station=st.id))
        for w in out[1:]:
            for leg in w.parts:
                parent[leg] = sh.id
        ways[sh.id] = out
    expanded = inst.model_copy(update={"shipments": [*inst.shipments, *extra]})
    return Expansion(expanded, ways, parent)


# Room the timing gets between a transload the routes planned and the next truck's
# collection: the dispatcher may meet queues the routing model did not see.
TRANSLOAD_SLACK = 30.0


def fix_transloads(prob: Problem, transload_starts: dict[str, float]) -> Problem:
    """The problem with each chosen transload's time fixed, from the routes.

    ``transload_starts`` maps a transload way's first leg to when its unloading starts.
    The first leg must then be unloaded by that time plus ``TRANSLOAD_SLACK``; the second
    leg may be collected from then plus the station's transload minutes. The legs no
    longer wait on each other, so trucks are timed independently.
    """
    if not transload_starts:
        return prob
    ships = prob.inst.shipments_by_id
    stations = prob.inst.relay_stations_by_id
    update: dict[str, Shipment] = {}
    for first_id, start in transload_starts.items():
        way = prob.way_of[first_id]
        first, last = ships[way.parts[0]], ships[way.parts[1]]
        down = start + first.delivery_minutes + TRANSLOAD_SLACK
        update[first.id] = first.model_copy(update={"deadline": down, "due": down})
        ready = down + stations[str(way.station)].transload_minutes
        update[last.id] = last.model_copy(update={"ready": max(last.ready, ready)})
    shipments = [update.get(s.id, s) for s in prob.inst.shipments]
    return dataclasses.replace(prob, inst=prob.inst.model_copy(update={"shipments": shipments}))

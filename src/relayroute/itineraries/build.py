"""From an instance to what the solver works on: travel tables per driver class, the
vehicles the routing model chooses between, itineraries, and shipments no itinerary
can serve (with the reason).

Itineraries. A shipment whose ends are both outside closed-loop zones goes ``direct``
on an outside truck (through permit zones with a pass). An end inside a closed-loop
zone is reached by relay: the truck drives to one of the zone's relay stations, a loop
driver takes it in, serves the inside stops and brings it back ("swap the driver, keep
the truck"). Hence ``relay_in`` (outside → inside), ``relay_out`` (inside → outside),
``inside`` (both ends in one zone) and ``relay_through`` (from one closed zone to
another). One excursion may serve several inside stops, inbound and outbound.

Each truck takes its excursions into a zone from one home station for the day. By
default (``station_choices=1``) trucks are spread over a zone's stations in proportion
to each station's loop-driver and bay capacity, nearest station first, since the
routing model cannot see those resources. With ``station_choices=k`` the routing
model instead holds one *vehicle* per (truck, one of its k nearest stations) and lets
at most one of them work, so the station is the search's choice.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from typing import TYPE_CHECKING

import numpy as np

from relayroute.errors import InputError
from relayroute.itineraries.problem import (
    INTERRUPTED,
    OUT_OF_TIME,
    Problem,
    Reason,
    Vehicle,
    truck_duty,
)
from relayroute.itineraries.trips import Visit, earliest_schedule, plan_trip
from relayroute.itineraries.ways import Way, split_ways
from relayroute.network import Network, Profile, TravelTable, build_network

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from relayroute.model.instance import Instance, RelayStation, Shipment, Truck


def build_problem(
    inst: Instance,
    base: Path | None = None,
    net: Network | None = None,
    station_choices: int = 1,
    deadline: float | None = None,
    stop: Callable[[], bool] | None = None,
    every_place: bool = False,
) -> Problem:
    """Network, travel tables, vehicles and eligibility for ``inst``.

    Parameters
    ----------
    inst
        The instance.
    base
        Folder the instance's network files are relative to.
    net
        A network already built for it.
    station_choices
        1: each truck gets one home station per closed zone, spread by capacity;
        k > 1: the routing search chooses among each truck's k nearest stations.
    deadline
        A ``time.perf_counter`` time: shipments not yet looked at by then are left
        unserved as ``out_of_time`` (a run whose limit ends while it builds).
    stop
        Asked before each shipment: once it says True, the rest are left unserved as
        ``interrupted`` (a run stopped by a signal while it builds).
    every_place
        Travel tables between all places, not only those the shipments, depots and
        stations use: a shipment added later (:func:`classify_shipment`) may go anywhere.

    Raises
    ------
    InputError
        A loop pool names no station while its zone has several, a relay station
        stands inside a closed-loop zone, or a zone's policy changes during the day.
    """
    for i, zone in enumerate(inst.zones):
        if zone.changes:
            raise InputError(
                f"$.zones[{i}].changes",
                f"zone {zone.id!r} changes its policy during the day: plan the day up to the "
                "change, then `relayroute replan` with a zone-policy event (solving such a "
                "day whole is not supported)",
            )
    net = net or build_network(inst, base)
    original = inst
    expansion = split_ways(inst)
    inst = expansion.instance
    profiles = {t.id: Profile("outside", frozenset(t.permits)) for t in inst.trucks}
    place_zone: dict[str, str | None] = {}
    for p in inst.places:
        z = net.node_zone.get(net.place_node[p.id])
        place_zone[p.id] = z if z is not None and net.zone_policy[z] == "closed_loop" else None

    for i, st in enumerate(inst.relay_stations):
        inside = place_zone[st.place]
        if inside is not None:
            raise InputError(
                f"$.relay_stations[{i}].place",
                f"place {st.place!r} lies inside closed-loop zone {inside!r}; a relay station "
                "stands where outside drivers can reach it",
            )
    swap: dict[str, list[RelayStation]] = {}
    for s in inst.relay_stations:
        if s.driver_swap and s.zone is not None:
            swap.setdefault(s.zone, []).append(s)
    for i, pool in enumerate(inst.driver_pools):
        if pool.kind == "loop" and pool.station is None and len(swap.get(pool.zone or "", [])) > 1:
            raise InputError(
                f"$.driver_pools[{i}].station",
                f"zone {pool.zone!r} has several relay stations; say which one is this pool's home",
            )
    station_places = {s.place for ss in swap.values() for s in ss}
    sites = sorted(
        {inst.depots_by_id[t.depot].place for t in inst.trucks}
        | {s.place for s in inst.relay_stations if s.transload}
        | {inst.depots_by_id[t.end_depot].place for t in inst.trucks if t.end_depot}
        | {s.origin for s in inst.shipments}
        | {s.destination for s in inst.shipments}
        | station_places
        | ({p.id for p in inst.places} if every_place else set())
    )
    delays = {c.id: c.delay for c in inst.checkpoints}
    closed = {c.id for c in inst.checkpoints if c.closed}
    tables = {
        prof: TravelTable(net, prof, sites, delays, closed) for prof in set(profiles.values())
    }
    loop_tables = {
        z: TravelTable(
            net,
            Profile("loop", zone=z),
            sorted({s.place for s in ss} | {p for p in sites if place_zone[p] == z}),
            delays,
            closed,
        )
        for z, ss in swap.items()
    }
    draft = Problem(inst, net, profiles, tables, loop_tables, swap, place_zone)
    # Only stations with loop drivers can take a truck over (a handover).
    prob = dataclasses.replace(
        draft,
        swap_stations={z: [s for s in ss if draft.loop_pools(s.id)] for z, ss in swap.items()},
        duty={t.id: truck_duty(inst, t) for t in inst.trucks},
        original=original if expansion.parent else None,
        parent=expansion.parent,
    )
    prob = dataclasses.replace(prob, vehicles=_vehicles(prob, station_choices))
    second = {w.parts[1] for ws in expansion.ways.values() for w in ws if w.kind == "transload"}
    classes = _Classes(prob)
    for sh in inst.shipments:
        if sh.id not in second:
            _classify_one(prob, sh, classes, deadline, stop)
    if second:
        # A transload's second leg cannot start before the first leg's goods can be down
        # and moved across: its ready time, for the routes and the lower bound alike.
        stations = inst.relay_stations_by_id
        update: dict[str, Shipment] = {}
        for ws in expansion.ways.values():
            for w in ws:
                if w.kind == "transload" and w.parts[0] in prob.solo:
                    leg2 = inst.shipments_by_id[w.parts[1]]
                    ready = prob.solo[w.parts[0]] + stations[str(w.station)].transload_minutes
                    update[leg2.id] = leg2.model_copy(update={"ready": max(leg2.ready, ready)})
        inst = inst.model_copy(update={"shipments": [update.get(s.id, s) for s in inst.shipments]})
        prob = dataclasses.replace(prob, inst=inst)  # the tables filled so far go along
        for sid in sorted(second):
            _classify_one(prob, inst.shipments_by_id[sid], classes, deadline, stop)
    _keep_ways(prob, expansion.ways)
    return prob


def classify_shipment(prob: Problem, sh: Shipment) -> Reason | None:
    """Classify one more shipment of ``prob.inst`` by road, as :func:`build_problem` does.

    Its itinerary, eligible vehicles and earliest delivery alone go into ``prob``'s
    tables (give it copies of them when ``prob`` is shared); its places must be in the
    travel tables (``build_problem(..., every_place=True)``).

    Parameters
    ----------
    prob
        The problem, whose ``inst`` holds ``sh``.
    sh
        The shipment.

    Returns
    -------
    Reason or None
        Why no vehicle can serve it, or None: ``prob.eligible[sh.id]`` lists who can.
    """
    _classify_one(prob, sh, _Classes(prob), None, None)
    return prob.unserved.get(sh.id)


def _classify_one(
    prob: Problem,
    sh: Shipment,
    classes: _Classes,
    deadline: float | None,
    stop: Callable[[], bool] | None,
) -> None:
    prob.itinerary[sh.id] = _itinerary(prob, sh)
    if stop is not None and stop():
        reason: Reason | None = INTERRUPTED
    elif deadline is not None and time.perf_counter() > deadline:
        reason = OUT_OF_TIME
    else:
        reason = _classify(prob, sh, classes)
    if reason is not None:
        prob.unserved[sh.id] = reason


# Minutes a rail way may deliver (alone) after the shipment's due time or the
# road's earliest, and still be offered: when trucks or loop drivers are short the road
# way will be late too.
WAY_SLACK = 60.0


def _useful(prob: Problem, sid: str, way: Way) -> bool:
    """A way other than road is kept when the road way cannot serve the shipment; a rail
    way also when alone it would deliver no later than ``WAY_SLACK`` after the due time or
    the road way's earliest (a shortage of trucks or drivers may make it the better
    choice)."""
    if way.kind == "road" or sid in prob.unserved:
        return True
    if way.kind == "transload":
        # Only where the road cannot serve it: offered beside a road way, transloads were
        # never chosen and the search went slower and worse (yiwu-day-transload: 7,635
        # against 4,897 weighted delay road only), since its moves cannot switch ways.
        return False
    sh = prob.inst.shipments_by_id[sid]
    return not prob.solo[way.parts[-1]] > max(sh.due, prob.solo[sid]) + WAY_SLACK


def _keep_ways(prob: Problem, ways: dict[str, list[Way]]) -> None:
    """Keep the ways whose every leg can be served; a shipment with one is servable."""
    for sid, options in ways.items():
        servable = [w for w in options if all(leg not in prob.unserved for leg in w.parts)]
        kept = [w for w in servable if _useful(prob, sid, w)]
        if kept and kept[0].kind == "road":
            # Tried by the way switch where alone it delivers sooner than the road: on
            # the Yiwu days every other transload way is 67 min or more later alone, and
            # trying those cost the main search time and found nothing (BENCHMARKS.md).
            spare = [
                w
                for w in servable
                if w.kind == "transload" and prob.solo[w.parts[-1]] < prob.solo[sid] - 1e-9
            ]
            if spare:
                prob.spare[sid] = spare
                for w in spare:
                    for leg in w.parts:
                        prob.way_of[leg] = w
        if kept:
            prob.ways[sid] = kept
            for way in kept[1:] if kept[0].kind == "road" else kept:
                for leg in way.parts:
                    prob.way_of[leg] = way
            if sid in prob.unserved:
                del prob.unserved[sid]
            # The earliest any way delivers it alone: its last leg's earliest delivery.
            prob.solo[sid] = min(prob.solo[w.parts[-1]] for w in kept + prob.spare.get(sid, []))
    for leg in prob.parent:
        prob.unserved.pop(leg, None)
        prob.solo.pop(leg, None)


def _itinerary(prob: Problem, sh: Shipment) -> str:
    zo, zd = prob.place_zone[sh.origin], prob.place_zone[sh.destination]
    if zo is None and zd is None:
        return "direct"
    if zo is None:
        return "relay_in"
    if zd is None:
        return "relay_out"
    return "inside" if zo == zd else "relay_through"


def _station_minutes(prob: Problem, truck: Truck, zone: str) -> list[tuple[float, str]]:
    table = prob.table(truck.id)
    depot = prob.depot_place(truck)
    out = [
        (float(table.minutes[table.index[depot], table.index[s.place]]), s.id)
        for s in prob.swap_stations[zone]
        if table.reachable(depot, s.place)
    ]
    return sorted(out)


def _capacity(prob: Problem, station: RelayStation) -> float:
    """Excursion-minutes a station can take in a day: loop drivers, and bays (two
    handovers per excursion, an excursion about four times a handover pair)."""
    drivers = sum(count * duty for _, count, _, duty in prob.loop_pools(station.id))
    open_minutes = sum(b - a for a, b in station.hours) if station.hours else prob.inst.horizon
    return float(min(drivers, station.bays * open_minutes * 4))


def _vehicles(prob: Problem, choices: int) -> list[Vehicle]:
    """The routing model's vehicles: trucks with their home station in each closed zone."""
    zones = sorted(z for z, ss in prob.swap_stations.items() if ss)
    trucks = prob.inst.trucks
    near = {t.id: {z: _station_minutes(prob, t, z) for z in zones} for t in trucks}
    if choices > 1:
        out: list[Vehicle] = []
        for t in trucks:
            options = [[(z, sid) for _, sid in near[t.id][z][:choices]] for z in zones]
            combos = list(itertools.product(*[o for o in options if o])) or [()]
            out += [Vehicle(t.id, tuple(c)) for c in combos[:choices]]
        return out
    home: dict[str, list[tuple[str, str]]] = {t.id: [] for t in trucks}
    for z in zones:
        caps = {s.id: _capacity(prob, s) for s in prob.swap_stations[z]}
        total = sum(caps.values()) or 1.0
        quota = {sid: c / total * len(trucks) for sid, c in caps.items()}
        given = dict.fromkeys(caps, 0)

        def regret(t: Truck, z: str = z) -> float:
            m = [x for x, _ in near[t.id][z]]
            return m[1] - m[0] if len(m) > 1 else 0.0

        for t in sorted(trucks, key=lambda t: (-regret(t), t.id)):
            ids = [sid for _, sid in near[t.id][z]]
            if not ids:
                continue
            # Nearest station with quota left, else the least filled for its quota.
            sid = next(
                (s for s in ids if given[s] + 1 <= quota[s] + 0.5),
                min(ids, key=lambda s: given[s] / max(quota[s], 1e-9)),
            )
            given[sid] += 1
            home[t.id].append((z, sid))
    return [Vehicle(t.id, tuple(home[t.id])) for t in trucks]


def _class_keys(prob: Problem) -> dict[tuple[object, ...], list[int]]:
    groups: dict[tuple[object, ...], list[int]] = {}
    for v, veh in enumerate(prob.vehicles):
        truck = prob.inst.trucks_by_id[veh.truck]
        key = (
            prob.profiles[truck.id],
            prob.depot_place(truck),
            prob.depot_place(truck, end=True),
            prob.duty[truck.id],
            veh.stations,
        )
        groups.setdefault(key, []).append(v)
    return groups


def vehicle_classes(prob: Problem) -> list[list[int]]:
    """The vehicles (indices) grouped into classes whose trips of the same visits are the
    same: same profile (permits), depots, hours and duty, and home stations."""
    return list(_class_keys(prob).values())


class _Classes:
    """The vehicle classes with what classifying a shipment reads of them: each class's
    key and its members' trucks (positions in ``inst.trucks``), and the trucks'
    capacities as one array, so a shipment's fitting trucks are one numpy comparison
    (once per distinct quantity) rather than a pydantic look-up per truck."""

    def __init__(self, prob: Problem) -> None:
        groups = _class_keys(prob)
        trucks = prob.inst.trucks
        pos = {t.id: k for k, t in enumerate(trucks)}
        self.keys = [key[:4] for key in groups]  # the stations are looked at per zone
        self.members = [np.array(m, dtype=np.intp) for m in groups.values()]
        self.ints = list(range(len(prob.vehicles)))
        self.trucks = [
            np.array([pos[prob.vehicles[v].truck] for v in m], dtype=np.intp) for m in self.members
        ]
        self.dims = {d: k for k, d in enumerate(sorted({d for t in trucks for d in t.capacity}))}
        self.capacity = np.array(
            [[t.capacity.get(d, 0) for d in self.dims] for t in trucks], dtype=float
        ).reshape(len(trucks), len(self.dims))
        self._fits: dict[tuple[tuple[str, float], ...], np.ndarray] = {}
        self._solo: dict[tuple[object, ...], float | None] = {}

    def fits(self, sh: Shipment) -> np.ndarray:
        """Which trucks have room for the shipment's quantity in every dimension."""
        key = tuple(sorted(sh.quantity.items()))
        out = self._fits.get(key)
        if out is None:
            out = np.ones(len(self.capacity), dtype=bool)
            for d, q in key:
                cap = self.capacity[:, self.dims[d]] if d in self.dims else 0.0
                out &= cap + 1e-9 >= q
            self._fits[key] = out
        return out

    def solo(
        self,
        prob: Problem,
        veh: Vehicle,
        short: tuple[object, ...],
        visits: list[Visit],
        sh: Shipment,
    ) -> float | None:
        """When vehicle ``veh`` (of class and stations ``short``) alone delivers the
        shipment at the earliest; None if it cannot. The trial trip reads of the
        shipment only its ends, ready time and service times: shipments alike in those
        (legs of rail ways, repeat orders) share one trial per class."""
        key = (short, sh.origin, sh.destination, sh.ready, sh.pickup_minutes, sh.delivery_minutes)
        if key not in self._solo:
            trip = plan_trip(prob, veh, visits)
            times = None if trip is None else earliest_schedule(prob, veh.truck, trip)
            self._solo[key] = None if times is None else times.delivered[sh.id]
        return self._solo[key]


def _classify(prob: Problem, sh: Shipment, classes: _Classes) -> Reason | None:
    """Eligible vehicles for a shipment, or why none can serve it."""

    inst = prob.inst
    kind = prob.itinerary[sh.id]
    zones = [z for z in (prob.place_zone[sh.origin], prob.place_zone[sh.destination]) if z]
    for z in zones:
        if not prob.swap_stations.get(z):
            end = "origin" if prob.place_zone[sh.origin] == z else "destination"
            place = sh.origin if end == "origin" else sh.destination
            return Reason(
                "needs_relay_station",
                f"needs a relay station: {end} {place!r} lies in closed-loop zone {z!r}, "
                "where outside drivers may not go, and the zone has no open relay station "
                "with loop drivers",
            )
    fits = classes.fits(sh)
    if not fits.any():
        return Reason("no_truck_capacity", "no truck has room for its quantity in every dimension")
    best = math.inf
    reach: list[tuple[np.ndarray, float]] = []  # (vehicles, their earliest delivery)
    visits = [Visit("pickup", sh.id), Visit("delivery", sh.id)]
    # One trial trip per class of equivalent vehicles, not one per truck; classes that
    # differ only by home stations in zones this shipment never enters share it.
    for members, trucks, key in zip(classes.members, classes.trucks, classes.keys):
        fit = members[fits[trucks]]
        if not len(fit):
            continue
        veh = prob.vehicles[int(fit[0])]
        short = (key, tuple(veh.station(z) for z in zones))
        done = classes.solo(prob, veh, short, visits, sh)
        if done is None:
            continue
        reach.append((fit, done))
        best = min(best, done)
    if not reach:
        ends = (prob.net.node_zone.get(prob.net.place_node[p]) for p in (sh.origin, sh.destination))
        restricted = {z for z in ends if z is not None}
        permit_zones = sorted(z for z in restricted if prob.net.zone_policy[z] == "permit")
        room = [t for t, ok in zip(inst.trucks, fits) if ok]
        if permit_zones and not any(set(permit_zones) <= set(t.permits) for t in room):
            return Reason(
                "no_permit",
                f"no truck with room holds a permit for zone(s) {', '.join(permit_zones)}",
            )
        how = "by open roads" if kind == "direct" else "through a relay station"
        return Reason(
            "no_access",
            f"no truck with room can reach both ends {how} within its hours, the sites', "
            "stations' and checkpoints' hours and the loop drivers' shifts",
        )
    if sh.deadline is not None:
        if best > sh.deadline + 1e-9:
            return Reason(
                "deadline_unreachable",
                f"even alone on the fastest truck it is delivered at {best:g}, "
                f"after its deadline {sh.deadline:g}",
            )
        reach = [(fit, done) for fit, done in reach if done <= sh.deadline + 1e-9]
    # Classes are disjoint: sorted vehicle indices, as the ints the classes hold (one
    # object per vehicle, not one per shipment and vehicle: large days hold millions).
    chosen = [fit for fit, _ in reach]
    ints = classes.ints
    order = np.sort(np.concatenate(chosen)).tolist() if chosen else []
    prob.eligible[sh.id] = [ints[v] for v in order]
    prob.solo[sh.id] = best
    return None


def delay_lower_bound(prob: Problem) -> float:
    """Σ priority × delay of each servable shipment alone by its fastest itinerary.

    Unlimited trucks, loop drivers, bays and checkpoint throughput: a relaxation, so no
    plan that serves these shipments can have less weighted delay.
    """
    ships = prob.inst.shipments_by_id
    return float(
        sum(ships[s].priority * max(0.0, done - ships[s].due) for s, done in prob.solo.items())
    )

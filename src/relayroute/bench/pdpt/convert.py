"""The Lyu & Yu PDPT benchmark as relayroute instances, and relayroute plans back as routes.

One engine: a PDPT instance becomes an ordinary :class:`~relayroute.model.instance.Instance`
and is solved by :func:`relayroute.solve`, the pipeline ``relayroute solve`` runs, so the
PDPT figures measure the product. The mapping (../shared/benchmarks/pdpt/README.md for
the benchmark's conventions):

- ``euclidean`` network mode at speed 1: travel minutes equal the distance, as in the
  benchmark. Coordinates and windows are multiplied by ``scale`` (default 100), because
  the routing search counts whole minutes per arc (``ceil``): at 100 the rounding costs
  at most 0.01 of the file's units per arc. Plan km divided by ``scale`` are the file's
  distances.
- One place per node (``p``, ``d``, ``o``, ``e``, ``t`` rows, ids as in the file), with
  ``hours`` its time window [a, b]. The benchmark has no service times; every service,
  handover and transload time is 0, so a service that starts within [a, b] also ends
  there (the benchmark's "arrival ≥ a, departure ≤ b, waiting allowed").
- Each request a shipment ``r<i>`` from its pickup place to its delivery place, its load
  as quantity; ready at the pickup window's opening, due and deadline at the delivery
  window's closing (no delay counts: the benchmark has none).
- Each vehicle a truck ``k<k>`` with its own start and end depot (``o<k>``, ``e<k>``) and the
  capacity; available from its start depot's opening to its end depot's closing.
- Each transfer point a relay station offering only ``transload`` (no driver swap, no zone,
  0 transload minutes, as many bays as requests so they never bind), its hours the
  node's window.
- Objective: distance only (``km`` 1); ``unserved`` 10⁹ per request, far above any plan's
  distance; delay, trucks, loop drivers and rail 0.
- ``depot_trips`` (default): the published objective makes every vehicle drive
  ``o_k → e_k`` even when it carries nothing, while relayroute leaves an unused truck at
  its depot at no cost (a truck weight, the same for all and never below 0, cannot pay
  each truck its own depot trip back). So each vehicle whose depots differ gets a
  shipment ``depots-<k>`` from ``o_k`` to ``e_k`` that only it can carry (a capacity
  dimension of its own, quantity 1): it is then always used, and the plan's km are the
  published objective. Without them (``depot_trips=False``) the search sees a vehicle as
  free when unused and pays its whole route when used, where the benchmark pays the route
  minus ``dist(o_k, e_k)``: it leans to fewer vehicles. :func:`plan_routes` gives a depot
  trip's stops as plain visits (the search may put the one at ``e_k`` mid-route, and the
  truck then drives there) and :func:`pdpt_objective` adds every unused vehicle's trip.

What the product cannot express (the differences a figure may carry):

- The unused vehicle's depot trip, but for the shipment above (a modelling device, not a
  product feature).
- A vehicle may call at a transfer station several times in relayroute; the benchmark
  allows one visit. :func:`~relayroute.bench.pdpt.read.check_routes` rejects such plans.
- A request changes trucks at most once (one transload station per way).
- Departure from the start depot by ``b(o_k)`` is not a separate constraint: the truck's
  availability ends at ``b(e_k)``. In every Lyu & Yu file both depots of a vehicle have
  the same window, so this loses nothing there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from relayroute.bench.pdpt.read import distance, total_distance
from relayroute.io.instance import instance_from_data

if TYPE_CHECKING:
    from collections.abc import Callable

    from relayroute.bench.pdpt.read import Node, PDPTInstance
    from relayroute.model.instance import Instance
    from relayroute.model.plan import Plan

SCALE = 100.0
START = "2000-01-01T00:00:00+00:00"  # the files have no date; times count from zero
UNSERVED_WEIGHT = 1e9  # per request, in scaled distance units
DIMENSION = "load"
DEPOT_TRIP = "depots-"  # shipment id prefix of a vehicle's trip between its depots

# Stop kinds of a plan as check_routes' actions.
ACTIONS = {"pickup": "pickup", "delivery": "delivery", "unload": "drop", "load": "collect"}


def to_instance(pdpt: PDPTInstance, *, scale: float = SCALE, depot_trips: bool = True) -> Instance:
    """The PDPT instance as a relayroute instance (the mapping in the module docstring).

    Parameters
    ----------
    pdpt
        As read by :func:`relayroute.bench.pdpt.read.read_lyu_yu`.
    scale
        Multiplies coordinates and windows (the routing search's whole minutes).
    depot_trips
        Each vehicle whose depots differ carries a shipment from its start to its end
        depot that only it can carry, so that it pays that trip used or not.

    Returns
    -------
    Instance
        Checked by :func:`relayroute.instance_from_data`.

    Raises
    ------
    InputError
        The converted data breaks one of relayroute's checks.
    """

    def s(v: float) -> float:
        return round(v * scale, 6)

    def place(n: Node, kind: str) -> dict[str, Any]:
        return {"id": n.id, "kind": kind, "lon": s(n.x), "lat": s(n.y), "hours": [[s(n.a), s(n.b)]]}

    places = [place(n, "customer") for r in pdpt.requests for n in (r.pickup, r.delivery)]
    places += [place(n, "depot") for v in pdpt.vehicles for n in (v.start, v.end)]
    places += [place(t, "station") for t in pdpt.transfers]
    horizon = max(s(n.b) for n in pdpt.nodes.values())
    trips = [v for v in pdpt.vehicles if depot_trips and distance(v.start, v.end) > 0]
    data = {
        "name": pdpt.name,
        "start": START,
        "horizon": horizon,
        "network": {"mode": "euclidean", "speed": 1.0},
        "places": places,
        "relay_stations": [
            {
                "id": t.id,
                "place": t.id,
                "driver_swap": False,
                "transload": True,
                "transload_minutes": 0.0,
                "handover_minutes": 0.0,
                "bays": max(1, len(pdpt.requests)),
                "hours": [[s(t.a), s(t.b)]],
            }
            for t in pdpt.transfers
        ],
        "depots": [{"id": n.id, "place": n.id} for v in pdpt.vehicles for n in (v.start, v.end)],
        "trucks": [
            {
                "id": v.id,
                "depot": v.start.id,
                "end_depot": v.end.id,
                "capacity": {DIMENSION: v.capacity, **({v.id: 1.0} if v in trips else {})},
                "available": [s(v.start.a), s(v.end.b)],
            }
            for v in pdpt.vehicles
        ],
        "shipments": [
            _shipment(r.id, r.pickup, r.delivery, {DIMENSION: r.quantity}, s) for r in pdpt.requests
        ]
        + [_shipment(f"{DEPOT_TRIP}{v.id}", v.start, v.end, {v.id: 1.0}, s) for v in trips],
        "objective": {
            "unserved": UNSERVED_WEIGHT,
            "delay": 0.0,
            "km": 1.0,
            "truck": 0.0,
            "loop_driver": 0.0,
            "rail": 0.0,
        },
    }
    return instance_from_data(data, pdpt.name)


def _shipment(
    sid: str,
    origin: Node,
    destination: Node,
    quantity: dict[str, float],
    s: Callable[[float], float],
) -> dict[str, Any]:
    """A shipment from ``origin`` to ``destination``: ready when the origin opens, due
    (and at the latest) when the destination closes, no service time."""
    return {
        "id": sid,
        "origin": origin.id,
        "destination": destination.id,
        "quantity": quantity,
        "ready": s(origin.a),
        "due": s(destination.b),
        "deadline": s(destination.b),
        "pickup_minutes": 0.0,
        "delivery_minutes": 0.0,
    }


def plan_routes(plan: Plan) -> dict[str, list[tuple[str, str, str]]]:
    """A plan of a converted instance as :func:`~relayroute.bench.pdpt.read.check_routes`
    reads routes: per truck, its stops ``(action, request, node)`` between the depots, as
    driven (a depot trip's stop is a ``visit``: the search may put it mid-route)."""
    return {
        r.truck: [
            ("visit", "", stop.place)
            if sid.startswith(DEPOT_TRIP)
            else (ACTIONS[stop.kind], sid, stop.place)
            for stop in r.stops
            if stop.kind in ACTIONS
            for sid in stop.shipments
        ]
        for r in plan.routes
    }


def transfers_used(plan: Plan) -> int:
    """Requests the plan moves from one truck to another."""
    return len({t.shipment for t in plan.transloads})


def pdpt_objective(pdpt: PDPTInstance, plan: Plan) -> float:
    """The published objective of the plan: total Euclidean distance of every vehicle,
    an unused one driving from its start depot to its end depot, recomputed from the
    file's coordinates (not from the plan's km)."""
    routes = plan_routes(plan)
    return total_distance(pdpt, {v: [n for _, _, n in stops] for v, stops in routes.items()})

"""Every statement a plan makes is re-derived and compared (issue 13, part 4).

Each test changes a valid solver plan in exactly one way, a statement that no longer
follows from its routes, and checks the validator names exactly one rule: R12 for an
outside driver in two places at once, R9 for passes, PLAN for the lists and figures
(:mod:`relayroute.validate.statements`).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import pytest

from relayroute.io.instance import LoadedInstance
from relayroute.model.plan import Excursion, LoopDuty, Plan, TruckRoute
from relayroute.solve import solve
from relayroute.validate import validate

from ..conftest import QUICK
from ..solve.test_rail import BASE, TRANSLOAD, _load
from ..validate.test_validate import _mutate

if TYPE_CHECKING:
    from collections.abc import Callable

Loaded = tuple[LoadedInstance, Plan]


def _rules(loaded: LoadedInstance, plan: Plan) -> set[str]:
    return validate(loaded.instance, plan, loaded.base).rules()


def _broken(loaded: LoadedInstance, plan: Plan, change: Callable[[Plan], None]) -> set[str]:
    """The rules the plan breaks once changed; the plan itself must be valid."""
    report = validate(loaded.instance, plan, loaded.base)
    assert report.ok, [str(v) for v in report.violations]
    return _rules(loaded, _mutate(plan, change))


@pytest.fixture(scope="module")
def small_loaded(small: LoadedInstance, small_plan: Plan) -> Loaded:
    return small, small_plan


@pytest.fixture(scope="module")
def rail(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    loaded = _load(tmp_path_factory.mktemp("rail"), BASE, {("n", "c")})
    return loaded, solve(loaded, QUICK)


@pytest.fixture(scope="module")
def transload(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    loaded = _load(tmp_path_factory.mktemp("transload"), TRANSLOAD, set())
    return loaded, solve(loaded, QUICK)


# Two trucks of one depot, one in the morning and one in the afternoon: one driver could
# drive both, one after the other.
TURNS: dict[str, Any] = copy.deepcopy(BASE)
TURNS["rail_services"] = []
TURNS["rail_stations"] = []
TURNS["trucks"] = [
    {"id": "TA", "depot": "W", "capacity": {"t": 10}, "available": [360, 600]},
    {"id": "TB", "depot": "W", "capacity": {"t": 10}, "available": [700, 1320]},
]
TURNS["shipments"] = [
    {"id": "S1", "origin": "plant", "destination": "rail_west", "quantity": {"t": 5},
     "ready": 400, "due": 500},
    {"id": "S2", "origin": "plant", "destination": "rail_west", "quantity": {"t": 5},
     "ready": 720, "due": 800},
]  # fmt: skip


@pytest.fixture(scope="module")
def turns(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    loaded = _load(tmp_path_factory.mktemp("turns"), TURNS, set())
    return loaded, solve(loaded, QUICK)


def _rename_driver(p: Plan, truck: str, to: str) -> None:
    """The outside driver of ``truck`` is ``to`` wherever the plan names it."""
    r = next(r for r in p.routes if r.truck == truck)
    old, r.driver = r.driver, to
    for leg in r.legs:
        leg.driver = to if leg.driver == old else leg.driver
    for s in r.stops:
        s.driver = to if s.driver == old else s.driver
    for h in p.handovers:
        h.from_driver = to if h.from_driver == old else h.from_driver
        h.to_driver = to if h.to_driver == old else h.to_driver
    for ps in p.passes:
        ps.driver = to if ps.driver == old else ps.driver


def _relay_route(p: Plan) -> TruckRoute:
    return next(r for r in p.routes if any(s.kind == "handover" for s in r.stops))


# --- 1. outside drivers --------------------------------------------------------------


def test_fixtures_have_what_the_tests_change(
    small_plan: Plan, rail: Loaded, transload: Loaded
) -> None:
    """The plans broken below do make passes, handovers, excursions, relays, rail and transloads."""
    assert len(small_plan.routes) >= 2 and small_plan.passes and small_plan.handovers
    assert small_plan.loop_drivers and small_plan.loop_drivers[0].excursions[0].places
    assert {o.itinerary for o in small_plan.shipments} >= {"direct", "relay_in"}
    assert rail[1].shipments[0].itinerary == "rail" and rail[1].rail_bookings
    assert transload[1].shipments[0].itinerary == "transload" and transload[1].transloads


def test_r12_one_outside_driver_on_two_trucks_at_once(small_loaded: Loaded) -> None:
    """The second truck's driver is renamed to the first's, while both trucks are out."""
    loaded, plan = small_loaded
    a, b = plan.routes[0], plan.routes[1]
    assert b.stops[0].depart < a.stops[-1].arrive and a.stops[0].depart < b.stops[-1].arrive
    assert _broken(loaded, plan, lambda p: _rename_driver(p, b.truck, a.driver)) == {"R12"}


def test_r12_one_outside_driver_ends_here_and_starts_there(rail: Loaded) -> None:
    """One driver drives the west truck, then the east truck, which starts at the other end
    of the line: the duties do not overlap, but the driver would have to be in two places."""
    loaded, plan = rail
    west = next(r for r in plan.routes if r.truck == "TW")
    east = next(r for r in plan.routes if r.truck == "TE")
    assert west.stops[-1].arrive <= east.stops[0].depart
    assert west.stops[-1].place != east.stops[0].place
    assert _broken(loaded, plan, lambda p: _rename_driver(p, "TE", west.driver)) == {"R12"}


def test_one_outside_driver_may_drive_two_trucks_in_turn(turns: Loaded) -> None:
    """The morning truck's driver also drives the afternoon truck from the same depot:
    allowed, the duties do not overlap and the second starts where the first ended."""
    loaded, plan = turns
    a, b = sorted(plan.routes, key=lambda r: r.stops[0].depart)
    assert a.stops[-1].arrive <= b.stops[0].depart and a.stops[-1].place == b.stops[0].place
    assert _broken(loaded, plan, lambda p: _rename_driver(p, b.truck, a.driver)) == set()


def test_r12_one_outside_driver_over_max_duty_in_all(turns: Loaded) -> None:
    """Both turns of one driver together are longer than the pool's max duty, each alone not."""
    loaded, plan = turns
    a, b = sorted(plan.routes, key=lambda r: r.stops[0].depart)
    longest = max(r.stops[-1].arrive - r.stops[0].depart for r in plan.routes)
    pool = {"id": "own", "kind": "outside", "count": 2, "shift": [0, 1440],
            "max_duty": longest + 1}  # fmt: skip
    data = copy.deepcopy(TURNS)
    data["driver_pools"] = [pool]
    for t in data["trucks"]:
        t["driver_pool"] = "own"
    pooled = _load(loaded.base, data, set())
    assert _broken(pooled, plan, lambda p: _rename_driver(p, b.truck, a.driver)) == {"R12"}


# --- 2. passes ---------------------------------------------------------------------


def test_r9_pass_made_out_to_another_driver(small_loaded: Loaded) -> None:
    """The pass names a driver other than the one who drives the truck into the park."""
    loaded, plan = small_loaded
    other = next(r.driver for r in plan.routes if r.truck != plan.passes[0].truck)

    def change(p: Plan) -> None:
        p.passes[0].driver = other

    assert _broken(loaded, plan, change) == {"R9"}


def test_r9_pass_that_covers_no_entry(small_loaded: Loaded) -> None:
    """A second truck gets a copy of the pass, but never enters the permit zone."""
    loaded, plan = small_loaded
    other = next(r for r in plan.routes if r.truck != plan.passes[0].truck)

    def change(p: Plan) -> None:
        p.passes.append(
            p.passes[0].model_copy(update={"truck": other.truck, "driver": other.driver})
        )

    assert _broken(loaded, plan, change) == {"R9"}


def test_r9_two_passes_for_one_entry(small_loaded: Loaded) -> None:
    """The same pass listed twice."""
    loaded, plan = small_loaded
    assert _broken(loaded, plan, lambda p: p.passes.append(p.passes[0].model_copy())) == {"R9"}


@pytest.mark.parametrize(("field", "by"), [("valid_from", -30.0), ("valid_to", 60.0)])
def test_r9_pass_window_not_the_crossing(small_loaded: Loaded, field: str, by: float) -> None:
    """A pass valid earlier or longer than the truck's entry and stay in the zone."""
    loaded, plan = small_loaded

    def change(p: Plan) -> None:
        setattr(p.passes[0], field, getattr(p.passes[0], field) + by)

    assert _broken(loaded, plan, change) == {"R9"}


# --- 3. handover list ---------------------------------------------------------------


def test_plan_handover_direction(small_loaded: Loaded) -> None:
    """The handover to the loop driver is listed as the truck coming back out."""
    loaded, plan = small_loaded
    assert plan.handovers[0].direction == "in"

    def change(p: Plan) -> None:
        p.handovers[0].direction = "out"

    assert _broken(loaded, plan, change) == {"PLAN"}


def test_plan_handover_end(small_loaded: Loaded) -> None:
    """A listed handover ends later than its stop departs."""
    loaded, plan = small_loaded

    def change(p: Plan) -> None:
        p.handovers[-1].end += 5

    assert _broken(loaded, plan, change) == {"PLAN"}


# --- 4. loop-driver roster ----------------------------------------------------------


def _excursion(p: Plan) -> Excursion:
    return p.loop_drivers[0].excursions[0]


def _duty(p: Plan) -> LoopDuty:
    return p.loop_drivers[0]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda p: setattr(_excursion(p), "places", []), id="places"),
        pytest.param(lambda p: setattr(_excursion(p), "end", _excursion(p).end - 30), id="end"),
        pytest.param(lambda p: setattr(_excursion(p), "start", _excursion(p).start + 5), id="start"),
        pytest.param(
            lambda p: setattr(_excursion(p), "truck", next(r.truck for r in p.routes if r.truck != _excursion(p).truck)),
            id="truck",
        ),
        pytest.param(lambda p: _duty(p).excursions.append(_excursion(p).model_copy()), id="twice"),
        pytest.param(lambda p: setattr(_duty(p), "station", "depot"), id="home station"),
        pytest.param(lambda p: setattr(_duty(p), "zone", "park"), id="zone"),
        pytest.param(
            lambda p: p.loop_drivers.append(_duty(p).model_copy(update={"driver": "loop_city/2"})),
            id="driver who drives nothing",
        ),
    ],
)  # fmt: skip
def test_plan_loop_roster(small_loaded: Loaded, change: Callable[[Plan], None]) -> None:
    """The roster states an excursion, home station, zone or driver the routes do not make."""
    loaded, plan = small_loaded
    assert _broken(loaded, plan, change) == {"PLAN"}


def test_plan_loop_roster_trucks_swapped(demo: LoadedInstance, demo_plan: Plan) -> None:
    """A loop driver with two excursions listed with the trucks of the two swapped."""
    duty = next(d for d in demo_plan.loop_drivers if len({e.truck for e in d.excursions}) > 1)
    k = demo_plan.loop_drivers.index(duty)

    def change(p: Plan) -> None:
        ex = p.loop_drivers[k].excursions
        ex[0].truck, ex[1].truck = ex[1].truck, ex[0].truck

    assert _broken(demo, demo_plan, change) == {"PLAN"}


# --- 5. shipment outcomes -----------------------------------------------------------


def _outcome(p: Plan, itinerary: str):  # the first outcome of that itinerary
    return next(o for o in p.shipments if o.itinerary == itinerary)


OUTCOME_CHANGES: list[Any] = [
    pytest.param("small", lambda p: setattr(_outcome(p, "relay_in"), "itinerary", "direct"), id="relay_in as direct"),
    pytest.param("small", lambda p: setattr(_outcome(p, "direct"), "itinerary", "relay_out"), id="direct as relay_out"),
    pytest.param("rail", lambda p: setattr(_outcome(p, "rail"), "itinerary", "transload"), id="rail as transload"),
    pytest.param("transload", lambda p: setattr(_outcome(p, "transload"), "itinerary", "direct"), id="transload as direct"),
    pytest.param("small", lambda p: setattr(_outcome(p, "relay_in"), "stations", []), id="stations left out"),
    pytest.param("small", lambda p: setattr(_outcome(p, "direct"), "stations", ["rs_west"]), id="station not passed"),
    pytest.param("small", lambda p: setattr(_outcome(p, "direct").segments[0], "end", _outcome(p, "direct").segments[0].end + 10), id="segment end"),
    pytest.param("small", lambda p: setattr(_outcome(p, "direct").segments[0], "truck", "T2"), id="segment truck"),
    pytest.param("rail", lambda p: setattr(_outcome(p, "rail").segments[1], "departure", 900.0), id="rail segment departure"),
    pytest.param("rail", lambda p: _outcome(p, "rail").segments.pop(1), id="rail segment left out"),
    pytest.param("transload", lambda p: setattr(_outcome(p, "transload").segments[1], "origin", "plant"), id="transload segment origin"),
    pytest.param("small", lambda p: setattr(_outcome(p, "direct"), "pickup", _outcome(p, "direct").pickup - 5), id="pickup"),
    pytest.param("transload", lambda p: setattr(_outcome(p, "transload"), "weighted_delay", 0.0), id="weighted delay"),
    pytest.param("small", lambda p: p.shipments.append(p.shipments[0].model_copy()), id="two outcomes"),
]  # fmt: skip


@pytest.mark.parametrize(("fixture", "change"), OUTCOME_CHANGES)
def test_plan_outcome(
    request: pytest.FixtureRequest, fixture: str, change: Callable[[Plan], None]
) -> None:
    """An outcome states an itinerary, stations, segment, pickup or weighted delay its stops
    do not give (a shipment handed to a loop driver into the closed city is relay_in, not
    direct; one that rides a train is rail)."""
    loaded, plan = request.getfixturevalue(f"{fixture}_loaded" if fixture == "small" else fixture)
    assert _broken(loaded, plan, change) == {"PLAN"}


# --- 6. KPIs -------------------------------------------------------------------------


KPI_CHANGES: list[Any] = [
    pytest.param("small", "objective", 1.0),
    pytest.param("small", "on_time_share", -0.2),
    pytest.param("small", "loop_drivers_used", 1),
    pytest.param("small", "handovers", -1),
    pytest.param("small", "passes", 1),
    pytest.param("transload", "transloads", -1),
    pytest.param("rail", "rail_bookings", 1),
    pytest.param("rail", "objective", -5.0),
]


@pytest.mark.parametrize(("fixture", "field", "by"), KPI_CHANGES)
def test_plan_kpi(request: pytest.FixtureRequest, fixture: str, field: str, by: float) -> None:
    """A KPI that does not follow from the plan: objective, on-time share or a count."""
    loaded, plan = request.getfixturevalue(f"{fixture}_loaded" if fixture == "small" else fixture)

    def change(p: Plan) -> None:
        setattr(p.kpis, field, type(getattr(p.kpis, field))(getattr(p.kpis, field) + by))

    assert _broken(loaded, plan, change) == {"PLAN"}


def test_plan_objective_follows_the_solver_weights(small_loaded: Loaded) -> None:
    """The objective is under the plan's own weight overrides: a plan claiming a km weight
    of 1 (not the instance's 0.01) with the objective left as it was is inconsistent."""
    loaded, plan = small_loaded

    def change(p: Plan) -> None:
        p.solver["objective"] = {"km": 1.0}

    assert _broken(loaded, plan, change) == {"PLAN"}

    def both(p: Plan) -> None:  # the objective restated under those weights: consistent
        p.solver["objective"] = {"km": 1.0}
        p.kpis.objective += (1.0 - loaded.instance.objective.km) * p.kpis.km

    assert _broken(loaded, plan, both) == set()


def test_plan_rail_booking_cost(rail: Loaded) -> None:
    """A rail booking states a cost other than its service's."""
    loaded, plan = rail

    def change(p: Plan) -> None:
        p.rail_bookings[0].cost += 3

    assert _broken(loaded, plan, change) == {"PLAN"}

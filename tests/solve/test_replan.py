"""Re-planning during the day: each event kind, the frozen past, passes and stability."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from relayroute.errors import InputError
from relayroute.io.instance import read_instance
from relayroute.solve import SolverConfig, solve
from relayroute.solve.replan import replan
from relayroute.solve.state import state_at
from relayroute.validate.replan import check_replan

if TYPE_CHECKING:
    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Leg, Pass, Plan
    from relayroute.solve.replan import Replan

QUICK = SolverConfig(name="quick", solution_limit=60, time_limit=20, schedule_deterministic_time=1)
GREEDY = SolverConfig(engine="greedy")


def _pass_key(p: Pass) -> str:
    return p.model_dump_json()


def _checked(old: Plan, done: Replan, at: float) -> None:
    """The re-planned plan validates, keeps the past and lists the pass changes exactly."""
    report = check_replan(done.loaded.instance, old, done.plan, done.events, at, done.loaded.base)
    assert report.ok, [str(v) for v in report.violations]
    new = {r.truck: r for r in done.plan.routes}
    waits = {x.split()[0] for x in done.in_progress if " waits at " in x}
    turns = {x.split()[0] for x in done.in_progress if " turns back at " in x}
    for r in old.routes:
        # What a truck drove before ``at`` is there, leg for leg, with the stop it leads
        # to (but for waiting at a checkpoint closed when it gets there: the validator's).
        gone = [leg for leg in r.legs if leg.depart < at]
        if r.truck in waits:
            assert [g.path for g in new[r.truck].legs[: len(gone)]] == [g.path for g in gone]
            continue
        if r.truck in turns and gone:
            # Turned back at a gate on the road it is on: that road up to the gate.
            assert new[r.truck].legs[: len(gone) - 1] == gone[:-1]
            assert new[r.truck].stops[: len(gone)] == r.stops[: len(gone)]
            way, old_way = new[r.truck].legs[len(gone) - 1].path, gone[-1].path
            assert way[0] == old_way[0] and way != old_way
            continue
        ts = done.state.trucks.get(r.truck)
        if gone and ts is not None and ts.released:
            # Released from the stop its road leads to: that road is driven on.
            road = new[r.truck].legs[len(gone) - 1]
            assert new[r.truck].legs[: len(gone) - 1] == gone[:-1]
            assert road.path[: len(gone[-1].path)] == gone[-1].path
            assert new[r.truck].stops[: len(gone)] == r.stops[: len(gone)]
        elif gone:
            assert new[r.truck].legs[: len(gone)] == gone
            assert new[r.truck].stops[: len(gone)] == r.stops[: len(gone)]
            assert new[r.truck].stops[len(gone)].arrive == r.stops[len(gone)].arrive
    old_p = {_pass_key(p) for p in old.passes}
    new_p = {_pass_key(p) for p in done.plan.passes}
    assert {_pass_key(p) for p in done.revoked} == old_p - new_p
    assert {_pass_key(p) for p in done.issued} == new_p - old_p
    assert {_pass_key(p) for p in done.unchanged} == old_p & new_p


@pytest.fixture(scope="module")
def small_old(small: LoadedInstance) -> Plan:
    return solve(small, QUICK)


def test_state_at_a_time(small: LoadedInstance, small_old: Plan) -> None:
    """The state says what is delivered and aboard, and where each truck stands."""
    at = 520.0
    state = state_at(small.instance, small_old, at)
    done_by_then = {
        s.shipments[0]
        for r in small_old.routes
        for s in r.stops
        if s.kind == "delivery" and s.start < at
    }
    assert done_by_then <= state.delivered
    for r in small_old.routes:
        ts = state.trucks[r.truck]
        stop = r.stops[ts.cut]
        assert ts.place == stop.place and ts.free == stop.depart
        if ts.cut:
            assert stop.driver == r.driver  # back with its own driver
            aboard = {d: q for d, q in stop.load.items() if q > 0}
            assert bool(aboard) == bool(ts.aboard)
    assert state.picked >= state.delivered


@pytest.mark.parametrize(
    "events",
    [
        [],
        ["checkpoint-closed:cp_park_w"],
        ["checkpoint-closed:cp_park_s:08:00-11:00"],
        ["checkpoint-reopened:cp_park_w:09:00-12:00"],
        ["station-closed:rs_west"],
        ["loop-drivers-fewer:rs_west:1"],
        ["truck-broken:T3"],
        [
            {
                "kind": "shipments-added",
                "shipments": [
                    {
                        "id": "S-late",
                        "origin": "sup1",
                        "destination": "cust2",
                        "quantity": {"t": 3},
                        "ready": 540,
                        "due": 800,
                    }
                ],
            }
        ],
    ],
    ids=lambda e: (e[0] if isinstance(e[0], str) else e[0]["kind"]) if e else "none",
)
def test_each_event_kind_on_the_small_day(
    small: LoadedInstance, small_old: Plan, events: list[object]
) -> None:
    """Each kind re-plans at 08:00 into a valid plan with its past kept."""
    at = 480.0
    done = replan(small, small_old, events, at, config=QUICK)  # type: ignore[arg-type]
    _checked(small_old, done, at)
    served = {o.shipment for o in done.plan.shipments}
    if events and isinstance(events[0], dict):
        assert "S-late" in served | {u.shipment for u in done.plan.unserved}


def test_a_closed_checkpoint_is_not_used_after_it_closes(
    small: LoadedInstance, small_old: Plan
) -> None:
    """No crossing at the closed checkpoint starts after ``at`` outside the kept past."""
    at = 480.0
    done = replan(small, small_old, ["checkpoint-closed:cp_park_w"], at, config=QUICK)
    _checked(small_old, done, at)
    for r in done.plan.routes:
        for leg in r.legs:
            if leg.depart >= at:
                kept = any(leg == x for o in small_old.routes for x in o.legs)
                assert kept or all(c.checkpoint != "cp_park_w" for c in leg.crossings)


def _drives(leg: Leg, road: tuple[str, str]) -> bool:
    return any({a, b} == set(road) for a, b in zip(leg.path, leg.path[1:], strict=False))


@pytest.mark.parametrize("window", [None, (480.0, 600.0)], ids=["for-good", "08-10"])
def test_a_closed_road_is_not_driven_after_at(
    small: LoadedInstance, small_old: Plan, window: tuple[float, float] | None
) -> None:
    """A road the old plan drives after 08:00, closed at 08:00 (for good, or until 10:00:
    the remaining part is solved without it either way): the re-plan validates with its
    past kept, and no leg leaving at 08:00 or later drives that road."""
    at, road = 480.0, ("checkpoint:cp_park_w", "cust1")
    assert any(_drives(g, road) for r in small_old.routes for g in r.legs if g.depart >= at)
    # Straight-line node ids have a ':' in them: the JSON form.
    event = {"kind": "road-closed", "road": list(road), "window": window}
    done = replan(small, small_old, [event], at, config=QUICK)  # type: ignore[list-item]
    _checked(small_old, done, at)
    assert not any(_drives(g, road) for r in done.plan.routes for g in r.legs if g.depart >= at)
    assert done.plan.kpis.served == small_old.kpis.served  # a way round the park's west gate


def test_cancelled_orders_are_gone(small: LoadedInstance, small_old: Plan) -> None:
    """An order cancelled before its pickup is neither served nor listed unserved."""
    at = 450.0
    picked = state_at(small.instance, small_old, at).picked
    sid = next(s.id for s in small.instance.shipments if s.id not in picked)
    done = replan(small, small_old, [f"shipments-cancelled:{sid}"], at, config=QUICK)
    _checked(small_old, done, at)
    assert sid not in {o.shipment for o in done.plan.shipments}
    assert sid not in {u.shipment for u in done.plan.unserved}
    assert sid not in done.loaded.instance.shipments_by_id


def test_broken_truck_stays_where_it_stops(small: LoadedInstance, small_old: Plan) -> None:
    """A truck broken down after it set out ends its day at its cut, driving no more;
    goods aboard it stay with it (unserved, ``held_aboard``), and the re-plan validates."""
    at = 480.0
    state = state_at(small.instance, small_old, at)
    for truck in [t for t, ts in state.trucks.items() if ts.aboard and not ts.done]:
        done = replan(small, small_old, [f"truck-broken:{truck}"], at, config=GREEDY)
        _checked(small_old, done, at)
        held = {u.shipment for u in done.plan.unserved if u.reason == "held_aboard"}
        assert set(done.state.trucks[truck].aboard) <= held
    moving = [t for t, ts in state.trucks.items() if ts.cut and not ts.aboard and not ts.done]
    if not moving:
        pytest.skip("no truck under way and empty at 08:00 in this plan")
    truck = moving[0]
    done = replan(small, small_old, [f"truck-broken:{truck}"], at, config=QUICK)
    _checked(small_old, done, at)
    route = next(r for r in done.plan.routes if r.truck == truck)
    assert route.stops[-1].place == state.trucks[truck].place


def test_bad_events_are_refused(small: LoadedInstance, small_old: Plan) -> None:
    """Unknown objects, a cancelled order already aboard and a time off the day."""
    with pytest.raises(InputError, match="no checkpoint 'cp_nowhere'"):
        replan(small, small_old, ["checkpoint-closed:cp_nowhere"], 480, config=GREEDY)
    with pytest.raises(InputError, match="no relay station"):
        replan(small, small_old, ["station-closed:rs_nowhere"], 480, config=GREEDY)
    with pytest.raises(InputError, match="loop drivers, not 9"):
        replan(small, small_old, ["loop-drivers-fewer:rs_west:9"], 480, config=GREEDY)
    picked = state_at(small.instance, small_old, 700).picked
    sid = sorted(picked)[0]
    with pytest.raises(InputError, match="already picked up"):
        replan(small, small_old, [f"shipments-cancelled:{sid}"], 700, config=GREEDY)
    with pytest.raises(InputError, match="not a time of the day"):
        replan(small, small_old, [], -5, config=GREEDY)


def test_a_truck_reaching_a_closed_checkpoint_waits(small: LoadedInstance, small_old: Plan) -> None:
    """A truck on its road at ``at`` to a checkpoint closed until later waits there until it
    opens, or turns back at the gate where another way is sooner: the plan validates, no
    inspection there is within the closure, and the wait or the turn is reported."""
    road = [
        (r.truck, leg, c)
        for r in small_old.routes
        for leg in r.legs
        for c in leg.crossings
        if c.arrive - leg.depart > 2
    ]
    if not road:
        pytest.skip("no leg reaches a checkpoint after it leaves")
    truck, leg, c = road[0]
    at, until = leg.depart + 1, c.depart + 30
    done = replan(
        small, small_old, [f"checkpoint-closed:{c.checkpoint}:{at:g}-{until:g}"], at, config=QUICK
    )
    _checked_waits(small_old, done, at)
    assert any(
        x.startswith((f"{truck} waits at {c.checkpoint}", f"{truck} turns back at {c.checkpoint}"))
        for x in done.in_progress
    ), done.in_progress
    delay = small.instance.checkpoints_by_id[c.checkpoint].delay
    for r in done.plan.routes:
        for g in r.legs:
            for x in g.crossings:
                if x.checkpoint == c.checkpoint and x.depart - delay >= at:
                    assert x.depart - delay >= until - 1e-6


def _checked_waits(old: Plan, done: Replan, at: float) -> None:
    """Validates, with revoked + issued = the pass lists' difference (the past may wait)."""
    report = check_replan(done.loaded.instance, old, done.plan, done.events, at, done.loaded.base)
    assert report.ok, [str(v) for v in report.violations]
    old_p = {_pass_key(p) for p in old.passes}
    new_p = {_pass_key(p) for p in done.plan.passes}
    assert {_pass_key(p) for p in done.revoked} == old_p - new_p
    assert {_pass_key(p) for p in done.issued} == new_p - old_p


def test_a_truck_on_its_way_to_a_cancelled_pickup_is_released(
    small: LoadedInstance, small_old: Plan
) -> None:
    """A truck on its road at ``at`` to pick up an order cancelled then does not load it:
    its road is driven on from where it ends (a release; the same holds for a handover at
    a station closed by then, exercised on yiwu-day), and the re-plan validates."""
    ways = [
        (r, i)
        for r in small_old.routes
        for i, s in enumerate(r.stops)
        if 0 < i < len(r.stops) - 1 and s.kind == "pickup" and s.start > r.legs[i - 1].depart + 2
    ]
    if not ways:
        pytest.skip("no pickup reached after a drive in this plan")
    r, i = ways[0]
    at = r.legs[i - 1].depart + 1
    sid = r.stops[i].shipments[0]
    done = replan(small, small_old, [f"shipments-cancelled:{sid}"], at, config=QUICK)
    _checked(small_old, done, at)
    ts = done.state.trucks[r.truck]
    assert ts.released and ts.place == r.stops[i].place
    assert sid not in {x for nr in done.plan.routes for s in nr.stops for x in s.shipments}


def test_stability_keeps_shipments_on_their_trucks(small: LoadedInstance, small_old: Plan) -> None:
    """With nothing happened, pricing change moves no more shipments to other trucks than
    not pricing it (the stability costs are terms of the routing search)."""
    from relayroute.solve.replan import Stability

    at = 450.0
    done = replan(small, small_old, [], at, config=QUICK)
    _checked(small_old, done, at)
    free = replan(small, small_old, [], at, config=QUICK, stability=Stability(0, 0, 0))
    _checked(small_old, free, at)
    assert len(done.moved) <= len(free.moved)


def test_the_keep_hook_leaves_the_routing_model_as_it_was(small: LoadedInstance) -> None:
    """``keep=None`` builds today's routing model (the same routes and objective), and a
    large cost on one truck's visits moves the work to the other trucks."""
    from relayroute.itineraries import build_problem
    from relayroute.solve.routing import solve_routing
    from relayroute.solve.routing.model import Keep

    prob = build_problem(small.instance, small.base)
    config = SolverConfig(solution_limit=30, time_limit=10)
    a = solve_routing(prob, config)
    b = solve_routing(prob, config, keep=None)
    assert (a.routes, a.objective) == (b.routes, b.objective)
    busy = max(a.routes, key=lambda v: len(a.routes[v]))
    truck = prob.vehicles[busy].truck if isinstance(busy, int) else None
    if truck is None:
        pytest.skip("no truck route")

    def cost(v: int, key: tuple[str, ...]) -> float:
        return 10_000.0 if prob.vehicles[v].truck == truck and key[0] == "p" else 0.0

    c = solve_routing(prob, config, keep=Keep(node_cost=cost, times={}))
    on = [v for v in c.routes if isinstance(v, int) and prob.vehicles[v].truck == truck]
    assert sum(len(c.routes[v]) for v in on) < len(a.routes[busy])


@pytest.fixture(scope="module")
def yiwu() -> LoadedInstance:
    from tests.conftest import ROOT

    return read_instance(ROOT / "instances" / "yiwu-day.json")


@pytest.fixture(scope="module")
def yiwu_old(yiwu: LoadedInstance) -> Plan:
    return solve(yiwu, GREEDY)


@pytest.mark.parametrize(
    "events",
    [
        ["station-closed:rs_jindong"],
        ["loop-drivers-fewer:rs_yiwu_port:4"],
        # Four trucks wait out the gate and reach the port station together: they queue
        # for its 3 bays.
        ["checkpoint-closed:cp_yiwu_south:12:00-12:45"],
        ["truck-broken:T05"],
        # With S169 aboard when it stops at its pickup: the goods stay with it.
        ["truck-broken:T19"],
        # Open all day already: nothing changes, and the re-plan still validates.
        ["checkpoint-reopened:cp_yiwu_north:14:00-20:00"],
        ["checkpoint-closed:cp_yiwu_north", "checkpoint-reopened:cp_yiwu_north:14:00-20:00"],
        ["shipments-cancelled:S001,S004,S008"],
        [
            {
                "kind": "shipments-added",
                "shipments": [
                    {
                        "id": "S-new",
                        "origin": "yiwu_futian",
                        "destination": "hangzhou",
                        "quantity": {"pallets": 4, "t": 3},
                        "ready": 750,
                        "due": 1000,
                    }
                ],
            }
        ],
    ],
    ids=[
        "station-closed",
        "loop-drivers-fewer",
        "checkpoint-closed",
        "truck-broken",
        "truck-broken-loaded",
        "checkpoint-reopened",
        "closed-then-reopened",
        "shipments-cancelled",
        "shipments-added",
    ],
)
def test_yiwu_day_at_noon(yiwu: LoadedInstance, yiwu_old: Plan, events: list[str]) -> None:
    """On yiwu-day (the dispatcher for speed), a noon re-plan validates with its past kept."""
    done = replan(yiwu, yiwu_old, events, 720, config=GREEDY)  # type: ignore[arg-type]
    _checked(yiwu_old, done, 720)
    assert done.state.delivered  # the morning's work is there
    assert done.plan.kpis.served >= len(done.state.delivered)
    planned = {o.shipment for o in done.plan.shipments} | {u.shipment for u in done.plan.unserved}
    assert planned == {s.id for s in done.loaded.instance.shipments}
    if events[0] == "shipments-cancelled:S001,S004,S008":
        assert not {"S001", "S004", "S008"} & planned


@pytest.mark.parametrize("station", ["rs_yiwu_port", "rs_pujiang"])
def test_goods_aboard_with_no_way_left_stay_aboard(
    yiwu: LoadedInstance, yiwu_old: Plan, station: str
) -> None:
    """A relay station closed at noon leaves some goods aboard with no other way in (the
    dispatcher finds none): they stay on their truck to the end of its day, unserved as
    ``held_aboard`` and listed in ``in_progress``, and the re-plan validates: never
    driven through the closed station."""
    done = replan(yiwu, yiwu_old, [f"station-closed:{station}"], 720, config=GREEDY)
    _checked(yiwu_old, done, 720)
    kept = {x.split()[0] for x in done.in_progress if "keeps its goods aboard" in x}
    held = [u for u in done.plan.unserved if u.reason == "held_aboard"]
    assert kept and held
    assert {u.detail.split()[1].rstrip(",") for u in held} <= kept
    for h in done.plan.handovers:
        assert h.station != station or h.start < 720 or h.direction == "out"


@pytest.mark.parametrize("gate", ["cp_yiwu_south", "cp_yiwu_north"])
def test_a_checkpoint_closed_for_good_on_a_road_in_progress(
    yiwu: LoadedInstance, yiwu_old: Plan, gate: str
) -> None:
    """Trucks on their road at noon to a gate of the Yiwu zone closed from noon for good
    turn back there: round by another gate, or (a loop driver on its way in, where the
    way round would take the truck's own driver over duty) back to the station it left,
    where its own driver takes it again and goods with no way left stay aboard. The
    re-plan validates with its past kept, every turn is reported, and nobody crosses
    there after noon."""
    done = replan(yiwu, yiwu_old, [f"checkpoint-closed:{gate}"], 720, config=GREEDY)
    _checked(yiwu_old, done, 720)
    turned = [x for x in done.in_progress if f"turns back at {gate}" in x]
    assert turned
    for r in done.plan.routes:
        for leg in r.legs:
            assert all(c.checkpoint != gate or c.arrive < 720 for c in leg.crossings)
    for x in done.in_progress:
        if "keeps its goods aboard" in x:
            truck = x.split()[0]
            assert any(y.startswith(f"{truck} turns back") for y in turned)
            held = [u for u in done.plan.unserved if u.reason == "held_aboard"]
            assert any(truck in u.detail for u in held)


def test_a_gate_closed_for_good_later_in_the_day(yiwu: LoadedInstance, yiwu_old: Plan) -> None:
    """The Dongyang west gate closed for good at 14:00: a truck turned back there whose
    way round would overrun its driver's duty goes home with its goods aboard (held),
    trucks whose goods aboard would take them over duty have them planned anew, and the
    re-plan validates with its past kept."""
    done = replan(yiwu, yiwu_old, ["checkpoint-closed:cp_dongyang_w"], 840, config=GREEDY)
    _checked(yiwu_old, done, 840)
    home = [x.split()[0] for x in done.in_progress if "goes home" in x]
    assert home
    routes = {r.truck: r for r in done.plan.routes}
    old = {r.truck: r for r in yiwu_old.routes}
    held = {u.shipment for u in done.plan.unserved if u.reason == "held_aboard"}
    for t in home:
        assert routes[t].stops[-1].place == old[t].stops[-1].place
        assert set(done.state.trucks[t].aboard) <= held
    assert not [x for x in done.in_progress if "over duty" in x]


def test_frozen_work_over_duty_is_reported(yiwu: LoadedInstance, yiwu_old: Plan) -> None:
    """The G60 gate closed for good at 14:00: a loop driver inside the zone then has only
    a longer way out and ends its frozen work a minute over its duty. The re-plan says
    so in ``in_progress``, and the validator names that duty (R8) and nothing else."""
    done = replan(yiwu, yiwu_old, ["checkpoint-closed:cp_yiwu_g60"], 840, config=GREEDY)
    report = check_replan(
        done.loaded.instance, yiwu_old, done.plan, done.events, 840, done.loaded.base
    )
    over = [x.split()[0].removesuffix("'s") for x in done.in_progress if "over duty" in x]
    assert {v.rule for v in report.violations} <= {"R8", "R12"}
    assert all(any(d in str(v) for d in over) for v in report.violations)
    assert len(over) >= len(report.violations)


@pytest.mark.parametrize(
    "road",
    [
        ("j_north", "zhuji"),
        ("cp_dongyang_n", "j_east"),
        # Trucks inside the Yiwu zone at noon come back out to rs_jindong over it with
        # their loop driver (frozen): they go round it.
        ("j_south", "jindong"),
        # T21's goods aboard would go round it 144 min longer, over its driver's duty:
        # they are planned anew instead.
        ("dongyang", "dongyang_dev"),
    ],
    ids=lambda r: "-".join(r),
)
def test_yiwu_day_road_closed_at_noon(
    yiwu: LoadedInstance, yiwu_old: Plan, road: tuple[str, str]
) -> None:
    """A road the old yiwu-day plan drives after noon, closed at noon: the re-plan
    validates with its past kept, nothing leaving at noon or later drives it, and each
    frozen leg that would have is listed as going round it."""
    before = {
        (r.truck, g.depart)
        for r in yiwu_old.routes
        for g in r.legs
        if g.depart >= 720
        if _drives(g, road)
    }
    assert before
    done = replan(yiwu, yiwu_old, [f"road-closed:{road[0]}-{road[1]}"], 720, config=GREEDY)
    _checked(yiwu_old, done, 720)
    assert not any(_drives(g, road) for r in done.plan.routes for g in r.legs if g.depart >= 720)
    rounds = {x.split()[0] for x in done.in_progress if "goes round a closure" in x}
    frozen = {
        r.truck
        for r in yiwu_old.routes
        for i, g in enumerate(r.legs)
        if (r.truck, g.depart) in before and i < len(done.state.trucks[r.truck].past_legs(r))
    }
    assert rounds == frozen
    if road == ("j_south", "jindong"):
        assert {"T04", "T11"} <= rounds  # their loop drivers' way back to rs_jindong


def test_a_closed_road_that_cuts_a_truck_off_is_refused(
    yiwu: LoadedInstance, yiwu_old: Plan
) -> None:
    """A closure that leaves a truck no way to its end depot is refused by name."""
    with pytest.raises(InputError, match=r"truck T01: has no way left from .* to its end depot"):
        replan(yiwu, yiwu_old, ["road-closed:jindong-jinhua"], 720, config=GREEDY)


def test_command_line_replan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`relayroute replan` writes a plan and the day's instance that `validate` accepts,
    and refuses a bad event with one line and no file."""
    from relayroute.cli import main
    from tests.conftest import DATA

    small = str(DATA / "small-straight.json")
    old, new = tmp_path / "plan.json", tmp_path / "new.json"
    greedy = str(Path(__file__).resolve().parents[2] / "solvers" / "greedy.toml")
    assert main(["solve", small, "-o", str(old), "-q", "--solver", greedy]) == 0
    args = ["replan", small, str(old), "--at", "08:00", "-o", str(new), "--solver", greedy]
    assert main([*args, "--event", "station-closed:rs_west"]) == 0
    out = capsys.readouterr().out
    assert "re-planned from 08:00 (480 min)" in out and "validated: ok" in out
    day = tmp_path / "new.instance.json"
    assert main(["validate", str(day), str(new)]) == 0
    capsys.readouterr()
    bad = tmp_path / "bad.json"
    assert main([*args[:-4], "-o", str(bad), "--event", "checkpoint-closed:cp_nowhere"]) == 2
    err = capsys.readouterr().err
    assert "no checkpoint 'cp_nowhere'" in err and "Traceback" not in err
    assert not bad.exists()
    # The stability prices are options; a negative one is bad input.
    shut = ["--event", "station-closed:rs_west"]
    assert main([*args[:-4], "-o", str(bad), *shut, "--truck-change", "-1"]) == 2
    err = capsys.readouterr().err
    assert "--truck-change" in err and "Traceback" not in err and not bad.exists()
    assert main([*args, *shut, "--truck-change", "500", "--pickup-minute", "0"]) == 0
    # A road by its two nodes; one the network has not is one message, no file.
    assert main([*args, "--event", "road-closed:depot-sup1"]) == 0
    capsys.readouterr()
    assert main([*args[:-4], "-o", str(bad), "--event", "road-closed:depot-nowhere"]) == 2
    err = capsys.readouterr().err
    assert "no road between 'depot' and 'nowhere'" in err and "Traceback" not in err
    assert not bad.exists()
    # A zone's policy from the re-planning time on: the day written records it, and
    # ``relayroute validate`` alone judges the morning by the old policy.
    assert main([*args, "--event", "zone-policy:park:closed_loop"]) == 0
    capsys.readouterr()
    changes = json.loads(day.read_text())["zones"][1]["changes"]
    assert changes == [{"at": 480.0, "policy": "closed_loop"}]
    assert main(["validate", str(day), str(new)]) == 0


def test_on_the_flat_api() -> None:
    """``rr.replan``, ``rr.Replan`` and ``rr.Stability`` are the public names."""
    import relayroute as rr

    assert rr.replan is replan and {"replan", "Replan", "Stability"} <= set(rr.__all__)
    doc = rr.replan.__doc__ or ""
    assert "Parameters\n    ----------" in doc and "Examples\n    --------" in doc


def test_road_closed_events_are_read_and_checked(small: LoadedInstance, small_old: Plan) -> None:
    """The command-line form with and without a window; a bad road is refused by name."""
    from relayroute.model.events import RoadClosed, parse_event

    start = small.instance.start
    e = parse_event("road-closed:yiwu_port-j_g60_yiwu:12:00-15:00", start)
    assert isinstance(e, RoadClosed) and e.road == ("yiwu_port", "j_g60_yiwu")
    assert e.window is not None and e.window[1] - e.window[0] == 180
    assert parse_event("road-closed:a-b", start).window is None  # type: ignore[union-attr]
    with pytest.raises(InputError, match="a road is NODE-NODE"):
        parse_event("road-closed:a-b-c", start)
    with pytest.raises(InputError, match="no road between 'depot' and 'cust2'"):
        replan(small, small_old, [{"kind": "road-closed", "road": ["depot", "cust2"]}], 480)
    with pytest.raises(InputError, match="to itself"):
        replan(small, small_old, [{"kind": "road-closed", "road": ["depot", "depot"]}], 480)


def _entries_after(plan: Plan, zone: str, at: float, cut: dict[str, int]) -> list[str]:
    """Legs after their truck's cut, driven by its own driver, that enter ``zone`` at or
    after ``at``."""
    return [
        f"{r.truck} leg {i}"
        for r in plan.routes
        for i, leg in enumerate(r.legs)
        if i >= cut.get(r.truck, 0)
        and leg.depart >= at
        and leg.driver_kind == "outside"
        and any(c.zone == zone and c.direction == "in" for c in leg.crossings)
    ]


@pytest.mark.parametrize(
    "event",
    [
        "zone-policy:park:closed_loop",
        "zone-policy:park:open",
        "zone-policy:city:permit:T1,T2",
        "zone-policy:city:open",
    ],
)
@pytest.mark.parametrize("at", [360.0, 480.0])
def test_a_zone_policy_change_on_the_small_day(
    small: LoadedInstance, small_old: Plan, event: str, at: float
) -> None:
    """A zone tightened or eased at ``at`` re-plans into a valid plan with its past kept
    and its pass changes exact; the day records the change, so the validator judges the
    morning by the old policy and the rest by the new; nobody without the right enters a
    tightened zone after the cut."""
    done = replan(small, small_old, [event], at, config=QUICK)
    _checked(small_old, done, at)
    zone, policy = event.split(":")[1:3]
    z = done.loaded.instance.zones_by_id[zone]
    assert [(c.at, c.policy) for c in z.changes] == [(at, policy)]
    assert z.policy == small.instance.zones_by_id[zone].policy
    cut = {t: s.cut for t, s in done.state.trucks.items()}
    if policy == "closed_loop":
        assert _entries_after(done.plan, zone, at, cut) == []


def test_goods_bound_into_a_zone_that_closes_stay_aboard(
    yiwu: LoadedInstance, yiwu_old: Plan
) -> None:
    """On yiwu-day, Dongyang turned closed-loop at noon (it has no relay station): goods
    aboard bound there stay on their truck, listed ``held_aboard``; the plan validates and
    no truck drives into Dongyang after its cut."""
    done = replan(yiwu, yiwu_old, ["zone-policy:dongyang:closed_loop"], 720, config=GREEDY)
    _checked(yiwu_old, done, 720)
    held = [u for u in done.plan.unserved if u.reason == "held_aboard"]
    assert held
    for u in held:
        truck = next(t for t, s in done.state.trucks.items() if u.shipment in s.aboard)
        route = next(r for r in done.plan.routes if r.truck == truck)
        assert not any(
            u.shipment in s.shipments for s in route.stops[done.state.trucks[truck].cut + 1 :]
        )
    cut = {t: s.cut for t, s in done.state.trucks.items()}
    assert _entries_after(done.plan, "dongyang", 720, cut) == []
    # Before noon the old policy held: the morning's Dongyang passes are kept.
    morning = {p.id for p in yiwu_old.passes if p.zone == "dongyang" and p.valid_from < 720}
    assert morning and morning <= {p.id for p in done.plan.passes}


@pytest.mark.parametrize(
    "event", ["zone-policy:yiwu:open", "zone-policy:yiwu:permit:T01,T02,T03,T04"]
)
def test_a_closed_zone_eased_at_noon_on_yiwu_day(
    yiwu: LoadedInstance, yiwu_old: Plan, event: str
) -> None:
    """Yiwu's closed loop eased at noon: a valid plan with its past kept, no new loop
    driver work in Yiwu after the cut (its loop drivers are not in the remaining part),
    and trucks given a permit enter on a pass."""
    done = replan(yiwu, yiwu_old, [event], 720, config=GREEDY)
    _checked(yiwu_old, done, 720)
    assert done.plan.kpis.served >= len(done.state.delivered)
    cut = {t: s.cut for t, s in done.state.trucks.items()}
    for r in done.plan.routes:
        for i, leg in enumerate(r.legs):
            if i >= cut.get(r.truck, 0) and leg.depart >= 720:
                assert leg.driver_kind == "outside", (r.truck, i)
    if "permit" in event:
        entered = {p.truck for p in done.issued if p.zone == "yiwu"}
        assert entered and entered <= {"T01", "T02", "T03", "T04"}


def test_zone_policy_events_are_parsed_and_checked(small: LoadedInstance, small_old: Plan) -> None:
    """``zone-policy:ZONE:POLICY[:TRUCKS]`` parses; an unknown zone or truck, the policy
    it has already, permits for a zone that is not a permit zone and two changes of one
    zone are refused by name."""
    from relayroute.model.events import ZonePolicyChanged, parse_event

    start = small.instance.start
    e = parse_event("zone-policy:city:permit:T1,T2", start)
    assert isinstance(e, ZonePolicyChanged)
    assert (e.zone, e.policy, e.permits) == ("city", "permit", ["T1", "T2"])
    with pytest.raises(InputError, match="name the new policy"):
        parse_event("zone-policy:city", start)
    with pytest.raises(InputError):
        parse_event("zone-policy:city:locked", start)
    for events, words in [
        (["zone-policy:nowhere:open"], "no zone 'nowhere'"),
        (["zone-policy:park:permit"], "is permit already"),
        (["zone-policy:city:permit:T9"], "no truck 'T9'"),
        (["zone-policy:city:open:T1"], "permits are for a permit zone"),
        (["zone-policy:city:open", "zone-policy:city:permit"], "changes once"),
    ]:
        with pytest.raises(InputError, match=words):
            replan(small, small_old, events, 480, config=GREEDY)


EAST = [[[120.28, 29.18], [120.32, 29.18], [120.32, 29.22], [120.28, 29.22], [120.28, 29.18]]]
EAST_GATES = [
    {"id": "cp_east_w", "zone": "east", "lon": 120.28, "lat": 29.2, "delay": 5},
    {"id": "cp_east_n", "zone": "east", "lon": 120.3, "lat": 29.22, "delay": 5},
]


@pytest.mark.parametrize(("policy", "permits"), [("closed_loop", []), ("permit", ["T1"])])
def test_a_new_zone_round_a_customer(
    small: LoadedInstance, small_old: Plan, policy: str, permits: list[str]
) -> None:
    """A cordon drawn at 08:00 round cust2, where there was no zone: the day has the new
    zone open until then; after the cuts no truck without the right enters it, the one
    given a permit enters on a pass, and goods aboard bound there stay aboard when
    nobody may enter."""
    event = {
        "kind": "zone-policy",
        "zone": "east",
        "name": "East cordon",
        "policy": policy,
        "permits": permits,
        "polygon": EAST,
        "checkpoints": EAST_GATES,
    }
    done = replan(small, small_old, [event], 480, config=QUICK)
    _checked(small_old, done, 480)
    east = done.loaded.instance.zones_by_id["east"]
    assert east.policy == "open" and [(c.at, c.policy) for c in east.changes] == [(480, policy)]
    cut = {t: s.cut for t, s in done.state.trucks.items()}
    entering = {x.split()[0] for x in _entries_after(done.plan, "east", 480, cut)}
    assert entering <= set(permits)
    if policy == "closed_loop":
        goods_to_east = {
            s for t in done.state.trucks.values() for s in t.aboard if s in {"S4", "S5"}
        }
        held = {u.shipment for u in done.plan.unserved if u.reason == "held_aboard"}
        assert goods_to_east and goods_to_east <= held
    else:
        assert {p.truck for p in done.issued if p.zone == "east"} <= {"T1"}


OVERLAPPING = [[[120.25, 29.25], [120.32, 29.25], [120.32, 29.4], [120.25, 29.4], [120.25, 29.25]]]


def test_a_new_zone_is_checked(small: LoadedInstance, small_old: Plan) -> None:
    """A new zone with no polygon, or one that overlaps another zone, is refused by
    name."""
    base = {"kind": "zone-policy", "policy": "closed_loop", "checkpoints": EAST_GATES}
    for event, words in [
        ({**base, "zone": "east"}, "a new zone needs a polygon"),
        (
            {
                **base,
                "zone": "east",
                "polygon": OVERLAPPING,
            },
            "the day after the events.*overlaps",
        ),
    ]:
        with pytest.raises(InputError, match=words):
            replan(small, small_old, [event], 480, config=GREEDY)


def test_a_day_with_a_zone_change_is_re_planned_again(
    small: LoadedInstance, small_old: Plan
) -> None:
    """The day a zone-policy re-plan writes (with the zone's change in it) is re-planned
    again later for another event: valid, the first change kept in the day."""
    first = replan(small, small_old, ["zone-policy:park:closed_loop"], 360, config=QUICK)
    again = replan(first.loaded, first.plan, ["station-closed:rs_west"], 600, config=QUICK)
    _checked(first.plan, again, 600)
    park = again.loaded.instance.zones_by_id["park"]
    assert [(c.at, c.policy) for c in park.changes] == [(360, "closed_loop")]


EAST_STATION = {
    "places": [{"id": "east_gate", "kind": "relay", "lon": 120.27, "lat": 29.2}],
    "relay_stations": [{"id": "rs_east", "zone": "east", "place": "east_gate", "bays": 1}],
    "driver_pools": [
        {
            "id": "loop_east",
            "kind": "loop",
            "zone": "east",
            "station": "rs_east",
            "count": 1,
            "shift": [480, 1320],
        }
    ],
}


def _east_closed(**more: object) -> dict[str, object]:
    return {
        "kind": "zone-policy",
        "zone": "east",
        "policy": "closed_loop",
        "polygon": EAST,
        "checkpoints": EAST_GATES,
        **EAST_STATION,
        **more,
    }


@pytest.mark.parametrize("at", [480, 560])
def test_a_new_zone_with_its_relay_station_and_loop_drivers(
    small: LoadedInstance, small_old: Plan, at: float
) -> None:
    """A cordon drawn at 08:00 or 09:20 round cust2 with a relay station at its west
    gate and a loop driver there: the goods for cust2 (one already aboard; at 09:20
    with other goods aboard the same truck) are handed over at the new station, none
    held; nobody is handed over there before the cordon."""
    done = replan(small, small_old, [_east_closed()], at, config=QUICK)
    _checked(small_old, done, at)
    assert "S5" in done.state.aboard()
    assert not done.plan.unserved
    assert not [u for u in done.plan.unserved if u.shipment in ("S4", "S5")]
    east = [h for h in done.plan.handovers if h.station == "rs_east"]
    assert east and all(h.start >= at for h in east)
    assert {(o.shipment, o.itinerary) for o in done.plan.shipments} >= {
        ("S4", "relay_in"),
        ("S5", "relay_in"),
    }
    assert {d.pool for d in done.plan.loop_drivers} >= {"loop_east"}
    assert done.loaded.instance.relay_stations_by_id["rs_east"].hours[0][0] == at


def test_a_new_zones_stations_and_drivers_are_checked(
    small: LoadedInstance, small_old: Plan
) -> None:
    """Stations and loop drivers for a zone that does not close, for another zone, or
    with ids the day has, are refused by name."""
    station = EAST_STATION["relay_stations"][0]
    pool = EAST_STATION["driver_pools"][0]
    for event, words in [
        (_east_closed(policy="permit"), "come with a closed_loop zone"),
        (_east_closed(relay_stations=[{**station, "zone": "city"}]), "relay_stations.0..zone"),
        (_east_closed(relay_stations=[{**station, "id": "rs_west"}]), "'rs_west' is in the day"),
        (_east_closed(driver_pools=[{**pool, "zone": "city"}]), "driver_pools.0."),
        (_east_closed(places=[{"id": "depot", "lon": 120.27, "lat": 29.2}]), "'depot' is in"),
        (_east_closed(driver_pools=[{**pool, "station": "rs_nowhere"}]), "the day after the"),
    ]:
        with pytest.raises(InputError, match=words):
            replan(small, small_old, [event], 480, config=GREEDY)


CITY_WIDER = [[[120.0, 29.3], [120.16, 29.3], [120.16, 29.46], [120.0, 29.46], [120.0, 29.3]]]
PARK_WIDER = [[[120.2, 29.18], [120.32, 29.18], [120.32, 29.36], [120.2, 29.36], [120.2, 29.18]]]
PARK_NARROWER = [[[120.2, 29.32], [120.25, 29.32], [120.25, 29.36], [120.2, 29.36], [120.2, 29.32]]]


def _area_event(zone: str, policy: str, polygon: object, **more: object) -> dict[str, object]:
    return {"kind": "zone-policy", "zone": zone, "policy": policy, "polygon": polygon, **more}


def test_a_closed_zone_drawn_wider_takes_in_a_customer(
    small: LoadedInstance, small_old: Plan
) -> None:
    """The city's closed loop drawn wider at 07:20 to take in cust1: a valid plan with
    its past kept; the day has the new area as the zone's change; after the cut cust1 is
    served by loop drivers only; the old plan, which sends an outside driver there, is
    caught by the validator against the new day."""
    at = 440.0
    done = replan(
        small, small_old, [_area_event("city", "closed_loop", CITY_WIDER)], at, config=QUICK
    )
    _checked(small_old, done, at)
    city = done.loaded.instance.zones_by_id["city"]
    assert [(c.at, c.policy, c.polygon) for c in city.changes] == [
        (at, "closed_loop", [[tuple(p) for p in ring] for ring in CITY_WIDER])
    ]
    assert city.area_at(at - 1) == small.instance.zones_by_id["city"].polygon
    cut = {t: s.cut for t, s in done.state.trucks.items()}
    at_cust1 = [
        s.driver
        for r in done.plan.routes
        for s in r.stops[cut.get(r.truck, 0) + 1 :]
        if s.place == "cust1" and s.arrive >= at
    ]
    assert at_cust1 and all(d.startswith("loop_city/") for d in at_cust1)
    stale = check_replan(
        done.loaded.instance, small_old, small_old, done.events, at, done.loaded.base
    )
    assert any(v.rule == "R5" and "'city'" in v.message for v in stale.violations)


def test_a_permit_zone_drawn_wider_with_a_new_gate(small: LoadedInstance, small_old: Plan) -> None:
    """The park drawn wider at 07:20 round cust2 with a new south gate, T1 keeping its
    permit: valid, and trucks enter the park after the cut only at its west gate or the
    new one (the old south gate is inside the new area, no gate)."""
    at = 440.0
    gate = {"id": "cp_park_s2", "zone": "park", "lon": 120.26, "lat": 29.18, "delay": 10}
    event = _area_event("park", "permit", PARK_WIDER, checkpoints=[gate], permits=["T1"])
    done = replan(small, small_old, [event], at, config=QUICK)
    _checked(small_old, done, at)
    used = {
        c.checkpoint
        for r in done.plan.routes
        for leg in r.legs
        if leg.depart >= at
        for c in leg.crossings
        if c.zone == "park"
    }
    assert used and used <= {"cp_park_w", "cp_park_s2"}


def test_a_permit_zone_drawn_narrower_loses_a_gate(small: LoadedInstance, small_old: Plan) -> None:
    """The park drawn narrower at 07:20 (its south gate left 2 km outside): valid, no
    truck crosses at the old south gate after the cut, and the old plan, which does, is
    caught crossing the new boundary away from any checkpoint."""
    at = 440.0
    done = replan(
        small, small_old, [_area_event("park", "permit", PARK_NARROWER)], at, config=QUICK
    )
    _checked(small_old, done, at)
    after = [
        c.checkpoint
        for r in done.plan.routes
        for leg in r.legs
        if leg.depart >= at
        for c in leg.crossings
    ]
    assert "cp_park_s" not in after
    old_after = [
        c.checkpoint
        for r in small_old.routes
        for leg in r.legs
        if leg.depart >= at
        for c in leg.crossings
    ]
    assert "cp_park_s" in old_after
    stale = check_replan(
        done.loaded.instance, small_old, small_old, done.events, at, done.loaded.base
    )
    assert any(v.rule == "R9" and "away from any checkpoint" in v.message for v in stale.violations)


def test_a_permit_zone_drawn_narrower_on_yiwu_day(yiwu: LoadedInstance, yiwu_old: Plan) -> None:
    """Dongyang drawn narrower at noon (its north gate left 2 km outside, the road from
    it to the development zone crossing the new boundary off any gate): a valid plan with
    its past kept and its pass changes exact; the old plan is caught using that road."""
    polygon = [
        [[120.18, 29.235], [120.255, 29.235], [120.255, 29.285], [120.18, 29.285], [120.18, 29.235]]
    ]
    done = replan(yiwu, yiwu_old, [_area_event("dongyang", "permit", polygon)], 720, config=GREEDY)
    _checked(yiwu_old, done, 720)
    stale = check_replan(
        done.loaded.instance, yiwu_old, yiwu_old, done.events, 720, done.loaded.base
    )
    assert any("'cp_dongyang_n' to 'dongyang_dev'" in v.message for v in stale.violations)


YIWU_NARROWER = [
    [
        [120.0, 29.26],
        [120.02, 29.24],
        [120.13, 29.24],
        [120.13, 29.345],
        [120.0, 29.345],
        [120.0, 29.26],
    ]
]


def test_a_closed_zone_drawn_narrower_on_yiwu_day(yiwu: LoadedInstance, yiwu_old: Plan) -> None:
    """Yiwu's closed loop drawn narrower at noon (its north quarter let go, the north gate
    left outside): valid with its past kept. A loop driver's excursion whose road to the
    handover began before noon finishes in the area it began in (some go on to places
    now outside); loop work whose road began after noon stays inside the new area."""
    import shapely

    done = replan(
        yiwu, yiwu_old, [_area_event("yiwu", "closed_loop", YIWU_NARROWER)], 720, config=GREEDY
    )
    _checked(yiwu_old, done, 720)
    area = shapely.Polygon(YIWU_NARROWER[0])
    places = done.loaded.instance.places_by_id
    loop = {d.driver for d in done.plan.loop_drivers}
    old_area, new_area = 0, 0
    for r in done.plan.routes:
        began = None
        for k, s in enumerate(r.stops):
            if s.kind == "handover" and k and s.driver in loop:
                began = r.legs[k - 1].depart
            if s.driver in loop and s.kind in ("pickup", "delivery") and s.arrive >= 720:
                p = places[s.place]
                inside = area.contains(shapely.Point(p.lon, p.lat))
                assert began is not None and (inside or began < 720), (r.truck, k)
                old_area += not inside
                new_area += began >= 720
    assert old_area and new_area
    # The old plan's afternoon loop work, begun after noon, goes where the zone let go.
    stale = check_replan(
        done.loaded.instance, yiwu_old, yiwu_old, done.events, 720, done.loaded.base
    )
    assert any(
        v.rule == "R6" and "stops outside zone 'yiwu'" in v.message for v in stale.violations
    )


def test_a_zones_new_area_is_checked(small: LoadedInstance, small_old: Plan) -> None:
    """Gates for a zone without a new area, an area for an open zone, an area that
    overlaps another zone and one whose gates have no road inside are refused by name."""
    gate = {"id": "cp_park_s2", "zone": "park", "lon": 120.26, "lat": 29.18, "delay": 10}
    overlapping = [[[120.0, 29.3], [120.22, 29.3], [120.22, 29.4], [120.0, 29.4], [120.0, 29.3]]]
    empty = [[[120.2, 29.3], [120.22, 29.3], [120.22, 29.36], [120.2, 29.36], [120.2, 29.3]]]
    for event, words in [
        (
            {"kind": "zone-policy", "zone": "park", "policy": "closed_loop", "checkpoints": [gate]},
            "a new area only",
        ),
        (_area_event("park", "permit", None), "is permit already"),
        (_area_event("city", "closed_loop", overlapping), "the day after the events.*overlaps"),
        (
            _area_event("park", "permit", empty),
            "the day from 480 after the events.*no road to the inside",
        ),
    ]:
        with pytest.raises(InputError, match=words):
            replan(small, small_old, [event], 480, config=GREEDY)


def test_events_from_a_file_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--events FILE` reads the JSON forms (a new zone with its station and loop
    drivers); a wrong event in it is named by its place in the file, no plan written."""
    from relayroute.cli import main
    from tests.conftest import DATA

    small = str(DATA / "small-straight.json")
    old, new = tmp_path / "plan.json", tmp_path / "new.json"
    greedy = str(Path(__file__).resolve().parents[2] / "solvers" / "greedy.toml")
    assert main(["solve", small, "-o", str(old), "-q", "--solver", greedy]) == 0
    events = tmp_path / "events.json"
    events.write_text(json.dumps([_east_closed(), {"kind": "truck-broken", "truck": "T3"}]))
    args = ["replan", small, str(old), "--at", "08:00", "--solver", greedy]
    assert main([*args, "-o", str(new), "--events", str(events)]) == 0
    assert "validated: ok" in capsys.readouterr().out
    day = json.loads((tmp_path / "new.instance.json").read_text())
    assert "rs_east" in {s["id"] for s in day["relay_stations"]}
    events.write_text(json.dumps([{"kind": "truck-broken"}]))
    bad = tmp_path / "bad.json"
    assert main([*args, "-o", str(bad), "--events", str(events)]) == 2
    # The console wraps a long temporary path: compare with its line breaks as spaces.
    err = " ".join(capsys.readouterr().err.split())
    assert "events.json [0]" in err and "truck" in err and "Field required" in err
    assert "Traceback" not in err and not bad.exists()

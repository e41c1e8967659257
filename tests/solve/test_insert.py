"""Inserting one shipment into a plan already issued (issue 17, item 3).

Every new plan is checked by the independent validator against the instance with the
shipment added; the plan given must come out untouched and its passes listed unchanged.
The days' plans are made once per module by the dispatcher (greedy engine, seconds).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from relayroute.errors import InputError
from relayroute.io.instance import LoadedInstance, read_instance
from relayroute.io.plan import write_plan
from relayroute.solve import SolverConfig, solve
from relayroute.solve import insert as insert_module
from relayroute.solve.insert import Insertion, insert
from relayroute.validate import validate

from ..conftest import ROOT

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from relayroute.model.plan import Plan

GREEDY = SolverConfig(name="greedy", engine="greedy")
Day = tuple[LoadedInstance, "Plan"]


def _day(name: str, keep: int | None = None) -> Day:
    loaded = read_instance(ROOT / "instances" / f"{name}.json")
    if keep is not None:
        inst = loaded.instance.model_copy(update={"shipments": loaded.instance.shipments[:keep]})
        loaded = LoadedInstance(inst, loaded.base, loaded.sha256)
    return loaded, solve(loaded, GREEDY)


@pytest.fixture(scope="module")
def days() -> dict[str, Day]:
    return {name: _day(name) for name in ("yiwu-day", "liling-day", "fuquan-kaili")}


def _like(loaded: LoadedInstance, k: int, slack: float = 120.0) -> dict[str, Any]:
    """A new shipment like the day's k-th: same places and goods, due later by ``slack``."""
    sh = loaded.instance.shipments[k]
    due = min(loaded.instance.horizon, sh.due + slack)
    return dict(sh.model_dump(), id=f"NEW-{sh.id}", due=due, deadline=None)


def _first(
    loaded: LoadedInstance, plan: Plan, want: Callable[[Insertion], bool] = lambda d: True
) -> tuple[Insertion, float]:
    """The first of the day's shipments, copied as a new one, that inserts as wanted."""
    for k, sh in enumerate(loaded.instance.shipments[:80]):
        now = max(0.0, sh.ready - 60)
        done = insert(loaded, plan, _like(loaded, k), now=now)
        if done.ok and want(done):
            return done, now
    raise AssertionError("no shipment of the day inserts")


def _check(loaded: LoadedInstance, plan: Plan, done: Insertion, now: float) -> None:
    """The new plan validates; the old plan's routes and passes are all in it as they were,
    but the one truck's, whose stops all stay but for the arrivals; nothing new starts
    before now."""
    before = plan.model_dump_json()
    report = validate(done.loaded.instance, done.plan, done.loaded.base)
    assert report.ok, [str(v) for v in report.violations][:5]
    assert plan.model_dump_json() == before, "the plan given changed"
    new = done.plan
    dumped = [p.model_dump() for p in new.passes]
    assert all(p.model_dump() in dumped for p in plan.passes), "an issued pass changed"
    assert [p for p in new.passes if p not in plan.passes] == done.passes
    old_routes = {r.truck: r for r in plan.routes}
    for r in new.routes:
        if r.truck != done.truck:
            assert r == old_routes[r.truck]
    outcome = new.shipments[-1]
    assert outcome.shipment == done.shipment and outcome.truck == done.truck
    assert outcome.delivered == done.eta and outcome.weighted_delay == done.added_delay
    route = next(r for r in new.routes if r.truck == done.truck)
    ours = [s for s in route.stops if done.shipment in s.shipments]
    assert ours and min(s.arrive for s in ours) >= now
    if done.truck in old_routes:
        old = old_routes[done.truck]
        # Every stop kept but its arrival (a trip may come before it); the start may be
        # earlier (a trip before the first stop), never before now; the end may move on.
        kept = [s for s in old.stops[1:] if s.kind != "end"]
        start = route.stops[0]
        assert start.depart == old.stops[0].depart or now <= start.depart < old.stops[0].depart
        assert all(
            s.model_dump(exclude={"arrive"})
            in [x.model_dump(exclude={"arrive"}) for x in route.stops]
            for s in kept
        )
    assert new.kpis.served == plan.kpis.served + 1
    assert abs(new.kpis.weighted_delay - plan.kpis.weighted_delay - done.added_delay) < 1e-3


@pytest.mark.parametrize("name", ["yiwu-day", "liling-day", "fuquan-kaili"])
def test_insert_into_a_day(days: dict[str, Day], name: str) -> None:
    """A new shipment goes into the day's plan: it validates, and every earlier pass,
    route and stop is still there unchanged."""
    loaded, plan = days[name]
    done, now = _first(loaded, plan)
    _check(loaded, plan, done, now)


def test_insert_issues_a_pass(days: dict[str, Day]) -> None:
    """On Liling's day a trip into the permit zone gets its own pass, with its id, clock
    times and the shipment it is for."""
    loaded, plan = days["liling-day"]
    done, now = _first(loaded, plan, lambda d: bool(d.passes))
    _check(loaded, plan, done, now)
    assert all(done.shipment in p.shipments and p.valid_from >= now for p in done.passes)
    assert done.eta_at is not None and done.eta_at.endswith("+08:00")


def test_insert_through_a_relay_station() -> None:
    """On a lighter Yiwu day (its first 100 shipments) a trip into the closed city goes
    through a relay station: a loop driver and bays the plan leaves free, both handovers
    listed."""
    loaded, plan = _day("yiwu-day", keep=100)

    def relay(d: Insertion) -> bool:
        return d.plan.shipments[-1].itinerary != "direct"

    done, now = _first(loaded, plan, relay)
    _check(loaded, plan, done, now)
    assert len(done.plan.handovers) == len(plan.handovers) + 2


def test_two_inserts_in_a_row(days: dict[str, Day]) -> None:
    """The second request goes into the plan the first made, on the instance it returned."""
    loaded, plan = days["fuquan-kaili"]
    first, now = _first(loaded, plan)
    second = insert(first.loaded, first.plan, dict(_like(loaded, 0), id="NEW-2"), now=now)
    assert second.ok, second.refusal
    _check(first.loaded, first.plan, second, now)
    assert {"NEW-2", first.shipment} <= set(second.loaded.instance.shipments_by_id)


def test_refused_leaves_the_plan_as_it_was(days: dict[str, Day], tmp_path: Path) -> None:
    """A shipment no truck can deliver by its deadline is refused, with the reason and
    what blocks it; the plan given comes back the same, byte for byte."""
    loaded, plan = days["liling-day"]
    write_plan(plan, tmp_path / "before.json")
    sh = dict(_like(loaded, 0), id="TOO-SOON")
    sh["deadline"] = sh["ready"] + 5  # five minutes to load, drive and unload
    done = insert(loaded, plan, sh)
    assert not done.ok and done.refusal is not None
    assert done.refusal.code == "deadline_unreachable"
    assert done.refusal.blocking == "shipment TOO-SOON" and "deadline" in done.refusal.detail
    assert done.plan is plan and done.loaded is loaded and done.passes == []
    write_plan(plan, tmp_path / "after.json")
    assert (tmp_path / "before.json").read_bytes() == (tmp_path / "after.json").read_bytes()


def test_refused_late_in_the_day(days: dict[str, Day]) -> None:
    """Asked for at the end of the day, no truck has time left: refused naming what holds
    it (a truck's hours, the site's, or no driver left for an idle truck)."""
    loaded, plan = days["fuquan-kaili"]
    sh = _like(loaded, 0)
    sh.update(ready=1400.0, due=1440.0)
    done = insert(loaded, plan, sh, now=1400.0)
    assert done.refusal is not None and done.plan is plan
    codes = {"truck_hours", "site_hours", "deadline", "no_truck_free", "no_driver_left"}
    assert done.refusal.code in codes
    assert done.refusal.blocking.split()[0] in {"truck", "place", "pool", "the"}


def test_refused_without_a_permit(days: dict[str, Day]) -> None:
    """Liling's park needs a pass: a shipment into it too big for every truck holding one
    is refused naming why."""
    loaded, plan = days["liling-day"]
    sh = _like(loaded, 0)
    big = max(t.capacity.get(d, 0) for t in loaded.instance.trucks for d in sh["quantity"])
    sh["quantity"] = {d: big * 2 for d in sh["quantity"]}
    done = insert(loaded, plan, sh)
    assert done.refusal is not None and done.refusal.code == "no_truck_capacity"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"origin": "nowhere"}, "$.origin"),
        ({"destination": "nowhere"}, "$.destination"),
        ({"id": "P001"}, "$.id"),
        ({"quantity": {"barrels": 1}}, "$.quantity.barrels"),
        ({"ready": "soon"}, "$.ready"),
        ({"due": 5000}, "$.due"),
    ],
    ids=["origin", "destination", "id", "dimension", "ready", "horizon"],
)
def test_bad_shipment_named(days: dict[str, Day], change: dict[str, Any], where: str) -> None:
    """A new shipment that refers to what the instance has not, or breaks the schema, is
    an InputError at its own JSON path (not a KeyError)."""
    loaded, plan = days["liling-day"]
    with pytest.raises(InputError) as err:
        insert(loaded, plan, dict(_like(loaded, 0), **change))
    assert err.value.where == where


def test_now_out_of_the_day(days: dict[str, Day]) -> None:
    """``now`` is a time of the day."""
    loaded, plan = days["fuquan-kaili"]
    with pytest.raises(InputError, match="now"):
        insert(loaded, plan, _like(loaded, 0), now=-5)


def test_tables_built_once_per_instance(days: dict[str, Day]) -> None:
    """Requests on the same instance, before and after a shipment is added, share one
    built problem."""
    loaded, plan = days["fuquan-kaili"]
    first, _ = _first(loaded, plan)
    kept = dict(insert_module._PROBLEMS)  # noqa: SLF001
    insert(first.loaded, first.plan, dict(_like(loaded, 1), id="NEW-3"))
    assert dict(insert_module._PROBLEMS) == kept  # noqa: SLF001


def _every_slot(loaded: LoadedInstance, plan: Plan, sh: dict[str, Any], now: float) -> list:
    """(added delay, delivery) of the trip in every place of every truck's day, no pruning."""
    m = insert_module
    inst = loaded.instance
    s = m._shipment(inst, sh)  # noqa: SLF001
    grown = inst.model_copy(update={"shipments": [*inst.shipments, s]})
    prob = m._problem(loaded, grown, plan)  # noqa: SLF001
    if m.classify_shipment(prob, s) is not None:
        return []  # no truck can carry it even alone
    res, lanes = m._booked(prob, plan)  # noqa: SLF001
    tried = [m._try(prob, plan, s, slot, now, res, lanes) for slot in m._slots(prob, plan, s, now)]  # noqa: SLF001
    return [(c.added, c.eta) for c in tried if isinstance(c, m._Candidate)]  # noqa: SLF001


@pytest.mark.parametrize("name", ["liling-day", "fuquan-kaili"])
def test_least_added_delay(days: dict[str, Day], name: str) -> None:
    """The place chosen adds no more delay (and delivers no later at equal delay) than any
    other place tried one by one without the search's early stop."""
    loaded, plan = days[name]
    checked = 0
    for k in range(0, min(40, len(loaded.instance.shipments)), 8):
        sh = _like(loaded, k)
        now = max(0.0, sh["ready"] - 60)
        done = insert(loaded, plan, sh, now=now)
        every = _every_slot(loaded, plan, sh, now)
        assert done.ok == bool(every)
        if done.ok:
            added, eta = min(every)
            assert (done.added_delay, done.eta) <= (round(added, 4), eta)
            checked += 1
    assert checked


def test_threads_give_what_one_at_a_time_gives(days: dict[str, Day]) -> None:
    """Requests on one plan from eight threads at once answer as they do one by one."""
    from concurrent.futures import ThreadPoolExecutor

    loaded, plan = days["liling-day"]
    asks = [dict(_like(loaded, k), id=f"T-{k}") for k in range(0, 80, 10)]

    def one(sh: dict[str, Any]) -> str:
        done = insert(loaded, plan, sh, now=max(0.0, sh["ready"] - 60))
        return done.plan.model_dump_json() if done.ok else repr(done.refusal)

    alone = [one(sh) for sh in asks]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(one, asks))
    assert together == alone
    assert any(a.startswith("{") for a in alone), "some request inserts"


def test_plan_of_another_instance_named(days: dict[str, Day]) -> None:
    """A plan made for another instance is refused by name."""
    loaded, _ = days["liling-day"]
    _, other = days["fuquan-kaili"]
    with pytest.raises(InputError, match="made for instance 'fuquan-kaili'"):
        insert(loaded, other, _like(loaded, 0))


def _kind(plan: Plan, done: Insertion) -> str:
    """Where the trip went: an idle truck, before a day's first stop, in a gap, at its end."""
    old = {r.truck: r for r in plan.routes}.get(done.truck or "")
    new = next(r for r in done.plan.routes if r.truck == done.truck)
    if old is None:
        return "idle"
    if new.stops[0].depart < old.stops[0].depart:
        return "early"
    return "end" if new.stops[-1].arrive != old.stops[-1].arrive else "gap"


@pytest.mark.parametrize("kind", ["early", "gap", "end"])
def test_each_place_in_a_day(days: dict[str, Day], kind: str) -> None:
    """A trip before a truck's first stop (leaving its depot earlier), in a gap between
    two of its trips, and at the end of its day: each validates, issued passes kept."""
    for name in ("yiwu-day", "liling-day"):
        loaded, plan = days[name]
        try:
            done, now = _first(loaded, plan, lambda d, p=plan: _kind(p, d) == kind)
        except AssertionError:
            continue
        _check(loaded, plan, done, now)
        return
    pytest.fail(f"no request of yiwu-day or liling-day went {kind}")

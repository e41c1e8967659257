"""Plates, driver names and pass papers (issue 17, item 2), kept through to the plan and
checked by the validator: each wrong statement on a pass is R9, a wrong name on a route or
roster PLAN."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from relayroute.errors import InputError
from relayroute.io.instance import LoadedInstance, instance_from_data
from relayroute.solve import solve
from relayroute.validate import validate

from ..conftest import DATA, QUICK
from ..validate.test_validate import _mutate

if TYPE_CHECKING:
    from collections.abc import Callable

    from relayroute.model.plan import Plan

Named = tuple[LoadedInstance, "Plan"]


def _named_data() -> dict:
    data = json.loads((DATA / "small-straight.json").read_text())
    for k, t in enumerate(data["trucks"]):
        t["plate"] = f"浙G·{k + 1:05d}"
        t["driver"] = f"driver-{k + 1}"
    for p in data["driver_pools"]:
        if p["kind"] == "loop":
            p["drivers"] = [f"{p['id']}-staff-{k + 1}" for k in range(p["count"])]
    return data


@pytest.fixture(scope="module")
def named(small: LoadedInstance) -> Named:
    loaded = LoadedInstance(instance_from_data(_named_data()), small.base, small.sha256)
    return loaded, solve(loaded, QUICK)


def test_names_kept_through_to_the_plan(named: Named) -> None:
    """Each route carries its truck's plate and driver name, each loop driver its pool's
    name for it, and each pass its id, plate, driver name, clock times and shipments; the
    plan validates."""
    loaded, plan = named
    inst = loaded.instance
    report = validate(inst, plan, loaded.base)
    assert report.ok, [str(v) for v in report.violations]
    trucks = inst.trucks_by_id
    for r in plan.routes:
        assert r.plate == trucks[r.truck].plate
        assert r.driver_name == trucks[r.truck].driver
    assert plan.loop_drivers
    for d in plan.loop_drivers:
        k = int(d.driver.rsplit("/", 1)[1])
        assert d.name == f"{d.pool}-staff-{k}"
    assert plan.passes
    offset = inst.start.utcoffset()
    for p in plan.passes:
        assert p.id == f"pass-{p.truck}-{p.checkpoint}-{round(p.valid_from * 60)}"
        assert p.plate == trucks[p.truck].plate and p.driver_name == trucks[p.truck].driver
        at = datetime.fromisoformat(p.valid_from_at)
        assert at.utcoffset() == offset
        assert abs((at - inst.start).total_seconds() / 60 - p.valid_from) < 1 / 60
        assert p.shipments, "a truck enters the park to serve something"
        route = next(r for r in plan.routes if r.truck == p.truck)
        served = {s for st in route.stops for s in st.shipments}
        assert set(p.shipments) <= served


def test_names_absent_when_the_instance_gives_none(small_plan: Plan) -> None:
    """Without plates and names the plan says none, and still gives every pass its id and
    clock times."""
    assert all(r.plate is None and r.driver_name is None for r in small_plan.routes)
    assert all(p.id.startswith("pass-") and p.valid_to_at for p in small_plan.passes)


def _set(field: str, value: object) -> Callable[[Plan], None]:
    def change(p: Plan) -> None:
        setattr(p.passes[0], field, value)

    return change


@pytest.mark.parametrize(
    "change",
    [
        _set("id", "pass-1"),
        _set("plate", "浙G·99999"),
        _set("driver_name", "someone else"),
        _set("valid_from_at", "2022-08-12T00:00:00+00:00"),
        _set("valid_to_at", "2099-01-01T00:00:00+08:00"),
        _set("shipments", []),
        _set("shipments", ["S1", "S1"]),
    ],
    ids=["id", "plate", "driver_name", "from_at", "to_at", "no_shipments", "twice"],
)
def test_r9_wrong_pass_papers(named: Named, change: Callable[[Plan], None]) -> None:
    """A pass that says the wrong thing about its truck, driver, window or shipments."""
    loaded, plan = named
    rules = validate(loaded.instance, _mutate(plan, change), loaded.base).rules()
    assert rules == {"R9"}


def test_r9_two_passes_with_one_id(named: Named) -> None:
    """Two passes may not share an id (here the second copy of one entry's pass)."""
    loaded, plan = named

    def change(p: Plan) -> None:
        p.passes.append(p.passes[0].model_copy())

    report = validate(loaded.instance, _mutate(plan, change), loaded.base)
    assert any("also pass" in v.message for v in report.violations)


@pytest.mark.parametrize("what", ["plate", "driver_name", "loop_name"])
def test_plan_wrong_names(named: Named, what: str) -> None:
    """A route's plate or driver name, or a loop driver's name, other than the instance's."""
    loaded, plan = named

    def change(p: Plan) -> None:
        if what == "loop_name":
            p.loop_drivers[0].name = "nobody"
        else:
            setattr(p.routes[0], what, "wrong")

    assert validate(loaded.instance, _mutate(plan, change), loaded.base).rules() == {"PLAN"}


def test_pool_with_more_names_than_drivers() -> None:
    """A pool naming more drivers than it has is refused at the names' path."""
    data = _named_data()
    pool = next(p for p in data["driver_pools"] if p["kind"] == "loop")
    pool["drivers"].append("one too many")
    with pytest.raises(InputError) as err:
        instance_from_data(data)
    assert ".drivers" in err.value.where

"""The day_end valuation of unserved shipments and the routing portfolio (issue 15)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from relayroute.solve import SolverConfig, solve
from relayroute.validate import validate

from ..conftest import QUICK

if TYPE_CHECKING:
    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Plan

DAY_END = QUICK.model_copy(
    update={"name": "day-end", "unserved_cost": "day_end", "objective": {"unserved": 0.0}}
)


def test_day_end_prices_an_unserved_shipment_as_late_until_the_day_ends(
    small_no_relay: LoadedInstance, small_no_relay_plan: Plan
) -> None:
    """With unserved_cost = day_end and no unserved weight, the plan's objective counts
    each unserved shipment as priority x minutes from due to the horizon; the validator
    agrees, and catches an objective that leaves that part out."""
    plan = solve(small_no_relay, DAY_END)
    inst = small_no_relay.instance
    assert plan.unserved, "the day without its relay station leaves shipments unserved"
    assert validate(inst, plan, small_no_relay.base).ok
    ships = inst.shipments_by_id
    late = sum(
        ships[u.shipment].priority * max(0.0, inst.horizon - ships[u.shipment].due)
        for u in plan.unserved
    )
    k = plan.kpis
    rest = k.weighted_delay + 0.01 * k.km + k.trucks_used + k.loop_drivers_used
    assert abs(k.objective - (late + rest)) < 1e-3 + 1e-4 * k.objective
    wrong = plan.model_copy(update={"kpis": k.model_copy(update={"objective": rest})})
    report = validate(inst, wrong, small_no_relay.base)
    assert not report.ok and "PLAN" in report.rules()


def test_portfolio_names_the_start_it_kept(small: LoadedInstance) -> None:
    """With the portfolio on, the first routing round tries the dispatcher's routes and
    OR-Tools' heuristic and says which it kept; without it (the default) no such key."""
    plan = solve(small, QUICK.model_copy(update={"portfolio": True}))
    assert plan.solver.get("portfolio_start") in ("warm", "cold")
    assert validate(small.instance, plan, small.base).ok
    off = solve(small, QUICK)
    assert "portfolio_start" not in off.solver
    assert validate(small.instance, off, small.base).ok


def test_never_worse_than_the_dispatcher_under_either_valuation(
    small_no_relay: LoadedInstance,
) -> None:
    """Under both valuations the optimiser's objective is no higher than the greedy
    dispatcher's (the floor), priced the same way."""
    for config in (QUICK, DAY_END):
        opt = solve(small_no_relay, config)
        greedy = solve(
            small_no_relay,
            SolverConfig(
                name="greedy",
                engine="greedy",
                unserved_cost=config.unserved_cost,
                objective=config.objective,
            ),
        )
        assert opt.kpis.objective <= greedy.kpis.objective + 1e-6


def test_each_priority_class_is_reported_and_checked(demo: LoadedInstance, demo_plan: Plan) -> None:
    """The plan states delay and share on time per priority class, most urgent first;
    the classes add up to the plan's totals, and the validator catches a wrong one."""
    classes = demo_plan.kpis.by_priority
    priorities = sorted({s.priority for s in demo.instance.shipments}, reverse=True)
    assert [c.priority for c in classes] == priorities
    assert sum(c.served for c in classes) == demo_plan.kpis.served
    assert abs(sum(c.weighted_delay for c in classes) - demo_plan.kpis.weighted_delay) < 1e-2
    assert validate(demo.instance, demo_plan, demo.base).ok
    worst = classes[0].model_copy(update={"max_delay": classes[0].max_delay + 30})
    wrong = demo_plan.model_copy(
        update={"kpis": demo_plan.kpis.model_copy(update={"by_priority": [worst, *classes[1:]]})}
    )
    report = validate(demo.instance, wrong, demo.base)
    assert not report.ok and any("by_priority" in v.obj for v in report.violations)

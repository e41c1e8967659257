"""The validator as a whole: solver plans pass, and the KPIs they state are checked.

The planted faults are tested per rule family, beside the module that judges them:
``test_coverage`` (R1-R4), ``test_drivers`` (R5-R8), ``test_checkpoints`` (R9),
``test_goods`` (R10-R11), ``test_fleet`` (R12). Each breaks a valid solver plan, or the
instance under it, in one way and asserts the exact set of rules the validator names. (That
validate/ imports neither solve/ nor itineraries/ is checked in ``tests/test_layout.py``.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from relayroute.validate import validate

if TYPE_CHECKING:
    from collections.abc import Callable

    from relayroute.io.instance import LoadedInstance
    from relayroute.model.instance import Instance
    from relayroute.model.plan import Plan


def _mutate(plan: Plan, change: Callable[[Plan], None]) -> Plan:
    broken = plan.model_copy(deep=True)
    change(broken)
    return broken


def _changed(inst: Instance, attr: str, pick: Callable[[Any], bool], **update: Any) -> Instance:
    """The instance with ``update`` applied to the objects of list ``attr`` that ``pick`` selects."""
    items = [o.model_copy(update=update) if pick(o) else o for o in getattr(inst, attr)]
    return inst.model_copy(update={attr: items})


def _rules(loaded: LoadedInstance, plan: Plan, inst: Instance | None = None) -> set[str]:
    """The rules the validator names for ``plan`` on ``inst`` (default: the loaded instance)."""
    return validate(inst or loaded.instance, plan, loaded.base).rules()


def test_solver_plans_validate(
    small: LoadedInstance, small_plan: Plan, demo: LoadedInstance, demo_plan: Plan
) -> None:
    """Plans the solver makes for the fixtures pass every rule."""
    assert validate(small.instance, small_plan, small.base).ok
    report = validate(demo.instance, demo_plan, demo.base)
    assert report.ok, [str(v) for v in report.violations]


@pytest.mark.parametrize("field", ["weighted_delay", "km", "served"])
def test_kpis_are_checked(small: LoadedInstance, small_plan: Plan, field: str) -> None:
    """A plan whose KPIs do not add up is rejected."""

    def change(p: Plan) -> None:
        setattr(p.kpis, field, getattr(p.kpis, field) + 7)

    assert _rules(small, _mutate(small_plan, change)) == {"PLAN"}

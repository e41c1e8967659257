"""The validator's verdict on a plan the solver made, carried in the plan itself.

A plan that breaks a rule is never handed on as if it were good: :func:`checked` runs the
independent validator on a solver plan, records the verdict in ``plan.validation`` and
raises :class:`InvalidPlanError` when a rule is broken. The error carries the plan, marked
invalid, for a caller who asked to keep it (``relayroute solve --keep-invalid`` writes it
to :func:`invalid_path`). The solver does not import this: the validator stays its second
opinion.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from relayroute.model.plan import Plan, Validation

if TYPE_CHECKING:
    from relayroute.io.instance import LoadedInstance
    from relayroute.validate import Report

SHOWN = 5  # violations named in a message; the plan's validation block lists them all


def rule_counts(report: Report) -> dict[str, int]:
    """Rule id -> number of violations of it, in rule order (R1, R2, …, R12, PLAN)."""
    counts = Counter(v.rule for v in report.violations)

    def order(rule: str) -> tuple[int, str]:
        return (int(rule[1:]), rule) if rule[:1] == "R" and rule[1:].isdigit() else (99, rule)

    return {r: counts[r] for r in sorted(counts, key=order)}


def describe(report: Report, shown: int = SHOWN) -> str:
    """One paragraph: the rules broken with counts, then the first ``shown`` violations."""
    rules = ", ".join(f"{r} ×{n}" for r, n in rule_counts(report).items())
    lines = [f"{len(report.violations)} violation(s) of {rules}"]
    lines += [f"  {v}" for v in report.violations[:shown]]
    if len(report.violations) > shown:
        lines.append(f"  … and {len(report.violations) - shown} more")
    return "\n".join(lines)


class InvalidPlanError(Exception):
    """:func:`checked` found that a plan breaks a rule.

    Attributes
    ----------
    plan
        The plan, its ``validation`` block saying it is invalid and why.
    report
        The validator's report.
    """

    def __init__(self, plan: Plan, report: Report) -> None:
        super().__init__("the plan breaks the rules: " + describe(report))
        self.plan = plan
        self.report = report


def with_verdict(loaded: LoadedInstance, plan: Plan) -> tuple[Plan, Report]:
    """Validate ``plan`` independently and return it with its ``validation`` block set.

    Parameters
    ----------
    loaded
        The instance the plan was made for.
    plan
        The plan; it is not changed (a copy is returned).

    Returns
    -------
    tuple[Plan, Report]
        The plan carrying the verdict, and the validator's full report.
    """
    from relayroute.validate import validate  # looked up at call time (tests replace it)

    report = validate(loaded.instance, plan, loaded.base)
    verdict = Validation(
        valid=report.ok,
        rules=rule_counts(report),
        violations=[str(v) for v in report.violations],
    )
    return plan.model_copy(update={"validation": verdict}), report


def checked(loaded: LoadedInstance, plan: Plan) -> Plan:
    """The plan with its verdict, if the validator accepts it.

    Parameters
    ----------
    loaded
        The instance the plan was made for.
    plan
        A plan, e.g. from :func:`relayroute.solve.solve`.

    Returns
    -------
    Plan
        The plan carrying ``validation.valid = True``.

    Raises
    ------
    InvalidPlanError
        The plan breaks a rule; ``exc.plan`` is the plan marked invalid, ``exc.report``
        the validator's report.
    """
    plan, report = with_verdict(loaded, plan)
    if not report.ok:
        raise InvalidPlanError(plan, report)
    return plan


def invalid_path(path: str | Path) -> Path:
    """Where an invalid plan asked for at ``path`` is kept: ``plan.json`` -> ``plan.invalid.json``."""
    p = Path(path)
    if ".invalid" in p.suffixes:
        return p
    if p.suffix:
        return p.with_name(f"{p.stem}.invalid{p.suffix}")
    return p.with_name(f"{p.name}.invalid")

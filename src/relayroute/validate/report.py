"""What the validator reports: violations, each naming its rule (DESIGN.md R1-R12)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

TOL = 1e-3  # minutes, km and quantities: the plan rounds to 4 decimals

RULES = {
    "R1": "coverage",
    "R2": "precedence and timing",
    "R3": "capacity",
    "R4": "time windows",
    "R5": "outside drivers outside closed zones",
    "R6": "loop drivers inside their zone",
    "R7": "handovers at relay stations",
    "R8": "loop drivers on shift",
    "R9": "checkpoints and passes",
    "R10": "transloads",
    "R11": "rail",
    "R12": "availability and open roads",
    "PLAN": "plan consistency",
    "REPLAN": "a re-plan keeps the past and leaves closed objects unused",
}


@dataclass(frozen=True)
class Violation:
    """One broken rule.

    Attributes
    ----------
    rule
        ``R1``-``R12`` (DESIGN.md) or ``PLAN`` (a statement of the plan that does not follow
        from its routes).
    obj
        What breaks it, in a planner's words: ``truck T02 leg 3``, ``station rs_jindong``.
    time
        Minutes from the instance start where it happens, if it happens at a time.
    message
        What is wrong, with the figures.
    """

    rule: str
    obj: str
    time: float | None
    message: str

    def __str__(self) -> str:
        at = f" at {self.time:g}" if self.time is not None else ""
        return f"{self.rule} {RULES.get(self.rule, '')}: {self.obj}{at}: {self.message}"


@dataclass
class Report:
    """What :func:`relayroute.validate` found.

    Attributes
    ----------
    violations
        Every violation, in the order the checks found them.
    """

    violations: list[Violation]

    @property
    def ok(self) -> bool:
        """True when the plan breaks no rule."""
        return not self.violations

    def rules(self) -> set[str]:
        """The rules broken (each once)."""
        return {v.rule for v in self.violations}


class Found:
    """The violations found so far, in the order the checks find them."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def add(self, rule: str, obj: str, time: float | None, message: str) -> None:
        """Record that ``obj`` breaks ``rule`` (at ``time``, if it has one)."""
        self.violations.append(Violation(rule, obj, time, message))

    def extend(self, violations: Iterable[Violation]) -> None:
        """Record violations a check made itself."""
        self.violations.extend(violations)


def within(hours: list[tuple[float, float]], t: float) -> bool:
    """Whether ``t`` falls in one of the opening ``hours`` (none listed: always open)."""
    return not hours or any(a - TOL <= t <= b + TOL for a, b in hours)

"""What the validator reports (:mod:`relayroute.validate.report`)."""

from __future__ import annotations

from relayroute.validate import RULES, Report, Violation
from relayroute.validate.report import Found, within


def test_found_keeps_the_order_of_finding() -> None:
    """Violations come out in the order the checks add them, each naming its rule."""
    found = Found()
    found.add("R9", "truck T1 leg 0", 12.5, "crosses at closed checkpoint K")
    found.extend([Violation("PLAN", "kpis.km", None, "states 1, the plan gives 2")])
    found.add("R1", "shipment S1", None, "neither delivered nor listed unserved")
    report = Report(found.violations)
    assert [v.rule for v in report.violations] == ["R9", "PLAN", "R1"]
    assert report.rules() == {"R9", "PLAN", "R1"} and not report.ok
    assert str(report.violations[0]) == (
        "R9 checkpoints and passes: truck T1 leg 0 at 12.5: crosses at closed checkpoint K"
    )
    assert str(report.violations[1]) == "PLAN plan consistency: kpis.km: states 1, the plan gives 2"
    # REPLAN: checked by relayroute.validate.replan for a re-planned day only.
    assert set(RULES) == {f"R{i}" for i in range(1, 13)} | {"PLAN", "REPLAN"}


def test_within_hours() -> None:
    """No hours listed: always open; otherwise inside one window, to the tolerance."""
    assert within([], 5000.0)
    assert within([(0.0, 60.0), (120.0, 180.0)], 60.0005)
    assert not within([(0.0, 60.0), (120.0, 180.0)], 90.0)

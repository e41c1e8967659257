"""The command line: solve, validate, schema, version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from relayroute import __version__
from relayroute.cli import main

from .conftest import DATA

SMALL = str(DATA / "small-straight.json")


def test_solve_writes_plan_and_prints_kpis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`solve -o` writes a plan that `validate` accepts, and prints the KPI table."""
    out = tmp_path / "plan.json"
    assert main(["solve", SMALL, "-o", str(out), "--time-limit", "2"]) == 0
    text = capsys.readouterr().out
    assert "weighted delay" in text and "validated: ok" in text
    plan = json.loads(out.read_text())
    assert plan["format"] == "relayroute-plan/1"
    assert set(plan["kpis"]) >= {
        "weighted_delay",
        "delay_lower_bound",
        "served",
        "unserved",
        "on_time_share",
        "km",
        "trucks_used",
        "solve_seconds",
    }
    assert main(["validate", SMALL, str(out)]) == 0


def test_validate_exit_1_on_violation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A tampered plan makes `validate` exit 1 and list the rule."""
    out = tmp_path / "plan.json"
    assert main(["solve", SMALL, "-o", str(out), "-q", "--time-limit", "2"]) == 0
    plan = json.loads(out.read_text())
    plan["routes"] = plan["routes"][1:]
    out.write_text(json.dumps(plan))
    assert main(["validate", SMALL, str(out)]) == 1
    assert "R1" in capsys.readouterr().out


def test_validate_bad_plan_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A plan that is not a plan is bad input: exit 2."""
    bad = tmp_path / "plan.json"
    bad.write_text('{"routes": 3}')
    assert main(["validate", SMALL, str(bad)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_schema_prints_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """`schema` prints the instance JSON Schema, `schema --plan` the plan's."""
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "shipments" in schema["properties"]
    assert main(["schema", "--plan"]) == 0
    assert "kpis" in json.loads(capsys.readouterr().out)["properties"]


def test_console_script_version() -> None:
    """The installed console script answers --version."""
    res = subprocess.run(
        [sys.executable, "-m", "relayroute.cli", "--version"], capture_output=True, text=True
    )
    assert res.returncode == 0 and __version__ in res.stdout

"""``relayroute insert INSTANCE PLAN SHIPMENT.json -o new-plan.json`` (issue 17, item 5)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from relayroute.cli import main
from relayroute.io.instance import read_instance
from relayroute.io.plan import read_plan, write_plan
from relayroute.validate import validate

from .conftest import DATA, ROOT

if TYPE_CHECKING:
    from pathlib import Path

    from relayroute.model.plan import Plan

SMALL = str(DATA / "small-straight.json")
TRIP = {
    "id": "S9",
    "origin": "sup1",
    "destination": "park_factory",
    "quantity": {"t": 3},
    "ready": 600,
    "due": 900,
}


@pytest.fixture
def files(tmp_path: Path, small_plan: Plan) -> tuple[Path, Path]:
    """The small day's plan and a new trip into its permit zone, as files."""
    write_plan(small_plan, tmp_path / "plan.json")
    (tmp_path / "trip.json").write_text(json.dumps(TRIP))
    return tmp_path / "plan.json", tmp_path / "trip.json"


def test_insert_writes_plan_and_instance(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The new plan and the instance with the shipment are written; `validate` accepts
    the pair; the passes to issue are printed with their clock times; the plan given is
    the same file as before."""
    plan, trip = files
    before = plan.read_bytes()
    out = tmp_path / "new.json"
    assert main(["insert", SMALL, str(plan), str(trip), "-o", str(out), "--now", "540"]) == 0
    text = capsys.readouterr().out
    assert "S9: truck" in text and "passes to issue" in text and "+08:00" in text
    inst = tmp_path / "new.instance.json"
    assert main(["validate", str(inst), str(out)]) == 0
    new = read_plan(out)
    assert new.validation is not None and new.validation.valid
    assert any(o.shipment == "S9" for o in new.shipments)
    assert plan.read_bytes() == before
    old = read_plan(plan)
    assert all(p in new.passes for p in old.passes)


def test_insert_refused_writes_nothing(
    files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A trip no truck can make by its deadline: exit 4, the reason and what blocks it on
    stderr, no file written, the plan untouched byte for byte."""
    plan, trip = files
    trip.write_text(json.dumps(dict(TRIP, deadline=601)))
    before = plan.read_bytes()
    out = tmp_path / "new.json"
    assert main(["insert", SMALL, str(plan), str(trip), "-o", str(out)]) == 4
    err = capsys.readouterr().err
    assert "refused: deadline_unreachable (shipment S9)" in err
    assert not out.exists() and not (tmp_path / "new.instance.json").exists()
    assert plan.read_bytes() == before


@pytest.mark.parametrize(
    ("trip", "where"),
    [
        ({"origin": "nowhere"}, "trip.json $.origin: unknown place 'nowhere'"),
        ({"id": "S1"}, "trip.json $.id: shipment 'S1' is already in the instance"),
        ({"ready": True}, "trip.json $.ready"),
    ],
    ids=["place", "id", "schema"],
)
def test_insert_bad_shipment(
    files: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    trip: dict[str, object],
    where: str,
) -> None:
    """A shipment that does not fit the instance: exit 2, one line naming the file and the
    JSON path, no traceback, nothing written."""
    plan, path = files
    path.write_text(json.dumps(dict(TRIP, **trip)))
    out = tmp_path / "new.json"
    assert main(["insert", SMALL, str(plan), str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert where in " ".join(err.split()) and "Traceback" not in err
    assert not out.exists()


def test_insert_bad_now(files: tuple[Path, Path], tmp_path: Path) -> None:
    """``--now`` outside the day is bad input, named."""
    plan, trip = files
    out = tmp_path / "new.json"
    assert main(["insert", SMALL, str(plan), str(trip), "-o", str(out), "--now", "nan"]) == 2
    assert not out.exists()


def test_insert_instance_elsewhere_keeps_its_roads(tmp_path: Path) -> None:
    """An instance written to another folder still finds its road files: their relative
    paths are rewritten from there."""
    src = ROOT / "instances" / "fuquan-kaili.json"
    plan = tmp_path / "plan.json"
    assert main(["solve", str(src), "--solver", str(ROOT / "solvers" / "greedy.toml"), "-q",
                 "-o", str(plan)]) in (0, 4)  # fmt: skip
    like = read_instance(src).instance.shipments[0]
    trip = tmp_path / "trip.json"
    trip.write_text(
        json.dumps(dict(like.model_dump(), id="NEW", due=like.due + 120, deadline=None))
    )
    elsewhere = tmp_path / "out" / "deeper"
    elsewhere.mkdir(parents=True)
    out, inst = elsewhere / "new.json", elsewhere / "day.json"
    args = ["insert", str(src), str(plan), str(trip), "-o", str(out), "--instance-out", str(inst)]
    assert main([*args, "--now", str(max(0.0, like.ready - 60)), "-q"]) == 0
    loaded = read_instance(inst)
    assert validate(loaded.instance, read_plan(out), loaded.base).ok

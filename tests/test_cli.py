"""The command line: solve, validate, schema, version."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from relayroute import __version__
from relayroute.cli import main

from .conftest import DATA

if TYPE_CHECKING:
    from relayroute.model.plan import Plan

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
    assert plan["validation"] == {"valid": True, "rules": {}, "violations": []}
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


def _reject_r5(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the validator find an R5 violation (and an R9) in every plan."""
    validate_mod = importlib.import_module("relayroute.validate")  # the module, not the function
    from relayroute.validate import Report, Violation

    def fake(*_args: object, **_kw: object) -> Report:
        return Report(
            [
                Violation("R5", "truck T1 leg 2", None, "runs 812 m inside closed zone Z"),
                Violation("R5", "truck T2 leg 0", None, "runs 40 m inside closed zone Z"),
                Violation("R9", "truck T1 leg 2", 95.0, "crosses Z's boundary off a checkpoint"),
            ]
        )

    monkeypatch.setattr(validate_mod, "validate", fake)


def test_solve_invalid_plan_not_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan its validator rejects: exit 1, the rules named, -o left as it was."""
    _reject_r5(monkeypatch)
    out = tmp_path / "plan.json"
    out.write_text("the plan of yesterday\n")
    assert main(["solve", SMALL, "-o", str(out), "-q", "--time-limit", "2"]) == 1
    err = capsys.readouterr().err
    assert "R5 ×2" in err and "R9 ×1" in err and "812 m inside closed zone Z" in err
    assert "not written" in err and "--keep-invalid" in err
    assert out.read_text() == "the plan of yesterday\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]


def test_solve_keep_invalid_writes_marked_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--keep-invalid: the plan goes to plan.invalid.json and says it is invalid."""
    _reject_r5(monkeypatch)
    out = tmp_path / "plan.json"
    argv = ["solve", SMALL, "-o", str(out), "--keep-invalid", "--time-limit", "2"]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "validated: ok" not in captured.out
    assert not out.exists()
    kept = tmp_path / "plan.invalid.json"
    assert str(kept) in captured.err
    plan = json.loads(kept.read_text())
    assert plan["validation"]["valid"] is False
    assert plan["validation"]["rules"] == {"R5": 2, "R9": 1}
    assert len(plan["validation"]["violations"]) == 3
    monkeypatch.undo()  # the real validator reads the kept plan as a plan
    assert main(["validate", SMALL, str(kept)]) == 0


def test_solve_keep_invalid_needs_output(capsys: pytest.CaptureFixture[str]) -> None:
    """--keep-invalid without -o is bad input, refused before solving."""
    assert main(["solve", SMALL, "--keep-invalid", "-q"]) == 2
    assert "--keep-invalid" in capsys.readouterr().err


def test_checked_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """checked() passes a valid plan with its verdict and raises on an invalid one."""
    from relayroute.io.instance import read_instance
    from relayroute.solve import solve
    from relayroute.validate.verdict import InvalidPlanError, checked

    from .conftest import QUICK

    loaded = read_instance(SMALL)
    made = solve(loaded, QUICK)
    plan = checked(loaded, made)
    assert plan.validation is not None and plan.validation.valid
    _reject_r5(monkeypatch)
    with pytest.raises(InvalidPlanError) as exc:
        checked(loaded, made)
    assert exc.value.plan.validation is not None
    assert not exc.value.plan.validation.valid
    assert exc.value.report.rules() == {"R5", "R9"}


def test_invalid_path_names() -> None:
    """plan.json -> plan.invalid.json, a name without suffix gets .invalid."""
    from relayroute.validate.verdict import invalid_path

    assert invalid_path("out/plan.json") == Path("out/plan.invalid.json")
    assert invalid_path("out/plan.v2.json") == Path("out/plan.v2.invalid.json")
    assert invalid_path("plan") == Path("plan.invalid")
    assert invalid_path("plan.invalid.json") == Path("plan.invalid.json")


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
    props = json.loads(capsys.readouterr().out)["properties"]
    assert "kpis" in props and "validation" in props


def test_console_script_version() -> None:
    """The installed console script answers --version."""
    res = subprocess.run(
        [sys.executable, "-m", "relayroute.cli", "--version"], capture_output=True, text=True
    )
    assert res.returncode == 0 and __version__ in res.stdout


def test_missing_extra_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the maps extra, `relayroute map` names the extra to install, exit 2."""
    import builtins

    real = builtins.__import__

    def no_folium(name: str, *args: object, **kwargs: object) -> object:
        if name.split(".")[0] == "folium":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.delitem(__import__("sys").modules, "relayroute.export.webmap", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_folium)
    plan = tmp_path / "plan.json"
    plan.write_text("{}")
    code = main(
        ["map", str(DATA / "small-straight.json"), str(plan), "-o", str(tmp_path / "m.html")]
    )
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2
    assert "pip install 'relayroute[maps]'" in err


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("{instance}", "is an input of this command"),
        ("", "the output path is empty"),
        ("{tmp}", "is a folder; give a file name"),
        ("{tmp}/afile/plan.json", "is a file, not a folder"),
    ],
)
def test_bad_output_refused_before_solving(
    output: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-o is checked before the solve: the input itself, '', a folder, a path under a file."""
    instance = tmp_path / "day.json"
    original = (DATA / "small-straight.json").read_bytes()
    instance.write_bytes(original)
    (tmp_path / "afile").write_text("not a folder")
    target = output.format(instance=instance, tmp=tmp_path)
    assert main(["solve", str(instance), "-o", target, "-q"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert message in err and "internal error" not in err
    assert instance.read_bytes() == original  # nothing the user gave is changed
    assert "solving" not in err


def test_unwritable_place_is_bad_input_not_internal(tmp_path: Path) -> None:
    """Writing under a file raises InputError (exit 2 at the CLI), not an OSError."""
    from relayroute.errors import InputError
    from relayroute.io.atomic import write_text_atomic

    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match="cannot be written"):
        write_text_atomic(tmp_path / "afile" / "out.json", "{}")


def test_stale_temp_files_are_swept(tmp_path: Path) -> None:
    """A temp file a killed writer left beside the target goes at the next write; a fresh one stays."""
    import os
    import time

    from relayroute.io.atomic import STALE_SECONDS, write_text_atomic

    stale = tmp_path / ".plan.json.abc123.tmp"
    fresh = tmp_path / ".plan.json.def456.tmp"
    for f in (stale, fresh):
        f.write_text("half a plan")
    old = time.time() - STALE_SECONDS - 60
    os.utime(stale, (old, old))
    write_text_atomic(tmp_path / "plan.json", "{}")
    assert not stale.exists() and fresh.exists()
    assert (tmp_path / "plan.json").read_text() == "{}"


def _interrupt(tmp_path: Path, sig: int) -> tuple[int, float, Path]:
    """Start a 60 s solve of the demo, send ``sig`` after 8 s; exit code, seconds to exit."""
    import time

    out = tmp_path / "plan.json"
    demo = DATA.parents[1] / "instances" / "yiwu-demo.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "relayroute.cli",
            "solve",
            str(demo),
            "-o",
            str(out),
            "-q",
            "--time-limit",
            "60",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(8)
    proc.send_signal(sig)
    sent = time.perf_counter()
    proc.wait(timeout=30)
    return proc.returncode, time.perf_counter() - sent, out


@pytest.mark.parametrize(("name", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_signal_keeps_the_best_plan(name: str, code: int, tmp_path: Path) -> None:
    """SIGINT or SIGTERM mid-solve (52 s to go): well before the limit (20 s; a few on an
    idle machine) a valid plan marked interrupted, exit 130/143."""
    import signal

    from relayroute.io.instance import read_instance
    from relayroute.io.plan import read_plan
    from relayroute.validate import validate

    rc, seconds, out = _interrupt(tmp_path, getattr(signal, name))
    assert rc == code
    assert seconds < 20
    plan = read_plan(out)
    assert plan.solver.get("interrupted") is True
    loaded = read_instance(DATA.parents[1] / "instances" / "yiwu-demo.json")
    assert validate(loaded.instance, plan, loaded.base).ok


def test_request_stop_from_python() -> None:
    """request_stop() ends a solve early with its best plan; the next solve is whole again."""
    from relayroute.io.instance import read_instance
    from relayroute.solve import SolverConfig, solve
    from relayroute.solve.stop import request_stop, stop_requested

    loaded = read_instance(DATA.parents[1] / "instances" / "yiwu-demo.json")
    config = SolverConfig(time_limit=60)
    seen: list[float] = []

    def stop_at_first(elapsed: float, _objective: float) -> None:
        seen.append(elapsed)
        request_stop()

    plan = solve(loaded, config, on_solution=stop_at_first)
    assert plan.solver.get("interrupted") is True and plan.kpis.served > 0
    assert plan.kpis.solve_seconds < 30 and not stop_requested()
    again = solve(loaded, SolverConfig(solution_limit=20, time_limit=60))
    assert "interrupted" not in again.solver


# Short commands (convert, export, map) end at once on a signal, leaving nothing half done.

SIGNALS = [("SIGINT", 130), ("SIGTERM", 143)]


def _signal_self_in(monkeypatch: pytest.MonkeyPatch, owner: object, attr: str, sig: int) -> None:
    """``owner.attr`` sends ``sig`` to this process the first time it is called."""
    real = getattr(owner, attr)
    sent: list[int] = []

    def signalled(*args: object, **kwargs: object) -> object:
        if not sent:
            sent.append(sig)
            os.kill(os.getpid(), sig)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, attr, signalled)


def _plan_file(small_plan: Plan, tmp_path: Path) -> Path:
    from relayroute.io.plan import write_plan

    path = tmp_path / "plan.json"
    write_plan(small_plan, path)
    return path


@pytest.mark.parametrize(("name", "code"), SIGNALS)
def test_convert_ends_cleanly_on_a_signal(
    name: str,
    code: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A signal while convert builds the instance: exit 130/143 with one line, no output
    and no temporary file."""
    import relayroute.bench.literature as literature

    from .bench.test_literature import TINY_SOLOMON

    src, out = tmp_path / "TINY3.txt", tmp_path / "out" / "tiny.json"
    src.write_text(TINY_SOLOMON)
    _signal_self_in(monkeypatch, literature, "benchmark_instance", getattr(signal, name))
    assert main(["convert", str(src), "-o", str(out), "-q"]) == code
    err = capsys.readouterr().err
    assert f"interrupted by {name}: nothing written" in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.rglob(".*.tmp"))


@pytest.mark.parametrize(("name", "code"), SIGNALS)
def test_map_ends_cleanly_on_a_signal(
    name: str,
    code: int,
    small_plan: Plan,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A signal while the map page is built: exit 130/143, no page, no temporary file."""
    import relayroute.export.webmap as webmap

    out = tmp_path / "m.html"
    _signal_self_in(monkeypatch, webmap, "map_html", getattr(signal, name))
    code_ = main(["map", SMALL, str(_plan_file(small_plan, tmp_path)), "-o", str(out), "-q"])
    assert code_ == code
    assert "Traceback" not in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(("name", "code"), SIGNALS)
def test_export_leaves_all_its_files_or_none(
    name: str,
    code: int,
    small_plan: Plan,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A signal while export builds its files: none written. A signal while it writes
    them: it writes them all first (milliseconds), then exits 130/143."""
    import relayroute.cli as cli
    import relayroute.export.geojson as geojson

    plan = str(_plan_file(small_plan, tmp_path))
    sig = getattr(signal, name)
    args = ["export", SMALL, plan, "--geojson", str(tmp_path / "a" / "r.geojson"), "--csv",
            str(tmp_path / "a" / "csv"), "-q"]  # fmt: skip
    with monkeypatch.context() as m:
        _signal_self_in(m, geojson, "geojson_files", sig)
        assert main(args) == code
    assert "nothing written" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").rglob("*"))
    _signal_self_in(monkeypatch, cli, "write_text_atomic", sig)
    assert main(args) == code
    err = capsys.readouterr().err
    assert f"interrupted by {name}: its files were written first" in err
    assert "Traceback" not in err
    written = sorted(p.name for p in (tmp_path / "a").rglob("*") if p.is_file())
    from relayroute.export.tables import TABLES

    assert written == sorted(["r.geojson", *(f"{t}.csv" for t in TABLES)])


def _with_unservable(tmp_path: Path) -> Path:
    """The small instance with one more shipment, larger than any truck: never served."""
    data = json.loads(Path(SMALL).read_text())
    data["shipments"].append(
        dict(id="S-BIG", origin="sup1", destination="cust1", quantity={"t": 50}, ready=420,
             due=600, priority=2)
    )  # fmt: skip
    path = tmp_path / "small-unservable.json"
    path.write_text(json.dumps(data))
    return path


def test_solve_steps_report_the_plans_own_objective(tmp_path: Path) -> None:
    """solve()'s step callback names the steps in order, and the last objective it gives
    is the plan's own (unserved penalty included), not the routing search's."""
    from relayroute.io.instance import read_instance
    from relayroute.solve import solve
    from relayroute.validate import validate

    from .conftest import QUICK

    loaded = read_instance(_with_unservable(tmp_path))
    steps: list[tuple[str, float | None]] = []
    searched: list[float] = []
    plan = solve(loaded, QUICK, on_phase=lambda s, b: steps.append((s, b)),
                 on_solution=lambda _t, v: searched.append(v))  # fmt: skip
    assert validate(loaded.instance, plan, loaded.base).ok
    names = [s for s, _ in steps]
    assert names[:3] == ["build", "greedy", "routing"] and names[-1] == "fill"
    assert names.index("schedule") > names.index("routing")
    assert steps[0][1] is None and steps[1][1] is None
    assert [u.shipment for u in plan.unserved] == ["S-BIG"]
    last = steps[-1][1]
    assert last is not None and last == pytest.approx(plan.kpis.objective, abs=0.05)
    assert last > 2 * 100_000  # S-BIG's priority x the unserved weight is in it
    assert searched and min(searched) != pytest.approx(plan.kpis.objective, abs=0.05)


def test_solve_with_unserved_exits_4_and_names_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A valid plan that leaves a shipment unserved is written, lists it by id with its
    reason, and exits 4 (0 stays for every shipment served)."""
    inst, out = _with_unservable(tmp_path), tmp_path / "plan.json"
    assert main(["solve", str(inst), "-o", str(out), "--time-limit", "3"]) == 4
    captured = capsys.readouterr()
    text = " ".join(captured.out.split())
    assert "unserved shipments (1)" in text and "S-BIG" in text and "no_truck" in text
    assert "1 of 6 shipments unserved (exit 4)" in text
    assert "done" in captured.err and "plan objective" in captured.err
    assert main(["validate", str(inst), str(out)]) == 0
    assert json.loads(out.read_text())["unserved"][0]["shipment"] == "S-BIG"


def test_every_command_help_has_an_example_and_a_line_per_argument() -> None:
    """Each command's --help ends with an example of itself, every argument has a help
    line, and defaults are shown."""
    import argparse

    from relayroute.cli import parser

    # argparse has no public way to list a parser's commands and arguments.
    top = parser()
    commands = next(
        a
        for a in top._actions  # noqa: SLF001
        if isinstance(a, argparse._SubParsersAction)  # noqa: SLF001
    )
    assert len(commands.choices) >= 10
    for name, command in commands.choices.items():
        text = command.format_help()
        assert "example" in text and f"  relayroute {name}" in text, name
        for action in command._actions:  # noqa: SLF001
            assert (action.help or "").strip(), f"{name} {action.dest}: no help"
    tiles = commands.choices["map"].format_help()
    assert "(default: osm)" in " ".join(tiles.split())
    assert "(default: None)" not in commands.choices["solve"].format_help()


def test_relayroute_alone_prints_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    """No command: the whole help (commands, exit codes) on stderr, exit 2 as argparse
    does for a usage error; --help itself exits 0."""
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "commands:" in err and "exit codes:" in err and "solve" in err
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0 and "exit codes:" in capsys.readouterr().out


def test_validate_refuses_a_plan_of_another_instance(
    small_plan: Plan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A plan made for another instance is refused in one line (exit 2), by name, or for a
    file of the same name by having no shipment in common; another version of the same
    instance is still checked."""
    from relayroute.io.plan import write_plan
    from relayroute.validate import validate

    from .conftest import ROOT

    assert validate(read_small().instance, small_plan, Path(SMALL).parent).ok
    plan = tmp_path / "plan.json"
    write_plan(small_plan, plan)
    demo = str(ROOT / "instances" / "yiwu-demo.json")
    assert main(["validate", demo, str(plan)]) == 2
    err = capsys.readouterr().err
    assert " ".join(err.split()).count("error:") == 1, err
    assert "made for instance 'small-straight', not 'yiwu-demo'" in " ".join(err.split())
    data = json.loads(Path(SMALL).read_text())
    renamed = dict(data, shipments=[dict(s, id=f"X{s['id']}") for s in data["shipments"]])
    other = tmp_path / "same-name.json"
    other.write_text(json.dumps(renamed))
    assert main(["validate", str(other), str(plan)]) == 2
    assert "another instance named 'small-straight'" in " ".join(capsys.readouterr().err.split())
    version = tmp_path / "version.json"
    version.write_text(json.dumps(dict(data, horizon=1500)))
    assert main(["validate", str(version), str(plan)]) == 0
    assert "another version of small-straight" in capsys.readouterr().err


def read_small() -> Any:
    """The small instance, loaded."""
    from relayroute.io.instance import read_instance

    return read_instance(SMALL)


def test_bad_input_leaves_no_progress_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without -q, bad input still prints its one error line and nothing of the progress."""
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x"}')
    assert main(["solve", str(bad)]) == 2
    err = capsys.readouterr().err
    assert " ".join(err.split()).count("error:") == 1 and "build" not in err, err

"""Running fuzz cases: in-process (read, build, solve, validate) and through the CLI.

Both the CI tests and ``benchmarks/fuzz.py`` judge cases here, so that they hold the same
properties:

- reading either succeeds or raises :class:`~relayroute.errors.InputError` with a path
  and a one-line message, never another exception;
- an instance that reads either builds or raises :class:`InputError`;
- a solve (greedy, or the CLI with a short time limit) gives a plan the validator accepts;
- the CLI exits 0 or 1 (a plan, or its own plan refused), or 2 with one ``error:`` line;
  exit 3 (internal error), a traceback on stderr or a time-out (a hang) is a finding.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.errors import MarkupError
from rich.markup import render as render_markup

from relayroute.cli import error_markup
from relayroute.errors import InputError
from relayroute.io.instance import read_instance
from relayroute.itineraries import build_problem
from relayroute.solve import read_config, solve
from relayroute.validate import validate

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.fuzz.strategies import Case

ROOT = Path(__file__).resolve().parents[2]
GREEDY = ROOT / "solvers" / "greedy.toml"


@dataclass
class Outcome:
    """What one case did in-process.

    Attributes
    ----------
    stage
        The furthest stage reached: ``read``, ``build``, ``solve``, ``validate`` or ``done``.
    refused
        The :class:`InputError` message that stopped it, if any.
    finding
        What went wrong, if anything did: the exception and where, or the violations.
    seconds
        Wall time for the case.
    """

    stage: str = "read"
    refused: str | None = None
    finding: str | None = None
    seconds: float = 0.0


class _Timeout(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise _Timeout


def _clear_message(exc: InputError) -> str | None:
    """What is unclear about an InputError's message, or None where it is one clear line.

    The command line prints it with rich markup (:func:`relayroute.cli.error_markup`): a
    message that breaks that markup, or that would print changed, is tried here too.
    """
    text = f"{exc.where}: {exc.message}"
    if not exc.where.strip() or not exc.message.strip():
        return f"InputError without a place or message: {text!r}"
    if "Traceback" in text:
        return f"InputError message holds a traceback: {text[:300]!r}"
    try:
        shown = render_markup(error_markup(exc)).plain
    except MarkupError as err:
        return f"message breaks the CLI's rich markup ({err}): {text[:200]!r}"
    if shown != f"error: {text}":
        return f"the CLI would print the message changed: {shown[:200]!r}"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return f"message cannot be printed as UTF-8: {text[:200]!r}"
    return None


def run_in_process(
    case: Case, folder: Path, *, solve_it: bool = False, timeout: float = 60.0
) -> Outcome:
    """Read and build ``case`` (and solve and validate it with ``solve_it``), in-process.

    Parameters
    ----------
    case
        The fuzz case; written into ``folder`` as ``case.json``.
    folder
        A folder of its own, for the instance and the files beside it.
    solve_it
        Also solve it with the greedy dispatcher (short time limit) and validate the plan.
    timeout
        Seconds before the case counts as a hang (SIGALRM; main thread only).

    Returns
    -------
    Outcome
        The stage reached, the refusal, and a finding where a property broke.
    """
    out = Outcome()
    t0 = time.perf_counter()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        path = case.write(folder)
        loaded = read_instance(path)
        out.stage = "build"
        config = read_config(GREEDY)
        prob = build_problem(loaded.instance, loaded.base, station_choices=config.station_choices)
        if solve_it:
            out.stage = "solve"
            plan = solve(loaded, config, time_limit=2, problem=prob)
            out.stage = "validate"
            report = validate(loaded.instance, plan, loaded.base)
            if not report.ok:
                out.finding = "invalid plan: " + "; ".join(str(v) for v in report.violations[:5])
        out.stage = "done"
    except InputError as exc:
        out.refused = f"{exc.where}: {exc.message}"
        out.finding = _clear_message(exc)
    except _Timeout:
        out.finding = f"hang: more than {timeout:g} s in {out.stage}"
    except (Exception, RecursionError) as exc:
        out.finding = f"{type(exc).__name__} in {out.stage}: {str(exc)[:300]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        out.seconds = time.perf_counter() - t0
        shutil.rmtree(folder, ignore_errors=True)
    return out


@dataclass
class CliOutcome:
    """What one case did through ``python -m relayroute solve``.

    Attributes
    ----------
    code
        Exit code of ``solve`` (None: killed at the time-out).
    finding
        What went wrong, if anything: exit 3, a traceback, a hang, an unclear refusal, a
        written plan that ``relayroute validate`` rejects.
    plan_written
        Whether ``-o`` was written.
    plan_valid
        Whether ``relayroute validate`` accepted the written plan (None: no plan).
    seconds
        Wall time of the solve.
    stderr
        The end of its standard error.
    """

    code: int | None
    finding: str | None = None
    plan_written: bool = False
    plan_valid: bool | None = None
    seconds: float = 0.0
    stderr: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _cli(args: list[str], timeout: float) -> tuple[int | None, str, float]:
    env = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="200")
    env.pop("RELAYROUTE_DEBUG", None)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        ["nice", "-n", "19", sys.executable, "-m", "relayroute", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    try:
        _, err = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        code = None
    return code, err.decode("utf-8", "replace"), time.perf_counter() - t0


def run_cli(
    case: Case,
    folder: Path,
    *,
    solver: str | None = None,
    time_limit: float = 2.0,
    timeout: float = 120.0,
) -> CliOutcome:
    """Run ``relayroute solve case.json -o out.json --time-limit`` on ``case`` and judge it.

    Parameters
    ----------
    case
        The fuzz case; written into ``folder``.
    folder
        A folder of its own.
    solver
        A solver configuration (``--solver``), or None for the default.
    time_limit
        ``--time-limit`` seconds.
    timeout
        Seconds before the run counts as a hang and is killed.

    Returns
    -------
    CliOutcome
        Exit code, and a finding where a property broke.
    """
    path = case.write(folder)
    plan = folder / "out.json"
    args = ["solve", str(path), "-o", str(plan), "--time-limit", f"{time_limit:g}", "-q"]
    if solver:
        args += ["--solver", solver]
    code, err, seconds = _cli(args, timeout)
    out = CliOutcome(code, seconds=seconds, stderr=err[-2000:], plan_written=plan.exists())
    if code is None:
        out.finding = f"hang: killed after {timeout:g} s"
    elif "Traceback" in err:
        out.finding = f"traceback (exit {code}): {err.strip().splitlines()[-1][:300]}"
    elif code == 3:
        out.finding = f"internal error: {' '.join(err.split())[:300]}"
    elif code == 2 and " ".join(err.split()).count("error:") != 1:
        out.finding = f"exit 2 without one clear error line: {err[:300]!r}"
    elif code not in (0, 1, 2, 4):  # 4: a valid plan with shipments unserved
        out.finding = f"exit {code}: {' '.join(err.split())[:300]}"
    if out.plan_written:
        vcode, verr, _ = _cli(["validate", str(path), str(plan)], timeout)
        out.plan_valid = vcode == 0
        if vcode != 0 and out.finding is None:
            out.finding = (
                f"written plan fails validate (exit {vcode}): {' '.join(verr.split())[:300]}"
            )
    if code in (0, 4) and not out.plan_written and out.finding is None:
        out.finding = f"exit {code} but no plan written"
    return out


@contextmanager
def scratch() -> Iterator[Callable[[], Path]]:
    """A maker of fresh folders, one per case, inside a temporary folder removed at the end."""
    with tempfile.TemporaryDirectory(prefix="relayroute-fuzz-") as top:
        count = itertools.count(1)
        yield lambda: Path(top) / f"c{next(count)}"

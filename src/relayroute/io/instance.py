"""Reading instance JSON into the typed model, with one clear message on bad input."""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from relayroute.errors import InputError, json_path
from relayroute.model.instance import LIMIT_NOTE, MAX_INPUT_BYTES, Instance


@dataclass(frozen=True)
class LoadedInstance:
    """An instance with where it came from.

    Attributes
    ----------
    instance
        The checked instance.
    base
        Its folder: relative network file paths resolve against it.
    sha256
        SHA-256 of the file's bytes (plans name the instance they were made for by it).
    """

    instance: Instance
    base: Path
    sha256: str


def _not_finite(token: str) -> Any:
    raise ValueError(f"{token} is not a number here")


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise ValueError(f"{token} is too large a number")
    return value


def parse_json(text: str, where: str, *, finite: bool = False) -> Any:
    """Parse JSON or raise :class:`InputError` with line and column.

    Parameters
    ----------
    text
        The JSON text.
    where
        The file (or other source) named in the message.
    finite
        Refuse ``Infinity``, ``NaN`` and numbers too large for a float (which Python's
        reader takes) here; otherwise the schema refuses them, naming their JSON path.

    Returns
    -------
    Any
        The parsed data.

    Raises
    ------
    InputError
        Invalid JSON, JSON nested too deeply, or (``finite``) a non-finite number.
    """
    try:
        if finite:
            return json.loads(text, parse_constant=_not_finite, parse_float=_finite_float)
        return json.loads(text)
    except RecursionError:
        raise InputError(where, "JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            where, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:  # from _not_finite or _finite_float
        raise InputError(where, f"{exc}: numbers are finite") from None


# Errors listed in one message at most; the rest are counted.
SHOWN_ERRORS = 10


def _one(err: Any, missing: dict[tuple[Any, ...], list[str]]) -> tuple[str, str]:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    msg = err["msg"].removeprefix("Value error, ")
    if (
        err["type"] not in ("missing", "extra_forbidden")
        and "input" in err
        and LIMIT_NOTE not in msg
    ):
        shown = json.dumps(err["input"], default=str)
        msg += f" (got {shown if len(shown) < 60 else shown[:57] + '...'})"
    if err["type"] == "extra_forbidden":
        msg = "unknown field"
        near = difflib.get_close_matches(str(loc[-1]), missing.get(loc[:-1], []), n=1)
        if near:
            msg += f" (did you mean {near[0]!r}?)"
    return json_path(loc), msg


def validation_message(exc: ValidationError) -> tuple[str, str]:
    """Every pydantic error of one input as (JSON path of the first, message naming all).

    A misspelt key shows both ways: the missing field and the unknown key next to it, with
    the likely intended name.
    """
    errors = exc.errors()
    missing: dict[tuple[Any, ...], list[str]] = {}
    for err in errors:
        if err["type"] == "missing":
            missing.setdefault(tuple(err["loc"][:-1]), []).append(str(err["loc"][-1]))
    # Unknown keys first where they explain a missing field: that is the likely typo.
    items = [_one(err, missing) for err in errors]
    items.sort(key=lambda item: "did you mean" not in item[1])
    where, msg = items[0]
    rest = [f"{w}: {m}" for w, m in items[1:SHOWN_ERRORS]]
    if len(items) > SHOWN_ERRORS:
        rest.append(f"and {len(items) - SHOWN_ERRORS} more")
    return where, msg + ("; also " + "; ".join(rest) if rest else "")


def instance_from_data(data: Any, where: str = "$") -> Instance:
    """Check already-parsed JSON data and make it an :class:`Instance`.

    Parameters
    ----------
    data
        The instance as Python data (dicts, lists, numbers, strings).
    where
        Prefix for the JSON paths in error messages (a file name, say).

    Returns
    -------
    Instance
        The instance, after the schema and the cross-object checks
        (:func:`relayroute.model.checks.check_instance`).

    Raises
    ------
    InputError
        The first fault, with its JSON path.
    """
    try:
        inst = Instance.model_validate(data)
    except ValidationError as exc:
        path, msg = validation_message(exc)
        raise InputError(path if where == "$" else f"{where} {path}", msg) from None
    except RecursionError:  # data from Python, nested deeper than any JSON reader allows
        raise InputError(where, "data nested too deeply") from None
    return inst


def read_limited(path: Path, limit: int) -> bytes:
    """The bytes of a file, refused past ``limit`` bytes before they fill the memory.

    Parameters
    ----------
    path
        The file: a regular file, or a device or pipe read up to ``limit`` + 1 bytes.
    limit
        Largest size taken, in bytes.

    Returns
    -------
    bytes
        The whole file.

    Raises
    ------
    InputError
        The file cannot be read (missing, a folder, no permission) or is larger than
        ``limit``, named with the limit.
    """

    def too_large() -> InputError:
        return InputError(
            str(path), f"larger than {limit / 1e6:,.0f} MB, the most read ({LIMIT_NOTE})"
        )

    try:
        # Opened without waiting: a named pipe no one writes to would block the open
        # itself, where no signal can stop it (it reads as empty instead); reads wait.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise InputError(str(path), "cannot read: Is a directory")
            if stat.S_ISREG(info.st_mode) and info.st_size > limit:
                raise too_large()
            raw = f.read(limit + 1)
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise too_large()
    return raw


def read_instance(path: str | Path) -> LoadedInstance:
    """Read and check an instance file.

    Parameters
    ----------
    path
        The instance JSON file.

    Returns
    -------
    LoadedInstance
        The instance, its folder (for network files) and the SHA-256 of its bytes.

    Raises
    ------
    InputError
        The file is missing, larger than
        :data:`~relayroute.model.instance.MAX_INPUT_BYTES`, is not JSON, or breaks the
        schema, a limit or a cross-object check.

    Examples
    --------
    >>> import relayroute as rr
    >>> loaded = rr.read_instance("tests/data/small-straight.json")
    >>> len(loaded.instance.shipments), loaded.instance.start.isoformat()
    (5, '2022-08-12T00:00:00+08:00')
    >>> rr.read_instance("no/such.json")
    Traceback (most recent call last):
    relayroute.errors.InputError: no/such.json: cannot read: No such file or directory
    """
    p = Path(path)
    raw = read_limited(p, MAX_INPUT_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(str(p), "not UTF-8 text") from None
    inst = instance_from_data(parse_json(text, str(p)))
    return LoadedInstance(inst, p.resolve().parent, hashlib.sha256(raw).hexdigest())

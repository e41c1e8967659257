"""Reading and writing plan JSON."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from relayroute.errors import InputError
from relayroute.io.atomic import write_text_atomic
from relayroute.io.instance import parse_json, read_limited, validation_message
from relayroute.model.plan import Plan

# Largest plan file read: a plan states each leg's road shape, so it may be several times
# its instance (whose limit is relayroute.model.instance.MAX_INPUT_BYTES).
MAX_PLAN_BYTES = 1_000_000_000


def plan_to_json(plan: Plan) -> str:
    """The plan as JSON text (UTF-8, one space indent, ending with a newline)."""
    return json.dumps(plan.model_dump(mode="json"), indent=1, ensure_ascii=False) + "\n"


def write_plan(plan: Plan, path: str | Path) -> None:
    """Write a plan as JSON, atomically (a temporary file beside it, then a rename).

    Parameters
    ----------
    plan
        The plan to write.
    path
        Where to write it; an existing file is replaced only once the new one is whole.

    Raises
    ------
    InputError
        The place cannot be written (a folder, a read-only place, a path under a file).
    """
    write_text_atomic(path, plan_to_json(plan))


def read_plan(path: str | Path) -> Plan:
    """Read a plan file.

    Parameters
    ----------
    path
        A plan JSON file, as :func:`write_plan` writes it.

    Returns
    -------
    Plan
        The plan, checked against the plan schema (not against an instance: that is
        :func:`relayroute.validate`'s work).

    Raises
    ------
    InputError
        Missing file, larger than :data:`MAX_PLAN_BYTES`, invalid JSON, a non-finite number,
        or a plan that breaks the plan schema (a boolean or a string where a number is
        expected, say).
    """
    p = Path(path)
    try:
        text = read_limited(p, MAX_PLAN_BYTES).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(str(p), "not UTF-8 text") from None
    return plan_from_text(text, str(p))


def plan_from_text(text: str, where: str) -> Plan:
    """A plan from JSON text (a file's, a request body's); ``where`` names it in errors.

    Raises
    ------
    InputError
        As :func:`read_plan`, but for the size.
    """
    # Syntax, nesting and non-finite numbers first, with their line; then the schema in
    # strict JSON mode: numbers as the instance takes them (no booleans, no strings such
    # as "12", whole numbers where counts are), arrays for pairs.
    parse_json(text, where, finite=True)
    try:
        return Plan.model_validate_json(text, strict=True)
    except ValidationError as exc:
        path, msg = validation_message(exc)
        raise InputError(f"{where} {path}", msg) from None

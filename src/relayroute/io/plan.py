"""Reading and writing plan JSON."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from relayroute.errors import InputError
from relayroute.io.atomic import write_text_atomic
from relayroute.io.instance import parse_json, validation_message
from relayroute.model.plan import Plan


def plan_to_json(plan: Plan) -> str:
    return json.dumps(plan.model_dump(mode="json"), indent=1, ensure_ascii=False) + "\n"


def write_plan(plan: Plan, path: str | Path) -> None:
    """Write the plan atomically (temporary file, then rename)."""
    write_text_atomic(path, plan_to_json(plan))


def read_plan(path: str | Path) -> Plan:
    """Read a plan file.

    Raises
    ------
    InputError
        Missing file, invalid JSON or a plan that breaks the plan schema.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(p), f"cannot read: {exc.strerror}") from None
    data = parse_json(text, str(p))
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        where, msg = validation_message(exc)
        raise InputError(f"{p} {where}", msg) from None

"""The published JSON Schemas: described field by field, in step with the models, and
usable by an editor's own JSON Schema validator (here the ``jsonschema`` package)."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest

from relayroute.cli import main
from relayroute.errors import InputError
from relayroute.io.instance import instance_from_data
from relayroute.model.instance import MAX_MINUTES
from relayroute.model.schema import EXAMPLE_INSTANCE, FILES, json_schema, schema_text

from ..conftest import ROOT

if TYPE_CHECKING:
    from pathlib import Path

SCHEMA_DIR = ROOT / "schema"
BUNDLED = sorted((ROOT / "instances").glob("*.json"))


def _properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every property of the schema and of each of its definitions, as (Model.field, body)."""
    title = schema.get("title", "root")
    out = [(f"{title}.{k}", v) for k, v in schema.get("properties", {}).items()]
    for name, d in schema.get("$defs", {}).items():
        out += [(f"{name}.{k}", v) for k, v in d.get("properties", {}).items()]
    return out


@pytest.mark.parametrize("kind", ["instance", "plan"])
def test_every_field_has_a_description(kind: str) -> None:
    """No field of the instance or the plan schema is left without a description."""
    props = _properties(json_schema(kind))  # type: ignore[arg-type]
    assert len(props) > 90
    missing = [name for name, body in props if not str(body.get("description", "")).strip()]
    assert missing == []


def test_times_say_their_unit_and_bounds_are_kept() -> None:
    """Every time or duration field says it is in minutes, and carries its bounds."""
    timed = [
        (name, body)
        for name, body in _properties(json_schema("instance"))
        if body.get("maximum") == MAX_MINUTES
    ]
    assert len(timed) >= 10
    for name, body in timed:
        assert "minute" in body["description"], name
        assert "minimum" in body or "exclusiveMinimum" in body, name


@pytest.mark.parametrize("kind", ["instance", "plan"])
def test_published_schema_is_in_step_with_the_models(kind: str) -> None:
    """``schema/*.schema.json`` in the repository is what ``relayroute schema`` prints now
    (after a model change: ``relayroute schema [--plan] -o schema/<file>``)."""
    published = (SCHEMA_DIR / FILES[kind]).read_text(encoding="utf-8")
    assert published == schema_text(kind), (  # type: ignore[arg-type]
        f"schema/{FILES[kind]} is stale: run relayroute schema"
        f"{' --plan' if kind == 'plan' else ''} -o schema/{FILES[kind]}"
    )


def test_cli_writes_and_prints_the_same_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``schema -o`` writes the text ``schema`` prints; it names the dialect."""
    out = tmp_path / "i.json"
    assert main(["schema", "-o", str(out), "-q"]) == 0
    assert main(["schema"]) == 0
    printed = capsys.readouterr().out
    assert printed == out.read_text(encoding="utf-8")
    assert json.loads(printed)["$schema"].endswith("2020-12/schema")


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_instances_pass_the_published_schema(path: Path) -> None:
    """An editor checking a bundled instance against the published schema finds nothing."""
    schema = json.loads((SCHEMA_DIR / FILES["instance"]).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(json.loads(path.read_text()))


def test_schema_catches_what_the_model_refuses() -> None:
    """Bounds and unknown keys are in the schema: a negative delay, a priority of 0 and a
    misspelt key fail the editor's check as they fail relayroute's."""
    validator = jsonschema.Draft202012Validator(json_schema("instance"))
    for change in (
        lambda d: d["checkpoints"][0].update(delay=-5),
        lambda d: d["shipments"][0].update(priority=0),
        lambda d: d["trucks"][0].update(capasity={"pallets": 1}),
    ):
        data = copy.deepcopy(EXAMPLE_INSTANCE)
        change(data)
        assert list(validator.iter_errors(data)), data
        with pytest.raises(InputError):
            instance_from_data(data)


def test_example_is_an_instance() -> None:
    """The schema's example passes both the schema and relayroute's own checks."""
    schema = json_schema("instance")
    assert schema["examples"] == [EXAMPLE_INSTANCE]
    jsonschema.Draft202012Validator(schema).validate(EXAMPLE_INSTANCE)
    inst = instance_from_data(copy.deepcopy(EXAMPLE_INSTANCE))
    assert inst.name == "example" and len(inst.shipments) == 1


def test_dollar_schema_is_accepted_and_left_out_of_dumps() -> None:
    """``"$schema"`` in an instance is read (not refused as unknown) and not written back;
    any other unknown key, or a ``$schema`` that is not a string, is refused by path."""
    data = copy.deepcopy(EXAMPLE_INSTANCE)
    inst = instance_from_data(data)
    assert inst.schema_ == "instance.schema.json"
    assert "$schema" not in inst.model_dump(by_alias=True)
    assert "schema_" not in inst.model_dump()
    with pytest.raises(InputError) as bad:
        instance_from_data(dict(data, **{"$schema": 3}))
    assert "$schema" in str(bad.value.where)
    with pytest.raises(InputError) as unknown:
        instance_from_data(dict(data, **{"$comment": "x"}))
    assert "$comment" in str(unknown.value.where) + unknown.value.message

"""The instance model: strict numbers in every numeric field, and the stated input limits.

The strictness test walks the JSON Schema of each model, so a numeric field added later
without the strict number types fails here without anyone listing it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from relayroute.model import instance as m

if TYPE_CHECKING:
    from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[2]
SMALL: dict[str, Any] = json.loads((ROOT / "tests" / "data" / "small-straight.json").read_text())
DEMO: dict[str, Any] = json.loads((ROOT / "instances" / "yiwu-demo.json").read_text())

# A valid example of each model, taken from the bundled instances.
EXAMPLES: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (m.Place, SMALL["places"][1]),
    (m.Zone, SMALL["zones"][0]),
    (m.Checkpoint, SMALL["checkpoints"][0]),
    (m.RelayStation, SMALL["relay_stations"][0]),
    (m.RailStation, DEMO["rail_stations"][0]),
    (m.RailService, DEMO["rail_services"][0]),
    (m.DriverPool, SMALL["driver_pools"][0]),
    (m.Truck, SMALL["trucks"][0]),
    (m.Shipment, SMALL["shipments"][3]),
    (m.ObjectiveWeights, DEMO["objective"]),
    (m.NetworkSpec, SMALL["network"]),
    (m.Instance, {k: v for k, v in SMALL.items() if k != "horizon"}),
]


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _numeric_fields(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    """The model's own fields whose value holds a number somewhere (not in a nested model)."""
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})

    def holds_number(s: dict[str, Any]) -> bool:
        if "$ref" in s:
            return False  # another model: tested on its own
        if s.get("type") in ("number", "integer"):
            return True
        parts = [*s.get("anyOf", []), *s.get("prefixItems", [])]
        for key in ("items", "additionalProperties"):
            if isinstance(s.get(key), dict):
                parts.append(s[key])
        return any(holds_number(p) for p in parts)

    props = _resolve(schema, defs)["properties"]
    return {name: s for name, s in props.items() if holds_number(s)}


def _replace_numbers(s: dict[str, Any], value: Any, new: Any) -> Any:
    """``value`` (shaped by schema ``s``; made up where None) with every number set to ``new``."""
    if s.get("type") in ("number", "integer"):
        return new
    if "anyOf" in s:
        branch = next(b for b in s["anyOf"] if b.get("type") != "null")
        return _replace_numbers(branch, value, new)
    if s.get("type") == "array":
        if "prefixItems" in s:
            items = value if isinstance(value, list) else [None] * len(s["prefixItems"])
            return [_replace_numbers(p, v, new) for p, v in zip(s["prefixItems"], items)]
        items = value if value else [None]
        return [_replace_numbers(s["items"], v, new) for v in items]
    if s.get("type") == "object":
        items = value if value else {"t": None}
        return {k: _replace_numbers(s["additionalProperties"], v, new) for k, v in items.items()}
    raise AssertionError(f"no numbers in {s}")


CASES = [
    (model, example, name, s)
    for model, example in EXAMPLES
    for name, s in _numeric_fields(model).items()
]


def test_every_numeric_field_is_covered() -> None:
    """The walk finds the numeric fields of every model (the list below is not empty by luck)."""
    names = {f"{model.__name__}.{name}" for model, _, name, _ in CASES}
    assert len(names) >= 40
    for expected in (
        "Place.hours",
        "Zone.polygon",
        "Checkpoint.throughput_per_hour",
        "RailService.departures",
        "RailService.capacity",
        "Truck.capacity",
        "Truck.available",
        "Shipment.quantity",
        "Shipment.deadline",
        "DriverPool.count",
        "Instance.horizon",
        "NetworkSpec.snap_km",
        "ObjectiveWeights.unserved",
    ):
        assert expected in names


@pytest.mark.parametrize(
    ("model", "example", "name", "schema"),
    CASES,
    ids=[f"{c[0].__name__}.{c[2]}" for c in CASES],
)
@pytest.mark.parametrize("bad", [True, False, "1", "12.5"], ids=["true", "false", "str", "strf"])
def test_booleans_and_strings_refused_as_numbers(
    model: type[BaseModel], example: dict[str, Any], name: str, schema: dict[str, Any], bad: Any
) -> None:
    """`true` and "12" are refused in every numeric field, each number inside it named."""
    data = copy.deepcopy(example)
    data[name] = _replace_numbers(schema, data.get(name), bad)
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    errors = [e for e in info.value.errors() if e["loc"][0] == name]
    assert errors, info.value
    assert all("a number is expected" in e["msg"] for e in errors), errors


@pytest.mark.parametrize(
    ("model", "example", "name", "schema"),
    CASES,
    ids=[f"{c[0].__name__}.{c[2]}" for c in CASES],
)
def test_json_integers_taken_as_numbers(
    model: type[BaseModel], example: dict[str, Any], name: str, schema: dict[str, Any]
) -> None:
    """The same fields take a JSON integer (1), for floats as for counts: strict, not pedantic."""
    data = copy.deepcopy(example)
    data[name] = _replace_numbers(schema, data.get(name), 1)
    if model is m.Zone:
        data[name] = [[[1, 1], [2, 1], [2, 2], [1, 1]]]  # a ring of integer positions
    # The schema alone: a horizon of 1 minute is a number, though the day's times pass it.
    obj = model.model_validate(data, context={"cross_checks": False})
    assert getattr(obj, name) is not None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("closed", "no"),
        ("closed", 0),
        ("closed", "false"),
    ],
)
def test_flags_are_true_or_false_only(field: str, value: Any) -> None:
    """A flag takes `true` or `false`, not 0 or "no" (which pydantic would read as False)."""
    data = dict(SMALL["checkpoints"][0], **{field: value})
    with pytest.raises(ValidationError, match=field):
        m.Checkpoint.model_validate(data)
    assert m.Checkpoint.model_validate(dict(data, **{field: True})).closed is True


def test_start_is_never_a_number() -> None:
    """`start: 12` is refused (pydantic would read it as 12 s past 1970, UTC)."""
    with pytest.raises(ValidationError, match="ISO 8601"):
        m.Instance.model_validate(dict(SMALL, start=12))


# (JSON path of a list or object, its limit, how to fill it past the limit)
def _many(path: str, limit: int, item: Any) -> tuple[str, int, Any]:
    return path, limit, item


LIMITS = [
    _many("shipments", m.MAX_SHIPMENTS, SMALL["shipments"][0]),
    _many("places", m.MAX_PLACES, SMALL["places"][0]),
    _many("trucks", m.MAX_TRUCKS, SMALL["trucks"][0]),
    _many("zones", m.MAX_OBJECTS, SMALL["zones"][0]),
    _many("checkpoints", m.MAX_OBJECTS, SMALL["checkpoints"][0]),
    _many("depots", m.MAX_OBJECTS, SMALL["depots"][0]),
    _many("driver_pools", m.MAX_OBJECTS, SMALL["driver_pools"][0]),
    _many("places.1.hours", m.MAX_ENTRIES, [420, 1200]),
    _many("trucks.0.permits", m.MAX_ENTRIES, "park"),
]


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *head, last = path.split(".")
    obj: Any = data
    for part in head:
        obj = obj[int(part)] if part.isdigit() else obj[part]
    obj[last] = value


@pytest.mark.parametrize(("path", "limit", "item"), LIMITS, ids=[x[0] for x in LIMITS])
def test_list_past_its_limit_refused(path: str, limit: int, item: Any) -> None:
    """One entry past a list's limit is refused at that list, naming the limit; at it, not."""
    data = copy.deepcopy(SMALL)
    _put(data, path, [item] * (limit + 1))
    with pytest.raises(ValidationError) as info:
        m.Instance.model_validate(data)
    where = tuple(int(p) if p.isdigit() else p for p in path.split("."))
    [err] = [e for e in info.value.errors() if e["loc"] == where]
    assert f"at most {limit:,}" in err["msg"] and m.LIMIT_NOTE in err["msg"]
    _put(data, path, [item] * limit)
    with pytest.raises(ValidationError) as info:  # duplicates etc. may fail, not the limit
        m.Instance.model_validate(data | {"start": "now"})
    assert not any(m.LIMIT_NOTE in e["msg"] for e in info.value.errors())


def test_capacity_dimensions_limit() -> None:
    """A truck with more capacity dimensions than the limit is refused at its capacity."""
    truck = dict(SMALL["trucks"][0], capacity={f"d{i}": 1 for i in range(m.MAX_DIMENSIONS + 1)})
    with pytest.raises(ValidationError, match=r"at most 100 capacity dimensions"):
        m.Truck.model_validate(truck)
    truck["capacity"].pop("d0")
    assert len(m.Truck.model_validate(truck).capacity) == m.MAX_DIMENSIONS


def test_polygon_vertex_limit() -> None:
    """A polygon with more positions than the limit, over all its rings, is refused."""
    ring = [[0.0, 0.0]] * (m.MAX_VERTICES // 2 + 1)
    zone = dict(SMALL["zones"][0], polygon=[ring, ring])
    with pytest.raises(ValidationError, match="at most 100,000 positions in one polygon"):
        m.Zone.model_validate(zone)
    zone["polygon"] = [ring, ring[:-2]]
    assert len(m.Zone.model_validate(zone).polygon) == 2


def test_limits_in_the_schema() -> None:
    """`relayroute schema` states the list limits as maxItems / maxProperties."""
    schema = m.Instance.model_json_schema()
    assert schema["properties"]["shipments"]["maxItems"] == m.MAX_SHIPMENTS
    assert schema["properties"]["places"]["maxItems"] == m.MAX_PLACES
    truck = schema["$defs"]["Truck"]["properties"]
    assert truck["capacity"]["maxProperties"] == m.MAX_DIMENSIONS
    assert truck["capacity"]["minProperties"] == 1

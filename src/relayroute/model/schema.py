"""The JSON Schemas of instances and plans, as an editor reads them.

:func:`json_schema` adds to pydantic's schema what an editor needs to check a file on its
own: the dialect (``$schema``), an ``$id`` naming the file it is published as, and for
instances a whole example. ``relayroute schema -o`` writes them; the published copies are
``schema/instance.schema.json`` and ``schema/plan.schema.json`` in the repository (a test
keeps them in step with the models).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from relayroute.model.instance import Instance
from relayroute.model.plan import Plan

DIALECT = "https://json-schema.org/draft/2020-12/schema"
FILES = {"instance": "instance.schema.json", "plan": "plan.schema.json"}

# A whole instance, small: one closed zone with a relay station, one truck, one shipment
# into the zone. Shown by editors as the schema's example; a test reads it as an instance.
EXAMPLE_INSTANCE: dict[str, Any] = {
    "$schema": "instance.schema.json",
    "name": "example",
    "start": "2022-08-12T00:00:00+08:00",
    "network": {"mode": "straight_line", "speed_kmh": 50},
    "places": [
        {"id": "depot", "lon": 119.886, "lat": 29.46},
        {"id": "factory", "lon": 120.075, "lat": 29.307, "kind": "factory"},
        {"id": "station", "lon": 119.99, "lat": 29.38, "kind": "station"},
    ],
    "zones": [
        {
            "id": "yiwu",
            "policy": "closed_loop",
            "polygon": [
                [
                    [120.02, 29.25],
                    [120.15, 29.25],
                    [120.15, 29.36],
                    [120.02, 29.36],
                    [120.02, 29.25],
                ]
            ],
        }
    ],
    "checkpoints": [{"id": "cp1", "zone": "yiwu", "lon": 120.02, "lat": 29.33, "delay": 10}],
    "relay_stations": [{"id": "rs1", "zone": "yiwu", "place": "station", "bays": 2}],
    "depots": [{"id": "D1", "place": "depot"}],
    "driver_pools": [
        {
            "id": "loop1",
            "kind": "loop",
            "zone": "yiwu",
            "station": "rs1",
            "count": 2,
            "shift": [360, 1320],
        }
    ],
    "trucks": [{"id": "T1", "depot": "D1", "capacity": {"pallets": 20}, "available": [360, 1320]}],
    "shipments": [
        {
            "id": "S1",
            "origin": "depot",
            "destination": "factory",
            "quantity": {"pallets": 4},
            "ready": 480,
            "due": 720,
            "priority": 2,
        }
    ],
}


def json_schema(kind: Literal["instance", "plan"] = "instance") -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an instance or a plan file.

    Parameters
    ----------
    kind
        ``instance`` or ``plan``.

    Returns
    -------
    dict
        The schema: every field described, with its units and bounds (``minimum``,
        ``maximum``, ``maxItems``), the dialect, an ``$id`` and, for instances, an example.
    """
    model = Instance if kind == "instance" else Plan
    body = model.model_json_schema()
    out: dict[str, Any] = {"$schema": DIALECT, "$id": FILES[kind], **body}
    if kind == "instance":
        out["examples"] = [EXAMPLE_INSTANCE]
    return out


def schema_text(kind: Literal["instance", "plan"] = "instance") -> str:
    """:func:`json_schema` as the text the published file holds (two-space indent, UTF-8,
    ending with a newline)."""
    return json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n"

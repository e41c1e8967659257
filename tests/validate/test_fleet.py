"""R12 (:mod:`relayroute.validate.fleet`): each planted fault names exactly its rule."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..validate.test_validate import _changed, _rules

if TYPE_CHECKING:
    from pathlib import Path

    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Plan


def test_r12_outside_availability(small: LoadedInstance, small_plan: Plan) -> None:
    """A truck whose availability ends before its route does is rejected under R12."""
    truck = small_plan.routes[0].truck
    short = _changed(small.instance, "trucks", lambda t: t.id == truck, available=(360.0, 500.0))
    assert _rules(small, small_plan, short) == {"R12"}


def test_r12_max_duty(small: LoadedInstance, small_plan: Plan) -> None:
    """A duty longer than the pool's max duty is rejected under R12."""
    long_duty = _changed(
        small.instance, "driver_pools", lambda p: p.kind == "outside", max_duty=30.0
    )
    assert _rules(small, small_plan, long_duty) == {"R12"}


def test_r12_closed_road(demo: LoadedInstance, demo_plan: Plan, tmp_path: Path) -> None:
    """A plan using a road the network marks closed is rejected under R12."""
    leg = next(leg for r in demo_plan.routes for leg in r.legs if len(leg.path) >= 2)
    a, b = leg.path[0], leg.path[1]
    edges = json.loads((demo.base / demo.instance.network.edges).read_text())
    for f in edges["features"]:
        if {f["properties"]["from"], f["properties"]["to"]} == {a, b}:
            f["properties"]["closed"] = True
    (tmp_path / "edges.geojson").write_text(json.dumps(edges))
    nodes = demo.base / demo.instance.network.nodes
    net = demo.instance.network.model_copy(
        update={"edges": str(tmp_path / "edges.geojson"), "nodes": str(nodes)}
    )
    closed = demo.instance.model_copy(update={"network": net})
    assert _rules(demo, demo_plan, closed) == {"R12"}

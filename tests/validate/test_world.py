"""The validator's own geography (:mod:`relayroute.validate.world`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from relayroute.validate.world import World

if TYPE_CHECKING:
    from relayroute.io.instance import LoadedInstance


def test_straight_line_world(small: LoadedInstance) -> None:
    """Places and gates of a straight-line instance, their zones and the travel between them."""
    inst = small.instance
    world = World(inst, small.base)
    places = inst.places_by_id
    assert world.place_zone(places["city_factory"]) == "city"
    assert world.place_zone(places["depot"]) is None
    assert world.gate_of["checkpoint:cp_city_w"] == "cp_city_w"
    assert set(world.policy) == {z.id for z in inst.zones}
    a, b = places["depot"], places["city_factory"]
    minutes, km, fault = world.step("depot", "city_factory", (a.lon, a.lat), (b.lon, b.lat))
    assert fault is None and km > 0
    assert math.isclose(minutes, km / inst.network.speed_kmh * 60.0)


def test_road_world(demo: LoadedInstance) -> None:
    """A road instance: places snap to nodes of the graph; a step off its edges is a fault."""
    world = World(demo.instance, demo.base)
    assert world.graph is not None
    assert set(world.place_node) == {p.id for p in demo.instance.places}
    assert all(n in world.graph for n in world.place_node.values())
    a, b = next(iter(world.graph.edges))
    *_, fault = world.step(a, b, (0.0, 0.0), (0.0, 0.0))
    assert fault is None or "closed" in fault
    node = next(iter(world.graph.nodes))
    far = next(n for n in world.graph.nodes if n != node and not world.graph.has_edge(node, n))
    assert world.step(node, far, (0.0, 0.0), (0.0, 0.0)) == (
        0.0,
        0.0,
        f"no road from {node!r} to {far!r}",
    )

"""Travel tables: scipy's all-sources Dijkstra against networkx's, one source at a time."""

from __future__ import annotations

import itertools
import random

import networkx as nx
import numpy as np

from relayroute.network.graph import Network
from relayroute.network.travel import Profile, TravelTable


def _grid(side: int, seed: int, zero_share: float = 0.0) -> nx.DiGraph:
    """A grid of two-way roads with random lengths and speeds (a share of them taking
    no time at all, like a gate without delay)."""
    rng = random.Random(seed)
    g = nx.DiGraph()
    for x, y in itertools.product(range(side), repeat=2):
        g.add_node(f"{x},{y}", lon=120 + x * 0.01, lat=29 + y * 0.01)
    for x, y in itertools.product(range(side), repeat=2):
        for dx, dy in ((1, 0), (0, 1)):
            if x + dx < side and y + dy < side:
                a, b = f"{x},{y}", f"{x + dx},{y + dy}"
                km = rng.uniform(0.5, 2.0)
                minutes = 0.0 if rng.random() < zero_share else km / rng.uniform(0.5, 1.5)
                for u, v in ((a, b), (b, a)):
                    coords = [(g.nodes[n]["lon"], g.nodes[n]["lat"]) for n in (u, v)]
                    g.add_edge(u, v, km=km, minutes=minutes, closed=False, coords=coords)
    return g


def _table(g: nx.DiGraph, places: list[str]) -> TravelTable:
    net = Network("road", g, dict.fromkeys(g), {}, {p: p for p in places}, {})
    return TravelTable(net, Profile(), places, {}, set())


def test_table_matches_networkx_dijkstra() -> None:
    """Minutes, km and every route's nodes and coordinates are those of networkx's
    single-source Dijkstra, the km added along the path in order."""
    g = _grid(12, seed=5)
    places = random.Random(1).sample(sorted(g.nodes), 25)
    table = _table(g, places)
    for i, a in enumerate(places):
        dist, paths = nx.single_source_dijkstra(g, a, weight="minutes")
        for j, b in enumerate(places):
            path = paths[b]
            km = sum(g.edges[u, v]["km"] for u, v in itertools.pairwise(path))
            assert table.minutes[i, j] == dist[b]
            assert table.km[i, j] == km
            route = table.route(a, b)
            assert route.nodes == path
            assert route.minutes == dist[b] and route.km == km
            assert len(route.coords) == len(path)


def test_zero_minute_roads_are_roads() -> None:
    """Roads that take no time (stored as explicit zeros in the sparse matrix) are still
    driven: the times are networkx's, and a path rebuilt from the tree adds up to them."""
    g = _grid(8, seed=2, zero_share=0.3)
    places = sorted(g.nodes)[::5]
    table = _table(g, places)
    for i, a in enumerate(places):
        dist = nx.single_source_dijkstra_path_length(g, a, weight="minutes")
        assert np.array_equal(table.minutes[i], [dist[b] for b in places])
        for b in places:
            nodes = table.route(a, b).nodes
            driven = sum(g.edges[u, v]["minutes"] for u, v in itertools.pairwise(nodes))
            assert abs(driven - dist[b]) < 1e-9


def test_unreachable_places_stay_infinite() -> None:
    """A place with no road from another keeps ``inf`` both ways, 0 to itself."""
    g = _grid(4, seed=3)
    g.add_node("island", lon=121.0, lat=30.0)
    table = _table(g, ["0,0", "island", "3,3"])
    assert np.isinf(table.minutes[0, 1]) and np.isinf(table.minutes[1, 2])
    assert np.isinf(table.km[1, 0])
    assert table.minutes[1, 1] == 0.0 and table.km[1, 1] == 0.0
    assert table.reachable("0,0", "3,3") and not table.reachable("island", "0,0")

"""Travel times and distances between places for each class of driver.

A driver class (:class:`Profile`) decides which zones a truck may be in: outside drivers
never enter closed_loop zones and enter permit zones only with a permit; loop drivers
drive inside their zone and on open roads to its relay stations (which usually stand
just outside it), never into another restricted zone. Each checkpoint gate is split into an outside and an inside node
joined by its inspection delay, so a crossing costs time only when it really crosses.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

if TYPE_CHECKING:
    from relayroute.network.graph import Network

INSIDE, OUTSIDE = "in", "out"


@dataclass(frozen=True)
class Profile:
    """Where a driver may drive: ``outside`` (with permits) or ``loop`` (one zone)."""

    kind: str = "outside"
    permits: frozenset[str] = frozenset()
    zone: str | None = None

    def allows(self, zone: str | None, policy: dict[str, str]) -> bool:
        if self.kind == "loop":
            return zone is None or zone == self.zone
        if zone is None:
            return True
        return policy[zone] == "permit" and zone in self.permits


@dataclass(frozen=True)
class Crossing:
    """A gate on a path: at ``offset`` minutes of driving from the leg's start."""

    checkpoint: str
    zone: str
    direction: str
    offset: float
    delay: float


@dataclass(frozen=True)
class Route:
    """The fastest way between two places for one profile."""

    nodes: list[str]
    coords: list[tuple[float, float]]
    km: float
    minutes: float
    crossings: list[Crossing] = field(default_factory=list)


def profile_graph(
    net: Network, profile: Profile, delays: dict[str, float], closed: set[str]
) -> nx.DiGraph:
    """The graph a profile may drive on, gates split into their two sides.

    Parameters
    ----------
    net
        The network.
    profile
        The driver class.
    delays
        Delay in minutes of each checkpoint.
    closed
        Checkpoints that are closed all day.
    """
    zone_of, gates, policy = net.node_zone, net.gates, net.zone_policy
    gate_zone = {n: _gate_zone(net, c) for n, c in gates.items()}
    cordon = set(net.uncontrolled)
    h = nx.DiGraph()

    def side(n: str, road_zone: str | None) -> str | tuple[str, str]:
        if n in gates:
            return (n, INSIDE if road_zone == gate_zone[n] else OUTSIDE)
        return n

    for u, v, d in net.graph.edges(data=True):
        if d["closed"] or (u, v) in cordon:
            continue  # closed, or an uncontrolled crossing: closed by the cordon
        if u in gates and v in gates:
            continue
        # The road's own zone (by geometry) as well as its ends' decide who may drive it.
        road_zone = net.edge_zone.get((u, v), zone_of.get(u if v in gates else v))
        ends = [zone_of[n] for n in (u, v) if n not in gates]
        if not all(profile.allows(z, policy) for z in [*ends, road_zone]):
            continue
        h.add_edge(side(u, road_zone), side(v, road_zone), km=d["km"], minutes=d["minutes"])
    for n, c in gates.items():
        z = gate_zone[n]
        if c in closed or not profile.allows(z, policy):
            continue
        h.add_edge((n, OUTSIDE), (n, INSIDE), km=0.0, minutes=delays[c])
        h.add_edge((n, INSIDE), (n, OUTSIDE), km=0.0, minutes=delays[c])
    return h


def _gate_zone(net: Network, checkpoint: str) -> str:
    return net.checkpoint_zone[checkpoint]


def _tree_sums(
    pred: np.ndarray, roots: np.ndarray, keys: np.ndarray, weight: np.ndarray, size: int
) -> np.ndarray:
    """Sum of ``weight`` along each shortest-path tree's path from its root to every node.

    ``pred[r]`` is tree ``r``'s predecessor array (negative at its root and where it does
    not reach), ``roots[r]`` its root, ``keys`` the edges as ``u * size + v`` with their
    ``weight``. The sums are added from the root outwards, one tree level at a time, so
    each is the same float as adding the path's edges in order.
    """
    trees = np.arange(len(roots))[:, None]
    out = np.full(pred.shape, np.inf)
    out[trees[:, 0], roots] = 0.0
    # Depth of every node in its tree, by pointer jumping (log of the depth passes).
    linked = pred >= 0
    depth = linked.astype(np.int64)
    up = np.where(linked, pred, -1).astype(np.int64)
    while (up >= 0).any():
        has = up >= 0
        safe = np.maximum(up, 0)
        depth = depth + np.where(has, depth[trees, safe], 0)
        up = np.where(has, up[trees, safe], -1)
    order = np.argsort(depth, axis=None, kind="stable")
    flat_depth = depth.ravel()[order]
    cuts = np.searchsorted(flat_depth, np.arange(1, flat_depth.max(initial=0) + 2))
    by_key = np.argsort(keys)
    sorted_keys = keys[by_key]
    for lo, hi in itertools.pairwise(cuts):
        cells = order[lo:hi]
        r, v = np.divmod(cells, size)
        p = pred[r, v].astype(np.int64)
        w = weight[by_key[np.searchsorted(sorted_keys, p * size + v)]]
        out[r, v] = out[r, p] + w
    return out


class TravelTable:
    """Fastest routes between a fixed list of places for one profile.

    ``minutes[i, j]`` and ``km[i, j]`` are ``inf`` where the profile cannot go.
    """

    def __init__(
        self,
        net: Network,
        profile: Profile,
        places: list[str],
        delays: dict[str, float],
        closed: set[str],
    ) -> None:
        self.net = net
        self.profile = profile
        self.places = places
        self.index = {p: i for i, p in enumerate(places)}
        n = len(places)
        self.minutes = np.full((n, n), np.inf)
        self.km = np.full((n, n), np.inf)
        np.fill_diagonal(self.minutes, 0.0)
        np.fill_diagonal(self.km, 0.0)
        # Routes are asked for millions of times while a day is built: made once a pair.
        self._routes: dict[tuple[int, int], Route] = {}
        self._avoiding: dict[tuple[int, int, frozenset[str]], Route | None] = {}
        self._delays = delays
        if net.mode == "euclidean":
            xy = np.array(
                [(net.graph.nodes[p]["lon"], net.graph.nodes[p]["lat"]) for p in places]
            ).reshape(-1, 2)
            dist = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
            self.km = dist
            self.minutes = dist / net.euclid_speed
            return
        self.graph = profile_graph(net, profile, delays, closed)
        self._shortest(net, places)

    def _shortest(self, net: Network, places: list[str]) -> None:
        """Fastest paths from every place at once (scipy's Dijkstra over the profile
        graph as a sparse matrix); the shortest-path trees are kept to rebuild a path
        when its route is first asked for."""
        labels: list[str | tuple[str, str]] = list(self.graph.nodes)
        self._labels = labels
        at = self._at = {n: k for k, n in enumerate(labels)}
        size = len(labels)
        edges = list(self.graph.edges(data=True))
        u = np.array([at[a] for a, _, _ in edges], dtype=np.int64)
        v = np.array([at[b] for _, b, _ in edges], dtype=np.int64)
        minutes = np.array([d["minutes"] for _, _, d in edges], dtype=float)
        km = np.array([d["km"] for _, _, d in edges], dtype=float)
        # Zero-minute edges (a gate without delay) stay edges: stored explicitly.
        matrix = csr_matrix((minutes, (u, v)), shape=(size, size))
        nodes = [net.place_node[p] for p in places]
        rows = sorted({at[n] for n in nodes if n in at})
        self._row = {n: r for r, n in enumerate(rows)}
        if not rows:
            self._pred = np.zeros((0, size), dtype=np.int32)
            return
        dist, pred = dijkstra(matrix, directed=True, indices=rows, return_predecessors=True)
        self._pred = pred
        along = _tree_sums(pred, np.array(rows), u * size + v, km, size)
        src = [self._row.get(at.get(n, -1)) for n in nodes]
        col = np.array([at.get(n, -1) for n in nodes])
        for i, r in enumerate(src):
            if r is None:
                continue
            ok = (col >= 0) & np.isfinite(dist[r, np.maximum(col, 0)])
            self.minutes[i, ok] = dist[r, col[ok]]
            self.km[i, ok] = along[r, col[ok]]

    def _path(self, i: int, j: int) -> list[str | tuple[str, str]]:
        """The graph nodes of the fastest path from place ``i`` to place ``j``."""
        at = self.net.place_node
        pred = self._pred[self._row[self._at[at[self.places[i]]]]]
        k = self._at[at[self.places[j]]]
        path = [k]
        while pred[k] >= 0:
            k = int(pred[k])
            path.append(k)
        return [self._labels[k] for k in reversed(path)]

    def reachable(self, a: str, b: str) -> bool:
        return bool(np.isfinite(self.minutes[self.index[a], self.index[b]]))

    def route(self, a: str, b: str) -> Route:
        """The route from place ``a`` to place ``b`` (which must be reachable); shared,
        not to be changed."""
        i, j = self.index[a], self.index[b]
        out = self._routes.get((i, j))
        if out is None:
            out = self._routes[(i, j)] = self._route(a, b, i, j)
        return out

    def avoiding(self, a: str, b: str, checkpoints: frozenset[str]) -> Route | None:
        """The fastest route from ``a`` to ``b`` through none of ``checkpoints`` (None:
        there is none); for a truck that would wait at a checkpoint shut for hours or
        queued up, when another one is open."""
        if self.net.mode == "euclidean" or not checkpoints:
            return None
        i, j = self.index[a], self.index[b]
        key = (i, j, checkpoints)
        if key not in self._avoiding:
            src, dst = self.net.place_node[a], self.net.place_node[b]
            self._avoiding[key] = self._through_none(src, dst, checkpoints)
        return self._avoiding[key]

    def turned(self, gate: str, inside: bool, b: str, checkpoints: frozenset[str]) -> Route | None:
        """The fastest route from gate node ``gate``, on its ``inside`` side of the zone
        or outside, to place ``b`` through none of ``checkpoints`` (None: there is none);
        for a truck turned back at a gate that closed while it was on its way."""
        if self.net.mode == "euclidean" or gate not in self.net.gates:
            return None
        src = (gate, INSIDE if inside else OUTSIDE)
        return self._through_none(src, self.net.place_node[b], checkpoints)

    def _through_none(
        self, src: str | tuple[str, str], dst: str, checkpoints: frozenset[str]
    ) -> Route | None:
        shut = {n for n, c in self.net.gates.items() if c in checkpoints}

        def weight(u: object, v: object, d: dict[str, float]) -> float | None:
            # A gate's own edge joins its two sides: leaving it out closes the gate.
            if isinstance(u, tuple) and isinstance(v, tuple) and u[0] == v[0] and u[0] in shut:
                return None
            return d["minutes"]

        try:
            raw = nx.dijkstra_path(self.graph, src, dst, weight=weight)
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return None
        minutes = sum(self.graph.edges[u, v]["minutes"] for u, v in itertools.pairwise(raw))
        km = sum(self.graph.edges[u, v]["km"] for u, v in itertools.pairwise(raw))
        return self._from_path(raw, km, minutes)

    def _route(self, a: str, b: str, i: int, j: int) -> Route:
        g = self.net.graph
        if self.net.mode == "euclidean":
            ends = [a] if i == j else [a, b]
            shape = [(g.nodes[n]["lon"], g.nodes[n]["lat"]) for n in ends]
            return Route(ends, shape, float(self.km[i, j]), float(self.minutes[i, j]))
        if i == j or self.net.place_node[a] == self.net.place_node[b]:
            n = self.net.place_node[a]
            return Route([n], [(g.nodes[n]["lon"], g.nodes[n]["lat"])], 0.0, 0.0)
        return self._from_path(self._path(i, j), float(self.km[i, j]), float(self.minutes[i, j]))

    def _from_path(self, raw: list[str | tuple[str, str]], km: float, minutes: float) -> Route:
        g = self.net.graph
        nodes: list[str] = []
        coords: list[tuple[float, float]] = []
        crossings: list[Crossing] = []
        elapsed = 0.0
        for k, step in enumerate(raw):
            if k:
                elapsed += self.graph.edges[raw[k - 1], step]["minutes"]
            if (
                isinstance(step, tuple)
                and k
                and isinstance(raw[k - 1], tuple)
                and raw[k - 1][0] == step[0]
            ):
                cp = self.net.gates[step[0]]
                delay = self._delays[cp]
                crossings.append(
                    Crossing(cp, self.net.checkpoint_zone[cp], step[1], elapsed - delay, delay)
                )
                continue
            base = step[0] if isinstance(step, tuple) else step
            if nodes and nodes[-1] == base:
                continue
            if nodes:
                coords.extend(g.edges[nodes[-1], base]["coords"][1:])
            else:
                coords.append((g.nodes[base]["lon"], g.nodes[base]["lat"]))
            nodes.append(base)
        return Route(nodes, coords, km, minutes, crossings)

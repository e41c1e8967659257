"""The import graph follows the data flow: no circle, no package importing one below it.

Read from the source with :mod:`ast`: imports inside functions count, those under
``if TYPE_CHECKING:`` do not (they never run). Anyone can check the layout with
``python -m pytest -q tests/test_layout.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx
import pytest

if TYPE_CHECKING:
    from collections.abc import Iterable

SRC = Path(__file__).resolve().parents[1] / "src" / "relayroute"
# The floors of LAYOUT.md, top first: a package imports only from its own floor or above.
FLOORS = [
    "_version",
    "errors",
    "model",
    "io",
    "network",
    "itineraries",
    "solve",
    "validate",
    "export",
    "bench",
    "service",
    "cli",
    "__main__",
]
Edge = tuple[str, str]


def _module(path: Path) -> str:
    parts = ["relayroute", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(text: str, module: str, is_package: bool = False) -> set[str]:
    """The relayroute modules a module's source imports at run time."""
    tree = ast.parse(text)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    package = module.split(".") if is_package else module.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("relayroute")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package[: len(package) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            if base.startswith("relayroute"):
                out.add(base)
    return out


def import_graph() -> nx.DiGraph:
    g = nx.DiGraph()
    for path in SRC.rglob("*.py"):
        mod = _module(path)
        g.add_node(mod)
        for target in imports_of(path.read_text(), mod, path.name == "__init__.py"):
            g.add_edge(mod, target)
    return g


def floor(module: str) -> str | None:
    """``relayroute.solve.routing`` -> ``solve``; None for the flat API itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def downward(edges: Iterable[Edge]) -> list[Edge]:
    """Imports of a package from a floor below its own (the flat API may import any)."""
    rank = {f: i for i, f in enumerate(FLOORS)}
    return [
        (a, b)
        for a, b in edges
        if floor(a) is not None and floor(b) is not None and rank[floor(b)] > rank[floor(a)]  # type: ignore[index]
    ]


def forbidden(edges: Iterable[Edge], low: set[str], high: set[str]) -> list[Edge]:
    return [(a, b) for a, b in edges if floor(a) in low and floor(b) in high]


GRAPH = import_graph()


def test_no_import_circle() -> None:
    """No module reaches itself through imports (package re-exports included)."""
    assert [c for c in nx.strongly_connected_components(GRAPH) if len(c) > 1] == []


def test_lower_floors_never_import_the_solver() -> None:
    """Nothing under model/, io/, network/ or itineraries/ imports solve/, bench/ or cli."""
    low = {"model", "io", "network", "itineraries"}
    assert forbidden(GRAPH.edges, low, {"solve", "bench", "cli"}) == []


def test_validator_is_a_second_opinion() -> None:
    """validate/ imports neither solve/ nor itineraries/: it shares only the model."""
    assert forbidden(GRAPH.edges, {"validate"}, {"solve", "itineraries"}) == []


def test_floors_import_only_upwards() -> None:
    """Each package imports only from its own floor or those above it (LAYOUT.md order)."""
    assert {floor(m) for m in GRAPH} - {None} <= set(FLOORS)
    assert downward(GRAPH.edges) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f():\n    from ..solve import solve\n", {"relayroute.solve"}),
        ("import relayroute.bench.suites\n", {"relayroute.bench.suites"}),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import relayroute.cli\n", set()),
    ],
)
def test_the_reader_sees_what_runs(source: str, expected: set[str]) -> None:
    """Function-level and relative imports count; TYPE_CHECKING imports do not."""
    assert imports_of(source, "relayroute.model.probe") == expected


def test_the_rules_catch_a_wrong_import() -> None:
    """A model module importing the solver breaks both the floor and the solver rules."""
    bad = [("relayroute.model.checks", "relayroute.solve.routing")]
    assert downward(bad) == bad
    assert forbidden(bad, {"model"}, {"solve"}) == bad
    circle = nx.DiGraph([("relayroute.a", "relayroute.b"), ("relayroute.b", "relayroute.a")])
    assert [c for c in nx.strongly_connected_components(circle) if len(c) > 1]

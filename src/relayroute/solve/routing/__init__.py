"""The OR-Tools RoutingModel for truck routes: pickup-and-delivery pairs, capacities,
time windows, lateness past ``due`` as a soft upper bound, disjunctions for unserved.

:mod:`.nodes` lays out the nodes, :mod:`.model` builds the model on them, and
:mod:`.search` searches it (from scratch or from earlier routes) and reads the routes back.
"""

from relayroute.solve.routing.model import (
    COST_SCALE,
    LOOP_UTILISATION,
    QTY_SCALE,
    Expected,
    Model,
    build,
    weights,
)
from relayroute.solve.routing.nodes import NodeKey, Nodes, layout
from relayroute.solve.routing.search import (
    RouteKey,
    RoutingResult,
    expected_of,
    model_size,
    parameters,
    routes_of,
    solve_routing,
)

__all__ = [
    "COST_SCALE",
    "LOOP_UTILISATION",
    "QTY_SCALE",
    "Expected",
    "Model",
    "NodeKey",
    "Nodes",
    "RouteKey",
    "RoutingResult",
    "build",
    "expected_of",
    "layout",
    "model_size",
    "parameters",
    "routes_of",
    "solve_routing",
    "weights",
]

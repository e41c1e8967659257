"""relayroute: plans freight through relay stations around closed zones.

The public API, flat. Read an instance, solve it, check the plan, write it::

    import relayroute as rr

    loaded = rr.read_instance("instances/yiwu-demo.json")
    plan = rr.solve(loaded, rr.read_config("solvers/default.toml"))
    assert rr.validate(loaded.instance, plan, loaded.base).ok
    rr.write_plan(plan, "plan.json")

For the pass service: the passes a plan needs, one new trip put into the plan without
changing a pass already issued, and how a shipment can move at all (the day below is
planned by the dispatcher, in a second):

>>> import relayroute as rr
>>> loaded = rr.read_instance("tests/data/small-straight.json")
>>> plan = rr.solve(loaded, rr.SolverConfig(engine="greedy"))
>>> [p.zone for p in rr.passes(plan)]
['park']
>>> trip = {"id": "S9", "origin": "sup1", "destination": "park_factory",
...         "quantity": {"t": 3}, "ready": 600, "due": 900}
>>> done = rr.insert(loaded, plan, trip, now=540)
>>> done.ok, [p.zone for p in done.passes], done.eta <= 900
(True, ['park'], True)
>>> all(p in done.plan.passes for p in plan.passes)
True
>>> rr.explain(done.loaded, "S9", done.plan).planned.startswith("truck ")
True

An instance built in Python gets the checks a file gets: an unknown place is named.

>>> bad = loaded.instance.model_dump()
>>> bad["shipments"][0]["origin"] = "nowhere"
>>> rr.Instance.model_validate(bad)
Traceback (most recent call last):
relayroute.errors.InputError: $.shipments[0].origin: unknown place 'nowhere'

Everything here is also importable from its own module; these names are the ones kept
stable. As in PyVRP, the functions ``solve`` and ``validate`` stand where the
sub-packages of the same names would: import from those with ``from relayroute.validate
import world`` (``import relayroute.validate as v`` gives the function).
"""

import sys
import types
from typing import TYPE_CHECKING, Any

from relayroute._version import __version__

if TYPE_CHECKING:
    from relayroute.errors import InputError
    from relayroute.io.instance import LoadedInstance, instance_from_data, read_instance
    from relayroute.io.plan import read_plan, write_plan
    from relayroute.model.instance import Instance
    from relayroute.model.passes import passes
    from relayroute.model.plan import Pass, Plan
    from relayroute.solve import solve
    from relayroute.solve.config import SolverConfig, read_config
    from relayroute.solve.explain import Explanation, explain
    from relayroute.solve.insert import Insertion, Refusal, insert
    from relayroute.solve.replan import Replan, Stability, replan
    from relayroute.validate import validate
    from relayroute.validate.report import Report, Violation
    from relayroute.validate.verdict import InvalidPlanError, checked

# Imported when first used: ``import relayroute`` (and so the command line, before it can
# answer Ctrl-C) does not wait for OR-Tools, shapely and pandas to load.
_WHERE = {
    "InputError": "relayroute.errors",
    "LoadedInstance": "relayroute.io.instance",
    "instance_from_data": "relayroute.io.instance",
    "read_instance": "relayroute.io.instance",
    "read_plan": "relayroute.io.plan",
    "write_plan": "relayroute.io.plan",
    "Instance": "relayroute.model.instance",
    "Plan": "relayroute.model.plan",
    "Pass": "relayroute.model.plan",
    "passes": "relayroute.model.passes",
    "solve": "relayroute.solve",
    "SolverConfig": "relayroute.solve.config",
    "read_config": "relayroute.solve.config",
    "Explanation": "relayroute.solve.explain",
    "explain": "relayroute.solve.explain",
    "Insertion": "relayroute.solve.insert",
    "Refusal": "relayroute.solve.insert",
    "insert": "relayroute.solve.insert",
    "Replan": "relayroute.solve.replan",
    "Stability": "relayroute.solve.replan",
    "replan": "relayroute.solve.replan",
    "validate": "relayroute.validate",
    "Report": "relayroute.validate.report",
    "Violation": "relayroute.validate.report",
    "InvalidPlanError": "relayroute.validate.verdict",
    "checked": "relayroute.validate.verdict",
}


def __getattr__(name: str) -> Any:
    import importlib

    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'relayroute' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


class _Flat(types.ModuleType):
    """Importing ``relayroute.solve`` or ``relayroute.validate`` sets the package's
    attribute to the sub-package; the flat API keeps the functions of those names."""

    def __getattribute__(self, name: str) -> Any:
        value = super().__getattribute__(name)
        if name in ("solve", "validate") and isinstance(value, types.ModuleType):
            return getattr(value, name)
        return value


sys.modules[__name__].__class__ = _Flat


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Explanation",
    "InputError",
    "Insertion",
    "Instance",
    "InvalidPlanError",
    "LoadedInstance",
    "Pass",
    "Plan",
    "Refusal",
    "Replan",
    "Report",
    "SolverConfig",
    "Stability",
    "Violation",
    "__version__",
    "checked",
    "explain",
    "insert",
    "instance_from_data",
    "passes",
    "read_config",
    "read_instance",
    "read_plan",
    "replan",
    "solve",
    "validate",
    "write_plan",
]

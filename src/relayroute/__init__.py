"""relayroute: plans freight through relay stations around closed zones.

The public API, flat. Read an instance, solve it, check the plan, write it::

    import relayroute as rr

    loaded = rr.read_instance("instances/yiwu-demo.json")
    plan = rr.solve(loaded, rr.read_config("solvers/default.toml"))
    assert rr.validate(loaded.instance, plan, loaded.base).ok
    rr.write_plan(plan, "plan.json")

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
    from relayroute.model.plan import Plan
    from relayroute.solve import solve
    from relayroute.solve.config import SolverConfig, read_config
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
    "solve": "relayroute.solve",
    "SolverConfig": "relayroute.solve.config",
    "read_config": "relayroute.solve.config",
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
    "InputError",
    "Instance",
    "InvalidPlanError",
    "LoadedInstance",
    "Plan",
    "Report",
    "SolverConfig",
    "Violation",
    "__version__",
    "checked",
    "instance_from_data",
    "read_config",
    "read_instance",
    "read_plan",
    "solve",
    "validate",
    "write_plan",
]

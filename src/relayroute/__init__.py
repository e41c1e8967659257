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

from relayroute._version import __version__
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

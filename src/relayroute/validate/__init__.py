"""The independent validator: re-simulates a plan from the instance alone.

It shares the *model* (instance and plan types, the raw road data) with the solver but
none of its feasibility code: zone membership, crossings, travel times, loads and
windows are all recomputed here in their own way, so the validator can catch the
solver's mistakes. Each violation names its rule (DESIGN.md R1-R12).

The modules, in the order :func:`validate` uses them:

- :mod:`~relayroute.validate.world`: the validator's own geography (graph, zones, gates).
- :mod:`~relayroute.validate.walk`: each route walked stop by stop, leg by leg, on it.
- one module per rule family: :mod:`~relayroute.validate.coverage` (R1-R4),
  :mod:`~relayroute.validate.drivers` (R5-R8), :mod:`~relayroute.validate.checkpoints`
  (R9), :mod:`~relayroute.validate.goods` (R10-R11), :mod:`~relayroute.validate.fleet`
  (R12); :mod:`~relayroute.validate.geometry` (R5, R6, R9 on the roads' shapes) and
  :mod:`~relayroute.validate.statements` (what the plan states, re-derived).
- :mod:`~relayroute.validate.report`: :class:`Violation`, :class:`Report`, :data:`RULES`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from relayroute.validate.checkpoints import check_passes, check_throughput
from relayroute.validate.coverage import check_shipments, check_totals
from relayroute.validate.drivers import (
    check_bays,
    check_duties,
    check_handover_list,
    declared_loop_drivers,
)
from relayroute.validate.fleet import check_fleet
from relayroute.validate.geometry import check_geometry, check_sealed_roads
from relayroute.validate.goods import check_rail_bookings, check_transload_list
from relayroute.validate.report import RULES, Found, Report, Violation
from relayroute.validate.statements import check_statements
from relayroute.validate.walk import Seen, walk_routes
from relayroute.validate.world import World

if TYPE_CHECKING:
    from relayroute.model.instance import Instance
    from relayroute.model.plan import Plan

__all__ = ["RULES", "Report", "Violation", "validate"]


def validate(inst: Instance, plan: Plan, base: Path | None = None) -> Report:
    """Check a plan against the instance, rule by rule.

    Parameters
    ----------
    inst
        The instance the plan is for.
    plan
        The plan to check.
    base
        Folder of the instance file (network files resolve against it).

    Returns
    -------
    Report
        Every violation found, each naming its rule, object and time.

    Examples
    --------
    >>> import relayroute as rr
    >>> loaded = rr.read_instance("tests/data/small-straight.json")
    >>> plan = rr.solve(loaded, rr.SolverConfig(engine="greedy"))
    >>> rr.validate(loaded.instance, plan, loaded.base).ok
    True
    >>> plan.routes[0].legs[0].depart -= 30  # leaves before the stop it leaves from ends
    >>> sorted(rr.validate(loaded.instance, plan, loaded.base).rules())
    ['R2']
    """
    world = World(inst, base or Path.cwd())
    found = Found()
    seen = Seen(declared_loop_drivers(found, inst, plan))
    # Route by route, in the order each is driven; then what spans trucks.
    km = walk_routes(found, world, plan, seen)
    check_geometry(found, world, plan, seen.loop)
    check_sealed_roads(found, world, plan)
    check_handover_list(found, plan, seen.handovers)
    check_bays(found, inst, seen.bays)
    check_duties(found, inst, plan, seen.loop, seen.duties, seen.open)
    check_throughput(found, inst, seen.inspections)
    check_passes(found, plan, seen.entries)
    check_fleet(found, inst, plan)
    # Shipment by shipment, then the lists and figures the plan states.
    weighted = check_shipments(found, inst, plan, seen.picks, seen.drops, seen.moves)
    check_rail_bookings(found, inst, plan, seen.moves)
    check_transload_list(found, inst, plan, seen.moves)
    check_totals(found, inst, plan, weighted, km, seen.drops)
    check_statements(found, inst, plan, km)
    return Report(found.violations)

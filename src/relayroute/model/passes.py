"""The passes a plan needs, as the pass service reads them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relayroute.model.plan import Pass, Plan


def passes(plan: Plan, *, truck: str | None = None, zone: str | None = None) -> list[Pass]:
    """The freight passes a plan needs, in the order they become valid.

    Each pass is for one truck entering one permit zone through one checkpoint: its
    stable id, the truck and its plate, the driver and his name, the window in minutes
    and as ISO 8601 with the instance's offset, and the shipments it is for.

    Parameters
    ----------
    plan
        The plan.
    truck, zone
        Only the passes of this truck, or for this zone.

    Returns
    -------
    list of Pass
        The plan's own pass objects (not copies), by ``valid_from``, then id.

    Examples
    --------
    >>> import relayroute as rr
    >>> loaded = rr.read_instance("tests/data/small-straight.json")
    >>> plan = rr.solve(loaded, rr.SolverConfig(engine="greedy"))
    >>> [(p.truck, p.zone) for p in rr.passes(plan)]
    [('T1', 'park')]
    >>> p = rr.passes(plan)[0]
    >>> p.id == f"pass-T1-{p.checkpoint}-{round(p.valid_from * 60)}"
    True
    >>> p.valid_from_at.endswith("+08:00")
    True
    """
    chosen = [
        p
        for p in plan.passes
        if (truck is None or p.truck == truck) and (zone is None or p.zone == zone)
    ]
    return sorted(chosen, key=lambda p: (p.valid_from, p.id))

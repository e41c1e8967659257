"""``explain()``: how one shipment can move alone, and what a plan did with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from relayroute.errors import InputError
from relayroute.io.instance import read_instance
from relayroute.solve.explain import explain

from ..conftest import ROOT

if TYPE_CHECKING:
    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Plan


def test_served_shipment_with_its_plan(small: LoadedInstance, small_plan: Plan) -> None:
    """A shipment of the plan: its truck and delivery as planned, and its earliest delivery
    alone no later than what the plan does (the plan cannot beat the yardstick)."""
    o = small_plan.shipments[0]
    e = explain(small, o.shipment, small_plan)
    assert e.servable and e.trucks and e.earliest is not None
    assert e.planned is not None and e.planned.startswith(f"truck {o.truck} ")
    assert e.earliest <= o.delivered + 1e-6


def test_rail_way_named() -> None:
    """A Fuquan shipment the road cannot serve is explained with its rail way."""
    loaded = read_instance(ROOT / "instances" / "fuquan-kaili.json")
    rail = [explain(loaded, s.id) for s in loaded.instance.shipments]
    assert any("rail" in e.ways and e.servable for e in rail)


def test_unknown_id_named(small: LoadedInstance) -> None:
    """An id the instance has not is an InputError, not a KeyError."""
    with pytest.raises(InputError, match="no shipment 'nope'"):
        explain(small, "nope")


def test_new_shipment_refused_reason(small: LoadedInstance) -> None:
    """A new shipment whose deadline no truck can keep: not servable, with the reason."""
    e = explain(
        small,
        {"id": "N", "origin": "sup1", "destination": "cust2", "quantity": {"t": 1},
         "ready": 400, "due": 405, "deadline": 405},
    )  # fmt: skip
    assert not e.servable and e.reason == "deadline_unreachable" and e.earliest is None

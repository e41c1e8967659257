"""Session fixtures: small instances in tests/data and the demo, each solved once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from relayroute.io.instance import LoadedInstance, read_instance
from relayroute.solve import SolverConfig, solve

if TYPE_CHECKING:
    from collections.abc import Iterator

    from relayroute.model.plan import Plan

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"

# Deterministic and quick: stop on a solution count, never on the clock.
QUICK = SolverConfig(name="quick", solution_limit=60, time_limit=60, schedule_deterministic_time=1)


@pytest.fixture(autouse=True)
def _no_stop_left_over() -> Iterator[None]:
    """Every test starts and ends with no stop or halt asked for (a test of signals
    must not stop the next test's solve)."""
    from relayroute.solve.stop import reset_halt

    reset_halt()
    yield
    reset_halt()


@pytest.fixture(scope="session")
def small() -> LoadedInstance:
    return read_instance(DATA / "small-straight.json")


@pytest.fixture(scope="session")
def small_plan(small: LoadedInstance) -> Plan:
    return solve(small, QUICK)


@pytest.fixture(scope="session")
def small_no_relay(small: LoadedInstance) -> LoadedInstance:
    """The small instance with its relay station and loop drivers taken away."""
    inst = small.instance.model_copy(
        update={
            "relay_stations": [],
            "driver_pools": [p for p in small.instance.driver_pools if p.kind != "loop"],
        }
    )
    return LoadedInstance(inst, small.base, small.sha256)


@pytest.fixture(scope="session")
def small_no_relay_plan(small_no_relay: LoadedInstance) -> Plan:
    return solve(small_no_relay, QUICK)


@pytest.fixture(scope="session")
def demo() -> LoadedInstance:
    return read_instance(ROOT / "instances" / "yiwu-demo.json")


@pytest.fixture(scope="session")
def demo_plan(demo: LoadedInstance) -> Plan:
    return solve(demo, QUICK)

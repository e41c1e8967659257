"""What the solver works on: the problem types, read by every solver module.

A leaf: it imports the model and the network only. :mod:`relayroute.itineraries.build`
fills a :class:`Problem` from an instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from relayroute.itineraries.ways import Way
    from relayroute.model.instance import Instance, RelayStation, Truck
    from relayroute.network import Network, Profile, TravelTable


@dataclass(frozen=True)
class Reason:
    code: str
    detail: str


# What a run left out because its time limit ended first (not a fault of the shipment).
OUT_OF_TIME = Reason(
    "out_of_time",
    "the time limit ended before the planner could place it (a longer --time-limit may serve it)",
)
# What a run left out because it was asked to stop (SIGINT, SIGTERM, request_stop()).
INTERRUPTED = Reason("interrupted", "the run was stopped before the planner could place it")


@dataclass(frozen=True)
class Vehicle:
    """A truck with its home relay station for each closed zone."""

    truck: str
    stations: tuple[tuple[str, str], ...] = ()

    def station(self, zone: str) -> str | None:
        for z, s in self.stations:
            if z == zone:
                return s
        return None


@dataclass(frozen=True)
class Problem:
    """An instance made ready for solving.

    Frozen: a solver step that needs other ways or shipment times makes a new problem
    with :func:`dataclasses.replace`. :func:`relayroute.itineraries.build.build_problem`
    alone fills the tables (``eligible``, ``unserved``, ``solo``, ``ways``, ...) while it
    builds the problem; the rest of the code reads them.
    """

    inst: Instance
    net: Network
    profiles: dict[str, Profile]
    tables: dict[Profile, TravelTable]
    loop_tables: dict[str, TravelTable] = field(default_factory=dict)
    swap_stations: dict[str, list[RelayStation]] = field(default_factory=dict)
    place_zone: dict[str, str | None] = field(default_factory=dict)
    vehicles: list[Vehicle] = field(default_factory=list)
    itinerary: dict[str, str] = field(default_factory=dict)
    eligible: dict[str, list[int]] = field(default_factory=dict)  # shipment -> vehicle indices
    unserved: dict[str, Reason] = field(default_factory=dict)
    duty: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    solo: dict[str, float] = field(default_factory=dict)  # earliest delivery end, alone
    # Shipments of the instance as given; ``inst`` adds the leg shipments of other ways.
    original: Instance | None = None
    ways: dict[str, list[Way]] = field(default_factory=dict)  # servable ways, road first
    parent: dict[str, str] = field(default_factory=dict)  # leg shipment -> shipment
    way_of: dict[str, Way] = field(default_factory=dict)  # leg shipment -> its way
    # Transload ways kept aside where the road way serves: the routing search cannot
    # trade one way for another, so a way switch (``solve.switch``) tries them.
    spare: dict[str, list[Way]] = field(default_factory=dict)
    # Inspections already held at checkpoints with a throughput (checkpoint -> their
    # start times): a re-plan's frozen work; the timing books them before any other.
    held_inspections: dict[str, list[float]] = field(default_factory=dict)

    @property
    def given(self) -> Instance:
        """The instance as the user gave it (no leg shipments)."""
        return self.original or self.inst

    def owner(self, sid: str) -> str:
        """The shipment a leg shipment belongs to (itself for a shipment)."""
        return self.parent.get(sid, sid)

    def table(self, truck: str) -> TravelTable:
        return self.tables[self.profiles[truck]]

    def depot_place(self, truck: Truck, end: bool = False) -> str:
        depot = truck.end_depot if end and truck.end_depot else truck.depot
        return self.inst.depots_by_id[depot].place

    def station(self, sid: str) -> RelayStation:
        return self.inst.relay_stations_by_id[sid]

    def loop_pools(self, station: str) -> list[tuple[str, int, tuple[float, float], float]]:
        """(pool id, count, shift, max duty) of the loop pools at a station."""
        st = self.station(station)
        out = []
        for p in self.inst.driver_pools:
            here = p.station == station or (
                p.station is None
                and p.zone is not None
                and len(self.swap_stations.get(p.zone, [])) == 1
            )
            if (
                p.kind == "loop"
                and p.zone is not None
                and p.zone == st.zone
                and p.count > 0
                and here
            ):
                out.append((p.id, p.count, (p.shift[0], p.shift[1]), p.max_duty))
        return out


def earliest_in(hours: list[tuple[float, float]], t: float, length: float = 0.0) -> float | None:
    """Earliest time ≥ t starting an activity of ``length`` inside one of ``hours``.

    An activity must start and end in the same window; always open when ``hours`` is empty.
    """
    if not hours:
        return t
    for lo, hi in sorted(hours):
        s = max(t, lo)
        if s + length <= hi + 1e-9:
            return s
    return None


def truck_duty(inst: Instance, truck: Truck) -> tuple[float, float, float]:
    """(earliest start, latest end, max duty) from the truck and its driver's pool."""
    lo, hi = truck.available
    duty = hi - lo
    if truck.driver_pool is not None:
        pool = inst.pools_by_id[truck.driver_pool]
        lo, hi, duty = max(lo, pool.shift[0]), min(hi, pool.shift[1]), pool.max_duty
    return lo, hi, duty

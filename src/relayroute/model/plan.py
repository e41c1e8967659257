"""The plan: what relayroute decided, as data that ``validate``, ``export`` and the
pass service all read. Times are minutes from the instance start."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PLAN_FORMAT = "relayroute-plan/1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Crossing(_Model):
    """A zone-boundary crossing at a checkpoint, on the way of a leg."""

    checkpoint: str
    zone: str
    direction: Literal["in", "out"]
    arrive: float = Field(description="reaching the checkpoint")
    depart: float = Field(description="leaving it: arrive + waiting for hours + delay")


class Leg(_Model):
    """Driving between two consecutive stops along network nodes."""

    path: list[str] = Field(description="network nodes from the first stop's node to the next's")
    coords: list[tuple[float, float]] = Field(
        description="lon/lat shape of the leg along the roads"
    )
    depart: float
    arrive: float
    km: float
    minutes: float = Field(description="driving plus checkpoint time")
    crossings: list[Crossing] = Field(default_factory=list)
    driver: str = Field(description="who drives this leg")
    driver_kind: Literal["outside", "loop"] = "outside"


class Stop(_Model):
    """A stop of a truck. At a ``handover`` the truck changes driver at a relay station.

    ``unload`` and ``load`` are a shipment changing mode or truck part way: goods put
    down at a transload or rail station, or taken on there.
    """

    place: str
    kind: Literal["start", "pickup", "delivery", "handover", "unload", "load", "end"]
    shipments: list[str] = Field(default_factory=list)
    station: str | None = Field(
        None, description="relay station of a handover or transload; rail station of a rail leg"
    )
    arrive: float
    start: float = Field(description="service or handover start (after waiting)")
    depart: float
    load: dict[str, float] = Field(description="on board when leaving the stop")
    driver: str = Field(description="who drives the truck away from this stop")


class TruckRoute(_Model):
    truck: str
    driver: str = Field(description="the truck's own (outside) driver")
    driver_kind: Literal["outside", "loop"] = "outside"
    stops: list[Stop]
    legs: list[Leg] = Field(description="legs[i] joins stops[i] to stops[i+1]")
    km: float
    duty_minutes: float


ITINERARIES = Literal[
    "direct", "relay_in", "relay_out", "inside", "relay_through", "rail", "transload"
]


class Segment(_Model):
    """One part of a shipment's way: on a truck, or on a train departure."""

    mode: Literal["road", "rail"]
    truck: str | None = Field(None, description="road: the truck carrying it")
    service: str | None = Field(None, description="rail: the rail service")
    departure: float | None = Field(None, description="rail: the departure time")
    origin: str = Field(description="place where this part starts")
    destination: str = Field(description="place where it ends")
    start: float = Field(description="loading starts (road) or the train leaves (rail)")
    end: float = Field(description="unloading ends (road) or the train arrives (rail)")


class ShipmentOutcome(_Model):
    shipment: str
    itinerary: ITINERARIES = "direct"
    stations: list[str] = Field(
        default_factory=list, description="relay stations its truck passes to reach its ends"
    )
    truck: str = Field(description="the truck that picks it up")
    segments: list[Segment] = Field(
        default_factory=list, description="its way part by part, in order"
    )
    pickup: float = Field(description="pickup service start")
    delivered: float = Field(description="end of unloading at the destination")
    delay: float
    weighted_delay: float


class Unserved(_Model):
    shipment: str
    reason: str = Field(description="short code: needs_relay_station, no_truck, dropped…")
    detail: str


class Handover(_Model):
    """A truck changing driver at a relay station ("swap the driver, keep the truck")."""

    station: str
    truck: str
    direction: Literal["in", "out"] = Field(description="in: to a loop driver; out: back")
    start: float
    end: float
    from_driver: str
    to_driver: str


class Excursion(_Model):
    """One trip of a loop driver: takes a truck in at the station and brings it back."""

    truck: str
    start: float = Field(description="handover-in start")
    end: float = Field(description="handover-out end")
    places: list[str] = Field(description="places served inside")


class LoopDuty(_Model):
    """A loop driver's day: excursions from and back to the home station."""

    driver: str
    pool: str
    station: str
    zone: str
    start: float
    end: float
    excursions: list[Excursion]


class Pass(_Model):
    """A freight pass the pass service issues: one truck entering one permit zone."""

    truck: str
    driver: str
    checkpoint: str
    zone: str
    valid_from: float
    valid_to: float


class Transload(_Model):
    """Goods moved from one truck to another at a transload station."""

    station: str
    shipment: str
    time: float = Field(description="the goods are down: end of unloading from_truck")
    ready: float = Field(description="time + the station's transload minutes")
    from_truck: str
    to_truck: str


class RailBooking(_Model):
    """Shipments riding one departure of a rail service."""

    service: str
    departure: float
    arrival: float
    shipments: list[str]
    load: dict[str, float]
    cost: float


class KPIs(_Model):
    objective: float
    weighted_delay: float
    delay_lower_bound: float
    served: int
    unserved: int
    on_time_share: float
    km: float
    trucks_used: int
    loop_drivers_used: int = 0
    handovers: int = 0
    passes: int = 0
    transloads: int = 0
    rail_bookings: int = 0
    solve_seconds: float


class Validation(_Model):
    """What the independent validator said of the plan when ``solve`` wrote it."""

    valid: bool = Field(description="false: the plan breaks the rules listed here")
    rules: dict[str, int] = Field(
        default_factory=dict, description="rule id (R1-R12, PLAN) -> violations of it"
    )
    violations: list[str] = Field(default_factory=list, description="each violation, in words")


class InstanceRef(_Model):
    """The instance a plan was made for: its name and the SHA-256 of its file."""

    name: str
    sha256: str


class Plan(_Model):
    """What relayroute decided for one day, as data.

    Routes (stops and legs, with drivers and checkpoint crossings), each shipment's
    outcome, the unserved with their reasons, and the lists stations, drivers and the pass
    service read: handovers, loop-driver duties, passes, transloads, rail bookings; then
    the KPIs. :func:`relayroute.validate` checks every part of it against the instance;
    :func:`relayroute.write_plan` / :func:`relayroute.read_plan` move it to and from JSON.
    """

    format: str = PLAN_FORMAT
    relayroute_version: str
    instance: InstanceRef
    solver: dict[str, Any]
    routes: list[TruckRoute]
    shipments: list[ShipmentOutcome]
    unserved: list[Unserved]
    handovers: list[Handover] = Field(default_factory=list)
    loop_drivers: list[LoopDuty] = Field(default_factory=list)
    passes: list[Pass] = Field(default_factory=list)
    transloads: list[Transload] = Field(default_factory=list)
    rail_bookings: list[RailBooking] = Field(default_factory=list)
    kpis: KPIs
    validation: Validation | None = Field(
        None,
        description="the validator's verdict when the plan was written; none: not checked then "
        "(plans written by `relayroute solve` always carry it)",
    )

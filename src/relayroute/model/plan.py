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


class Stop(_Model):
    place: str
    kind: Literal["start", "pickup", "delivery", "end"]
    shipments: list[str] = Field(default_factory=list)
    arrive: float
    start: float = Field(description="service start (after waiting)")
    depart: float
    load: dict[str, float] = Field(description="on board when leaving the stop")
    driver: str


class TruckRoute(_Model):
    truck: str
    driver: str
    driver_kind: Literal["outside", "loop"] = "outside"
    stops: list[Stop]
    legs: list[Leg] = Field(description="legs[i] joins stops[i] to stops[i+1]")
    km: float
    duty_minutes: float


class ShipmentOutcome(_Model):
    shipment: str
    itinerary: Literal["direct"] = "direct"
    truck: str
    pickup: float = Field(description="pickup service start")
    delivered: float = Field(description="end of unloading at the destination")
    delay: float
    weighted_delay: float


class Unserved(_Model):
    shipment: str
    reason: str = Field(description="short code: needs_relay_station, no_truck, dropped…")
    detail: str


class KPIs(_Model):
    objective: float
    weighted_delay: float
    delay_lower_bound: float
    served: int
    unserved: int
    on_time_share: float
    km: float
    trucks_used: int
    solve_seconds: float


class InstanceRef(_Model):
    name: str
    sha256: str


class Plan(_Model):
    format: str = PLAN_FORMAT
    relayroute_version: str
    instance: InstanceRef
    solver: dict[str, Any]
    routes: list[TruckRoute]
    shipments: list[ShipmentOutcome]
    unserved: list[Unserved]
    kpis: KPIs

"""The plan: what relayroute decided, as data that ``validate``, ``export`` and the
pass service all read. Times are minutes from the instance start."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PLAN_FORMAT = "relayroute-plan/1"


def pass_id(truck: str, checkpoint: str, valid_from: float) -> str:
    """The stable id of a pass: its truck, checkpoint and start in whole seconds.

    Parameters
    ----------
    truck, checkpoint
        Ids of the truck and the entry checkpoint.
    valid_from
        Minutes from the instance start.

    Returns
    -------
    str
        ``pass-<truck>-<checkpoint>-<seconds>``, e.g. ``pass-T02-CP1-34200``.
    """
    return f"pass-{truck}-{checkpoint}-{round(valid_from * 60)}"


def clock(start: datetime, minutes: float) -> str:
    """Minutes from the instance start as ISO 8601 with the start's UTC offset.

    Parameters
    ----------
    start
        The instance's ``start`` (with its offset).
    minutes
        Minutes from it.

    Returns
    -------
    str
        The time to the second, e.g. ``2022-08-12T09:30:00+08:00``.
    """
    return (start + timedelta(minutes=minutes)).isoformat(timespec="seconds")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Crossing(_Model):
    """A zone-boundary crossing at a checkpoint, on the way of a leg."""

    checkpoint: str = Field(description="id of the checkpoint crossed")
    zone: str = Field(description="id of the zone whose boundary it is")
    direction: Literal["in", "out"] = Field(description="in: into the zone; out: leaving it")
    arrive: float = Field(description="reaching the checkpoint, minutes from the instance start")
    depart: float = Field(
        description="leaving it: arrive + waiting for its hours + its delay, minutes from the instance start"
    )


class Leg(_Model):
    """Driving between two consecutive stops along network nodes."""

    path: list[str] = Field(description="network nodes from the first stop's node to the next's")
    coords: list[tuple[float, float]] = Field(
        description="lon/lat shape of the leg along the roads"
    )
    depart: float = Field(description="leaving the first stop, minutes from the instance start")
    arrive: float = Field(description="reaching the next stop, minutes from the instance start")
    km: float = Field(description="road km driven")
    minutes: float = Field(description="driving plus checkpoint time, in minutes")
    crossings: list[Crossing] = Field(
        default_factory=list, description="zone-boundary crossings on the way, in order"
    )
    driver: str = Field(description="who drives this leg")
    driver_kind: Literal["outside", "loop"] = Field(
        "outside", description="outside: the truck's own driver; loop: a closed zone's driver"
    )


class Stop(_Model):
    """A stop of a truck. At a ``handover`` the truck changes driver at a relay station.

    ``unload`` and ``load`` are a shipment changing mode or truck part way: goods put
    down at a transload or rail station, or taken on there.
    """

    place: str = Field(description="id of the place of the stop")
    kind: Literal["start", "pickup", "delivery", "handover", "unload", "load", "end"] = Field(
        description="what happens here: the day's start or end, a pickup or delivery, a driver "
        "handover, or goods unloaded/loaded part way (transload, rail)"
    )
    shipments: list[str] = Field(
        default_factory=list, description="ids of the shipments picked up, delivered or moved here"
    )
    station: str | None = Field(
        None, description="relay station of a handover or transload; rail station of a rail leg"
    )
    arrive: float = Field(description="reaching the stop, minutes from the instance start")
    start: float = Field(
        description="service or handover start (after waiting), minutes from the instance start"
    )
    depart: float = Field(description="leaving the stop, minutes from the instance start")
    load: dict[str, float] = Field(
        description="on board when leaving the stop, per capacity dimension"
    )
    driver: str = Field(description="who drives the truck away from this stop")


class TruckRoute(_Model):
    """One truck's day: its stops and the legs between them."""

    truck: str = Field(description="id of the truck")
    plate: str | None = Field(None, description="the truck's plate, as the instance gives it")
    driver: str = Field(description="the truck's own (outside) driver")
    driver_name: str | None = Field(
        None, description="name or staff id of its own driver, as the instance gives it"
    )
    driver_kind: Literal["outside", "loop"] = Field(
        "outside", description="kind of the truck's own driver"
    )
    stops: list[Stop] = Field(description="in order, from the start at its depot to the end")
    legs: list[Leg] = Field(description="legs[i] joins stops[i] to stops[i+1]")
    km: float = Field(description="road km of the whole route (0 or more)")
    duty_minutes: float = Field(
        description="minutes from leaving the first stop to reaching the last (0 or more)"
    )


ITINERARIES = Literal[
    "direct", "relay_in", "relay_out", "inside", "relay_through", "rail", "transload"
]


class Segment(_Model):
    """One part of a shipment's way: on a truck, or on a train departure."""

    mode: Literal["road", "rail"] = Field(description="road: on a truck; rail: on a train")
    truck: str | None = Field(None, description="road: the truck carrying it")
    service: str | None = Field(None, description="rail: the rail service")
    departure: float | None = Field(
        None, description="rail: the departure time, minutes from the instance start"
    )
    origin: str = Field(description="place where this part starts")
    destination: str = Field(description="place where it ends")
    start: float = Field(
        description="loading starts (road) or the train leaves (rail), minutes from the instance start"
    )
    end: float = Field(
        description="unloading ends (road) or the train arrives (rail), minutes from the instance start"
    )


class ShipmentOutcome(_Model):
    """How one served shipment went: its way, its trucks and its times."""

    shipment: str = Field(description="id of the shipment")
    itinerary: ITINERARIES = Field(
        "direct",
        description="direct: one outside truck; relay_in / relay_out / inside / relay_through: "
        "with loop drivers at relay stations; rail: by train; transload: two trucks",
    )
    stations: list[str] = Field(
        default_factory=list, description="relay stations its truck passes to reach its ends"
    )
    truck: str = Field(description="the truck that picks it up")
    segments: list[Segment] = Field(
        default_factory=list, description="its way part by part, in order"
    )
    pickup: float = Field(description="pickup service start, minutes from the instance start")
    delivered: float = Field(
        description="end of unloading at the destination, minutes from the instance start"
    )
    delay: float = Field(description="minutes delivered after its due time (0: on time)")
    weighted_delay: float = Field(description="delay times priority (priority x minutes)")


class Unserved(_Model):
    """A shipment the plan does not carry, and why."""

    shipment: str = Field(description="id of the shipment")
    reason: str = Field(description="short code: needs_relay_station, no_truck, dropped…")
    detail: str = Field(description="the reason in words")


class Handover(_Model):
    """A truck changing driver at a relay station ("swap the driver, keep the truck")."""

    station: str = Field(description="id of the relay station")
    truck: str = Field(description="id of the truck")
    direction: Literal["in", "out"] = Field(description="in: to a loop driver; out: back")
    start: float = Field(description="handover starts, minutes from the instance start")
    end: float = Field(description="handover ends, minutes from the instance start")
    from_driver: str = Field(description="the driver who hands the truck over")
    to_driver: str = Field(description="the driver who takes it")


class Excursion(_Model):
    """One trip of a loop driver: takes a truck in at the station and brings it back."""

    truck: str = Field(description="id of the truck taken in")
    start: float = Field(description="handover-in start, minutes from the instance start")
    end: float = Field(description="handover-out end, minutes from the instance start")
    places: list[str] = Field(description="ids of the places served inside")


class LoopDuty(_Model):
    """A loop driver's day: excursions from and back to the home station."""

    driver: str = Field(description="the loop driver's id (pool id and number)")
    name: str | None = Field(
        None, description="the driver's name or staff id, from its pool's `drivers`"
    )
    pool: str = Field(description="id of the driver pool")
    station: str = Field(description="id of the home relay station")
    zone: str = Field(description="id of the closed zone the driver works in")
    start: float = Field(
        description="duty starts: the first handover-in, minutes from the instance start"
    )
    end: float = Field(
        description="duty ends: the last handover-out, minutes from the instance start"
    )
    excursions: list[Excursion] = Field(description="trips into the zone, in order")


class Pass(_Model):
    """A freight pass the pass service issues: one truck entering one permit zone.

    Its ``id`` follows from the truck, the checkpoint and the time it is valid from, so
    that re-deriving it (or inserting a trip elsewhere in the plan) gives the same id.
    """

    id: str = Field(
        "",
        description="stable id: pass-<truck>-<checkpoint>-<seconds from the instance start "
        "it is valid from>; empty in plans older than it",
    )
    truck: str = Field(description="id of the truck the pass is for")
    plate: str | None = Field(None, description="the truck's plate, as the instance gives it")
    driver: str = Field(description="the driver driving it through the checkpoint")
    driver_name: str | None = Field(
        None, description="name or staff id of the driver, as the instance gives it"
    )
    checkpoint: str = Field(description="id of the checkpoint it enters by")
    zone: str = Field(description="id of the permit zone")
    valid_from: float = Field(
        description="minutes from the instance start: reaching the checkpoint"
    )
    valid_to: float = Field(
        description="minutes from the instance start: leaving the zone (or the end of the day)"
    )
    valid_from_at: str = Field(
        "", description="valid_from as ISO 8601 date-time with the instance's UTC offset"
    )
    valid_to_at: str = Field(
        "", description="valid_to as ISO 8601 date-time with the instance's UTC offset"
    )
    shipments: list[str] = Field(
        default_factory=list,
        description="the shipments it is for: aboard while the truck is in the zone, sorted",
    )


class Transload(_Model):
    """Goods moved from one truck to another at a transload station."""

    station: str = Field(description="id of the transload station")
    shipment: str = Field(description="id of the shipment moved")
    time: float = Field(
        description="the goods are down: end of unloading from_truck, minutes from the instance start"
    )
    ready: float = Field(
        description="time + the station's transload minutes, minutes from the instance start"
    )
    from_truck: str = Field(description="id of the truck that brings the goods")
    to_truck: str = Field(description="id of the truck that takes them on")


class RailBooking(_Model):
    """Shipments riding one departure of a rail service."""

    service: str = Field(description="id of the rail service")
    departure: float = Field(description="the train leaves, minutes from the instance start")
    arrival: float = Field(description="the train arrives, minutes from the instance start")
    shipments: list[str] = Field(description="ids of the shipments on board")
    load: dict[str, float] = Field(description="their amount per capacity dimension")
    cost: float = Field(description="the departure's cost, in the objective's units")


class PriorityClass(_Model):
    """The plan's figures for the shipments of one priority."""

    priority: float = Field(description="the shipments' priority (weight of their delay)")
    shipments: int = Field(description="shipments of this priority in the instance")
    served: int = Field(description="of them delivered")
    on_time_share: float = Field(description="share of the served delivered by due, 0-1")
    weighted_delay: float = Field(description="sum of priority x minutes late, served ones")
    max_delay: float = Field(description="minutes late of the latest served one (0: none late)")


class KPIs(_Model):
    """The plan's figures."""

    objective: float = Field(
        description="the plan's objective: weighted unserved + delay + cost terms, in units of "
        "one priority-weighted minute of delay (lower is better)"
    )
    weighted_delay: float = Field(description="sum of priority x minutes late")
    delay_lower_bound: float = Field(
        description="priority x minutes late with each shipment alone by its fastest way and "
        "unlimited trucks and drivers: no plan does better",
    )
    served: int = Field(description="shipments delivered")
    unserved: int = Field(description="shipments not delivered")
    on_time_share: float = Field(description="share of served delivered by due, 0-1")
    km: float = Field(description="road km of all trucks")
    trucks_used: int = Field(description="trucks with at least one shipment")
    loop_drivers_used: int = Field(0, description="loop drivers called in")
    handovers: int = Field(0, description="driver handovers at relay stations")
    passes: int = Field(0, description="freight passes to issue")
    transloads: int = Field(0, description="goods moved between trucks")
    rail_bookings: int = Field(0, description="rail departures used")
    solve_seconds: float = Field(description="wall-clock seconds the solve took")
    by_priority: list[PriorityClass] = Field(
        default_factory=list,
        description="the same figures per priority class, most urgent first",
    )


class Validation(_Model):
    """What the independent validator said of the plan when ``solve`` wrote it."""

    valid: bool = Field(description="false: the plan breaks the rules listed here")
    rules: dict[str, int] = Field(
        default_factory=dict, description="rule id (R1-R12, PLAN) -> violations of it"
    )
    violations: list[str] = Field(default_factory=list, description="each violation, in words")


class InstanceRef(_Model):
    """The instance a plan was made for: its name and the SHA-256 of its file."""

    name: str = Field(description="the instance's name")
    sha256: str = Field(description="SHA-256 of the instance file (hex)")


class Plan(_Model):
    """What relayroute decided for one day, as data.

    Routes (stops and legs, with drivers and checkpoint crossings), each shipment's
    outcome, the unserved with their reasons, and the lists stations, drivers and the pass
    service read: handovers, loop-driver duties, passes, transloads, rail bookings; then
    the KPIs. :func:`relayroute.validate` checks every part of it against the instance;
    :func:`relayroute.write_plan` / :func:`relayroute.read_plan` move it to and from JSON.
    """

    format: str = Field(PLAN_FORMAT, description="the plan format and its version")
    relayroute_version: str = Field(description="the relayroute version that made the plan")
    instance: InstanceRef = Field(description="the instance the plan was made for")
    solver: dict[str, Any] = Field(
        description="the solver configuration as run, and what the run did (status, solutions, "
        "phases in seconds)"
    )
    routes: list[TruckRoute] = Field(description="one per truck used")
    shipments: list[ShipmentOutcome] = Field(description="one per served shipment")
    unserved: list[Unserved] = Field(description="the shipments not served, with reasons")
    handovers: list[Handover] = Field(
        default_factory=list, description="every driver handover at a relay station"
    )
    loop_drivers: list[LoopDuty] = Field(
        default_factory=list, description="each loop driver's duty"
    )
    passes: list[Pass] = Field(
        default_factory=list, description="the freight passes the pass service issues"
    )
    transloads: list[Transload] = Field(
        default_factory=list, description="goods moved from one truck to another"
    )
    rail_bookings: list[RailBooking] = Field(
        default_factory=list, description="the rail departures used"
    )
    kpis: KPIs = Field(description="the plan's figures")
    validation: Validation | None = Field(
        None,
        description="the validator's verdict when the plan was written; none: not checked then "
        "(plans written by `relayroute solve` always carry it)",
    )

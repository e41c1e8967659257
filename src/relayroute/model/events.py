"""Disruptions during the day, as typed events: what :func:`relayroute.replan` re-plans for.

Each event names the object it hits and, where it has one, the window it lasts (minutes
from the instance start; ``None``: from the re-planning time to the end of the day). On
the command line an event is written ``kind:object[:from-to]``, times as ``HH:MM`` in the
instance's local clock or as minutes::

    checkpoint-closed:cp_yiwu_g60            closed from the re-planning time on
    checkpoint-closed:cp_liling_park_w:10:00-14:00
    checkpoint-reopened:cp_north:13:00-18:00
    station-closed:rs_yiwu_port
    loop-drivers-fewer:rs_west:2             two of the station's loop drivers off
    truck-broken:T07
    shipments-cancelled:S12,S14
    shipments-added:new-orders.json          a JSON shipment or list of shipments
    road-closed:yiwu_port-jiangdong          the road between two network nodes
    road-closed:yiwu_port-jiangdong:12:00-15:00
    zone-policy:dongyang:closed_loop         the zone's policy from the re-planning time on
    zone-policy:yiwu:permit:T01,T02          eased to permit, two trucks given a permit

A road is named by the network nodes at its ends, as the edge table's ``from`` and ``to``
name them (both directions close; node ids with a ``-`` in them: the JSON form,
``{"kind": "road-closed", "road": ["a-1", "b"]}``). A zone's policy change goes into the
day as the zone's ``changes`` (:class:`relayroute.model.instance.ZoneChange`), so the
validator judges the morning by the old policy and the rest of the day by the new one.
A new zone (a cordon round an area that had none) is the JSON form with a ``polygon``
and its ``checkpoints``: open until the re-planning time, then the policy given. A zone
turning closed-loop may come with the ``relay_stations`` opened for it (at existing
``places`` or new ones) and the loop ``driver_pools`` who work from them. On the
command line the JSON forms are read from a file (``relayroute replan --events FILE``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from relayroute.errors import InputError
from relayroute.model.instance import (
    Checkpoint,
    DriverPool,
    Id,
    Place,
    RelayStation,
    Shipment,
    Window,
)

if TYPE_CHECKING:
    from datetime import datetime


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckpointClosed(_Event):
    """A checkpoint shut: no truck may cross it during ``window``."""

    kind: Literal["checkpoint-closed"] = "checkpoint-closed"
    checkpoint: Id = Field(description="id of the checkpoint")
    window: Window | None = Field(None, description="[from, to]; none: from `at` on")


class CheckpointReopened(_Event):
    """A closed checkpoint open again during ``window``."""

    kind: Literal["checkpoint-reopened"] = "checkpoint-reopened"
    checkpoint: Id = Field(description="id of the checkpoint")
    window: Window | None = Field(None, description="[from, to]; none: from `at` on")


class StationClosed(_Event):
    """A relay station shut: no handover or transload there during ``window``."""

    kind: Literal["station-closed"] = "station-closed"
    station: Id = Field(description="id of the relay station")
    window: Window | None = Field(None, description="[from, to]; none: from `at` on")


class LoopDriversFewer(_Event):
    """Some of a station's loop drivers fall out from ``at`` on (sick, called away)."""

    kind: Literal["loop-drivers-fewer"] = "loop-drivers-fewer"
    station: Id = Field(description="id of the relay station whose loop drivers fall out")
    fewer: int = Field(1, ge=1, description="how many drivers fall out")


class TruckBroken(_Event):
    """A truck breaks down at ``at``: it ends its day where the plan can stop it."""

    kind: Literal["truck-broken"] = "truck-broken"
    truck: Id = Field(description="id of the truck")


class ShipmentsAdded(_Event):
    """New orders for the rest of the day."""

    kind: Literal["shipments-added"] = "shipments-added"
    shipments: list[Shipment] = Field(min_length=1, description="the new shipments")


class ShipmentsCancelled(_Event):
    """Orders withdrawn before they are picked up."""

    kind: Literal["shipments-cancelled"] = "shipments-cancelled"
    shipments: list[Id] = Field(min_length=1, description="ids of the shipments withdrawn")


class RoadClosed(_Event):
    """A road cut: no truck drives it during ``window`` (a truck on it at the re-planning
    time finishes its way)."""

    kind: Literal["road-closed"] = "road-closed"
    road: tuple[Id, Id] = Field(description="network nodes at the road's two ends")
    window: Window | None = Field(None, description="[from, to]; none: from `at` on")


class ZonePolicyChanged(_Event):
    """A zone's policy or area changes from the re-planning time on: a cordon tightened
    (permit to closed-loop), eased (closed-loop to permit or open), drawn wider or
    narrower (a new ``polygon``), or a new zone drawn.

    A truck inside when it changes is judged by the policy it entered under, or the new
    one where that is the more lenient: inside a zone that closes, it finishes what it
    came for and leaves; inside one that opens, it is free at once; standing where a
    zone drawn wider takes in, it is inside one that closes."""

    kind: Literal["zone-policy"] = "zone-policy"
    zone: Id = Field(description="id of the zone")
    policy: Literal["closed_loop", "permit", "open"] = Field(description="its policy from `at` on")
    permits: list[Id] = Field(
        default_factory=list,
        description="trucks given a permit for the zone from `at` on (a change to permit)",
    )
    polygon: list[list[tuple[float, float]]] | None = Field(
        None,
        description="a new zone: its GeoJSON Polygon coordinates (open until `at`); a zone "
        "the day has: its area from `at` on (drawn wider or narrower; its checkpoints off "
        "the new boundary are no gates from then on); none: the area it has",
    )
    name: str = Field("", description="a new zone's name")
    checkpoints: list[Checkpoint] = Field(
        default_factory=list,
        description="a new zone's checkpoints, or new ones on a zone's new boundary (their "
        "`zone` this one)",
    )
    relay_stations: list[RelayStation] = Field(
        default_factory=list,
        description="relay stations opened for a zone turning closed_loop, from `at` on "
        "(their `zone` this one)",
    )
    driver_pools: list[DriverPool] = Field(
        default_factory=list,
        description="loop drivers called in for a zone turning closed_loop (kind `loop`, "
        "their `zone` this one, their `station` one of its relay stations)",
    )
    places: list[Place] = Field(
        default_factory=list, description="new places the new relay stations stand at"
    )


Event = Annotated[
    CheckpointClosed
    | CheckpointReopened
    | StationClosed
    | LoopDriversFewer
    | TruckBroken
    | ShipmentsAdded
    | ShipmentsCancelled
    | RoadClosed
    | ZonePolicyChanged,
    Field(discriminator="kind"),
]
"""One event of the day, told apart by its ``kind``."""

KINDS = (
    "checkpoint-closed",
    "checkpoint-reopened",
    "station-closed",
    "loop-drivers-fewer",
    "truck-broken",
    "shipments-added",
    "shipments-cancelled",
    "road-closed",
    "zone-policy",
)

_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_time(text: str, start: datetime) -> float:
    """A time of the day as minutes from the instance start.

    Parameters
    ----------
    text
        ``HH:MM`` in the instance's local clock (the offset of its ``start``), or a number
        of minutes from the start.
    start
        The instance's ``start``.

    Returns
    -------
    float
        Minutes from ``start`` (a clock time before ``start``'s own is taken the next day).

    Raises
    ------
    InputError
        The text is neither.
    """
    m = _CLOCK.match(text.strip())
    if m:
        h, mi = int(m.group(1)), int(m.group(2))
        if h > 24 or mi > 59:
            raise InputError(text, "not a clock time (HH:MM, 00:00 to 24:00)")
        minutes = h * 60 + mi - (start.hour * 60 + start.minute)
        return float(minutes if minutes >= 0 else minutes + 1440)
    try:
        value = float(text)
    except ValueError:
        raise InputError(text, "a time is HH:MM or minutes from the instance start") from None
    if not value >= 0:
        raise InputError(text, "a time is not negative")
    return value


def parse_event(text: str, start: datetime, base: Path | None = None) -> Event:
    """An event from its command-line form ``kind:object[:from-to]``.

    Parameters
    ----------
    text
        E.g. ``checkpoint-closed:cp_yiwu_g60:10:00-14:00`` (see the module's list).
    start
        The instance's ``start``, for clock times.
    base
        Folder a ``shipments-added`` file is relative to (the working folder if none).

    Returns
    -------
    Event

    Raises
    ------
    InputError
        Naming the event text and what is wrong in it.
    """
    kind, sep, rest = text.partition(":")
    if kind not in KINDS:
        known = ", ".join(KINDS)
        raise InputError(f"event {text!r}", f"unknown kind {kind!r} (known: {known})")
    if not sep or not rest:
        raise InputError(f"event {text!r}", "needs an object: kind:object[:from-to]")
    obj, _, tail = rest.partition(":")
    data: dict[str, object] = {"kind": kind}
    where = f"event {text!r}"
    if kind in ("checkpoint-closed", "checkpoint-reopened", "station-closed"):
        data["checkpoint" if kind.startswith("checkpoint") else "station"] = obj
        if tail:
            data["window"] = _window_text(tail, start, where)
    elif kind == "loop-drivers-fewer":
        data["station"] = obj
        if tail:
            if not tail.isdigit():
                raise InputError(where, "how many fewer is a whole number, e.g. :2")
            data["fewer"] = int(tail)
    elif kind == "road-closed":
        ends = obj.split("-")
        if len(ends) != 2 or not all(ends):
            raise InputError(
                where,
                "a road is NODE-NODE, e.g. road-closed:yiwu_port-jiangdong (node ids with "
                "a '-' in them: the JSON form)",
            )
        data["road"] = ends
        if tail:
            data["window"] = _window_text(tail, start, where)
    elif kind == "zone-policy":
        policy, _, trucks = tail.partition(":")
        if not policy:
            raise InputError(
                where, "name the new policy: zone-policy:ZONE:closed_loop|permit|open[:TRUCKS]"
            )
        data.update(zone=obj, policy=policy, permits=[t for t in trucks.split(",") if t])
    elif kind == "truck-broken":
        if tail:
            raise InputError(where, "a truck breakdown takes no window")
        data["truck"] = obj
    elif kind == "shipments-cancelled":
        data["shipments"] = [s for s in rest.split(",") if s]
    else:  # shipments-added: a JSON file
        path = Path(rest) if base is None or Path(rest).is_absolute() else base / rest
        loaded = _json(path)
        data["shipments"] = loaded if isinstance(loaded, list) else [loaded]
    return event_from_data(data, where)


def _json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"not JSON: {exc.msg} (line {exc.lineno})") from None


def read_events(path: Path) -> list[Event]:
    """Events in their JSON form from a file: one event object or a list of them.

    Parameters
    ----------
    path
        The JSON file (times in minutes from the instance start).

    Returns
    -------
    list of Event

    Raises
    ------
    InputError
        The file cannot be read, is not JSON, or an event in it is wrong (named by its
        place in the list).
    """
    data = _json(path)
    items = data if isinstance(data, list) else [data]
    if not items:
        raise InputError(str(path), "lists no event")
    return [event_from_data(x, f"{path} [{k}]") for k, x in enumerate(items)]


def _window_text(tail: str, start: datetime, where: str) -> tuple[float, float]:
    lo, dash, hi = tail.partition("-")
    if not dash:
        raise InputError(where, "a window is written from-to, e.g. 10:00-14:00")
    return (parse_time(lo, start), parse_time(hi, start))


def event_from_data(data: object, where: str = "event") -> Event:
    """An event from its JSON data, schema errors as one :class:`InputError`.

    Parameters
    ----------
    data
        E.g. ``{"kind": "station-closed", "station": "rs_west"}``.
    where
        How to name it in an error.

    Returns
    -------
    Event
    """
    if isinstance(data, BaseModel) and getattr(data, "kind", None) in KINDS:
        return data  # type: ignore[return-value]
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"][1:]) or "kind"
        raise InputError(f"{where} {loc}", err["msg"]) from None

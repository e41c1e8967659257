"""The instance: one day of freight around closed zones, as typed pydantic models.

Times are minutes from ``Instance.start``; coordinates are WGS84 ``lon``/``lat``
(or plain x/y in the ``euclidean`` network mode). Everything an instance may hold
is typed and validated here, including parts a given solver does not use yet.
Checks that need several objects at once (references, geometry) live in
:mod:`relayroute.model.checks`.

Numbers are strict: where a number is expected, JSON ``true``/``false`` and strings such as
``"12"`` are refused with their path (pydantic would take them as 1.0 and 12.0); JSON
integers are numbers, Infinity and NaN are not. Where a flag is expected only ``true`` or
``false`` is taken, and ``start`` is a date-time string, never a number.

Limits
------
Every limit an instance is held to is stated here, once:

=============================  ===============  =============================================
constant                       value            what it bounds
=============================  ===============  =============================================
:data:`MAX_MINUTES`            10,000,000       every time and duration (minutes)
:data:`MAX_AMOUNT`             1e9              each quantity and capacity
:data:`MAX_PRIORITY`           1,000            a shipment's priority
:data:`MAX_WEIGHT`             1e10             each objective weight
:data:`MAX_POOL`               100,000          drivers in one pool, and loop drivers of all
                                                pools together (each gets a duty roster)
:data:`MAX_BAYS`               100,000          bays of one relay station, and of all
                                                stations together (each gets a calendar)
:data:`MAX_INPUT_BYTES`        200 MB           an instance file
:data:`MAX_SHIPMENTS`          100,000          shipments
:data:`MAX_PLACES`             200,000          places
:data:`MAX_TRUCKS`             20,000           trucks
:data:`MAX_OBJECTS`            10,000           zones, checkpoints, relay and rail stations,
                                                rail services, depots, driver pools
:data:`MAX_VERTICES`           100,000          positions of one zone polygon, all rings
:data:`MAX_ENTRIES`            10,000           a list inside one object: opening windows,
                                                departures, permits, transit roads and nodes
:data:`MAX_DIMENSIONS`         100              capacity dimensions of one truck or quantity
:data:`MAX_COORDINATE`         1e9              x and y (absolute) in the euclidean mode (lon/lat
                                                are WGS84 in the others)
=============================  ===============  =============================================

The numeric maxima keep every figure far inside OR-Tools' 64-bit integers after scaling
(the largest bundled or converted benchmark reaches 360,000 minutes, 1,000 units, 1e9);
the size limits keep reading within memory and far above real use (the largest bundled
instance has 500 shipments and 130 trucks, the largest literature benchmark 1,000
customers; a generated 2,000-shipment day is 1/50 of the limit). Past a limit the input is
refused with its JSON path (or file) and the limit, before the items are validated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PrivateAttr,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import core_schema

# The limits (stated in the table above) live in their own module, which the checks
# across objects also read; all of them stay importable from here.
from relayroute.model.limits import (
    LIMIT_NOTE,
    MAX_AMOUNT,
    MAX_BAYS,
    MAX_COORDINATE,  # noqa: F401  (stated in the table above; read by the checks)
    MAX_DIMENSIONS,
    MAX_ENTRIES,
    MAX_INPUT_BYTES,  # noqa: F401  (stated in the table above; read by io.instance)
    MAX_MINUTES,
    MAX_OBJECTS,
    MAX_PLACES,
    MAX_POOL,
    MAX_PRIORITY,
    MAX_SHIPMENTS,
    MAX_TRUCKS,
    MAX_VERTICES,
    MAX_WEIGHT,
)

if TYPE_CHECKING:
    from pydantic.json_schema import JsonSchemaValue


def strict_number(value: Any) -> Any:
    """Refuse what pydantic would coerce to a number but JSON does not mean as one.

    Parameters
    ----------
    value
        The input where a number is expected.

    Returns
    -------
    Any
        ``value`` unchanged, for pydantic's own number check (range, finiteness).

    Raises
    ------
    ValueError
        ``value`` is a boolean or a string (or bytes).
    """
    if isinstance(value, bool):
        raise ValueError("a number is expected, not a boolean")
    if isinstance(value, str | bytes | bytearray):
        raise ValueError("a number is expected, not a string")
    return value


_NUMBER = BeforeValidator(strict_number)

Real = Annotated[float, _NUMBER]
"""A number: JSON integers and decimals; not booleans, strings, Infinity or NaN."""
Count = Annotated[int, _NUMBER]
"""A whole number: not a boolean, a string or a fraction."""
Flag = Annotated[bool, Strict()]
"""``true`` or ``false`` only (not 1, 0, ``"yes"`` or ``"false"``)."""

Minutes = Annotated[
    float, Field(ge=0, le=MAX_MINUTES, description="minutes from the instance start"), _NUMBER
]
Duration = Annotated[
    float, Field(ge=0, le=MAX_MINUTES, description="a duration in minutes"), _NUMBER
]
Id = Annotated[str, Field(min_length=1, description="an identifier, unique in its list")]
FilePath = Annotated[
    str, Field(min_length=1, description="a file, relative to the instance file's folder")
]


@dataclass(frozen=True)
class _AtMost:
    """Annotation: a list (or object) of at most ``limit`` entries, checked before its items.

    Checked first, an oversized input is refused at once with the limit, not after
    validating every item; the JSON Schema states it as ``maxItems`` (``maxProperties``).
    """

    limit: int
    what: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        limit, what = self.limit, self.what

        def check(value: Any) -> Any:
            if isinstance(value, list | dict) and len(value) > limit:
                raise ValueError(f"at most {limit:,} {what} ({LIMIT_NOTE}), got {len(value):,}")
            return value

        return core_schema.no_info_before_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        out = handler(schema)
        target = handler.resolve_ref_schema(out)
        if target.get("type") == "array":
            target["maxItems"] = self.limit
        elif target.get("type") == "object":
            target["maxProperties"] = self.limit
        return out


def _vertices_at_most(value: Any) -> Any:
    if isinstance(value, list):
        n = sum(len(ring) for ring in value if isinstance(ring, list))
        if n > MAX_VERTICES:
            raise ValueError(
                f"at most {MAX_VERTICES:,} positions in one polygon ({LIMIT_NOTE}), got {n:,}"
            )
    return value


def _check_window(window: tuple[float, float]) -> tuple[float, float]:
    start, end = window
    if end < start:
        raise ValueError(f"window [{start:g}, {end:g}] ends before it starts")
    return window


Window = Annotated[
    tuple[Minutes, Minutes],
    AfterValidator(_check_window),
    Field(description="[from, to] in minutes from the instance start"),
]
Windows = Annotated[list[Window], _AtMost(MAX_ENTRIES, "windows")]
Quantity = Annotated[
    dict[str, Annotated[float, Field(ge=0, le=MAX_AMOUNT), _NUMBER]],
    Field(description="amount per capacity dimension"),
    _AtMost(MAX_DIMENSIONS, "capacity dimensions"),
]
Position = tuple[Real, Real]


class _Strict(BaseModel):
    # Infinity and NaN (which Python's JSON reader accepts) are refused with their path.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Place(_Strict):
    """A site trucks visit: factory, supplier, customer, depot or station."""

    id: Id
    name: str = Field("", description="name shown on maps and in tables")
    kind: str = Field(
        "site", description="free label: factory, supplier, customer, depot, station…"
    )
    lon: Real = Field(
        description="longitude, WGS84 degrees -180..180 (x in euclidean mode)", examples=[120.0753]
    )
    lat: Real = Field(
        description="latitude, WGS84 degrees -90..90 (y in euclidean mode)", examples=[29.3069]
    )
    node: str | None = Field(None, description="road-network node; nearest node when omitted")
    hours: Windows = Field(
        default_factory=list,
        description="opening windows, [from, to] in minutes from the instance start; empty = "
        "always open",
        examples=[[[420, 1140]]],
    )


class TransitRoad(_Strict):
    """A sealed road through a zone: through traffic only, every exit on the way closed.

    Real practice kept expressways open across closed cities with their exits shut. Any
    driver may drive such a road from one end to the other without stopping; it enters and
    leaves it only at its ends (road mode only).
    """

    id: Id
    nodes: Annotated[list[str], _AtMost(MAX_ENTRIES, "nodes")] = Field(
        min_length=2,
        description="road-network nodes from one end to the other, consecutive nodes joined by "
        "a road; both ends outside every restricted zone",
    )


class ZoneChange(_Strict):
    """The zone's policy, and maybe its area, from a time of the day on (a cordon
    announced at noon, or drawn wider)."""

    at: Minutes = Field(description="minutes from the instance start the new policy holds from")
    policy: Literal["closed_loop", "permit", "open"] = Field(description="the policy from then on")
    polygon: Annotated[list[list[Position]] | None, BeforeValidator(_vertices_at_most)] = Field(
        None,
        description="the zone's area from then on, as its `polygon`; none: the area it had",
    )


class Zone(_Strict):
    """An area with an access policy, as a GeoJSON Polygon (lon/lat rings).

    ``changes`` make the policy change during the day. A truck is judged by the policy in
    force when its stay in the zone began: one inside when the zone closes finishes what it
    came for and leaves. Only the validator and :func:`relayroute.replan` read changes;
    a day with changes cannot be solved whole (a re-plan from the change is).
    """

    id: Id
    name: str = Field("", description="name shown on maps and in tables")
    policy: Literal["closed_loop", "permit", "open"] = Field(
        description="closed_loop: only the zone's loop drivers drive inside; permit: any truck "
        "with a pass, through a checkpoint; open: no restriction"
    )
    polygon: Annotated[list[list[Position]], BeforeValidator(_vertices_at_most)] = Field(
        description="GeoJSON Polygon coordinates, [lon, lat] in WGS84 degrees: exterior ring "
        "first, then holes; rings closed (first position repeated last)",
        examples=[
            [[[120.0, 29.25], [120.15, 29.25], [120.15, 29.36], [120.0, 29.36], [120.0, 29.25]]]
        ],
    )
    transit_roads: Annotated[list[TransitRoad], _AtMost(MAX_ENTRIES, "transit roads")] = Field(
        default_factory=list,
        description="sealed roads through the zone that any driver may drive end to end without "
        "stopping; none by default",
    )
    changes: Annotated[list[ZoneChange], _AtMost(MAX_ENTRIES, "changes")] = Field(
        default_factory=list,
        description="policy changes during the day, in time order; none by default",
    )

    def area_at(self, t: float) -> list[list[Position]]:
        """The polygon in force at ``t`` (minutes from the instance start)."""
        rings = self.polygon
        for c in self.changes:
            if c.at <= t and c.polygon is not None:
                rings = c.polygon
        return rings

    @property
    def areas(self) -> list[tuple[float, float, list[list[Position]]]]:
        """``(from, to, polygon)`` for each area the zone has in the day, in time order."""
        out = [(0.0, math.inf, self.polygon)]
        for c in self.changes:
            if c.polygon is not None:
                out[-1] = (out[-1][0], c.at, out[-1][2])
                out.append((c.at, math.inf, c.polygon))
        return out

    def policy_at(self, t: float) -> str:
        """The policy in force at ``t`` (minutes from the instance start)."""
        policy: str = self.policy
        for c in self.changes:
            if c.at <= t:
                policy = c.policy
        return policy

    @property
    def policies(self) -> set[str]:
        """Every policy the zone has during the day."""
        return {self.policy, *(c.policy for c in self.changes)}

    @property
    def restricted(self) -> bool:
        """Closed-loop or permit at some time of the day."""
        return self.policies != {"open"}


class Checkpoint(_Strict):
    """The only place a truck may cross a zone's boundary."""

    id: Id
    name: str = Field("", description="name shown on maps and in tables")
    zone: Id = Field(description="id of the zone whose boundary it gates")
    lon: Real = Field(description="longitude, WGS84 degrees -180..180 (x in euclidean mode)")
    lat: Real = Field(description="latitude, WGS84 degrees -90..90 (y in euclidean mode)")
    node: str | None = Field(None, description="road-network node of the gate (road mode)")
    delay: Duration = Field(0, description="inspection/disinfection minutes per crossing")
    hours: Windows = Field(default_factory=list, description="open windows; empty = always open")
    throughput_per_hour: Annotated[int, Field(ge=1), _NUMBER] | None = Field(
        None, description="trucks it can inspect per clock hour (at least 1); none = unlimited"
    )
    closed: Flag = Field(False, description="true: no truck may cross here")


class RelayStation(_Strict):
    """Where an outside driver hands a truck to a loop driver, and/or goods change trucks."""

    id: Id
    name: str = Field("", description="name shown on maps and in tables")
    zone: Id | None = Field(
        None,
        description="the closed zone this station serves; needed for driver_swap, "
        "optional for a transload-only station",
    )
    place: Id = Field(description="id of the place where the station stands")
    driver_swap: Flag = Field(
        True, description="a truck may change driver here (outside driver <-> loop driver)"
    )
    transload: Flag = Field(False, description="goods may be moved here from one truck to another")
    handover_minutes: Duration = Field(15, description="minutes one driver handover takes")
    transload_minutes: Duration = Field(
        45, description="minutes from goods unloaded to ready for the next truck"
    )
    bays: Count = Field(
        1, ge=1, le=MAX_BAYS, description="simultaneous handovers/transloads (1 to 100,000)"
    )
    hours: Windows = Field(
        default_factory=list,
        description="open windows, [from, to] in minutes from the instance start; empty = always "
        "open",
    )


class RailStation(_Strict):
    """A freight railway station, reached by road at ``place``."""

    id: Id
    name: str = Field("", description="name shown on maps and in tables")
    place: Id = Field(description="id of the place where trucks reach the station")
    handling_minutes: Duration = Field(
        60, description="minutes after a train arrives until its goods can be collected"
    )


class RailService(_Strict):
    """A train between two rail stations on a timetable."""

    id: Id
    origin: Id = Field(description="id of the rail station the train leaves from")
    destination: Id = Field(description="id of the rail station it arrives at")
    departures: Annotated[list[Minutes], _AtMost(MAX_ENTRIES, "departures")] = Field(
        min_length=1,
        description="departure times, minutes from the instance start (at least one)",
        examples=[[360, 840]],
    )
    duration: Duration = Field(description="minutes from departure to arrival")
    cutoff_minutes: Duration = Field(
        60, description="minutes before departure by which the goods must be at the station"
    )
    capacity: Quantity = Field(description="room on one departure, per capacity dimension")
    cost: Real = Field(
        0, ge=0, description="cost per departure used, in the objective's units (weight rail)"
    )


class Depot(_Strict):
    """Where trucks start and end their day."""

    id: Id
    place: Id = Field(description="id of the place where the depot stands")


class DriverPool(_Strict):
    """Drivers who share a shift: outside drivers, or loop drivers bound to one zone."""

    id: Id
    name: str = Field("", description="the pool's name, for people (free text)")
    drivers: Annotated[list[Id], _AtMost(MAX_ENTRIES, "drivers")] = Field(
        default_factory=list,
        description="name or staff id of each driver of the pool, in order, at most `count`: "
        "loop driver `<pool>/<k>` of a plan is the k-th; none by default",
    )
    kind: Literal["outside", "loop"] = Field(
        description="outside: trucks' own drivers, never inside a closed zone; loop: bound to "
        "one closed zone and its relay stations"
    )
    zone: Id | None = Field(None, description="closed zone (loop drivers)")
    station: Id | None = Field(None, description="home relay station (loop drivers)")
    count: Count = Field(ge=0, le=MAX_POOL, description="drivers in the pool (0 to 100,000)")
    shift: Window = Field(
        description="[from, to] the drivers may work, minutes from the instance start",
        examples=[[360, 1320]],
    )
    max_duty: Duration = Field(
        600, gt=0, description="longest duty of one driver in minutes (more than 0)"
    )


class Truck(_Strict):
    """A truck of the fleet, driven by its own outside driver outside closed zones."""

    id: Id
    plate: str | None = Field(
        None, min_length=1, description="registration plate, written on its passes"
    )
    driver: str | None = Field(
        None,
        min_length=1,
        description="name or staff id of its own (outside) driver, written on its passes",
    )
    depot: Id = Field(description="id of the depot it starts from")
    end_depot: Id | None = Field(None, description="id of the depot it ends at; none = its start")
    capacity: Annotated[
        dict[str, Annotated[float, Field(gt=0, le=MAX_AMOUNT), _NUMBER]],
        _AtMost(MAX_DIMENSIONS, "capacity dimensions"),
    ] = Field(
        min_length=1,
        description="room per capacity dimension (each more than 0), in the units the "
        "shipments' quantities use",
        examples=[{"pallets": 20, "kg": 18000}],
    )
    available: Window = Field(
        description="[from, to] the truck may be used, minutes from the instance start"
    )
    permits: Annotated[list[Id], _AtMost(MAX_ENTRIES, "permits")] = Field(
        default_factory=list, description="permit zones it may get a pass for"
    )
    driver_pool: Id | None = Field(None, description="outside pool of its driver")


class Shipment(_Strict):
    """Goods to move from one place to another in the day."""

    id: Id
    origin: Id = Field(description="id of the place it is picked up at")
    destination: Id = Field(description="id of the place it is delivered to")
    quantity: Quantity = Field(
        min_length=1,
        description="amount per capacity dimension (each 0 to 1e9)",
        examples=[{"pallets": 4}],
    )
    ready: Minutes = Field(description="earliest pickup, minutes from the instance start")
    due: Minutes = Field(
        description="delivery due, minutes from the instance start; later counts as delay"
    )
    deadline: Minutes | None = Field(
        None, description="hard latest delivery, minutes from the instance start; none = no limit"
    )
    pickup_minutes: Duration = Field(20, description="loading minutes at the origin")
    delivery_minutes: Duration = Field(
        20,
        description="unloading minutes at the destination (the buffer zone inside a closed zone)",
    )
    priority: Real = Field(
        1,
        gt=0,
        le=MAX_PRIORITY,
        description="weight of its delay and of leaving it unserved "
        "(more than 0, at most 1,000; medical supplies high)",
    )


class ObjectiveWeights(_Strict):
    """unserved ≫ delay ≫ cost, in units of one priority-weighted minute of delay."""

    unserved: Real = Field(
        100_000, ge=0, le=MAX_WEIGHT, description="per unserved shipment, times its priority"
    )
    delay: Real = Field(1, ge=0, le=MAX_WEIGHT, description="per priority-weighted minute late")
    km: Real = Field(0.01, ge=0, le=MAX_WEIGHT, description="per km driven")
    truck: Real = Field(1, ge=0, le=MAX_WEIGHT, description="per truck used")
    loop_driver: Real = Field(1, ge=0, le=MAX_WEIGHT, description="per loop driver used")
    rail: Real = Field(1, ge=0, le=MAX_WEIGHT, description="times a departure's cost")


class NetworkSpec(_Strict):
    """How travel times are known.

    ``road``: a road graph (``nodes``+``edges`` GeoJSON/CSV, ``graphml`` or ``osm`` XML),
    paths relative to the instance file. ``straight_line``: geodesic km (WGS84) × ``detour_factor``
    at ``speed_kmh``. ``euclidean``: plain x/y distance, minutes = distance / ``speed``.
    """

    mode: Literal["road", "straight_line", "euclidean"] = Field(
        "straight_line",
        description="road: a road graph from the files below; straight_line: great-circle km "
        "times detour_factor at speed_kmh; euclidean: plain x/y distance (benchmarks)",
    )
    nodes: FilePath | None = Field(
        None, description="road nodes, GeoJSON or CSV, relative to the instance file (road mode)"
    )
    edges: FilePath | None = Field(
        None, description="road edges, GeoJSON or CSV, relative to the instance file (road mode)"
    )
    graphml: FilePath | None = Field(
        None, description="an osmnx GraphML road graph, relative to the instance file (road mode)"
    )
    osm: FilePath | None = Field(
        None, description="an OpenStreetMap XML extract, relative to the instance file (road mode)"
    )
    detour_factor: Real = Field(
        1.3, ge=1, description="road km per straight-line km, at least 1 (straight_line mode)"
    )
    speed_kmh: Real = Field(
        50, gt=0, description="travel speed in km/h, more than 0 (straight_line mode)"
    )
    speed: Real = Field(1, gt=0, description="distance units per minute (euclidean)")
    snap_km: Real = Field(
        2.0,
        gt=0,
        description="largest km between a place (or checkpoint) and its road node, snapped or named",
    )


class Instance(_Strict):
    """One day of traffic around closed zones: the input of every solve.

    Times are minutes from ``start`` (ISO 8601 with offset), coordinates WGS84 lon/lat,
    ids strings. Build one from JSON with :func:`relayroute.read_instance`, from Python
    data with :func:`relayroute.instance_from_data` (schema errors as one
    :class:`~relayroute.errors.InputError`) or as ``Instance(...)``: every way runs the
    same checks across objects (references, geometry;
    :func:`relayroute.model.checks.check_instance`), which raise
    :class:`~relayroute.errors.InputError` naming the JSON path. ``relayroute schema``
    prints the JSON Schema.
    """

    schema_: str | None = Field(
        None,
        alias="$schema",
        exclude=True,
        description="the JSON Schema an editor checks this file against; read and ignored",
        examples=["../schema/instance.schema.json"],
    )
    name: str = Field(description="name of the day, shown in plans and reports")
    start: datetime = Field(
        description="time zero: ISO 8601 date-time with UTC offset; every time is minutes from it",
        examples=["2022-08-12T00:00:00+08:00"],
    )
    horizon: Duration = Field(1440, gt=0, description="length of the day in minutes (more than 0)")
    network: NetworkSpec = Field(
        default_factory=NetworkSpec, description="how travel times and km are known"
    )
    places: Annotated[list[Place], _AtMost(MAX_PLACES, "places")] = Field(
        min_length=1, description="every site trucks visit (at least one)"
    )
    zones: Annotated[list[Zone], _AtMost(MAX_OBJECTS, "zones")] = Field(
        default_factory=list, description="areas with an access policy"
    )
    checkpoints: Annotated[list[Checkpoint], _AtMost(MAX_OBJECTS, "checkpoints")] = Field(
        default_factory=list, description="the gates in zone boundaries"
    )
    relay_stations: Annotated[list[RelayStation], _AtMost(MAX_OBJECTS, "relay stations")] = Field(
        default_factory=list, description="where trucks change driver or goods change trucks"
    )
    rail_stations: Annotated[list[RailStation], _AtMost(MAX_OBJECTS, "rail stations")] = Field(
        default_factory=list, description="freight railway stations"
    )
    rail_services: Annotated[list[RailService], _AtMost(MAX_OBJECTS, "rail services")] = Field(
        default_factory=list, description="trains between rail stations on a timetable"
    )
    depots: Annotated[list[Depot], _AtMost(MAX_OBJECTS, "depots")] = Field(
        min_length=1, description="where trucks start and end (at least one)"
    )
    driver_pools: Annotated[list[DriverPool], _AtMost(MAX_OBJECTS, "driver pools")] = Field(
        default_factory=list, description="outside and loop drivers by shift"
    )
    trucks: Annotated[list[Truck], _AtMost(MAX_TRUCKS, "trucks")] = Field(
        min_length=1, description="the fleet (at least one truck)"
    )
    shipments: Annotated[list[Shipment], _AtMost(MAX_SHIPMENTS, "shipments")] = Field(
        default_factory=list, description="the goods to move in the day"
    )
    objective: ObjectiveWeights = Field(
        default_factory=ObjectiveWeights, description="weights of the objective's terms"
    )

    _indices: dict[str, tuple[Any, dict[str, Any]]] = PrivateAttr(default_factory=dict)

    @field_validator("start", mode="before")
    @classmethod
    def _start_is_text(cls, value: Any) -> Any:
        # pydantic would read a number as seconds since 1970 (UTC): refuse it.
        if not isinstance(value, str | datetime):
            raise ValueError(
                "start is an ISO 8601 date-time string with offset, e.g. 2022-08-12T00:00:00+08:00"
            )
        return value

    @field_validator("start")
    @classmethod
    def _start_has_offset(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("start needs a UTC offset, e.g. 2022-08-12T00:00:00+08:00")
        return value

    @model_validator(mode="after")
    def _cross_checked(self, info: ValidationInfo) -> Instance:
        # The one entry point for the checks across objects, whatever the source: a file
        # (read_instance), Python data (instance_from_data) or Instance(...) itself. Raises
        # InputError (not a pydantic error) naming the JSON path. Only a test of the schema
        # alone asks for none: model_validate(data, context={"cross_checks": False}).
        if isinstance(info.context, dict) and info.context.get("cross_checks") is False:
            return self
        from relayroute.model.checks import check_instance

        check_instance(self)
        return self

    # Lookups by id, built once; the model is frozen so they stay valid.
    def _index(self, attr: str) -> dict[str, Any]:
        # Keyed to the list object itself: model_copy(update=...) shares this cache.
        items = getattr(self, attr)
        # The private dict directly: ``self._indices`` goes through pydantic's
        # __getattr__ (2 us), and these look-ups run millions of times on large days.
        private = self.__pydantic_private__
        indices: dict[str, tuple[Any, dict[str, Any]]] = (
            private["_indices"] if private is not None else self._indices
        )
        cached = indices.get(attr)
        if cached is None or cached[0] is not items:
            cached = (items, {o.id: o for o in items})
            indices[attr] = cached
        return cached[1]

    @property
    def places_by_id(self) -> dict[str, Place]:
        return self._index("places")

    @property
    def zones_by_id(self) -> dict[str, Zone]:
        return self._index("zones")

    @property
    def checkpoints_by_id(self) -> dict[str, Checkpoint]:
        return self._index("checkpoints")

    @property
    def relay_stations_by_id(self) -> dict[str, RelayStation]:
        return self._index("relay_stations")

    @property
    def depots_by_id(self) -> dict[str, Depot]:
        return self._index("depots")

    @property
    def trucks_by_id(self) -> dict[str, Truck]:
        return self._index("trucks")

    @property
    def shipments_by_id(self) -> dict[str, Shipment]:
        return self._index("shipments")

    @property
    def pools_by_id(self) -> dict[str, DriverPool]:
        return self._index("driver_pools")

    def capacity_dimensions(self) -> list[str]:
        """Every capacity dimension any truck has, sorted."""
        return sorted({d for t in self.trucks for d in t.capacity})

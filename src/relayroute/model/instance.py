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
    field_validator,
)
from pydantic_core import core_schema

if TYPE_CHECKING:
    from pydantic.json_schema import JsonSchemaValue

MAX_MINUTES = 1e7
MAX_AMOUNT = 1e9
MAX_PRIORITY = 1e3
MAX_WEIGHT = 1e10
MAX_POOL = 100_000
MAX_BAYS = 100_000

MAX_INPUT_BYTES = 200_000_000
MAX_SHIPMENTS = 100_000
MAX_PLACES = 200_000
MAX_TRUCKS = 20_000
MAX_OBJECTS = 10_000
MAX_VERTICES = 100_000
MAX_ENTRIES = 10_000
MAX_DIMENSIONS = 100
MAX_COORDINATE = 1e9

# Every limit message says this, so that readers can tell a limit from a schema rule.
LIMIT_NOTE = "relayroute's input limit"


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
    name: str = ""
    kind: str = Field(
        "site", description="free label: factory, supplier, customer, depot, station…"
    )
    lon: Real = Field(description="longitude (x in euclidean mode)")
    lat: Real = Field(description="latitude (y in euclidean mode)")
    node: str | None = Field(None, description="road-network node; nearest node when omitted")
    hours: Windows = Field(default_factory=list, description="opening windows; empty = always open")


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


class Zone(_Strict):
    """An area with an access policy, as a GeoJSON Polygon (lon/lat rings)."""

    id: Id
    name: str = ""
    policy: Literal["closed_loop", "permit", "open"]
    polygon: Annotated[list[list[Position]], BeforeValidator(_vertices_at_most)] = Field(
        description="GeoJSON Polygon coordinates: exterior ring first, then holes; rings closed"
    )
    transit_roads: Annotated[list[TransitRoad], _AtMost(MAX_ENTRIES, "transit roads")] = Field(
        default_factory=list,
        description="sealed roads through the zone that any driver may drive end to end without "
        "stopping; none by default",
    )


class Checkpoint(_Strict):
    """The only place a truck may cross a zone's boundary."""

    id: Id
    name: str = ""
    zone: Id
    lon: Real
    lat: Real
    node: str | None = Field(None, description="road-network node of the gate (road mode)")
    delay: Duration = Field(0, description="inspection/disinfection minutes per crossing")
    hours: Windows = Field(default_factory=list, description="open windows; empty = always open")
    throughput_per_hour: Annotated[int, Field(ge=1), _NUMBER] | None = None
    closed: Flag = False


class RelayStation(_Strict):
    """Where an outside driver hands a truck to a loop driver, and/or goods change trucks."""

    id: Id
    name: str = ""
    zone: Id | None = Field(
        None,
        description="the closed zone this station serves; needed for driver_swap, "
        "optional for a transload-only station",
    )
    place: Id
    driver_swap: Flag = True
    transload: Flag = False
    handover_minutes: Duration = 15
    transload_minutes: Duration = 45
    bays: Count = Field(1, ge=1, le=MAX_BAYS, description="simultaneous handovers/transloads")
    hours: Windows = Field(default_factory=list)


class RailStation(_Strict):
    """A freight railway station, reached by road at ``place``."""

    id: Id
    name: str = ""
    place: Id
    handling_minutes: Duration = Field(
        60, description="after a train arrives, until its goods can be collected"
    )


class RailService(_Strict):
    """A train between two rail stations on a timetable."""

    id: Id
    origin: Id
    destination: Id
    departures: Annotated[list[Minutes], _AtMost(MAX_ENTRIES, "departures")] = Field(min_length=1)
    duration: Duration
    cutoff_minutes: Duration = Field(
        60, description="goods at the station this long before departure"
    )
    capacity: Quantity
    cost: Real = Field(0, ge=0, description="cost per departure used")


class Depot(_Strict):
    id: Id
    place: Id


class DriverPool(_Strict):
    """Drivers who share a shift: outside drivers, or loop drivers bound to one zone."""

    id: Id
    kind: Literal["outside", "loop"]
    zone: Id | None = Field(None, description="closed zone (loop drivers)")
    station: Id | None = Field(None, description="home relay station (loop drivers)")
    count: Count = Field(ge=0, le=MAX_POOL)
    shift: Window
    max_duty: Duration = Field(600, gt=0)


class Truck(_Strict):
    id: Id
    depot: Id
    end_depot: Id | None = None
    capacity: Annotated[
        dict[str, Annotated[float, Field(gt=0, le=MAX_AMOUNT), _NUMBER]],
        _AtMost(MAX_DIMENSIONS, "capacity dimensions"),
    ] = Field(min_length=1)
    available: Window
    permits: Annotated[list[Id], _AtMost(MAX_ENTRIES, "permits")] = Field(
        default_factory=list, description="permit zones it may get a pass for"
    )
    driver_pool: Id | None = Field(None, description="outside pool of its driver")


class Shipment(_Strict):
    id: Id
    origin: Id
    destination: Id
    quantity: Quantity = Field(min_length=1)
    ready: Minutes
    due: Minutes
    deadline: Minutes | None = Field(None, description="hard latest delivery")
    pickup_minutes: Duration = 20
    delivery_minutes: Duration = 20
    priority: Real = Field(1, gt=0, le=MAX_PRIORITY)


class ObjectiveWeights(_Strict):
    """unserved ≫ delay ≫ cost, in units of one priority-weighted minute of delay."""

    unserved: Real = Field(
        100_000, ge=0, le=MAX_WEIGHT, description="per unserved shipment, times its priority"
    )
    delay: Real = Field(1, ge=0, le=MAX_WEIGHT, description="per priority-weighted minute late")
    km: Real = Field(0.01, ge=0, le=MAX_WEIGHT)
    truck: Real = Field(1, ge=0, le=MAX_WEIGHT, description="per truck used")
    loop_driver: Real = Field(1, ge=0, le=MAX_WEIGHT, description="per loop driver used")
    rail: Real = Field(1, ge=0, le=MAX_WEIGHT, description="times a departure's cost")


class NetworkSpec(_Strict):
    """How travel times are known.

    ``road``: a road graph (``nodes``+``edges`` GeoJSON/CSV, ``graphml`` or ``osm`` XML),
    paths relative to the instance file. ``straight_line``: haversine km × ``detour_factor``
    at ``speed_kmh``. ``euclidean``: plain x/y distance, minutes = distance / ``speed``.
    """

    mode: Literal["road", "straight_line", "euclidean"] = "straight_line"
    nodes: FilePath | None = None
    edges: FilePath | None = None
    graphml: FilePath | None = None
    osm: FilePath | None = None
    detour_factor: Real = Field(1.3, ge=1)
    speed_kmh: Real = Field(50, gt=0)
    speed: Real = Field(1, gt=0, description="distance units per minute (euclidean)")
    snap_km: Real = Field(
        2.0,
        gt=0,
        description="largest km between a place (or checkpoint) and its road node, snapped or named",
    )


class Instance(_Strict):
    """One day of traffic around closed zones: the input of every solve.

    Times are minutes from ``start`` (ISO 8601 with offset), coordinates WGS84 lon/lat,
    ids strings. Build one from JSON with :func:`relayroute.read_instance` or from Python
    data with :func:`relayroute.instance_from_data`, which add the checks across objects
    (references, geometry) that the schema alone cannot make. ``relayroute schema`` prints
    the JSON Schema.
    """

    name: str
    start: datetime = Field(description="ISO 8601 with offset; time zero")
    horizon: Duration = Field(1440, gt=0)
    network: NetworkSpec = Field(default_factory=NetworkSpec)
    places: Annotated[list[Place], _AtMost(MAX_PLACES, "places")] = Field(min_length=1)
    zones: Annotated[list[Zone], _AtMost(MAX_OBJECTS, "zones")] = Field(default_factory=list)
    checkpoints: Annotated[list[Checkpoint], _AtMost(MAX_OBJECTS, "checkpoints")] = Field(
        default_factory=list
    )
    relay_stations: Annotated[list[RelayStation], _AtMost(MAX_OBJECTS, "relay stations")] = Field(
        default_factory=list
    )
    rail_stations: Annotated[list[RailStation], _AtMost(MAX_OBJECTS, "rail stations")] = Field(
        default_factory=list
    )
    rail_services: Annotated[list[RailService], _AtMost(MAX_OBJECTS, "rail services")] = Field(
        default_factory=list
    )
    depots: Annotated[list[Depot], _AtMost(MAX_OBJECTS, "depots")] = Field(min_length=1)
    driver_pools: Annotated[list[DriverPool], _AtMost(MAX_OBJECTS, "driver pools")] = Field(
        default_factory=list
    )
    trucks: Annotated[list[Truck], _AtMost(MAX_TRUCKS, "trucks")] = Field(min_length=1)
    shipments: Annotated[list[Shipment], _AtMost(MAX_SHIPMENTS, "shipments")] = Field(
        default_factory=list
    )
    objective: ObjectiveWeights = Field(default_factory=ObjectiveWeights)

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

    # Lookups by id, built once; the model is frozen so they stay valid.
    def _index(self, attr: str) -> dict[str, Any]:
        # Keyed to the list object itself: model_copy(update=...) shares this cache.
        items = getattr(self, attr)
        cached = self._indices.get(attr)
        if cached is None or cached[0] is not items:
            cached = (items, {o.id: o for o in items})
            self._indices[attr] = cached
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

"""The instance: one day of freight around closed zones, as typed pydantic models.

Times are minutes from ``Instance.start``; coordinates are WGS84 ``lon``/``lat``
(or plain x/y in the ``euclidean`` network mode). Everything an instance may hold
is typed and validated here, including parts a given solver does not use yet.
Checks that need several objects at once (references, geometry) live in
:mod:`relayroute.model.checks`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, field_validator

# Upper bounds that keep every figure far inside OR-Tools' 64-bit integers after scaling
# (the largest bundled or converted benchmark reaches 360,000 minutes, 1,000 units, 1e9).
MAX_MINUTES = 1e7
MAX_AMOUNT = 1e9
MAX_PRIORITY = 1e3
MAX_WEIGHT = 1e10

Minutes = Annotated[
    float, Field(ge=0, le=MAX_MINUTES, description="minutes from the instance start")
]
Duration = Annotated[float, Field(ge=0, le=MAX_MINUTES, description="a duration in minutes")]
Id = Annotated[str, Field(min_length=1, description="an identifier, unique in its list")]


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
Quantity = Annotated[
    dict[str, Annotated[float, Field(ge=0, le=MAX_AMOUNT)]],
    Field(description="amount per capacity dimension"),
]


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
    lon: float = Field(description="longitude (x in euclidean mode)")
    lat: float = Field(description="latitude (y in euclidean mode)")
    node: str | None = Field(None, description="road-network node; nearest node when omitted")
    hours: list[Window] = Field(
        default_factory=list, description="opening windows; empty = always open"
    )


class TransitRoad(_Strict):
    """A sealed road through a zone: through traffic only, every exit on the way closed.

    Real practice kept expressways open across closed cities with their exits shut. Any
    driver may drive such a road from one end to the other without stopping; it enters and
    leaves it only at its ends (road mode only).
    """

    id: Id
    nodes: list[str] = Field(
        min_length=2,
        description="road-network nodes from one end to the other, consecutive nodes joined by "
        "a road; both ends outside every restricted zone",
    )


class Zone(_Strict):
    """An area with an access policy, as a GeoJSON Polygon (lon/lat rings)."""

    id: Id
    name: str = ""
    policy: Literal["closed_loop", "permit", "open"]
    polygon: list[list[tuple[float, float]]] = Field(
        description="GeoJSON Polygon coordinates: exterior ring first, then holes; rings closed"
    )
    transit_roads: list[TransitRoad] = Field(
        default_factory=list,
        description="sealed roads through the zone that any driver may drive end to end without "
        "stopping; none by default",
    )


class Checkpoint(_Strict):
    """The only place a truck may cross a zone's boundary."""

    id: Id
    name: str = ""
    zone: Id
    lon: float
    lat: float
    node: str | None = Field(None, description="road-network node of the gate (road mode)")
    delay: Duration = Field(0, description="inspection/disinfection minutes per crossing")
    hours: list[Window] = Field(
        default_factory=list, description="open windows; empty = always open"
    )
    throughput_per_hour: int | None = Field(None, ge=1)
    closed: bool = False


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
    driver_swap: bool = True
    transload: bool = False
    handover_minutes: Duration = 15
    transload_minutes: Duration = 45
    bays: int = Field(1, ge=1, description="simultaneous handovers/transloads")
    hours: list[Window] = Field(default_factory=list)


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
    departures: list[Minutes] = Field(min_length=1)
    duration: Duration
    cutoff_minutes: Duration = Field(
        60, description="goods at the station this long before departure"
    )
    capacity: Quantity
    cost: float = Field(0, ge=0, description="cost per departure used")


class Depot(_Strict):
    id: Id
    place: Id


class DriverPool(_Strict):
    """Drivers who share a shift: outside drivers, or loop drivers bound to one zone."""

    id: Id
    kind: Literal["outside", "loop"]
    zone: Id | None = Field(None, description="closed zone (loop drivers)")
    station: Id | None = Field(None, description="home relay station (loop drivers)")
    count: int = Field(ge=0, le=100_000)
    shift: Window
    max_duty: Duration = Field(600, gt=0)


class Truck(_Strict):
    id: Id
    depot: Id
    end_depot: Id | None = None
    capacity: dict[str, Annotated[float, Field(gt=0, le=MAX_AMOUNT)]] = Field(min_length=1)
    available: Window
    permits: list[Id] = Field(
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
    priority: float = Field(1, gt=0, le=MAX_PRIORITY)


class ObjectiveWeights(_Strict):
    """unserved ≫ delay ≫ cost, in units of one priority-weighted minute of delay."""

    unserved: float = Field(
        100_000, ge=0, le=MAX_WEIGHT, description="per unserved shipment, times its priority"
    )
    delay: float = Field(1, ge=0, le=MAX_WEIGHT, description="per priority-weighted minute late")
    km: float = Field(0.01, ge=0, le=MAX_WEIGHT)
    truck: float = Field(1, ge=0, le=MAX_WEIGHT, description="per truck used")
    loop_driver: float = Field(1, ge=0, le=MAX_WEIGHT, description="per loop driver used")
    rail: float = Field(1, ge=0, le=MAX_WEIGHT, description="times a departure's cost")


class NetworkSpec(_Strict):
    """How travel times are known.

    ``road``: a road graph (``nodes``+``edges`` GeoJSON/CSV, ``graphml`` or ``osm`` XML),
    paths relative to the instance file. ``straight_line``: haversine km × ``detour_factor``
    at ``speed_kmh``. ``euclidean``: plain x/y distance, minutes = distance / ``speed``.
    """

    mode: Literal["road", "straight_line", "euclidean"] = "straight_line"
    nodes: str | None = None
    edges: str | None = None
    graphml: str | None = None
    osm: str | None = None
    detour_factor: float = Field(1.3, ge=1)
    speed_kmh: float = Field(50, gt=0)
    speed: float = Field(1, gt=0, description="distance units per minute (euclidean)")
    snap_km: float = Field(
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
    places: list[Place] = Field(min_length=1)
    zones: list[Zone] = Field(default_factory=list)
    checkpoints: list[Checkpoint] = Field(default_factory=list)
    relay_stations: list[RelayStation] = Field(default_factory=list)
    rail_stations: list[RailStation] = Field(default_factory=list)
    rail_services: list[RailService] = Field(default_factory=list)
    depots: list[Depot] = Field(min_length=1)
    driver_pools: list[DriverPool] = Field(default_factory=list)
    trucks: list[Truck] = Field(min_length=1)
    shipments: list[Shipment] = Field(default_factory=list)
    objective: ObjectiveWeights = Field(default_factory=ObjectiveWeights)

    _indices: dict[str, tuple[Any, dict[str, Any]]] = PrivateAttr(default_factory=dict)

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

"""What the pass service's requests and answers hold: pydantic models, so its OpenAPI
schema is generated from the same types as the instance and the plan."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from relayroute.model.instance import Minutes, Shipment
from relayroute.model.plan import Pass


class _Body(BaseModel):
    # As in instance files: unknown keys, Infinity and NaN are refused with their path.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class InsertRequest(_Body):
    """One new trip for the day's plan."""

    shipment: Shipment = Field(description="the new shipment, as in an instance's `shipments`")
    now: Minutes | None = Field(
        None,
        description="minutes from the instance start: nothing of the new trip starts "
        "earlier (none: the start of the day)",
    )


class Inserted(_Body):
    """The trip was put into the plan, which is saved before this answer."""

    shipment: str = Field(description="its id")
    truck: str = Field(description="the truck that takes it")
    eta: float = Field(description="delivery, minutes from the instance start")
    eta_at: str = Field(description="delivery as ISO 8601 with the instance's offset")
    added_delay: float = Field(description="priority-weighted minutes of delay it adds")
    passes: list[Pass] = Field(description="the passes to issue for it (earlier ones unchanged)")
    version: int = Field(description="changes made to the plan since it was loaded first")


class Refused(_Body):
    """The trip cannot be put in; the plan is as it was."""

    error: str = Field("refused", description="always `refused`")
    shipment: str = Field(description="its id")
    code: str = Field(
        description="why: `no_permit`, `deadline_unreachable`, `bays`, `loop_drivers`, "
        "`no_truck_free`, `duplicate`..."
    )
    blocking: str = Field(description="what blocks it: `station rs_west`, `truck T03`...")
    detail: str = Field(description="in words, with the times")


class ErrorBody(_Body):
    """A request the service cannot take: where it is wrong and how."""

    error: str = Field(description="where: `body $.shipment.ready`, `shipment`, `request`...")
    message: str = Field(description="what is wrong")


class Health(_Body):
    """The service is up: what it serves."""

    status: str = Field(description="`ok`")
    instance: str = Field(description="the instance's name")
    shipments: int = Field(description="shipments in the instance, inserted ones included")
    passes: int = Field(description="passes the plan lists")
    version: int = Field(description="changes made to the plan since it was loaded first")


class ViolationOut(_Body):
    """One rule a plan breaks."""

    rule: str = Field(description="R1 ... R12, or PLAN for the plan's own statements")
    object: str = Field(description="what breaks it")
    time: float | None = Field(description="when, minutes from the instance start")
    message: str = Field(description="in words, with the figures")


class ValidationResult(_Body):
    """What the independent validator says of a plan."""

    valid: bool
    violations: list[ViolationOut]


class ExplanationOut(_Body):
    """How one shipment can move alone, and what the plan does with it."""

    shipment: str
    itinerary: str = Field(description="`direct`, `relay_in`, `relay_out`, `inside`...")
    servable: bool = Field(description="some truck or way can serve it alone in time")
    reason: str | None = Field(description="why not, when not servable")
    detail: str | None = None
    ways: list[str] = Field(description="`road`, and where offered `rail` or `transload`")
    stations: list[str] = Field(description="relay stations of the zones its ends lie in")
    trucks: list[str] = Field(description="trucks that could carry it alone in time")
    earliest: float | None = Field(description="earliest delivery alone, minutes")
    earliest_at: str | None = None
    lower_bound: float = Field(description="priority-weighted delay it cannot avoid")
    planned: str | None = Field(description="what the plan does with it")

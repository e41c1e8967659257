"""Typed instance and plan models (pydantic), shared by solver and validator."""

from relayroute.model.instance import (
    Checkpoint,
    Depot,
    DriverPool,
    Instance,
    NetworkSpec,
    ObjectiveWeights,
    Place,
    RailService,
    RailStation,
    RelayStation,
    Shipment,
    Truck,
    Zone,
)
from relayroute.model.plan import KPIs, Plan, Stop, TruckRoute, Unserved

__all__ = [
    "Checkpoint",
    "Depot",
    "DriverPool",
    "Instance",
    "KPIs",
    "NetworkSpec",
    "ObjectiveWeights",
    "Place",
    "Plan",
    "RailService",
    "RailStation",
    "RelayStation",
    "Shipment",
    "Stop",
    "Truck",
    "TruckRoute",
    "Unserved",
    "Zone",
]

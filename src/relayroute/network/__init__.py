"""Road graph, zones, checkpoints and travel tables per driver class."""

from relayroute.network.graph import Network, build_network, geodesic_km
from relayroute.network.travel import Profile, Route, TravelTable

__all__ = ["Network", "Profile", "Route", "TravelTable", "build_network", "geodesic_km"]

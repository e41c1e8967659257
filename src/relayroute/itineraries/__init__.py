"""How each shipment can move: its ways, the problem the solver works on, physical trips."""

from relayroute.itineraries.build import build_problem, delay_lower_bound
from relayroute.itineraries.problem import Problem, Reason, Vehicle

__all__ = ["Problem", "Reason", "Vehicle", "build_problem", "delay_lower_bound"]

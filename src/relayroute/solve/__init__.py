"""Solving: prepare the problem, route the trucks, time the trips, build the plan.

:func:`solve` (in :mod:`.pipeline`) is the entry point; :mod:`.routing` holds the
OR-Tools routing model, :mod:`.timing` the dispatcher, the repair of what it cannot time
and the CP-SAT re-timing, :mod:`.switch` the way switch, :mod:`.greedy` the dispatch-office
baseline and :mod:`.to_plan` the plan built from timed trips.
"""

from relayroute.itineraries import Problem, build_problem
from relayroute.solve.config import SolverConfig, read_config
from relayroute.solve.pipeline import Statistics, solve

__all__ = ["Problem", "SolverConfig", "Statistics", "build_problem", "read_config", "solve"]

"""Timing the routed trips around shared resources (bays, loop drivers, checkpoint lanes).

:mod:`.dispatch` books them first come, first served (the dispatcher: its function
:func:`~relayroute.solve.timing.dispatch.dispatch` is not re-exported here, so that
``relayroute.solve.timing.dispatch`` stays the module); :mod:`.repair`
takes off what the dispatcher cannot time and keeps ways whole; :mod:`.cpsat` re-times
the trips exactly with CP-SAT, starting from the dispatcher's timing.
"""

from relayroute.solve.timing.cpsat import ScheduleResult, improve
from relayroute.solve.timing.dispatch import Resources, Timed, empty_resources
from relayroute.solve.timing.repair import (
    complete_ways,
    initial_trips,
    stuck_stations,
    time_everything,
    time_routes,
    visits_of,
)

__all__ = [
    "Resources",
    "ScheduleResult",
    "Timed",
    "complete_ways",
    "empty_resources",
    "improve",
    "initial_trips",
    "stuck_stations",
    "time_everything",
    "time_routes",
    "visits_of",
]

"""The time limit of one run, for every step of it: reading, the network, the model,
the search, the timing and the plan.

A run's clock starts when the caller says (the command line: before it reads the
instance) and every step asks what is left. Steps that may outgrow the limit on large
days (classifying shipments, the dispatcher, putting the left-out in by road) stop
when their share is spent and say what they did not reach with :data:`OUT_OF_TIME`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from relayroute.itineraries.problem import OUT_OF_TIME

__all__ = ["OUT_OF_TIME", "Budget"]
# The share of the limit kept back for the steps after the search: timing the routes,
# the plan and its validation (on the generated 2,000-shipment Yiwu day they took about
# 5% of a 120 s limit; on small days far less).
RESERVE_SHARE = 0.08


@dataclass(frozen=True)
class Budget:
    """A run's time limit from ``start`` (``time.perf_counter`` seconds).

    Parameters
    ----------
    start
        When the run's clock started.
    limit
        Seconds for the whole run.
    """

    start: float
    limit: float

    @classmethod
    def from_now(cls, limit: float, start: float | None = None) -> Budget:
        """A budget of ``limit`` seconds from ``start`` (now when omitted)."""
        return cls(time.perf_counter() if start is None else start, limit)

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.start

    def left(self) -> float:
        """Seconds left of the whole limit (never negative)."""
        return max(0.0, self.limit - self.elapsed())

    def reserve(self) -> float:
        """Seconds kept back for the steps after the search."""
        return RESERVE_SHARE * self.limit

    def deadline(self, share: float = 1.0) -> float:
        """The ``time.perf_counter`` time at which ``share`` of the limit is spent."""
        return self.start + self.limit * share

"""R9, checkpoints and passes: every zone boundary crossed at an open checkpoint, as listed.

As the walk (:mod:`relayroute.validate.walk`) drives a leg node by node, each change of zone
between two nodes must pass a gate of that zone's checkpoint on the way (a gate node just
before). :class:`Crossings` matches these boundary crossings, in order, with the crossings
the leg lists: the checkpoint is open and not closed, the truck holds a permit for a permit
zone, and the inspection delay is served. Across trucks, a checkpoint's inspections stay
within its throughput and every entry into a permit zone has a pass in the plan's list.

The road geometry between nodes is judged in :mod:`relayroute.validate.geometry`, and the
passes' own statements in :mod:`relayroute.validate.statements`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relayroute.validate.report import TOL, within

if TYPE_CHECKING:
    from collections.abc import Callable

    from relayroute.model.instance import Checkpoint, Instance, Truck
    from relayroute.model.plan import Crossing, Leg, Plan
    from relayroute.validate.report import Found
    from relayroute.validate.world import World

Entry = tuple[str, str, str, float, float]  # into a permit zone: truck, checkpoint, zone, in, out


class Crossings:
    """The crossings one leg lists, matched one by one as the walk reaches each boundary.

    Inspections at checkpoints with a throughput go to ``inspections`` and entries into
    permit zones to ``entries``, for the checks across trucks.
    """

    def __init__(
        self,
        found: Found,
        world: World,
        truck: Truck,
        leg: Leg,
        name: str,
        inspections: dict[str, list[float]],
        entries: list[Entry],
    ) -> None:
        self.found, self.world, self.truck, self.name = found, world, truck, name
        # The zone's policy as the truck is judged on this leg (:meth:`World.policy_in`).
        self.policy_of: Callable[[str], str] = lambda z: world.policy.get(z, "open")
        # A loop driver's own zone, which it enters without a permit when the zone turns
        # permit during the day.
        self.loop_zone: str | None = None
        self.listed = list(leg.crossings)
        self.used = 0
        self.inspections, self.entries = inspections, entries

    def cross(
        self, left: str | None, entered: str | None, gates: list[tuple[str, float]], t: float
    ) -> float:
        """Leave zone ``left`` and enter zone ``entered`` (either may be none) at time ``t``.

        ``gates`` are the checkpoints passed since the last plain node, each with the time
        it was reached. Returns the time once the crossings' waiting and inspections are over.
        """
        cps = self.world.inst.checkpoints_by_id
        for key, direction in ((left, "out"), (entered, "in")):
            if key is None:
                continue
            zone = self.world.real(key)  # (the key of one area of a zone whose area changes)
            if self.policy_of(key) == "open":
                # Open then (its policy changes during the day): its boundary is no
                # boundary, but a crossing the leg lists is checked as listed.
                c = self.listed[self.used] if self.used < len(self.listed) else None
                if c is None or (c.zone, c.direction) != (zone, direction):
                    continue
            at = [(g, tg) for g, tg in gates if cps[g].zone == zone]
            if not at:
                self.found.add(
                    "R9",
                    self.name,
                    t,
                    f"crosses the boundary of zone {zone!r} away from any checkpoint",
                )
                continue
            cp, reached = cps[at[-1][0]], at[-1][1]
            if cp.closed:
                self.found.add("R9", self.name, reached, f"crosses at closed checkpoint {cp.id}")
            permit = self.policy_of(key) == "permit"
            if (
                direction == "in"
                and permit
                and zone not in self.truck.permits
                and zone != self.loop_zone
            ):
                self.found.add(
                    "R9", self.name, reached, f"enters permit zone {zone!r} without a pass"
                )
            c = self.listed[self.used] if self.used < len(self.listed) else None
            if c is None or c.checkpoint != cp.id or c.direction != direction:
                self.found.add(
                    "R9",
                    self.name,
                    reached,
                    f"crossing {direction} of zone {zone!r} at {cp.id} is not listed",
                )
                t += cp.delay
                continue
            self.used += 1
            # A loop driver entering its own zone (turned permit) needs no pass.
            entry = direction == "in" and permit and zone != self.loop_zone
            self._check_listed(c, cp, zone, entry, reached)
            # Whatever waiting and inspection took pushes the rest of the leg back.
            t += max(c.depart - reached, cp.delay)
        return t

    def _check_listed(
        self, c: Crossing, cp: Checkpoint, zone: str, entry: bool, reached: float
    ) -> None:
        """A listed crossing ``c`` at ``cp``, reached at ``reached``: its times and hours."""
        if cp.throughput_per_hour is not None:
            self.inspections.setdefault(cp.id, []).append(c.depart - cp.delay)
        if entry:
            self.entries.append((self.truck.id, cp.id, zone, c.arrive, c.depart))
        if c.arrive < reached - TOL:
            # R2, timing: the leg cannot be at the checkpoint sooner than its roads take it.
            self.found.add(
                "R2",
                self.name,
                c.arrive,
                f"reaches checkpoint {cp.id} at {c.arrive:g}, the road takes until {reached:g}",
            )
        inspect = c.depart - cp.delay
        if inspect < c.arrive - TOL:
            self.found.add(
                "R9",
                self.name,
                c.arrive,
                f"leaves checkpoint {cp.id} before its {cp.delay:g} min inspection ends",
            )
        if not cp.closed and not within(cp.hours, inspect):
            self.found.add(
                "R9", self.name, inspect, f"checkpoint {cp.id} is not open at {inspect:g}"
            )

    def check_all_used(self) -> None:
        """R9: the leg lists no crossing its path does not make (once the walk is done)."""
        if self.used != len(self.listed):
            self.found.add("R9", self.name, None, "lists crossings the path does not make")


def check_throughput(found: Found, inst: Instance, inspections: dict[str, list[float]]) -> None:
    """R9: no checkpoint inspects more trucks within an hour than its throughput."""
    cps = inst.checkpoints_by_id
    for cp, times in inspections.items():
        limit = cps[cp].throughput_per_hour
        assert limit is not None
        times.sort()
        lo = 0
        for hi, t in enumerate(times):
            while times[lo] <= t - 60 + TOL:
                lo += 1
            if hi - lo + 1 > limit:
                found.add(
                    "R9",
                    f"checkpoint {cp}",
                    t,
                    f"{hi - lo + 1} inspections within an hour, throughput {limit}",
                )
                break


def check_passes(found: Found, plan: Plan, entries: list[Entry]) -> None:
    """R9: each entry into a permit zone is covered by a listed pass."""
    for truck, cp, zone, arrive, depart in entries:
        if not any(
            p.truck == truck
            and p.checkpoint == cp
            and p.zone == zone
            and p.valid_from <= arrive + TOL
            and p.valid_to >= depart - TOL
            for p in plan.passes
        ):
            found.add(
                "R9",
                f"truck {truck}",
                arrive,
                f"enters permit zone {zone!r} at {cp} with no pass listed",
            )

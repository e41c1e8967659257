"""Solver configurations: one TOML file each, in ``solvers/``."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from relayroute.errors import InputError, json_path

FIRST_SOLUTION = Literal[
    "AUTOMATIC",
    "PATH_CHEAPEST_ARC",
    "PARALLEL_CHEAPEST_INSERTION",
    "SEQUENTIAL_CHEAPEST_INSERTION",
    "LOCAL_CHEAPEST_INSERTION",
    "LOCAL_CHEAPEST_COST_INSERTION",
    "GLOBAL_CHEAPEST_ARC",
    "SAVINGS",
    "CHRISTOFIDES",
    "BEST_INSERTION",
]
METAHEURISTIC = Literal[
    "AUTOMATIC", "GREEDY_DESCENT", "GUIDED_LOCAL_SEARCH", "SIMULATED_ANNEALING", "TABU_SEARCH"
]


LNS_OPERATOR = Literal[
    "path_lns",
    "full_path_lns",
    "inactive_lns",
    "tsp_lns",
    "tsp_opt",
    "or_opt",
    "lin_kernighan",
    "relocate_expensive_chain",
    "cross_exchange",
    "relocate_neighbors",
    "extended_swap_active",
]


class SolverConfig(BaseModel):
    """How to search: one solver configuration (a TOML file of ``solvers/``).

    ``engine``: ``routing`` (OR-Tools RoutingModel for the routes, then CP-SAT for the
    times around shared resources) or ``greedy`` (the dispatch-office baseline).
    ``solution_limit`` makes the routing search deterministic: it stops after that many
    solutions whatever the machine's speed, with ``time_limit`` only as a safety cap
    (0: no solution limit, the search runs for ``time_limit``).
    The CP-SAT timing gets ``schedule_share`` of ``time_limit`` and at most
    ``schedule_deterministic_time`` of CP-SAT's deterministic time, which is the same
    on every machine with one worker (``schedule_workers``). ``objective`` overrides the
    instance's weights key by key. Every field has a default; ``SolverConfig()`` is
    ``solvers/default.toml``. Build one in Python (``SolverConfig(time_limit=30)``) or
    read one with :func:`read_config`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = "default"
    engine: Literal["routing", "greedy"] = "routing"
    first_solution_strategy: FIRST_SOLUTION = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: METAHEURISTIC = "GUIDED_LOCAL_SEARCH"
    time_limit: float = Field(60.0, gt=0, description="seconds")
    solution_limit: int | None = Field(0, ge=0, description="0 or none: no limit")
    seed: int = Field(0, ge=0)
    log_search: bool = False
    station_choices: int = Field(
        1, ge=1, description="1: home stations spread by capacity; k: search picks among k"
    )
    loop_minute_cost: float = Field(
        0.0, ge=0, description="routing cost per loop-driver minute (priority-weighted minutes)"
    )
    schedule_share: float = Field(0.25, ge=0, lt=1, description="share of time_limit for CP-SAT")
    schedule_deterministic_time: float = Field(
        5.0, ge=0, description="CP-SAT deterministic-time cap; 0 skips CP-SAT"
    )
    schedule_workers: int = Field(
        1, ge=1, description="CP-SAT workers; more search better but runs no longer repeat"
    )
    objective: dict[str, float] = Field(default_factory=dict)
    insertion_neighbors: float | None = Field(
        None,
        gt=0,
        le=1,
        description="share of the nearest nodes the cheapest-insertion first solution "
        "considers for each insertion (OR-Tools' neighbors_ratio, at least 20 nodes); "
        "none: 1 on small models, 0.1 from 30,000 legs x vehicles",
    )
    ls_neighbors: float | None = Field(
        None,
        gt=0,
        le=1,
        description="share of the nearest nodes the local-search operators try as "
        "neighbours (OR-Tools' ls_operator_neighbors_ratio, at least 10 nodes); "
        "none: all of them",
    )
    iterated_local_search: bool = Field(
        False,
        description="OR-Tools' iterated local search (ruin and recreate, simulated "
        "annealing) instead of the metaheuristic alone",
    )
    portfolio: bool = Field(
        False,
        description="first routing round from two starts, the dispatcher's routes and "
        "OR-Tools' first-solution heuristic, then on from the better (unless warm_start "
        "already starts from the dispatcher's)",
    )
    unserved_cost: Literal["weight", "day_end"] = Field(
        "weight",
        description="what an unserved shipment costs: weight, objective.unserved x its "
        "priority; day_end, that and its lateness until the day's end (priority x minutes "
        "from due to the horizon x objective.delay), the relay benchmarks' valuation",
    )
    warm_start: Literal["auto", "greedy", "none"] = Field(
        "auto",
        description="start the routing search from the dispatcher's routes: greedy "
        "always, none never, auto on models of more than 150,000 legs x vehicles",
    )
    lns_operators: list[LNS_OPERATOR] = Field(
        default_factory=list,
        description="OR-Tools large-neighbourhood operators to switch on (off by default)",
    )
    lns_time_limit: float = Field(
        0.1, gt=0, description="seconds each large-neighbourhood sub-search may take"
    )
    gls_lambda: float | None = Field(
        None, gt=0, description="guided local search penalty coefficient (OR-Tools: 0.1)"
    )
    protect_priority: float | None = Field(
        10.0,
        gt=0,
        description="shipments of this priority or more (medical goods: 10) that could "
        "be on time are routed to arrive at most protect_minutes late (a hard bound in "
        "the routing model; None: no bound)",
    )
    protect_minutes: float = Field(
        60.0,
        ge=0,
        description="minutes late the routing model lets a protected shipment arrive at "
        "most (the timing may add queues at gates and stations: 60 kept every medical "
        "shipment within 120 minutes on the urgent days measured)",
    )
    gate_hours: bool = Field(
        True,
        description="the routing model's legs take what checkpoint hours (and the "
        "queues a timed plan showed) cost them at each stop's expected time: a wait, or "
        "the way round by another gate; false: every gate open, no queue",
    )
    recreate_share: float = Field(
        0.15,
        ge=0,
        lt=1,
        description="share of a routing search from earlier routes (the dispatcher's, "
        "the way switch's) for putting in first what those routes leave out, with "
        "OR-Tools' insertion operators alone; 0: none",
    )
    lns_share: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="share of the routing time (after the way switch) for the "
        "large-neighbourhood search on the timed plan's score: shipments taken out of "
        "the best routes and put back by the routing model; 0: none",
    )
    lns_trial_time: float = Field(
        3.0, gt=0, description="seconds of routing search per large-neighbourhood trial"
    )
    switch_share: float = Field(
        0.3,
        ge=0,
        lt=1,
        description="share of the routing time for the way switch (road to transload), "
        "where a transload station could take shipments the road serves; 0: no switch",
    )
    switch_group: int = Field(3, ge=1, description="shipments switched together at most")
    switch_trials: int = Field(30, ge=0, description="groups the way switch tries at most")
    switch_late: float = Field(
        60.0,
        ge=0,
        description="a group is tried only with a shipment unserved or this many "
        "priority-weighted minutes late",
    )
    switch_patience: int = Field(
        4, ge=1, description="the switch stops after this many groups in a row that do not help"
    )
    switch_trial_time: float = Field(
        3.0, gt=0, description="seconds of routing search per group tried"
    )
    switch_to: Literal["transload", "road"] = Field(
        "transload",
        description="road: put each group back by road instead (a control for measuring "
        "what the switch itself brings)",
    )
    decompose: Literal["off", "auto", "zone"] = Field(
        "auto",
        description="relayroute solve and decompose.plan_day cut the day into parts (by "
        "zone, then time bands of at most 500 shipments), solve them apart and repair the "
        "shared resources plan-wide: zone always, off never, auto on days of 3,000 "
        "shipments or more",
    )

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # The default is left out of the plan's solver block: plans of the days that are
        # never cut read as they did before the field existed.
        out: dict[str, Any] = handler(self)
        if out.get("decompose") == "auto":
            del out["decompose"]
        return out


def read_config(path: str | Path) -> SolverConfig:
    """Read a solver configuration TOML file.

    Parameters
    ----------
    path
        A TOML file whose keys are :class:`SolverConfig`'s fields; ``name`` defaults to
        the file's stem.

    Returns
    -------
    SolverConfig

    Raises
    ------
    InputError
        The file is missing, is not TOML, or has an unknown or invalid key.
    """
    p = Path(path)
    try:
        data: dict[str, Any] = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(p), f"cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(p), f"invalid TOML: {exc}") from None
    data.setdefault("name", p.stem)
    try:
        return SolverConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(f"{p} {json_path(err['loc'])}", err["msg"]) from None

"""The pass service against its own OpenAPI schema, with schemathesis: requests drawn from
the schema (and breaking it) never get a 500, and every answer is one the schema lists,
shaped as it says.

Bounded to stay fast in CI: a few examples per operation and mode. The operations are
walked inside one test (schemathesis's lazy pytest loader does not run on pytest 9), each
with its own Hypothesis run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from relayroute.service import create_app

if TYPE_CHECKING:
    from relayroute.io.instance import LoadedInstance
    from relayroute.model.plan import Plan

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Examples per operation and mode: enough to reach every documented answer on this API,
# few enough that the whole file takes seconds.
EXAMPLES = 8


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_errors_and_answers_as_documented(
    demo: LoadedInstance, demo_plan: Plan, mode: GenerationMode
) -> None:
    """Every operation, on requests drawn from its schema (positive) and breaking it
    (negative): no 500, a status the schema lists, a body that matches it."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(demo, demo_plan))
    ran = []
    for result in schema.get_all_operations():
        assert not isinstance(result, Err), result.err()  # the schema itself is sound
        op = result.ok()
        if mode is GenerationMode.NEGATIVE and not (len(op.query) + len(op.body)):
            # Nothing to break: no input (GET /health, /plan), or a path segment any
            # text fits (GET /explain/{shipment}).
            continue

        @given(case=op.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        run()
        ran.append(op.label)
    # Every operation of the service was exercised (3 take input that can break it).
    assert len(ran) == (6 if mode is GenerationMode.POSITIVE else 3), ran

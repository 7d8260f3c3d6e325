"""Property-based tests of the API from its own OpenAPI document (schemathesis): whatever
a client sends, the API answers with a documented status and body, and never a 500.

Bounded (a few dozen examples per operation) so the suite stays fast."""

from __future__ import annotations

import hypothesis
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from serving.api import create_app
from serving.api.deps import API_THROTTLE
from serving.db import Store
from serving.throttle import Throttle
from tests.serving.conftest import World

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# The schema is read from an app built here; each test points that app at its own store.
# (schemathesis.pytest.from_fixture would avoid this, but fails under pytest 9.)
APP = create_app(Store.from_url("sqlite://"))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@hypothesis.settings(
    max_examples=30,
    deadline=None,
    # The store fixture is per test, not per example (examples share it, as clients would);
    # generating path and body values that fit the patterns can be slow on a busy machine.
    suppress_health_check=[
        hypothesis.HealthCheck.function_scoped_fixture,
        hypothesis.HealthCheck.too_slow,
        hypothesis.HealthCheck.filter_too_much,
    ],
    derandomize=True,
    database=None,
)
def test_no_server_error_and_documented_answers(case, world: World) -> None:
    APP.state.store = world.store
    APP.state.auth_throttle = Throttle(API_THROTTLE)  # each example counts anew
    case.call_and_validate(headers=world.headers("watch_unit"), checks=CHECKS)

"""Property-based tests of the API from its own OpenAPI document (schemathesis): whatever
a client sends, the API answers with a documented status, content type, headers and body,
and never a 500.

Every check of schemathesis runs but one, `positive_data_acceptance`: business rules that
no JSON schema says (a dismissal's week is a Monday, the data-contract rules of a scored
extraction, interview transitions) refuse some schema-valid requests, with a documented
422 or 409. Bounded (`MAX_EXAMPLES` per operation, about 20 s on two cores) so the suite
stays fast; `tests/serving/test_api_error_conformance.py` checks each refusal status on
purpose, which random requests seldom reach."""

from __future__ import annotations

import hypothesis
import schemathesis
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from serving.api import create_app
from serving.api.deps import API_THROTTLE
from serving.db import Store
from serving.throttle import Throttle
from tests.serving.conftest import World

CHECKS = [check for check in REGISTERED_CHECKS.get_all() if check is not positive_data_acceptance]
CONFORMANCE = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 60


# The schema is read from an app built here; each test points that app at its own store.
# (schemathesis.pytest.from_fixture would avoid this, but fails under pytest 9.)
APP = create_app(Store.from_url("sqlite://"))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
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


def test_the_conformance_checks_are_run() -> None:
    assert len(CHECKS) >= 10
    assert all(check in CHECKS for check in CONFORMANCE)

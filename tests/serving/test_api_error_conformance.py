"""Every refusal the API can answer, on purpose, against its OpenAPI document (issue 11):
status, content type, headers and body as declared for that operation (schemathesis'
conformance checks). Random requests (test_api_properties.py) seldom reach most of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema
from starlette.exceptions import HTTPException

from serving.api.deps import bearer_token, get_store
from serving.services import ServiceError
from tests.serving.conftest import HOME_UAI, OTHER_UAI, WEEK, LiveServer, World

CONFORMANCE = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
LIST = "/v1/establishments/{uai}/lists/{week}"
INTERVIEW = "/v1/interviews/{interview_id}"
SCORE_BODY = {
    "as_of": "2026-11-30",
    "establishments": [{"uai": HOME_UAI}],
    "students": [{"student_id": "H001"}],
    "enrollments": [{"student_id": "H001"}],
}
# Every operation behind a bearer token, with a request its validation lets through.
AUTHENTICATED: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/v1/me", {}),
    ("GET", "/v1/audit", {"query": {"limit": 5}}),
    ("GET", LIST, {"path_parameters": {"uai": HOME_UAI, "week": WEEK.isoformat()}}),
    ("GET", "/v1/students/{student_id}", {"path_parameters": {"student_id": "H001"}}),
    ("POST", "/v1/interviews", {"body": {"student_id": "H001"}}),
    ("PATCH", INTERVIEW, {"path_parameters": {"interview_id": 1}, "body": {"notes": "x"}}),
    ("POST", "/v1/dismissals", {"body": {"student_id": "H001", "reason": "déjà suivi"}}),
    ("POST", "/v1/score", {"body": SCORE_BODY}),
]


@pytest.fixture
def schema(api: httpx.Client) -> OpenApiSchema:
    return schemathesis.openapi.from_dict(api.get("/openapi.json").json())


@pytest.fixture
def send(schema: OpenApiSchema, live_server: LiveServer) -> Any:
    """`send(method, path, status, **case)`: the request made, its status asserted, and the
    answer checked against the operation's declared responses."""

    def call(method: str, path: str, status: int, **case: Any) -> Any:
        operation = schema[path][method]
        made = operation.Case(**case)
        response = made.call(base_url=live_server.url)
        assert response.status_code == status, (method, path, response.text)
        made.validate_response(response, checks=CONFORMANCE)
        return response

    return call


def auth(world: World, role: str = "watch_unit") -> dict[str, Any]:
    return {"headers": world.headers(role)}


@pytest.mark.parametrize(("method", "path", "case"), AUTHENTICATED, ids=lambda v: str(v)[:24])
def test_401_without_a_token(send: Any, method: str, path: str, case: dict[str, Any]) -> None:
    response = send(method, path, 401, **case)
    assert response.headers["www-authenticate"] == ["Bearer"]
    assert response.json() == {"detail": "a valid bearer token is required"}


@pytest.fixture
def throttled(live_server: LiveServer) -> Iterator[None]:
    """Failed authentications throttled: the bearer token is refused with a 429 and a
    Retry-After (as the failed-authentication throttle answers)."""

    async def refuse() -> str | None:
        raise HTTPException(429, "too many failed authentications", headers={"Retry-After": "30"})

    live_server.app.dependency_overrides[bearer_token] = refuse
    yield
    del live_server.app.dependency_overrides[bearer_token]


@pytest.mark.parametrize(("method", "path", "case"), AUTHENTICATED, ids=lambda v: str(v)[:24])
def test_429_with_retry_after_is_declared(
    send: Any, world: World, throttled: None, method: str, path: str, case: dict[str, Any]
) -> None:
    response = send(method, path, 429, **case, **auth(world))
    assert response.headers["retry-after"] == ["30"]
    assert response.json() == {"detail": "too many failed authentications"}


@pytest.fixture
def broken_store(live_server: LiveServer) -> Iterator[None]:
    def fail() -> None:
        raise RuntimeError("the store is gone")

    live_server.app.dependency_overrides[get_store] = fail
    yield
    del live_server.app.dependency_overrides[get_store]


@pytest.mark.parametrize(("method", "path", "case"), AUTHENTICATED, ids=lambda v: str(v)[:24])
def test_500_is_declared_and_says_nothing(
    send: Any, world: World, broken_store: None, method: str, path: str, case: dict[str, Any]
) -> None:
    response = send(method, path, 500, **case, **auth(world))
    assert response.json() == {"detail": "internal error"}


def test_a_refusal_without_a_status_is_a_logged_500(
    send: Any, world: World, live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    class Unmapped(ServiceError):
        pass

    def refuse() -> None:
        raise Unmapped("no status for this refusal")

    live_server.app.dependency_overrides[bearer_token] = refuse
    try:
        response = send("GET", "/v1/me", 500, **auth(world))
    finally:
        del live_server.app.dependency_overrides[bearer_token]
    assert response.json() == {"detail": "internal error"}
    assert "no status for this refusal" in caplog.text


def test_500_on_health_is_declared(send: Any, broken_store: None) -> None:
    assert send("GET", "/health", 500).json() == {"detail": "internal error"}


def test_403_404_409_bodies_are_declared(send: Any, world: World) -> None:
    other_list = {"uai": OTHER_UAI, "week": WEEK.isoformat()}
    send("GET", LIST, 403, path_parameters=other_list, **auth(world))
    send("GET", "/v1/audit", 403, **auth(world))
    send("GET", "/v1/me", 200, **auth(world))
    send("POST", "/v1/interviews", 403, body={"student_id": "H001"}, **auth(world, "inspector"))
    send("POST", "/v1/score", 403, body=SCORE_BODY, **auth(world, "admin"))

    missing_week = {"uai": HOME_UAI, "week": "2026-12-07"}
    send("GET", LIST, 404, path_parameters=missing_week, **auth(world))
    # An unknown student: 404 for an inspector; a watch unit gets the 403 of another
    # school's student, so that it cannot tell which ids exist elsewhere.
    unknown = {"student_id": "NOPE42"}
    send(
        "GET", "/v1/students/{student_id}", 404, path_parameters=unknown, **auth(world, "inspector")
    )
    send("GET", "/v1/students/{student_id}", 403, path_parameters=unknown, **auth(world))
    send("POST", "/v1/interviews", 403, body=unknown, **auth(world))
    send(
        "PATCH",
        INTERVIEW,
        404,
        path_parameters={"interview_id": 999},
        body={"notes": "x"},
        **auth(world),
    )
    dismissal = {"student_id": "NOPE42", "reason": "déjà suivi"}
    send("POST", "/v1/dismissals", 403, body=dismissal, **auth(world))

    created = send("POST", "/v1/interviews", 201, body={"student_id": "H001"}, **auth(world))
    send("POST", "/v1/interviews", 409, body={"student_id": "H001"}, **auth(world))
    interview = {"interview_id": created.json()["id"]}
    send("PATCH", INTERVIEW, 409, path_parameters=interview, body={"status": "held"}, **auth(world))
    stale = {"notes": "x", "expected_revision": 7}
    send("PATCH", INTERVIEW, 409, path_parameters=interview, body=stale, **auth(world))


def test_413_bodies_are_declared(send: Any, world: World) -> None:
    big = "x" * 100_000
    send("POST", "/v1/interviews", 413, body={"student_id": "H001", "notes": big}, **auth(world))
    send(
        "PATCH",
        INTERVIEW,
        413,
        path_parameters={"interview_id": 1},
        body={"notes": big},
        **auth(world),
    )
    send("POST", "/v1/dismissals", 413, body={"student_id": "H001", "reason": big}, **auth(world))
    rows = [{"student_id": "x" * 60, "n": i} for i in range(30_000)]  # over 2 MiB
    send("POST", "/v1/score", 413, body={**SCORE_BODY, "attendance": rows}, **auth(world))


def test_every_422_has_the_declared_body(
    send: Any, world: World, api: httpx.Client, schema: OpenApiSchema
) -> None:
    # The API's validation: one entry per field.
    refused = send(
        "POST", "/v1/interviews", 422, body={"student_id": "H001", "status": "done"}, **auth(world)
    )
    assert refused.json()["detail"][0]["loc"] == ["body", "status"]
    send("GET", LIST, 422, path_parameters={"uai": "35", "week": "2026-11-30"}, **auth(world))
    send("GET", "/v1/audit", 422, query={"limit": 0}, **auth(world, "inspector"))
    # The service's own check (a solution only for a held interview): the same body.
    held_only = {"student_id": "H001", "solution": "morea"}
    service = send("POST", "/v1/interviews", 422, body=held_only, **auth(world))
    assert service.json() == {
        "detail": [
            {
                "loc": ["body"],
                "msg": "a solution is recorded only for a held interview",
                "type": "invalid_request",
            }
        ]
    }
    # A body that is not JSON (sent as is; checked as an answer of the same operation).
    not_json = api.post(
        "/v1/interviews",
        content=b"{not json",
        headers={**world.headers("watch_unit"), "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
    schema["/v1/interviews"]["POST"].Case().validate_response(not_json, checks=CONFORMANCE)
    assert not_json.json()["detail"][0]["type"] == "json_invalid"
    # A broken data-contract rule of the scored tables: also names table, row, column, rule.
    contract = send("POST", "/v1/score", 422, body=SCORE_BODY, **auth(world))
    assert all({"loc", "msg", "type"} <= set(item) for item in contract.json()["detail"])


def test_every_operation_declares_its_refusals(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            assert "500" in declared, (method, path)
            if path != "/health":
                assert {"401", "403", "429"} <= declared, (method, path)
                retry = operation["responses"]["429"]["headers"]["Retry-After"]
                assert retry["required"] is True
            if operation.get("requestBody"):
                assert {"413", "422"} <= declared, (method, path)
            for status, response in operation["responses"].items():
                if status[0] not in "45" or (path, status) == ("/health", "503"):
                    continue
                model = "ValidationErrorBody" if status == "422" else "ErrorBody"
                body = response["content"]["application/json"]["schema"]
                assert body == {"$ref": f"#/components/schemas/{model}"}, (method, path, status)

"""The REST API through a real uvicorn server: what each role gets, and what a hostile
client gets (refused, audited, nothing leaked)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import select

from serving.db import head_revision
from serving.db.models import AuditEntry, Interview
from serving.security import issue_token
from tests.serving.conftest import HOME_UAI, OTHER_UAI, WEEK, World

LIST = f"/v1/establishments/{HOME_UAI}/lists/{WEEK.isoformat()}"
OTHER_LIST = f"/v1/establishments/{OTHER_UAI}/lists/{WEEK.isoformat()}"
ROLES = ("watch_unit", "inspector", "data_scientist", "admin")


def audit(world: World, **where: object) -> list[AuditEntry]:
    with world.store.reading() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        for column, value in where.items():
            query = query.where(getattr(AuditEntry, column) == value)
        return list(session.scalars(query))


def no_names(response: httpx.Response) -> None:
    for name in ("NomH", "PrénomH", "NomO", "PrénomO"):
        assert name not in response.text


def test_health_needs_no_token(api: httpx.Client) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "schema_revision": head_revision(),
        "schema_current": True,
    }


def test_openapi_documents_every_route(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert {
        "/health",
        "/v1/establishments/{uai}/lists/{week}",
        "/v1/students/{student_id}",
        "/v1/interviews",
        "/v1/interviews/{interview_id}",
        "/v1/dismissals",
    } <= set(paths)
    assert api.get("/docs").status_code == 200


def test_watch_unit_reads_its_list_with_names(api: httpx.Client, world: World) -> None:
    response = api.get(LIST, headers=world.headers("watch_unit"))
    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == "vigie-dropout/3"
    assert [(e["rank"], e["tier"], e["student_id"]) for e in body["entries"]] == [
        (1, "invite", "H001"),
        (2, "invite", "H002"),
        (3, "watch", "H003"),
    ]
    assert body["entries"][0]["last_name"] == "NomH001"
    assert body["entries"][0]["reasons"][0]["text_fr"].startswith("12 demi-journées")
    assert audit(world, action="read_list", username="cpe.home")[0].outcome == "allowed"


def test_any_day_of_the_week_finds_the_week_list(api: httpx.Client, world: World) -> None:
    thursday = WEEK + dt.timedelta(days=3)
    response = api.get(
        f"/v1/establishments/{HOME_UAI}/lists/{thursday}", headers=world.headers("watch_unit")
    )
    assert response.status_code == 200
    assert response.json()["week"] == WEEK.isoformat()


@pytest.mark.parametrize("role", ["inspector", "data_scientist"])
def test_academie_roles_read_every_list_pseudonymised(
    api: httpx.Client, world: World, role: str
) -> None:
    for path in (LIST, OTHER_LIST):
        response = api.get(path, headers=world.headers(role))
        assert response.status_code == 200
        assert all(
            e["last_name"] is None and e["first_name"] is None for e in response.json()["entries"]
        )
        no_names(response)


def test_admin_manages_users_not_students(api: httpx.Client, world: World) -> None:
    assert api.get(LIST, headers=world.headers("admin")).status_code == 403
    assert api.get("/v1/students/H001", headers=world.headers("admin")).status_code == 403
    assert api.get("/v1/audit", headers=world.headers("admin")).status_code == 200


def test_another_schools_uai_is_refused_and_audited(api: httpx.Client, world: World) -> None:
    response = api.get(OTHER_LIST, headers=world.headers("watch_unit"))
    assert response.status_code == 403
    assert set(response.json()) == {"detail"}
    no_names(response)
    assert "O001" not in response.text
    [denial] = audit(world, action="read_list", outcome="denied")
    assert (denial.username, denial.role, denial.uai) == ("cpe.home", "watch_unit", OTHER_UAI)


def test_another_schools_student_is_refused_and_audited(api: httpx.Client, world: World) -> None:
    headers = world.headers("watch_unit")
    assert api.get("/v1/students/O001", headers=headers).status_code == 403
    post = api.post("/v1/interviews", json={"student_id": "O001"}, headers=headers)
    assert post.status_code == 403
    dismissal = api.post(
        "/v1/dismissals", json={"student_id": "O001", "reason": "hostile"}, headers=headers
    )
    assert dismissal.status_code == 403
    for response in (post, dismissal):
        no_names(response)
    denied = audit(world, outcome="denied", student_id="O001")
    assert [entry.action for entry in denied] == ["read_student", "record_interview", "dismiss"]
    with world.store.reading() as session:
        assert session.scalars(select(Interview)).all() == []


def test_another_schools_interview_cannot_be_changed(api: httpx.Client, world: World) -> None:
    created = api.post(
        "/v1/interviews",
        json={"student_id": "O001", "notes": "secret"},
        headers=world.headers("other_watch_unit"),
    )
    assert created.status_code == 201
    interview_id = created.json()["id"]
    response = api.patch(
        f"/v1/interviews/{interview_id}",
        json={"status": "invited"},
        headers=world.headers("watch_unit"),
    )
    assert response.status_code == 403
    assert "secret" not in response.text
    assert audit(world, action="update_interview", outcome="denied")[0].student_id == "O001"


@pytest.mark.parametrize("role", ["watch_unit", "data_scientist"])
def test_audit_log_is_for_inspectors_and_admins(api: httpx.Client, world: World, role: str) -> None:
    response = api.get("/v1/audit", headers=world.headers(role))
    assert response.status_code == 403
    assert audit(world, action="read_audit_log", outcome="denied")[0].role == role


@pytest.mark.parametrize("role", ["inspector", "data_scientist", "admin"])
def test_only_watch_units_record(api: httpx.Client, world: World, role: str) -> None:
    headers = world.headers(role)
    assert (
        api.post("/v1/interviews", json={"student_id": "H001"}, headers=headers).status_code == 403
    )
    response = api.post(
        "/v1/dismissals", json={"student_id": "H001", "reason": "pas utile"}, headers=headers
    )
    assert response.status_code == 403


def test_interview_notes_only_for_the_writing_watch_unit(api: httpx.Client, world: World) -> None:
    notes = "Situation familiale difficile"
    created = api.post(
        "/v1/interviews",
        json={"student_id": "H001", "notes": notes},
        headers=world.headers("watch_unit"),
    )
    assert created.status_code == 201
    api.post(
        "/v1/dismissals",
        json={"student_id": "H002", "reason": "Suivi par l'infirmière"},
        headers=world.headers("watch_unit"),
    )
    seen = {
        role: api.get("/v1/students/H001", headers=world.headers(role))
        for role in ("watch_unit", "inspector", "data_scientist")
    }
    assert seen["watch_unit"].json()["interviews"][0]["notes"] == notes
    assert seen["watch_unit"].json()["last_name"] == "NomH001"
    assert seen["watch_unit"].json()["interviews"][0]["notes_withheld"] is False
    for role in ("inspector", "data_scientist"):  # free text may hold names
        assert seen[role].json()["interviews"][0]["notes"] is None
        assert seen[role].json()["interviews"][0]["notes_withheld"] is True
        assert notes not in seen[role].text
    assert seen["inspector"].json()["last_name"] is None
    scientist = seen["data_scientist"]
    assert scientist.json()["interviews"][0]["notes"] is None
    assert notes not in scientist.text
    no_names(scientist)
    for role in ("inspector", "data_scientist"):
        other = api.get("/v1/students/H002", headers=world.headers(role))
        assert other.json()["dismissals"][0]["reason"] is None
        assert other.json()["dismissals"][0]["reason_withheld"] is True
        assert "infirmière" not in other.text
    reads = audit(world, action="read_student", outcome="allowed", student_id="H001")
    assert [entry.role for entry in reads] == ["watch_unit", "inspector", "data_scientist"]
    assert all(entry.model_version == "vigie-dropout/3" for entry in reads)


def test_interview_lifecycle(api: httpx.Client, world: World) -> None:
    headers = world.headers("watch_unit")
    created = api.post("/v1/interviews", json={"student_id": "H001"}, headers=headers).json()
    path = f"/v1/interviews/{created['id']}"
    assert (
        api.post("/v1/interviews", json={"student_id": "H001"}, headers=headers).status_code == 409
    )
    assert api.patch(path, json={"status": "held"}, headers=headers).status_code == 409
    assert api.patch(path, json={"expected_revision": 1}, headers=headers).status_code == 422
    invited = api.patch(
        path, json={"status": "invited", "interview_date": "2026-12-03"}, headers=headers
    )
    assert invited.status_code == 200
    assert invited.json()["revision"] == 2
    stale = api.patch(path, json={"notes": "x", "expected_revision": 1}, headers=headers)
    assert stale.status_code == 409
    held = api.patch(
        path, json={"status": "held", "solution": "aar", "expected_revision": 2}, headers=headers
    )
    assert held.status_code == 200
    assert (held.json()["status"], held.json()["solution"]) == ("held", "aar")
    assert held.json()["interview_date"] == "2026-12-03"
    assert api.patch(path, json={"status": "declined"}, headers=headers).status_code == 409


def test_solution_only_for_held_interview(api: httpx.Client, world: World) -> None:
    response = api.post(
        "/v1/interviews",
        json={"student_id": "H001", "solution": "morea"},
        headers=world.headers("watch_unit"),
    )
    assert response.status_code == 422


def test_unknown_ids_are_404(api: httpx.Client, world: World) -> None:
    headers = world.headers("inspector")
    assert api.get("/v1/students/NOPE42", headers=headers).status_code == 404
    # An action the role may not perform is refused whatever the id, before any lookup.
    assert (
        api.post("/v1/interviews", json={"student_id": "NOPE42"}, headers=headers).status_code
        == 403
    )
    headers = world.headers("watch_unit")
    assert api.patch("/v1/interviews/999", json={"notes": "x"}, headers=headers).status_code == 404
    missing_week = f"/v1/establishments/{HOME_UAI}/lists/2026-12-07"
    assert api.get(missing_week, headers=headers).status_code == 404


def test_malformed_payloads_get_field_level_422(api: httpx.Client, world: World) -> None:
    headers = world.headers("watch_unit")
    response = api.post(
        "/v1/interviews",
        json={"student_id": "H001", "status": "done", "interview_date": "tomorrow", "extra": 1},
        headers=headers,
    )
    assert response.status_code == 422
    locations = {tuple(item["loc"]) for item in response.json()["detail"]}
    assert {("body", "status"), ("body", "interview_date"), ("body", "extra")} <= locations
    assert all(set(item) == {"loc", "msg", "type"} for item in response.json()["detail"])
    blank = api.post("/v1/dismissals", json={"student_id": "H001", "reason": "  "}, headers=headers)
    assert blank.status_code == 422
    assert blank.json()["detail"][0]["loc"] == ["body", "reason"]
    not_json = api.post(
        "/v1/interviews",
        content=b"{not json",
        headers={**headers, "content-type": "application/json"},
    )
    assert not_json.status_code == 422
    assert api.get("/v1/establishments/35/lists/2026-11-30", headers=headers).status_code == 422
    assert (
        api.get(f"/v1/establishments/{HOME_UAI}/lists/2026-13-01", headers=headers).status_code
        == 422
    )


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Basic Y3BlOnNlY3JldA==",
        "Bearer not-a-token",
        "Bearer vigie_0123456789abcdef_" + "A" * 43,  # well-formed, unknown id
    ],
)
def test_missing_or_forged_tokens_are_401(
    api: httpx.Client, world: World, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = api.get(LIST, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"detail": "a valid bearer token is required"}
    assert audit(world, action="authenticate", outcome="denied")


def test_right_id_wrong_secret_is_401(api: httpx.Client, world: World) -> None:
    token_id = world.tokens.watch_unit.split("_")[1]
    forged = f"vigie_{token_id}_{issue_token().plaintext.split('_', 2)[2]}"
    assert api.get(LIST, headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    [entry] = audit(world, action="authenticate")
    assert entry.detail == f"unknown token {token_id} from 127.0.0.1"
    assert forged.split("_", 2)[2] not in (entry.detail or "")


def test_expired_and_disabled_tokens_are_401(api: httpx.Client, world: World) -> None:
    from serving.db.models import User
    from serving.services import disable_user
    from tests.serving.conftest import OPERATOR

    with world.store.transaction() as session:
        user = session.scalar(select(User).where(User.username == "inspector"))
        user.token_expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    assert api.get(LIST, headers=world.headers("inspector")).status_code == 401
    assert audit(world, action="authenticate")[-1].detail.startswith("expired token")
    assert api.get(LIST, headers=world.headers("data_scientist")).status_code == 200
    disable_user(world.store, OPERATOR, "data.scientist")
    assert api.get(LIST, headers=world.headers("data_scientist")).status_code == 401


@pytest.mark.parametrize(
    "hostile",
    ["H001' OR '1'='1", "H001; DROP TABLE students; --", "' UNION SELECT * FROM users --"],
)
def test_sql_looking_strings_are_refused_or_stored_verbatim(
    api: httpx.Client, world: World, hostile: str
) -> None:
    headers = world.headers("watch_unit")
    assert api.get(f"/v1/students/{hostile}", headers=headers).status_code in (404, 422)
    assert (
        api.post("/v1/interviews", json={"student_id": hostile}, headers=headers).status_code == 422
    )
    created = api.post(
        "/v1/interviews", json={"student_id": "H003", "notes": hostile}, headers=headers
    )
    assert created.status_code == 201
    record = api.get("/v1/students/H003", headers=headers).json()
    assert record["interviews"][0]["notes"] == hostile
    assert api.get(LIST, headers=headers).json()["entries"][0]["student_id"] == "H001"
    assert (
        api.get("/v1/audit?student_id=" + hostile, headers=world.headers("inspector")).status_code
        == 422
    )


def test_oversized_bodies_are_413_and_audited(api: httpx.Client, world: World) -> None:
    headers = world.headers("watch_unit")
    big = {"student_id": "H001", "reason": "x" * 100_000}
    response = api.post("/v1/dismissals", json=big, headers=headers)
    assert response.status_code == 413
    assert response.json()["detail"].startswith("request body over")

    def chunks():  # streamed, no Content-Length
        for _ in range(100):
            yield b" " * 1024

    streamed = api.post(
        "/v1/interviews", content=chunks(), headers={**headers, "content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert len(audit(world, action="request_too_large")) == 2
    with world.store.reading() as session:
        assert session.scalars(select(Interview)).all() == []


def test_errors_never_leak_a_stack_trace(api: httpx.Client, world: World) -> None:
    headers = world.headers("watch_unit")
    json_headers = {**headers, "content-type": "application/json"}
    for response in (
        api.post(
            "/v1/interviews",
            content=b"\xff\xfe",
            headers={**headers, "content-type": "application/json"},
        ),
        api.patch("/v1/interviews/99999999999999999999999", json={}, headers=headers),
        api.post(
            "/v1/interviews",
            content=rb'{"student_id": "H001", "notes": "\ud800"}',
            headers=json_headers,
        ),
        api.post(
            "/v1/dismissals",
            content=rb'{"student_id": "H001", "reason": "a\u0000b"}',
            headers=json_headers,
        ),
        api.post("/v1/interviews", json=[1, 2], headers=headers),
    ):
        assert response.status_code < 500, response.text
        assert "Traceback" not in response.text
        assert "sqlalchemy" not in response.text.lower()


def test_the_list_is_served_as_its_view_and_documented(world: World, api: httpx.Client) -> None:
    """The route serialises the service's view itself: same body as the view's JSON, same
    schema in OpenAPI as a `response_model` route."""
    from serving.services import authenticate_token, get_week_list
    from serving.services.views import WeekListView

    response = api.get(LIST, headers=world.headers("watch_unit"))
    assert response.headers["content-type"] == "application/json"
    actor = authenticate_token(world.store, world.tokens.watch_unit)
    view = get_week_list(world.store, actor, HOME_UAI, WEEK)
    assert WeekListView.model_validate_json(response.content) == view
    assert response.json() == view.model_dump(mode="json")
    operation = api.get("/openapi.json").json()["paths"]["/v1/establishments/{uai}/lists/{week}"][
        "get"
    ]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/WeekListView"}


def test_openapi_documents_the_parts_and_the_follow_up(api: httpx.Client) -> None:
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    entry = schemas["ListEntryView"]["properties"]
    assert entry["tier"]["enum"] == ["invite", "watch", "follow_up"]
    assert "follow_up" in entry["tier"]["description"]
    assert {"$ref": "#/components/schemas/FollowUpView"} in entry["follow_up"]["anyOf"]
    follow_up = schemas["FollowUpView"]["properties"]
    assert set(follow_up) == {"kind", "week", "date", "solution", "risk_then", "risk_now"}
    assert follow_up["kind"]["enum"] == ["under_way", "held", "dismissed"]


def test_a_student_held_last_week_is_in_follow_up_and_the_slot_goes_to_the_next(
    api: httpx.Client, world: World
) -> None:
    from serving.weekly import replace_week_lists
    from tests.serving.conftest import week_input

    held = api.post(
        "/v1/interviews",
        json={
            "student_id": "H001",
            "status": "held",
            "interview_date": (WEEK + dt.timedelta(days=1)).isoformat(),
            "solution": "tutoring",
        },
        headers=world.headers("watch_unit"),
    )
    assert held.status_code == 201, held.text
    next_week = WEEK + dt.timedelta(weeks=1)
    replace_week_lists(
        world.store,
        as_of=next_week,
        model_version="vigie-dropout/3",
        establishments=week_input(),
        watch_threshold=0.3,
    )
    response = api.get(
        f"/v1/establishments/{HOME_UAI}/lists/{next_week.isoformat()}",
        headers=world.headers("watch_unit"),
    )
    assert response.status_code == 200
    entries = response.json()["entries"]
    assert [(e["rank"], e["tier"], e["student_id"]) for e in entries] == [
        (1, "invite", "H002"),
        (2, "invite", "H003"),
        (3, "follow_up", "H001"),
    ]
    assert entries[0]["follow_up"] is None
    assert entries[-1]["follow_up"] == {
        "kind": "held",
        "week": WEEK.isoformat(),
        "date": (WEEK + dt.timedelta(days=1)).isoformat(),
        "solution": "tutoring",
        "risk_then": 0.61,
        "risk_now": 0.61,
    }


def test_the_list_response_gives_each_students_context_weight_apart_or_none_for_older_weeks(
    api: httpx.Client, world: World
) -> None:
    from dataclasses import replace

    from serving.list_payload import CONTEXT_KEY
    from serving.weekly import replace_week_lists
    from tests.serving.conftest import week_input

    context = {"points": 0.057, "risk_without": 0.553, "text_fr": "Contexte…", "text_en": "Ctx…"}
    week = WEEK + dt.timedelta(weeks=2)
    home, other = week_input()
    scored = tuple(
        replace(s, features_shown={**s.features_shown, CONTEXT_KEY: context})
        if s.student_id == "H001"
        else s  # stored as before the context was kept
        for s in home.scored
    )
    replace_week_lists(
        world.store,
        as_of=week,
        model_version="vigie-dropout/3",
        establishments=[replace(home, scored=scored), other],
        watch_threshold=0.3,
    )
    response = api.get(
        f"/v1/establishments/{HOME_UAI}/lists/{week.isoformat()}",
        headers=world.headers("inspector"),
    )
    assert response.status_code == 200, response.text
    entries = {e["student_id"]: e for e in response.json()["entries"]}
    assert entries["H001"]["context"] == context
    assert CONTEXT_KEY not in entries["H001"]["features_shown"]
    assert entries["H002"]["context"] is None
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["ContextView"]["properties"]) == {
        "points", "risk_without", "text_fr", "text_en",
    }  # fmt: skip

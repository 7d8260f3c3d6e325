"""POST /v1/score on a live server: students scored and explained from posted events through
the same feature code as the weekly lists; contract errors named; scope, role and champion
enforced; every request audited."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import select

from features.builder import build_features
from serving.db.models import AuditEntry
from serving.scoring import ModelUnavailable, RegisteredModel
from serving.scoring.posted import write_posted_extraction

from .conftest import HOME_UAI, OTHER_UAI, LiveServer, World
from .test_scoring_support import AS_OF, academie, posted_tables, registered, risk_model

__all__ = ["academie", "registered", "risk_model"]  # fixtures


@pytest.fixture(scope="module")
def student_ids(academie: Path) -> list[str]:
    """Two students enrolled on AS_OF in the same establishment."""
    features = build_features(academie, [AS_OF]).frame
    uai = features["uai"].iloc[0]
    return list(features.loc[features["uai"] == uai, "student_id"].iloc[:2])


@pytest.fixture
def body(academie: Path, student_ids: list[str]) -> dict[str, Any]:
    """Their events this school year (the posted body stays small), as HOME_UAI students."""
    tables = posted_tables(academie, student_ids, uai=HOME_UAI)
    for name in ("attendance", "grades", "exams"):
        tables[name] = [row for row in tables[name] if row["date"] >= "2026-09-01"]
    return {"as_of": AS_OF.isoformat(), **tables}


@pytest.fixture
def champion(live_server: LiveServer, registered: RegisteredModel) -> Iterator[list[int]]:
    """The live app's champion provider replaced by the test model; counts its calls."""
    calls: list[int] = []

    def provide() -> RegisteredModel:
        calls.append(1)
        return registered

    live_server.app.state.champion = provide
    yield calls
    del live_server.app.state.champion


def _audit(world: World, action: str = "score_students") -> list[AuditEntry]:
    with world.store.reading() as session:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        return list(session.scalars(query))


def test_a_watch_unit_scores_its_students_with_reasons_in_both_languages(
    api: httpx.Client,
    world: World,
    body: dict[str, Any],
    champion: list[int],
    registered: RegisteredModel,
    student_ids: list[str],
) -> None:
    response = api.post(
        "/v1/score", json={**body, "language": "en"}, headers=world.headers("watch_unit")
    )
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["model_version"] == "vigie-dropout/1"
    assert payload["not_enrolled"] == []
    scored = {student["student_id"]: student for student in payload["students"]}
    assert sorted(scored) == sorted(student_ids)
    # The same features as a folder of these tables gives the one builder, the same model.
    with tempfile.TemporaryDirectory() as folder:
        write_posted_extraction(body, Path(folder))
        features = build_features(folder, [AS_OF])
    expected = dict(
        zip(features.frame["student_id"], registered.model.predict_risk(features), strict=True)
    )
    for student_id, student in scored.items():
        assert student["uai"] == HOME_UAI
        np.testing.assert_allclose(student["risk"], expected[student_id], rtol=1e-12)
        assert len(student["reasons"]) <= 3  # own signals only: context is never one
        for reason in student["reasons"]:
            assert reason["text"] == reason["text_en"] != reason["text_fr"]
            assert reason["direction"] == "raises"
        assert all(reason["direction"] == "lowers" for reason in student["protective"])
        for reason in (*student["reasons"], *student["protective"]):
            assert reason["signal"] == "own" and reason["weight_text"] == reason["weight_text_en"]
        assert {reason["feature"] for reason in student["context"]} >= {"level", "track"}
        assert student["context_text"].startswith("Context (level, track, establishment)")
    assert any(student["reasons"] for student in scored.values())
    names = {row["last_name"] for row in body["students"]} | {
        row["first_name"] for row in body["students"]
    }
    assert not any(name in response.text for name in names)
    (entry,) = _audit(world)
    assert (entry.username, entry.outcome, entry.uai) == ("cpe.home", "allowed", HOME_UAI)
    assert entry.model_version == "vigie-dropout/1"
    french = api.post("/v1/score", json=body, headers=world.headers("inspector"))
    assert french.status_code == 200, french.text
    reason = next(s["reasons"][0] for s in french.json()["students"] if s["reasons"])
    assert reason["text"] == reason["text_fr"]


def test_broken_contract_rules_are_named_by_table_row_column_and_rule(
    api: httpx.Client, world: World, body: dict[str, Any], champion: list[int]
) -> None:
    body["enrollments"][-1]["level"] = "7e"
    del body["establishments"][0]["weekly_interview_capacity"]
    response = api.post("/v1/score", json=body, headers=world.headers("watch_unit"))
    assert response.status_code == 422, response.text
    found = {
        (item["table"], item["row"], item["column"], item["rule"])
        for item in response.json()["detail"]
    }
    last = len(body["enrollments"]) - 1
    assert ("enrollments", last, "level", "code") in found
    # A contract column left out of a record is an empty cell: the capacity is required.
    assert ("establishments", 0, "weekly_interview_capacity", "not_null") in found
    assert _audit(world) == []


def test_a_malformed_body_is_a_422_without_scoring(
    api: httpx.Client, world: World, body: dict[str, Any], champion: list[int]
) -> None:
    for bad in (
        {**body, "students": "everyone"},
        {**body, "as_of": "monday"},
        {**body, "extra": 1},
    ):
        response = api.post("/v1/score", json=bad, headers=world.headers("watch_unit"))
        assert response.status_code == 422
    assert champion == []


def test_another_schools_students_and_admins_are_refused_and_logged(
    api: httpx.Client, world: World, body: dict[str, Any], champion: list[int]
) -> None:
    response = api.post("/v1/score", json=body, headers=world.headers("other_watch_unit"))
    assert response.status_code == 403
    assert not any(row["student_id"] in response.text for row in body["students"])
    assert api.post("/v1/score", json=body, headers=world.headers("admin")).status_code == 403
    assert api.post("/v1/score", json=body).status_code == 401
    denied = _audit(world)
    assert [(entry.username, entry.outcome) for entry in denied] == [
        ("cpe.other", "denied"),
        ("admin", "denied"),
    ]
    assert denied[0].uai == HOME_UAI
    assert champion == []  # refused before any model is loaded
    # A student enrolled in the other school this year: refused; there in a past year: fine.
    moved_now = _moved_to_other_school(body, current=True)
    response = api.post("/v1/score", json=moved_now, headers=world.headers("watch_unit"))
    assert response.status_code == 403
    moved_before = _moved_to_other_school(body, current=False)
    response = api.post("/v1/score", json=moved_before, headers=world.headers("watch_unit"))
    assert response.status_code == 200, response.text


def _moved_to_other_school(body: dict[str, Any], *, current: bool) -> dict[str, Any]:
    """The body with a student's enrollments of this school year (`current`) or of the past
    years moved to the other school, which the establishments table then holds."""
    enrollments = [dict(row) for row in body["enrollments"]]
    matching = [row for row in enrollments if (row["school_year"] == "2026-2027") == current]
    assert matching
    moved = [row for row in matching if row["student_id"] == matching[0]["student_id"]]
    for row in moved:
        row["uai"] = OTHER_UAI
    other = {**body["establishments"][0], "uai": OTHER_UAI}
    return {**body, "enrollments": enrollments, "establishments": [*body["establishments"], other]}


def test_without_champion_the_route_answers_503(
    api: httpx.Client, world: World, body: dict[str, Any], live_server: LiveServer
) -> None:
    def none() -> RegisteredModel:
        raise ModelUnavailable(
            "vigie-dropout has no champion version: promote a version with `vigie promote`"
        )

    live_server.app.state.champion = none
    try:
        response = api.post("/v1/score", json=body, headers=world.headers("data_scientist"))
    finally:
        del live_server.app.state.champion
    assert response.status_code == 503
    assert "vigie promote" in response.json()["detail"]


def test_the_route_is_in_the_openapi_schema(api: httpx.Client) -> None:
    schema = api.get("/openapi.json").json()
    operation = schema["paths"]["/v1/score"]["post"]
    assert {"200", "403", "422", "503"} <= set(operation["responses"])


def test_the_score_route_takes_bodies_over_the_general_limit_but_not_unbounded(
    api: httpx.Client, world: World, body: dict[str, Any], champion: list[int]
) -> None:
    from serving.api.routes.score import SCORE_MAX_BODY_BYTES
    from settings import load_settings

    general = load_settings().serving.max_body_bytes
    padded = {**body, "padding": "x" * (general + 1024)}  # over the general limit only
    response = api.post("/v1/score", json=padded, headers=world.headers("watch_unit"))
    assert response.status_code != 413, response.text
    huge = {**body, "padding": "x" * (SCORE_MAX_BODY_BYTES + 1)}
    response = api.post("/v1/score", json=huge, headers=world.headers("watch_unit"))
    assert response.status_code == 413
    assert "padding" not in response.text

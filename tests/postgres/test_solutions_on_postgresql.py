"""Suggested solutions on PostgreSQL: migration 0012's columns, the suggestion recorded
beside a held interview's solution (a JSON list), an interview held without a date counted
from the day it was written, and how often choices followed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from models.solutions import shipped_rules
from serving.db import Store, open_store
from serving.db.models import Interview
from serving.services import NewInterview, record_interview
from serving.services.solutions import get_student_solutions, get_suggestion_followed
from serving.solutions.recorded import interview_held_on
from serving.weekly import replace_week_lists
from tests.postgres.conftest import Server
from tests.serving.conftest import HOME_UAI, TODAY, WEEK, make_actor, week_input
from tests.serving.test_solutions import recorded_extraction

UNIT = make_actor("watch_unit", HOME_UAI)


@pytest.fixture(autouse=True)
def request_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("serving.db.enrollments.request_date", lambda: TODAY)


@pytest.fixture
def store(postgres: Server, tmp_path: Path) -> Iterator[Store]:
    store = open_store(postgres.new_database())
    replace_week_lists(store, as_of=WEEK, model_version="vigie-dropout/3",
                       establishments=week_input(), watch_threshold=0.3)  # fmt: skip
    recorded_extraction(store, tmp_path / "extraction")
    yield store
    store.dispose()


def test_the_suggestion_is_recorded_beside_the_choice_on_postgresql(store: Store) -> None:
    columns = {column["name"] for column in inspect(store.engine).get_columns("interviews")}
    assert {"suggested_solutions", "suggestion_rules_sha256"} <= columns
    held_on = dt.date(2026, 12, 10)
    new = NewInterview(student_id="H001", status="held", interview_date=held_on, solution="morea")
    chosen = record_interview(store, UNIT, new)
    assert chosen.suggested_solutions == ["tutoring", "morea", "aar", "foquale"]
    assert chosen.followed_suggestion is True
    assert get_student_solutions(store, UNIT, "H001", held_on).facts.interview_held
    assert not get_student_solutions(store, UNIT, "H001", dt.date(2026, 12, 9)).facts.interview_held
    # Held without a date: from the (UTC) day it was written.
    written = dt.datetime(2026, 12, 2, 23, 30, tzinfo=dt.UTC)
    with store.transaction() as session:
        session.add(Interview(student_id="H002", uai=HOME_UAI, status="held", created_by="x",
                              created_at=written, updated_by="x", updated_at=written))  # fmt: skip
    with store.reading() as session:
        row = session.get(Interview, chosen.id)
        assert row is not None and row.suggestion_rules_sha256 == shipped_rules().sha256
        assert interview_held_on(session, "H002", dt.date(2026, 12, 2))
        assert not interview_held_on(session, "H002", dt.date(2026, 12, 1))
    followed = get_suggestion_followed(store, make_actor("inspector"))
    assert (followed.solutions_recorded, followed.followed) == (1, 1)

"""The student page of a student who moved in, read by the new school before it listed them:
the latest week on the record is the former school's list. Its reasons show (the record's
rule), but neither its explanation nor its notice is offered (both are read only through the
establishment that listed the student): no denied read is logged against the new school for
opening its own student's page, and no button fails at the click."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import serving.services
from app_dashboard import runtime
from serving.db import Store
from serving.db.models import AuditEntry
from serving.services import Actor
from serving.services.views import StudentRecordView
from tests.dashboard.conftest import app_as
from tests.dashboard.world import USERNAMES, DashboardWorld


def _denied(store: Store, username: str) -> int:
    with store.reading() as session:
        query = select(func.count()).where(
            AuditEntry.outcome == "denied", AuditEntry.username == username
        )
        return session.scalar(query.select_from(AuditEntry)) or 0


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_former_schools_week_offers_no_explanation_nor_notice(
    store: Store, world: DashboardWorld, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    real = serving.services.get_student_record

    def moved_in(store: Store, actor: Actor, student_id: str) -> StudentRecordView:
        """The record as the service gives it once the latest week listed the student at
        the former school (the other establishment of the world)."""
        record = real(store, actor, student_id)
        latest = record.history[0].model_copy(update={"uai": world.other_uai})
        return record.model_copy(update={"history": [latest, *record.history[1:]]})

    monkeypatch.setattr(serving.services, "get_student_record", moved_in)
    before = _denied(store, USERNAMES["watch_unit"])
    app = app_as(store, "watch_unit", language)
    app.session_state[runtime.STUDENT] = world.home_students[0]
    app.run()
    app.switch_page("views/student.py")
    app.run()
    assert not app.exception
    assert not app.get("download_button")  # no notice to a family from another's list
    assert not app.error
    captions = " ".join(element.value for element in app.caption)
    expected = {
        "fr": "établissement qui l'avait inscrit sur sa liste",
        "en": "establishment that listed the student",
    }[language]
    assert expected in captions
    assert _denied(store, USERNAMES["watch_unit"]) == before

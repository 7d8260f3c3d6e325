"""The student page shows interview notes and dismissal reasons only to the watch unit of the
establishment that wrote them; anyone else sees a short marker instead of the free text."""

from __future__ import annotations

import datetime as dt

from app_dashboard import runtime
from serving.services import NewDismissal, NewInterview, dismiss_student, record_interview
from tests.dashboard.conftest import app_as, sign_in, texts

STUDENT_PAGE = "views/student.py"
NOTES = "Conflit avec un enseignant, la mère est inquiète"
REASON = "Accompagné par l'infirmière scolaire"
WEEK = dt.date(2026, 11, 30)  # the world's latest list


def test_a_note_the_reader_may_not_see_shows_a_marker_not_the_text(store, world):
    student = world.home_students[-1]
    unit = sign_in(store, "watch_unit")
    record_interview(store, unit, NewInterview(student_id=student, status="declined", notes=NOTES))
    dismiss_student(store, unit, NewDismissal(student_id=student, reason=REASON, week=WEEK))
    shown = {}
    for role in ("watch_unit", "inspector"):
        app = app_as(store, role)
        app.session_state[runtime.STUDENT] = student
        app.run()
        app.switch_page(STUDENT_PAGE)
        app.run()
        assert not app.exception
        shown[role] = texts(app)
    assert NOTES in shown["watch_unit"] and REASON in shown["watch_unit"]
    assert "non visible" not in shown["watch_unit"]
    assert NOTES not in shown["inspector"] and REASON not in shown["inspector"]
    assert "Note de l'établissement qui l'a écrite, non visible" in shown["inspector"]
    assert "Motif de l'établissement qui l'a écrit, non visible" in shown["inspector"]

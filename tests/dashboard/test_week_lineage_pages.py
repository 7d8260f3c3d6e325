"""The pages about a week refuse, in the page's language, a week whose recorded data are
altered or missing (`serving.lineage`), and show the week again once its data are back."""

from __future__ import annotations

from pathlib import Path

import pytest

from app_dashboard import runtime
from serving.lineage import recorded_week
from tests.dashboard.conftest import app_as, shown, texts

STUDENT_PAGE = "views/student.py"


def _student_page(store, student: str, language: str):
    app = app_as(store, "watch_unit", language)
    app.session_state[runtime.STUDENT] = student
    app.run()
    app.switch_page(STUDENT_PAGE)
    app.run()
    assert not app.exception
    return app


@pytest.mark.parametrize(
    ("language", "altered", "missing"),
    [
        (
            "fr",
            "Données de la semaine du 30/11/2026 modifiées depuis le calcul de sa liste "
            "(contributions aux scores)",
            "Données de la semaine du 30/11/2026 introuvables (contributions aux scores)",
        ),
        (
            "en",
            "Data of the week of 30/11/2026 changed since its list was scored (contributions "
            "to the scores)",
            "Data of the week of 30/11/2026 missing (contributions to the scores)",
        ),
    ],
)
def test_the_student_page_refuses_an_altered_or_missing_weeks_data(
    store, world, language: str, altered: str, missing: str
) -> None:
    student = world.home_students[0]
    with store.reading() as session:
        path = Path(recorded_week(session, world.weeks[1]).contributions_path)
    original = path.read_bytes()
    assert world.weeks[1].isoformat() == "2026-11-30"
    try:
        flipped = bytearray(original)
        flipped[len(flipped) // 2] ^= 0xFF
        path.write_bytes(bytes(flipped))
        app = _student_page(store, student, language)
        assert [e for e in app.error if altered in shown(e.value)], [e.value for e in app.error]
        assert len(app.get("vega_lite_chart")) == 2  # risk and absences, no waterfall
        path.unlink()
        app = _student_page(store, student, language)
        assert [e for e in app.error if missing in shown(e.value)], [e.value for e in app.error]
    finally:
        path.write_bytes(original)
    app = _student_page(store, student, language)
    assert not app.error and len(app.get("vega_lite_chart")) == 3
    assert "30/11/2026" in texts(app)

"""The suggested solutions on the student page, in French and English: each solution with its
rule, the facts that meet it and the rule's source, as the service gives them; the interview
form marks the suggested solutions and records the suggestion beside the choice, which may be
another one; inspectors read how often the choice followed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app_dashboard import runtime
from app_dashboard.wording import text, vocabulary
from models.solutions import (
    EnrollmentRecord,
    ExamRecord,
    check_rule,
    check_text,
    facts_on,
    shipped_rules,
)
from serving.db.models import Interview
from serving.services.solutions import get_student_solutions
from tests.dashboard.conftest import app_as, sign_in, texts

STUDENT_PAGE = "views/student.py"


def open_student(store, role: str, student: str, language: str = "fr"):
    app = app_as(store, role, language)
    app.session_state[runtime.STUDENT] = student
    app.run()
    app.switch_page(STUDENT_PAGE)
    app.run()
    assert not app.exception
    return app


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_student_page_shows_each_suggestion_with_rule_facts_and_source(
    store, world, language: str
) -> None:
    student = world.home_students[3]
    expected = get_student_solutions(store, sign_in(store, "watch_unit"), student)
    assert expected.suggestions  # an enrolled student is offered tutoring at least
    app = open_student(store, "watch_unit", student, language)
    shown = texts(app)
    assert text("solutions_title", language) in [h.value for h in app.subheader]
    for suggestion in expected.suggestions:
        assert (suggestion.title_en if language == "en" else suggestion.title_fr) in shown
        assert suggestion.source in shown
        for check in suggestion.checks:
            assert (check.text_en if language == "en" else check.text_fr) in shown
    # The form's select marks exactly the suggested solutions.
    suggested = {each.solution for each in expected.suggestions}
    marked = {
        option
        for option in app.selectbox(key="new_solution").options
        if option.endswith("suggérée" if language == "fr" else "suggested")
    }
    assert marked == {
        text("solution_suggested", language, solution=vocabulary("solution", word, language))
        for word in suggested
    }


def test_the_choice_is_free_and_recorded_beside_the_suggestion(store, world) -> None:
    student = world.home_students[4]
    expected = get_student_solutions(store, sign_in(store, "watch_unit"), student)
    suggested = [each.solution for each in expected.suggestions]
    app = open_student(store, "watch_unit", student)
    app.selectbox(key="new_status").set_value("held")
    app.selectbox(key="new_solution").set_value("other")  # not suggested: chosen all the same
    next(b for b in app.button if b.label == "Enregistrer").click()
    app.run()
    assert not app.exception
    assert [s.value for s in app.success] == ["Enregistré."]
    with store.reading() as session:
        [saved] = session.scalars(select(Interview).where(Interview.student_id == student)).all()
    assert (saved.status, saved.solution) == ("held", "other")
    # The interview is held: what is suggested then includes the actions awaiting it.
    assert saved.suggested_solutions == suggested
    assert saved.suggestion_rules_sha256 == expected.rules_sha256
    words = ", ".join(vocabulary("solution", word, "fr") for word in suggested)
    assert f"suggérées alors : {words}" in texts(app)


def test_inspectors_see_how_often_the_choice_followed(store, world) -> None:
    app = app_as(store, "inspector")
    app.run()
    app.switch_page("views/fairness.py")
    app.run()
    assert not app.exception
    assert "Choix et solutions suggérées" in [h.value for h in app.subheader]
    assert "Entretiens tenus avec une solution enregistrée" in texts(app)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_suggestion_text_reads_as_a_raw_code(language: str) -> None:
    # What the browser test's reader looks for (codes, dotted keys, bad percentages), in
    # every title, source and check sentence the shipped rules can show.
    from tests.dashboard.test_browser import raw_codes

    on = dt.date(2026, 12, 7)
    this_year = EnrollmentRecord("2026-2027", dt.date(2026, 9, 1))
    diploma = EnrollmentRecord("2025-2026", dt.date(2025, 9, 1), dt.date(2026, 7, 4), "diploma")
    dropped = EnrollmentRecord("2025-2026", dt.date(2025, 9, 1), dt.date(2026, 2, 1), "dropped")
    failed_cap = ExamRecord(dt.date(2026, 6, 20), "cap", "fail")
    bac_pro = ExamRecord(dt.date(2026, 7, 1), "bac_pro", "pass")
    cases = [
        (dt.date(2009, 3, 1), this_year, [failed_cap], False),
        (dt.date(2007, 3, 1), diploma, [bac_pro], True),
        (None, dropped, [], True),
        (dt.date(2008, 3, 1), dropped, [], True),
    ]
    students = [
        facts_on(
            on,
            student_id="a",
            birth_date=birth,
            enrollments=[enrollment],
            exams=exams,
            interview_held=held,
        )
        for birth, enrollment, exams, held in cases
    ]
    table = shipped_rules()
    shown = [rule.title_en if language == "en" else rule.title_fr for rule in table.rules]
    shown += [rule.source for rule in table.rules]
    for facts in students:
        for rule in table.rules:  # every check, met or not
            shown += [check_text(check, facts, language) for check in check_rule(facts, rule)]
    assert len(shown) > 40
    assert raw_codes("\n".join(shown), language) == []

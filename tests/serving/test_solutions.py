"""Suggested solutions in the service layer: read from the latest week's extraction for the
student's own watch unit (and the académie-wide roles), refused to a former school over time,
recorded beside the choice of a held interview, and counted (how often the choice followed)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from models.solutions import shipped_rules
from serving.db import Store
from serving.db.models import AuditEntry, Enrollment, Interview, WeeklyRun
from serving.lineage import WeekDataUnavailable, extraction_sha256
from serving.services import (
    AccessDenied,
    InterviewChanges,
    InvalidRequest,
    NewInterview,
    interviews,
    record_interview,
    update_interview,
)
from serving.services.solutions import get_student_solutions, get_suggestion_followed
from serving.solutions.followed import followed, suggestion_followed
from serving.solutions.recorded import interview_held_on

from .conftest import HOME_UAI, OTHER_UAI, TODAY, WEEK, World, make_actor

HOME = make_actor("watch_unit", HOME_UAI)
OTHER = make_actor("watch_unit", OTHER_UAI)
INSPECTOR = make_actor("inspector")
ADMIN = make_actor("admin")

STUDENTS = """student_id,birth_date,sex,scholarship_level,parent_pcs
H001,2009-10-01,F,0,middle
H002,2011-03-02,M,2,unknown
H003,2008-05-05,M,0,middle
O001,2009-01-01,F,0,middle
"""
ENROLLMENTS = f"""student_id,school_year,uai,level,track,class_id,start_date,end_date,exit_reason
H001,2025-2026,{HOME_UAI},CAP1,vocational,C1,2025-09-01,2026-07-04,completed
H001,2026-2027,{HOME_UAI},CAP2,vocational,C2,2026-09-01,,
H002,2026-2027,{HOME_UAI},3e,college,3A,2026-09-01,,
H003,2026-2027,{HOME_UAI},Tle_pro,vocational,T1,2026-09-01,,
O001,2026-2027,{OTHER_UAI},2nde,general,2B,2026-09-01,,
"""
EXAMS = """student_id,date,exam,result,score
H001,2026-06-20,cap,fail,8.5
H003,2026-07-04,bac_pro,pass,12.0
"""


def recorded_extraction(store: Store, folder: Path) -> Path:
    """A hand-made extraction (students, enrollments, exams) in `folder`, recorded as the
    extraction of the store's week."""
    folder.mkdir()
    for name, rows in (("students", STUDENTS), ("enrollments", ENROLLMENTS), ("exams", EXAMS)):
        (folder / f"{name}.csv").write_text(rows, encoding="utf-8")
    with store.transaction() as session:
        session.execute(
            update(WeeklyRun)
            .where(WeeklyRun.week == WEEK)
            .values(
                extraction_path=str(folder),
                extraction_sha256=extraction_sha256(folder),
                features_path=str(folder / "features.parquet"),
                features_sha256="0" * 64,
                contributions_path=str(folder / "contributions.parquet"),
                contributions_sha256="0" * 64,
            )
        )
    return folder


@pytest.fixture
def extraction(world: World, tmp_path: Path) -> Path:
    return recorded_extraction(world.store, tmp_path / "extraction")


def audited(world: World, action: str) -> list[tuple[str, str | None, str | None]]:
    with world.store.reading() as session:
        rows = session.execute(
            select(AuditEntry.outcome, AuditEntry.username, AuditEntry.student_id)
            .where(AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


@pytest.mark.usefixtures("extraction")
def test_the_watch_unit_reads_a_students_suggestions_with_rule_and_facts(world: World) -> None:
    view = get_student_solutions(world.store, HOME, "H001")
    assert view.as_of == TODAY
    assert view.rules_sha256 == shipped_rules().sha256
    assert view.facts.age == 17 and view.facts.enrolled
    assert [(each.exam, each.date) for each in view.facts.failed_exams] == [
        ("cap", dt.date(2026, 6, 20))
    ]
    solutions = {each.solution: each for each in view.suggestions}
    assert list(solutions) == ["tutoring", "morea", "aar", "foquale"]
    morea = solutions["morea"]
    assert morea.rule_id == "mlds_morea" and "2016-212" in morea.source
    assert morea.awaits_interview  # no interview held yet
    failed = next(check for check in morea.checks if check.condition == "failed_exam_in")
    assert failed.value == ["cap"] and failed.met
    assert failed.text_fr.startswith("non admis au CAP (20/06/2026)")
    assert failed.text_en.startswith("failed the CAP (20/06/2026)")
    assert audited(world, "read_solutions") == [("allowed", HOME.username, "H001")]


@pytest.mark.usefixtures("extraction")
def test_the_facts_are_those_of_the_date_asked(world: World) -> None:
    # Before her 17th birthday and before the CAP: 16, nothing failed yet, no MOREA.
    view = get_student_solutions(world.store, HOME, "H001", dt.date(2026, 6, 1))
    assert view.facts.age == 16 and view.facts.failed_exams == []
    assert "morea" not in {each.solution for each in view.suggestions}
    # A fifteen-year-old is offered no MLDS action, only tutoring.
    young = get_student_solutions(world.store, HOME, "H002")
    assert young.facts.age == 15
    assert [each.solution for each in young.suggestions] == ["tutoring"]
    with pytest.raises(InvalidRequest, match="as_of: 2026-12-17 is after today"):
        get_student_solutions(world.store, HOME, "H001", TODAY + dt.timedelta(days=1))


@pytest.mark.usefixtures("extraction")
def test_only_the_students_own_watch_unit_and_the_academie_wide_roles_read_them(
    world: World,
) -> None:
    with pytest.raises(AccessDenied):
        get_student_solutions(world.store, OTHER, "H001")
    with pytest.raises(AccessDenied):
        get_student_solutions(world.store, ADMIN, "H001")
    with pytest.raises(AccessDenied):  # an unknown id: the same refusal as another school's
        get_student_solutions(world.store, HOME, "NOBODY")
    assert get_student_solutions(world.store, INSPECTOR, "H001").student_id == "H001"
    assert [outcome for outcome, _, _ in audited(world, "read_solutions")] == [
        "denied", "denied", "denied", "allowed",
    ]  # fmt: skip


@pytest.mark.usefixtures("extraction")
def test_a_student_who_moved_is_read_by_the_new_school_only_whatever_the_date(
    world: World,
) -> None:
    with world.store.transaction() as session:
        session.add(Enrollment(student_id="H001", uai=OTHER_UAI, start_date=dt.date(2026, 12, 7)))
    # The former school is refused, even about a date the student was its own.
    for as_of in (None, dt.date(2026, 10, 1)):
        with pytest.raises(AccessDenied):
            get_student_solutions(world.store, HOME, "H001", as_of)
    assert get_student_solutions(world.store, OTHER, "H001", dt.date(2026, 10, 1)).facts.age == 17


def test_an_extraction_gone_is_refused_clearly(world: World, extraction: Path) -> None:
    shutil.rmtree(extraction)
    with pytest.raises(WeekDataUnavailable):
        get_student_solutions(world.store, HOME, "H001")


def interview_row(world: World, interview_id: int) -> Interview:
    with world.store.reading() as session:
        row = session.get(Interview, interview_id)
        assert row is not None
        session.expunge(row)
        return row


@pytest.mark.usefixtures("extraction")
def test_the_suggestion_is_recorded_beside_the_choice(world: World) -> None:
    held_on = dt.date(2026, 12, 10)
    chosen = record_interview(
        world.store,
        HOME,
        NewInterview(student_id="H001", status="held", interview_date=held_on, solution="morea"),
    )
    # The interview is held: the MLDS actions are suggested, not awaiting it.
    assert chosen.suggested_solutions == ["tutoring", "morea", "aar", "foquale"]
    assert chosen.followed_suggestion is True
    row = interview_row(world, chosen.id)
    assert row.suggestion_rules_sha256 == shipped_rules().sha256
    # Another choice, freely: recorded, not followed.
    changed = update_interview(world.store, HOME, chosen.id, InterviewChanges(solution="insertion"))
    assert changed.solution == "insertion"
    assert changed.suggested_solutions == ["tutoring", "morea", "aar", "foquale"]
    assert changed.followed_suggestion is False
    # Notes changed only: the suggestion stays as it was recorded.
    noted = update_interview(world.store, HOME, chosen.id, InterviewChanges(notes="revu"))
    assert noted.suggested_solutions == changed.suggested_solutions
    # The solution cleared: the suggestion with it.
    cleared = update_interview(world.store, HOME, chosen.id, InterviewChanges(solution=None))
    assert cleared.suggested_solutions is None and cleared.followed_suggestion is None
    assert interview_row(world, chosen.id).suggestion_rules_sha256 is None


@pytest.mark.usefixtures("extraction")
def test_an_interview_changed_since_its_suggestion_was_read_is_read_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    invited = record_interview(world.store, HOME, NewInterview(student_id="H001", status="invited"))
    held = update_interview(world.store, HOME, invited.id, InterviewChanges(status="held"))
    # The suggestion read before the write was for another day (someone changed the date
    # in between): the write reads it again, for the interview as it is.
    stale = interviews._Prepared("H001", "morea", dt.date(2026, 1, 5), (["other"], "0" * 64))
    monkeypatch.setattr(interviews, "_prepare_update", lambda *arguments: stale)
    chosen = update_interview(world.store, HOME, held.id, InterviewChanges(solution="morea"))
    assert chosen.suggested_solutions == ["tutoring", "morea", "aar", "foquale"]
    assert interview_row(world, held.id).suggestion_rules_sha256 == shipped_rules().sha256


@pytest.mark.usefixtures("extraction")
def test_no_suggestion_without_a_solution(world: World) -> None:
    invited = record_interview(world.store, HOME, NewInterview(student_id="H001", status="invited"))
    assert invited.suggested_solutions is None
    held = update_interview(world.store, HOME, invited.id, InterviewChanges(status="held"))
    assert held.suggested_solutions is None
    chosen = update_interview(world.store, HOME, invited.id, InterviewChanges(solution="aar"))
    assert chosen.suggested_solutions is not None and chosen.followed_suggestion is True


def test_a_choice_is_recorded_even_when_no_suggestion_can_be_made(
    world: World, extraction: Path
) -> None:
    shutil.rmtree(extraction)
    view = record_interview(
        world.store, HOME, NewInterview(student_id="H001", status="held", solution="tutoring")
    )
    assert view.solution == "tutoring"
    assert view.suggested_solutions is None and view.followed_suggestion is None


@pytest.mark.usefixtures("extraction")
def test_the_academie_table_is_the_one_recorded(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "academie.yaml"
    rules.write_text(
        "rules:\n  - id: diploma_work\n    solution: insertion\n    title_fr: T\n"
        "    title_en: T\n    source: Circulaire académique\n    qualified: true\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("VIGIE_SOLUTION_RULES", str(rules))
    holder = record_interview(
        world.store, HOME, NewInterview(student_id="H003", status="held", solution="insertion")
    )
    assert holder.suggested_solutions == ["insertion"] and holder.followed_suggestion
    assert interview_row(world, holder.id).suggestion_rules_sha256 != shipped_rules().sha256
    other = record_interview(
        world.store, HOME, NewInterview(student_id="H001", status="held", solution="aar")
    )
    assert other.suggested_solutions == [] and other.followed_suggestion is None


@pytest.mark.usefixtures("extraction")
def test_how_often_the_choice_followed_the_suggestion(world: World) -> None:
    for student_id, solution in (("H001", "morea"), ("H002", "morea"), ("H003", "insertion")):
        new = NewInterview(student_id=student_id, status="held", solution=solution)
        record_interview(world.store, HOME, new)
    record_interview(world.store, HOME, NewInterview(student_id="H001", status="invited"))
    view = get_suggestion_followed(world.store, INSPECTOR)
    # MOREA fits H001 (failed CAP) but not H002 (15: tutoring only); help towards work fits
    # H003 (a bac pro holder); the invitation has no solution to compare.
    assert view.solutions_recorded == 3 and view.with_suggestion == 3
    assert (view.followed, view.not_followed, view.nothing_suggested) == (2, 1, 0)
    assert view.followed_share == pytest.approx(2 / 3)
    assert view.by_solution["morea"] == {"followed": 1, "not_followed": 1, "nothing_suggested": 0}
    with pytest.raises(AccessDenied):
        get_suggestion_followed(world.store, HOME)


def test_the_count_of_choices_following_suggestions() -> None:
    view = suggestion_followed(
        [("morea", ["tutoring", "morea"]), ("other", ["aar"]), ("aar", []), ("aar", None),
         ("morea", ["morea"])]
    )  # fmt: skip
    assert view.solutions_recorded == 5 and view.with_suggestion == 4
    assert (view.followed, view.not_followed, view.nothing_suggested) == (2, 1, 1)
    assert view.followed_share == pytest.approx(2 / 3)
    assert view.by_solution["morea"] == {"followed": 2, "not_followed": 0, "nothing_suggested": 0}
    assert view.by_solution["aar"] == {"followed": 0, "not_followed": 0, "nothing_suggested": 1}
    assert suggestion_followed([]).followed_share is None
    assert followed("aar", ["aar"]) is True and followed("aar", []) is None
    assert followed(None, ["aar"]) is None and followed("aar", None) is None


@pytest.mark.usefixtures("extraction")
def test_the_api_serves_a_students_solutions_in_scope(api: httpx.Client, world: World) -> None:
    path = "/v1/students/H001/solutions"
    answer = api.get(path, params={"as_of": "2026-12-01"}, headers=world.headers("watch_unit"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["as_of"] == "2026-12-01" and body["facts"]["age"] == 17
    morea = next(each for each in body["suggestions"] if each["solution"] == "morea")
    assert morea["rule_id"] == "mlds_morea" and morea["awaits_interview"] is True
    assert {"text_fr", "text_en", "met"} <= set(morea["checks"][0])
    assert "last_name" not in body and "Nom" not in answer.text  # facts only, no name
    assert api.get(path, headers=world.headers("other_watch_unit")).status_code == 403
    assert api.get(path, headers=world.headers("admin")).status_code == 403
    assert api.get(path, headers=world.headers("inspector")).status_code == 200
    assert api.get("/v1/students/NOBODY/solutions",
                   headers=world.headers("inspector")).status_code == 404  # fmt: skip
    for bad in ("2026-13-01", "20261201", "2027-01-01"):
        refused = api.get(path, params={"as_of": bad}, headers=world.headers("watch_unit"))
        assert refused.status_code == 422, bad
    assert api.get(path).status_code == 401


@pytest.mark.usefixtures("extraction")
def test_the_api_counts_the_choices_that_followed(api: httpx.Client, world: World) -> None:
    record_interview(world.store, HOME,
                     NewInterview(student_id="H001", status="held", solution="morea"))  # fmt: skip
    answer = api.get("/v1/solutions/followed", headers=world.headers("inspector"))
    assert answer.status_code == 200
    assert (answer.json()["followed"], answer.json()["followed_share"]) == (1, 1.0)
    forbidden = api.get("/v1/solutions/followed", headers=world.headers("watch_unit"))
    assert forbidden.status_code == 403


@pytest.mark.parametrize(
    "module",
    [
        "serving.solutions.extraction_facts",
        "serving.solutions.recorded",
        "serving.services.solutions",
        "serving.api.routes.solutions",
    ],
)
def test_each_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    # The services' package imports the interviews service, which imports the suggestions:
    # whichever a caller (the leavers list, a page) imports first, no import cycle breaks.
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.mark.usefixtures("extraction")
def test_an_interview_counts_as_held_from_its_date(world: World) -> None:
    held_on = dt.date(2026, 12, 10)
    record_interview(world.store, HOME, NewInterview(student_id="H001", status="held",
                                                     interview_date=held_on))  # fmt: skip
    before = get_student_solutions(world.store, HOME, "H001", held_on - dt.timedelta(days=1))
    on_the_day = get_student_solutions(world.store, HOME, "H001", held_on)
    assert not before.facts.interview_held and on_the_day.facts.interview_held
    assert any(each.awaits_interview for each in before.suggestions)
    assert not any(each.awaits_interview for each in on_the_day.suggestions)
    # Held without a date: from the day it was written (UTC).
    written = dt.datetime(2026, 12, 2, 23, 30, tzinfo=dt.UTC)
    with world.store.transaction() as session:
        session.add(Interview(student_id="H002", uai=HOME_UAI, status="held", created_by="x",
                              created_at=written, updated_by="x", updated_at=written))  # fmt: skip
    with world.store.reading() as session:
        assert not interview_held_on(session, "H002", dt.date(2026, 12, 1))
        assert interview_held_on(session, "H002", dt.date(2026, 12, 2))
        assert not interview_held_on(session, "H003", dt.date(2026, 12, 16))

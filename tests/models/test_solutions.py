"""The suggested solutions' engine on hand-made students: each rule of the shipped table, the
facts of a date, an académie's own table and the errors of a bad one."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.solutions import (
    SOLUTIONS,
    EnrollmentRecord,
    ExamRecord,
    RuleTable,
    SolutionRulesError,
    StudentFacts,
    age_on,
    check_text,
    facts_on,
    load_rules,
    parse_rules,
    shipped_rules,
    suggest,
    suggested_solutions,
)
from serving.db.vocabulary import INTERVIEW_SOLUTIONS
from settings import SettingsError, load_settings
from vigie.cli import app

ON = dt.date(2026, 12, 7)
THIS_YEAR = "2026-2027"
LAST_YEAR = "2025-2026"


def born_aged(years: int) -> dt.date:
    """A birth date making the student `years` old on ON (birthday two months before)."""
    return dt.date(ON.year - years, ON.month - 2, ON.day)


def student(
    age: int,
    *,
    enrolled: bool = True,
    left_on: dt.date = dt.date(2026, 7, 4),
    exit_reason: str = "dropped_out",
    exams: tuple[ExamRecord, ...] = (),
    interview_held: bool = True,
) -> StudentFacts:
    """A hand-made student on ON: in class this year, or gone since `left_on`."""
    history = [EnrollmentRecord(LAST_YEAR, dt.date(2025, 9, 1), dt.date(2026, 7, 4), "completed")]
    if enrolled:
        history.append(EnrollmentRecord(THIS_YEAR, dt.date(2026, 9, 1)))
    else:
        start = dt.date(left_on.year - (left_on.month < 9), 9, 1)
        school_year = f"{start.year}-{start.year + 1}"
        history = [EnrollmentRecord(school_year, start, left_on, exit_reason)]
    return facts_on(
        ON,
        student_id="s1",
        birth_date=born_aged(age),
        enrollments=history,
        exams=exams,
        interview_held=interview_held,
    )


def solutions(facts: StudentFacts, table: RuleTable | None = None) -> tuple[str, ...]:
    return suggested_solutions(suggest(facts, table or shipped_rules()))


MLDS_ACTIONS = {"aar", "morea", "foquale", "insertion"}
FAILED_CAP = ExamRecord(dt.date(2026, 6, 20), "cap", "fail")


# The facts of a date.


def test_age_is_full_years_on_the_date() -> None:
    assert age_on(dt.date(2010, 12, 7), ON) == 16
    assert age_on(dt.date(2010, 12, 8), ON) == 15
    assert age_on(dt.date(2008, 2, 29), dt.date(2024, 2, 28)) == 15
    assert age_on(dt.date(2008, 2, 29), dt.date(2024, 3, 1)) == 16


def test_facts_read_leaving_exams_and_diplomas_on_the_date() -> None:
    facts = facts_on(
        ON,
        student_id="s1",
        birth_date=dt.date(2009, 1, 15),
        enrollments=[
            EnrollmentRecord(LAST_YEAR, dt.date(2025, 9, 1), dt.date(2026, 2, 10), "dropped_out"),
            EnrollmentRecord(THIS_YEAR, dt.date(2027, 1, 5)),  # after the date: not seen
        ],
        exams=[
            ExamRecord(dt.date(2025, 6, 30), "dnb", "pass"),
            ExamRecord(dt.date(2026, 6, 20), "bac_pro", "fail"),
            ExamRecord(dt.date(2026, 5, 2), "mock", "fail"),  # a mock exam is no exam
            ExamRecord(dt.date(2027, 6, 20), "bac_pro", "pass"),  # after the date
        ],
    )
    assert facts.age == 17
    assert not facts.enrolled
    assert facts.left_on == dt.date(2026, 2, 10)
    assert facts.exit_reason == "dropped_out"
    assert facts.months_since_leaving == 9
    assert [(each.exam, each.date) for each in facts.failed_exams] == [
        ("bac_pro", dt.date(2026, 6, 20))
    ]
    assert facts.diplomas == ("dnb",)
    assert not facts.qualified  # the brevet is not a qualification


def test_an_exam_passed_after_a_failure_is_no_longer_failed() -> None:
    facts = student(18, exams=(FAILED_CAP, ExamRecord(dt.date(2026, 9, 20), "cap", "pass")))
    assert facts.failed_exams == ()
    assert facts.qualified and facts.diplomas == ("cap",)


def test_an_enrollment_nobody_closed_ends_with_its_school_year() -> None:
    facts = facts_on(
        ON,
        student_id="s1",
        birth_date=born_aged(17),
        enrollments=[EnrollmentRecord(LAST_YEAR, dt.date(2025, 9, 1))],
        exams=[],
    )
    assert not facts.enrolled
    assert facts.left_on == dt.date(2026, 8, 31)
    assert facts.months_since_leaving == 3


def test_leaving_months_are_full_months() -> None:
    eleven = student(17, enrolled=False, left_on=dt.date(2025, 12, 8))
    twelve = student(17, enrolled=False, left_on=dt.date(2025, 12, 7))
    assert (eleven.months_since_leaving, twelve.months_since_leaving) == (11, 12)
    # Less than a year: eleven full months still offer the MLDS actions, twelve no longer.
    assert "aar" in solutions(eleven)
    assert "aar" not in solutions(twelve)


# The shipped rules, one by one.


def test_a_fifteen_year_old_is_not_offered_an_mlds_action() -> None:
    fifteen = student(15, exams=(FAILED_CAP,))
    assert not MLDS_ACTIONS & set(solutions(fifteen))
    assert solutions(fifteen) == ("tutoring",)
    gone = student(15, enrolled=False, exams=(FAILED_CAP,))
    assert solutions(gone) == ()
    # The same student a year older is.
    assert {"morea", "aar", "foquale"} <= set(solutions(student(16, exams=(FAILED_CAP,))))


def test_a_student_who_failed_the_cap_is_offered_morea() -> None:
    failed = student(17, exams=(FAILED_CAP,))
    [morea] = [each for each in suggest(failed, shipped_rules()) if each.solution == "morea"]
    assert morea.rule.id == "mlds_morea"
    assert morea.rule.source.startswith("Circulaire n° 2016-212")
    met = {check.condition: check.value for check in morea.checks}
    assert met["failed_exam_in"] == ("cap",)
    assert met["min_age"] == 17
    assert all(check.met for check in morea.checks)
    assert "non admis au CAP (20/06/2026)" in check_text(morea.checks[-2], failed, "fr")
    # No failed exam, or a failed brevet only: no MOREA.
    assert "morea" not in solutions(student(17))
    dnb = ExamRecord(dt.date(2026, 6, 30), "dnb", "fail")
    assert "morea" not in solutions(student(17, exams=(dnb,)))


def test_a_diploma_holder_is_offered_help_towards_work() -> None:
    bac = ExamRecord(dt.date(2026, 7, 4), "bac_pro", "pass")
    holder = student(19, enrolled=False, exit_reason="diploma", exams=(bac,))
    offered = solutions(holder)
    assert "insertion" in offered
    assert "return_to_training" not in offered
    # Without a diploma: no help towards work, but the return to training.
    unqualified = student(19, enrolled=False)
    assert "insertion" not in solutions(unqualified)
    assert "return_to_training" in solutions(unqualified)


def test_leaving_with_the_diploma_reason_counts_as_qualified() -> None:
    holder = student(18, enrolled=False, exit_reason="diploma")
    assert holder.qualified
    assert "insertion" in solutions(holder)


def test_the_interview_comes_before_any_mlds_action() -> None:
    before = student(17, exams=(FAILED_CAP,), interview_held=False)
    suggestions = suggest(before, shipped_rules())
    waiting = {each.solution for each in suggestions if each.awaits_interview}
    assert waiting == {"morea", "aar", "foquale"}
    assert {each.solution for each in suggestions if not each.awaits_interview} == {"tutoring"}
    after = suggest(student(17, exams=(FAILED_CAP,)), shipped_rules())
    assert not any(each.awaits_interview for each in after)


def test_mlds_actions_go_first_to_students_without_a_qualification() -> None:
    unqualified = suggest(student(17, enrolled=False), shipped_rules())
    assert {each.solution for each in unqualified if each.priority} == {"aar", "foquale"}
    cap = ExamRecord(dt.date(2026, 6, 20), "cap", "pass")
    qualified = suggest(student(17, enrolled=False, exams=(cap,)), shipped_rules())
    assert {each.solution for each in qualified} >= {"aar", "foquale", "insertion"}
    assert not any(each.priority for each in qualified)


def test_a_student_who_moved_away_has_not_left() -> None:
    moved = student(17, enrolled=False, exit_reason="transferred")
    assert moved.months_since_leaving is None
    assert solutions(moved) == ()


def test_return_to_training_stops_after_twenty_five() -> None:
    old = student(26, enrolled=False, left_on=dt.date(2020, 6, 30))
    assert "return_to_training" not in solutions(old)
    assert "return_to_training" in solutions(student(25, enrolled=False,
                                                     left_on=dt.date(2020, 6, 30)))  # fmt: skip


def test_unknown_birth_date_meets_no_age_condition() -> None:
    facts = facts_on(ON, student_id="s1", birth_date=None,
                     enrollments=[EnrollmentRecord(THIS_YEAR, dt.date(2026, 9, 1))],
                     exams=[FAILED_CAP], interview_held=True)  # fmt: skip
    assert solutions(facts) == ("tutoring",)
    [tutoring] = suggest(facts, shipped_rules())
    assert check_text(tutoring.checks[0], facts, "en") == (
        "enrolled on 07/12/2026 (rule: still at school)"
    )


def test_the_same_facts_give_the_same_suggestions() -> None:
    facts = student(17, exams=(FAILED_CAP,))
    assert suggest(facts, shipped_rules()) == suggest(facts, shipped_rules())


# The table: shipped, adjusted by an académie, refused when bad.


def test_the_shipped_table_names_a_source_for_every_rule_and_knows_the_store_words() -> None:
    table = shipped_rules()
    assert SOLUTIONS == INTERVIEW_SOLUTIONS
    assert len({rule.id for rule in table.rules}) == len(table.rules)
    assert all(len(rule.source) > 20 for rule in table.rules)
    assert {rule.solution for rule in table.rules} == set(SOLUTIONS) - {"other"}
    assert load_rules(None) == table


RULE = """
  - id: {id}
    solution: {solution}
    title_fr: "Titre"
    title_en: "Title"
    source: "Circulaire académique du 1er septembre 2026"
"""


def test_an_academie_table_replaces_the_shipped_one(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:"
        + RULE.format(id="morea_from_15", solution="morea")
        + "    min_age: 15\n    failed_exam_in: [cap]\n",
        encoding="utf-8",
    )
    table = load_rules(path)
    fifteen = student(15, exams=(FAILED_CAP,))
    assert solutions(fifteen, table) == ("morea",)
    assert table.origin == str(path) and table.sha256 != shipped_rules().sha256


def test_a_setting_points_at_the_academie_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("VIGIE_"):
            monkeypatch.delenv(name)
    assert load_settings().solution_rules_table() == shipped_rules()
    path = tmp_path / "rules.yaml"
    path.write_text("rules:" + RULE.format(id="only", solution="tutoring"), encoding="utf-8")
    monkeypatch.setenv("VIGIE_SOLUTION_RULES", str(path))
    settings = load_settings()
    assert settings.solution_rules == path
    assert [rule.id for rule in settings.solution_rules_table().rules] == ["only"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("    min_age: seize\n", "rule 1 ('bad'), field 'min_age': must be a whole number"),
        ("    min_age: true\n", "field 'min_age': must be a whole number"),
        ("    failed_exam_in: [cap, brevet]\n", "field 'failed_exam_in': must be a non-empty list"),
        ("    enrolled: maybe\n", "field 'enrolled': must be true or false"),
        ("    mni_age: 16\n", "rule 1 ('bad'), field 'mni_age': unknown field"),
        ("    min_age: 18\n    max_age: 16\n", "field 'max_age': must be at least min_age (18)"),
        ("    left_less_than_months: 0\n", "field 'left_less_than_months': must be at least 1"),
    ],
)
def test_a_bad_condition_is_named_with_its_rule_and_field(extra: str, message: str) -> None:
    with pytest.raises(SolutionRulesError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_rules("rules:" + RULE.format(id="bad", solution="aar") + extra, "académie.yaml")


def test_every_problem_of_a_bad_table_is_reported_at_once() -> None:
    text = (
        "rules:"
        + RULE.format(id="first", solution="apprenticeship")
        + "  - id: second\n    solution: aar\n"
        + RULE.format(id="first", solution="aar")
    )
    with pytest.raises(SolutionRulesError) as raised:
        parse_rules(text, "académie.yaml")
    message = str(raised.value)
    assert message.startswith("solution rules académie.yaml: ")
    assert "rule 1 ('first'), field 'solution': must be one of return_to_training" in message
    assert "rule 2 ('second'), field 'title_fr': is required" in message
    assert "rule 2 ('second'), field 'source': is required" in message
    assert "rule 3 ('first'), field 'id': repeats the id of rule 1" in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [", "not valid YAML"),
        ("- id: a\n", "expected a mapping with a non-empty 'rules' list"),
        ("rules: []\n", "expected a mapping with a non-empty 'rules' list"),
        ("rules:\n  - just text\n", "rule 1: must be a mapping of fields"),
    ],
)
def test_a_malformed_file_is_refused(text: str, message: str) -> None:
    with pytest.raises(SolutionRulesError, match=message):
        parse_rules(text, "académie.yaml")


def test_a_bad_table_stops_the_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:" + RULE.format(id="bad", solution="aar") + "    max_age: -1\n",
                    encoding="utf-8")  # fmt: skip
    monkeypatch.setenv("VIGIE_SOLUTION_RULES", str(path))
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert f"VIGIE_SOLUTION_RULES='{path}'" in str(raised.value)
    assert "rule 1 ('bad'), field 'max_age': must be a whole number from 0 to 30" in str(
        raised.value
    )
    # Every command stops before any work, naming the variable, the rule and the field.
    result = CliRunner().invoke(app, ["db", "upgrade"], env={"VIGIE_HOME": str(tmp_path)})
    assert result.exit_code == 1
    assert "VIGIE_SOLUTION_RULES=" in result.output and "field 'max_age'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "serving").exists()
    monkeypatch.setenv("VIGIE_SOLUTION_RULES", str(tmp_path / "missing.yaml"))
    with pytest.raises(SettingsError, match=r"missing\.yaml: cannot be read"):
        load_settings()

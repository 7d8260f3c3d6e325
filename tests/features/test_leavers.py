"""The students who left without a solution, against a hand-built extraction: left during
the year, after the summer, after a failed CAP are listed; left and came back, moved away,
left with a diploma or a qualifying pass, left over a year ago or not yet are not."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from features.leavers import (
    leavers,
    leavers_of_extraction,
    read_leaver_tables,
    window_start,
    with_interviews,
)
from features.validation import validate_extraction

from .leavers_extraction import AS_OF, BASSIN_A, BASSIN_B, LISTED, OUTSIDE, write_extraction


@pytest.fixture(scope="module")
def extraction(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_extraction(tmp_path_factory.mktemp("leavers") / "extraction")


@pytest.fixture(scope="module")
def found(extraction: Path) -> pd.DataFrame:
    return leavers_of_extraction(extraction, AS_OF)


def test_the_hand_built_extraction_is_valid(extraction: Path) -> None:
    report = validate_extraction(extraction)
    assert report.ok, [(v.table, v.row, v.column, v.rule) for v in report.violations]


def test_exactly_the_students_who_left_without_a_solution_are_listed(found: pd.DataFrame) -> None:
    assert sorted(found["student_id"]) == sorted(LISTED)
    by_id = found.set_index("student_id")
    assert by_id.loc["L_DURING", "exit_kind"] == "during_year"
    assert by_id.loc["L_SUMMER", "exit_kind"] == "no_return"
    assert by_id.loc["L_CAP", "exit_kind"] == "after_exam_failure"
    # The last establishment: where the student left from, not where they were before.
    assert by_id.loc["L_AWAY", "uai"] == OUTSIDE
    assert by_id.loc["L_DURING", "uai"] == BASSIN_A
    assert by_id.loc["L_SUMMER", "establishment_name"] == "Lycée des Rives"
    # The day after the last day: not coming back after the summer is leaving on 1 September.
    assert by_id.loc["L_SUMMER", "last_day"] == dt.date(2026, 8, 31)
    assert by_id.loc["L_SUMMER", "left_on"] == dt.date(2026, 9, 1)
    assert by_id.loc["L_EDGE", "left_on"] == AS_OF
    assert (by_id.loc["L_CAP", "level"], by_id.loc["L_CAP", "class_id"]) == ("CAP2", "CAP2A")


def test_age_on_the_date_and_failed_exams(found: pd.DataFrame) -> None:
    by_id = found.set_index("student_id")
    assert by_id.loc["L_CAP", "age"] == 18  # born 30 November 2008: 18 that very day
    assert by_id.loc["L_AWAY", "age"] == 17  # born 1 December 2008: 18 the day after
    assert by_id.loc["L_RETURNS", "age"] == 15
    assert by_id.loc["L_CAP", "failed_exams"] == (("cap", dt.date(2026, 7, 3), "fail"),)  # no mock
    assert by_id.loc["L_DURING", "failed_exams"] == (("dnb", dt.date(2025, 7, 4), "fail"),)
    assert by_id.loc["L_SUMMER", "failed_exams"] == ()
    assert by_id.loc["L_CAP", "last_name"] == "NomL_CAP"


def test_the_list_is_as_of_its_date(extraction: Path) -> None:
    tables = read_leaver_tables(extraction)
    # A day later, the student who left on 30 November is on it.
    assert "L_LATER" in set(leavers(tables, AS_OF + dt.timedelta(days=1))["student_id"])
    # A week after the return, the returning student is no longer on it.
    assert "L_RETURNS" not in set(leavers(tables, dt.date(2026, 12, 14))["student_id"])
    # Before the CAP result, the student who then passed it... had not dropped out yet.
    earlier = leavers(tables, dt.date(2026, 2, 20))
    assert "L_BACK" in set(earlier["student_id"])  # left 10 February, back only on 2 March
    assert "L_OLD" in set(earlier["student_id"])  # 1 October 2025 is within the year then
    assert "L_SUMMER" not in set(earlier["student_id"])
    # Twelve months: 1 October 2025 is out of the year up to 1 October 2026, in on 30 Sept.
    assert "L_OLD" not in set(leavers(tables, dt.date(2026, 10, 1))["student_id"])
    assert "L_OLD" in set(leavers(tables, dt.date(2026, 9, 30))["student_id"])


def test_same_input_same_output_in_any_row_order(extraction: Path, found: pd.DataFrame) -> None:
    tables = read_leaver_tables(extraction)
    shuffled = dataclasses.replace(
        tables,
        enrollments=tables.enrollments.sample(frac=1, random_state=3),
        exams=tables.exams.sample(frac=1, random_state=4),
        students=tables.students.sample(frac=1, random_state=5),
    )
    pd.testing.assert_frame_equal(leavers(shuffled, AS_OF), found)
    assert list(found["uai"]) == sorted(found["uai"])


def test_a_bad_date_names_the_table_row_and_column(extraction: Path) -> None:
    tables = read_leaver_tables(extraction)
    enrollments = tables.enrollments.astype({"end_date": "object"})
    enrollments.loc[2, "end_date"] = "31/02/2026"
    with pytest.raises(ValueError, match=r"table 'enrollments' row 3, column 'end_date'"):
        leavers(dataclasses.replace(tables, enrollments=enrollments), AS_OF)
    with pytest.raises(ValueError, match=r"table 'exams' has no column\(s\) \['result'\]"):
        leavers(dataclasses.replace(tables, exams=tables.exams.drop(columns="result")), AS_OF)


def test_interviews_say_whether_one_took_place_and_its_outcome(found: pd.DataFrame) -> None:
    interviews = pd.DataFrame(
        [
            {"id": 1, "student_id": "L_CAP", "uai": BASSIN_A, "status": "held",
             "interview_date": dt.date(2026, 6, 1), "solution": "morea"},
            {"id": 2, "student_id": "L_DURING", "uai": BASSIN_A, "status": "invited",
             "interview_date": None, "solution": None},
            {"id": 3, "student_id": "L_CAP", "uai": BASSIN_A, "status": "to_invite",
             "interview_date": None, "solution": None},
        ]
    )  # fmt: skip
    joined = with_interviews(found, interviews).set_index("student_id")
    assert joined.loc["L_CAP", "interview_held"]
    assert joined.loc["L_CAP", "interview_status"] == "to_invite"  # the latest
    assert not joined.loc["L_DURING", "interview_held"]
    assert joined.loc["L_DURING", "interview_status"] == "invited"
    assert joined.loc["L_SUMMER", "interview_status"] is None
    assert not joined.loc["L_SUMMER", "interview_held"]
    held_only = with_interviews(found, interviews[interviews["id"] == 1]).set_index("student_id")
    assert held_only.loc["L_CAP", "interview_solution"] == "morea"
    assert held_only.loc["L_CAP", "interview_date"] == dt.date(2026, 6, 1)


def test_the_year_before_a_29_february() -> None:
    assert window_start(dt.date(2028, 2, 29)) == dt.date(2027, 2, 28)
    assert window_start(AS_OF) == dt.date(2025, 11, 30)


def test_bassin_b_leavers_are_from_bassin_b(found: pd.DataFrame) -> None:
    assert set(found.loc[found["uai"] == BASSIN_B, "student_id"]) == {"L_SUMMER", "L_EDGE"}

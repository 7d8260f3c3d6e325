"""The DuckDB feature builder on a hand-made académie, against values computed by hand.

The as-of date is Monday 2 December 2024 (zone B calendar, 2024-2025): the 2-week window is
[18 Nov, 2 Dec), 4 weeks [4 Nov, 2 Dec), 8 weeks [7 Oct, 2 Dec), the year to date
[1 Sep, 2 Dec). Toussaint holidays run from Saturday 19 October to Monday 4 November (class
resumes), 11 November is a public holiday.
"""

from __future__ import annotations

import datetime as dt
import statistics
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.as_of_tables import as_of_table, days_table
from features.builder import build_features, date_batches
from features.catalog import CATEGORIES, FEATURE_CATALOG, feature_names
from features.contract import NAME_COLUMNS, SENSITIVE_COLUMNS
from features.extraction import open_extraction
from features.store import METADATA_KEY, read_features, write_features
from tests.features.conftest import (
    absence,
    enrollment,
    establishment,
    exam,
    grade,
    late,
    student,
    write_extraction,
)

D = dt.date
AS_OF = D(2024, 12, 2)
COLLEGE, LYCEE, OTHER_COLLEGE = "0350001A", "0350002B", "0350003C"


def academie() -> dict[str, list[dict]]:
    """A: repeats 6e, absences, grades, a failed mock. B: 3e then 2nde in a lycée. C: A's
    classmate with no event. D left before the as-of date, E arrives after it, F changed
    collège in November (and its enrollment ends on the as-of date itself)."""
    return {
        "establishments": [
            establishment(COLLEGE, "college", "rep"),
            establishment(LYCEE, "lycee_gt", "none"),
            establishment(OTHER_COLLEGE, "college", "rep_plus"),
        ],
        "students": [
            student("A", D(2012, 5, 10), "F", 2, "disadvantaged"),
            student("B", D(2008, 1, 20), "M", 0, "favored_a"),
            student("C", D(2013, 2, 1), "M", 0, "middle"),
            student("D", D(2013, 2, 1)),
            student("E", D(2013, 2, 1)),
            student("F", D(2012, 7, 1)),
        ],
        "enrollments": [
            enrollment("A", "2023-2024", COLLEGE, "6e", D(2023, 9, 4), D(2024, 7, 5), "6eA"),
            enrollment("A", "2024-2025", COLLEGE, "6e", D(2024, 9, 2), None, "6eA"),
            enrollment("B", "2023-2024", COLLEGE, "3e", D(2023, 9, 4), D(2024, 7, 5), "3eB"),
            enrollment("B", "2024-2025", LYCEE, "2nde", D(2024, 9, 2), None, "2ndeC"),
            enrollment("C", "2024-2025", COLLEGE, "6e", D(2024, 9, 2), None, "6eA"),
            enrollment(
                "D",
                "2024-2025",
                COLLEGE,
                "6e",
                D(2024, 9, 2),
                D(2024, 11, 15),
                "6eA",
                exit_reason="transferred",
            ),
            enrollment("E", "2024-2025", COLLEGE, "6e", D(2024, 12, 9), None, "6eA"),
            enrollment(
                "F",
                "2024-2025",
                COLLEGE,
                "5e",
                D(2024, 9, 2),
                D(2024, 11, 8),
                "5eA",
                exit_reason="transferred",
            ),
            enrollment("F", "2024-2025", OTHER_COLLEGE, "5e", D(2024, 11, 12), AS_OF, "5eZ"),
        ],
        "attendance": [
            # A, unjustified: 4 half-days in September (an absentéisme month) ...
            absence("A", D(2024, 9, 10), "am"),
            absence("A", D(2024, 9, 10), "pm"),
            absence("A", D(2024, 9, 12), "am"),
            absence("A", D(2024, 9, 13), "am"),
            # ... 1 in October, 4 in November (a second absentéisme month) ...
            absence("A", D(2024, 10, 8), "am"),
            absence("A", D(2024, 11, 13), "am"),
            absence("A", D(2024, 11, 22), "pm"),
            absence("A", D(2024, 11, 25), "am"),
            absence("A", D(2024, 11, 26), "am"),
            # ... and one on the as-of date itself, which must not count.
            absence("A", AS_OF, "am"),
            # A, justified: Wednesday 27 Nov extends the run Fri 22 - Mon 25 - Tue 26.
            absence("A", D(2024, 11, 27), "am", justified=True),
            late("A", D(2024, 9, 16)),
            late("A", D(2024, 11, 28)),
            # B: Friday 18 October and Monday 4 November are consecutive class days.
            absence("B", D(2024, 10, 18), "am"),
            absence("B", D(2024, 11, 4), "am"),
        ],
        "grades": [
            # A, period 1.
            grade("A", D(2024, 9, 20), 14, "mathematiques", period=1),
            grade("A", D(2024, 10, 1), 9, "histoire", period=1),
            grade("A", D(2024, 10, 10), 3, "francais", period=1, out_of=10, coefficient=2),
            # A, period 2 (the current period on the as-of date).
            grade("A", D(2024, 11, 28), 18, "anglais", period=2),
            grade("A", D(2024, 11, 29), 9, "mathematiques", period=2),
            grade("A", AS_OF, 0, "mathematiques", period=2),  # on the as-of date: ignored
            # A, previous school year: mean 13.
            grade("A", D(2024, 3, 1), 15, "mathematiques", period=2),
            grade("A", D(2024, 3, 8), 11, "francais", period=2),
        ],
        "exams": [
            exam("A", D(2024, 11, 15), "mock", "fail"),
            exam("A", AS_OF, "mock", "fail"),  # on the as-of date: ignored
            exam("B", D(2024, 6, 28), "dnb", "fail"),
            exam("B", D(2024, 11, 20), "mock", "absent"),
        ],
    }


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    folder = write_extraction(tmp_path_factory.mktemp("academie"), academie())
    frame = build_features(folder, [AS_OF, D(2024, 9, 16)]).frame
    return frame.set_index(["as_of", "student_id"])


def row(rows: pd.DataFrame, student_id: str, as_of: dt.date = AS_OF) -> pd.Series:
    return rows.loc[(pd.Timestamp(as_of), student_id)]


def test_one_row_per_enrolled_student_and_date(rows: pd.DataFrame) -> None:
    on_as_of = sorted(rows.loc[pd.Timestamp(AS_OF)].index)
    assert on_as_of == ["A", "B", "C", "F"]  # D left on 15 Nov, E starts on 9 Dec
    assert sorted(rows.loc[pd.Timestamp(D(2024, 9, 16))].index) == ["A", "B", "C", "D", "F"]
    f = row(rows, "F")
    assert (f["uai"], f["class_id"], f["school_year"]) == (OTHER_COLLEGE, "5eZ", "2024-2025")
    assert row(rows, "F", D(2024, 9, 16))["uai"] == COLLEGE


def test_unjustified_absences_in_windows(rows: pd.DataFrame) -> None:
    a = row(rows, "A")
    assert a["unjustified_absences_2w"] == 3  # 22 Nov pm, 25 Nov, 26 Nov
    assert a["unjustified_absences_4w"] == 4  # + 13 Nov
    assert a["unjustified_absences_8w"] == 5  # + 8 Oct
    assert a["unjustified_absences_ytd"] == 9  # + 4 in September; 2 Dec excluded
    assert a["justified_absences_2w"] == 1
    assert a["justified_absences_ytd"] == 1
    assert a["unjustified_absence_trend_4w"] == 4 - 1
    assert (a["lates_4w"], a["lates_ytd"]) == (1, 2)
    assert row(rows, "A", D(2024, 9, 16))["unjustified_absences_ytd"] == 4


def test_rates_use_class_half_days_with_wednesday_afternoon_off_in_college(
    rows: pd.DataFrame,
) -> None:
    # 18 Nov - 29 Nov: 10 class days, 2 Wednesdays: 18 half-days in a collège, 20 in a lycée.
    # 4 Nov - 29 Nov: 19 class days (11 Nov off), 4 Wednesdays: 34 and 38 half-days.
    a, b, c = row(rows, "A"), row(rows, "B"), row(rows, "C")
    assert a["unjustified_absence_rate_2w"] == pytest.approx(3 / 18)
    assert a["unjustified_absence_rate_4w"] == pytest.approx(4 / 34)
    assert a["justified_absence_rate_2w"] == pytest.approx(1 / 18)
    assert b["unjustified_absence_rate_4w"] == pytest.approx(1 / 38)
    assert c["unjustified_absence_rate_4w"] == 0.0
    # On 16 September the 2-week window [2 Sep, 16 Sep) holds 10 class days and 2 Wednesdays:
    # 18 half-days; the 8-week window reaches into the summer and holds the same ones.
    assert row(rows, "A", D(2024, 9, 16))["unjustified_absence_rate_2w"] == pytest.approx(4 / 18)
    assert row(rows, "A", D(2024, 9, 16))["unjustified_absence_rate_8w"] == pytest.approx(4 / 18)


def test_establishment_rate_is_the_mean_over_its_enrolled_students(rows: pd.DataFrame) -> None:
    expected = (4 / 34 + 0 / 34) / 2  # A and C; D has left
    assert row(rows, "A")["establishment_unjustified_absence_rate_4w"] == pytest.approx(expected)
    assert row(rows, "C")["establishment_unjustified_absence_rate_4w"] == pytest.approx(expected)


def test_absenteeism_months_and_longest_streak(rows: pd.DataFrame) -> None:
    a = row(rows, "A")
    assert a["absenteeism_months_ytd"] == 2  # September (4) and November (4), not October (1)
    assert a["longest_absence_streak_ytd"] == 4  # Fri 22, Mon 25, Tue 26, Wed 27 November
    assert row(rows, "B")["longest_absence_streak_ytd"] == 2  # across the Toussaint holidays
    assert row(rows, "C")["longest_absence_streak_ytd"] == 0


def test_grade_means_on_20_weighted_by_coefficient(rows: pd.DataFrame) -> None:
    a = row(rows, "A")
    period_1 = (14 + 9 + 2 * 6) / 4  # 3/10 is 6/20, coefficient 2
    period_2 = (18 + 9) / 2
    year = (14 + 9 + 2 * 6 + 18 + 9) / 6
    assert a["grade_mean_previous_period"] == pytest.approx(period_1)
    assert a["grade_mean_current_period"] == pytest.approx(period_2)
    assert a["grade_mean_change_period"] == pytest.approx(period_2 - period_1)
    assert a["grade_mean_ytd"] == pytest.approx(year)
    assert a["grade_mean_change_year"] == pytest.approx(year - 13)
    subjects = {"mathematiques": 11.5, "histoire": 9, "francais": 6, "anglais": 18}
    assert a["subjects_below_8_ytd"] == 1
    assert a["subjects_below_10_ytd"] == 2
    assert a["subject_mean_spread_ytd"] == pytest.approx(statistics.pstdev(subjects.values()))
    assert a["assessments_8w"] == 3  # 10 Oct, 28 Nov, 29 Nov
    assert a["weeks_since_last_grade"] == pytest.approx(3 / 7)
    # The class median of marks over 8 weeks is (3 + 0) / 2 for A and C.
    assert a["assessments_8w_vs_class_median"] == 1.5
    assert row(rows, "C")["assessments_8w_vs_class_median"] == -1.5


def test_students_without_events_get_zero_counts_and_missing_means(rows: pd.DataFrame) -> None:
    c = row(rows, "C")
    zero = [
        "unjustified_absences_ytd", "lates_ytd", "subjects_below_10_ytd", "failed_exams",
        "absenteeism_months_ytd", "assessments_8w", "repeated_years", "school_changes",
    ]  # fmt: skip
    missing = [
        "grade_mean_ytd", "grade_mean_current_period", "subject_mean_spread_ytd",
        "weeks_since_last_grade", "weeks_since_last_failed_exam",
    ]  # fmt: skip
    assert (c[zero] == 0).all()
    assert c[missing].isna().all()


def test_exams_and_path(rows: pd.DataFrame) -> None:
    a, b, f = row(rows, "A"), row(rows, "B"), row(rows, "F")
    assert (a["failed_exams"], a["failed_mock_exams_ytd"], a["missed_exams"]) == (1, 1, 0)
    assert a["weeks_since_last_failed_exam"] == pytest.approx(17 / 7)
    assert (b["failed_exams"], b["failed_mock_exams_ytd"], b["missed_exams"]) == (1, 0, 1)
    assert b["weeks_since_last_failed_exam"] == pytest.approx((AS_OF - D(2024, 6, 28)).days / 7)
    assert (a["repeated_years"], a["school_changes"]) == (1, 0)
    assert (b["repeated_years"], b["school_changes"]) == (0, 1)
    assert (f["repeated_years"], f["school_changes"]) == (0, 1)


def test_age_for_level_counts_from_the_year_of_the_rentree(rows: pd.DataFrame) -> None:
    assert row(rows, "A")["age_for_level"] == 1  # born 2012, in 6e in 2024: one year behind
    assert row(rows, "B")["age_for_level"] == 1  # born January 2008, in 2nde in 2024
    assert row(rows, "C")["age_for_level"] == 0  # born 2013, in 6e in 2024
    assert row(rows, "F")["age_for_level"] == 0  # born 2012, in 5e in 2024


def test_categorical_features_use_contract_codes(rows: pd.DataFrame) -> None:
    a = row(rows, "A")
    assert (a["level"], a["track"], a["establishment_kind"], a["priority_zone"]) == (
        "6e", "college", "college", "rep",
    )  # fmt: skip
    for name, categories in CATEGORIES.items():
        assert set(rows[name]) <= set(categories)


def test_feature_set_column_groups(tmp_path: Path) -> None:
    folder = write_extraction(tmp_path, academie())
    feature_set = build_features(folder, [AS_OF])
    assert list(feature_set.features().columns) == [spec.name for spec in FEATURE_CATALOG]
    assert feature_set.feature_columns == feature_names()
    assert list(feature_set.keys().columns) == ["student_id", "as_of", "school_year", "uai"]
    assert list(feature_set.sensitive().columns)[-3:] == list(SENSITIVE_COLUMNS)
    everything = set(feature_set.frame.columns)
    assert not set(NAME_COLUMNS) & everything
    assert not (set(SENSITIVE_COLUMNS) | set(NAME_COLUMNS)) & set(feature_set.feature_columns)
    numeric = feature_set.features().select_dtypes("number").columns
    assert set(numeric) == {s.name for s in FEATURE_CATALOG if s.kind == "numeric"}
    categorical = feature_set.categorical_features()
    assert list(categorical["level"].cat.categories) == list(CATEGORIES["level"])


def test_features_do_not_change_when_sensitive_attributes_are_permuted(tmp_path: Path) -> None:
    tables = academie()
    before = build_features(write_extraction(tmp_path / "before", tables), [AS_OF])
    students = tables["students"]
    rotated = [*students[1:], students[0]]
    for original, other in zip(students, rotated, strict=True):
        for column in SENSITIVE_COLUMNS:
            original[column] = other[column]
    after = build_features(write_extraction(tmp_path / "after", tables), [AS_OF])
    pd.testing.assert_frame_equal(before.features(), after.features())
    assert not before.sensitive().equals(after.sensitive())


def test_builder_accepts_an_opened_extraction_and_refuses_bad_input(tmp_path: Path) -> None:
    folder = write_extraction(tmp_path / "x", academie())
    with open_extraction(folder) as extraction:
        opened = build_features(extraction, [dt.datetime(2024, 12, 2, 8, 30), AS_OF])
    pd.testing.assert_frame_equal(opened.frame, build_features(folder, [AS_OF]).frame)
    assert len(build_features(folder, [])) == 0
    with pytest.raises(TypeError, match=r"datetime\.date"):
        build_features(folder, ["2024-12-02"])  # type: ignore[list-item]
    (folder / "grades.csv").unlink()
    with pytest.raises(ValueError, match="grades"):
        build_features(folder, [AS_OF])


def test_dates_in_several_queries_give_the_same_frame(tmp_path: Path) -> None:
    folder = write_extraction(tmp_path, academie())
    dates = [AS_OF, D(2024, 9, 16), D(2024, 11, 4), D(2025, 1, 6)]
    together = build_features(folder, dates)
    one_by_one = build_features(folder, dates, rows_per_query=1)
    pd.testing.assert_frame_equal(together.frame, one_by_one.frame)


def test_date_batches_stay_within_the_row_budget() -> None:
    days = [D(2024, 9, 2) + dt.timedelta(weeks=w) for w in range(5)]
    rows = [(day, 400) for day in days]
    assert date_batches(rows, 1000) == [days[:2], days[2:4], days[4:]]
    assert date_batches(rows, 100) == [[day] for day in days]
    assert date_batches([], 1000) == []


def test_helper_tables_place_each_day_before_the_right_as_of_dates() -> None:
    dates = [D(2024, 12, 9), AS_OF]
    as_of = as_of_table(dates).to_pylist()
    assert [row["as_of_index"] for row in as_of] == [1, 2]
    assert as_of[0]["start_8w"] == D(2024, 10, 7)
    assert as_of[0]["earliest"] == D(2024, 9, 1)
    assert as_of[0]["previous_year_start"] == D(2023, 9, 1)
    days = {row["day"]: row for row in days_table(dates, D(2023, 9, 1)).to_pylist()}
    assert min(days) == D(2023, 9, 1)
    assert max(days) == D(2024, 12, 8)  # events on the last as-of date never count

    def counts_for(day: dt.date) -> tuple[int, ...]:
        row = days[day]
        return tuple(row[name] for name in ("bucket", "until_2w", "until_4w", "until_8w"))

    # 10 October counts for 2 December only, and only year to date and in its 8 weeks (from
    # 7 October): it is out of the 4 weeks of 2 December (from 4 November).
    assert counts_for(D(2024, 10, 10)) == (0, 0, 0, 1)
    # 25 November is in every window of 2 December and in the 2 weeks of 9 December.
    assert counts_for(D(2024, 11, 25)) == (0, 2, 2, 2)
    # 2 December itself counts for 9 December only (strictly before the as-of date).
    assert counts_for(AS_OF) == (1, 2, 2, 2)
    assert days[D(2024, 8, 31)]["year_start"] == D(2023, 9, 1)
    assert days[D(2024, 9, 1)]["year_start"] == D(2024, 9, 1)
    # Year to date: a day of 2023-2024 counts for no as-of date of 2024-2025.
    assert (days[D(2024, 6, 3)]["bucket"], days[D(2024, 6, 3)]["until_ytd"]) == (0, 0)
    assert days[D(2024, 9, 2)]["until_ytd"] == 2


def test_builder_never_needs_the_outcomes_table(tmp_path: Path) -> None:
    folder = write_extraction(tmp_path, academie())
    (folder / "outcomes.csv").unlink()
    assert len(build_features(folder, [AS_OF])) == 4


def test_feature_file_round_trip_keeps_frame_and_column_groups(tmp_path: Path) -> None:
    feature_set = build_features(write_extraction(tmp_path / "x", academie()), [AS_OF])
    path = write_features(feature_set, tmp_path / "out" / "features.parquet")
    assert METADATA_KEY in pq.read_schema(path).metadata
    back = read_features(path)
    pd.testing.assert_frame_equal(back.frame, feature_set.frame)
    assert back.feature_columns == feature_set.feature_columns
    assert back.sensitive_columns == feature_set.sensitive_columns
    pq.write_table(pa.table({"x": [1]}), tmp_path / "other.parquet")
    with pytest.raises(ValueError, match="not a Vigie feature file"):
        read_features(tmp_path / "other.parquet")


def test_a_failed_write_leaves_no_partial_file_and_the_previous_one_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feature_set = build_features(write_extraction(tmp_path / "x", academie()), [AS_OF])
    folder = tmp_path / "out"
    path = write_features(feature_set, folder / "features.parquet")
    previous = path.read_bytes()

    def write_half_then_fail(table: pa.Table, where: str, **_: object) -> None:
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr("features.store.pq.write_table", write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        write_features(feature_set, path)
    with pytest.raises(OSError, match="disk full"):
        write_features(feature_set, folder / "new.parquet")
    assert sorted(p.name for p in folder.iterdir()) == ["features.parquet"]
    assert path.read_bytes() == previous

"""Many as-of dates at once give bitwise the features of one date at a time (issue 12).

Training and backtests build features at many dates in one pass, carrying each student's
running totals from one date to the next (step functions of the as-of date, see
`features.builder`); serving builds them one date at a time, without those running totals.
Both must give the same bits for the same (student, date), NaN included, so that a model
scores in production exactly what it was trained on. Checked on a hand-made académie with the
awkward cases (a student changing school mid-year, one leaving, dates on both sides of a
school-year boundary, a date with no enrolled student, dates unsorted and repeated), on a
synthetic one whose grade sums are inexact in binary, and on random small académies.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from features.builder import build_features
from features.extraction import open_extraction
from tests.features.conftest import (
    absence,
    academies,
    enrollment,
    establishment,
    exam,
    grade,
    late,
    student,
    write_extraction,
)
from tests.features.test_determinism import awkward_academie

D = dt.date
COLLEGE, OTHER_COLLEGE, LYCEE = "0350001A", "0350003C", "0350002B"


def assert_bitwise_equal(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Same columns, dtypes and values; floating-point columns compared bit for bit (a -0.0
    against 0.0, or a last-bit difference, fails)."""
    assert list(left.columns) == list(right.columns)
    assert len(left) == len(right)
    left, right = left.reset_index(drop=True), right.reset_index(drop=True)
    for column in left.columns:
        a, b = left[column], right[column]
        assert a.dtype == b.dtype, column
        if a.dtype.kind == "f":
            bits_a = a.to_numpy().view(np.uint64)
            bits_b = b.to_numpy().view(np.uint64)
            different = np.flatnonzero(bits_a != bits_b)
            assert different.size == 0, (
                f"{column}: {different.size} values differ, first at row {different[0]}: "
                f"{a.iloc[different[0]]!r} against {b.iloc[different[0]]!r}"
            )
        else:
            pd.testing.assert_series_equal(a, b, check_exact=True)


def one_date_at_a_time(folder: Path, as_of_dates: list[dt.date]) -> pd.DataFrame:
    """The features as serving builds them: one query per date, without running totals."""
    with open_extraction(folder) as extraction:
        frames = [build_features(extraction, [as_of]).frame for as_of in sorted(set(as_of_dates))]
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return build_features(folder, []).frame
    return pd.concat(frames, ignore_index=True)


def assert_incremental_is_per_date(folder: Path, as_of_dates: list[dt.date]) -> pd.DataFrame:
    """The many-date build, in one query and in several (shared running totals read by each
    query), equals the one-date builds bit for bit; returns the frame."""
    expected = one_date_at_a_time(folder, as_of_dates)
    with open_extraction(folder) as extraction:
        for rows_per_query in (10_000_000, 7, 1):
            built = build_features(extraction, as_of_dates, rows_per_query=rows_per_query)
            assert_bitwise_equal(built.frame, expected)
    return expected


def school_change_academie() -> dict[str, list[dict]]:
    """M changes collège in January and class in March; L leaves in November and comes back in
    May; P is in 3e in 2023-2024 then 2nde in a lycée (history across the school-year
    boundary); Q has events only in the previous school year; R has no event at all."""
    return {
        "establishments": [
            establishment(COLLEGE, "college", "rep"),
            establishment(OTHER_COLLEGE, "college", "none"),
            establishment(LYCEE, "lycee_gt", "none"),
        ],
        "students": [student(s) for s in ("M", "L", "P", "Q", "R")],
        "enrollments": [
            enrollment(
                "M",
                "2024-2025",
                COLLEGE,
                "5e",
                D(2024, 9, 2),
                D(2025, 1, 10),
                "5A",
                exit_reason="transferred",
            ),
            enrollment("M", "2024-2025", OTHER_COLLEGE, "5e", D(2025, 1, 13), D(2025, 3, 7), "5B"),
            enrollment("M", "2024-2025", OTHER_COLLEGE, "5e", D(2025, 3, 10), None, "5C"),
            enrollment(
                "L",
                "2024-2025",
                COLLEGE,
                "4e",
                D(2024, 9, 2),
                D(2024, 11, 22),
                "4A",
                exit_reason="dropout",
            ),
            enrollment("L", "2024-2025", COLLEGE, "4e", D(2025, 5, 5), None, "4A"),
            enrollment("P", "2023-2024", COLLEGE, "3e", D(2023, 9, 4), D(2024, 7, 5), "3A"),
            enrollment("P", "2024-2025", LYCEE, "2nde", D(2024, 9, 2), None, "2A"),
            enrollment("Q", "2023-2024", COLLEGE, "3e", D(2023, 9, 4), None, "3A"),
            enrollment("R", "2024-2025", COLLEGE, "5e", D(2024, 9, 2), None, "5A"),
        ],
        "attendance": [
            *(
                absence("M", D(2024, 12, 2) + dt.timedelta(days=k), h)
                for k in range(4)
                for h in ("am", "pm")
            ),
            absence("M", D(2025, 1, 14), justified=True),  # in the new collège
            late("M", D(2025, 3, 11)),
            *(absence("L", D(2024, 11, 4) + dt.timedelta(days=k), "am") for k in range(5)),
            absence("L", D(2025, 5, 6)),  # after coming back
            absence("P", D(2024, 6, 24)),  # previous year
            absence("P", D(2024, 9, 9), "pm"),
            absence("Q", D(2024, 3, 4)),
        ],
        "grades": [
            grade("M", D(2024, 9, 20), 7.25, "mathematiques", coefficient=1.7),
            grade("M", D(2024, 9, 20), 13, "francais", out_of=17, coefficient=0.3),
            grade("M", D(2024, 12, 3), 9.5, "mathematiques", period=1, coefficient=2.1),
            grade("M", D(2025, 1, 20), 3, "anglais", period=2, out_of=7),  # new collège
            grade("M", D(2025, 1, 21), 16, "francais", period=2, out_of=30, coefficient=0.3),
            grade("M", D(2025, 3, 24), 8, "mathematiques", period=3, coefficient=0),
            grade("L", D(2024, 10, 1), 11, "anglais", coefficient=1.7),
            grade("L", D(2024, 10, 1), 12, "anglais", coefficient=0.3),  # same day, subject
            grade("L", D(2025, 5, 12), 4, "anglais", period=3),
            grade("P", D(2024, 5, 13), 14.5, "physique", period=3, out_of=17),  # last year
            grade("P", D(2024, 6, 3), 6, "mathematiques", period=3),
            grade("P", D(2024, 9, 16), 9.75, "mathematiques", coefficient=2.1),
            grade("P", D(2024, 10, 7), 12, "physique", out_of=0),  # unusable
            grade("Q", D(2024, 2, 5), 10, "mathematiques", period=2),
        ],
        "exams": [
            exam("P", D(2024, 6, 27), "dnb", "fail"),
            exam("M", D(2025, 2, 3), "mock", "absent"),
            exam("L", D(2025, 5, 19), "mock", "fail"),
        ],
    }


# Unsorted and repeated, on both sides of the summer between 2023-2024 and 2024-2025, with
# one date (in 2020) before any enrollment and holidays and a weekend among them.
AS_OF_DATES = [
    D(2025, 1, 13), D(2024, 9, 2), D(2024, 6, 3), D(2025, 1, 13), D(2020, 1, 6),
    D(2024, 12, 5), D(2024, 9, 16), D(2024, 7, 15), D(2025, 5, 12), D(2024, 11, 25),
    D(2025, 3, 10), D(2024, 12, 28), D(2024, 9, 2), D(2025, 3, 8), D(2025, 5, 20),
]  # fmt: skip


def test_many_dates_equal_one_date_at_a_time_on_school_changes_and_departures(
    tmp_path: Path,
) -> None:
    frame = assert_incremental_is_per_date(
        write_extraction(tmp_path, school_change_academie()), AS_OF_DATES
    )
    # The cases are really there: the date without enrolled students has no row, M is seen in
    # both collèges, L is absent while away and back in May, P is seen in both years.
    by = frame.set_index(["student_id", "as_of"])
    assert not (frame["as_of"] == pd.Timestamp(2020, 1, 6)).any()
    assert frame["as_of"].nunique() == len(set(AS_OF_DATES)) - 1
    assert by.loc[("M", pd.Timestamp(2024, 12, 5)), "uai"] == COLLEGE
    assert by.loc[("M", pd.Timestamp(2025, 3, 10)), "uai"] == OTHER_COLLEGE
    assert by.loc[("M", pd.Timestamp(2025, 3, 10)), "school_changes"] == 1
    away = (frame["student_id"] == "L") & (frame["as_of"] == pd.Timestamp(2025, 1, 13))
    assert not away.any()
    assert by.loc[("L", pd.Timestamp(2025, 5, 20)), "unjustified_absences_ytd"] == 6
    assert by.loc[("P", pd.Timestamp(2024, 6, 3)), "level"] == "3e"
    assert by.loc[("P", pd.Timestamp(2024, 9, 16)), "level"] == "2nde"
    # The year-to-date totals start again after the summer, the previous year's mean stays.
    assert pd.isna(by.loc[("P", pd.Timestamp(2024, 9, 2)), "grade_mean_ytd"])
    assert by.loc[("Q", pd.Timestamp(2024, 7, 15)), "unjustified_absences_ytd"] == 1
    assert by.loc[("Q", pd.Timestamp(2024, 9, 2)), "unjustified_absences_ytd"] == 0
    assert by.loc[("P", pd.Timestamp(2024, 9, 16)), "unjustified_absences_ytd"] == 1
    assert by.loc[("P", pd.Timestamp(2024, 9, 16)), "unjustified_absences_2w"] == 1
    assert not pd.isna(by.loc[("P", pd.Timestamp(2025, 1, 13)), "grade_mean_change_year"])
    # M's subject spread moves as marks come in, through inexact sums.
    spreads = by.loc["M", "subject_mean_spread_ytd"].dropna()
    assert spreads.nunique() >= 3


def test_many_dates_equal_one_date_at_a_time_on_a_synthetic_academie(tmp_path: Path) -> None:
    folder = awkward_academie(tmp_path / "extraction", years=2, students=400)
    # Every third Monday of two school years, and the last Monday of the summer between them.
    dates = [D(2024, 9, 2) + dt.timedelta(weeks=3 * week) for week in range(34)]
    frame = assert_incremental_is_per_date(folder, [*dates, D(2025, 8, 25)])
    assert frame["as_of"].dt.year.nunique() >= 3
    assert frame["subject_mean_spread_ytd"].notna().sum() > 1000


@pytest.mark.parametrize("as_of_dates", [[], [D(2020, 1, 6)], [D(2020, 1, 6), D(2020, 1, 13)]])
def test_no_enrolled_student_gives_the_same_empty_frame(
    tmp_path: Path, as_of_dates: list[dt.date]
) -> None:
    folder = write_extraction(tmp_path, school_change_academie())
    frame = assert_incremental_is_per_date(folder, as_of_dates)
    assert frame.empty


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(academies(as_of_count=6))
def test_many_dates_equal_one_date_at_a_time_on_random_academies(
    academy: tuple[dict[str, list[dict]], list[dt.date]],
) -> None:
    tables, as_of_dates = academy
    with tempfile.TemporaryDirectory() as folder:
        assert_incremental_is_per_date(write_extraction(Path(folder), tables), as_of_dates)

"""The DuckDB builder and the plain pandas reference give the same frame, column for column.

Numbers are compared with a tolerance of 1e-9 (floating-point sums run in another order),
NaN equal to NaN; strings, keys and dtypes exactly. The builder is checked both with all as-of
dates in one query and with one query per date.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings

from features.builder import DEFAULT_ROWS_PER_QUERY, build_features
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
from tests.features.test_builder import academie
from tests.oracle.reference import build_features_reference

D = dt.date


def assert_same_features(folder: Path, as_of_dates: list[dt.date]) -> None:
    """The reference's frame equals the builder's, whether the builder computes the dates in
    one query or in one query per date (reading shared steps computed once)."""
    with open_extraction(folder) as extraction:
        pandas_frame = build_features_reference(extraction, as_of_dates).frame
        for rows_per_query in (DEFAULT_ROWS_PER_QUERY, 1):
            duckdb_frame = build_features(extraction, as_of_dates, rows_per_query=rows_per_query)
            pd.testing.assert_frame_equal(
                duckdb_frame.frame, pandas_frame, check_exact=False, rtol=1e-9, atol=1e-9
            )


def edge_cases() -> dict[str, list[dict]]:
    """Events on the as-of date, on Wednesday afternoons, on holidays and weekends, unusable
    marks (out_of 0), zero coefficients, students without any event, an as-of date without
    class in any window."""
    college, lycee = "0350001A", "0350002B"
    return {
        "establishments": [establishment(college, "college"), establishment(lycee, "lycee_pro")],
        "students": [student("X"), student("Y", D(2007, 12, 31)), student("Z")],
        "enrollments": [
            enrollment("X", "2024-2025", college, "4e"),
            enrollment("Y", "2023-2024", lycee, "CAP1"),
            enrollment("Y", "2024-2025", lycee, "CAP1", end_date=D(2025, 1, 10)),
            enrollment("Y", "2024-2025", college, "3e", start_date=D(2025, 1, 6)),
            enrollment("Z", "2024-2025", lycee, "Tle_pro", class_id="T1"),
        ],
        "attendance": [
            absence("X", D(2024, 11, 13), "pm"),  # Wednesday afternoon in a collège
            absence("X", D(2024, 10, 25)),  # during the Toussaint holidays
            absence("X", D(2024, 11, 16)),  # a Saturday
            absence("X", D(2024, 11, 18)),  # on the first as-of date
            absence("X", D(2024, 11, 15), justified=True),
            late("X", D(2024, 11, 14)),
            absence("Y", D(2024, 6, 20)),  # previous school year, inside the 8 weeks of Sep
            absence("Y", D(2024, 9, 2), "pm", justified=True),
        ],
        "grades": [
            grade("X", D(2024, 10, 1), 12, out_of=0),  # unusable
            grade("X", D(2024, 10, 2), 15, coefficient=0),  # counts, weighs nothing
            grade("X", D(2024, 11, 18), 2),  # on the first as-of date
            grade("Y", D(2024, 6, 28), 8, period=3),  # previous year, in the 8-week window
            grade("Y", D(2024, 9, 5), 7.5, "francais", out_of=10),
            grade("Y", D(2024, 9, 6), 8, "mathematiques", period=2),  # mean exactly 8
        ],
        "exams": [
            exam("Y", D(2024, 7, 2), "cap", "absent"),
            exam("Y", D(2024, 9, 9), "mock", "fail"),
            exam("X", D(2024, 11, 18), "mock", "fail"),
        ],
    }


def test_same_features_on_the_hand_made_academie(tmp_path: Path) -> None:
    dates = [D(2024, 12, 2), D(2024, 9, 16), D(2024, 9, 2), D(2025, 1, 6), D(2024, 7, 15)]
    assert_same_features(write_extraction(tmp_path, academie()), dates)


def test_same_features_on_edge_cases(tmp_path: Path) -> None:
    dates = [D(2024, 11, 18), D(2024, 11, 13), D(2024, 10, 28), D(2024, 9, 1), D(2025, 1, 6),
             D(2025, 1, 11), D(2024, 8, 15)]  # fmt: skip
    assert_same_features(write_extraction(tmp_path, edge_cases()), dates)


def test_same_empty_frame_without_any_enrolled_student(tmp_path: Path) -> None:
    assert_same_features(write_extraction(tmp_path, edge_cases()), [D(2020, 1, 6)])
    assert_same_features(write_extraction(tmp_path, edge_cases()), [])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(academies(as_of_count=6))
def test_same_features_on_random_academies(
    academy: tuple[dict[str, list[dict]], list[dt.date]],
) -> None:
    tables, as_of_dates = academy
    with tempfile.TemporaryDirectory() as folder:
        assert_same_features(write_extraction(Path(folder), tables), as_of_dates)

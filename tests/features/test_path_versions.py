"""Path features (repeated years, school changes) read per version of a student's path: the
path changes only when an enrollment starts, and each as-of date reads the latest version
started on or before it (`features/sql/path_years.sql`, `path_features.sql`). Hand-computed on
a student who repeats, moves mid-year to another school and level, and has two enrollments
starting the same day (ties broken as in the roster), at dates between those starts; the same
at every grouping of the dates into queries, and in the pandas reference."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from features.extraction import open_extraction
from tests.features.conftest import enrollment, establishment, student, write_extraction
from tests.features.test_incremental import assert_bitwise_equal, assert_incremental_is_per_date
from tests.oracle.reference import build_features_reference

D = dt.date
FIRST, SECOND = "0350001A", "0350003C"

# As-of date: (repeated years, school changes) of student R, from the path known that day.
EXPECTED = {
    D(2023, 6, 5): (0, 0),  # 2022-2023 in 5e
    D(2023, 12, 4): (1, 0),  # 2023-2024 in 5e again: repeated
    D(2024, 1, 8): (0, 1),  # the move to 4e in the other collège starts that day: counted
    D(2024, 2, 5): (0, 1),
    D(2024, 9, 2): (1, 1),  # 2024-2025: two starts that day; class A (4e) wins the tie: repeated
    D(2024, 10, 7): (1, 1),
}


def path_academie() -> dict[str, list[dict]]:
    return {
        "establishments": [establishment(FIRST, "college"), establishment(SECOND, "college")],
        "students": [student("R", birth_date=D(2011, 5, 2)), student("S")],
        "enrollments": [
            enrollment("R", "2022-2023", FIRST, "5e", D(2022, 9, 1), D(2023, 7, 7)),
            enrollment("R", "2023-2024", FIRST, "5e", D(2023, 9, 1), D(2024, 1, 5)),
            enrollment("R", "2023-2024", SECOND, "4e", D(2024, 1, 8), D(2024, 7, 5)),
            enrollment("R", "2024-2025", SECOND, "3e", D(2024, 9, 2), class_id="B"),
            enrollment("R", "2024-2025", SECOND, "4e", D(2024, 9, 2), class_id="A"),
            # S: one enrollment a year, the same collège, no repeat.
            enrollment("S", "2022-2023", FIRST, "6e", D(2022, 9, 1), D(2023, 7, 7)),
            enrollment("S", "2023-2024", FIRST, "5e", D(2023, 9, 1), D(2024, 7, 5)),
            enrollment("S", "2024-2025", FIRST, "4e", D(2024, 9, 2)),
        ],
        "attendance": [],
        "grades": [],
        "exams": [],
        "outcomes": [],
    }


@pytest.fixture(scope="module")
def academie(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_extraction(tmp_path_factory.mktemp("path-versions"), path_academie())


def test_each_date_reads_the_path_known_that_day(academie: Path) -> None:
    frame = assert_incremental_is_per_date(academie, list(EXPECTED))
    by = frame.set_index(["student_id", "as_of"])
    for as_of, (repeated, changes) in EXPECTED.items():
        row = by.loc[("R", pd.Timestamp(as_of))]
        assert (row["repeated_years"], row["school_changes"]) == (repeated, changes), as_of
        s = by.loc[("S", pd.Timestamp(as_of))]
        assert (s["repeated_years"], s["school_changes"]) == (0, 0), as_of
    # The tie of 2024-09-02: the roster and the path both take class A.
    assert by.loc[("R", pd.Timestamp(D(2024, 9, 2))), "class_id"] == "A"


def test_the_reference_agrees(academie: Path) -> None:
    frame = assert_incremental_is_per_date(academie, list(EXPECTED))
    with open_extraction(academie) as extraction:
        reference = build_features_reference(extraction, list(EXPECTED))
    columns = ["student_id", "as_of", "repeated_years", "school_changes"]
    assert_bitwise_equal(frame[columns], reference.frame[columns])

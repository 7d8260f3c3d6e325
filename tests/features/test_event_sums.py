"""A week's features from last week's event sums equal the full build, bit for bit (issue 17).

The weekly run keeps the attendance days and grade sums of the events before each week's
as-of date (`features.incremental.event_sums`) and aggregates only the new week's events the
next Monday. Chained over consecutive weeks (a holiday week, a mid-year school change, a
date early in the year whose 8-week window reaches back into the year before, the summer
between two school years), every week's features must be those of `build_features` for that
date, and the kept sums must be what a build from every event would keep.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.builder import build_features
from features.extraction import open_extraction
from features.incremental.event_sums import KeptSums, usable_for, week_features
from tests.features.conftest import write_extraction
from tests.features.test_determinism import awkward_academie
from tests.features.test_incremental import assert_bitwise_equal, school_change_academie

D = dt.date


# The students whose rows changed between two weeks of one extraction: none (the weeks of
# these tests read one folder, its dates only moving on).
NOTHING_CHANGED = pa.table({"student_id": pa.array([], pa.string())})


def mondays(first: dt.date, count: int) -> list[dt.date]:
    return [first + dt.timedelta(weeks=k) for k in range(count)]


def chained(folder: Path, dates: list[dt.date], work: Path) -> list[tuple[pd.DataFrame, str]]:
    """Each date's features from the previous date's kept sums, and how they were built."""
    kept: KeptSums | None = None
    built = []
    with open_extraction(folder) as extraction:
        for as_of in dates:
            features, sums = week_features(extraction, as_of, kept, work, None, NOTHING_CHANGED)
            sums.written()
            built.append((features.frame, "since" if sums.since else "all"))
            if kept is not None:
                for path in kept.files.values():
                    path.unlink()
            kept = sums.kept
    return built


def assert_chain_equals_full(folder: Path, dates: list[dt.date], work: Path) -> list[str]:
    modes = []
    with open_extraction(folder) as extraction:
        expected = [build_features(extraction, [as_of]).frame for as_of in dates]
    for (frame, mode), full in zip(chained(folder, dates, work), expected, strict=True):
        assert_bitwise_equal(frame, full)
        modes.append(mode)
    return modes


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return awkward_academie(tmp_path_factory.mktemp("event-sums") / "extraction", students=600)


def test_weeks_chained_from_kept_sums_equal_the_full_build(synthetic: Path, tmp_path: Path) -> None:
    # Synthetic school years start in September: early dates' 8-week windows reach into the
    # previous year; the Toussaint and Christmas holidays fall among the weeks.
    years = sorted({pd.Timestamp(d).year for d in pq.read_table(synthetic / "grades.parquet")
                    .column("date").to_pylist()})  # fmt: skip
    first = D(years[-1] - 1, 9, 1)
    first += dt.timedelta(days=(7 - first.weekday()) % 7)  # the first Monday
    dates = mondays(first, 20)
    modes = assert_chain_equals_full(synthetic, dates, tmp_path / "sums")
    assert modes == ["all"] + ["since"] * (len(dates) - 1)


def test_sums_kept_in_and_read_from_folders_named_like_partitions(
    synthetic: Path, tmp_path: Path
) -> None:
    # An académie's state is kept in `weekly-state/academie=NAME/`, and its extraction may
    # sit in an `academie=NAME/` folder too: DuckDB must not read either name as a column.
    extraction = tmp_path / "academie=Rennes"
    extraction.symlink_to(synthetic, target_is_directory=True)
    years = sorted({pd.Timestamp(d).year for d in pq.read_table(synthetic / "grades.parquet")
                    .column("date").to_pylist()})  # fmt: skip
    first = D(years[-1], 1, 5)
    first += dt.timedelta(days=(7 - first.weekday()) % 7)
    dates = mondays(first, 3)
    modes = assert_chain_equals_full(extraction, dates, tmp_path / "state" / "academie=Rennes")
    assert modes == ["all", "since", "since"]


def test_school_changes_departures_and_the_summer(tmp_path: Path) -> None:
    folder = write_extraction(tmp_path / "extraction", school_change_academie())
    dates = [
        D(2024, 6, 3), D(2024, 6, 10), D(2024, 9, 2), D(2024, 9, 9), *mondays(D(2024, 11, 18), 4),
        *mondays(D(2025, 1, 6), 3), D(2025, 3, 10), D(2025, 5, 12), D(2025, 5, 19),
    ]  # fmt: skip
    modes = assert_chain_equals_full(folder, dates, tmp_path / "sums")
    # Across the summer the marks of another pair of school years are needed: all are read.
    assert modes[2] == "all"
    assert modes.count("since") == len(dates) - 2


def test_sums_kept_from_a_chain_equal_those_of_a_build_from_every_event(
    synthetic: Path, tmp_path: Path
) -> None:
    first = D(2025, 11, 3)
    with open_extraction(synthetic) as extraction:
        if build_features(extraction, [first]).frame.empty:
            pytest.fail("the fixture has no student enrolled on the test dates")
    chain = tmp_path / "chain"
    kept = None
    with open_extraction(synthetic) as extraction:
        for as_of in mondays(first, 3):
            _, sums = week_features(extraction, as_of, kept, chain, None, NOTHING_CHANGED)
            kept = sums.written()
        _, direct = week_features(extraction, mondays(first, 3)[-1], None, tmp_path / "direct")
        direct.written()
    assert kept is not None
    keys = {
        "attendance_days": ["student_id", "date"],
        "grade_marks": ["student_id", "subject", "year_start"],
        "grade_bucket_marks": ["student_id", "year_start"],
        "absence_runs": ["student_id", "year_start", "first_day"],
        "absenteeism_dates": ["student_id", "reached_on"],
        "path_versions": ["student_id"],
    }
    assert set(kept.files) == set(keys)
    for step, key in keys.items():
        left = pq.read_table(kept.files[step])
        right = pq.read_table(direct.kept.files[step])
        assert left.schema == right.schema, step
        assert left.num_rows > 0, step
        left_rows = left.to_pandas().sort_values(key).reset_index(drop=True)
        right_rows = right.to_pandas().sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(left_rows, right_rows, check_exact=True)


def test_sums_of_a_later_or_another_year_are_not_used(synthetic: Path, tmp_path: Path) -> None:
    with open_extraction(synthetic) as extraction:
        _, sums = week_features(extraction, D(2025, 11, 10), None, tmp_path)
        kept = sums.written()
        parameters = {"grades_from": kept.grades_from, "attendance_from": kept.attendance_from}
        assert usable_for(kept, D(2025, 11, 17), parameters)
        assert not usable_for(kept, D(2025, 11, 10), parameters)  # the same date
        assert not usable_for(kept, D(2025, 11, 3), parameters)  # an earlier one
        later_year = parameters | {"grades_from": D(2025, 9, 1)}
        assert not usable_for(kept, D(2026, 9, 14), later_year)
        # An earlier date than the kept first attendance day would miss days.
        earlier_days = parameters | {"attendance_from": kept.attendance_from - dt.timedelta(1)}
        assert not usable_for(kept, D(2025, 11, 17), earlier_days)
        # Built from kept sums that cannot serve, the features are still the full build's.
        features, again = week_features(extraction, D(2025, 11, 3), kept, tmp_path / "again")
        assert again.since is None
        assert_bitwise_equal(features.frame, build_features(extraction, [D(2025, 11, 3)]).frame)
    # A week that fails after its features leaves no file of its sums behind.
    again.discard()
    assert list((tmp_path / "again").iterdir()) == []


def test_kept_files_that_cannot_be_read_as_sums_give_the_full_build(
    synthetic: Path, tmp_path: Path
) -> None:
    with open_extraction(synthetic) as extraction:
        _, sums = week_features(extraction, D(2025, 11, 10), None, tmp_path / "kept")
        kept = sums.written()
        kept.files["grade_marks"].write_bytes(b"not a Parquet file")
        features, again = week_features(extraction, D(2025, 11, 17), kept, tmp_path / "again")
        again.written()
        assert again.since is None
        assert_bitwise_equal(features.frame, build_features(extraction, [D(2025, 11, 17)]).frame)


def test_paths_of_students_whose_rows_changed_are_made_again(tmp_path: Path) -> None:
    # Last week's extraction, then this week's, where M's first enrollment is now in the
    # other collège (no school change left) and P's year of 3e is now a seconde (a repeated
    # year): their paths are made again from their rows, every other student's is kept.
    before = school_change_academie()
    after = school_change_academie()
    first = after["enrollments"][0]
    other_college = before["enrollments"][1]["uai"]
    assert first["student_id"] == "M" and first["uai"] != other_college
    first["uai"] = other_college
    for row in after["enrollments"]:
        if (row["student_id"], row["school_year"]) == ("P", "2023-2024"):
            row["level"] = "2nde"
    last_week, this_week = D(2025, 2, 3), D(2025, 2, 10)
    with open_extraction(write_extraction(tmp_path / "before", before)) as extraction:
        _, sums = week_features(extraction, last_week, None, tmp_path / "sums")
        kept = sums.written()
    changed = pa.table({"student_id": ["M", "P"]})
    with open_extraction(write_extraction(tmp_path / "after", after)) as extraction:
        expected = build_features(extraction, [this_week]).frame
        features, _ = week_features(extraction, this_week, kept, tmp_path / "w", None, changed)
        assert_bitwise_equal(features.frame, expected)
        # Told that nobody changed, last week's paths would be taken for M and P: the paths
        # made again are what this week's rows give.
        stale, _ = week_features(extraction, this_week, kept, tmp_path / "s", None, NOTHING_CHANGED)
    rows = expected.set_index("student_id")
    was = stale.frame.set_index("student_id")
    assert rows.loc["M", "school_changes"] == 0 and was.loc["M", "school_changes"] == 1
    assert rows.loc["P", "repeated_years"] == 1 and was.loc["P", "repeated_years"] == 0

"""The attendance counts of the shared steps travel packed in one integer (issue 12).

`attendance_changes` packs the eleven counts of a student's windows into one HUGEINT, 11 bits
each, so that one running sum carries them all. That is exact only while each count stays
under 2,048: at the edge of valid input (an absence and a late arrival every half-day of a
whole leap school year) every count must come out right, whether the dates go to one query
or to several reading the shared steps; past the bound (more than 4 rows a student-day, which
validation rejects) the build stops with a clear error instead of mixing the counts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from features.builder import build_features
from features.extraction import open_extraction
from tests.features.conftest import absence, enrollment, establishment, late, student
from tests.features.conftest import write_extraction as write
from tests.features.test_incremental import assert_bitwise_equal
from tests.oracle.reference import build_features_reference

D = dt.date
YEAR_START, YEAR_END = D(2023, 9, 1), D(2024, 8, 31)  # 366 days: 29 February 2024
COLLEGE = "0350001A"


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _every_half_day_academie(folder: Path) -> Path:
    """M: an unjustified absence and a late arrival every half-day of the school year.
    J: a justified absence every half-day. Q: one absence on a single day (a neighbour)."""
    attendance = []
    for day in _days(YEAR_START, YEAR_END):
        for half_day in ("am", "pm"):
            attendance += [
                absence("M", day, half_day),
                late("M", day, half_day),
                absence("J", day, half_day, justified=True),
            ]
    attendance.append(absence("Q", D(2024, 3, 4)))
    return write(
        folder,
        {
            "establishments": [establishment(COLLEGE)],
            "students": [student("M"), student("J"), student("Q")],
            "enrollments": [enrollment(s, "2023-2024", COLLEGE, "4e") for s in "MJQ"],
            "attendance": attendance,
        },
    )


def test_counts_at_the_edge_of_valid_input_are_exact(tmp_path: Path) -> None:
    folder = _every_half_day_academie(tmp_path / "extraction")
    # The last as-of date counts the whole year before it (31 August excluded: 365 days).
    dates = [D(2023, 9, 11), D(2024, 3, 1), D(2024, 3, 4), D(2024, 8, 31)]
    with open_extraction(folder) as extraction:
        one_query = build_features(extraction, dates, rows_per_query=10**9).frame
        per_date = build_features(extraction, dates, rows_per_query=1).frame
        reference = build_features_reference(extraction, dates).frame
    assert_bitwise_equal(per_date, one_query)
    counts = [c for c in one_query.columns if "absence" in c or "lates" in c]
    for column in [*counts, "absenteeism_months_ytd"]:
        assert one_query[column].tolist() == pytest.approx(reference[column].tolist(), nan_ok=True)

    rows = one_query.assign(as_of=one_query["as_of"].dt.date).set_index(["student_id", "as_of"])
    m = rows.loc[("M", D(2024, 8, 31))]
    days_before = (D(2024, 8, 31) - YEAR_START).days  # 365
    assert m["unjustified_absences_ytd"] == 2 * days_before == 730
    assert m["lates_ytd"] == 730
    assert (m["unjustified_absences_2w"], m["unjustified_absences_4w"]) == (28, 56)
    assert (m["unjustified_absences_8w"], m["lates_4w"]) == (112, 56)
    assert m["justified_absences_ytd"] == 0
    assert m["absenteeism_months_ytd"] == 12  # every month, August's reached on 2 August
    j = rows.loc[("J", D(2024, 8, 31))]
    assert j["justified_absences_ytd"] == 730
    assert (j["justified_absences_2w"], j["justified_absences_8w"]) == (28, 112)
    assert (j["unjustified_absences_ytd"], j["lates_ytd"], j["absenteeism_months_ytd"]) == (0, 0, 0)
    # 1 March: 182 days since 1 September (29 February included).
    assert rows.loc[("M", D(2024, 3, 1))]["unjustified_absences_ytd"] == 2 * 182
    # The neighbour's single absence is counted from the day after, nothing leaks into it.
    q = rows.loc[("Q", D(2024, 8, 31))]
    assert (q["unjustified_absences_ytd"], q["lates_ytd"], q["justified_absences_ytd"]) == (1, 0, 0)
    assert rows.loc[("Q", D(2024, 3, 4))]["unjustified_absences_ytd"] == 0


def test_more_rows_a_day_than_valid_stops_the_build_with_a_clear_error(tmp_path: Path) -> None:
    day = D(2024, 1, 15)
    folder = write(
        tmp_path / "extraction",
        {
            "establishments": [establishment(COLLEGE)],
            "students": [student("M")],
            "enrollments": [enrollment("M", "2023-2024", COLLEGE, "4e")],
            # Five rows on one day: duplicates that validation rejects (unique key).
            "attendance": [absence("M", day)] * 3 + [late("M", day), late("M", day, "pm")],
        },
    )
    with open_extraction(folder) as extraction:
        for rows_per_query in (10**9, 1):
            with pytest.raises(duckdb.InvalidInputException) as error:
                build_features(
                    extraction, [D(2024, 2, 5), D(2024, 3, 4)], rows_per_query=rows_per_query
                )
            message = str(error.value)
            assert "attendance: 5 rows for student_id M on 2024-01-15" in message
            assert "validate the extraction" in message

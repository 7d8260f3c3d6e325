"""No leakage: nothing dated on or after the as-of date can change a feature row.

Property: take a random académie and up to three as-of dates; then add, change or remove any
attendance, grade or exam event dated on or after the earliest as-of date, move enrollments'
end dates and exit reasons anywhere on or after it, add enrollments starting after it, and
replace the outcomes entirely. Every row of the earliest as-of date is unchanged (full rows,
NaN-aware), whether or not later as-of dates are built in the same query.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.builder import build_features
from features.contract import CODES
from tests.features.conftest import (
    academies,
    enrollment,
    event_rows,
    outcome,
    unique,
    write_extraction,
)

EVENT_TABLES = ("attendance", "grades", "exams")


def _future_changes(draw: st.DrawFn, rows: list[dict], as_of: dt.date) -> list[dict]:
    """Keep past rows as they are; drop or alter each row dated on or after `as_of`."""
    kept = []
    for row in rows:
        if row["date"] < as_of:
            kept.append(row)
            continue
        action = draw(st.sampled_from(("keep", "drop", "move", "alter")))
        if action == "drop":
            continue
        row = dict(row)
        if action == "move":
            row["date"] = as_of + dt.timedelta(days=draw(st.integers(0, 200)))
        elif action == "alter":
            for column, values in (("justified", st.booleans()),
                                   ("value", st.integers(0, 20)),
                                   ("result", st.sampled_from(CODES["exam_result"]))):
                if column in row:
                    row[column] = draw(values)  # fmt: skip
        kept.append(row)
    return kept


@st.composite
def academies_and_their_futures(
    draw: st.DrawFn,
) -> tuple[dict[str, list[dict]], dict[str, list[dict]], list[dt.date]]:
    tables, as_of_dates = draw(academies(as_of_count=3))
    as_of = min(as_of_dates)
    students = [row["student_id"] for row in tables["students"]]
    future = {name: list(rows) for name, rows in tables.items()}
    for name in EVENT_TABLES:
        future[name] = _future_changes(draw, tables[name], as_of)
    later = st.integers(0, 300).map(lambda days: as_of + dt.timedelta(days=days))
    added = event_rows(draw, students, later)
    for name in EVENT_TABLES:
        future[name] += added[name]
    # Moved and added rows are all dated on or after the as-of date, so only they can collide
    # on the attendance key; past rows come first and are all kept.
    future["attendance"] = unique(future["attendance"], ("student_id", "date", "half_day", "kind"))

    future["enrollments"] = []
    for row in tables["enrollments"]:
        row = dict(row)
        if row["end_date"] is None or row["end_date"] >= as_of:
            row["end_date"] = draw(st.one_of(st.none(), later))
            row["exit_reason"] = draw(st.sampled_from((None, *CODES["exit_reason"])))
        future["enrollments"].append(row)
    for student_id in draw(st.lists(st.sampled_from(students), max_size=2, unique=True)):
        start = draw(later.filter(lambda day: day > as_of))
        future["enrollments"].append(
            enrollment(student_id, f"{start.year}-{start.year + 1}", "0350002B", "Tle", start)
        )
    for version in (tables, future):
        version["outcomes"] = [
            outcome(s, "2024-2025", draw(st.booleans()), draw(later)) for s in students
        ]
    return tables, future, as_of_dates


def _rows_on_first_date(tables: dict[str, list[dict]], as_of_dates: list[dt.date]) -> pd.DataFrame:
    """Rows of the earliest as-of date, built together with the later ones (the later dates
    legitimately see the changed events; one query must still keep the dates apart)."""
    with tempfile.TemporaryDirectory() as folder:
        frame = build_features(write_extraction(Path(folder), tables), as_of_dates).frame
    return frame[frame["as_of"] == pd.Timestamp(min(as_of_dates))].reset_index(drop=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(academies_and_their_futures())
def test_events_on_or_after_the_as_of_date_never_change_a_row(
    case: tuple[dict[str, list[dict]], dict[str, list[dict]], list[dt.date]],
) -> None:
    past, future, as_of_dates = case
    before = _rows_on_first_date(past, as_of_dates)
    after = _rows_on_first_date(future, as_of_dates)
    pd.testing.assert_frame_equal(before, after, check_exact=False, rtol=1e-12, atol=1e-12)

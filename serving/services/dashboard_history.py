"""A student's school record for the student page: absences per week, grades per period and
subject, exams, read from the extraction the lists were scored from.

The store keeps only what the model wrote; the events themselves stay in the extraction.
Access follows the student's record (`get_student_record`): the establishment's own watch
unit, or the académie-wide inspectors and data scientists (events carry no names). Every read
and every refusal is audited. The reading is one filtered DuckDB query per table, so a large
Parquet extraction is not loaded to show one student.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from features.calendar import monday_on_or_before
from features.extraction import Extraction, open_extraction
from serving.db.engine import Store
from serving.services.actor import Actor, may_read_students
from serving.services.audit import Refused, record_read, refusing
from serving.services.errors import NotFound
from serving.services.students import load_readable_student

__all__ = [
    "StudentEvents",
    "absences_per_week",
    "get_levels_and_classes",
    "get_student_events",
    "grades_per_period",
    "school_year_start",
]


@dataclass(frozen=True, eq=False)  # frames have no single truth value to compare
class StudentEvents:
    """`absences`: week, justified, unjustified (missed half-days), lates;
    `grades`: period, subject, mean on /20, marks; `exams`: date, exam, result, score."""

    student_id: str
    school_year_start: dt.date
    absences: pd.DataFrame
    grades: pd.DataFrame
    exams: pd.DataFrame


def school_year_start(day: dt.date) -> dt.date:
    """1 September of the school year holding `day` (DESIGN.md: 1 September to 31 August)."""
    year = day.year if day.month >= 9 else day.year - 1
    return dt.date(year, 9, 1)


def absences_per_week(attendance: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Missed half-days per week (Monday), justified and not, and lates, from `start` to
    `end`, with empty weeks as zeros so the chart shows the whole year."""
    weeks = pd.date_range(monday_on_or_before(start), monday_on_or_before(end), freq="7D")
    frame = pd.DataFrame(index=weeks.date)
    if attendance.empty:
        return frame.assign(justified=0, unjustified=0, lates=0).rename_axis("week").reset_index()
    dates = pd.to_datetime(attendance["date"])
    week = (dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")).dt.date
    justified = attendance["justified"].astype("boolean").fillna(False).astype(bool)
    absent = attendance["kind"] == "absence"
    counts = (
        pd.DataFrame(
            {
                "week": week,
                "justified": (absent & justified).astype(int),
                "unjustified": (absent & ~justified).astype(int),
                "lates": (attendance["kind"] == "late").astype(int),
            }
        )
        .groupby("week")[["justified", "unjustified", "lates"]]
        .sum()
    )
    frame = frame.join(counts).fillna(0).astype(int)
    return frame.rename_axis("week").reset_index()


def grades_per_period(grades: pd.DataFrame) -> pd.DataFrame:
    """Coefficient-weighted mean on /20 per period and subject, and the number of marks
    (marks out of 0 or less are unusable, as in the feature catalog)."""
    columns = ["period", "subject", "mean", "marks"]
    if grades.empty:
        return pd.DataFrame(columns=columns)
    usable = grades[grades["out_of"] > 0].copy()
    usable["on_20"] = usable["value"] / usable["out_of"] * 20
    usable["weighted"] = usable["on_20"] * usable["coefficient"]
    grouped = usable.groupby(["period", "subject"], as_index=False).agg(
        weighted=("weighted", "sum"), weight=("coefficient", "sum"), marks=("on_20", "size")
    )
    grouped["mean"] = (grouped["weighted"] / grouped["weight"].where(grouped["weight"] > 0)).round(
        1
    )
    return grouped.loc[:, columns].sort_values(["period", "subject"]).reset_index(drop=True)


def _read(
    extraction: Extraction, table: str, columns: str, student_id: str, since: dt.date
) -> pd.DataFrame:
    if table not in extraction.files:
        problem = extraction.unreadable.get(table)
        raise NotFound(
            f"the extraction has no readable {table} table" + (f" ({problem})" if problem else "")
        )
    query = f"SELECT {columns} FROM {table} WHERE student_id = ? AND date >= ? ORDER BY date"
    return extraction.con.execute(query, [student_id, since]).df()


def get_student_events(
    store: Store, actor: Actor, student_id: str, extraction: str | Path, as_of: dt.date
) -> StudentEvents:
    """The student's events of the school year of `as_of`, strictly before `as_of` (what the
    model saw)."""
    with refusing(store, actor, read_only=True) as session:
        enrolled = load_readable_student(session, actor, student_id, "read_student_events")
        uai = enrolled.uai
    directory = Path(extraction)
    if not directory.is_dir():
        raise NotFound(f"extraction folder {directory} does not exist")
    start = school_year_start(as_of)
    # Through the one reader of extractions: CSV files as French software writes them too.
    with open_extraction(directory, tables=("attendance", "grades", "exams")) as extraction:
        attendance = _read(
            extraction, "attendance", "date, half_day, kind, justified", student_id, start
        )
        grades = _read(
            extraction,
            "grades",
            "date, subject, CAST(value AS DOUBLE) AS value, "
            "CAST(COALESCE(out_of, 20) AS DOUBLE) AS out_of, "
            "CAST(COALESCE(coefficient, 1) AS DOUBLE) AS coefficient, "
            "CAST(period AS INTEGER) AS period",
            student_id,
            start,
        )
        exams = _read(extraction, "exams", "date, exam, result, score", student_id, start)
    before = pd.Timestamp(as_of)
    attendance = attendance[pd.to_datetime(attendance["date"]) < before]
    grades = grades[pd.to_datetime(grades["date"]) < before]
    exams = exams[pd.to_datetime(exams["date"]) < before].reset_index(drop=True)
    events = StudentEvents(
        student_id=student_id,
        school_year_start=start,
        absences=absences_per_week(attendance, start, as_of - dt.timedelta(days=1)),
        grades=grades_per_period(grades),
        exams=exams,
    )
    record_read(
        store,
        actor,
        "read_student_events",
        student_id=student_id,
        uai=uai,
        detail=f"school year from {start.isoformat()} to {as_of.isoformat()}",
    )
    return events


def get_levels_and_classes(
    store: Store, actor: Actor, uai: str, features_file: str | Path
) -> pd.DataFrame:
    """Level and class of the establishment's students in a feature file (student_id, level,
    class_id): what the weekly list is filtered by. Same scope as the list itself."""
    with refusing(store, actor, read_only=True):
        if not may_read_students(actor, uai):
            raise Refused("read_classes", "this establishment is not in your scope", uai=uai)
    path = Path(features_file)
    if not path.is_file():
        raise NotFound(f"feature file {path} does not exist")
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        frame = con.execute(
            "SELECT student_id, CAST(level AS VARCHAR) AS level, class_id "
            "FROM read_parquet(?) WHERE uai = ?",
            [str(path), uai],
        ).df()
    finally:
        con.close()
    record_read(store, actor, "read_classes", uai=uai, detail=f"{len(frame)} students")
    return frame

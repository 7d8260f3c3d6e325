"""A student's facts on a date read from an extraction (the I/O edge of
`models.solutions.facts`): the student's birth date, enrollments and exams, one filtered
DuckDB query per table, so a large Parquet extraction is not loaded to read one student.

`enrollment_records` and `exam_records` turn the extraction's rows (frames, as the leavers
list reads them for many students) into the engine's records."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from features.extraction import Extraction, open_extraction
from models.solutions.facts import EnrollmentRecord, ExamRecord, StudentFacts, facts_on
from serving.services.errors import NotFound

__all__ = ["FACT_TABLES", "enrollment_records", "exam_records", "read_facts"]

FACT_TABLES = ("students", "enrollments", "exams")


def _day(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value) or None


def enrollment_records(frame: pd.DataFrame) -> list[EnrollmentRecord]:
    """Rows with school_year, start_date, end_date, exit_reason (empty cells: None)."""
    records = []
    for row in frame.itertuples(index=False):
        start = _day(row.start_date)
        if start is not None:
            records.append(EnrollmentRecord(str(row.school_year), start, _day(row.end_date),
                                            _text(row.exit_reason)))  # fmt: skip
    return records


def exam_records(frame: pd.DataFrame) -> list[ExamRecord]:
    """Rows with date, exam, result."""
    return [
        ExamRecord(day, str(row.exam), str(row.result))
        for row in frame.itertuples(index=False)
        if (day := _day(row.date)) is not None
    ]


def _rows(extraction: Extraction, table: str, columns: str, student_id: str) -> pd.DataFrame:
    if table not in extraction.files:
        problem = extraction.unreadable.get(table)
        raise NotFound(
            f"the extraction has no readable {table} table" + (f" ({problem})" if problem else "")
        )
    query = f"SELECT {columns} FROM {table} WHERE student_id = ?"
    return extraction.con.execute(query, [student_id]).df()


def read_facts(
    directory: Path, student_id: str, on: dt.date, *, interview_held: bool
) -> StudentFacts:
    """The facts of `student_id` on `on` from the extraction in `directory`."""
    with open_extraction(directory, tables=FACT_TABLES) as extraction:
        student = _rows(extraction, "students", "birth_date", student_id)
        enrollments = _rows(
            extraction, "enrollments", "school_year, start_date, end_date, exit_reason", student_id
        )
        exams = _rows(extraction, "exams", "date, exam, result", student_id)
    if student.empty:
        raise NotFound(f"student {student_id} is not in the extraction")
    return facts_on(
        on,
        student_id=student_id,
        birth_date=_day(student["birth_date"].iloc[0]),
        enrollments=enrollment_records(enrollments),
        exams=exam_records(exams),
        interview_held=interview_held,
    )

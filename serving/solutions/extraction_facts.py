"""A student's facts on a date read from an extraction (the I/O edge of
`models.solutions.facts`): the student's birth date, enrollments and exams.

The three tables' few columns are read once per extraction, sorted by student, and kept
(`_fact_tables`, the two latest extractions, keyed by each file's name, size, modification
time and inode, so a rewritten file is read again); a student's rows are then a binary
search away. One read costs about as much as a single filtered query over the files did
(0.07 s of CPU for 40,000 students); the demo's synthetic watch unit and a watch unit
recording interviews in a row then pay it once, not per interview.

`enrollment_records` and `exam_records` turn the extraction's rows (frames, as the leavers
list reads them for many students) into the engine's records."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.extraction import Extraction, open_extraction
from models.solutions.facts import EnrollmentRecord, ExamRecord, StudentFacts, facts_on
from serving.services.errors import NotFound

__all__ = ["FACT_TABLES", "enrollment_records", "exam_records", "read_facts"]

FACT_TABLES = ("students", "enrollments", "exams")
_COLUMNS = {
    "students": "birth_date",
    "enrollments": "school_year, start_date, end_date, exit_reason",
    "exams": "date, exam, result",
}


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


def _table(extraction: Extraction, table: str) -> pd.DataFrame:
    """`table`'s fact columns with the student id, sorted by student (then every column, so
    that a student's rows come in one order whatever the files' order)."""
    if table not in extraction.files:
        problem = extraction.unreadable.get(table)
        raise NotFound(
            f"the extraction has no readable {table} table" + (f" ({problem})" if problem else "")
        )
    columns = _COLUMNS[table]
    query = f"SELECT student_id, {columns} FROM {table} ORDER BY student_id, {columns}"
    return extraction.con.execute(query).df()


def _identity(directory: Path) -> tuple[tuple[str, int, int, int], ...]:
    return tuple(
        sorted(
            (path.name, stat.st_size, stat.st_mtime_ns, stat.st_ino)
            for path in directory.iterdir()
            if path.is_file()
            for stat in (path.stat(),)
        )
    )


_Tables = dict[str, tuple[np.ndarray, pd.DataFrame]]


@lru_cache(maxsize=2)
def _fact_tables(directory: Path, identity: tuple[tuple[str, int, int, int], ...]) -> _Tables:
    """Each fact table as (its sorted student ids, its other columns in the same order)."""
    del identity  # the cache key: the files as they are now
    tables: _Tables = {}
    with open_extraction(directory, tables=FACT_TABLES) as extraction:
        for table in FACT_TABLES:
            frame = _table(extraction, table)
            ids = frame.pop("student_id").to_numpy(dtype=object)
            tables[table] = (ids, frame)
    return tables


def _rows(tables: _Tables, table: str, student_id: str) -> pd.DataFrame:
    """The student's rows of `table` (a binary search in the sorted ids)."""
    ids, frame = tables[table]
    first, last = ids.searchsorted(student_id, "left"), ids.searchsorted(student_id, "right")
    return frame.iloc[first:last].reset_index(drop=True)


def read_facts(
    directory: Path, student_id: str, on: dt.date, *, interview_held: bool
) -> StudentFacts:
    """The facts of `student_id` on `on` from the extraction in `directory`."""
    directory = Path(directory).resolve()
    tables = _fact_tables(directory, _identity(directory))
    student = _rows(tables, "students", student_id)
    enrollments = _rows(tables, "enrollments", student_id)
    exams = _rows(tables, "exams", student_id)
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

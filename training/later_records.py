"""A later extraction read for what became of students: its enrollments and the day it runs
to. The one place the interview outcome report (`vigie interview-outcomes`, the dashboard)
and the served interview effect read a later extraction from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["LaterEnrollments", "read_later_enrollments"]


@dataclass(frozen=True, eq=False)
class LaterEnrollments:
    """The `enrollments` table of a later extraction (student_id, uai, start_date, end_date,
    exit_reason) and `as_of`, its last recorded event: what is known up to that day."""

    enrollments: pd.DataFrame
    as_of: dt.date


def read_later_enrollments(directory: str | Path) -> LaterEnrollments:
    """Validate the extraction in `directory` (`InvalidExtractionError` naming table, row and
    column when it breaks the contract) and read its enrollments."""
    from features.validation import require_valid
    from training.snapshots import extraction_last_event

    with require_valid(directory) as extraction:
        as_of = extraction_last_event(extraction)
        if as_of is None:
            raise ValueError(f"the extraction in {directory} records no event")
        enrollments = extraction.con.execute(
            "SELECT student_id, uai, school_year, start_date, end_date, exit_reason "
            "FROM enrollments ORDER BY student_id, start_date, uai"
        ).df()
    for column in ("student_id", "uai", "school_year"):
        enrollments[column] = enrollments[column].astype(str)
    return LaterEnrollments(enrollments, as_of)

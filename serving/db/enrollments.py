"""A student's establishment on a day, from the store's enrollment facts.

The establishment is a fact with dates (`Enrollment`), written by the weekly runs as facts:
writing an older week adds an older enrollment and never overrides a newer one. Every
access decision about a student (record reads, interviews and dismissals, names on lists,
list revisions) asks `establishment_on` for the day of the request: the enrollment with the
latest start on or before that day, else (only future enrollments known) the latest known
one; ties on the start day go to the smallest uai, so the answer never depends on the order
the weeks were written in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, ScalarSelect, case, select
from sqlalchemy.orm import Session

from serving.db.models import Enrollment

__all__ = ["current_establishment", "establishment_on", "request_date"]


def request_date() -> dt.date:
    """The day access is decided for: today (UTC). Tests pin it."""
    return dt.datetime.now(dt.UTC).date()


def establishment_on(student_id: Any, day: Any) -> ScalarSelect[str]:
    """The uai of `student_id` (a value or a column, for a correlated subquery) on `day` (a
    date or a bound parameter); NULL for a student without enrollment."""
    return (
        select(Enrollment.uai)
        .where(Enrollment.student_id == student_id)
        .order_by(
            case((Enrollment.start_date <= day, 0), else_=1),
            Enrollment.start_date.desc(),
            Enrollment.uai,
        )
        .limit(1)
        .scalar_subquery()
    )


def current_establishment(
    connection: Connection | Session, student_id: str, day: dt.date | None = None
) -> str | None:
    """The establishment of `student_id` on `day` (the request's day by default); None
    for a student the store has no enrollment for."""
    on = request_date() if day is None else day
    return connection.execute(select(establishment_on(student_id, on))).scalar_one_or_none()

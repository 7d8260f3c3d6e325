"""A student's school record for the student page: absences per week, grades per period and
subject, exams, read from the extraction the week's lists were scored from; and the levels
and classes of an establishment's students that week, which filter its list.

The store keeps only what the model wrote; the events themselves stay in the extraction, and
the week's features in its snapshot, both read through the week's lineage
(`serving.lineage`: the extraction recorded with the week, still with its fingerprint; the
snapshot checked against its hash), never through whatever files are newest. Access follows
the student's record (`get_student_record`): the establishment's own watch unit, or the
académie-wide inspectors and data scientists (events carry no names); a list's classes are
the list's own scope. Every read and every refusal is audited. The reading is one filtered
DuckDB query per table, so a large Parquet extraction is not loaded to show one student.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from features.calendar import monday_on_or_before
from features.extraction import Extraction, open_extraction
from serving.db.engine import Store
from serving.db.models import ListEntry, WeeklyList
from serving.lineage import recorded_week
from serving.services.actor import Actor
from serving.services.audit import record_read
from serving.services.errors import NotFound
from serving.services.guard import guarded, student_in_scope
from serving.services.policy import Action, performs, require

__all__ = [
    "StudentEvents",
    "absences_per_week",
    "get_levels_and_classes",
    "get_student_events",
    "grades_per_period",
    "listing_entry",
    "listing_establishment",
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


@performs(Action.READ_STUDENT_EVENTS)
def get_student_events(
    store: Store, actor: Actor, student_id: str, week: dt.date | None
) -> StudentEvents:
    """The student's events of the school year of the as-of date of `week` (None: the latest
    week written), strictly before it (what the model saw), from the extraction that week
    was scored from (on a week scored by académie, the partition of the student's
    establishment). `WeekDataUnavailable` when that extraction is gone or changed since."""
    with guarded(
        store, actor, Action.READ_STUDENT_EVENTS, student_id=student_id, read_only=True
    ) as session:
        enrolled = student_in_scope(session, actor, Action.READ_STUDENT_EVENTS, student_id)
        uai = enrolled.uai
        lineage = recorded_week(session, week)
    # The student's establishment's folder: on a week scored by académie, its partition.
    directory = lineage.extraction_of(uai)
    as_of = lineage.as_of
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


def listing_establishment(
    session: Session, actor: Actor, student_id: str, week: dt.date, action: Action
) -> str:
    """The establishment whose list of `week` held the student, when `actor` may perform
    `action` there: a student's rows of a week are read through the establishment that
    listed them. NotFound when no list of that week held the student; `Refused` (audited)
    when that establishment is out of the actor's scope."""
    return listing_entry(session, actor, student_id, week, action)[1].uai


def listing_entry(
    session: Session, actor: Actor, student_id: str, week: dt.date, action: Action
) -> tuple[ListEntry, WeeklyList]:
    """`listing_establishment`'s check, giving the student's entry and its list, read once
    (for a caller that needs the entry itself: the notice)."""
    found = session.execute(
        select(ListEntry, WeeklyList)
        .join(WeeklyList, ListEntry.list_id == WeeklyList.id)
        .where(WeeklyList.week == monday_on_or_before(week), ListEntry.student_id == student_id)
    ).first()
    if found is None:
        raise NotFound(f"student {student_id} is on no list of the week of {week.isoformat()}")
    entry, weekly_list = found
    require(actor, action, uai=weekly_list.uai, student_id=student_id)
    return entry, weekly_list


@performs(Action.READ_CLASSES)
def get_levels_and_classes(store: Store, actor: Actor, uai: str, week: dt.date) -> pd.DataFrame:
    """Level and class of the establishment's students in the week's snapshot (student_id,
    level, class_id): what the week's list is filtered by. Same scope as the list itself.
    `WeekDataUnavailable` when the week's snapshot is missing or altered."""
    with guarded(store, actor, Action.READ_CLASSES, uai=uai, read_only=True) as session:
        lineage = recorded_week(session, week)
    frame = lineage.features(uai=uai, columns=("student_id", "level", "class_id"))
    frame["level"] = frame["level"].astype("string")
    record_read(
        store, actor, "read_classes", uai=uai,
        detail=f"{len(frame)} students of the week of {lineage.week.isoformat()}",
    )  # fmt: skip
    return frame

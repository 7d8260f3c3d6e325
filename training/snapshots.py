"""Training snapshots: one row per (student, Monday as-of date), with label, exit date, capacity.

The as-of dates are the Mondays a watch unit would receive a list: Mondays of class weeks
(a week with at least one class day per `features.calendar`), strictly after the rentrée, up
to the summer holidays, and no later than the extraction's last recorded event. `monthly` keeps
the first such Monday of each month (a subset of `weekly`).

Features come from the one feature builder (`features.builder.build_features`), in a single
call for every date; labels from `features.labels`: the training target `label` (leaving
without a qualification within `features.labels.HORIZON_WEEKS` weeks; NaN when `censored`,
with its `censor_reason`), when it was known (`label_horizon_known_on`) and, for a 1, the exit
it counts (`label_exit_date`, `label_exit_kind`, possibly next school year), beside the outcome
of the row's school year (`label_dropped_out`, `label_known_on`). Beside them: each dropout's
`exit_date` (the end of the year's enrollment that ended with `dropped_out`, for lead time) and
`exit_kind` (`during_year`, `no_return`, `after_exam_failure`), and the establishment's
`capacity` (its `weekly_interview_capacity`, the list length k).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Literal

import pandas as pd

from features.builder import build_features
from features.calendar import calendar_for
from features.extraction import Extraction
from features.labels import attach_labels, dropout_exits, horizon_labels

__all__ = [
    "Cadence",
    "build_snapshots",
    "class_week_mondays",
    "enrolled_outcomes",
    "extraction_last_event",
    "snapshot_dates",
]

Cadence = Literal["weekly", "monthly"]


def class_week_mondays(school_year: str) -> list[dt.date]:
    """Mondays after the rentrée whose week (Monday to Friday) has a class day."""
    calendar = calendar_for(school_year)
    first = calendar.rentree + dt.timedelta(days=1)
    monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    mondays = []
    while monday <= calendar.summer_from:
        week = (monday + dt.timedelta(days=offset) for offset in range(5))
        if any(calendar.is_class_day(day) for day in week):
            mondays.append(monday)
        monday += dt.timedelta(weeks=1)
    return mondays


def snapshot_dates(
    school_year: str, cadence: Cadence, last_event: dt.date | None = None
) -> list[dt.date]:
    """The as-of dates of one school year at `cadence`, none after `last_event`."""
    mondays = class_week_mondays(school_year)
    if cadence == "monthly":
        firsts: dict[tuple[int, int], dt.date] = {}
        for monday in mondays:
            firsts.setdefault((monday.year, monday.month), monday)
        mondays = sorted(firsts.values())
    elif cadence != "weekly":
        raise ValueError(f"cadence must be weekly or monthly, not {cadence!r}")
    if last_event is not None:
        mondays = [monday for monday in mondays if monday <= last_event]
    return mondays


def extraction_last_event(extraction: Extraction) -> dt.date | None:
    """The latest date recorded in the extraction (attendance, grades, exams, enrollments)."""
    parts = [
        f"SELECT max(date) AS day FROM {table}"
        for table in ("attendance", "grades", "exams")
        if table in extraction.files
    ]
    if "enrollments" in extraction.files:
        parts.append(
            "SELECT max(greatest(start_date, coalesce(end_date, start_date))) FROM enrollments"
        )
    if not parts:
        return None
    query = f"SELECT max(day) FROM ({' UNION ALL '.join(parts)})"
    row = extraction.con.execute(query).fetchone()
    return row[0] if row else None


def enrolled_outcomes(extraction: Extraction) -> pd.DataFrame:
    """One row per (school_year, student) enrolled that year, with the outcome if recorded:
    `dropped_out` (NaN when none) and `known_on` (NaT when none). Reads no feature: it lets a
    training plan decide which years have their outcomes known before any cut-off, cheaply."""
    outcomes = "outcomes" in extraction.files
    join = "LEFT JOIN outcomes o USING (student_id, school_year)" if outcomes else ""
    columns = (
        "CAST(o.dropped_out AS DOUBLE) AS dropped_out, o.known_on AS known_on"
        if outcomes
        else "CAST(NULL AS DOUBLE) AS dropped_out, CAST(NULL AS DATE) AS known_on"
    )
    frame = extraction.con.execute(
        f"SELECT e.school_year, e.student_id, {columns} "
        f"FROM (SELECT DISTINCT school_year, student_id FROM enrollments) e {join} "
        "ORDER BY e.school_year, e.student_id"
    ).df()
    frame["known_on"] = pd.to_datetime(frame["known_on"])
    return frame


def build_snapshots(
    extraction: Extraction,
    as_of_dates: Iterable[dt.date],
    progress: Callable[[int], None] | None = None,
    last_event: dt.date | None = None,
) -> pd.DataFrame:
    """The feature frame at every date, with `label_dropped_out`, `label_known_on`, the
    fixed-horizon `label`, `label_horizon_known_on`, `censored`, `censor_reason`, `exit_date`
    and `exit_kind` (NaT / NA unless the student dropped out that year; on a positive row,
    the exit its label counts, `label_exit_date` / `label_exit_kind`) and `capacity`.

    The horizon label needs its horizon observed: rows whose horizon ends after the
    extraction's last event (`last_event`, default `extraction_last_event`: an académie of a
    partitioned extraction is censored at the whole extraction's) are censored
    (`not_yet_observed`).
    `progress` is told how many dates each feature query computed."""
    dates = sorted(set(as_of_dates))
    if not dates:
        raise ValueError("no as-of date to build training snapshots for")
    frame = attach_labels(build_features(extraction, dates, progress=progress), extraction)
    last_event = last_event or extraction_last_event(extraction) or max(dates)
    frame = pd.concat([frame, horizon_labels(frame, extraction, last_event)], axis=1)
    exits = dropout_exits(extraction)
    capacity = extraction.con.execute(
        "SELECT uai, weekly_interview_capacity AS capacity FROM establishments"
    ).df()
    for keys in (exits, capacity):
        for column in ("student_id", "school_year", "uai"):
            if column in keys.columns:
                keys[column] = keys[column].astype("str")
    merged = frame.merge(exits, on=["student_id", "school_year"], how="left", validate="m:1")
    merged = merged.merge(capacity, on="uai", how="left", validate="m:1")
    if merged["capacity"].isna().any():
        unknown = sorted(merged.loc[merged["capacity"].isna(), "uai"].unique())[:5]
        raise ValueError(f"establishments without a weekly_interview_capacity: {unknown}")
    merged["capacity"] = merged["capacity"].astype("int64")
    # Lead times and the replay measure time to the exit the label counts: for a positive
    # row, the horizon's exit (possibly in the next school year: a student who does not come
    # back after the summer leaves on 1 September), not only the school year's exit.
    counted = merged["label_exit_date"].notna()
    merged["exit_date"] = merged["exit_date"].mask(counted, merged["label_exit_date"])
    merged["exit_kind"] = merged["exit_kind"].mask(counted, merged["label_exit_kind"])
    merged.index = frame.index
    return merged

"""A week's features from last week's event sums: only the new week's events are aggregated.

The features of one as-of date read the events through three first steps whose rows depend
on the events before the date and on its school year, not on the day itself:

- `attendance_days`: one row per student and day with absences or late arrivals;
- `grade_marks`: the exact sums of usable marks per student, subject and school year;
- `grade_bucket_marks`: the exact sums per student, school year and period, and the last
  mark's date.

Two more steps read only the attendance days: `absence_runs` (runs of consecutive absent
class days; of each student-year, the longest and the last only, `absence_runs_kept`) and
`absenteeism_dates` (the day a month's unjustified absences reach the threshold).

One more step reads the enrollments: `path_versions`, each student's path (repeated years,
school changes) from their enrollments started by the date. A student's path changes only
when their `students` or `enrollments` rows change (the weekly validation knows whose did:
the per-student fingerprints) or one of their enrollments starts: last week's paths are kept
and those of such students made again (`path_versions_merged`; every path when the caller
does not say whose rows changed).

`week_features` computes those six tables from the rows kept by the previous week
(`KeptSums`: events dated before its as-of date, in the same school year) and the events
dated from that date on only (`grade_marks_merged`, `grade_bucket_marks_merged`; the runs
of the students absent since, found again from their last kept run, `absence_runs_merged`;
the months from last week's on, `absenteeism_dates_merged`), and the paths, then the
features from them (`features.builder.features_from_sums`); the rest of the query is the
builder's, on the same SQL. Marks are exact decimals, so sums of sums are the sums of the
marks, and the features are bitwise those of `build_features` for the date
(tests/features/test_event_sums.py holds it over consecutive weeks). It then hands over the
six tables for the next week (`WeekSums`: written, when the caller starts it, to files in
a temporary place the caller keeps or drops).

The kept rows are used only when the caller knows that the events dated before their as-of
date are still those they were computed from (the weekly validation's fingerprints,
`features.incremental.validation`) and they hold what this date needs (`usable_for`);
otherwise every event is aggregated, as the full build does. Either way the result is the
same; only the time differs.
"""

from __future__ import annotations

import datetime as dt
import secrets
from concurrent.futures import Future, wait
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from features.background import in_background
from features.builder import (
    FROM_SUMS_STEPS,
    date_cursor,
    features_from_sums,
    step_sql,
    used_parameters,
)
from features.extraction import Extraction
from features.feature_set import FeatureSet
from features.incremental.state import KeptSums
from features.validation.sql import literal

__all__ = ["KEPT_STEPS", "KeptSums", "WeekSums", "WrittenSums", "usable_for", "week_features"]

# The tables a week keeps, each the rows of the builder's step of the same name (of the
# absence runs, those a single date reads and the next week extends: `absence_runs_kept`),
# made as Arrow tables registered under that name on the build's cursor, which the query of
# a week's features reads instead of the step (`features.builder.features_from_sums`).
# `grade_rows`, every mark, is read only by the two grade sums, which are kept in its place.
# Of the students' paths, `path_versions` (a row per student: the repeated years and school
# changes of the enrollments started by the date) is kept; `path_years` is read by it only.
KEPT_STEPS: tuple[str, ...] = tuple(
    step for step in FROM_SUMS_STEPS if step not in ("grade_rows", "path_years")
)
# The kept steps computed from the week's attendance days rather than from the events: last
# week's rows are used only when that week read its attendance from the same first day (the
# class days are then numbered alike), the steps over every attendance day otherwise.
_FROM_DAYS: tuple[str, ...] = ("absence_runs", "absenteeism_dates")


class WeekSums:
    """This week's sums, to be written to temporary files beside the state they will be kept
    in (`kept.files`) by a thread of their own, once `start` asks: the caller picks a time
    when a core is free (the weekly run, its store write: the writer's CPU would otherwise
    slow the predictions); `since` is the date the new events were read from (None: all of
    them). `written` starts the writing if nothing did, waits for the files and raises what
    writing them raised; `discard` removes them (nothing is written after it)."""

    def __init__(self, kept: KeptSums, since: dt.date | None, tables: dict[str, pa.Table]):
        self.kept = kept
        self.since = since
        self._tables: dict[str, pa.Table] | None = tables
        self._written: Future[None] | None = None

    def start(self) -> None:
        """Write the files in a thread of their own, from now on (once; none after
        `discard`)."""
        if self._written is None and self._tables is not None:
            tables, self._tables = self._tables, None
            self._written = in_background("vigie-week-sums", _write_tables, tables, self.kept.files)

    def written(self) -> KeptSums:
        """The sums, once their files are whole."""
        self.start()
        if self._written is None:
            raise RuntimeError("the week's sums were discarded")
        self._written.result()
        return self.kept

    def discard(self) -> None:
        self._tables = None
        if self._written is not None:
            wait([self._written])
        for path in self.kept.files.values():
            path.unlink(missing_ok=True)

    def settled(self) -> WrittenSums:
        """The sums once their files are whole, without the thread that wrote them: what a
        worker's task sends back for the client to keep."""
        return WrittenSums(self.written(), self.since)


@dataclass(frozen=True)
class WrittenSums:
    """A week's sums whose files are whole (`WeekSums.settled`): the same `since`,
    `written` and `discard`, and picklable."""

    kept: KeptSums
    since: dt.date | None

    def written(self) -> KeptSums:
        return self.kept

    def discard(self) -> None:
        for path in self.kept.files.values():
            path.unlink(missing_ok=True)


def _write_tables(tables: dict[str, pa.Table], files: dict[str, Path]) -> None:
    # Without column statistics: next week scans every row of the sums back, and the
    # statistics of their decimal columns took a quarter of the writing's time.
    for step, table in tables.items():
        pq.write_table(table, files[step], write_statistics=False)


def usable_for(kept: KeptSums, as_of: dt.date, parameters: dict[str, object]) -> bool:
    """Whether `kept` holds the sums `as_of` reads (the builder's `parameters` of that date):
    an earlier date, the same school years of marks (sums cannot be split by date), and every
    attendance day the windows reach."""
    return (
        kept.as_of < as_of
        and kept.grades_from == parameters["grades_from"]
        and kept.attendance_from <= _date(parameters["attendance_from"])
        and set(kept.files) == set(KEPT_STEPS)
        and all(path.is_file() for path in kept.files.values())
    )


def week_features(
    extraction: Extraction,
    as_of: dt.date,
    kept: KeptSums | None,
    folder: Path,
    token: str | None = None,
    changed: pa.Table | None = None,
) -> tuple[FeatureSet, WeekSums]:
    """The features of `as_of` (bitwise `build_features(extraction, [as_of])`), from `kept`
    when it is usable (see the module), and the sums to keep for the next week, to be written
    to hidden files of `folder` named with `token` (a new one by default) once the caller
    starts it (`WeekSums.start`, `WeekSums.written`). `extraction` must be open and valid.
    `changed`: the ids (a `student_id` column) of the students whose `students` or
    `enrollments` rows changed since `kept` was made, when known (the weekly validation's
    fingerprints): the other students' paths are taken from `kept` (None: every path made
    again)."""
    with date_cursor(extraction, as_of) as (cursor, parameters):
        usable = kept is not None and usable_for(kept, as_of, parameters)
        since = kept.as_of if kept is not None and usable else None
        try:
            made: dict[str, pa.Table] = {}
            try:
                _compute(cursor, parameters, kept if usable else None, changed, made)
            except duckdb.Error:
                if since is None:
                    raise
                # Kept files that cannot be read as sums (never expected: their checksums
                # were checked): every event is aggregated instead.
                _drop(cursor, made)
                since = None
                _compute(cursor, parameters, None, None, made)
            features = features_from_sums(cursor, parameters)
            sums = _sums(as_of, parameters, folder, since, token, made)
        finally:
            _drop(cursor, made)
    return features, sums


def _drop(cursor: duckdb.DuckDBPyConnection, made: dict[str, pa.Table]) -> None:
    for step in made:
        cursor.unregister(step)
    made.clear()
    for step in KEPT_STEPS:
        cursor.execute(f"DROP VIEW IF EXISTS vigie_kept_{step}")
    cursor.execute("DROP TABLE IF EXISTS vigie_grade_rows")
    cursor.execute("DROP TABLE IF EXISTS vigie_path_students")


def _compute(
    cursor: duckdb.DuckDBPyConnection,
    parameters: dict[str, object],
    kept: KeptSums | None,
    changed: pa.Table | None,
    made: dict[str, pa.Table],
) -> None:
    """The tables of `KEPT_STEPS`, made as Arrow tables registered on `cursor` under their
    step's names (and kept in `made`, by step, for the next week's files): the builder's
    steps over every event when nothing is kept; else the kept rows and the steps over the
    events dated from the kept date on, merged (`<step>_merged`; attendance days, one row per
    day, need no merging, only the days this date's windows reach); then the absence runs
    and absenteeism months from those days (`_from_days`), and the students' paths
    (`_paths`, with `changed`)."""
    first_day = literal(_date(parameters["attendance_from"]).isoformat())
    if kept is not None:
        for step, path in kept.files.items():
            cursor.execute(
                f"CREATE TEMP VIEW vigie_kept_{step} AS "
                f"SELECT * FROM read_parquet({literal(str(path))}, hive_partitioning = false)"
            )
    # The new events only when sums are kept: every lower bound moved to the kept date.
    events = parameters
    if kept is not None:
        events = parameters | {"attendance_from": kept.as_of, "grades_from": kept.as_of}
    # Every mark (as long as the grades table) is read twice rather than kept; the new week's
    # are kept once for both steps.
    rows = f"grade_rows AS NOT MATERIALIZED (\n{step_sql('grade_rows')}\n)"
    if kept is not None:
        _create(cursor, "vigie_grade_rows", step_sql("grade_rows"), events)
        rows = "grade_rows AS (SELECT * FROM vigie_grade_rows)"
    attendance = step_sql("attendance_days")
    if kept is not None:
        attendance = (
            f"SELECT * FROM vigie_kept_attendance_days WHERE date >= {first_day}::DATE "
            f"UNION ALL ({attendance})"
        )
    _create(cursor, "attendance_days", attendance, events, made)
    for step in ("grade_marks", "grade_bucket_marks"):
        sql = f"WITH {rows}\n{step_sql(step)}"
        if kept is not None:
            sql = f"WITH {rows},\n{step} AS (\n{step_sql(step)}\n)\n{step_sql(step + '_merged')}"
        _create(cursor, step, sql, events, made)
    cursor.execute("DROP TABLE IF EXISTS vigie_grade_rows")
    _from_days(cursor, parameters, kept, made)
    _paths(cursor, parameters, kept, changed, made)


def _paths(
    cursor: duckdb.DuckDBPyConnection,
    parameters: dict[str, object],
    kept: KeptSums | None,
    changed: pa.Table | None,
    made: dict[str, pa.Table],
) -> None:
    """The table `path_versions` read by the feature query (`_create`): the builder's step
    over every enrollment started by the date, or, when `changed` says whose rows changed
    since `kept`, last week's paths and those of the students whose path may differ made
    again (`path_versions_merged`)."""
    if kept is None or changed is None:
        _create(cursor, "path_versions", _path_sql(step_sql("enrollment_rows")), parameters, made)
        return
    cursor.register("vigie_changed_students", changed.select(["student_id"]))
    try:
        _create(
            cursor,
            "vigie_path_students",
            "SELECT student_id FROM vigie_changed_students UNION SELECT student_id "
            "FROM enrollments WHERE start_date > $kept_as_of AND start_date <= $last_as_of",
            parameters | {"kept_as_of": kept.as_of},
        )
    finally:
        cursor.unregister("vigie_changed_students")
    rows = (
        f"SELECT * FROM (\n{step_sql('enrollment_rows')}\n) "
        "WHERE student_id IN (SELECT student_id FROM vigie_path_students)"
    )
    merged = f"WITH path_versions AS (\n{_path_sql(rows)}\n)\n{step_sql('path_versions_merged')}"
    _create(cursor, "path_versions", merged, parameters, made)
    cursor.execute("DROP TABLE vigie_path_students")


def _path_sql(enrollment_rows: str) -> str:
    """The builder's `path_versions` of a single date over the enrollment rows that the
    query `enrollment_rows` reads."""
    return (
        f"WITH enrollment_rows AS (\n{enrollment_rows}\n),\n"
        f"path_years AS (\n{step_sql('path_years_one_date')}\n)\n"
        f"{step_sql('path_versions_one_date')}"
    )


def _from_days(
    cursor: duckdb.DuckDBPyConnection,
    parameters: dict[str, object],
    kept: KeptSums | None,
    made: dict[str, pa.Table],
) -> None:
    """The tables of `_FROM_DAYS` (`_create`), read by the feature query: from last week's rows
    and the days they may have changed when that week read the same attendance days before
    its date (`absence_runs_merged`, `absenteeism_dates_merged`), else the builder's steps
    over the week's `attendance_days`. Of the runs, the longest and the last of each
    student-year only (`absence_runs_kept`): the one-date query reads the longest."""
    merged = kept is not None and kept.attendance_from == _date(parameters["attendance_from"])
    runs, months = step_sql("absence_runs"), step_sql("absenteeism_dates")
    if merged:
        assert kept is not None
        month = kept.as_of.replace(day=1)
        parameters = parameters | {"kept_as_of": kept.as_of, "kept_month": month}
        runs = (
            f"WITH vigie_run_tails AS (\n{step_sql('absence_run_tails')}\n),\n"
            f"attendance_days AS (\n{step_sql('absence_run_days')}\n),\n"
            f"absence_runs AS (\n{runs}\n)\n"
            f"{step_sql('absence_runs_merged')}"
        )
        months = (
            "WITH attendance_days AS (\nSELECT * FROM temp.main.attendance_days "
            "WHERE date >= $kept_month\n),\n"
            f"absenteeism_dates AS (\n{months}\n)\n"
            f"{step_sql('absenteeism_dates_merged')}"
        )
    runs = f"WITH vigie_runs AS (\n{runs}\n)\n{step_sql('absence_runs_kept')}"
    _create(cursor, "absence_runs", runs, parameters, made)
    _create(cursor, "absenteeism_dates", months, parameters, made)


def _create(
    cursor: duckdb.DuckDBPyConnection,
    table: str,
    sql: str,
    parameters: dict[str, object],
    made: dict[str, pa.Table] | None = None,
) -> None:
    """The result of `sql` as the temporary table `table`; with `made`, as an Arrow table
    registered under that name instead (kept in `made`): the next week's file written from
    it as it is, not copied out of DuckDB's storage again."""
    if made is None:
        cursor.execute(f"CREATE TEMP TABLE {table} AS {sql}", used_parameters(sql, parameters))
        return
    result = cursor.sql(sql, params=used_parameters(sql, parameters)).to_arrow_table()
    cursor.register(table, result)
    made[table] = result


def _sums(
    as_of: dt.date,
    parameters: dict[str, object],
    folder: Path,
    since: dt.date | None,
    token: str | None,
    made: dict[str, pa.Table],
) -> WeekSums:
    """The kept tables (Arrow, as made), to be written to hidden Parquet files of `folder`
    in a thread of their own when the caller starts it."""
    folder.mkdir(parents=True, exist_ok=True)
    token = token or secrets.token_hex(4)
    files = {
        step: folder / f".{step.replace('_', '-')}-{as_of.isoformat()}.{token}.parquet"
        for step in KEPT_STEPS
    }
    tables = {step: made[step] for step in files}
    kept = KeptSums(
        as_of,
        _date(parameters["attendance_from"]),
        _date(parameters["grades_from"]),
        files,
    )
    return WeekSums(kept, since, tables)


def _date(value: object) -> dt.date:
    assert isinstance(value, dt.date)
    return value

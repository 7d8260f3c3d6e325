"""The one as-of feature builder shared by training, weekly scoring and the API.

`build_features` runs DuckDB SQL over the typed views of an extraction, so it works out of
core: attendance and grades are never loaded into pandas. The query is assembled from the
CTEs in `features/sql/`, one file per step, in `_CTE_ORDER`.

Many as-of dates are built incrementally. Dates are numbered in order, and every event day is
placed by the range of date numbers for which it counts in each window (the `vigie_days`
helper table). Events are summed once per such range, then turned into step functions of the
date number per student: running totals carried from one date to the next of what enters and
leaves each window (attendance, recent marks), running maxima (absence runs), and the grade
statistics of the school year (`grade_steps`: sums of marks, and the subjects' means as they
change, so that no date goes back to the subjects). They are spread over the dates only at
the end (the `*_grid` steps: one row per student and date), and a query reads only the steps
that hold one of its dates. Past `rows_per_query` (students x dates), consecutive dates go to
separate queries: the event steps (`_SHARED_STEPS`), spread over every date, are then computed
once into tables sorted by date number, in a schema private to the build (dropped at its
end), which every query reads for its own dates only (DuckDB's zone maps skip the other row
groups), under a DuckDB memory limit, so memory stays bounded; two queries run at once on two
cursors (`features.query_pool`). `iter_features` hands the batches over one at a time, in
order, computing the next ones in other threads meanwhile (`features.read_ahead`);
`iter_feature_tables` the same, as
Arrow tables in the layout of a feature file, for a caller that only writes them.
`tests/oracle/reference.py` computes the same features plainly in pandas, and tests hold the
two equal.

Only events dated strictly before an as-of date count, and the outcomes table is never read
here (labels are attached separately by `features.labels`).

The features are bitwise the same whatever DuckDB's thread count, memory limit or grouping of
the dates into queries (issue 12): DuckDB's parallel aggregates add a group's rows in an order
that changes from run to run, so no floating-point number is summed over rows. Marks and
coefficients are summed as decimals (`grade_marks`) and divided once; the spread of subject
means comes from exact integer sums carried over the dates (`grade_changes`, `grade_steps`);
the establishment's absence rate averages decimals (`features.sql`); counts are integers.
tests/features/test_determinism.py holds it, and tests/features/test_incremental.py that many
dates give the bits of one date at a time.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import ExitStack, closing, contextmanager
from functools import cache
from importlib import resources
from itertools import accumulate
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.as_of_tables import as_of_table, class_days_table, days_table, levels_table
from features.catalog import (
    ABSENTEEISM_THRESHOLD,
    COMPARISON_DECIMALS,
    LOW_GRADE,
    UNDER_AVERAGE_GRADE,
)
from features.extraction import Extraction, open_extraction
from features.feature_set import FeatureSet, frame_columns
from features.feature_table import feature_table
from features.query_pool import ordered_results
from features.read_ahead import read_ahead

__all__ = [
    "BUILDER_TABLES",
    "DEFAULT_ROWS_PER_QUERY",
    "FROM_SUMS_STEPS",
    "SHARED_MEMORY_LIMIT",
    "FeatureSet",
    "as_of_dates_checked",
    "build_features",
    "date_batches",
    "date_cursor",
    "feature_query",
    "features_from_sums",
    "iter_feature_tables",
    "iter_features",
    "step_sql",
    "used_parameters",
]

T = TypeVar("T")

# Enrolled students times as-of dates computed in one query; more dates go to several queries
# that read shared steps computed once (see `_SHARED_STEPS`). One date is never split. On a
# 300,000-student synthetic académie one date peaks at about 2.1 GB (process RSS).
DEFAULT_ROWS_PER_QUERY = 600_000

# Queries of batches of dates run at once when the dates go to several queries
# (`features.query_pool`).
CONCURRENT_QUERIES = 2

# DuckDB's memory limit while the dates are computed in several queries: past it, the shared
# steps spill to disk. The tables the queries read take about 2 GB for 36 weekly dates of
# 300,000 students; under a 3 GB limit the queries' own working memory pushed them in and out
# of the spill folder (about 15 % more CPU); 3.6 GB keeps them in memory, for a process peak
# of about 4.4 GB at that size (bench/README.md). The builder sorts each query's rows itself
# (`_sorted`), so insertion order need not be kept meanwhile (it costs memory).
SHARED_MEMORY_LIMIT = "3.6GB"

# The extraction tables the builder reads. Outcomes are deliberately absent.
BUILDER_TABLES: tuple[str, ...] = (
    "establishments",
    "students",
    "enrollments",
    "attendance",
    "grades",
    "exams",
)

# CTEs in dependency order; each is `features/sql/<name>.sql`. `features.sql` is the final
# SELECT.
_CTE_ORDER: tuple[str, ...] = (
    "enrollment_rows",
    "roster",
    "window_half_days",
    "as_of_class_days",
    "attendance_days",
    "attendance_spans",
    "absenteeism_dates",
    "attendance_changes",
    "attendance_running",
    "attendance_grid",
    "attendance_counts",
    "absence_runs",
    "streak_steps",
    "streak_grid",
    "absence_streaks",
    "grade_rows",
    "grade_marks",
    "grade_bucket_marks",
    "grade_running",
    "grade_changes",
    "grade_steps",
    "grade_values",
    "grade_grid",
    "recent_marks",
    "recent_running",
    "grade_recent",
    "grade_previous",
    "grade_features",
    "exam_features",
    "path_years",
    "path_versions",
    "path_features",
    "student_features",
)

# The steps that read events (or the enrollments, for a student's path) but not the roster:
# they describe every as-of date at once (step functions of the as-of date number). When the
# dates go to several queries, these are computed once, kept as tables in the build's private
# schema, and every query reads them, so that the events are read and aggregated once
# whatever the number of queries.
_SHARED_STEPS: tuple[str, ...] = (
    "as_of_class_days",
    "attendance_days",
    "attendance_spans",
    "absenteeism_dates",
    "attendance_changes",
    "attendance_running",
    "attendance_grid",
    "absence_runs",
    "streak_steps",
    "streak_grid",
    "grade_rows",
    "grade_marks",
    "grade_bucket_marks",
    "grade_running",
    "grade_changes",
    "grade_steps",
    "grade_values",
    "grade_grid",
    "recent_marks",
    "recent_running",
    "grade_recent",
    "grade_previous",
    "path_years",
    "path_versions",
)
# The steps with a variant for a query of a single as-of date (`<name>_one_date.sql`).
_ONE_DATE_STEPS: tuple[str, ...] = (
    "attendance_grid",
    "streak_grid",
    "grade_running",
    "grade_steps",
    "grade_recent",
    "path_years",
    "path_versions",
)
# For a single as-of date built from kept event sums (`features.incremental.event_sums`): the
# steps left out of the query, which reads the caller's tables of the same names instead
# (`grade_rows` is read by the two grade sums only, `path_years` by `path_versions` only).
FROM_SUMS_STEPS: tuple[str, ...] = (
    "attendance_days",
    "absenteeism_dates",
    "absence_runs",
    "grade_rows",
    "grade_marks",
    "grade_bucket_marks",
    "path_years",
    "path_versions",
)

# The shared steps the queries read; each other one is dropped as soon as the last shared step
# that reads it exists, so that DuckDB's memory holds no more than it needs.
_SHARED_READ: frozenset[str] = frozenset(
    {
        "attendance_grid",
        "streak_grid",
        "grade_grid",
        "grade_recent",
        "grade_previous",
        "path_versions",
    }
)
# The shared steps spread over the as-of dates (one row per student and date), kept sorted by
# date number: a query reads them with a filter on its dates' numbers, so DuckDB's zone maps
# skip every row group of other dates instead of scanning the whole table.
_BY_DATE: frozenset[str] = frozenset(
    {"attendance_grid", "streak_grid", "grade_grid", "grade_recent"}
)
# Steps never kept: the shared step that reads one computes it within its own statement, as a
# CTE that is not materialized. `grade_rows` is as long as the grades table (a Parquet scan is
# cheaper than keeping it); the grade chain from `grade_marks` to `grade_values` is read step
# after step by one reader each, and writing each step to a table to read it back once cost
# about 4 s of 47 at 300,000 students (bench/README.md). The attendance and recent-marks
# chains stay kept: inlined, they were slower.
_INLINED: frozenset[str] = frozenset(
    {
        "grade_rows",
        "grade_marks",
        "grade_changes",
        "grade_steps",
        "grade_values",
    }
)
# The query steps that shared steps read (`path_years` reads the enrollments), and the inlined
# steps, in dependency order: each shared step that reads one computes it again, as a CTE of
# its own statement.
_READ_BY_SHARED: tuple[str, ...] = tuple(
    name for name in _CTE_ORDER if name in _INLINED or name == "enrollment_rows"
)


def build_features(
    source: Extraction | str | Path,
    as_of_dates: Iterable[dt.date],
    *,
    rows_per_query: int = DEFAULT_ROWS_PER_QUERY,
    progress: Callable[[int], None] | None = None,
) -> FeatureSet:
    """Features of every student enrolled on each as-of date, from events before that date.

    `source` is an opened (and validated) extraction, or the folder of one, which is then
    opened and closed here. `as_of_dates` are usually Mondays, but any date works; duplicates
    are ignored. One row per (student enrolled on the date, date).

    Dates are computed together in one query, as long as their enrolled students add up to
    at most `rows_per_query`; more dates go to several queries of consecutive dates, which
    bounds memory. The result never depends on how the dates were grouped. `progress`, when
    given, is called with the number of dates each query has just computed.
    """
    dates = as_of_dates_checked(as_of_dates)
    if isinstance(source, Extraction):
        return _build(source, dates, rows_per_query, progress)
    with open_extraction(source) as extraction:
        return _build(extraction, dates, rows_per_query, progress)


def as_of_dates_checked(as_of_dates: Iterable[dt.date]) -> list[dt.date]:
    """Sorted distinct as-of dates; datetimes are reduced to their date, other types refused."""
    dates = set()
    for value in as_of_dates:
        if isinstance(value, dt.datetime):
            value = value.date()
        if not isinstance(value, dt.date):
            raise TypeError(f"as-of dates must be datetime.date values, got {value!r}")
        dates.add(value)
    return sorted(dates)


def _build(
    extraction: Extraction,
    dates: list[dt.date],
    rows_per_query: int,
    progress: Callable[[int], None] | None = None,
) -> FeatureSet:
    results = list(_query_batches(extraction, dates, rows_per_query, progress))
    if not results:
        return FeatureSet.from_frame(pd.DataFrame(columns=frame_columns()))
    table = pa.concat_tables(results)
    results.clear()  # the concatenated table now holds the only reference to the rows
    return _feature_set(table)


def iter_features(
    extraction: Extraction,
    as_of_dates: Iterable[dt.date],
    rows_per_query: int = DEFAULT_ROWS_PER_QUERY,
    progress: Callable[[int], None] | None = None,
) -> Generator[FeatureSet, None, None]:
    """The features of `build_features`, one FeatureSet per query of consecutive as-of dates,
    so that a caller can write many dates to disk without holding them all in memory.

    The queries run one batch ahead in another thread (`features.read_ahead`): while the caller
    writes a batch, DuckDB computes the next one, so both cores work; at most two batches are
    alive. `progress` is then called from that thread. Abandoning the iterator (or an error)
    stops the thread and closes the builder's cursor before the iterator is closed."""
    return _read_ahead(extraction, as_of_dates, rows_per_query, progress, _feature_set)


def iter_feature_tables(
    extraction: Extraction,
    as_of_dates: Iterable[dt.date],
    rows_per_query: int = DEFAULT_ROWS_PER_QUERY,
    progress: Callable[[int], None] | None = None,
) -> Generator[pa.Table, None, None]:
    """As `iter_features`, each batch an Arrow table laid out as the FeatureSet's frame would
    convert (`features.feature_table`), without going through pandas: for a caller that only
    writes the rows (`features.store.write_feature_tables`)."""
    return _read_ahead(extraction, as_of_dates, rows_per_query, progress, feature_table)


def _read_ahead(
    extraction: Extraction,
    as_of_dates: Iterable[dt.date],
    rows_per_query: int,
    progress: Callable[[int], None] | None,
    convert: Callable[[pa.Table], T],
) -> Generator[T, None, None]:
    """Each query's rows through `convert`, the next batches computed in another thread."""
    dates = as_of_dates_checked(as_of_dates)
    with read_ahead(_converted(extraction, dates, rows_per_query, progress, convert)) as items:
        yield from items


def _converted(
    extraction: Extraction,
    dates: list[dt.date],
    rows_per_query: int,
    progress: Callable[[int], None] | None,
    convert: Callable[[pa.Table], T],
) -> Iterator[T]:
    with closing(_query_batches(extraction, dates, rows_per_query, progress)) as results:
        for result in results:
            yield convert(result)


def _feature_set(result: pa.Table) -> FeatureSet:
    # Arrow buffers are released column by column as pandas takes them over. The rows are
    # already sorted (`_sorted`).
    return FeatureSet.from_frame(result.to_pandas(split_blocks=True, self_destruct=True))


def _query_batches(
    extraction: Extraction,
    dates: list[dt.date],
    rows_per_query: int,
    progress: Callable[[int], None] | None = None,
) -> Generator[pa.Table, None, None]:
    """Run the feature query once per batch of consecutive as-of dates, yielding Arrow;
    `progress` is told how many dates each batch computed."""
    _require_tables(extraction)
    if not dates:
        return
    # A cursor is a separate connection to the same database: the helper tables registered
    # on it stay private to this call and vanish when it closes. The shared steps live in a
    # schema of their own, dropped at the end, so that the query cursors can read them.
    cursor = extraction.con.cursor()
    query_cursors: list[duckdb.DuckDBPyConnection] = []
    schema: str | None = None
    previous_limit: str | None = None
    optimizers = ExitStack()
    try:
        helpers, parameters = _helpers(dates)
        all_dates = helpers["vigie_as_of"]
        _register(cursor, helpers)
        enrolled = dict(cursor.execute(_ENROLLED_PER_DATE).fetchall())
        batches = date_batches([(d, enrolled.get(d, 0)) for d in dates], rows_per_query)
        firsts = list(accumulate((len(batch) for batch in batches[:-1]), initial=1))
        if len(batches) == 1:
            query = feature_query(one_date=len(dates) == 1)
            yield _batch_table(cursor, query, parameters, all_dates, 1, batches[0])
            if progress is not None:
                progress(len(batches[0]))
            return
        # The shared steps grow with the number of dates: past the limit, DuckDB keeps them
        # on disk (the extraction's spill folder) rather than in memory. The limit holds for
        # the whole database, so the caller's is put back at the end.
        previous_limit = _setting(cursor, "memory_limit")
        cursor.execute(f"SET memory_limit = '{SHARED_MEMORY_LIMIT}'")
        cursor.execute("SET preserve_insertion_order = false")
        schema = f"vigie_build_{uuid.uuid4().hex}"
        cursor.execute(f"CREATE SCHEMA {schema}")
        cursor.execute(f"SET search_path = '{schema},main'")
        _build_shared_steps(cursor, parameters)
        # DuckDB's choice of each hash join's build side (on estimated sizes, which the
        # spread steps throw far off) builds on the wide rows gathered so far rather than on
        # each family's narrow ones; the joins as written build on the narrow side: a
        # quarter less time per query (bench/README.md). The setting is global, so the
        # caller's is put back at the end.
        optimizers.enter_context(_optimizer_disabled(cursor, "build_side_probe_side"))
        query = feature_query(shared=True)
        for _ in range(min(CONCURRENT_QUERIES, len(batches))):
            query_cursor = extraction.con.cursor()
            query_cursors.append(query_cursor)
            _register(query_cursor, helpers)
            query_cursor.execute(f"SET search_path = '{schema},main'")

        def run(on: duckdb.DuckDBPyConnection, number: int, batch: list[dt.date]) -> pa.Table:
            return _batch_table(on, query, parameters, all_dates, firsts[number], batch)

        for table, batch in zip(ordered_results(query_cursors, batches, run), batches, strict=True):
            if progress is not None:
                progress(len(batch))
            yield table
    finally:
        for query_cursor in query_cursors:
            query_cursor.close()
        if schema is not None:
            cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        optimizers.close()
        if previous_limit is not None:
            cursor.execute(f"SET memory_limit = '{previous_limit}'")
            cursor.execute("RESET preserve_insertion_order")
        cursor.close()


@contextmanager
def date_cursor(
    extraction: Extraction, as_of: dt.date
) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, object]]]:
    """A private cursor on `extraction` with the helper tables of the single as-of date
    `as_of` registered, and the query parameters: for a caller that prepares the tables of a
    build from kept sums (`features.incremental.event_sums`) before `features_from_sums`.
    Closed on exit."""
    _require_tables(extraction)
    cursor = extraction.con.cursor()
    try:
        helpers, parameters = _helpers([as_of])
        _register(cursor, helpers)
        yield cursor, parameters | {"first_index": 1, "last_index": 1, "last_as_of": as_of}
    finally:
        cursor.close()


def features_from_sums(
    cursor: duckdb.DuckDBPyConnection, parameters: dict[str, object]
) -> FeatureSet:
    """The features of the single as-of date of `date_cursor`, the attendance days, absence
    runs, absenteeism months and grade sums read from the tables (temporary, or Arrow
    registered) of those steps' names on `cursor` (`FROM_SUMS_STEPS`; the students' paths
    too): the bits of `build_features` for that date when they hold the rows of those steps
    over the same events and enrollments (tests/features/test_event_sums.py).
    DuckDB's partial aggregate pushdown is off for the query: it would group the attendance
    days, one per student and day already, by student and day again before joining them."""
    query = feature_query(one_date=True, from_sums=True)
    with _optimizer_disabled(cursor, "partial_aggregate_pushdown"):
        return _feature_set(_sorted(cursor.sql(query, params=used_parameters(query, parameters))))


def _require_tables(extraction: Extraction) -> None:
    absent = [name for name in BUILDER_TABLES if name not in extraction.files]
    if absent:
        raise ValueError(
            f"the extraction in {extraction.directory} lacks tables needed for features "
            f"(missing or unreadable): {', '.join(absent)}"
        )


@contextmanager
def _optimizer_disabled(cursor: duckdb.DuckDBPyConnection, optimizer: str) -> Iterator[None]:
    """DuckDB's `optimizer` off inside the block, the caller's setting put back after (it
    holds for the whole database)."""
    previous = _setting(cursor, "disabled_optimizers")
    cursor.execute(
        f"SET disabled_optimizers = '{','.join(filter(None, [previous, optimizer]))}'"
    )
    try:
        yield
    finally:
        cursor.execute(f"SET disabled_optimizers = '{previous}'")


def _setting(cursor: duckdb.DuckDBPyConnection, name: str) -> str:
    value = cursor.execute(f"SELECT current_setting('{name}')").fetchone()
    return str(value[0]) if value and value[0] is not None else ""


def _batch_table(
    cursor: duckdb.DuckDBPyConnection,
    query: str,
    parameters: dict[str, object],
    all_dates: pa.Table,
    first_index: int,
    batch: list[dt.date],
) -> pa.Table:
    """The features of one batch of consecutive as-of dates, numbered from `first_index`, by
    `query` on `cursor` (whose `vigie_as_of` is set to the batch's dates)."""
    last_index = first_index + len(batch) - 1
    cursor.unregister("vigie_as_of")
    cursor.register("vigie_as_of", all_dates.slice(first_index - 1, len(batch)))
    batch_parameters = parameters | {
        "first_index": first_index,
        "last_index": last_index,
        "last_as_of": batch[-1],
    }
    return _sorted(cursor.sql(query, params=used_parameters(query, batch_parameters)))


def _sorted(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    """The rows of a feature query as Arrow, sorted by as-of date then student id (a total
    order: one row per student and date). Sorting the Arrow columns costs less than DuckDB's
    ORDER BY, which moves whole wide rows (bench/README.md)."""
    table = relation.to_arrow_table()
    order = pc.sort_indices(table, sort_keys=[("as_of", "ascending"), ("student_id", "ascending")])
    return table.take(order)


def used_parameters(sql: str, parameters: dict[str, object]) -> dict[str, object]:
    """The parameters `sql` refers to (DuckDB refuses unused named parameters)."""
    return {name: value for name, value in parameters.items() if f"${name}" in sql}


def _build_shared_steps(cursor: duckdb.DuckDBPyConnection, parameters: dict[str, object]) -> None:
    """Compute the shared steps for every as-of date into tables of `cursor`'s current schema
    (the build's private one); a table no query reads is dropped once the last step reading it
    is built."""
    kept = [name for name in _SHARED_STEPS if name not in _INLINED]
    statements = {name: _with_inlined(step_sql(name)) for name in kept}
    last_reader = {
        name: max(i for i, reader in enumerate(kept) if _refers_to(statements[reader], name))
        for name in kept
        if name not in _SHARED_READ
    }
    for index, name in enumerate(kept):
        sql = statements[name]
        query = f"SELECT * FROM ({sql}) ORDER BY as_of_index" if name in _BY_DATE else sql
        cursor.execute(f"CREATE TABLE {name} AS {query}", used_parameters(sql, parameters))
        for used, last in last_reader.items():
            if last == index:
                cursor.execute(f"DROP TABLE {used}")


def _refers_to(sql: str, name: str) -> bool:
    """Whether `sql` reads the step `name` (comments left out)."""
    return re.search(rf"\b{name}\b", re.sub(r"--[^\n]*", "", sql)) is not None


def _with_inlined(sql: str) -> str:
    """`sql` preceded by the CTEs of the inlined and query steps it reads."""
    read = sql
    for name in reversed(_READ_BY_SHARED):  # a step reads only steps listed before it
        if _refers_to(read, name):
            read += "\n" + step_sql(name)
    ctes = [_cte(name, name) for name in _READ_BY_SHARED if _refers_to(read, name)]
    return "WITH\n" + ",\n".join(ctes) + "\n" + sql if ctes else sql


def _cte(name: str, file: str) -> str:
    materialized = "NOT MATERIALIZED " if name in _INLINED else ""
    return f"{name} AS {materialized}(\n{step_sql(file)}\n)"


# Open enrollments per as-of date: an upper bound of the rows each date adds to a query.
_ENROLLED_PER_DATE = """
SELECT a.as_of, count(*)
FROM enrollments AS e
JOIN vigie_as_of AS a
    ON e.start_date <= a.as_of AND (e.end_date IS NULL OR e.end_date >= a.as_of)
GROUP BY a.as_of
"""


def date_batches(
    dates_and_rows: list[tuple[dt.date, int]], rows_per_query: int
) -> list[list[dt.date]]:
    """Consecutive as-of dates grouped so that each group's rows stay within the budget
    (a date alone over the budget gets a group of its own)."""
    batches: list[list[dt.date]] = []
    rows = 0
    for as_of, count in dates_and_rows:
        if not batches or rows + count > rows_per_query:
            batches.append([])
            rows = 0
        batches[-1].append(as_of)
        rows += count
    return batches


def _helpers(dates: list[dt.date]) -> tuple[dict[str, pa.Table], dict[str, object]]:
    """The helper tables of the as-of dates, by the name every cursor of the build registers
    them under (`_register`), and the query parameters: the catalog's thresholds, and the date
    bounds that let DuckDB drop events no window of these dates can reach before joining
    them."""
    as_of = as_of_table(dates)
    grades_from = min(as_of.column("previous_year_start").to_pylist())
    tables = {
        "vigie_levels": levels_table(),
        "vigie_as_of": as_of,
        "vigie_class_days": class_days_table(dates),
        "vigie_days": days_table(dates, grades_from),
    }
    parameters: dict[str, object] = {
        "absenteeism_threshold": ABSENTEEISM_THRESHOLD,
        "comparison_decimals": COMPARISON_DECIMALS,
        "low_grade": LOW_GRADE,
        "under_average_grade": UNDER_AVERAGE_GRADE,
        "as_of_count": len(dates),
        "first_index": 1,
        "last_index": len(dates),
        "last_as_of": max(dates),
        "attendance_from": min(as_of.column("earliest").to_pylist()),
        "grades_from": grades_from,
        "recent_from": min(as_of.column("start_8w").to_pylist()),
    }
    return tables, parameters


def _register(cursor: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> None:
    for name, table in tables.items():
        cursor.register(name, table)


def step_sql(name: str) -> str:
    """The SQL of the step `name` (`features/sql/<name>.sql`)."""
    return (resources.files("features") / "sql" / f"{name}.sql").read_text("utf-8").strip()


@cache
def feature_query(one_date: bool = False, shared: bool = False, from_sums: bool = False) -> str:
    """The whole feature query: the CTEs of `features/sql/` and the final SELECT.

    With `one_date`, for a query of a single as-of date, the grade steps take the sums as they
    are, without the running sums over buckets that only several dates need (every mark is in
    bucket 0), and the path steps compute the one version of each student's path that holds
    for the date (every enrollment read started by then): the same values, computed without
    the windows and the joins of the versions. With
    `shared`, the shared steps are left out: the query reads them from the tables of the
    build's private schema. With `from_sums` (a single date), the attendance days and the
    grade sums are read from tables the caller made, of the steps' names (see
    `FROM_SUMS_STEPS`), instead of being computed from the events."""
    left_out = (_SHARED_STEPS if shared else ()) + (FROM_SUMS_STEPS if from_sums else ())
    steps = {name: name for name in _CTE_ORDER if name not in left_out}
    if one_date or from_sums:
        for name in _ONE_DATE_STEPS:
            if name in steps:
                steps[name] = f"{name}_one_date"
    ctes = [_cte(name, file) for name, file in steps.items()]
    return "WITH\n" + ",\n".join(ctes) + "\n" + step_sql("features")

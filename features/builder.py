"""The one as-of feature builder shared by training, weekly scoring and the API.

`build_features` runs DuckDB SQL over the typed views of an extraction, many as-of dates in
one query (the dates are a small table joined to the event tables), so it works out of core:
attendance and grades are never loaded into pandas. The query is assembled from the CTEs in
`features/sql/`, one file per step, in `_CTE_ORDER`. Marks are summed once per subject and
interval between as-of dates, then accumulated, so that each extra as-of date costs little;
past `rows_per_query` (students x dates), consecutive dates go to separate queries, which
bounds memory. `features.reference` computes the same features plainly in pandas, and tests
hold the two equal.

Only events dated strictly before an as-of date count, and the outcomes table is never read
here (labels are attached separately by `features.labels`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from features.as_of_tables import as_of_table, class_days_table, days_table, levels_table
from features.catalog import (
    ABSENTEEISM_THRESHOLD,
    COMPARISON_DECIMALS,
    LOW_GRADE,
    UNDER_AVERAGE_GRADE,
)
from features.extraction import Extraction, open_extraction
from features.feature_set import FeatureSet, frame_columns

__all__ = [
    "BUILDER_TABLES",
    "DEFAULT_ROWS_PER_QUERY",
    "FeatureSet",
    "as_of_dates_checked",
    "build_features",
    "date_batches",
    "feature_query",
    "iter_features",
]

# Enrolled students times as-of dates computed in one query. A query holds its dates' events
# and aggregates in memory: on a 300,000-student synthetic académie, one date peaks at about
# 2.3 GB, four dates late in the year at about 5 GB (process RSS). One date is never split.
DEFAULT_ROWS_PER_QUERY = 1_200_000

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
    "attendance_days",
    "attendance_counts",
    "absence_streaks",
    "absenteeism_months",
    "grade_marks",
    "grade_running",
    "grade_grid",
    "grade_recent",
    "grade_previous",
    "grade_features",
    "exam_features",
    "path_years",
    "path_features",
    "student_features",
)


def build_features(
    source: Extraction | str | Path,
    as_of_dates: Iterable[dt.date],
    *,
    rows_per_query: int = DEFAULT_ROWS_PER_QUERY,
) -> FeatureSet:
    """Features of every student enrolled on each as-of date, from events before that date.

    `source` is an opened (and validated) extraction, or the folder of one, which is then
    opened and closed here. `as_of_dates` are usually Mondays, but any date works; duplicates
    are ignored. One row per (student enrolled on the date, date).

    Dates are computed together in one query, as long as their enrolled students add up to
    at most `rows_per_query`; more dates go to several queries of consecutive dates, which
    bounds memory. The result never depends on how the dates were grouped.
    """
    dates = as_of_dates_checked(as_of_dates)
    if isinstance(source, Extraction):
        return _build(source, dates, rows_per_query)
    with open_extraction(source) as extraction:
        return _build(extraction, dates, rows_per_query)


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


def _build(extraction: Extraction, dates: list[dt.date], rows_per_query: int) -> FeatureSet:
    results = list(_query_batches(extraction, dates, rows_per_query))
    if not results:
        return FeatureSet.from_frame(pd.DataFrame(columns=frame_columns()))
    table = pa.concat_tables(results)
    results.clear()  # the concatenated table now holds the only reference to the rows
    return _feature_set(table)


def iter_features(
    extraction: Extraction,
    as_of_dates: Iterable[dt.date],
    rows_per_query: int = DEFAULT_ROWS_PER_QUERY,
) -> Iterator[FeatureSet]:
    """The features of `build_features`, one FeatureSet per query of consecutive as-of dates,
    so that a caller can write many dates to disk without holding them all in memory."""
    for result in _query_batches(extraction, as_of_dates_checked(as_of_dates), rows_per_query):
        yield _feature_set(result)


def _feature_set(result: pa.Table) -> FeatureSet:
    # Arrow buffers are released column by column as pandas takes them over. The query
    # already sorted the rows.
    return FeatureSet.from_frame(result.to_pandas(split_blocks=True, self_destruct=True))


def _query_batches(
    extraction: Extraction, dates: list[dt.date], rows_per_query: int
) -> Iterator[pa.Table]:
    """Run the feature query once per batch of consecutive as-of dates, yielding Arrow."""
    absent = [name for name in BUILDER_TABLES if name not in extraction.files]
    if absent:
        raise ValueError(
            f"the extraction in {extraction.directory} lacks tables needed for features "
            f"(missing or unreadable): {', '.join(absent)}"
        )
    # A cursor is a separate connection to the same database: the helper tables registered
    # on it stay private to this call and vanish when it closes.
    cursor = extraction.con.cursor()
    try:
        cursor.register("vigie_levels", levels_table())
        cursor.register("vigie_as_of", as_of_table(dates))
        enrolled = dict(cursor.execute(_ENROLLED_PER_DATE).fetchall())
        for batch in date_batches([(d, enrolled.get(d, 0)) for d in dates], rows_per_query):
            parameters = _register_batch(cursor, batch)
            yield cursor.sql(feature_query(), params=parameters).to_arrow_table()
    finally:
        cursor.close()


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


def _register_batch(
    cursor: duckdb.DuckDBPyConnection, dates: list[dt.date]
) -> dict[str, dt.date | int | float]:
    """Register the helper tables of one query's as-of dates on `cursor` and return the query
    parameters: the catalog's thresholds, and the date bounds that let DuckDB drop events no
    window of these dates can reach before joining them."""
    as_of = as_of_table(dates)
    attendance_from = min(as_of.column("earliest").to_pylist())
    grades_from = min(as_of.column("previous_year_start").to_pylist())
    tables = {
        "vigie_as_of": as_of,
        "vigie_class_days": class_days_table(dates),
        "vigie_days": days_table(dates, grades_from),
    }
    for name, table in tables.items():
        cursor.unregister(name)
        cursor.register(name, table)
    return {
        "absenteeism_threshold": ABSENTEEISM_THRESHOLD,
        "comparison_decimals": COMPARISON_DECIMALS,
        "low_grade": LOW_GRADE,
        "under_average_grade": UNDER_AVERAGE_GRADE,
        "as_of_count": len(dates),
        "last_as_of": max(dates),
        "attendance_from": attendance_from,
        "grades_from": grades_from,
    }


@cache
def feature_query() -> str:
    """The whole feature query: the CTEs of `features/sql/` and the final SELECT."""
    sql = resources.files("features") / "sql"
    ctes = [f"{name} AS (\n{(sql / f'{name}.sql').read_text('utf-8').strip()}\n)"
            for name in _CTE_ORDER]  # fmt: skip
    final = (sql / "features.sql").read_text("utf-8").strip()
    return "WITH\n" + ",\n".join(ctes) + "\n" + final

"""Fingerprints of an extraction's rows, computed in DuckDB: pure SQL text and small queries.

A table's fingerprint up to a date is the count and the exact sum (HUGEINT) of a 64-bit hash
of every row dated before it: the same rows in any order give the same sum, and a changed,
added or removed row changes it. Parquet files are hashed from their own typed columns (read
straight from the file, which a date filter prunes), CSV files from their text cells. A
student's fingerprint is the sum (modulo 2^64) of the hashes of their `students` and
`enrollments` rows: an added, removed or changed row changes it, copies of a row included.
A small table's fingerprint (`table_fingerprint`) is its rows' count and exact sum.
"""

from __future__ import annotations

import datetime as dt
from itertools import accumulate

from features.extraction import Extraction
from features.incremental.state import TableState
from features.validation.sql import as_date, literal, quoted

__all__ = [
    "INCREMENTAL_TABLES",
    "STUDENT_ID",
    "changed_students_sql",
    "event_fingerprints",
    "file_source",
    "student_fingerprints_sql",
    "table_fingerprint",
]

# The event tables validated incrementally, by their date column. Neither has a unique key
# that could repeat across dates (attendance's key holds the date; grades have none), so
# their new rows can be checked apart from the old ones. The other tables (establishments,
# students, enrollments, exams whose key is (student, school year), outcomes) are small and
# validated whole every week.
INCREMENTAL_TABLES: dict[str, str] = {"attendance": "date", "grades": "date"}
# A row's student id as validation reads it (a Parquet column of any type, or a CSV cell:
# trimmed text, NULL when blank).
STUDENT_ID = "NULLIF(trim(CAST(student_id AS VARCHAR)), '')"


def file_source(extraction: Extraction, table: str) -> str:
    """What to hash `table` from: the Parquet file itself, or the raw text view of a CSV."""
    table_file = extraction.files[table]
    if table_file.is_parquet:
        return f"read_parquet({literal(str(table_file.source))}, hive_partitioning = false)"
    return f"raw_{table}"


def _columns(extraction: Extraction, source: str) -> list[str]:
    described = extraction.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    return [str(row[0]) for row in described if row[0] != "_row"]


def event_fingerprints(
    extraction: Extraction, table: str, before: tuple[dt.date, ...]
) -> list[TableState]:
    """The fingerprint of `table`'s rows dated before each date of `before`, in one scan:
    the rows' count and exact sum of hashes between consecutive dates, added up (exact
    integers) date after date."""
    source = file_source(extraction, table)
    columns = ", ".join(quoted(name) for name in _columns(extraction, source))
    day = as_date(quoted(INCREMENTAL_TABLES[table]))
    dates = sorted(set(before))
    # Each row's range: the number of dates on or before its day (0: before the first).
    between = " + ".join(
        f"CAST(d >= {literal(date.isoformat())}::DATE AS INTEGER)" for date in dates[:-1]
    )
    rows = extraction.con.execute(
        f"SELECT {between or '0'} AS b, count(*), sum(h) "
        f"FROM (SELECT {day} AS d, hash({columns})::HUGEINT AS h "
        f"FROM {source} WHERE {day} < {literal(dates[-1].isoformat())}::DATE) GROUP BY b"
    ).fetchall()
    counts, sums = [0] * len(dates), [0] * len(dates)
    for index, count, total in rows:
        counts[index], sums[index] = int(count), int(total)
    found = dict(zip(dates, zip(accumulate(counts), accumulate(sums), strict=True), strict=True))
    return [TableState(found[date][0], str(found[date][1])) for date in before]


def _row_hashes(extraction: Extraction, table: str) -> str:
    """Each row's student id (as validation reads it) and hash: of its typed columns in a
    Parquet file (no cell turned into text: a typed value is the same whenever its text is),
    of its text cells in a CSV file (or a file lacking the column, which validation
    reports)."""
    source = file_source(extraction, table)
    if "student_id" not in extraction.files[table].columns:
        source = f"raw_{table}"
    columns = ", ".join(quoted(name) for name in _columns(extraction, source))
    return (
        f"SELECT {STUDENT_ID} AS student_id, hash({literal(table)}, {columns}) AS h "
        f"FROM {source}"
    )


def student_fingerprints_sql(extraction: Extraction) -> str:
    """One row per student id of `students` or `enrollments`: (student_id, h), where `h` is
    the sum modulo 2^64 of the hashes of all their rows in both tables (positions left
    out)."""
    return (
        f"SELECT student_id, CAST(sum(h) % {2**64} AS UBIGINT) AS h "
        f"FROM ({_row_hashes(extraction, 'students')} "
        f"UNION ALL {_row_hashes(extraction, 'enrollments')}) "
        "WHERE student_id IS NOT NULL GROUP BY student_id"
    )


def table_fingerprint(extraction: Extraction, table: str) -> TableState:
    """The count and exact sum of the hashes of every row of the small table `table` (text
    cells, positions left out)."""
    columns = ", ".join(quoted(name) for name in _columns(extraction, f"raw_{table}"))
    row = extraction.con.execute(
        f"SELECT count(*), coalesce(sum(hash({columns})::HUGEINT), 0) FROM raw_{table}"
    ).fetchone()
    assert row is not None
    return TableState(int(row[0]), str(row[1]))


def changed_students_sql(current: str, previous_file: str) -> str:
    """The ids whose fingerprint differs between the table `current` and the Parquet file
    `previous_file` (present in one only, or with another hash)."""
    return (
        f"SELECT coalesce(n.student_id, o.student_id) AS student_id FROM {current} AS n "
        f"FULL OUTER JOIN read_parquet({literal(previous_file)}, hive_partitioning = false) AS o "
        "ON n.student_id = o.student_id "
        "WHERE n.h IS DISTINCT FROM o.h"
    )

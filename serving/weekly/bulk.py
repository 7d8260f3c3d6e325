"""Bulk loading of a week's rows on PostgreSQL: COPY into a temporary table, then one
INSERT ... SELECT with the same ON CONFLICT clause as the row-by-row statement.

`vigie score --cluster` writes a whole country's rosters (students, enrollments) in the week's
one transaction; psycopg 3's COPY sends them as one stream instead of batches of bound
statements. The temporary table holds only the columns loaded, with the target's types, and
is dropped at the end of the transaction; the conflict rules (what is updated, a NULL never
replacing a known value) are the statement's own, so the rows stored are the same as with
executemany (tested against SQLite in tests/postgres/).
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import Column, MetaData, Table, select, text
from sqlalchemy.orm import Session

from serving.weekly.columns import Columns, Rows

__all__ = ["copy_upsert"]

_NAMES = itertools.count()


def copy_upsert(session: Session, table: Table, rows: Rows, statement: Any) -> None:
    """Load `rows` (dicts with the same keys, or `Columns`) into `table` through COPY and
    `statement` (the dialect's INSERT on `table` with its ON CONFLICT clause) in `session`'s
    transaction."""
    data = Columns.of(rows)
    if not len(data):
        return
    # One statement may not update a row twice: the last row of a key wins, as it does when
    # the rows are executed one after the other (a student on two rosters has one name), in
    # the order of each key's first row.
    keys = [column.name for column in table.primary_key.columns]
    last: dict[tuple[Any, ...], int] = {}
    for number, key in enumerate(data.tuples(keys)):
        last[key] = number
    columns = data.names
    kept = list(last.values())
    name = f"vigie_bulk_{table.name}_{next(_NAMES)}"
    listed = ", ".join(f'"{column}"' for column in columns)
    session.execute(
        text(
            f'CREATE TEMPORARY TABLE "{name}" ON COMMIT DROP AS '
            f'SELECT {listed} FROM "{table.name}" WITH NO DATA'
        )
    )
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f'COPY "{name}" ({listed}) FROM STDIN') as copy:
        values = [data.values[column] for column in columns]
        for number in kept:
            copy.write_row([column[number] for column in values])
    staged = Table(name, MetaData(), *(Column(c, table.c[c].type) for c in columns))
    source = select(*(staged.c[column] for column in columns))
    session.execute(statement.from_select(columns, source))

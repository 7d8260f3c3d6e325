"""An upsert executed for many rows on SQLite, without SQLAlchemy's per-row work, and
without sending the rows it would leave as they are.

`session.execute(statement, rows)` builds and processes a parameter dict for every row
(about 10 µs a row: seconds for a 300,000-student roster), and SQLite then looks up every row
(its key, its foreign keys) even when the ON CONFLICT clause leaves the stored row as it is,
as it does for nearly every roster row from one week to the next. `execute_rows` compiles the
statement once with the rows' columns, applies each column's bind processor to the whole
column (the conversion SQLAlchemy applies row by row, e.g. a date to its ISO text), reads the
stored rows' key and updated columns once, and hands the driver, as tuples through
`exec_driver_sql` in the session's transaction, every row except those the statement would
not change (`changing_rows`): the same SQL with the same values, so the same rows stored.
A statement whose parameters are not exactly the rows' columns runs the usual way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter, not_
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from serving.weekly.columns import Columns, Rows

__all__ = ["Upsert", "changing_rows", "execute_rows"]

_CHUNK = 10_000  # rows per executemany batch
# The stored rows are read and compared only when the rows to write are at least this share
# of the table's (a week's changed parts of rosters are a few percent of them).
_DIFF_SHARE = 4
_ABSENT = object()


@dataclass(frozen=True)
class Upsert:
    """What an INSERT ... ON CONFLICT (primary key) does to a stored row: `update` lists the
    columns it rewrites when a value differs (none: DO NOTHING); `keep_known`: a NULL never
    replaces a known value."""

    table: Table
    update: tuple[str, ...] = ()
    keep_known: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.table.primary_key.columns)


def execute_rows(
    session: Session,
    statement: Any,
    rows: Rows,
    upsert: Upsert | None = None,
    chunk: int = _CHUNK,
) -> None:
    """Execute `statement` (an INSERT, with the ON CONFLICT clause `upsert` describes, if
    any) for each of `rows` (dicts with the same keys, or `Columns`), `chunk` rows per
    executemany."""
    data = Columns.of(rows)
    if not len(data):
        return
    connection = session.connection()
    dialect = connection.dialect
    columns = data.names
    compiled = statement.compile(dialect=dialect, column_keys=columns)
    names = compiled.positiontup
    if dialect.paramstyle != "qmark" or names is None or sorted(names) != sorted(columns):
        for start in range(0, len(data), chunk):
            session.execute(statement, data.dicts(start, start + chunk))
        return
    values = []
    for name in names:
        column: list[Any] = data.values[name]
        processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            column = _processed(processor, column)
        values.append(column)
    tuples = list(zip(*values, strict=True))
    if upsert is not None and set(upsert.keys) | set(upsert.update) <= set(names):
        read = [*upsert.keys, *upsert.update]
        listed = ", ".join(f'"{name}"' for name in read)
        # The driver's own cursor, in the same transaction: plain tuples, no result rows.
        cursor = connection.connection.cursor()
        try:
            cursor.execute(f'SELECT count(*) FROM "{upsert.table.name}"')
            held = int((cursor.fetchone() or (0,))[0])
            if len(tuples) * _DIFF_SHARE < held:
                # Few rows against a large table: reading it all to leave some of them out
                # costs more than letting the statement leave them as they are.
                stored = None
            else:
                cursor.execute(f'SELECT {listed} FROM "{upsert.table.name}"')
                stored = cursor.fetchall()
        finally:
            cursor.close()
    else:
        stored = None
    if upsert is not None and stored is not None:
        tuples = changing_rows(
            tuples,
            [names.index(name) for name in upsert.keys],
            [names.index(name) for name in upsert.update],
            stored,
            keep_known=upsert.keep_known,
        )
    sql = compiled.string
    for start in range(0, len(tuples), chunk):
        connection.exec_driver_sql(sql, tuples[start : start + chunk])


def changing_rows(
    rows: Sequence[tuple[Any, ...]],
    keys: Sequence[int],
    update: Sequence[int],
    stored: Sequence[Sequence[Any]],
    *,
    keep_known: bool = False,
) -> list[tuple[Any, ...]]:
    """The `rows` an upsert may change, in order: all but those whose key (the values at
    positions `keys`) is among the `stored` rows (key values then updated values, as the
    driver returns them), appears once in `rows`, and whose values at positions `update` are
    the stored ones (or, `keep_known`, None where they differ). Without `update` (DO NOTHING)
    a stored key is never changed."""
    key_of = _getter(keys)
    row_keys = list(map(key_of, rows))
    counts = Counter(row_keys) if len(set(row_keys)) != len(row_keys) else None
    stored_key = _getter(range(len(keys)))
    if not update:
        known = set(map(stored_key, stored))
        return [
            row
            for row, key in zip(rows, row_keys, strict=True)
            if key not in known or (counts is not None and counts[key] > 1)
        ]
    if counts is None:
        # A row equal, on its key and updated columns, to a stored row changes nothing: one
        # set lookup each (no Python step per row); the rule below for the others only.
        unchanged = set(map(tuple, stored))
        projected = map(_getter([*keys, *update]), rows)
        kept = list(compress(zip(rows, row_keys, strict=True),
                             map(not_, map(unchanged.__contains__, projected))))  # fmt: skip
        rows, row_keys = [row for row, _ in kept], [key for _, key in kept]
    stored_update = _getter(range(len(keys), len(keys) + len(update)))
    before = dict(zip(map(stored_key, stored), map(stored_update, stored), strict=True))
    new_of = _getter(update)
    changing = []
    for row, key in zip(rows, row_keys, strict=True):
        old = before.get(key, _ABSENT)
        if old is _ABSENT or (counts is not None and counts[key] > 1):
            changing.append(row)
            continue
        new = new_of(row)
        if new == old:
            continue
        if keep_known and all(
            value is None or value == known
            for value, known in zip(_tuple(new, update), _tuple(old, update), strict=True)
        ):
            continue
        changing.append(row)
    return changing


def _processed(processor: Callable[[Any], Any], column: list[Any]) -> list[Any]:
    """`processor` (a bind processor: a pure conversion) applied to every value of `column`,
    once per distinct value when the values are hashable (a roster's dates are a few hundred
    days for 300,000 rows)."""
    try:
        distinct = set(column)
    except TypeError:  # unhashable values (JSON documents): one conversion each
        return list(map(processor, column))
    if len({type(value) for value in distinct if value is not None}) > 1:
        return list(map(processor, column))  # 1 and 1.0 (or True) are one key of a set
    converted = {value: processor(value) for value in distinct}
    return list(map(converted.__getitem__, column))


def _getter(positions: Sequence[int]) -> Callable[[Sequence[Any]], Any]:
    """The values at `positions` (a tuple; the value itself for one position)."""
    return itemgetter(*positions)


def _tuple(value: Any, positions: Sequence[int]) -> tuple[Any, ...]:
    return (value,) if len(positions) == 1 else tuple(value)

"""Checks that compare the rows of a table with each other: its unique key.

Derived from `features.contract`; pure SQL text. `KeyCheck.sql` yields one row per violation
with columns `_row, value, detail, weight`, where `weight` is how many violations the row stands
for: a repeated key is shown once (at its last row) and counted once per extra copy.
"""

from __future__ import annotations

from dataclasses import dataclass

from features.contract import TABLES, Table
from features.validation.sql import quoted

__all__ = [
    "KEY_CHECKS",
    "KeyCheck",
]


@dataclass(frozen=True)
class KeyCheck:
    """A rule that compares rows: `sql` returns one row per violation with `_row` (1-based
    data row), `value`, `detail` (text) and `weight` (how many violations the row stands for).

    `screen` is a cheaper query returning one number that is 0 whenever `sql` finds nothing
    (it groups on a 64-bit hash of the key: half the memory of grouping on the text); `sql`
    runs only when the screen finds something. Both read `raw_<table>`; `on` gives them for
    another relation of its columns (some of its rows). The check runs only if the file has
    all columns in `needs`."""

    rule: str
    table: str
    column: str
    screen: str
    sql: str
    message: str
    needs: tuple[str, ...]

    def on(self, relation: str) -> KeyCheck:
        """This check over the rows of `relation` instead of `raw_<table>`."""
        return _unique_check(TABLES[self.table], relation)


def _unique_check(table: Table, source: str | None = None) -> KeyCheck:
    source = source or f"raw_{table.name}"
    key = table.unique_key
    shown = " || ', ' || ".join(quoted(name) for name in key)
    columns = ", ".join(quoted(name) for name in key)
    present = " AND ".join(f"{quoted(name)} IS NOT NULL" for name in key)
    label = key[0] if len(key) == 1 else f"({', '.join(key)})"
    screen = f"""
        SELECT coalesce(sum(copies - 1), 0) FROM (
            SELECT count(*) AS copies FROM {source} WHERE {present}
            GROUP BY hash({columns}) HAVING count(*) > 1
        )"""
    sql = f"""
        SELECT last_row AS _row, shown AS value,
               'row ' || first_row || ', ' || copies || ' rows in all' AS detail,
               copies - 1 AS weight
        FROM (
            SELECT {shown} AS shown, count(*) AS copies,
                   min(_row) AS first_row, max(_row) AS last_row
            FROM {source} WHERE {present}
            GROUP BY {columns} HAVING count(*) > 1
        )"""
    return KeyCheck(
        rule="duplicate_attendance" if table.name == "attendance" else "unique",
        table=table.name,
        column=", ".join(key),
        screen=screen,
        sql=sql,
        message=f"{label} '{{value}}' appears more than once (first on {{detail}})",
        needs=key,
    )


def _key_checks() -> tuple[KeyCheck, ...]:
    return tuple(_unique_check(table) for table in TABLES.values() if table.unique_key)


KEY_CHECKS: tuple[KeyCheck, ...] = _key_checks()

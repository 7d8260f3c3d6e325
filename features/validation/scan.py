"""Running checks on a DuckDB connection and collecting what they find.

Each check runs in two steps: a count that needs no row numbers (cheap: DuckDB scans the file
in parallel, whereas numbering rows forces a full materialisation), then, only for broken
rules, a second query picking the first `max_examples` rows. A valid extraction thus costs one
scan per table plus one query per unique key (grouping on a hash of the key).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb

from features.validation.cells import CellCheck
from features.validation.keys import KeyCheck
from features.validation.report import Violation, ViolationGroup, clip, group_order
from features.validation.rules import severity_of

__all__ = [
    "Findings",
    "run_key_check",
    "run_row_checks",
]

# Cells are cut in SQL before reaching Python, then clipped for display.
_SQL_VALUE_WIDTH = 200


class Findings:
    """Violation groups keyed by (table, column, rule): totals plus the first examples."""

    def __init__(self, max_examples: int):
        if max_examples < 0:
            raise ValueError("max_examples must be 0 or more")
        self.max_examples = max_examples
        self._counts: dict[tuple[str, str | None, str], int] = {}
        self._examples: dict[tuple[str, str | None, str], list[Violation]] = {}

    def add(
        self, table: str, column: str | None, rule: str, count: int, examples: Iterable[Violation]
    ) -> None:
        key = (table, column, rule)
        self._counts[key] = self._counts.get(key, 0) + count
        merged = [*self._examples.get(key, []), *examples]
        merged.sort(key=lambda violation: violation.row or 0)
        self._examples[key] = merged[: self.max_examples]

    def add_one(
        self, table: str, rule: str, message: str, column: str | None = None, row: int | None = None
    ) -> None:
        """Record one problem with no cell value: a missing file, a header, a broken line."""
        violation = Violation(
            table=table,
            row=row,
            column=column,
            value=None,
            rule=rule,
            message=message,
            severity=severity_of(rule),
        )
        self.add(table, column, rule, 1, [violation])

    def groups(self) -> tuple[ViolationGroup, ...]:
        groups = [
            ViolationGroup(
                table=table,
                column=column,
                rule=rule,
                severity=severity_of(rule),
                count=count,
                examples=tuple(self._examples[(table, column, rule)]),
            )
            for (table, column, rule), count in self._counts.items()
        ]
        return tuple(sorted(groups, key=group_order))


def _example_sql(value: str, detail: str) -> str:
    return (
        f"{{'row': _row, 'value': left(CAST({value} AS VARCHAR), {_SQL_VALUE_WIDTH}), "
        f"'detail': left(CAST({detail} AS VARCHAR), {_SQL_VALUE_WIDTH})}}"
    )


def _violations(
    table: str, column: str | None, rule: str, message: str, rows: Sequence[dict] | None
) -> list[Violation]:
    result = []
    for example in rows or ():
        value, detail = clip(example["value"]), clip(example["detail"])
        result.append(
            Violation(
                table=table,
                row=example["row"],
                column=column,
                value=value,
                rule=rule,
                message=message.format(value=value or "", detail=detail or ""),
                severity=severity_of(rule),
            )
        )
    return result


def _failing(check: CellCheck) -> str:
    return f"coalesce(({check.failing}), FALSE)"


def run_row_checks(
    con: duckdb.DuckDBPyConnection,
    table: str,
    checks: Sequence[CellCheck],
    source: str,
    found: Findings,
) -> int:
    """Count the failures of every row check of `table` in one scan of `source` (the raw view,
    joined to its lookups); fetch examples for the broken ones. Returns the number of rows."""
    counts_sql = ", ".join(["count(*)", *(f"count_if({_failing(check)})" for check in checks)])
    total, *counts = con.execute(f"SELECT {counts_sql} FROM {source}").fetchone() or (0,)
    broken = [(check, count) for check, count in zip(checks, counts, strict=True) if count]
    if not broken:
        return total
    if found.max_examples == 0:
        examples: Sequence[Sequence[dict] | None] = [None] * len(broken)
    else:
        picks = ", ".join(
            f"min_by({_example_sql(check.value, check.detail)}, _row, {found.max_examples}) "
            f"FILTER (WHERE {_failing(check)})"
            for check, _ in broken
        )
        examples = con.execute(f"SELECT {picks} FROM {source}").fetchone() or ()
    for (check, count), rows in zip(broken, examples, strict=True):
        found.add(
            table,
            check.column,
            check.rule,
            count,
            _violations(table, check.column, check.rule, check.message, rows),
        )
    return total


def run_key_check(con: duckdb.DuckDBPyConnection, check: KeyCheck, found: Findings) -> None:
    """Screen a key check cheaply; only if it may have violations, count them exactly and
    fetch examples."""
    screened = con.execute(check.screen).fetchone()
    if not screened or not screened[0]:
        return
    pick = f"min_by({_example_sql('value', 'detail')}, _row, {max(found.max_examples, 1)})"
    exact = con.execute(f"SELECT coalesce(sum(weight), 0), {pick} FROM ({check.sql})").fetchone()
    count, rows = (int(exact[0]), exact[1]) if exact else (0, None)
    if count == 0:
        return  # the screen met a hash collision, not a repeated key
    examples = _violations(check.table, check.column, check.rule, check.message, rows)
    found.add(check.table, check.column, check.rule, count, examples)

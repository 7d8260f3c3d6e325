"""Checks decided from one row alone: types, codes, formats, ranges, cross-column rules.

Derived from `features.contract`; pure SQL text, nothing here touches a connection. All the
cell checks of a table run in one scan of `raw_<table>`. A cell that fails its type check is
NULL for the other rules (TRY_CAST), so it is reported once and never stops the query.
"""

from __future__ import annotations

from dataclasses import dataclass

from features.contract import SCHOOL_YEAR_PATTERN, UAI_PATTERN, Column, Table
from features.validation.sql import (
    as_date,
    as_number,
    literal,
    quoted,
    year_end,
    year_first,
    year_start,
)

__all__ = [
    "CellCheck",
    "cell_checks",
]

_PATTERN_RULES = {UAI_PATTERN: "uai_format", SCHOOL_YEAR_PATTERN: "school_year_format"}
_TYPE_RULES = {"date": "type_date", "int": "type_int", "float": "type_float", "bool": "type_bool"}


@dataclass(frozen=True)
class CellCheck:
    """A rule decided for each row of a table in its one scan.

    `failing` is a SQL predicate over the columns of `raw_<table>`, true when the row breaks the
    rule; `value` and `detail` are SQL text shown in the report; `message` is an English template
    with `{value}` and `{detail}`. The check runs only if the file has all columns in `needs`.
    A reference check also reads the lookup named `lookup` (see `references.py`), built from
    the tables in `uses`, which must then be readable and non-empty.
    """

    rule: str
    table: str
    column: str
    failing: str
    value: str
    message: str
    needs: tuple[str, ...]
    detail: str = "NULL"
    lookup: str | None = None
    uses: tuple[str, ...] = ()


def _type_failing(column: Column, cell: str) -> str:
    if column.kind == "date":
        # Strict ISO: the cell must be exactly the date DuckDB reads from it.
        return f"strftime({as_date(cell)}, '%Y-%m-%d') IS DISTINCT FROM {cell}"
    number = as_number(cell)
    if column.kind == "int":
        return (
            f"{number} IS NULL OR NOT isfinite({number}) OR {number} <> trunc({number}) "
            f"OR abs({number}) > 9007199254740992"
        )
    if column.kind == "float":
        return f"{number} IS NULL OR NOT isfinite({number})"
    if column.kind == "bool":
        return f"lower({cell}) NOT IN ('true', 'false', '1', '0')"
    raise ValueError(f"no type rule for kind {column.kind!r}")


_TYPE_MESSAGES = {
    "date": "'{value}' is not a real date written YYYY-MM-DD (or DD/MM/YYYY in a CSV file)",
    "int": "'{value}' is not a whole number",
    "float": "'{value}' is not a number (12.5, or 12,5 in a CSV file)",
    "bool": "'{value}' is not true or false",
}


def _column_checks(table: Table, column: Column) -> list[CellCheck]:
    name = column.name
    cell = quoted(name)
    needs = (name,)

    def check(rule: str, failing: str, message: str) -> CellCheck:
        present_and_failing = f"{cell} IS NOT NULL AND ({failing})"
        return CellCheck(rule, table.name, name, present_and_failing, cell, message, needs)

    checks = []
    if not column.nullable:
        checks.append(
            CellCheck(
                "not_null",
                table.name,
                name,
                f"{cell} IS NULL",
                "NULL",
                f"{name} is empty; every row needs one",
                needs,
            )
        )
    if column.kind in _TYPE_RULES:
        checks.append(
            check(
                _TYPE_RULES[column.kind], _type_failing(column, cell), _TYPE_MESSAGES[column.kind]
            )
        )
    if column.codes is not None:
        allowed = ", ".join(column.codes)
        codes = ", ".join(literal(code) for code in column.codes)
        checks.append(
            check("code", f"{cell} NOT IN ({codes})", f"'{{value}}' is not one of: {allowed}")
        )
    if column.kind == "school_year":
        checks.append(
            check(
                "school_year_format",
                f"{year_first(cell)} IS NULL",
                "'{value}' is not a school year written YYYY-YYYY with consecutive years, "
                "e.g. 2024-2025",
            )
        )
    elif column.pattern is not None:
        checks.append(
            check(
                _PATTERN_RULES[column.pattern],
                f"NOT regexp_matches({cell}, {literal(column.pattern)})",
                "'{value}' is not a UAI: 7 digits then an upper-case letter, e.g. 0350023K",
            )
        )
    if column.minimum is not None:
        checks.append(
            check(
                "range",
                f"{as_number(cell)} < {column.minimum:g}",
                f"{{value}} is below the minimum {column.minimum:g} of {name}",
            )
        )
    if column.maximum is not None:
        checks.append(
            check(
                "range",
                f"{as_number(cell)} > {column.maximum:g}",
                f"{{value}} is above the maximum {column.maximum:g} of {name}",
            )
        )
    return checks


def _enrollment_checks() -> list[CellCheck]:
    start, end, year, reason = (
        quoted(n) for n in ("start_date", "end_date", "school_year", "exit_reason")
    )
    table = "enrollments"
    checks = [
        CellCheck(
            "end_before_start",
            table,
            "end_date",
            f"{as_date(end)} < {as_date(start)}",
            end,
            "end_date {value} is before start_date {detail}",
            ("start_date", "end_date"),
            detail=start,
        ),
        CellCheck(
            "exit_reason_end_date",
            table,
            "exit_reason",
            f"{reason} IS NOT NULL AND {end} IS NULL",
            reason,
            "exit_reason '{value}' is set but end_date is empty; "
            "both are empty while the student is enrolled",
            ("exit_reason", "end_date"),
        ),
        CellCheck(
            "exit_reason_end_date",
            table,
            "end_date",
            f"{end} IS NOT NULL AND {reason} IS NULL",
            end,
            "end_date {value} is set but exit_reason is empty; an ended enrollment says why",
            ("exit_reason", "end_date"),
        ),
    ]
    for name, cell in (("start_date", start), ("end_date", end)):
        day = as_date(cell)
        checks.append(
            CellCheck(
                "outside_school_year",
                table,
                name,
                f"{day} < {year_start(year)} OR {day} > {year_end(year)}",
                cell,
                f"{name} {{value}} is outside school year {{detail}} (1 September to 31 August)",
                (name, "school_year"),
                detail=year,
            )
        )
    return checks


def _grade_checks() -> list[CellCheck]:
    value, out_of = quoted("value"), quoted("out_of")
    maximum = f"(CASE WHEN {out_of} IS NULL THEN 20 ELSE {as_number(out_of)} END)"
    return [
        CellCheck(
            "grade_range",
            "grades",
            "value",
            f"{as_number(value)} > {maximum}",
            value,
            "mark {value} is above its out_of {detail}",
            ("value",),
            detail=f"coalesce({out_of}, '20')",
        ),
        CellCheck(
            "grade_range",
            "grades",
            "out_of",
            f"{as_number(out_of)} <= 0",
            out_of,
            "out_of {value} must be greater than 0",
            ("out_of",),
        ),
    ]


def _outcome_checks() -> list[CellCheck]:
    known_on, year = quoted("known_on"), quoted("school_year")
    return [
        CellCheck(
            "known_on_before_year_start",
            "outcomes",
            "known_on",
            f"{as_date(known_on)} < {year_start(year)}",
            known_on,
            "known_on {value} is before 1 September of school year {detail}",
            ("known_on", "school_year"),
            detail=year,
        )
    ]


_ROW_CHECKS = {
    "enrollments": _enrollment_checks,
    "grades": _grade_checks,
    "outcomes": _outcome_checks,
}


def cell_checks(table: Table) -> tuple[CellCheck, ...]:
    """Every single-row check of a contract table, column by column, then cross-column."""
    checks = [check for column in table.columns for check in _column_checks(table, column)]
    if table.name in _ROW_CHECKS:
        checks.extend(_ROW_CHECKS[table.name]())
    return tuple(checks)

"""The validation report: every broken rule, counted, with a few example rows each.

A report never grows with the size of the garbage: each (table, column, rule) is one
`ViolationGroup` holding the total count and at most `max_examples` example `Violation`s.
`ValidationReport.violations` lists those examples; `counts_by_rule` gives the totals.
The report round-trips through JSON (`to_json`, `from_json`) for the CLI and the API; the
JSON holds the flat list of example `violations` and the `groups` with their total `count`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field

from features.contract import TABLE_ORDER, TABLES
from features.csv_dialect import Language, describe_format
from features.jsonio import dumps, loads
from features.validation.rules import RULES, Severity

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "VALUE_WIDTH",
    "ValidationReport",
    "Violation",
    "ViolationGroup",
    "clip",
    "group_order",
    "plural",
]

DEFAULT_MAX_EXAMPLES = 50
VALUE_WIDTH = 80


def plural(count: int, noun: str) -> str:
    """`1 error`, `2 errors`, with thousands separators."""
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def clip(text: str | None, width: int = VALUE_WIDTH) -> str | None:
    """Shorten a cell for display so that one huge garbage value cannot flood the report."""
    if text is None or len(text) <= width:
        return text
    return text[: width - 1] + "…"


class Violation(BaseModel):
    """One broken rule at one place.

    `row` is the 1-based data row in the file (the header is not counted, so in a CSV without
    line breaks inside quoted values the line number is `row + 1`); `row` is None for a problem
    with the whole file or table, and `column` is None when no single column is at fault.
    """

    model_config = ConfigDict(frozen=True)

    table: str
    row: int | None
    column: str | None
    value: str | None
    rule: str
    message: str
    severity: Severity = "error"


class ViolationGroup(BaseModel):
    """All violations of one rule in one column of one table: the total and a few examples."""

    model_config = ConfigDict(frozen=True)

    table: str
    column: str | None
    rule: str
    severity: Severity
    count: int
    examples: tuple[Violation, ...]


def _table_rank(table: str) -> int:
    return TABLE_ORDER.index(table) if table in TABLES else -1


def _column_rank(table: str, column: str | None) -> int:
    if column is None or table not in TABLES:
        return -1
    names = TABLES[table].column_names
    first = column.split(",")[0].strip()
    return names.index(first) if first in names else len(names)


def _rule_rank(rule: str) -> int:
    ids = list(RULES)
    return ids.index(rule) if rule in RULES else len(ids)


def group_order(group: ViolationGroup) -> tuple[int, int, int]:
    """Folder and file problems first, then by table, rule and column as in the contract."""
    return (
        _table_rank(group.table),
        _rule_rank(group.rule),
        _column_rank(group.table, group.column),
    )


class ValidationReport(BaseModel):
    """The outcome of validating one extraction folder against the data contract.

    `ok` is true when no rule of severity `error` is broken (warnings are allowed).
    `tables_checked` are the tables whose file could be read; `row_counts` their data rows.
    `notes` say which rules could not run because a table they read is unusable.
    `formats` says how each CSV table is written, as detected (or set in `csv_formats.toml`):
    separator, encoding, decimal mark, date format.
    """

    model_config = ConfigDict(frozen=True)

    directory: str
    tables_checked: tuple[str, ...]
    row_counts: dict[str, int]
    groups: tuple[ViolationGroup, ...]
    max_examples: int = DEFAULT_MAX_EXAMPLES
    notes: tuple[str, ...] = ()
    formats: dict[str, dict[str, str]] = {}

    def format_lines(self, language: Language = "fr") -> list[str]:
        """One line per CSV table: how it is written (never a cell of it), in `language`."""
        return [
            f"{table}.csv: {describe_format(words, language)}"
            for table, words in self.formats.items()
        ]

    @computed_field  # type: ignore[prop-decorator]  # on a property: pydantic's documented way
    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @computed_field  # type: ignore[prop-decorator]  # on a property: pydantic's documented way
    @property
    def error_count(self) -> int:
        return sum(group.count for group in self.groups if group.severity == "error")

    @computed_field  # type: ignore[prop-decorator]  # on a property: pydantic's documented way
    @property
    def warning_count(self) -> int:
        return sum(group.count for group in self.groups if group.severity == "warning")

    @computed_field  # type: ignore[prop-decorator]  # on a property: pydantic's documented way
    @property
    def counts_by_rule(self) -> dict[str, int]:
        """Total violations per rule id, all tables and columns together."""
        counts: Counter[str] = Counter()
        for group in self.groups:
            counts[group.rule] += group.count
        return {rule: counts[rule] for rule in sorted(counts, key=_rule_rank)}

    @property
    def violations(self) -> tuple[Violation, ...]:
        """The example violations, at most `max_examples` per (table, column, rule), by table
        and row (file-level problems first)."""
        examples = [example for group in self.groups for example in group.examples]
        return tuple(
            sorted(
                examples,
                key=lambda v: (
                    _table_rank(v.table),
                    v.row or 0,
                    _column_rank(v.table, v.column),
                    _rule_rank(v.rule),
                ),
            )
        )

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "error")

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "warning")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible data: the totals (`ok`, `counts_by_rule`...), one entry per
        (table, column, rule) in `groups` with its `count`, and the example `violations`."""
        fields = self.model_dump(mode="json", exclude={"groups"})
        first = ("directory", "ok", "error_count", "warning_count", "counts_by_rule")
        data = {key: fields[key] for key in first} | fields
        data["groups"] = [
            {**group.model_dump(mode="json", exclude={"examples"}), "shown": len(group.examples)}
            for group in self.groups
        ]
        data["violations"] = [violation.model_dump(mode="json") for violation in self.violations]
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent=indent, ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ValidationReport:
        """Rebuild a report from `to_dict`; the computed totals are recomputed, not trusted."""
        examples: dict[tuple[str, str | None, str], list[dict[str, Any]]] = {}
        for violation in data.get("violations", ()):
            key = (violation["table"], violation["column"], violation["rule"])
            examples.setdefault(key, []).append(violation)
        groups = [
            {
                **group,
                "examples": examples.get((group["table"], group["column"], group["rule"]), []),
            }
            for group in data.get("groups", ())
        ]
        return cls.model_validate({**data, "groups": groups})

    @classmethod
    def from_json(cls, text: str) -> ValidationReport:
        return cls.from_dict(loads(text))

    def summary(self, max_examples: int = 10) -> str:
        """A few lines of plain text: totals per rule and column, then the first examples."""
        formats = [f"format: {line}" for line in self.format_lines()]
        if not self.groups:
            rows = sum(self.row_counts.values())
            valid = (
                f"extraction {self.directory} is valid: {len(self.tables_checked)} tables, "
                f"{rows:,} rows"
            )
            return "\n".join([valid, *formats])
        verdict = "is valid" if self.ok else "is invalid"
        lines = [
            f"extraction {self.directory} {verdict}: {plural(self.error_count, 'error')}, "
            f"{plural(self.warning_count, 'warning')}"
        ]
        for group in self.groups:
            where = group.table + (f".{group.column}" if group.column else "")
            lines.append(f"  {group.rule} ({group.severity}): {group.count:,} in {where}")
        shown = self.violations[:max_examples]
        if shown:
            lines.append("first examples:")
        for violation in shown:
            where = violation.table
            if violation.row is not None:
                where += f" row {violation.row}"
            if violation.column is not None:
                where += f", {violation.column}"
            lines.append(f"  {where}: [{violation.rule}] {violation.message}")
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join([*lines, *formats])

"""The catalogue of validation rules: stable ids, severity, and one line for people.

Rule ids are part of the public surface: the JSON report, the CLI and `docs/data-contract.md`
name them, so an id never changes meaning once released. A rule of severity `warning` is
reported but does not make an extraction invalid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "RULES",
    "Rule",
    "Severity",
    "severity_of",
]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    """One rule of the data contract, as reported to people."""

    id: str
    scope: Literal["folder", "file", "cell", "row", "table"]
    summary: str
    severity: Severity = "error"


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        # The folder and its files.
        Rule("missing_folder", "folder", "The extraction folder does not exist."),
        Rule("missing_table", "file", "No `<table>.csv` or `<table>.parquet` in the folder."),
        Rule(
            "unreadable_file",
            "file",
            "The file cannot be read: not comma- or semicolon-separated, a broken or truncated "
            "line, binary data, a damaged Parquet file, or both a .csv and a .parquet.",
        ),
        Rule(
            "ambiguous_format",
            "file",
            "How a CSV file is written cannot be told for sure: an encoding neither UTF-8 nor "
            "plausibly Windows-1252, a separator, dates that read both DD/MM and MM/DD, mixed "
            "decimal marks, or a decimal comma in an unquoted comma-separated file.",
        ),
        Rule("empty_table", "file", "The file has a header but no data rows."),
        Rule("required_column", "file", "A required column is absent from the header."),
        Rule(
            "unknown_column",
            "file",
            "A column that the contract does not know; it is ignored.",
            severity="warning",
        ),
        # One cell.
        Rule("not_null", "cell", "An empty cell in a column that must be filled."),
        Rule(
            "type_date",
            "cell",
            "Not a real date written `YYYY-MM-DD` (or `DD/MM/YYYY` in a CSV file).",
        ),
        Rule("type_int", "cell", "Not a whole number."),
        Rule(
            "type_float",
            "cell",
            "Not a number (`12.5`, or `12,5` in a CSV file whose numbers use a decimal comma).",
        ),
        Rule("type_bool", "cell", "Not `true` or `false` (`1`/`0` and any case accepted)."),
        Rule("code", "cell", "Not one of the codes allowed in this column."),
        Rule("uai_format", "cell", "Not a UAI: 7 digits then an upper-case letter."),
        Rule(
            "school_year_format",
            "cell",
            "Not a school year written `YYYY-YYYY` with consecutive years.",
        ),
        Rule("range", "cell", "A number below the column's minimum or above its maximum."),
        # Several cells of one row.
        Rule(
            "grade_range",
            "row",
            "A mark above its `out_of`, or an `out_of` that is not positive.",
        ),
        Rule("end_before_start", "row", "An enrollment whose `end_date` is before `start_date`."),
        Rule(
            "outside_school_year",
            "row",
            "An enrollment `start_date` or `end_date` outside its school year "
            "(1 September to 31 August).",
        ),
        Rule(
            "exit_reason_end_date",
            "row",
            "`exit_reason` and `end_date` must be both empty (still enrolled) or both filled.",
        ),
        Rule(
            "known_on_before_year_start",
            "row",
            "An outcome `known_on` before 1 September of its school year.",
        ),
        # Several rows or tables.
        Rule("unique", "table", "Two rows share the table's key (e.g. a repeated student_id)."),
        Rule(
            "duplicate_attendance",
            "table",
            "Two attendance rows for the same (student_id, date, half_day, kind).",
        ),
        Rule("unknown_student", "table", "A `student_id` that is not in `students`."),
        Rule("unknown_uai", "table", "An enrollment `uai` that is not in `establishments`."),
        Rule(
            "date_outside_enrollment",
            "table",
            "An attendance, grade or exam date outside every enrollment of the student.",
        ),
    )
}


def severity_of(rule: str) -> Severity:
    """The severity of a rule id; unknown ids are errors, so that a typo never hides one."""
    known = RULES.get(rule)
    return known.severity if known is not None else "error"

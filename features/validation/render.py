"""The report for people in a terminal: a rich table of examples, then a summary line.

Used by `vigie validate DIR`; `ValidationReport.to_json` serves `--json` and programs.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from features.csv_dialect import Language
from features.validation.report import ValidationReport, plural

__all__ = ["render_report"]


def _summary(report: ValidationReport) -> Text:
    if report.ok:
        rows = sum(report.row_counts.values())
        text = Text("valid", style="bold green")
        text.append(f": {len(report.tables_checked)} tables, {rows:,} rows checked")
        if report.warning_count:
            text.append(f", {plural(report.warning_count, 'warning')}", style="yellow")
        return text
    text = Text("invalid", style="bold red")
    text.append(f": {plural(report.error_count, 'error')}")
    if report.warning_count:
        text.append(f", {plural(report.warning_count, 'warning')}")
    per_rule = "; ".join(f"{rule} {count:,}" for rule, count in report.counts_by_rule.items())
    text.append(f" ({per_rule})")
    return text


def render_report(report: ValidationReport, language: Language = "fr") -> RenderableType:
    """A table (table, row, column, value, rule, message) of the example violations, how each
    CSV table is written, then a summary line with the totals per rule and any note about
    rules that could not run. The format lines are in `language` (French by default)."""
    parts: list[RenderableType] = []
    if report.groups:
        table = Table(title=f"Validation of {report.directory}", title_justify="left")
        table.add_column("table", no_wrap=True)
        table.add_column("row", justify="right", no_wrap=True)
        table.add_column("column", no_wrap=True)
        table.add_column("value", overflow="fold")
        table.add_column("rule", no_wrap=True)
        table.add_column("message", overflow="fold")
        for violation in report.violations:
            style = "red" if violation.severity == "error" else "yellow"
            table.add_row(
                violation.table,
                "" if violation.row is None else str(violation.row),
                violation.column or "",
                "" if violation.value is None else violation.value,
                Text(violation.rule, style=style),
                violation.message,
            )
        parts.append(table)
        capped = [group for group in report.groups if group.count > len(group.examples)]
        if capped:
            hidden = sum(group.count - len(group.examples) for group in capped)
            parts.append(
                Text(
                    f"{plural(hidden, 'more violation')} not shown (at most {report.max_examples} "
                    "examples per table, column and rule; totals below and in --json)",
                    style="dim",
                )
            )
    formats = report.format_lines(language)
    parts.extend(Text(f"format: {line}", style="cyan") for line in formats)
    parts.extend(Text(f"note: {note}", style="dim") for note in report.notes)
    parts.append(_summary(report))
    return Group(*parts)

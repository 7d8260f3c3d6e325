"""Validation of an extraction folder against the data contract (`features.contract`).

`validate_extraction(directory)` checks every rule and returns a `ValidationReport` listing
all failures at once, counted per (table, column, rule) with a few example rows each.
`require_valid(directory)` is the gate that every command runs before writing anything: it
returns the opened `Extraction` or raises `InvalidExtractionError`. The rules are DuckDB SQL
over the raw text views of `features.extraction`, see `docs/data-contract.md` for their ids.
"""

from features.validation.render import render_report
from features.validation.report import (
    DEFAULT_MAX_EXAMPLES,
    ValidationReport,
    Violation,
    ViolationGroup,
)
from features.validation.rules import RULES, Rule, Severity
from features.validation.runner import (
    InvalidExtractionError,
    check_extraction,
    require_valid,
    validate_extraction,
)

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "RULES",
    "InvalidExtractionError",
    "Rule",
    "Severity",
    "ValidationReport",
    "Violation",
    "ViolationGroup",
    "check_extraction",
    "render_report",
    "require_valid",
    "validate_extraction",
]

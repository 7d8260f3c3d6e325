"""CSV cells a spreadsheet will not run as formulas (OWASP, "CSV Injection").

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is taken as a formula
by spreadsheets (`=HYPERLINK("http://...")` in a name becomes a link that leaks or runs).
Such a text cell gets a leading apostrophe, which a spreadsheet shows as text and hides;
OWASP's guidance. Numbers stay numbers (a negative change of risk, -3.2, is not a text cell).
Every CSV Vigie writes for people goes through `safe_frame` (the weekly list's export);
the CSV files Vigie writes as input data (`vigie synth`'s extraction, the posted extraction
of `POST /v1/score`, read back by the feature code) are data, not exports, and stay as is.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["FORMULA_STARTS", "safe_cell", "safe_frame"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value`, prefixed with an apostrophe if it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and column names are all safe."""
    safe = frame.rename(columns=lambda name: safe_cell(str(name)))
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(safe_cell)
    return safe

"""How the dashboard writes numbers, percentages, marks, dates and missing values, in the
page's language: the one place every page, table, chart caption and export takes them from.

French: decimal comma, a narrow no-break space (U+202F) between thousands and before « % »
(« 51,8 % », « 1 234 », « 3,5/20 »), a true minus sign. English: « 51.8% », « 1,234 »,
« 3.5/20 ». A missing value (None, NaN, NaT) is an em dash, never "None" or "nan".
"""

from __future__ import annotations

import datetime as dt
import math
from numbers import Real

import pandas as pd

__all__ = [
    "MISSING",
    "NNBSP",
    "day",
    "integer",
    "interval",
    "is_missing",
    "mark",
    "number",
    "percent",
    "percent_interval",
    "points",
]

MISSING = "—"
NNBSP = "\u202f"  # French: between thousands, before « % »
_MINUS = "\u2212"


def is_missing(value: object) -> bool:
    """None, NaN, NaT or pandas' NA: a value the page shows as a dash or a sentence."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, Real):
        return not math.isfinite(float(value))
    return False


def number(value: object, language: str, digits: int = 2, signed: bool = False) -> str:
    """`value` with `digits` decimals in the language's convention (« 1 234,50 »,
    "1,234.50"); `signed` puts a "+" on positive values; a dash when missing."""
    if is_missing(value):
        return MISSING
    rounded = round(float(value), digits)  # type: ignore[arg-type]
    if rounded == 0:
        rounded = 0.0  # no "-0"
    text = f"{abs(rounded):,.{digits}f}"
    if language == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    if rounded < 0:
        return (_MINUS if language == "fr" else "-") + text
    return ("+" if signed and rounded > 0 else "") + text


def integer(value: object, language: str) -> str:
    """A count with the language's thousands separator (« 2 000 », "2,000")."""
    return number(value, language, digits=0)


def percent(value: object, language: str, digits: int = 1, signed: bool = False) -> str:
    """A proportion as a percentage: « 51,8 % » in French, "51.8%" in English."""
    if is_missing(value):
        return MISSING
    shown = number(float(value) * 100, language, digits, signed)  # type: ignore[arg-type]
    return f"{shown}{NNBSP}%" if language == "fr" else f"{shown}%"


def points(value: object, language: str, digits: int = 1) -> str:
    """A difference of two probabilities in percentage points, signed: « +3,2 pts »."""
    if is_missing(value):
        return MISSING
    return f"{number(float(value) * 100, language, digits, signed=True)}{NNBSP}pts"  # type: ignore[arg-type]


def mark(value: object, language: str) -> str:
    """A mean mark on 20: « 3,5/20 », "3.5/20"."""
    if is_missing(value):
        return MISSING
    return f"{number(value, language, digits=1)}/20"


def interval(value: object, low: object, high: object, language: str, digits: int = 2) -> str:
    """`0,28 [0,20 ; 0,36]` in French, `0.28 [0.20, 0.36]` in English; a dash alone when
    the value is missing."""
    if is_missing(value):
        return MISSING
    separator = " ; " if language == "fr" else ", "
    bounds = separator.join(number(bound, language, digits) for bound in (low, high))
    return f"{number(value, language, digits)} [{bounds}]"


def percent_interval(value: object, low: object, high: object, language: str) -> str:
    """A rate as a percentage with its interval: « 12,3 % [10,1 ; 14,0] » in French,
    "12.3% [10.1, 14.0]" in English (one decimal: selection rates are around 1 %)."""
    if is_missing(value):
        return MISSING
    separator = " ; " if language == "fr" else ", "
    bounds = separator.join(
        MISSING if is_missing(bound) else number(float(bound) * 100, language, 1)  # type: ignore[arg-type]
        for bound in (low, high)
    )
    return f"{percent(value, language)} [{bounds}]"


def day(value: object, language: str) -> str:
    """A date as schools write it, « 30/11/2026 » (in English too); a dash when missing."""
    if is_missing(value) or not isinstance(value, dt.date):
        return MISSING
    return value.strftime("%d/%m/%Y")

"""How Vigie writes numbers, percentages, probability points, marks and dates, in French and in
English: the one place the reasons, the dashboard, `vigie explain` and the fairness report take
them from.

French: decimal comma, a narrow no-break space (U+202F) between thousands and before « % »
(« 51,8 % », « 1 234 », « 3,5/20 »), a true minus sign (U+2212). English: "51.8%", "1,234",
"3.5/20", a hyphen-minus. A missing value (None, NaN, NaT, pandas' NA) is an em dash.
"""

from __future__ import annotations

import datetime as dt
import math
from numbers import Real
from typing import Literal, SupportsFloat, cast

__all__ = [
    "LANGUAGES",
    "MISSING",
    "NNBSP",
    "Language",
    "day",
    "integer",
    "interval",
    "is_missing",
    "mark",
    "number",
    "percent",
    "percent_interval",
    "percent_sign",
    "points",
]

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")
MISSING = "—"
NNBSP = "\u202f"  # French: between thousands, before « % »
_MINUS = "\u2212"


def is_missing(value: object) -> bool:
    """None, NaN, NaT or pandas' NA: a value written as a dash."""
    if value is None:
        return True
    if isinstance(value, Real):
        return not math.isfinite(float(value))
    # pandas' NA and NaT without importing pandas: both compare unequal to themselves or
    # refuse to be compared at all.
    kind = type(value).__name__
    return kind in {"NAType", "NaTType"}


def _check(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")


def _as_float(value: object) -> float:
    """A value known not to be missing, of any numeric type (Python, NumPy, pandas), as a
    float."""
    return float(cast("SupportsFloat", value))


def number(
    value: object, language: str, digits: int = 2, signed: bool = False, trim: bool = False
) -> str:
    """`value` with `digits` decimals in the language's convention (« 1 234,50 »,
    "1,234.50"); `signed` puts a "+" on positive values; `trim` drops trailing zeros
    (« 3,5 » rather than « 3,50 »); a dash when missing."""
    _check(language)
    if type(value) is not float:  # a float, the usual case, skips the abstract-class checks
        if is_missing(value):
            return MISSING
        value = _as_float(value)
    elif not math.isfinite(value):
        return MISSING
    rounded = round(value, digits)
    if rounded == 0:
        rounded = 0.0  # no "-0"
    text = f"{abs(rounded):,.{digits}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    if language == "fr":
        text = text.replace(",", NNBSP).replace(".", ",")
    if rounded < 0:
        return (_MINUS if language == "fr" else "-") + text
    return ("+" if signed and rounded > 0 else "") + text


def integer(value: object, language: str) -> str:
    """A count with the language's thousands separator (« 2 000 », "2,000")."""
    return number(value, language, digits=0)


def percent_sign(figure: str, language: str) -> str:
    """`figure` (already a percentage) followed by the language's « % »."""
    _check(language)
    return f"{figure}{NNBSP}%" if language == "fr" else f"{figure}%"


def percent(
    value: object, language: str, digits: int = 1, signed: bool = False, trim: bool = False
) -> str:
    """A proportion as a percentage: « 51,8 % » in French, "51.8%" in English."""
    if is_missing(value):
        _check(language)
        return MISSING
    shown = number(_as_float(value) * 100, language, digits, signed, trim)
    return percent_sign(shown, language)


def points(value: object, language: str, digits: int = 1) -> str:
    """A difference of two probabilities in percentage points, signed: « +3,2 pts »."""
    if is_missing(value):
        _check(language)
        return MISSING
    return f"{number(_as_float(value) * 100, language, digits, signed=True)}{NNBSP}pts"


def mark(value: object, language: str) -> str:
    """A mean mark on 20: « 3,5/20 », "3.5/20"."""
    if is_missing(value):
        _check(language)
        return MISSING
    return f"{number(value, language, digits=1)}/20"


def interval(value: object, low: object, high: object, language: str, digits: int = 2) -> str:
    """`0,28 [0,20 ; 0,36]` in French, `0.28 [0.20, 0.36]` in English; a dash alone when
    the value is missing."""
    if is_missing(value):
        _check(language)
        return MISSING
    separator = " ; " if language == "fr" else ", "
    bounds = separator.join(number(bound, language, digits) for bound in (low, high))
    return f"{number(value, language, digits)} [{bounds}]"


def percent_interval(value: object, low: object, high: object, language: str) -> str:
    """A rate as a percentage with its interval: « 12,3 % [10,1 ; 14,0] » in French,
    "12.3% [10.1, 14.0]" in English."""
    if is_missing(value):
        _check(language)
        return MISSING
    separator = " ; " if language == "fr" else ", "
    bounds = separator.join(
        MISSING if is_missing(bound) else number(_as_float(bound) * 100, language, 1)
        for bound in (low, high)
    )
    return f"{percent(value, language)} [{bounds}]"


def day(value: object, language: str) -> str:
    """A date as schools write it, « 30/11/2026 » (in English too); a dash when missing."""
    _check(language)
    if is_missing(value) or not isinstance(value, dt.date):
        return MISSING
    return value.strftime("%d/%m/%Y")

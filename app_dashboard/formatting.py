"""How the dashboard writes numbers, percentages, marks, dates and missing values, in the
page's language: a thin layer over `wording.numbers`, the one module the reasons, `vigie
explain` and the fairness report use too (« 51,8 % », « 3,5/20 » in French; "51.8%" in
English; an em dash for a missing value)."""

from __future__ import annotations

from wording.numbers import (
    MISSING,
    NNBSP,
    day,
    integer,
    interval,
    is_missing,
    mark,
    number,
    percent,
    percent_interval,
    points,
)

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

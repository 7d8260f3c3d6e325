"""Small SQL building blocks shared by the checks: quoting, lenient casts, school years.

Cells of the `raw_<table>` views are text; these helpers cast with TRY_CAST so that a malformed
cell becomes NULL (reported by its own type rule) instead of stopping the query.
"""

from __future__ import annotations

__all__ = [
    "as_date",
    "as_number",
    "literal",
    "quoted",
    "year_end",
    "year_first",
    "year_start",
]


def quoted(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def as_number(cell: str) -> str:
    return f"TRY_CAST({cell} AS DOUBLE)"


def as_date(cell: str) -> str:
    return f"TRY_CAST({cell} AS DATE)"


def year_first(cell: str) -> str:
    """The first calendar year of a well-formed school year `YYYY-YYYY+1`, else NULL."""
    first = f"TRY_CAST(substr({cell}, 1, 4) AS INTEGER)"
    second = f"TRY_CAST(substr({cell}, 6, 4) AS INTEGER)"
    well_formed = f"regexp_full_match({cell}, '[0-9]{{4}}-[0-9]{{4}}') AND {second} = {first} + 1"
    return f"(CASE WHEN {well_formed} THEN {first} END)"


def year_start(cell: str) -> str:
    """1 September starting the school year written in `cell`, NULL if malformed."""
    return f"make_date({year_first(cell)}, 9, 1)"


def year_end(cell: str) -> str:
    """31 August ending the school year written in `cell`, NULL if malformed."""
    return f"make_date({year_first(cell)} + 1, 8, 31)"

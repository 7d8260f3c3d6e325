"""How a CSV table is written: separator, encoding, decimal mark and date format.

French schools' software and Excel write CSV with a semicolon, in Windows-1252 (cp1252),
with a decimal comma and dates as 25/11/2026; other tools write the contract's canonical form
(comma, UTF-8, decimal point, ISO dates). This module tells them apart from evidence and
nothing else: it is pure (bytes, text and counts in; a `CsvDialect` or a `FormatAmbiguity`
out). `features.extraction` gathers the evidence (the file's bytes, counts over its cells) and
reads every table through the one dialect decided here.

The rules, for each table file:

- Encoding: see `features.csv_encoding` (UTF-8, else plausible Windows-1252, else refused).
- Separator: the one of `,` and `;` that splits the header into more contract column names;
  `,` when the header holds neither; refused on a tie.
- Decimal mark: a comma when numbers of the table are written `12,5` and none `12.5`, a point
  in the reverse case; refused when both appear.
- Dates, decided over the whole extraction, since one software writes every table of its
  export the same way: ISO `YYYY-MM-DD` are always read; slashed dates `DD/MM/YYYY` when one
  of them has a first number above 12 (it can only be a day), `MM/DD/YYYY` when one has a
  second number above 12. A table whose slashed dates all read both ways takes the order the
  other tables of the extraction prove, and its note says so; refused when no table proves
  an order, when one table holds both proofs, or when one table proves day first and another
  month first.

What detection cannot tell is said in a `csv_formats.toml` file in the extraction folder:
keys `separator`, `encoding`, `date_format` at the top apply to every table, under a
`[table]` section to that table only.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple

from features.contract import Table

__all__ = [
    "COMMA_NUMBER_REGEX",
    "DATE_FORMATS",
    "ENCODINGS",
    "OVERRIDES_FILE",
    "POINT_NUMBER_REGEX",
    "SEPARATORS",
    "SLASHED_DATE_PARTS_REGEX",
    "SLASHED_DATE_REGEX",
    "CsvDialect",
    "DateDecision",
    "DateEvidence",
    "FormatAmbiguity",
    "NumberEvidence",
    "decide_date_format",
    "decide_date_formats",
    "decide_decimal_mark",
    "describe_format",
    "detect_separator",
    "explain_extra_fields",
    "parse_overrides",
    "with_overrides",
]

OVERRIDES_FILE = "csv_formats.toml"

SEPARATORS: dict[str, str] = {",": "comma", ";": "semicolon"}
# Accepted encoding names (lower case) and the Python codec each reads with.
ENCODINGS: dict[str, str] = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
    "latin-1": "latin-1",
    "iso-8859-1": "latin-1",
    "iso-8859-15": "iso-8859-15",
}
_ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "cp1252": "Windows-1252",
    "latin-1": "ISO-8859-1",
    "iso-8859-15": "ISO-8859-15",
}
DATE_FORMATS: dict[str, str] = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "DD/MM/YYYY": "%d/%m/%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
}
_OVERRIDE_KEYS = ("separator", "encoding", "date_format")
Language = Literal["fr", "en"]

# A slashed date as the SQL evidence and the reading match it: 1 or 2 digits, 4-digit year.
SLASHED_DATE_REGEX = r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}"
SLASHED_DATE_PARTS_REGEX = r"^([0-9]{1,2})/([0-9]{1,2})/[0-9]{4}$"  # the same, its two numbers
COMMA_NUMBER_REGEX = r"[+-]?[0-9]*,[0-9]+"
POINT_NUMBER_REGEX = r"[+-]?[0-9]*\.[0-9]+"


@dataclass(frozen=True)
class CsvDialect:
    """How one CSV file is written. `overridden` names the fields set by `csv_formats.toml`,
    `deduced` those taken from the other tables of the extraction (only `date_format`)."""

    separator: str = ","
    encoding: str = "utf-8"  # a Python codec name; "utf-8-sig" when the file starts with a BOM
    decimal_mark: str = "."
    date_format: str = "YYYY-MM-DD"
    overridden: tuple[str, ...] = ()
    deduced: tuple[str, ...] = ()

    @property
    def is_utf8(self) -> bool:
        return self.encoding in ("utf-8", "utf-8-sig")

    def as_dict(self) -> dict[str, str]:
        """Plain words for the report and the log (no cell of the file)."""
        return {
            "separator": f"{SEPARATORS.get(self.separator, repr(self.separator))} "
            f"{self.separator!r}",
            "encoding": _ENCODING_LABELS.get(self.encoding, self.encoding),
            "decimal_mark": "comma ','" if self.decimal_mark == "," else "point '.'",
            "date_format": self.date_format,
            "overridden": ", ".join(self.overridden),
            "deduced": ", ".join(self.deduced),
        }

    def describe(self, language: Language = "en") -> str:
        """One line in `language`; English by default, as the log speaks it."""
        return describe_format(self.as_dict(), language)


# How each language says the words of `CsvDialect.as_dict`: a word missing here is the same.
_WORDING: dict[str, dict[str, str]] = {
    "fr": {
        "separator": "séparateur",
        "decimal": "décimales",
        "semicolon ';'": "point-virgule ';'",
        "comma ','": "virgule ','",
        "UTF-8 with BOM": "UTF-8 avec BOM",
        "YYYY-MM-DD": "AAAA-MM-JJ",
        "DD/MM/YYYY": "JJ/MM/AAAA",
        "MM/DD/YYYY": "MM/JJ/AAAA",
        "deduced": "déduit des autres tables du même export",
        "overridden": "fixé dans {file} : {fields}",
    },
    "en": {
        "deduced": "deduced from the other tables of the same extraction",
        "overridden": "set in {file}: {fields}",
    },
}


def describe_format(words: Mapping[str, str], language: Language = "fr") -> str:
    """One line from `CsvDialect.as_dict` (as kept in the validation report), in French
    unless `language` is "en"."""
    wording = _WORDING[language]

    def say(word: str) -> str:
        return wording.get(word, word)

    dates = say(words["date_format"])
    if "date_format" in words.get("deduced", ""):
        dates += f" ({say('deduced')})"
    text = (
        f"{say('separator')} {say(words['separator'])}, {say(words['encoding'])}, "
        f"{say('decimal')} {say(words['decimal_mark'])}, dates {dates}"
    )
    if words.get("overridden"):
        text += f" ({say('overridden').format(file=OVERRIDES_FILE, fields=words['overridden'])})"
    return text


class FormatAmbiguity(Exception):
    """The way a file is written cannot be told for sure. `row` is the 1-based data row (0 for
    the header), `offset` a byte offset when the row is not known yet; `message` says what to
    do."""

    def __init__(
        self,
        what: str,
        message: str,
        *,
        column: str | None = None,
        row: int | None = None,
        offset: int | None = None,
    ):
        self.what = what
        self.message = message
        self.column = column
        self.row = row
        self.offset = offset
        super().__init__(message)


def _override_hint(table: str, key: str, value: str) -> str:
    return f'add {key} = "{value}" under [{table}] in {OVERRIDES_FILE} in the extraction folder'


# --- Overrides -----------------------------------------------------------------------------


def _check_override(key: str, value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f'{OVERRIDES_FILE}: {where}{key} must be text, e.g. {key} = "..."')
    allowed: Iterable[str] = {
        "separator": SEPARATORS,
        "encoding": ENCODINGS,
        "date_format": DATE_FORMATS,
    }[key]
    normalized = (
        value.lower() if key == "encoding" else value.upper() if key == "date_format" else value
    )
    if normalized not in allowed:
        shown = ", ".join(repr(option) for option in allowed)
        raise ValueError(f"{OVERRIDES_FILE}: {where}{key} = {value!r} is not one of {shown}")
    return ENCODINGS[normalized] if key == "encoding" else normalized


def parse_overrides(data: Mapping[str, Any], tables: Iterable[str]) -> dict[str, dict[str, str]]:
    """The per-table overrides from the parsed `csv_formats.toml`: top-level keys apply to
    every table, a `[table]` section to one. Raises ValueError naming a wrong key or value."""
    tables = tuple(tables)
    shared: dict[str, str] = {}
    per_table: dict[str, dict[str, str]] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            if key not in tables:
                raise ValueError(f"{OVERRIDES_FILE}: [{key}] is not a contract table")
            section = {}
            for name, setting in value.items():
                if name not in _OVERRIDE_KEYS:
                    raise ValueError(
                        f"{OVERRIDES_FILE}: [{key}] {name} is not one of "
                        f"{', '.join(_OVERRIDE_KEYS)}"
                    )
                section[name] = _check_override(name, setting, f"[{key}] ")
            per_table[key] = section
        elif key in _OVERRIDE_KEYS:
            shared[key] = _check_override(key, value, "")
        else:
            raise ValueError(
                f"{OVERRIDES_FILE}: {key} is neither a table section nor one of "
                f"{', '.join(_OVERRIDE_KEYS)}"
            )
    return {table: {**shared, **per_table.get(table, {})} for table in tables}


# --- Separator -----------------------------------------------------------------------------


def _split(line: str, separator: str) -> list[str]:
    """The header's names; a header the csv module cannot parse (a carriage return inside an
    unquoted name) is split as it stands, so that the contract names the odd column."""
    try:
        fields = next(csv.reader(io.StringIO(line), delimiter=separator), [])
    except csv.Error:
        fields = line.split(separator)
    return [name.strip() for name in fields]


def detect_separator(header_line: str, table: Table, override: str | None = None) -> str:
    """The separator of a file from its header line (already decoded, BOM removed)."""
    if override:
        return override
    names = set(table.column_names)
    known = {
        separator: sum(name in names for name in _split(header_line, separator))
        for separator in SEPARATORS
    }
    best = max(known.values())
    winners = [separator for separator, count in known.items() if count == best]
    if len(winners) == 1 and best > 0:
        return winners[0]
    present = [separator for separator in SEPARATORS if separator in header_line]
    if best > 0 and len(present) == 2:
        raise FormatAmbiguity(
            "separator",
            "the separator cannot be told: the header splits as well on commas as on "
            'semicolons; write the header with one of them, or add separator = ";" (or ",") '
            f"under [{table.name}] in {OVERRIDES_FILE}",
            row=0,
        )
    for separator, label in (("\t", "tab"), ("|", "pipe")):
        if separator in header_line:
            raise FormatAmbiguity(
                "separator",
                f"the header is separated by {label}s; the contract accepts commas or semicolons",
                row=0,
            )
    return present[0] if present else ","


# --- Numbers and dates (from counts over the cells) ------------------------------------------


@dataclass(frozen=True)
class NumberEvidence:
    """Numbers of a table written with a decimal comma or point: count, first (column, row)."""

    comma: int = 0
    point: int = 0
    first_comma: tuple[str, int] | None = None
    first_point: tuple[str, int] | None = None


def decide_decimal_mark(table: str, evidence: NumberEvidence) -> str:
    if evidence.comma and evidence.point:
        assert evidence.first_comma and evidence.first_point
        (comma_column, comma_row), (point_column, point_row) = (
            evidence.first_comma,
            evidence.first_point,
        )
        raise FormatAmbiguity(
            "decimal_mark",
            f"numbers are written with a decimal comma ({comma_column}, row {comma_row}) and "
            f"with a decimal point ({point_column}, row {point_row}); write every number of "
            f"{table} with the same decimal mark",
            column=comma_column,
            row=comma_row,
        )
    return "," if evidence.comma else "."


@dataclass(frozen=True)
class DateEvidence:
    """Slashed dates of a table: how many, and the first (column, row) of each kind.

    `day_first` dates have a first number above 12 (only DD/MM/YYYY reads them),
    `month_first` dates a second number above 12 (only MM/DD/YYYY does)."""

    slashed: int = 0
    day_first: int = 0
    month_first: int = 0
    first_slashed: tuple[str, int] | None = None
    first_day_first: tuple[str, int] | None = None
    first_month_first: tuple[str, int] | None = None


class DateDecision(NamedTuple):
    """The date format a table is read with; `deduced` when its own dates read both ways and
    the other tables of the extraction told the order."""

    date_format: str
    deduced: bool = False


_ORDERS = {"DD/MM/YYYY": "day first", "MM/DD/YYYY": "month first"}


def _proof(evidence: DateEvidence) -> str | None:
    """The order a table's own dates prove, if they prove exactly one."""
    if evidence.day_first and not evidence.month_first:
        return "DD/MM/YYYY"
    if evidence.month_first and not evidence.day_first:
        return "MM/DD/YYYY"
    return None


def _example(evidence: DateEvidence, date_format: str | None) -> tuple[str, int | None]:
    """The (column, row) of a table's first date proving `date_format` (any slashed date for
    None)."""
    first = {
        "DD/MM/YYYY": evidence.first_day_first,
        "MM/DD/YYYY": evidence.first_month_first,
    }.get(date_format or "", evidence.first_slashed)
    assert first is not None
    return first


def _where(table: str, evidence: DateEvidence, date_format: str) -> str:
    column, row = _example(evidence, date_format)
    return f"{_ORDERS[date_format]} in {table} ({column}, row {row})"


def decide_date_format(
    table: str,
    evidence: DateEvidence,
    override: str | None = None,
    extraction: Mapping[str, DateEvidence] | None = None,
) -> DateDecision:
    """The date format of `table` from its own `evidence` and that of the `extraction`: every
    table of the extraction whose date format is not overridden, in contract order (`table`
    itself may be in it or not). An `override` wins. Raises FormatAmbiguity, naming a column
    and row of `table`, when its own dates prove both orders, when two tables prove opposite
    orders, or when no table proves either."""
    if override:
        return DateDecision(override)
    if not evidence.slashed:
        return DateDecision("YYYY-MM-DD")
    if evidence.day_first and evidence.month_first:
        column, row = _example(evidence, "DD/MM/YYYY")
        raise FormatAmbiguity(
            "date_format",
            f"dates are written {_where(table, evidence, 'DD/MM/YYYY')} and "
            f"{_where(table, evidence, 'MM/DD/YYYY')}; write every date of {table} as "
            "DD/MM/YYYY or YYYY-MM-DD",
            column=column,
            row=row,
        )
    own = _proof(evidence)
    column, row = _example(evidence, own)
    # One software writes every table of its export alike: the orders the tables prove.
    tables = {table: evidence, **(extraction or {})}
    proving = {
        order: [name for name, other in tables.items() if _proof(other) == order]
        for order in _ORDERS
    }
    day, month = proving["DD/MM/YYYY"], proving["MM/DD/YYYY"]
    if day and month:
        raise FormatAmbiguity(
            "date_format",
            f"the tables of this extraction write dates "
            f"{_where(day[0], tables[day[0]], 'DD/MM/YYYY')} and "
            f"{_where(month[0], tables[month[0]], 'MM/DD/YYYY')}, although one software writes "
            "every table of its export alike; check how each file was exported, and if they "
            "do differ, give each table's order in its own section: "
            + _override_hint(table, "date_format", own or "DD/MM/YYYY"),
            column=column,
            row=row,
        )
    if own is not None:
        return DateDecision(own)
    if day or month:
        return DateDecision("DD/MM/YYYY" if day else "MM/DD/YYYY", deduced=True)
    raise FormatAmbiguity(
        "date_format",
        f"the dates read both ways (from {column}, row {row}: every date is DD/MM/YYYY or "
        "MM/DD/YYYY, no number above 12 tells which, in this table or any other of the "
        "extraction); "
        + _override_hint(table, "date_format", "DD/MM/YYYY")
        + ", or write the dates as YYYY-MM-DD",
        column=column,
        row=row,
    )


def decide_date_formats(
    evidence: Mapping[str, DateEvidence], overrides: Mapping[str, str]
) -> dict[str, DateDecision | FormatAmbiguity]:
    """The date format of each table of an extraction from the `evidence` of every CSV table
    (in contract order) and the `date_format` `overrides` per table: the decision of
    `decide_date_format`, or the refusal it raises, for each table. A table whose format is
    overridden is no evidence for the others."""
    free = {name: own for name, own in evidence.items() if not overrides.get(name)}
    decisions: dict[str, DateDecision | FormatAmbiguity] = {}
    for name, own in evidence.items():
        try:
            decisions[name] = decide_date_format(name, own, overrides.get(name), free)
        except FormatAmbiguity as refusal:
            decisions[name] = refusal
    return decisions


# --- A comma-separated line with more fields than its header ---------------------------------

_WHOLE = re.compile(r"[+-]?[0-9]+")
_DIGITS = re.compile(r"[0-9]+")
_NUMBER = re.compile(r"([+-]?[0-9]*([.,][0-9]+)?)?")  # empty, 12, 12.5


def explain_extra_fields(
    table: Table, header: list[str], fields: list[str]
) -> tuple[str, str] | None:
    """(column, value) when the extra fields of a comma-separated line are explained by
    unquoted decimal commas in number columns, e.g. `12,5` in `value`; else None."""
    extra = len(fields) - len(header)
    numeric = {column.name for column in table.columns if column.kind in ("float", "int")}
    position, first = 0, None
    for name in header:
        if position >= len(fields):
            return None
        if (
            extra > 0
            and name in numeric
            and position + 1 < len(fields)
            and _WHOLE.fullmatch(fields[position].strip())
            and _DIGITS.fullmatch(fields[position + 1].strip())
        ):
            first = first or (name, f"{fields[position].strip()},{fields[position + 1].strip()}")
            position += 2
            extra -= 1
        elif name in numeric and not _NUMBER.fullmatch(fields[position].strip()):
            return None  # the fields do not line up with the header
        else:
            position += 1
    return first if extra == 0 and position == len(fields) else None


def with_overrides(dialect: CsvDialect, overrides: Mapping[str, str]) -> CsvDialect:
    """`dialect` noting which of its fields `csv_formats.toml` set."""
    return replace(dialect, overridden=tuple(key for key in _OVERRIDE_KEYS if key in overrides))

"""How a CSV table is written: separator, encoding, decimal mark and date format.

French schools' software and Excel write CSV with a semicolon, in Windows-1252 (cp1252),
with a decimal comma and dates as 25/11/2026; other tools write the contract's canonical form
(comma, UTF-8, decimal point, ISO dates). This module tells them apart from evidence and
nothing else: it is pure (bytes, text and counts in; a `CsvDialect` or a `FormatAmbiguity`
out). `features.extraction` gathers the evidence (the file's bytes, counts over its cells) and
reads every table through the one dialect decided here.

The rules, for each table file:

- Encoding: UTF-8 (a BOM is noted) when every byte is valid UTF-8; else Windows-1252 when the
  text is plausible as such (no byte cp1252 leaves undefined, no control character, no run of
  4 or more non-ASCII bytes as other multi-byte encodings write, no UTF-8 "é" beside invalid
  bytes, which is a file mixing two encodings); else refused.
- Separator: the one of `,` and `;` that splits the header into more contract column names;
  `,` when the header holds neither; refused on a tie.
- Decimal mark: a comma when numbers of the table are written `12,5` and none `12.5`, a point
  in the reverse case; refused when both appear.
- Dates: ISO `YYYY-MM-DD` are always read; slashed dates `DD/MM/YYYY` when one of them has a
  first number above 12 (it can only be a day), `MM/DD/YYYY` when one has a second number
  above 12; refused when every slashed date reads both ways, or when both proofs appear.

What detection cannot tell is said in a `csv_formats.toml` file in the extraction folder:
keys `separator`, `encoding`, `date_format` at the top apply to every table, under a
`[table]` section to that table only.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

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
    "DateEvidence",
    "FormatAmbiguity",
    "NumberEvidence",
    "decide_date_format",
    "decide_decimal_mark",
    "describe_format",
    "detect_encoding",
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

# A slashed date as the SQL evidence and the reading match it: 1 or 2 digits, 4-digit year.
SLASHED_DATE_REGEX = r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}"
SLASHED_DATE_PARTS_REGEX = r"^([0-9]{1,2})/([0-9]{1,2})/[0-9]{4}$"  # the same, its two numbers
COMMA_NUMBER_REGEX = r"[+-]?[0-9]*,[0-9]+"
POINT_NUMBER_REGEX = r"[+-]?[0-9]*\.[0-9]+"


@dataclass(frozen=True)
class CsvDialect:
    """How one CSV file is written. `overridden` names the fields set by `csv_formats.toml`."""

    separator: str = ","
    encoding: str = "utf-8"  # a Python codec name; "utf-8-sig" when the file starts with a BOM
    decimal_mark: str = "."
    date_format: str = "YYYY-MM-DD"
    overridden: tuple[str, ...] = ()

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
        }

    def describe(self) -> str:
        return describe_format(self.as_dict())


def describe_format(words: Mapping[str, str]) -> str:
    """One line from `CsvDialect.as_dict` (as kept in the validation report)."""
    text = (
        f"separator {words['separator']}, {words['encoding']}, decimal "
        f"{words['decimal_mark']}, dates {words['date_format']}"
    )
    if words.get("overridden"):
        text += f" (set in {OVERRIDES_FILE}: {words['overridden']})"
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


# --- Encoding ------------------------------------------------------------------------------

_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]{4,}")
# "é", "è", "à", "ç"... as UTF-8 writes them: beside bytes invalid in UTF-8, two encodings mixed.
_UTF8_LATIN = re.compile(rb"\xc3[\x80-\xbf]")
_CARRY = 3  # bytes kept from one chunk to the next so that a pattern across them is seen


def _first_cp1252_doubt(window: bytes) -> tuple[int, str] | None:
    """The first offset in `window` that makes Windows-1252 implausible, and why."""
    doubts = []
    undefined = [window.find(bytes([byte])) for byte in _CP1252_UNDEFINED]
    undefined = [offset for offset in undefined if offset >= 0]
    if undefined:
        doubts.append((min(undefined), "a byte that Windows-1252 leaves undefined"))
    for pattern, why in (
        (_CONTROL, "a control character"),
        (_NON_ASCII_RUN, "a run of bytes that French text in Windows-1252 does not have"),
    ):
        match = pattern.search(window)
        if match:
            doubts.append((match.start(), why))
    return min(doubts) if doubts else None


def _read_as(chunks: Iterable[bytes], encoding: str) -> str:
    """`encoding` when it reads every byte; "utf-8-sig" for UTF-8 with a BOM."""
    decoder = codecs.getincrementaldecoder(encoding)()
    position, prefix = 0, b""
    for chunk in chunks:
        prefix = (prefix + chunk[: len(codecs.BOM_UTF8)])[: len(codecs.BOM_UTF8)]
        try:
            decoder.decode(chunk, final=False)
        except UnicodeDecodeError as error:
            raise FormatAmbiguity(
                "encoding",
                f"a byte is not {encoding} text although {OVERRIDES_FILE} says so; fix the "
                "file or the encoding given",
                offset=position + error.start,
            ) from None
        position += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise FormatAmbiguity(
            "encoding", f"the file ends inside a {encoding} character", offset=position
        ) from None
    return "utf-8-sig" if encoding == "utf-8" and prefix == codecs.BOM_UTF8 else encoding


class _Cp1252Plausibility:
    """Reasons to doubt that a file's bytes, fed in order, are Windows-1252."""

    def __init__(self) -> None:
        self.doubt: tuple[int, str] | None = None
        self.utf8_latin: int | None = None
        self._tail = b""

    def feed(self, chunk: bytes, start: int) -> None:
        window = self._tail + chunk
        origin = start - len(self._tail)
        if self.doubt is None and (doubt := _first_cp1252_doubt(window)) is not None:
            self.doubt = (origin + doubt[0], doubt[1])
        if self.utf8_latin is None and (match := _UTF8_LATIN.search(window)):
            self.utf8_latin = origin + match.start()
        self._tail = window[-_CARRY:]


def _first_utf8_error(chunks: Iterable[bytes]) -> tuple[int | None, bool]:
    """The offset of the first byte invalid in UTF-8 (None if all are valid), and whether the
    file starts with a UTF-8 BOM. Decodes at C speed, keeping nothing."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    position, prefix = 0, b""
    for chunk in chunks:
        prefix = (prefix + chunk[: len(codecs.BOM_UTF8)])[: len(codecs.BOM_UTF8)]
        try:
            decoder.decode(chunk, final=False)
        except UnicodeDecodeError as error:
            return position + error.start, False
        position += len(chunk)
    pending = decoder.getstate()[0]
    if pending:
        return position - len(pending), False  # the file ends inside a character
    return None, prefix == codecs.BOM_UTF8


def detect_encoding(read_chunks: Callable[[], Iterable[bytes]], override: str | None = None) -> str:
    """The Python codec that reads the whole file; `read_chunks()` gives its bytes in order.

    UTF-8 first ("utf-8-sig" with a BOM); else Windows-1252 when plausible; `override` (a codec
    of `ENCODINGS`) is checked instead of guessed. Raises FormatAmbiguity with the byte offset
    of the first byte that cannot be read, or that makes the guess implausible. A UTF-8 file is
    read once; a file that is not is read a second time for the plausibility checks.
    """
    if override:
        return _read_as(read_chunks(), override)
    utf8_error, has_bom = _first_utf8_error(read_chunks())
    if utf8_error is None:
        return "utf-8-sig" if has_bom else "utf-8"
    plausibility = _Cp1252Plausibility()
    position = 0
    for chunk in read_chunks():
        plausibility.feed(chunk, position)
        position += len(chunk)
    if plausibility.utf8_latin is not None:
        raise FormatAmbiguity(
            "encoding",
            "the file mixes UTF-8 and another encoding (accents written both ways); export it "
            "again in one encoding (UTF-8 preferred)",
            offset=utf8_error,
        )
    if plausibility.doubt is not None:
        offset, why = plausibility.doubt
        raise FormatAmbiguity(
            "encoding",
            f"the encoding cannot be told: not UTF-8, and {why} rules out Windows-1252; export "
            f'the file as "CSV UTF-8", or add encoding = "..." to {OVERRIDES_FILE}',
            offset=offset,
        )
    return "cp1252"


# --- Separator -----------------------------------------------------------------------------


def _split(line: str, separator: str) -> list[str]:
    return [name.strip() for name in next(csv.reader(io.StringIO(line), delimiter=separator), [])]


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


def decide_date_format(table: str, evidence: DateEvidence, override: str | None = None) -> str:
    if override:
        return override
    if not evidence.slashed:
        return "YYYY-MM-DD"
    if evidence.day_first and evidence.month_first:
        assert evidence.first_day_first and evidence.first_month_first
        (day_column, day_row), (month_column, month_row) = (
            evidence.first_day_first,
            evidence.first_month_first,
        )
        raise FormatAmbiguity(
            "date_format",
            f"dates are written day first ({day_column}, row {day_row}) and month first "
            f"({month_column}, row {month_row}); write every date of {table} as DD/MM/YYYY or "
            "YYYY-MM-DD",
            column=day_column,
            row=day_row,
        )
    if evidence.day_first:
        return "DD/MM/YYYY"
    if evidence.month_first:
        return "MM/DD/YYYY"
    assert evidence.first_slashed
    column, row = evidence.first_slashed
    raise FormatAmbiguity(
        "date_format",
        f"the dates read both ways (from {column}, row {row}: every date is DD/MM/YYYY or "
        "MM/DD/YYYY, no number above 12 tells which); "
        + _override_hint(table, "date_format", "DD/MM/YYYY")
        + ", or write the dates as YYYY-MM-DD",
        column=column,
        row=row,
    )


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

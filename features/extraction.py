"""Reading an extraction folder into DuckDB: the one I/O edge for input tables.

An extraction is a folder with one file per contract table, `<table>.csv` or
`<table>.parquet`. A CSV file is read through the dialect `features.csv_dialect` detects
(separator, encoding, decimal mark, date format; the date format is decided over every table
of the extraction, which one software writes alike; a Windows-1252 file is first transcoded to
a private temporary UTF-8 copy, removed on `close`), and its decimal commas and slashed dates
are rewritten to the canonical `12.5` and `YYYY-MM-DD` in the raw views, so that every reader
sees the same text whichever way the file was written. `open_extraction` registers two views
per table in a DuckDB connection:

- `raw_<table>`: every contract column as text, absent optional columns as NULL, plus `_row`,
  the 1-based data row in the file (for CSV, the line number is `_row + 1`). Validation reads
  these, so that a bad cell is reported rather than crashing a cast.
- `<table>`: typed columns (DATE, BIGINT, DOUBLE, BOOLEAN, text), empty cells as NULL and
  contract defaults filled in. The feature builder reads these, only after validation passed.

Nothing is loaded into memory: DuckDB scans the files when a query runs, so an extraction
larger than memory still works.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import shutil
import tempfile
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from features.contract import REQUIRED_TABLES, TABLES, Column, Table
from features.csv_dialect import (
    COMMA_NUMBER_REGEX,
    DATE_FORMATS,
    OVERRIDES_FILE,
    POINT_NUMBER_REGEX,
    SLASHED_DATE_PARTS_REGEX,
    SLASHED_DATE_REGEX,
    CsvDialect,
    DateDecision,
    DateEvidence,
    FormatAmbiguity,
    NumberEvidence,
    decide_date_formats,
    decide_decimal_mark,
    detect_separator,
    explain_extra_fields,
    parse_overrides,
    with_overrides,
)
from features.csv_encoding import detect_encoding

if TYPE_CHECKING:
    from features.validation import ValidationReport

__all__ = [
    "Extraction",
    "ExtractionReadError",
    "open_extraction",
    "scan_sql",
    "text_select",
]

_SNIFF_BYTES = 64 * 1024
_CHUNK_BYTES = 1024 * 1024

logger = logging.getLogger(__name__)


class ExtractionReadError(Exception):
    """A table file that cannot be read at all (encoding, separator, broken line...).

    `rule` is `unreadable_file`, or `ambiguous_format` when the way the file is written cannot
    be told for sure; `column` names the column at fault when one is."""

    def __init__(
        self,
        table: str,
        path: Path,
        message: str,
        line: int | None = None,
        *,
        column: str | None = None,
        rule: str = "unreadable_file",
    ):
        self.table = table
        self.path = path
        self.line = line
        self.message = message
        self.column = column
        self.rule = rule
        where = f"{path.name}" + (f", line {line}" if line is not None else "")
        where += f", column {column}" if column is not None else ""
        super().__init__(f"table {table} ({where}): {message}")


@dataclass(frozen=True)
class TableFile:
    table: str
    path: Path
    columns: tuple[str, ...]  # column names found in the file, in file order
    dialect: CsvDialect | None = None  # how a CSV file is written; None for Parquet
    read_path: Path | None = None  # the UTF-8 copy DuckDB reads, when the file is not UTF-8

    @property
    def is_parquet(self) -> bool:
        return self.path.suffix == ".parquet"

    @property
    def source(self) -> Path:
        return self.read_path or self.path


@dataclass
class Extraction:
    """An opened extraction: its folder, the files found, and the DuckDB connection."""

    directory: Path
    files: dict[str, TableFile]
    missing: tuple[str, ...]
    unreadable: dict[str, ExtractionReadError]
    con: duckdb.DuckDBPyConnection
    # The validation report, set by `features.validation.require_valid` once it passed.
    report: ValidationReport | None = None
    # Where DuckDB spills what does not fit in its memory limit, when the connection is ours.
    spill_directory: Path | None = None
    # UTF-8 copies of files written in another encoding, removed on close.
    transcoded_directory: Path | None = None

    @property
    def formats(self) -> dict[str, dict[str, str]]:
        """How each CSV table is written (separator, encoding, decimal mark, date format)."""
        return {
            name: table_file.dialect.as_dict()
            for name, table_file in self.files.items()
            if table_file.dialect is not None
        }

    def close(self) -> None:
        self.con.close()
        for directory in (self.spill_directory, self.transcoded_directory):
            if directory is not None:
                shutil.rmtree(directory, ignore_errors=True)

    def __enter__(self) -> Extraction:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            yield chunk


def _line_at(path: Path, offset: int) -> tuple[int, bytes]:
    """The 1-based line holding byte `offset`, and that line's bytes up to the offset."""
    line, before, position = 1, b"", 0
    for chunk in _chunks(path):
        piece = chunk[: max(0, offset - position)]
        newlines = piece.count(b"\n")
        line += newlines
        before = piece[piece.rfind(b"\n") + 1 :] if newlines else before + piece
        position += len(chunk)
        if position >= offset:
            break
    return line, before


def _encoding_error(
    table: Table, path: Path, header: tuple[str, ...], separator: str, error: FormatAmbiguity
) -> ExtractionReadError:
    """Where an encoding problem is: its line, and its column counted from the separators."""
    line, before = _line_at(path, error.offset or 0)
    column = None
    if line > 1:
        fields = next(csv.reader(io.StringIO(before.decode("latin-1")), delimiter=separator), [])
        index = max(len(fields) - 1, 0)
        column = header[index] if index < len(header) else None
    return ExtractionReadError(
        table.name, path, error.message, line, column=column, rule="ambiguous_format"
    )


def _header_text(head: bytes, encoding: str) -> str:
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    # Not splitlines(): it also breaks on characters such as U+0085 that a header may hold.
    return text.removeprefix("\ufeff").split("\n", 1)[0].rstrip("\r")


def _check_header(table: str, path: Path, names: tuple[str, ...], first_line: str) -> None:
    if "" in names:
        raise ExtractionReadError(
            table, path, "the header has an empty column name (a trailing separator?)", 1
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ExtractionReadError(
            table, path, f"the header names {', '.join(repeated)} more than once", 1
        )
    if not set(TABLES[table].column_names) & set(names):
        shown = first_line[:80]
        raise ExtractionReadError(
            table,
            path,
            f"the first line is not a header of {table} columns (found {shown!r})",
            1,
        )


def _csv_layout(
    table: Table, path: Path, overrides: Mapping[str, str]
) -> tuple[tuple[str, ...], str, str]:
    """The header names, separator and encoding of a CSV file, without trusting its content."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if not head.strip():
        raise ExtractionReadError(table.name, path, "the file is empty (no header row)")
    if b"\x00" in head:
        raise ExtractionReadError(
            table.name, path, "the file holds binary data (NUL bytes), not CSV text"
        )
    try:
        encoding = detect_encoding(lambda: _chunks(path), overrides.get("encoding"))
    except FormatAmbiguity as error:
        first_line = _header_text(head, "latin-1")
        try:
            separator = detect_separator(first_line, table, overrides.get("separator"))
        except FormatAmbiguity:
            separator = ","
        names = tuple(
            name.strip()
            for name in next(csv.reader(io.StringIO(first_line), delimiter=separator), [])
        )
        raise _encoding_error(table, path, names, separator, error) from None
    first_line = _header_text(head, encoding)
    try:
        separator = detect_separator(first_line, table, overrides.get("separator"))
    except FormatAmbiguity as error:
        raise ExtractionReadError(
            table.name, path, error.message, 1, rule="ambiguous_format"
        ) from None
    header = next(csv.reader(io.StringIO(first_line), delimiter=separator), [])
    names = tuple(name.strip() for name in header)
    _check_header(table.name, path, names, first_line)
    return names, separator, encoding


def _transcode(path: Path, encoding: str, directory: Path) -> Path:
    """A UTF-8 copy of `path` (read with `encoding`) in `directory`."""
    target = directory / path.name
    decoder = codecs.getincrementaldecoder(encoding)()
    with target.open("w", encoding="utf-8", newline="") as out:
        for chunk in _chunks(path):
            out.write(decoder.decode(chunk))
        out.write(decoder.decode(b"", final=True))
    return target


def _parquet_columns(table: str, path: Path, con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    try:
        rows = con.execute(
            f"SELECT name FROM parquet_schema({_sql_string(str(path))}) WHERE name <> 'schema'"
        ).fetchall()
    except duckdb.Error as error:
        raise ExtractionReadError(
            table, path, f"not a readable Parquet file ({_first_line(error)})"
        ) from None
    return tuple(row[0] for row in rows)


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0][:200]


def scan_sql(table_file: TableFile) -> str:
    """DuckDB's scan of a table's file: Parquet with its row numbers, or CSV read as text in
    the file's own dialect (the columns as the header names them)."""
    path = _sql_string(str(table_file.source))
    if table_file.is_parquet:
        return f"read_parquet({path}, file_row_number = true, hive_partitioning = false)"
    columns = ", ".join(f"{_sql_string(name)}: 'VARCHAR'" for name in table_file.columns)
    separator = _sql_string(table_file.dialect.separator if table_file.dialect else ",")
    return (
        f"read_csv({path}, header = true, delim = {separator}, quote = '\"', escape = '\"', "
        f"auto_detect = false, strict_mode = true, null_padding = false, "
        f"columns = {{{columns}}})"
    )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def text_select(table: Table, table_file: TableFile) -> str:
    """Every contract column as trimmed text (NULL when empty or absent) and `_row`."""
    parts = []
    for column in table.columns:
        if column.name in table_file.columns:
            cell = f"CAST({_quoted(column.name)} AS VARCHAR)"
            if table_file.is_parquet and column.kind == "date":
                # A Parquet DATE or TIMESTAMP becomes ISO text; a text cell that is not a
                # date is kept as written, so that validation can show it.
                cell = (
                    f"coalesce(strftime(TRY_CAST({_quoted(column.name)} AS DATE), '%Y-%m-%d'), "
                    f"{cell})"
                )
            parts.append(f"NULLIF(trim({cell}), '') AS {_quoted(column.name)}")
        else:
            parts.append(f"CAST(NULL AS VARCHAR) AS {_quoted(column.name)}")
    if table_file.is_parquet:
        row = "CAST(file_row_number AS BIGINT) + 1"
    else:
        row = "CAST(row_number() OVER () AS BIGINT)"
    parts.append(f"{row} AS _row")
    return f"SELECT {', '.join(parts)} FROM {scan_sql(table_file)}"


def _canonical_cell(column: Column, dialect: CsvDialect) -> str:
    """A cell as the contract writes it: `12,5` as `12.5`, a slashed date as `YYYY-MM-DD`,
    `VRAI` as `true`.
    A cell that does not read in the file's dialect is kept as written, for validation."""
    cell = _quoted(column.name)
    if column.kind == "date" and dialect.date_format != "YYYY-MM-DD":
        pattern = _sql_string(DATE_FORMATS[dialect.date_format])
        cell = (
            f"CASE WHEN regexp_full_match({cell}, {_sql_string(SLASHED_DATE_REGEX)}) "
            f"THEN coalesce(strftime(try_strptime({cell}, {pattern}), '%Y-%m-%d'), {cell}) "
            f"ELSE {cell} END"
        )
    elif column.kind == "bool":
        # French Excel saves the booleans it has read as VRAI and FAUX.
        cell = (
            f"CASE lower({cell}) WHEN 'vrai' THEN 'true' WHEN 'faux' THEN 'false' ELSE {cell} END"
        )
    elif column.kind in ("float", "int") and dialect.decimal_mark == ",":
        cell = (
            f"CASE WHEN regexp_full_match({cell}, {_sql_string(COMMA_NUMBER_REGEX)}) "
            f"THEN replace({cell}, ',', '.') ELSE {cell} END"
        )
    return f"{cell} AS {_quoted(column.name)}"


def _raw_select(table: Table, table_file: TableFile) -> str:
    text = text_select(table, table_file)
    if table_file.dialect is None:
        return text
    cells = ", ".join(_canonical_cell(column, table_file.dialect) for column in table.columns)
    return f"SELECT {cells}, _row FROM ({text})"


def _evidence_columns(table: Table, table_file: TableFile, kinds: tuple[str, ...]) -> list[str]:
    return [c.name for c in table.columns if c.kind in kinds and c.name in table_file.columns]


def _counted(condition: str, rows: bool) -> list[str]:
    """The count of the cells meeting `condition`, and their first row if `rows`."""
    first_row = f"min(_row) FILTER ({condition})" if rows else "NULL"
    return [f"count(*) FILTER ({condition})", first_row]


def _first(pairs: list[tuple[str, int, int | None]]) -> tuple[str, int] | None:
    """The earliest (column, row) among (column, count, first row) with a count."""
    found = [(row, index, column) for index, (column, count, row) in enumerate(pairs) if count]
    return (min(found)[2], min(found)[0]) if found else None  # type: ignore[return-value]  # a count has a row


def _has_slashes_or_commas(
    table: Table, table_file: TableFile, con: duckdb.DuckDBPyConnection
) -> bool:
    """Whether a date cell holds a `/` or a number cell a `,`: one quick scan of the whole
    file (which also finds a broken line anywhere in it), so that only a file written another
    way than the canonical one pays for counting its evidence."""
    cells = [
        f"contains({_quoted(name)}, '{mark}')"
        for kinds, mark in ((("date",), "/"), (("float", "int"), ","))
        for name in _evidence_columns(table, table_file, kinds)
    ]
    query = f"SELECT count(*) FILTER ({' OR '.join(cells) or 'false'}) FROM "
    # Straight from the scan: only the columns read are parsed.
    row = con.execute(query + scan_sql(table_file)).fetchone()
    return row is not None and row[0] > 0


def _evidence(
    table: Table, table_file: TableFile, con: duckdb.DuckDBPyConnection, rows: bool = False
) -> tuple[DateEvidence, NumberEvidence]:
    """Count, in one scan of the file, its slashed dates and its decimal commas and points,
    with the first row of each when `rows` (numbering rows makes the scan longer, so only a
    refusal asks for them). Each cell is matched once, and only if it holds a `/` or a mark
    (CASE is lazy where FILTER is not)."""
    dates = _evidence_columns(table, table_file, ("date",))
    numbers = _evidence_columns(table, table_file, ("float", "int"))
    slashed = _sql_string(SLASHED_DATE_PARTS_REGEX)
    flags, parts = [], ["count(*)"]
    for index, name in enumerate(dates):
        cell, parsed = _quoted(name), f"_date_{index}"
        flags.append(
            f"CASE WHEN contains({cell}, '/') THEN regexp_extract({cell}, {slashed}, "
            f"['first', 'second']) END AS {parsed}"
        )
        first, second = (f"TRY_CAST({parsed}.{part} AS INTEGER)" for part in ("first", "second"))
        parts += _counted(f"{parsed}.first <> ''", rows)
        # Only a day is above 12: `25/11` is day first, `11/25` month first (`25/25` neither).
        parts += _counted(f"{first} > 12 AND {second} <= 12", rows)
        parts += _counted(f"{second} > 12 AND {first} <= 12", rows)
    for index, name in enumerate(numbers):
        cell = _quoted(name)
        for mark, regex in ((",", COMMA_NUMBER_REGEX), (".", POINT_NUMBER_REGEX)):
            flag = f"_number_{index}_{'comma' if mark == ',' else 'point'}"
            flags.append(
                f"CASE WHEN contains({cell}, '{mark}') "
                f"THEN regexp_full_match({cell}, {_sql_string(regex)}) ELSE false END AS {flag}"
            )
            parts += _counted(flag, rows)
    text = text_select(table, table_file)
    source = f"SELECT *, {', '.join(flags) or 'NULL AS _nothing'} FROM ({text})"
    row = con.execute(f"SELECT {', '.join(parts)} FROM ({source})").fetchone()
    assert row is not None
    values = list(row[1:])
    per_date = [(name, *values[6 * i : 6 * i + 6]) for i, name in enumerate(dates)]
    values = values[6 * len(dates) :]
    per_number = [(name, *values[4 * i : 4 * i + 4]) for i, name in enumerate(numbers)]
    date_evidence = DateEvidence(
        slashed=sum(d[1] for d in per_date),
        day_first=sum(d[3] for d in per_date),
        month_first=sum(d[5] for d in per_date),
        first_slashed=_first([(d[0], d[1], d[2]) for d in per_date]),
        first_day_first=_first([(d[0], d[3], d[4]) for d in per_date]),
        first_month_first=_first([(d[0], d[5], d[6]) for d in per_date]),
    )
    number_evidence = NumberEvidence(
        comma=sum(n[1] for n in per_number),
        point=sum(n[3] for n in per_number),
        first_comma=_first([(n[0], n[1], n[2]) for n in per_number]),
        first_point=_first([(n[0], n[3], n[4]) for n in per_number]),
    )
    return date_evidence, number_evidence


_SQL_TYPES = {
    "string": "VARCHAR",
    "code": "VARCHAR",
    "school_year": "VARCHAR",
    "date": "DATE",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
}


def _typed_expression(column: Column) -> str:
    cell = _quoted(column.name)
    if column.default is not None:
        cell = f"coalesce({cell}, {_sql_string(column.default)})"
    if column.kind == "bool":
        return f"(lower({cell}) IN ('true', '1')) AS {_quoted(column.name)}"
    if column.kind == "int":
        return f"CAST(CAST({cell} AS DOUBLE) AS BIGINT) AS {_quoted(column.name)}"
    return f"CAST({cell} AS {_SQL_TYPES[column.kind]}) AS {_quoted(column.name)}"


def _typed_select(table: Table) -> str:
    expressions = ", ".join(_typed_expression(column) for column in table.columns)
    return f"SELECT {expressions}, _row FROM raw_{table.name}"


# Parquet physical types (as DuckDB names them) that already are a contract kind.
_NATIVE_TYPES: dict[str, frozenset[str]] = {
    "date": frozenset({"DATE"}),
    "bool": frozenset({"BOOLEAN"}),
    "float": frozenset({"DOUBLE", "FLOAT"}),
    "int": frozenset({"BIGINT", "INTEGER", "SMALLINT", "TINYINT"}),
    "string": frozenset({"VARCHAR"}),
    "code": frozenset({"VARCHAR"}),
    "school_year": frozenset({"VARCHAR"}),
}


def _native_typed_select(
    table: Table, table_file: TableFile, con: duckdb.DuckDBPyConnection
) -> str | None:
    """The typed view read straight from a Parquet file whose columns already have the
    contract's types (no round trip through text), or None when any column does not."""
    described = con.execute(f"DESCRIBE SELECT * FROM {scan_sql(table_file)}").fetchall()
    types = {row[0]: row[1] for row in described}
    parts = []
    for column in table.columns:
        name = _quoted(column.name)
        target = _SQL_TYPES[column.kind]
        if column.name not in types:
            value = _sql_string(column.default) if column.default is not None else "NULL"
            parts.append(f"CAST({value} AS {target}) AS {name}")
            continue
        if types[column.name] not in _NATIVE_TYPES[column.kind]:
            return None
        cell = f"NULLIF(trim({name}), '')" if target == "VARCHAR" else f"CAST({name} AS {target})"
        if column.default is not None:
            cell = f"coalesce({cell}, CAST({_sql_string(column.default)} AS {target}))"
        parts.append(f"{cell} AS {name}")
    parts.append("CAST(file_row_number AS BIGINT) + 1 AS _row")
    return f"SELECT {', '.join(parts)} FROM {scan_sql(table_file)}"


def _unquoted_decimal_comma(table_file: TableFile, line: int) -> tuple[str, str] | None:
    """(column, value) when line `line` of a comma-separated file has more fields than its
    header because of unquoted decimal commas."""
    if table_file.dialect is None or table_file.dialect.separator != ",":
        return None
    with table_file.source.open(encoding="utf-8-sig", newline="") as handle:
        for number, text in enumerate(handle, start=1):
            if number == line:
                fields = next(csv.reader(io.StringIO(text)), [])
                return explain_extra_fields(
                    TABLES[table_file.table], list(table_file.columns), fields
                )
    return None


def _read_error(table: str, table_file: TableFile, error: duckdb.Error) -> ExtractionReadError:
    text = str(error)
    line_match = re.search(r"CSV Error on Line: (\d+)", text)
    line = int(line_match.group(1)) if line_match else None
    if "Invalid unicode" in text:
        message = "the file is not UTF-8 text (wrong encoding? save it as UTF-8)"
    elif match := re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text):
        expected, found = match.groups()
        decimal_comma = line and _unquoted_decimal_comma(table_file, line)
        if decimal_comma:
            column, value = decimal_comma
            return ExtractionReadError(
                table,
                table_file.path,
                f"a number is written with a decimal comma ({value}) in a comma-separated "
                "file without quotes, so it splits in two fields; export with semicolons "
                '(";", as French Excel does), quote such numbers ("12,5"), or use a decimal '
                "point",
                line,
                column=column,
                rule="ambiguous_format",
            )
        message = (
            f"expected {expected} fields as in the header, found {found} "
            "(a truncated line, or a separator inside an unquoted value)"
        )
    elif "unterminated quote" in text:
        message = "a quoted value is never closed (truncated file?)"
    else:
        message = f"cannot be read: {_first_line(error)}"
    return ExtractionReadError(table, table_file.path, message, line)


class _TranscodedFolder:
    """A private folder for UTF-8 copies, created on first use."""

    def __init__(self) -> None:
        self.path: Path | None = None

    def get(self) -> Path:
        if self.path is None:
            self.path = Path(tempfile.mkdtemp(prefix="vigie-csv-"))
        return self.path


def _ambiguous(table: str, path: Path, error: FormatAmbiguity) -> ExtractionReadError:
    line = error.row + 1 if error.row is not None else None
    return ExtractionReadError(
        table, path, error.message, line, column=error.column, rule="ambiguous_format"
    )


def _inspect_csv(
    table: Table,
    path: Path,
    con: duckdb.DuckDBPyConnection,
    overrides: Mapping[str, str],
    transcoded: _TranscodedFolder,
) -> tuple[TableFile, DateEvidence]:
    """How a CSV file is written, from its bytes then from its cells: its file, with every
    field of its dialect but the date format, and the evidence of its dates (the date format
    is decided over the whole extraction)."""
    columns, separator, encoding = _csv_layout(table, path, overrides)
    dialect = CsvDialect(separator=separator, encoding=encoding)
    read_path = None if dialect.is_utf8 else _transcode(path, encoding, transcoded.get())
    table_file = TableFile(table.name, path, columns, dialect, read_path)
    try:
        dates, numbers = DateEvidence(), NumberEvidence()
        if _has_slashes_or_commas(table, table_file, con):
            dates, numbers = _evidence(table, table_file, con)
        try:
            decimal_mark = decide_decimal_mark(table.name, numbers)
        except FormatAmbiguity:
            # Count again with the rows, for the refusal to name one.
            decide_decimal_mark(table.name, _evidence(table, table_file, con, rows=True)[1])
            raise
    except duckdb.Error as error:
        raise _read_error(table.name, table_file, error) from None
    except FormatAmbiguity as error:
        raise _ambiguous(table.name, path, error) from None
    dialect = CsvDialect(separator, encoding, decimal_mark)
    return TableFile(table.name, path, columns, dialect, read_path), dates


def _decide_dates(
    files: Mapping[str, TableFile],
    dates: Mapping[str, DateEvidence],
    overrides: Mapping[str, Mapping[str, str]],
    con: duckdb.DuckDBPyConnection,
) -> dict[str, DateDecision | FormatAmbiguity]:
    """The date format of each CSV table, decided over all of them from the evidence of their
    `dates`; when one is refused, decided again on evidence counted with its rows, for the
    refusal to name them."""
    formats = {name: overrides.get(name, {}).get("date_format", "") for name in dates}
    evidence = {name: dates[name] for name in TABLES if name in dates}
    decisions = decide_date_formats(evidence, formats)
    if not any(isinstance(decision, FormatAmbiguity) for decision in decisions.values()):
        return decisions
    for name, own in evidence.items():
        if own.slashed and not formats[name]:  # a file read once already, without error
            evidence[name] = _evidence(TABLES[name], files[name], con, rows=True)[0]
    return decide_date_formats(evidence, formats)


def _with_dates(
    table_file: TableFile, decision: DateDecision, overrides: Mapping[str, str]
) -> TableFile:
    """`table_file` read with the date format decided."""
    assert table_file.dialect is not None
    dialect = replace(
        table_file.dialect,
        date_format=decision.date_format,
        deduced=("date_format",) if decision.deduced else (),
    )
    return replace(table_file, dialect=with_overrides(dialect, overrides))


def _read_overrides(
    directory: Path,
) -> tuple[dict[str, dict[str, str]], ExtractionReadError | None]:
    """The per-table settings of `csv_formats.toml`, if the extraction has one."""
    path = directory / OVERRIDES_FILE
    if not path.is_file():
        return {}, None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        message = f"{OVERRIDES_FILE} is not valid UTF-8 TOML: {_first_line(error)}"
        return {}, ExtractionReadError("extraction", path, message)
    try:
        return parse_overrides(data, TABLES), None
    except ValueError as error:
        return {}, ExtractionReadError("extraction", path, str(error))


def open_extraction(
    directory: str | Path,
    con: duckdb.DuckDBPyConnection | None = None,
    tables: Iterable[str] | None = None,
) -> Extraction:
    """Find the table files of an extraction and register `raw_<table>` and `<table>` views.

    Tables whose file is missing are listed in `missing`; files that cannot be read (encoding,
    separator, broken lines, a format that cannot be told) in `unreadable`, each with a clear
    message. Every readable file is scanned once here, so that a broken line deep in a file is
    found before any work starts. How each CSV file is written is logged (never a cell).
    `tables` opens only those (e.g. a page reading one student's events), in contract order.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"extraction folder {directory} does not exist")
    spill_directory = None
    if con is None:
        con = duckdb.connect()
        # A per-connection setting: DuckDB 2.0 refuses it in `connect(config=...)`.
        con.execute("SET enable_progress_bar = false")
        # DuckDB's default spill folder is `.tmp` in the working directory; use a private one.
        spill_directory = Path(tempfile.mkdtemp(prefix="vigie-duckdb-"))
        con.execute(f"SET temp_directory = {_sql_string(str(spill_directory))}")
    files: dict[str, TableFile] = {}
    unreadable: dict[str, ExtractionReadError] = {}
    overrides, overrides_error = _read_overrides(directory)
    if overrides_error is not None:
        unreadable[OVERRIDES_FILE] = overrides_error
    transcoded = _TranscodedFolder()
    found_others: dict[str, TableFile] = {}
    try:
        wanted = set(TABLES if tables is None else tables)
        dates: dict[str, DateEvidence] = {}
        found = _find_files(directory, con, overrides, transcoded, wanted, unreadable, dates)
        missing = [
            name for name in REQUIRED_TABLES if name in wanted - found.keys() - unreadable.keys()
        ]
        if tables is not None and any(
            evidence.slashed and not overrides.get(name, {}).get("date_format")
            for name, evidence in dates.items()
        ):
            # The tables left out still tell how the export writes its dates: the same
            # decision as when every table is opened.
            others = set(TABLES) - wanted
            found_others = _find_files(directory, con, overrides, transcoded, others, {}, dates)
        decisions = _decide_dates({**found, **found_others}, dates, overrides, con)
        for name, table_file in found.items():
            decision = decisions.get(name)
            if isinstance(decision, FormatAmbiguity):
                unreadable[name] = _ambiguous(name, table_file.path, decision)
                continue
            if decision is not None:
                table_file = _with_dates(table_file, decision, overrides.get(name, {}))
            try:
                files[name] = _register_views(TABLES[name], table_file, con)
            except ExtractionReadError as error:
                unreadable[name] = error
                con.execute(f"DROP VIEW IF EXISTS raw_{name}")
    except BaseException:
        if transcoded.path is not None:
            shutil.rmtree(transcoded.path, ignore_errors=True)
        raise
    return Extraction(
        directory,
        files,
        tuple(missing),
        unreadable,
        con,
        spill_directory=spill_directory,
        transcoded_directory=transcoded.path,
    )


def _find_files(
    directory: Path,
    con: duckdb.DuckDBPyConnection,
    overrides: Mapping[str, Mapping[str, str]],
    transcoded: _TranscodedFolder,
    names: set[str],
    unreadable: dict[str, ExtractionReadError],
    dates: dict[str, DateEvidence],
) -> dict[str, TableFile]:
    """The file of each table of `names` that has one, in contract order: a Parquet file, or
    a CSV file inspected, its date format still to decide from the evidence of its dates, put
    in `dates`. A file that cannot be read goes to `unreadable`; a table without a file is
    left out."""
    found: dict[str, TableFile] = {}
    for name, table in TABLES.items():
        if name not in names:
            continue
        candidates = [directory / f"{name}.{ext}" for ext in ("csv", "parquet")]
        present = [path for path in candidates if path.is_file()]
        if len(present) == 2:
            unreadable[name] = ExtractionReadError(
                name, present[0], f"both {name}.csv and {name}.parquet exist; keep one"
            )
        elif present and present[0].suffix == ".csv":
            try:
                found[name], dates[name] = _inspect_csv(
                    table, present[0], con, overrides.get(name, {}), transcoded
                )
            except ExtractionReadError as error:
                unreadable[name] = error
        elif present:
            try:
                columns = _parquet_columns(name, present[0], con)
            except ExtractionReadError as error:
                unreadable[name] = error
                continue
            found[name] = TableFile(name, present[0], columns)
    return found


def _register_views(
    table: Table, table_file: TableFile, con: duckdb.DuckDBPyConnection
) -> TableFile:
    """Register the `raw_<table>` and `<table>` views of one file."""
    name = table.name
    try:
        con.execute(f"CREATE OR REPLACE VIEW raw_{name} AS {_raw_select(table, table_file)}")
        if table_file.is_parquet:
            con.execute(f"SELECT count(*) FROM raw_{name}").fetchone()
        typed = table_file.is_parquet and _native_typed_select(table, table_file, con)
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {typed or _typed_select(table)}")
    except duckdb.Error as error:
        raise _read_error(name, table_file, error) from None
    if table_file.dialect is not None:
        logger.info("%s read as: %s", table_file.path.name, table_file.dialect.describe())
    return table_file

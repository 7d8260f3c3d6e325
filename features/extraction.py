"""Reading an extraction folder into DuckDB: the one I/O edge for input tables.

An extraction is a folder with one file per contract table, `<table>.csv` or
`<table>.parquet`. `open_extraction` registers two views per table in a DuckDB connection:

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
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from features.contract import TABLES, Column, Table

if TYPE_CHECKING:
    from features.validation import ValidationReport

__all__ = [
    "Extraction",
    "ExtractionReadError",
    "open_extraction",
]

_SNIFF_BYTES = 64 * 1024


class ExtractionReadError(Exception):
    """A table file that cannot be read at all (encoding, separator, broken line...)."""

    def __init__(self, table: str, path: Path, message: str, line: int | None = None):
        self.table = table
        self.path = path
        self.line = line
        self.message = message
        where = f"{path.name}" + (f", line {line}" if line is not None else "")
        super().__init__(f"table {table} ({where}): {message}")


@dataclass(frozen=True)
class TableFile:
    table: str
    path: Path
    columns: tuple[str, ...]  # column names found in the file, in file order

    @property
    def is_parquet(self) -> bool:
        return self.path.suffix == ".parquet"


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

    def close(self) -> None:
        self.con.close()
        if self.spill_directory is not None:
            shutil.rmtree(self.spill_directory, ignore_errors=True)

    def __enter__(self) -> Extraction:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _csv_header(table: str, path: Path) -> tuple[str, ...]:
    """Read and check the header of a CSV file without trusting its content."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if not head.strip():
        raise ExtractionReadError(table, path, "the file is empty (no header row)")
    if b"\x00" in head:
        raise ExtractionReadError(
            table, path, "the file holds binary data (NUL bytes), not CSV text"
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(head, final=False)
    except UnicodeDecodeError as error:
        line = head[: error.start].count(b"\n") + 1
        raise ExtractionReadError(
            table, path, "the file is not UTF-8 text (wrong encoding? save it as UTF-8)", line
        ) from None
    text = text.removeprefix("\ufeff")
    first_line = text.splitlines()[0] if text.splitlines() else ""
    header = next(csv.reader(io.StringIO(first_line)), [])
    names = tuple(name.strip() for name in header)
    if "" in names:
        raise ExtractionReadError(
            table, path, "the header has an empty column name (a trailing comma?)", 1
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ExtractionReadError(
            table, path, f"the header names {', '.join(repeated)} more than once", 1
        )
    if len(names) == 1:
        for separator, label in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if separator in names[0]:
                raise ExtractionReadError(
                    table,
                    path,
                    f"the header is separated by {label}s; the contract asks for commas",
                    1,
                )
    expected = set(TABLES[table].column_names)
    if not expected & set(names):
        shown = first_line[:80]
        raise ExtractionReadError(
            table,
            path,
            f"the first line is not a header of {table} columns (found {shown!r})",
            1,
        )
    return names


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


def _scan_sql(table_file: TableFile) -> str:
    path = _sql_string(str(table_file.path))
    if table_file.is_parquet:
        return f"read_parquet({path}, file_row_number = true)"
    columns = ", ".join(f"{_sql_string(name)}: 'VARCHAR'" for name in table_file.columns)
    return (
        f"read_csv({path}, header = true, delim = ',', quote = '\"', escape = '\"', "
        f"auto_detect = false, strict_mode = true, null_padding = false, "
        f"columns = {{{columns}}})"
    )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _raw_select(table: Table, table_file: TableFile) -> str:
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
    return f"SELECT {', '.join(parts)} FROM {_scan_sql(table_file)}"


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
    described = con.execute(f"DESCRIBE SELECT * FROM {_scan_sql(table_file)}").fetchall()
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
    return f"SELECT {', '.join(parts)} FROM {_scan_sql(table_file)}"


def _read_error(table: str, table_file: TableFile, error: duckdb.Error) -> ExtractionReadError:
    text = str(error)
    line_match = re.search(r"CSV Error on Line: (\d+)", text)
    line = int(line_match.group(1)) if line_match else None
    if "Invalid unicode" in text:
        message = "the file is not UTF-8 text (wrong encoding? save it as UTF-8)"
    elif match := re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text):
        expected, found = match.groups()
        message = (
            f"expected {expected} fields as in the header, found {found} "
            "(a truncated line, or a comma inside an unquoted value)"
        )
    elif "unterminated quote" in text:
        message = "a quoted value is never closed (truncated file?)"
    else:
        message = f"cannot be read: {_first_line(error)}"
    return ExtractionReadError(table, table_file.path, message, line)


def open_extraction(
    directory: str | Path, con: duckdb.DuckDBPyConnection | None = None
) -> Extraction:
    """Find the table files of an extraction and register `raw_<table>` and `<table>` views.

    Tables whose file is missing are listed in `missing`; files that cannot be read (encoding,
    separator, broken lines) in `unreadable`, each with a clear message. Every readable file is
    scanned once here, so that a broken line deep in a file is found before any work starts.
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
    missing: list[str] = []
    unreadable: dict[str, ExtractionReadError] = {}
    for name, table in TABLES.items():
        candidates = [directory / f"{name}.{ext}" for ext in ("csv", "parquet")]
        present = [path for path in candidates if path.is_file()]
        if not present:
            missing.append(name)
            continue
        if len(present) == 2:
            unreadable[name] = ExtractionReadError(
                name, present[0], f"both {name}.csv and {name}.parquet exist; keep one"
            )
            continue
        path = present[0]
        try:
            if path.suffix == ".csv":
                columns = _csv_header(name, path)
            else:
                columns = _parquet_columns(name, path, con)
            table_file = TableFile(name, path, columns)
            try:
                con.execute(
                    f"CREATE OR REPLACE VIEW raw_{name} AS {_raw_select(table, table_file)}"
                )
                con.execute(f"SELECT count(*) FROM raw_{name}").fetchone()
                typed = table_file.is_parquet and _native_typed_select(table, table_file, con)
                con.execute(f"CREATE OR REPLACE VIEW {name} AS {typed or _typed_select(table)}")
            except duckdb.Error as error:
                raise _read_error(name, table_file, error) from None
        except ExtractionReadError as error:
            unreadable[name] = error
            con.execute(f"DROP VIEW IF EXISTS raw_{name}")
            continue
        files[name] = table_file
    return Extraction(
        directory, files, tuple(missing), unreadable, con, spill_directory=spill_directory
    )

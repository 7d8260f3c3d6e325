"""Validating an extraction against the contract, and the gate every command goes through.

Tables are checked one after the other, those that others refer to (establishments, students,
enrollments) first: each is scanned once for all its row checks, joined to small lookups of
the tables checked before it, then its unique key is checked. A table that is missing,
unreadable or empty is reported as such, and the rules that would read it are skipped with a
note rather than reported wrongly.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import duckdb

from features.contract import TABLE_ORDER, TABLES, Table
from features.extraction import Extraction, ExtractionReadError, open_extraction
from features.validation.cells import CellCheck, cell_checks
from features.validation.keys import KEY_CHECKS
from features.validation.references import LOOKUPS, MadeLookups, reference_checks
from features.validation.report import DEFAULT_MAX_EXAMPLES, ValidationReport, clip
from features.validation.scan import Findings, run_key_check, run_row_checks
from features.validation.sql import quoted

__all__ = [
    "InvalidExtractionError",
    "check_extraction",
    "require_valid",
    "validate_extraction",
]


class InvalidExtractionError(Exception):
    """The extraction breaks the data contract; `report` says where and how."""

    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(report.summary())


def _check_header(table: Table, columns: Sequence[str], file_name: str, found: Findings) -> None:
    unknown = [name for name in columns if name not in table.column_names]
    for name in table.required_names:
        if name in columns:
            continue
        hint = difflib.get_close_matches(name, unknown, n=1, cutoff=0.6)
        also = f" (found {hint[0]!r}: column names are exact, lower case)" if hint else ""
        found.add_one(
            table.name,
            "required_column",
            f"required column {name} is absent from the header of {file_name}{also}",
            column=name,
        )
    for name in unknown:
        found.add_one(
            table.name,
            "unknown_column",
            f"column {clip(name)} is not in the contract for {table.name}; it is ignored",
            column=clip(name),
        )


def _unreadable(found: Findings, error: ExtractionReadError) -> None:
    where = error.path.name + (f", line {error.line}" if error.line is not None else "")
    row = error.line - 1 if error.line is not None and error.line > 1 else None
    found.add_one(
        error.table, error.rule, f"{where}: {error.message}", row=row, column=error.column
    )


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else type(error).__name__


def _lookup_sources(usable: dict[str, frozenset[str]]) -> dict[str, set[str]]:
    """For each lookup, the source tables checked so far, non-empty, with the columns it reads."""
    return {
        name: {
            table
            for table, columns in lookup.sources.items()
            if table in usable and set(columns) <= usable[table]
        }
        for name, lookup in LOOKUPS.items()
    }


def _runnable(
    table: str, present: frozenset[str], usable: dict[str, frozenset[str]]
) -> tuple[list[CellCheck], list[str]]:
    """The row checks of `table` that can run, and notes about those that cannot for want of
    another table."""
    sources = _lookup_sources(usable)
    checks, notes = [], []
    for check in (*cell_checks(TABLES[table]), *reference_checks(table)):
        if not set(check.needs) <= present:
            continue  # the absent column is reported as required_column
        if check.lookup is not None:
            lacking = [name for name in check.uses if name not in sources[check.lookup]]
            if lacking:
                notes.append(
                    f"{check.rule} not checked in {table}: {', '.join(lacking)} is missing, "
                    "unreadable, empty or lacks a column"
                )
                continue
        checks.append(check)
    return checks, notes


class _LookupTables:
    """Each lookup built once per set of source tables, as a small temp table (one row per
    key), so that every table joining it does not rebuild it; dropped when validation ends.
    `given`: relations that already hold some lookups (by name and source tables), read
    rather than built, and left to their owner."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        given: MadeLookups | None = None,
    ):
        self._con = con
        self._given = dict(given or {})
        self._tables: dict[tuple[str, frozenset[str]], str] = {}

    def table(self, name: str, sources: set[str]) -> str:
        key = (name, frozenset(sources))
        if key in self._given:
            return self._given[key]
        if key not in self._tables:
            table = f"vigie_validation_lookup_{name}_{len(self._tables)}"
            self._con.execute(f"CREATE TEMP TABLE {table} AS {LOOKUPS[name].sql(sources)}")
            self._tables[key] = table
        return self._tables[key]

    def drop(self) -> None:
        for table in self._tables.values():
            self._con.execute(f"DROP TABLE IF EXISTS {table}")
        self._tables.clear()


def _source_sql(
    relation: str,
    checks: Iterable[CellCheck],
    usable: dict[str, frozenset[str]],
    lookups: _LookupTables,
) -> str:
    """`relation` (the rows of a table to check) LEFT JOINed to the lookups its checks read."""
    sources = _lookup_sources(usable)
    source = relation
    for name in sorted({check.lookup for check in checks if check.lookup is not None}):
        source += (
            f" LEFT JOIN {lookups.table(name, sources[name])} USING ({quoted(LOOKUPS[name].key)})"
        )
    return source


def _check_order(tables: Iterable[str]) -> list[str]:
    """Tables that lookups read first, then the others, each group in contract order."""
    referenced = {table for lookup in LOOKUPS.values() for table in lookup.sources}
    return sorted(tables, key=lambda table: (table not in referenced, TABLE_ORDER.index(table)))


class _Validation:
    """One validation run: the findings so far, and the tables that later checks may read."""

    def __init__(
        self,
        extraction: Extraction,
        max_examples: int,
        rows_of: Mapping[str, str] | None = None,
        lookups: MadeLookups | None = None,
    ):
        self.extraction = extraction
        self.rows_of = dict(rows_of or {})
        self.found = Findings(max_examples)
        self.usable: dict[str, frozenset[str]] = {}  # readable, non-empty tables: columns
        self.row_counts: dict[str, int] = {}
        self.notes: list[str] = []
        self.lookups = _LookupTables(extraction.con, lookups)

    def check_files(self) -> None:
        directory = self.extraction.directory
        for name in self.extraction.missing:
            self.found.add_one(
                name, "missing_table", f"no {name}.csv or {name}.parquet in {directory}"
            )
        for error in self.extraction.unreadable.values():
            _unreadable(self.found, error)

    def check_table(self, name: str) -> None:
        """Check the header, scan the table once for its row checks, then its unique key."""
        table_file = self.extraction.files[name]
        present = frozenset(table_file.columns)
        _check_header(TABLES[name], table_file.columns, table_file.path.name, self.found)
        checks, skipped = _runnable(name, present, self.usable)
        con = self.extraction.con
        relation = self.rows_of.get(name, f"raw_{name}")
        try:
            source = _source_sql(relation, checks, self.usable, self.lookups)
            rows = run_row_checks(con, name, checks, source, self.found)
            if rows > 0:
                for check in KEY_CHECKS:
                    if check.table == name and set(check.needs) <= present:
                        run_key_check(con, check.on(relation), self.found)
            # Some rows only were checked: the table is empty if the whole one is.
            whole = rows if rows > 0 or name not in self.rows_of else _count(con, f"raw_{name}")
        except duckdb.Error as error:
            # A file damaged in a way that opening it did not reveal (e.g. a Parquet page).
            _unreadable(self.found, ExtractionReadError(name, table_file.path, _first_line(error)))
            return
        self.row_counts[name] = rows
        if whole == 0:
            if not TABLES[name].optional:  # an optional table may be empty
                self.found.add_one(name, "empty_table", f"{table_file.path.name} has no data rows")
            return
        self.usable[name] = present
        self.notes.extend(skipped)

    def report(self) -> ValidationReport:
        checked = [table for table in TABLE_ORDER if table in self.row_counts]
        return ValidationReport(
            directory=str(self.extraction.directory),
            tables_checked=tuple(checked),
            row_counts={table: self.row_counts[table] for table in checked},
            groups=self.found.groups(),
            max_examples=self.found.max_examples,
            notes=tuple(self.notes),
            formats=self.extraction.formats,
        )


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return int((con.execute(f"SELECT count(*) FROM {relation}").fetchone() or (0,))[0])


def check_extraction(
    extraction: Extraction,
    *,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    rows_of: Mapping[str, str] | None = None,
    lookups: MadeLookups | None = None,
) -> ValidationReport:
    """Check every contract rule on an opened extraction and report all failures at once.

    `rows_of` names, for some tables, a relation holding the only rows of it to check (its
    columns as in `raw_<table>`, row numbers of the whole file): the weekly validation's rows
    that are new or changed since the week before (`features.incremental`). Their row checks
    and unique key read it, the lookups other tables join still read the whole table, and
    the report counts the rows checked; such a table is reported empty only if the whole one
    is. `lookups` names relations holding lookups already made (of `LOOKUPS` in
    `features.validation.references`, by lookup name and source tables: the rows
    `Lookup.sql` gives over the whole tables), read instead of being built: the weekly
    validation's, kept from the week before for the students whose rows did not change."""
    validation = _Validation(extraction, max_examples, rows_of, lookups)
    validation.check_files()
    try:
        for name in _check_order(extraction.files):
            validation.check_table(name)
    finally:
        validation.lookups.drop()
    return validation.report()


def _missing_folder_report(directory: Path, max_examples: int) -> ValidationReport:
    found = Findings(max_examples)
    what = "is not a folder" if directory.exists() else "does not exist"
    found.add_one("extraction", "missing_folder", f"extraction folder {directory} {what}")
    return ValidationReport(
        directory=str(directory),
        tables_checked=(),
        row_counts={},
        groups=found.groups(),
        max_examples=max_examples,
    )


def validate_extraction(
    directory: str | Path, *, max_examples: int = DEFAULT_MAX_EXAMPLES
) -> ValidationReport:
    """Validate the extraction folder `directory` against the data contract.

    Every rule is checked and every failure reported, with the total count of each (table,
    column, rule) and at most `max_examples` example rows. Bad content never raises: a missing
    folder, a missing or unreadable file is a violation in the report like any other.
    """
    directory = Path(directory)
    if not directory.is_dir():
        return _missing_folder_report(directory, max_examples)
    with open_extraction(directory) as extraction:
        return check_extraction(extraction, max_examples=max_examples)


def require_valid(directory: str | Path, *, max_examples: int = DEFAULT_MAX_EXAMPLES) -> Extraction:
    """Open and validate an extraction; return it if valid, else raise InvalidExtractionError.

    Every command that writes something (features, train, score) calls this first, so that bad
    input produces a report and no output. The caller closes the returned extraction (it is a
    context manager). Warnings do not stop it.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InvalidExtractionError(_missing_folder_report(directory, max_examples))
    extraction = open_extraction(directory)
    try:
        report = check_extraction(extraction, max_examples=max_examples)
    except BaseException:
        extraction.close()
        raise
    if not report.ok:
        extraction.close()
        raise InvalidExtractionError(report)
    extraction.report = report
    return extraction

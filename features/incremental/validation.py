"""This week's validation from last week's state: only the new events are checked.

`validate_week` runs the contract's checks (`features.validation.check_extraction`, the same
rules, messages and row numbers) on:

- the small tables whole (establishments, exams, outcomes);
- of `students` and `enrollments`, the rows of the students whose rows in either changed
  since the previous week (their fingerprints differ) and the rows without a student id;
  every enrollment when the establishments changed (an enrollment's establishment must
  exist). The rows of the other students are those validated then, each checked against
  rows of its own student (its key and its student hold the student id) that are unchanged
  too. The lookups the other tables' references read hold every row: the student lookup
  (known students, the days their enrollments cover; a row per student, made from their own
  rows only) is last week's, kept in the state, for the students whose rows did not change,
  and made again from the rows of the others;
- of the event tables (`INCREMENTAL_TABLES`: attendance, grades), the rows not dated before
  the previous week's as-of date (invalid dates included), plus the older rows of the
  students whose `students` or `enrollments` rows changed since then, whose references
  (known student, date inside an enrollment) may have changed with them.

It first checks, in one scan of each event table, that its rows dated before the previous
as-of date are exactly those validated then (count and fingerprint); the same scan gives the
fingerprint the next week will check. The old rows are validated by the week that first saw
them, so nothing goes unchecked. Anything that makes that reasoning unsafe runs the whole
validation instead, and the outcome says why in plain words: no state, a state of another
model, of a DuckDB version whose hashes may differ, of other validation or feature code (an
upgrade of Vigie), of an earlier state format, of this date or a later one, an event table
missing or unreadable, or an old row changed (a corrected past mark or absence).

The state of this week is only prepared here (`IncrementalOutcome.pending`): the caller keeps
it (`features.incremental.save_state`) once the week is written, and drops it otherwise.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from features.contract import TABLES
from features.extraction import Extraction, open_extraction, scan_sql, text_select
from features.feature_set import FeatureSet
from features.incremental.code_digest import feature_code_digest
from features.incremental.event_sums import WeekSums, WrittenSums, week_features
from features.incremental.fingerprint import (
    INCREMENTAL_TABLES,
    STUDENT_ID,
    changed_students_sql,
    event_fingerprints,
    student_fingerprints_sql,
    table_fingerprint,
)
from features.incremental.state import (
    FullReason,
    KeptSums,
    TableState,
    WeekState,
    load_state,
    remove_prepared,
    save_state,
    state_folder,
)
from features.validation import InvalidExtractionError, ValidationReport, require_valid
from features.validation.references import LOOKUPS, MadeLookups
from features.validation.runner import check_extraction
from features.validation.sql import as_date, literal, quoted

__all__ = ["IncrementalOutcome", "PendingState", "ValidationSummary", "validate_week"]

Mode = Literal["incremental", "full"]
logger = logging.getLogger(__name__)

_STUDENTS = "vigie_incremental_students"
_CHANGED = "vigie_incremental_changed"
_LOOKUP = "vigie_incremental_student_lookup"
# The tables whose rows make a student's fingerprint, and from which the validation's
# student lookup (known students, enrollment spans) is made.
_STUDENT_TABLES = ("students", "enrollments")
# The student lookup the event tables' references read, kept per student in the state.
_KEPT_LOOKUP = ("student", frozenset(_STUDENT_TABLES))


@dataclass
class PendingState:
    """This week's state, to keep once the week is written (`keep`) or drop (`discard`);
    `sums`, the event sums of the week's features, is added by the features stage. Its
    files are hidden temporary files of the state's folder named with `token`, which also
    names whatever an earlier attempt of the same run left there (`remove_prepared`)."""

    home: Path
    state: WeekState
    students: Path  # the per-student fingerprints, in a temporary file
    token: str
    sums: WeekSums | WrittenSums | None = None

    @property
    def folder(self) -> Path:
        return state_folder(self.home, self.state.partition)

    def settled(self) -> PendingState:
        """This state once its sums' files are whole, picklable (no thread): what a
        partition's task sends back to the client that keeps it."""
        sums = self.sums.settled() if isinstance(self.sums, WeekSums) else self.sums
        return replace(self, sums=sums)

    def start_writing(self) -> None:
        """Start writing the week's sums to their temporary files (`WeekSums.start`), at a
        time the caller picks; `keep` and `settled` write them otherwise."""
        if isinstance(self.sums, WeekSums):
            self.sums.start()

    def keep(self) -> bool:
        """Keep the state (the week is written); False when it could not be (a full disk,
        say): the week stays written, the partition's previous state stays in use, and the
        files prepared are removed."""
        try:
            save_state(self.home, self.state, self.students,
                       None if self.sums is None else self.sums.written())  # fmt: skip
        except OSError as error:
            logger.warning(
                "The weekly state of %s for %s was not kept (%s): the next week reads the "
                "state kept before it.", self.state.partition, self.state.as_of,
                error.strerror or type(error).__name__,
            )  # fmt: skip
            self.discard()
            return False
        remove_prepared(self.home, self.state.partition, self.token)
        return True

    def discard(self) -> None:
        self.students.unlink(missing_ok=True)
        if self.sums is not None:
            self.sums.discard()
        remove_prepared(self.home, self.state.partition, self.token)


@dataclass(frozen=True)
class ValidationSummary:
    """How a week's extraction was validated and its features built, without the
    extraction: what the console says of it (`IncrementalOutcome.summary`). `features_since`
    is the date from which the features aggregated the events (None: all of them; else the
    rest came from last week's sums)."""

    mode: Mode
    reason: FullReason | None
    since: dt.date | None
    checked: int
    unchanged: int
    students_rechecked: int
    features_since: dt.date | None = None


@dataclass
class IncrementalOutcome:
    """The opened, valid extraction and how it was validated: `mode`, `reason` (why the whole
    extraction was validated; None when incremental), `since` (the previous as-of date the
    new events start from), and the rows checked in each event table."""

    extraction: Extraction
    mode: Mode
    reason: FullReason | None
    since: dt.date | None = None
    checked: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)  # old rows found as they were
    pending: PendingState | None = None
    # The previous week's event sums, when the week was validated from its state (its older
    # events are then those the sums were computed from) and they were kept.
    kept_sums: KeptSums | None = None
    # The ids of the students whose `students` or `enrollments` rows changed since the
    # previous week (a `student_id` column), when the week was validated from its state:
    # their old events' references were checked again.
    changed_students: pa.Table | None = None

    @property
    def students_rechecked(self) -> int:
        return 0 if self.changed_students is None else self.changed_students.num_rows

    def features(self, as_of: dt.date) -> FeatureSet:
        """The week's features (bitwise `build_features(extraction, [as_of])`), from the kept
        sums when they can be used; the sums to keep for the next week added to `pending`
        (written from `pending.start_writing()` on, or when kept)."""
        assert self.pending is not None  # every validated week prepares its state
        features, sums = week_features(self.extraction, as_of, self.kept_sums,
                                       self.pending.folder, self.pending.token,
                                       self.changed_students)  # fmt: skip
        self.pending.sums = sums
        return features

    def summary(self) -> ValidationSummary:
        """What the console says of this validation and of the features built after it."""
        sums = None if self.pending is None else self.pending.sums
        return ValidationSummary(
            self.mode,
            self.reason,
            self.since,
            sum(self.checked.values()),
            sum(self.unchanged.values()),
            self.students_rechecked,
            None if sums is None else sums.since,
        )


def validate_week(
    data: str | Path,
    as_of: dt.date,
    *,
    home: str | Path,
    partition: str,
    model: str | Callable[[], str],
    full: bool = False,
    token: str | None = None,
) -> IncrementalOutcome:
    """Validate the extraction `data` for the week `as_of` scored by `model` (its label, or
    a callable giving it: called once the new rows are checked, so that the model's lookup
    in the registry goes on meanwhile; a state of another model then means the whole
    validation after all): incrementally from the partition's state under
    `home` when it is usable, else whole (`full` forces it). The week's state is prepared in
    hidden files named with `token` (a new one by default). Raises `InvalidExtractionError`
    (the extraction closed) when a rule is broken."""
    directory = Path(data)
    if not directory.is_dir():
        require_valid(directory)  # raises the report naming the missing folder
    previous: WeekState | None = None
    why: FullReason | None = FullReason("asked")
    if not full:
        previous, why = load_state(home, partition)
    if previous is not None:
        why = _unusable(previous, as_of)
        previous = None if why else previous
    extraction = open_extraction(directory)
    try:
        return _validate(extraction, as_of, Path(home), partition, model, previous, why,
                         token or secrets.token_hex(4))  # fmt: skip
    except BaseException:
        extraction.close()
        raise


def _unusable(previous: WeekState, as_of: dt.date) -> FullReason | None:
    """Why the previous week's state cannot be used for `as_of` (None if it can; its model is
    checked by `_other_model`)."""
    if not previous.current:
        return FullReason("state_version", {"version": str(previous.version)})
    if previous.as_of >= as_of:
        dates = {"state_week": previous.as_of.isoformat(), "week": as_of.isoformat()}
        return FullReason("not_earlier", dates)
    if previous.engine != duckdb.__version__:
        engines = {"previous": previous.engine, "engine": duckdb.__version__}
        return FullReason("other_engine", engines)
    if previous.code != feature_code_digest():
        return FullReason("other_code")
    return None


def _other_model(previous: WeekState, model: str) -> FullReason | None:
    """Why the previous week's state, of another model, cannot be used (None if it can)."""
    if previous.model != model:
        return FullReason("other_model", {"previous": previous.model, "model": model})
    return None


def _validate(
    extraction: Extraction,
    as_of: dt.date,
    home: Path,
    partition: str,
    model: str | Callable[[], str],
    previous: WeekState | None,
    why: FullReason | None,
    token: str,
) -> IncrementalOutcome:
    needed = (*INCREMENTAL_TABLES, "students", "enrollments")
    if any(name not in extraction.files for name in needed) and previous is not None:
        why, previous = FullReason("missing_table"), None
    if any(name not in extraction.files for name in needed):
        # Missing or unreadable: the whole validation reports it.
        _raise_if_invalid(extraction, check_extraction(extraction))
        raise AssertionError("an extraction lacking a table cannot be valid")  # pragma: no cover
    dates = (as_of,) if previous is None else (previous.as_of, as_of)
    prints = {name: event_fingerprints(extraction, name, dates) for name in INCREMENTAL_TABLES}
    establishments = (
        table_fingerprint(extraction, "establishments")
        if "establishments" in extraction.files
        else None
    )
    # The model's label, asked once and only when needed: the registry's lookup goes on
    # while the new rows are checked.
    label = functools.cache(model if callable(model) else lambda: model)

    if previous is not None:
        why = _changed_before(previous, prints)
        if why is not None:  # the whole validation, the model's reason said first as before
            why, previous = _other_model(previous, label()) or why, None
    con = extraction.con
    students = student_fingerprints_sql(extraction)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_STUDENTS} AS {students}")
    try:
        outcome: IncrementalOutcome | None = None
        if previous is not None:
            try:
                outcome = _check_new_rows(extraction, home, partition, previous, establishments)
            except InvalidExtractionError:
                if _other_model(previous, label()) is None:
                    raise
            other = _other_model(previous, label())
            if other is None:
                assert outcome is not None
                outcome.unchanged = {name: prints[name][0].rows for name in INCREMENTAL_TABLES}
                outcome.kept_sums = previous.kept_sums(state_folder(home, partition))
            else:  # checked as if from last week: the whole validation after all
                why, previous, outcome = other, None, None
        if outcome is None:
            report = check_extraction(extraction, lookups=_student_lookup(extraction))
            _raise_if_invalid(extraction, report)
            outcome = IncrementalOutcome(extraction, "full", why)
        outcome.pending = _pending(
            extraction, home, partition, as_of, label(), prints, establishments, token
        )
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_STUDENTS}")
        con.execute(f"DROP TABLE IF EXISTS {_LOOKUP}")
    return outcome


def _changed_before(previous: WeekState, prints: dict[str, list[TableState]]) -> FullReason | None:
    """Why the rows before the previous as-of date differ from the state (None if they don't)."""
    for name in INCREMENTAL_TABLES:
        kept, now = previous.tables.get(name), prints[name][0]
        if kept is None:
            return FullReason("no_fingerprint", {"table": name})
        if kept != now:
            return FullReason(
                "rows_changed",
                {
                    "table": name,
                    "since": previous.as_of.isoformat(),
                    "before": str(kept.rows),
                    "now": str(now.rows),
                },
            )
    return None


def _check_new_rows(
    extraction: Extraction,
    home: Path,
    partition: str,
    previous: WeekState,
    establishments: TableState | None,
) -> IncrementalOutcome:
    """The contract's checks over the small tables, the changed students' rows and the new
    event rows (see the module)."""
    con = extraction.con
    kept = state_folder(home, partition) / previous.students_file
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_CHANGED} AS {changed_students_sql(_STUDENTS, str(kept))}"
    )
    # The rows to check of each table, read out of its file once, not by each check's scan.
    rows_of = {name: f"vigie_checked_{name}" for name in (*INCREMENTAL_TABLES, *_STUDENT_TABLES)}
    if establishments is None or previous.tables.get("establishments") != establishments:
        del rows_of["enrollments"]  # an enrollment's establishment may be gone
    try:
        for name in INCREMENTAL_TABLES:
            sql = _new_rows_sql(extraction, name, previous.as_of)
            con.execute(f"CREATE TEMP TABLE {rows_of[name]} AS {sql}")
        for name in _STUDENT_TABLES:
            if name in rows_of:
                sql = _student_rows_sql(extraction, name)
                con.execute(f"CREATE TEMP TABLE {rows_of[name]} AS {sql}")
        # The lookup of the students whose rows did not change kept from last week, the
        # others' made from their rows (every row's when every enrollment is checked).
        changed_rows = {name: rows_of[name] for name in _STUDENT_TABLES if name in rows_of}
        lookups = (
            _student_lookup(extraction, kept, changed_rows)
            if len(changed_rows) == len(_STUDENT_TABLES)
            else _student_lookup(extraction)
        )
        report = check_extraction(extraction, rows_of=rows_of, lookups=lookups)
        checked = {name: report.row_counts.get(name, 0) for name in INCREMENTAL_TABLES}
        changed = con.sql(f"SELECT student_id FROM {_CHANGED}").to_arrow_table()
    finally:
        for relation in rows_of.values():
            con.execute(f"DROP TABLE IF EXISTS temp.main.{relation}")
        con.execute(f"DROP TABLE IF EXISTS {_CHANGED}")
    _raise_if_invalid(extraction, report)
    return IncrementalOutcome(
        extraction,
        "incremental",
        None,
        previous.as_of,
        checked,
        changed_students=changed,
    )


def _new_rows_sql(extraction: Extraction, table: str, since: dt.date) -> str:
    """`raw_<table>` restricted to the rows not dated before `since` and the rows of the
    students whose rows changed; row numbers stay those of the whole file."""
    day = as_date(quoted(INCREMENTAL_TABLES[table]))
    keep = (
        f"(NOT coalesce({day} < {literal(since.isoformat())}::DATE, FALSE) "
        f"OR {STUDENT_ID} IN (SELECT student_id FROM {_CHANGED}))"
    )
    return _rows_sql(extraction, table, keep, ("student_id", INCREMENTAL_TABLES[table]))


def _student_rows_sql(extraction: Extraction, table: str) -> str:
    """`raw_<table>` restricted to the rows of the students whose rows changed and the rows
    without a student id; row numbers stay those of the whole file."""
    keep = f"({STUDENT_ID} IS NULL OR {STUDENT_ID} IN (SELECT student_id FROM {_CHANGED}))"
    return _rows_sql(extraction, table, keep, ("student_id",))


def _rows_sql(extraction: Extraction, table: str, keep: str, reads: tuple[str, ...]) -> str:
    """The rows of `raw_<table>` for which `keep` (over the columns `reads`) holds. A Parquet
    file holding those columns is filtered in its scan, so that the other rows (and its old
    row groups) are not turned into text; else `raw_<table>` is (a missing column reads as
    NULL there, and is reported)."""
    table_file = extraction.files[table]
    if table_file.is_parquet and set(reads) <= set(table_file.columns):
        scan = scan_sql(table_file)
        return text_select(TABLES[table], table_file).replace(
            f"FROM {scan}", f"FROM (SELECT * FROM {scan} WHERE {keep})"
        )
    return f"SELECT * FROM raw_{table} WHERE {keep}"


def _student_lookup(
    extraction: Extraction, kept: Path | None = None, changed_rows: dict[str, str] | None = None
) -> MadeLookups:
    """The validation's student lookup over every row of `students` and `enrollments`
    (`features.validation.references.LOOKUPS`, one row per student: known, and the spans of
    their enrollments), made as the temporary table `_LOOKUP`, for `check_extraction`'s
    `lookups`. With `kept`, last week's per-student file, and `changed_rows`, the relations
    holding every row of the students whose rows changed in each table: last week's rows of
    the other students (a student's lookup row is a function of their own rows, which their
    fingerprint says are those of last week), and the changed students' rows made again.
    None is made (an empty mapping: the validation makes its own) when the tables cannot be
    read as the lookup needs (a missing column: the validation reports it); kept rows that
    cannot be read are made again from every row."""
    lookup = LOOKUPS[_KEPT_LOOKUP[0]]
    sql = lookup.sql(_KEPT_LOOKUP[1])
    if kept is not None and changed_rows is not None:
        sql = (
            "SELECT o.student_id, o.known_student, o.spans_student "
            f"FROM read_parquet({literal(str(kept))}, hive_partitioning = false) AS o "
            f"LEFT JOIN {_CHANGED} AS c ON c.student_id = o.student_id "
            "WHERE c.student_id IS NULL AND o.known_student IS NOT NULL "
            f"UNION ALL {lookup.sql(_KEPT_LOOKUP[1], changed_rows)}"
        )
    for attempt in dict.fromkeys((sql, lookup.sql(_KEPT_LOOKUP[1]))):
        try:
            extraction.con.execute(f"CREATE OR REPLACE TEMP TABLE {_LOOKUP} AS {attempt}")
            return {_KEPT_LOOKUP: _LOOKUP}
        except duckdb.Error:
            continue
    return {}


def _raise_if_invalid(extraction: Extraction, report: ValidationReport) -> None:
    """Keep the report on the extraction, or raise (`validate_week` closes it)."""
    if not report.ok:
        raise InvalidExtractionError(report)
    extraction.report = report


def _pending(
    extraction: Extraction,
    home: Path,
    partition: str,
    as_of: dt.date,
    model: str,
    prints: dict[str, list[TableState]],
    establishments: TableState | None,
    token: str,
) -> PendingState:
    """This week's state (the event tables' fingerprints up to `as_of`, the establishments'),
    its per-student fingerprints written to a temporary file."""
    folder = state_folder(home, partition)
    folder.mkdir(parents=True, exist_ok=True)
    students = folder / f".students-{as_of.isoformat()}-{token}.parquet"
    if not _temporary_table(extraction, _LOOKUP):  # never expected of a valid extraction
        sql = LOOKUPS[_KEPT_LOOKUP[0]].sql(_KEPT_LOOKUP[1])
        extraction.con.execute(f"CREATE TEMP TABLE {_LOOKUP} AS {sql}")
    extraction.con.execute(
        f"COPY (SELECT coalesce(s.student_id, l.student_id) AS student_id, s.h, "
        f"l.known_student, l.spans_student FROM {_STUDENTS} AS s "
        f"FULL OUTER JOIN {_LOOKUP} AS l ON l.student_id = s.student_id "
        f"ORDER BY 1) TO {literal(str(students))} (FORMAT parquet)"
    )
    state = WeekState(
        partition=partition,
        as_of=as_of,
        model=model,
        engine=duckdb.__version__,
        tables={name: fingerprints[-1] for name, fingerprints in prints.items()}
        | ({} if establishments is None else {"establishments": establishments}),
        students_file=f"students-{as_of.isoformat()}.parquet",
        code=feature_code_digest(),
    )
    return PendingState(home, state, students, token)


def _temporary_table(extraction: Extraction, name: str) -> bool:
    found = extraction.con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [name]
    ).fetchone()
    return bool(found and found[0])

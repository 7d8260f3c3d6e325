"""Contract validation: a tiny valid extraction passes; each corruption is reported where it is.

`TinyExtraction` holds a valid extraction of 2 establishments and 5 students as text cells;
each test corrupts one thing and checks the (rule, table, row, column) reported. The same
corruptions run one by one (parametrized) and all together, from CSV and from Parquet.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from features.contract import TABLES
from features.extraction import open_extraction
from features.validation import (
    RULES,
    InvalidExtractionError,
    ValidationReport,
    Violation,
    render_report,
    require_valid,
    validate_extraction,
)
from features.validation.cells import cell_checks
from features.validation.keys import KEY_CHECKS
from features.validation.references import reference_checks
from features.validation.runner import check_extraction

Key = tuple[str, str, int | None, str | None]  # rule, table, row, column

_VALID_ROWS: dict[str, list[dict[str, str]]] = {
    "establishments": [
        {"uai": "0350023K", "name": "Collège Anne de Bretagne", "kind": "college",
         "academie": "Rennes", "department": "35", "sector": "public",
         "priority_zone": "rep", "weekly_interview_capacity": "5"},
        {"uai": "0350024L", "name": "Lycée Chateaubriand", "kind": "lycee_gt",
         "academie": "Rennes", "department": "35", "sector": "public",
         "priority_zone": "none", "weekly_interview_capacity": "3"},
    ],
    "students": [
        {"student_id": "S1", "birth_date": "2011-03-14", "sex": "F", "scholarship_level": "2",
         "parent_pcs": "middle", "last_name": "Le Goff", "first_name": "Maëlle"},
        {"student_id": "S2", "birth_date": "2010-07-02", "sex": "M", "scholarship_level": "0",
         "parent_pcs": "favored_a", "last_name": "Tanguy", "first_name": "Yann"},
        {"student_id": "S3", "birth_date": "2009-01-30", "sex": "F", "scholarship_level": "6",
         "parent_pcs": "disadvantaged", "last_name": "", "first_name": ""},
        {"student_id": "S4", "birth_date": "2008-11-05", "sex": "M", "scholarship_level": "1",
         "parent_pcs": "unknown", "last_name": "Morvan", "first_name": "Erwan"},
        {"student_id": "S5", "birth_date": "2009-05-20", "sex": "F", "scholarship_level": "0",
         "parent_pcs": "favored_b", "last_name": "Riou", "first_name": "Nolwenn"},
    ],
    "enrollments": [
        {"student_id": "S1", "school_year": "2024-2025", "uai": "0350023K", "level": "4e",
         "track": "college", "class_id": "4eB", "start_date": "2024-09-02", "end_date": "",
         "exit_reason": ""},
        {"student_id": "S2", "school_year": "2024-2025", "uai": "0350023K", "level": "3e",
         "track": "college", "class_id": "3eA", "start_date": "2024-09-02", "end_date": "",
         "exit_reason": ""},
        {"student_id": "S3", "school_year": "2023-2024", "uai": "0350023K", "level": "3e",
         "track": "college", "class_id": "3eA", "start_date": "2023-09-04",
         "end_date": "2024-07-05", "exit_reason": "completed"},
        {"student_id": "S3", "school_year": "2024-2025", "uai": "0350024L", "level": "2nde",
         "track": "general", "class_id": "2nde3", "start_date": "2024-09-02", "end_date": "",
         "exit_reason": ""},
        {"student_id": "S4", "school_year": "2024-2025", "uai": "0350024L", "level": "1ere",
         "track": "technological", "class_id": "1ereB", "start_date": "2024-09-02",
         "end_date": "2025-01-31", "exit_reason": "dropped_out"},
        {"student_id": "S5", "school_year": "2024-2025", "uai": "0350024L", "level": "2nde",
         "track": "general", "class_id": "2nde1", "start_date": "2024-09-02", "end_date": "",
         "exit_reason": ""},
    ],
    "attendance": [
        {"student_id": "S1", "date": "2024-11-18", "half_day": "am", "kind": "absence",
         "justified": "false", "reason": ""},
        {"student_id": "S1", "date": "2024-11-18", "half_day": "pm", "kind": "absence",
         "justified": "false", "reason": ""},
        {"student_id": "S2", "date": "2024-12-02", "half_day": "am", "kind": "late",
         "justified": "true", "reason": ""},
        {"student_id": "S4", "date": "2025-01-20", "half_day": "am", "kind": "absence",
         "justified": "false", "reason": ""},
        {"student_id": "S3", "date": "2024-10-07", "half_day": "pm", "kind": "absence",
         "justified": "true", "reason": "medical"},
    ],
    "grades": [
        {"student_id": "S1", "date": "2024-10-10", "subject": "mathematiques", "value": "12.5",
         "out_of": "20", "coefficient": "1", "period": "1"},
        {"student_id": "S2", "date": "2024-10-11", "subject": "francais", "value": "8",
         "out_of": "10", "coefficient": "2", "period": "1"},
        {"student_id": "S3", "date": "2024-03-12", "subject": "anglais", "value": "15",
         "out_of": "", "coefficient": "", "period": "2"},
        {"student_id": "S5", "date": "2025-03-03", "subject": "histoire", "value": "9.5",
         "out_of": "20", "coefficient": "1", "period": "2"},
    ],
    "exams": [
        # After the end of S3's 2023-2024 enrollment, in its school year: results come late.
        {"student_id": "S3", "date": "2024-07-10", "exam": "dnb", "result": "pass",
         "score": "12.4"},
        {"student_id": "S2", "date": "2025-02-05", "exam": "mock", "result": "pass",
         "score": ""},
    ],
    "outcomes": [
        {"student_id": "S3", "school_year": "2023-2024", "dropped_out": "false",
         "known_on": "2024-09-15"},
        {"student_id": "S4", "school_year": "2024-2025", "dropped_out": "true",
         "known_on": "2025-02-15"},
    ],
    # Optional: the interviews held.
    "interviews": [
        {"student_id": "S1", "date": "2024-11-26", "solution": "tutoring"},
        {"student_id": "S4", "date": "2025-01-14", "solution": ""},
    ],
}  # fmt: skip


@dataclass
class TinyExtraction:
    """A small extraction as text cells: columns written per table, and rows."""

    columns: dict[str, list[str]] = field(
        default_factory=lambda: {name: list(TABLES[name].column_names) for name in TABLES}
    )
    rows: dict[str, list[dict[str, str]]] = field(
        default_factory=lambda: copy.deepcopy(_VALID_ROWS)
    )

    def set(self, table: str, row: int, **cells: str) -> int:
        """Change cells of the 1-based data `row`; returns the row."""
        self.rows[table][row - 1].update(cells)
        return row

    def append(self, table: str, like: int = 1, **cells: str) -> int:
        """Add a copy of row `like` with `cells` changed; returns the new 1-based row."""
        self.rows[table].append({**self.rows[table][like - 1], **cells})
        return len(self.rows[table])

    def write(self, directory: Path, file_format: str = "csv") -> Path:
        """Write every table as `<table>.csv` (UTF-8, comma, header) or `.parquet` (text)."""
        directory.mkdir(parents=True, exist_ok=True)
        for table, columns in self.columns.items():
            frame = pd.DataFrame(
                [[row.get(column, "") for column in columns] for row in self.rows[table]],
                columns=columns,
                dtype="object",
            )
            if file_format == "csv":
                frame.to_csv(directory / f"{table}.csv", index=False, lineterminator="\n")
            else:
                frame = frame.replace("", None).astype("string")
                frame.to_parquet(directory / f"{table}.parquet", index=False)
        return directory


def write_valid_extraction(directory: Path, file_format: str = "csv") -> Path:
    """Write the tiny valid extraction (2 establishments, 5 students) into `directory`."""
    return TinyExtraction().write(directory, file_format)


def _keys(report: ValidationReport) -> set[Key]:
    return {(v.rule, v.table, v.row, v.column) for v in report.violations}


# --- One corruption per rule: each returns the violations it must produce ------------------

Corruption = Callable[[TinyExtraction], set[Key]]


def _uai_format(x: TinyExtraction) -> set[Key]:
    row = x.append("establishments", uai="35AB")
    return {("uai_format", "establishments", row, "uai")}


def _code(x: TinyExtraction) -> set[Key]:
    return {("code", "students", x.set("students", 3, sex="X"), "sex")}


def _range(x: TinyExtraction) -> set[Key]:
    row = x.set("students", 4, scholarship_level="7")
    return {("range", "students", row, "scholarship_level")}


def _range_capacity(x: TinyExtraction) -> set[Key]:
    row = x.set("establishments", 1, weekly_interview_capacity="-1")
    return {("range", "establishments", row, "weekly_interview_capacity")}


def _type_int(x: TinyExtraction) -> set[Key]:
    row = x.set("establishments", 2, weekly_interview_capacity="2.5")
    return {("type_int", "establishments", row, "weekly_interview_capacity")}


def _type_date(x: TinyExtraction) -> set[Key]:
    return {("type_date", "students", x.set("students", 2, birth_date="2010-02-30"), "birth_date")}


def _not_null(x: TinyExtraction) -> set[Key]:
    return {("not_null", "students", x.set("students", 5, parent_pcs=""), "parent_pcs")}


def _unique(x: TinyExtraction) -> set[Key]:
    row = x.append("students", like=1, first_name="Gwen")
    return {("unique", "students", row, "student_id")}


def _unknown_column(x: TinyExtraction) -> set[Key]:
    x.columns["establishments"].append("comment")
    return {("unknown_column", "establishments", None, "comment")}


def _required_column(x: TinyExtraction) -> set[Key]:
    x.columns["enrollments"].remove("class_id")
    return {("required_column", "enrollments", None, "class_id")}


def _school_year_format(x: TinyExtraction) -> set[Key]:
    row = x.append("enrollments", like=1, school_year="2024/2025")
    return {("school_year_format", "enrollments", row, "school_year")}


def _end_before_start(x: TinyExtraction) -> set[Key]:
    row = x.append(
        "enrollments", like=3, student_id="S2", school_year="2023-2024",
        start_date="2023-09-04", end_date="2023-09-01",
    )  # fmt: skip
    return {("end_before_start", "enrollments", row, "end_date")}


def _outside_school_year(x: TinyExtraction) -> set[Key]:
    row = x.append("enrollments", like=3, student_id="S5", start_date="2023-08-28")
    return {("outside_school_year", "enrollments", row, "start_date")}


def _exit_reason_end_date(x: TinyExtraction) -> set[Key]:
    row = x.append(
        "enrollments", like=3, student_id="S2", school_year="2022-2023",
        start_date="2022-09-01", end_date="",
    )  # fmt: skip
    return {("exit_reason_end_date", "enrollments", row, "exit_reason")}


def _unknown_uai(x: TinyExtraction) -> set[Key]:
    row = x.append(
        "enrollments", like=3, student_id="S5", school_year="2022-2023", uai="0359999Z",
        start_date="2022-09-01", end_date="2023-07-01", track="generale",
    )  # fmt: skip
    return {
        ("unknown_uai", "enrollments", row, "uai"),
        ("code", "enrollments", row, "track"),
    }


def _unknown_student(x: TinyExtraction) -> set[Key]:
    row = x.append("attendance", student_id="S9", date="2024-11-19")
    return {
        ("unknown_student", "attendance", row, "student_id"),
        ("date_outside_enrollment", "attendance", row, "date"),
    }


def _duplicate_attendance(x: TinyExtraction) -> set[Key]:
    row = x.append("attendance", like=1, justified="true")
    return {("duplicate_attendance", "attendance", row, "student_id, date, half_day, kind")}


def _attendance_outside_enrollment(x: TinyExtraction) -> set[Key]:
    row = x.append("attendance", like=1, date="2025-09-15")
    return {("date_outside_enrollment", "attendance", row, "date")}


def _type_bool(x: TinyExtraction) -> set[Key]:
    row = x.append("attendance", like=3, date="2024-12-03", justified="yes", half_day="noon")
    return {("type_bool", "attendance", row, "justified"), ("code", "attendance", row, "half_day")}


def _type_float(x: TinyExtraction) -> set[Key]:
    return {("type_float", "grades", x.append("grades", value="12.5.0"), "value")}


def _grade_range(x: TinyExtraction) -> set[Key]:
    above = x.append("grades", value="25")
    zero = x.append("grades", value="0", out_of="0")
    return {("grade_range", "grades", above, "value"), ("grade_range", "grades", zero, "out_of")}


def _period(x: TinyExtraction) -> set[Key]:
    four, half = x.append("grades", period="4"), x.append("grades", period="1.5")
    return {("range", "grades", four, "period"), ("type_int", "grades", half, "period")}


def _grade_after_enrollment_end(x: TinyExtraction) -> set[Key]:
    row = x.append("grades", student_id="S4", date="2025-03-10")
    return {("date_outside_enrollment", "grades", row, "date")}


def _exam(x: TinyExtraction) -> set[Key]:
    row = x.append("exams", like=2, score="21", result="passed")
    return {("range", "exams", row, "score"), ("code", "exams", row, "result")}


def _known_on_before_year_start(x: TinyExtraction) -> set[Key]:
    row = x.append("outcomes", student_id="S5", school_year="2024-2025", known_on="2024-08-15")
    return {("known_on_before_year_start", "outcomes", row, "known_on")}


def _unique_outcome(x: TinyExtraction) -> set[Key]:
    row = x.append("outcomes", like=1, dropped_out="true")
    return {("unique", "outcomes", row, "student_id, school_year")}


CORRUPTIONS: dict[str, Corruption] = {
    function.__name__.removeprefix("_"): function
    for function in (
        _uai_format, _code, _range, _range_capacity, _type_int, _type_date, _not_null,
        _unique, _unknown_column, _required_column, _school_year_format, _end_before_start,
        _outside_school_year, _exit_reason_end_date, _unknown_uai, _unknown_student,
        _duplicate_attendance, _attendance_outside_enrollment, _type_bool, _type_float,
        _grade_range, _period, _grade_after_enrollment_end, _exam,
        _known_on_before_year_start, _unique_outcome,
    )
}  # fmt: skip

# Rules about whole files, tested one by one below.
FILE_RULES = {
    "missing_folder", "missing_table", "unreadable_file", "ambiguous_format", "empty_table",
}  # fmt: skip


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_valid_extraction_is_ok(tmp_path: Path, file_format: str) -> None:
    report = validate_extraction(write_valid_extraction(tmp_path, file_format))
    assert report.violations == ()
    assert report.ok
    assert report.tables_checked == tuple(TABLES)
    assert report.row_counts == {name: len(rows) for name, rows in _VALID_ROWS.items()}
    assert report.notes == ()


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_each_corruption_is_reported_where_it_is(tmp_path: Path, name: str) -> None:
    extraction = TinyExtraction()
    expected = CORRUPTIONS[name](extraction)
    report = validate_extraction(extraction.write(tmp_path))
    assert _keys(report) == expected
    warning_only = all(RULES[rule].severity == "warning" for rule, *_ in expected)
    assert report.ok is warning_only


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_all_corruptions_at_once_are_all_reported(tmp_path: Path, file_format: str) -> None:
    extraction = TinyExtraction()
    expected = set().union(*(corrupt(extraction) for corrupt in CORRUPTIONS.values()))
    report = validate_extraction(extraction.write(tmp_path, file_format))
    assert _keys(report) == expected
    assert not report.ok
    # Every rule except those about whole files is exercised by this one extraction.
    assert {rule for rule, *_ in expected} == set(RULES) - FILE_RULES
    for violation in report.violations:
        assert violation.message
        assert violation.severity == RULES[violation.rule].severity


def test_messages_name_the_value(tmp_path: Path) -> None:
    extraction = TinyExtraction()
    extraction.set("grades", 2, value="12.5.0")
    extraction.set("enrollments", 1, exit_reason="completed")
    report = validate_extraction(extraction.write(tmp_path))
    by_rule = {v.rule: v for v in report.violations}
    assert by_rule["type_float"].value == "12.5.0"
    assert "'12.5.0' is not a number" in by_rule["type_float"].message
    assert by_rule["exit_reason_end_date"].value == "completed"
    assert "end_date is empty" in by_rule["exit_reason_end_date"].message


def test_a_bad_cell_is_reported_once_not_by_every_rule(tmp_path: Path) -> None:
    extraction = TinyExtraction()
    extraction.set("enrollments", 5, end_date="2025-02-30")
    extraction.set("grades", 1, value="twelve")
    report = validate_extraction(extraction.write(tmp_path))
    assert _keys(report) == {
        ("type_date", "enrollments", 5, "end_date"),
        ("type_float", "grades", 1, "value"),
    }


# --- Whole files ---------------------------------------------------------------------------


def _one_violation(report: ValidationReport) -> tuple[str, str, int | None, str]:
    assert len(report.violations) == 1, report.violations
    violation = report.violations[0]
    return violation.rule, violation.table, violation.row, violation.message


def _rewrite(directory: Path, table: str, content: bytes) -> None:
    (directory / f"{table}.csv").write_bytes(content)


def _valid_csv(directory: Path, table: str) -> bytes:
    return (directory / f"{table}.csv").read_bytes()


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_rows_of_checks_some_rows_against_lookups_of_every_row(
    tmp_path: Path, file_format: str
) -> None:
    """`check_extraction(rows_of=...)`: a table's checks (cells, references, unique key) read
    only the rows given, with the row numbers of the whole file; the lookups other tables
    join still read every row; an empty selection is not an empty table."""
    x = TinyExtraction()
    repeated = x.append("enrollments", like=2)  # S2's enrollment twice: a repeated key
    unchecked = x.append("enrollments", like=1)  # S1's too, among the rows not checked
    bad = x.set("enrollments", 5, uai="9999999Z")  # S4: an unknown establishment
    with open_extraction(x.write(tmp_path / "x", file_format)) as extraction:
        con = extraction.con
        whole = check_extraction(extraction)
        assert {
            ("unique", "enrollments", repeated),
            ("unique", "enrollments", unchecked),
            ("unknown_uai", "enrollments", bad),
        } <= {(v.rule, v.table, v.row) for v in whole.violations}
        con.execute("CREATE TEMP TABLE some_enrollments AS SELECT * FROM raw_enrollments "
                    "WHERE student_id IN ('S2', 'S5')")  # fmt: skip
        con.execute("CREATE TEMP TABLE no_students AS SELECT * FROM raw_students WHERE FALSE")
        report = check_extraction(
            extraction, rows_of={"enrollments": "some_enrollments", "students": "no_students"}
        )
    # S2's repeated key is found at its row of the whole file; S1's and S4's rows were not
    # checked.
    assert {(v.rule, v.table, v.row) for v in report.violations} == {
        ("unique", "enrollments", repeated)
    }
    assert report.row_counts["enrollments"] == 3 and report.row_counts["students"] == 0
    # No student checked, yet the students' lookup holds them all: every event is known.
    assert not any(v.rule in {"unknown_student", "empty_table"} for v in report.violations)
    assert not report.notes


def test_missing_file_is_missing_table(tmp_path: Path) -> None:
    directory = write_valid_extraction(tmp_path)
    (directory / "exams.csv").unlink()
    rule, table, row, message = _one_violation(validate_extraction(directory))
    assert (rule, table, row) == ("missing_table", "exams", None)
    assert "exams.csv or exams.parquet" in message


def test_missing_folder_is_reported_not_raised(tmp_path: Path) -> None:
    report = validate_extraction(tmp_path / "nowhere")
    rule, _, _, message = _one_violation(report)
    assert rule == "missing_folder"
    assert "does not exist" in message
    assert not report.ok


def test_header_only_file_is_empty_table(tmp_path: Path) -> None:
    directory = write_valid_extraction(tmp_path)
    header = _valid_csv(directory, "grades").splitlines(keepends=True)[0]
    _rewrite(directory, "grades", header)
    report = validate_extraction(directory)
    rule, table, row, _ = _one_violation(report)
    assert (rule, table, row) == ("empty_table", "grades", None)
    assert report.row_counts["grades"] == 0


def test_the_optional_interviews_table_may_be_absent_or_empty(tmp_path: Path) -> None:
    directory = write_valid_extraction(tmp_path / "whole")
    report = validate_extraction(directory)
    assert report.ok and report.row_counts["interviews"] == 2
    header = _valid_csv(directory, "interviews").splitlines(keepends=True)[0]
    _rewrite(directory, "interviews", header)
    assert validate_extraction(directory).ok
    (directory / "interviews.csv").unlink()
    report = validate_extraction(directory)
    assert report.ok and "interviews" not in report.row_counts


def test_a_present_interviews_table_is_checked_like_the_others(tmp_path: Path) -> None:
    tiny = TinyExtraction()
    tiny.set("interviews", 1, solution="therapy")
    tiny.set("interviews", 2, student_id="S9")
    duplicate = tiny.append("interviews", like=1, solution="aar")
    undated = tiny.append("interviews", like=1, date="2024-13-26")
    report = validate_extraction(tiny.write(tmp_path / "bad"))
    assert {
        ("code", "interviews", 1, "solution"),
        ("unknown_student", "interviews", 2, "student_id"),
        ("unique", "interviews", duplicate, "student_id, date"),
        ("type_date", "interviews", undated, "date"),
    } <= _keys(report), report.violations
    assert not report.ok
    messages = " ".join(v.message for v in report.violations if v.table == "interviews")
    assert "therapy" in messages and "S9" in messages


_READ_RULES = {"unreadable_file", "ambiguous_format"}

# Each broken file: (table, bytes from the valid CSV, expected row, words in the message).
_BROKEN_FILES: dict[str, tuple[str, Callable[[bytes], bytes], int | None, str]] = {
    "undefined in Windows-1252 and not UTF-8": (
        "students", lambda csv: csv.replace(b"S1,", b"S\x9d1,", 1), 1, "encoding",
    ),
    "a header split as well by both separators": (
        "students", lambda csv: csv.replace(b",", b";", 3), None, "separator cannot be told",
    ),
    "truncated last line": (
        "attendance", lambda csv: csv[: csv.rindex(b",", 0, len(csv) - 8)], 5, "truncated",
    ),
    "unclosed quote": (
        "establishments", lambda csv: csv + b'0350025M,"Coll\xc3\xa8ge,college\n', 3, "quoted",
    ),
    "NUL bytes": (
        "grades", lambda csv: csv + b"\x00\x01\x02garbage\xff\n", None, "binary",
    ),
    "0-byte file": (
        "outcomes", lambda csv: b"", None, "empty",
    ),
    "not a header": (
        "exams", lambda csv: b"hello world\n" + csv, None, "not a header",
    ),
    "duplicate column": (
        "exams", lambda csv: csv.replace(b"exam,result", b"exam,exam", 1), None, "more than once",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(_BROKEN_FILES))
def test_broken_file_is_unreadable_file_not_a_traceback(tmp_path: Path, case: str) -> None:
    table, corrupt, expected_row, words = _BROKEN_FILES[case]
    directory = write_valid_extraction(tmp_path)
    _rewrite(directory, table, corrupt(_valid_csv(directory, table)))
    report = validate_extraction(directory)
    broken = [v for v in report.violations if v.rule in _READ_RULES]
    assert [(v.table, v.row) for v in broken] == [(table, expected_row)]
    assert words in broken[0].message
    assert f"{table}.csv" in broken[0].message
    assert table not in report.tables_checked
    # Rules needing the broken table are skipped with a note, never reported wrongly.
    if table == "students":
        assert any("unknown_student not checked" in note for note in report.notes)
    assert len({v.rule for v in report.violations}) == 1
    assert {v.rule for v in report.violations} <= _READ_RULES


def test_both_csv_and_parquet_is_unreadable(tmp_path: Path) -> None:
    directory = write_valid_extraction(tmp_path)
    TinyExtraction().write(tmp_path / "parquet", "parquet")
    (tmp_path / "parquet" / "exams.parquet").rename(directory / "exams.parquet")
    rule, table, _, message = _one_violation(validate_extraction(directory))
    assert (rule, table) == ("unreadable_file", "exams")
    assert "keep one" in message


def test_damaged_parquet_is_unreadable(tmp_path: Path) -> None:
    directory = write_valid_extraction(tmp_path, "parquet")
    (directory / "grades.parquet").write_bytes(b"PAR1 not really parquet")
    rule, table, _, message = _one_violation(validate_extraction(directory))
    assert (rule, table) == ("unreadable_file", "grades")
    assert "Parquet" in message


def test_typed_parquet_is_valid(tmp_path: Path) -> None:
    """Parquet written with real DATE, BOOLEAN, integer and float columns reads like text."""
    directory = write_valid_extraction(tmp_path, "parquet")
    frame = pd.DataFrame(_VALID_ROWS["grades"]).replace("", None)
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    for column in ("value", "out_of", "coefficient"):
        frame[column] = frame[column].astype("float64")
    frame["period"] = frame["period"].astype("int64")
    frame.to_parquet(directory / "grades.parquet", index=False)
    attendance = pd.DataFrame(_VALID_ROWS["attendance"])
    attendance["justified"] = attendance["justified"] == "true"
    attendance["date"] = pd.to_datetime(attendance["date"])  # a timestamp, at midnight
    attendance.to_parquet(directory / "attendance.parquet", index=False)
    assert validate_extraction(directory).violations == ()


# --- The report ------------------------------------------------------------------------------


def _many_bad_dates(tmp_path: Path, bad_rows: int) -> Path:
    extraction = TinyExtraction()
    for day in range(bad_rows):
        extraction.append("attendance", date=f"2024-11-{day:03d}", half_day="am")
    return extraction.write(tmp_path)


def test_examples_are_capped_but_the_count_is_total(tmp_path: Path) -> None:
    report = validate_extraction(_many_bad_dates(tmp_path, 120), max_examples=7)
    (group,) = report.groups
    assert (group.rule, group.table, group.column, group.count) == (
        "type_date", "attendance", "date", 120,
    )  # fmt: skip
    assert [v.row for v in group.examples] == [6, 7, 8, 9, 10, 11, 12]
    assert report.counts_by_rule == {"type_date": 120}
    assert len(report.violations) == 7
    assert report.to_dict()["counts_by_rule"] == {"type_date": 120}


def test_default_cap_is_fifty_examples(tmp_path: Path) -> None:
    report = validate_extraction(_many_bad_dates(tmp_path, 60))
    assert report.error_count == 60
    assert len(report.violations) == 50


def test_zero_examples_still_counts(tmp_path: Path) -> None:
    report = validate_extraction(_many_bad_dates(tmp_path, 3), max_examples=0)
    assert report.violations == ()
    assert report.counts_by_rule == {"type_date": 3}
    assert not report.ok


def test_long_values_are_truncated(tmp_path: Path) -> None:
    extraction = TinyExtraction()
    extraction.set("students", 1, sex="X" * 5000)
    (violation,) = validate_extraction(extraction.write(tmp_path)).violations
    assert violation.value is not None
    assert len(violation.value) == 80
    assert violation.value.endswith("…")
    assert len(violation.message) < 300


def test_json_round_trips(tmp_path: Path) -> None:
    extraction = TinyExtraction()
    for corrupt in CORRUPTIONS.values():
        corrupt(extraction)
    report = validate_extraction(extraction.write(tmp_path), max_examples=3)
    text = report.to_json()
    assert ValidationReport.from_json(text) == report
    data = json.loads(text)
    assert data["ok"] is False
    assert data["counts_by_rule"] == report.counts_by_rule
    assert data["error_count"] == report.error_count
    assert {group["rule"] for group in data["groups"]} == set(report.counts_by_rule)
    assert all(group["shown"] <= 3 for group in data["groups"])
    assert [Violation(**v) for v in data["violations"]] == list(report.violations)


def test_warnings_do_not_make_the_report_invalid(tmp_path: Path) -> None:
    extraction = TinyExtraction()
    extraction.columns["grades"].append("teacher")
    report = validate_extraction(extraction.write(tmp_path))
    assert report.ok
    assert report.warning_count == 1
    assert [v.rule for v in report.warnings] == ["unknown_column"]


def test_required_column_hint_names_a_close_header(tmp_path: Path) -> None:
    extraction = TinyExtraction()
    extraction.columns["students"][0] = "Student_ID"
    for row in extraction.rows["students"]:
        row["Student_ID"] = row.pop("student_id")
    report = validate_extraction(extraction.write(tmp_path))
    required = [v for v in report.violations if v.rule == "required_column"]
    assert [(v.table, v.column) for v in required] == [("students", "student_id")]
    assert "Student_ID" in required[0].message
    assert any("unknown_student not checked" in note for note in report.notes)


def test_render_report_shows_examples_and_summary(tmp_path: Path) -> None:
    report = validate_extraction(_many_bad_dates(tmp_path, 4), max_examples=2)
    console = Console(record=True, width=200)
    console.print(render_report(report))
    text = console.export_text()
    for words in ("attendance", "type_date", "2024-11-000", "invalid: 4 errors", "2 more"):
        assert words in text


def test_render_report_of_a_valid_extraction(tmp_path: Path) -> None:
    console = Console(record=True, width=120)
    console.print(render_report(validate_extraction(write_valid_extraction(tmp_path))))
    assert "valid: 8 tables" in console.export_text()


# --- The gate used by every command ------------------------------------------------------------


def test_require_valid_returns_the_open_extraction(tmp_path: Path) -> None:
    with require_valid(write_valid_extraction(tmp_path)) as extraction:
        rows = extraction.con.execute("SELECT count(*) FROM grades").fetchone()
        assert rows == (4,)


def test_require_valid_raises_with_a_summary(tmp_path: Path) -> None:
    extraction = TinyExtraction()
    _type_date(extraction)
    _unknown_student(extraction)
    with pytest.raises(InvalidExtractionError) as raised:
        require_valid(extraction.write(tmp_path))
    text = str(raised.value)
    assert "is invalid" in text
    assert "type_date (error): 1 in students.birth_date" in text
    assert "students row 2, birth_date: [type_date]" in text
    assert raised.value.report.counts_by_rule["unknown_student"] == 1


def test_require_valid_leaves_no_validation_tables_behind(tmp_path: Path) -> None:
    with require_valid(write_valid_extraction(tmp_path)) as extraction:
        tables = extraction.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        assert tables == []


def test_rules_needing_a_missing_table_are_noted_not_reported(tmp_path: Path) -> None:
    directory = write_valid_extraction(tmp_path)
    (directory / "enrollments.csv").unlink()
    report = validate_extraction(directory)
    assert _keys(report) == {("missing_table", "enrollments", None, None)}
    assert report.notes == tuple(
        f"date_outside_enrollment not checked in {table}: enrollments is missing, unreadable, "
        "empty or lacks a column"
        for table in ("attendance", "grades", "exams")
    )


def test_max_examples_cannot_be_negative(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_examples"):
        validate_extraction(write_valid_extraction(tmp_path), max_examples=-1)


def test_require_valid_on_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidExtractionError, match="missing_folder"):
        require_valid(tmp_path / "nowhere")


# --- The rule catalogue and the documentation ----------------------------------------------


def test_every_rule_used_is_in_the_catalogue() -> None:
    used = {check.rule for table in TABLES.values() for check in cell_checks(table)}
    used |= {check.rule for name in TABLES for check in reference_checks(name)}
    used |= {check.rule for check in KEY_CHECKS}
    assert used <= set(RULES)
    assert set(RULES) - used == FILE_RULES | {"required_column", "unknown_column"}


_DOC = Path(__file__).parents[2] / "docs" / "data-contract.md"


def test_the_doc_names_every_table_column_code_and_rule() -> None:
    doc = _DOC.read_text(encoding="utf-8")
    for table in TABLES.values():
        assert f"## {table.name}" in doc
        for column in table.columns:
            assert f"`{column.name}`" in doc, column.name
            for code in column.codes or ():
                assert f"`{code}`" in doc, code
    for rule in RULES:
        assert f"`{rule}`" in doc, rule

"""The CSV French schools have: files written as French Excel writes them (semicolons,
Windows-1252, CRLF, decimal comma, dates as 25/11/2026) are read with what was detected
noted, files whose way of writing cannot be told are refused with what to do, and the same
data written either way gives bitwise the same features."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import shutil
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from features.contract import TABLES
from features.csv_dialect import (
    DateDecision,
    DateEvidence,
    FormatAmbiguity,
    NumberEvidence,
    decide_date_format,
    decide_date_formats,
    decide_decimal_mark,
    describe_format,
    detect_separator,
    explain_extra_fields,
    parse_overrides,
)
from features.csv_encoding import detect_encoding
from features.extraction import open_extraction
from features.pipeline import build_valid_features
from features.synth import synthesize
from features.validation import ValidationReport, render_report, validate_extraction
from tests.features.test_validation import TinyExtraction
from vigie.cli import app

NAMES = ("Éloïse", "Noël", "Lætitia", "Cœur", "Zoé")


def _excel_cell(kind: str | None, cell: str) -> str:
    """A canonical cell as French Excel writes it: 25/11/2026, 12,5, VRAI."""
    if kind == "bool" and cell:
        return {"true": "VRAI", "false": "FAUX"}[cell]
    if kind == "date" and cell:
        return dt.date.fromisoformat(cell).strftime("%d/%m/%Y")
    if kind in ("float", "int"):
        return cell.replace(".", ",")
    return cell


def write_as_excel(
    source: Path, out: Path, encoding: str = "cp1252", only: tuple[str, ...] = tuple(TABLES)
) -> Path:
    """Rewrite the canonical CSV extraction `source` into `out` as French Excel saves it:
    `;`, `encoding` ("utf-8-sig" for "CSV UTF-8" with its BOM), CRLF, decimal comma and
    DD/MM/YYYY dates; the tables not in `only` are copied as they are."""
    out.mkdir(parents=True, exist_ok=True)
    for name, table in TABLES.items():
        if not (source / f"{name}.csv").exists():  # an optional table left out
            continue
        if name not in only:
            shutil.copyfile(source / f"{name}.csv", out / f"{name}.csv")
            continue
        with (source / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
            header, *rows = list(csv.reader(handle))
        kinds = [table.column(column).kind for column in header]
        with (out / f"{name}.csv").open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows(
                [_excel_cell(kind, cell) for kind, cell in zip(kinds, row, strict=True)]
                for row in rows
            )
    return out


def _tiny_with_accents() -> TinyExtraction:
    tiny = TinyExtraction()
    for row, first_name in enumerate(NAMES, start=1):
        tiny.set("students", row, first_name=first_name)
    tiny.set("establishments", 1, name="Collège de l'Œuvre, 5 € la cantine")
    # A day above 12 in every table with dates, so that DD/MM/YYYY is proven everywhere.
    tiny.set("exams", 1, date="2024-07-13")
    tiny.set("grades", 1, date="2024-10-14")
    tiny.set("grades", 2, subject="français")
    tiny.set("students", 1, birth_date="2010-03-14")
    return tiny


def _raw(directory: Path, table: str) -> list[tuple]:
    with open_extraction(directory) as extraction:
        assert extraction.unreadable == {}
        return extraction.con.execute(f"SELECT * FROM raw_{table} ORDER BY _row").fetchall()


# --- Detection, on files written as French Excel writes them ----------------------------------


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_a_french_excel_extraction_is_read_as_the_canonical_one(
    tmp_path: Path, encoding: str
) -> None:
    canonical = _tiny_with_accents().write(tmp_path / "canonical")
    excel = write_as_excel(canonical, tmp_path / "excel", encoding)
    assert b"\r\n" in (excel / "grades.csv").read_bytes()
    assert b"12,5" in (excel / "grades.csv").read_bytes()
    assert b"18/11/2024;pm;absence;FAUX" in (excel / "attendance.csv").read_bytes()
    report = validate_extraction(excel)
    assert report.ok, report.summary()
    label = {"cp1252": "Windows-1252", "utf-8-sig": "UTF-8 with BOM"}[encoding]
    assert report.formats["grades"] == {
        "separator": "semicolon ';'",
        "encoding": label,
        "decimal_mark": "comma ','",
        "date_format": "DD/MM/YYYY",
        "overridden": "",
        "deduced": "",
    }
    assert report.formats["establishments"]["date_format"] == "YYYY-MM-DD"  # no date at all
    for table in TABLES:
        assert _raw(excel, table) == _raw(canonical, table), table
    names = [row[-2] for row in _raw(excel, "students")]  # first_name, then _row
    assert names == list(NAMES)


def test_the_canonical_files_are_noted_as_such(tmp_path: Path) -> None:
    report = validate_extraction(_tiny_with_accents().write(tmp_path))
    assert report.ok
    assert report.formats["attendance"] == {
        "separator": "comma ','",
        "encoding": "UTF-8",
        "decimal_mark": "point '.'",
        "date_format": "YYYY-MM-DD",
        "overridden": "",
        "deduced": "",
    }


def test_the_formats_are_shown_in_the_report_and_logged_without_student_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    excel = write_as_excel(_tiny_with_accents().write(tmp_path / "canonical"), tmp_path / "x")
    with caplog.at_level(logging.INFO, logger="features.extraction"):
        report = validate_extraction(excel)
    # French by default in the report, English in the log and on request.
    expected = (
        "grades.csv: séparateur point-virgule ';', Windows-1252, décimales virgule ',', "
        "dates JJ/MM/AAAA"
    )
    assert expected in report.summary()
    console = Console(width=200, record=True)
    console.print(render_report(report))
    assert expected in console.export_text()
    assert describe_format(report.formats["grades"], "en") == (
        "separator semicolon ';', Windows-1252, decimal comma ',', dates DD/MM/YYYY"
    )
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "grades.csv read as: separator semicolon ';', Windows-1252" in logged
    for student_data in ("S1", *NAMES, "2010", "14/03/2010"):
        assert student_data not in logged
    assert report.to_dict()["formats"]["grades"]["decimal_mark"] == "comma ','"
    assert ValidationReport.from_json(report.to_json()).formats == report.formats


def test_month_first_dates_are_read_when_proven(tmp_path: Path) -> None:
    directory = _tiny_with_accents().write(tmp_path)
    (directory / "outcomes.csv").write_text(
        "student_id,school_year,dropped_out,known_on\n"
        "S3,2023-2024,false,09/15/2024\nS4,2024-2025,true,02/03/2025\n"
    )
    report = validate_extraction(directory)
    assert report.ok, report.summary()
    assert report.formats["outcomes"]["date_format"] == "MM/DD/YYYY"
    assert [row[3] for row in _raw(directory, "outcomes")] == ["2024-09-15", "2025-02-03"]


def test_a_date_that_does_not_exist_in_the_detected_format_is_a_type_date(
    tmp_path: Path,
) -> None:
    canonical = _tiny_with_accents().write(tmp_path / "canonical")
    excel = write_as_excel(canonical, tmp_path / "excel")
    path = excel / "attendance.csv"
    path.write_bytes(path.read_bytes().replace(b"02/12/2024", b"31/02/2024"))
    (violation,) = validate_extraction(excel).violations
    assert (violation.rule, violation.table, violation.row, violation.column) == (
        "type_date", "attendance", 3, "date",
    )  # fmt: skip
    assert violation.value == "31/02/2024"


# --- The pure detection module -------------------------------------------------------------


def _chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 3, 1 << 20])
def test_encodings_are_told_apart_whatever_the_chunks(size: int) -> None:
    text = "student_id;last_name\r\nS1;Éloïse Noël\r\nS2;Cœur à 5 €\r\n"
    assert detect_encoding(lambda: _chunked(text.encode(), size)) == "utf-8"
    assert detect_encoding(lambda: _chunked(text.encode("utf-8-sig"), size)) == "utf-8-sig"
    assert detect_encoding(lambda: _chunked(text.encode("cp1252"), size)) == "cp1252"
    assert detect_encoding(lambda: _chunked(b"student_id\nS1\n", size)) == "utf-8"  # ASCII
    # An accent in the very last byte, no line break after it.
    assert detect_encoding(lambda: _chunked("a;b\r\nS1;Zoé".encode("cp1252"), size)) == "cp1252"
    assert detect_encoding(lambda: _chunked("a;b\r\nS1;Zoé".encode(), size)) == "utf-8"


# (bytes, offset of the doubt, words of the message)
_UNTELLABLE = {
    "undefined in Windows-1252": (b"a,b\nS\x81,1\n", 5, "undefined"),
    "a control character": (b"a,b\nS\xe9\x02,1\n", 6, "control character"),
    "another multi-byte encoding": (b"a,b\nS," + "学生".encode("gbk") + b"\n", 6, "run of"),
    "UTF-8 mixed with Windows-1252": ("a,b\nNoël,".encode() + b"\xe9\n", 10, "mixes UTF-8"),
}


@pytest.mark.parametrize("case", sorted(_UNTELLABLE))
def test_an_encoding_that_cannot_be_told_is_refused(case: str) -> None:
    data, offset, words = _UNTELLABLE[case]
    with pytest.raises(FormatAmbiguity) as caught:
        detect_encoding(lambda: [data])
    assert caught.value.what == "encoding"
    assert caught.value.offset == offset
    assert words in caught.value.message


def test_an_encoding_override_is_checked_not_guessed() -> None:
    assert detect_encoding(lambda: [b"a\nS\x81\n"], "latin-1") == "latin-1"
    with pytest.raises(FormatAmbiguity, match="not cp1252 text"):
        detect_encoding(lambda: [b"a\nS\x81\n"], "cp1252")


def test_the_separator_is_the_one_splitting_the_header_into_contract_columns() -> None:
    students = TABLES["students"]
    assert detect_separator("student_id;birth_date;sex", students) == ";"
    assert detect_separator("student_id,birth_date,sex", students) == ","
    # A semicolon inside a quoted name does not fool it.
    assert detect_separator('student_id,"birth;date",sex', students) == ","
    with pytest.raises(FormatAmbiguity, match="separator cannot be told") as caught:
        detect_separator("student_id;birth_date,sex", students)
    assert caught.value.row == 0
    assert detect_separator("student_id;birth_date,sex", students, ";") == ";"
    with pytest.raises(FormatAmbiguity, match="tabs"):
        detect_separator("student_id\tbirth_date", students)
    # A carriage return inside an unquoted name (found by the API's property tests) is a
    # header the csv module refuses: still split, so the contract names the odd column.
    assert detect_separator("student_id;birth\rdate;sex", students) == ";"


_DAY = DateEvidence(slashed=3, day_first=1, first_slashed=("date", 1), first_day_first=("date", 2))
_MONTH = DateEvidence(
    slashed=3, month_first=1, first_slashed=("date", 1), first_month_first=("date", 4)
)
_BOTH_WAYS = DateEvidence(slashed=3, first_slashed=("known_on", 1))


def test_the_date_format_is_decided_only_on_proof() -> None:
    assert decide_date_format("t", DateEvidence()) == DateDecision("YYYY-MM-DD")
    assert decide_date_format("t", _DAY) == DateDecision("DD/MM/YYYY")
    assert decide_date_format("t", _MONTH) == DateDecision("MM/DD/YYYY")
    with pytest.raises(FormatAmbiguity) as caught:
        decide_date_format("outcomes", _BOTH_WAYS)
    assert (caught.value.column, caught.value.row) == ("known_on", 1)
    assert "DD/MM/YYYY or MM/DD/YYYY" in caught.value.message
    assert 'date_format = "DD/MM/YYYY" under [outcomes] in csv_formats.toml' in (
        caught.value.message
    )
    assert decide_date_format("outcomes", _BOTH_WAYS, "DD/MM/YYYY") == DateDecision("DD/MM/YYYY")
    mixed = DateEvidence(
        slashed=2, day_first=1, month_first=1,
        first_day_first=("date", 4), first_month_first=("date", 9),
    )  # fmt: skip
    with pytest.raises(FormatAmbiguity, match=r"day first in attendance \(date, row 4\) and "):
        decide_date_format("attendance", mixed)


def test_dates_that_read_both_ways_take_the_order_the_other_tables_prove() -> None:
    day = decide_date_format("outcomes", _BOTH_WAYS, extraction={"attendance": _DAY})
    assert day == DateDecision("DD/MM/YYYY", deduced=True)
    month = decide_date_format("outcomes", _BOTH_WAYS, extraction={"exams": _MONTH})
    assert month == DateDecision("MM/DD/YYYY", deduced=True)
    # Tables without slashed dates (ISO, or none at all) prove nothing.
    with pytest.raises(FormatAmbiguity, match="in this table or any other of the extraction"):
        decide_date_format("outcomes", _BOTH_WAYS, extraction={"grades": DateEvidence()})


def test_tables_proving_opposite_orders_are_refused_naming_both() -> None:
    extraction = {"attendance": _DAY, "exams": _MONTH, "outcomes": _BOTH_WAYS}
    decisions = decide_date_formats(extraction, {})
    assert set(decisions) == set(extraction)
    for table, (column, row, order) in {
        "attendance": ("date", 2, "DD/MM/YYYY"),
        "exams": ("date", 4, "MM/DD/YYYY"),
        "outcomes": ("known_on", 1, "DD/MM/YYYY"),
    }.items():
        refusal = decisions[table]
        assert isinstance(refusal, FormatAmbiguity), table
        assert (refusal.column, refusal.row) == (column, row)  # where the table is at fault
        assert "day first in attendance (date, row 2)" in refusal.message
        assert "month first in exams (date, row 4)" in refusal.message
        assert f'date_format = "{order}" under [{table}] in csv_formats.toml' in refusal.message
    # A table holding both orders is refused on its own and tells nothing to the others.
    mixed = DateEvidence(
        slashed=2, day_first=1, month_first=1,
        first_day_first=("date", 1), first_month_first=("date", 2),
    )  # fmt: skip
    decisions = decide_date_formats(
        {"attendance": mixed, "exams": _MONTH, "outcomes": _BOTH_WAYS}, {}
    )
    assert isinstance(decisions["attendance"], FormatAmbiguity)
    assert decisions["exams"] == DateDecision("MM/DD/YYYY")
    assert decisions["outcomes"] == DateDecision("MM/DD/YYYY", deduced=True)


def test_an_overridden_table_wins_and_is_no_evidence_for_the_others() -> None:
    extraction = {"attendance": _DAY, "exams": _MONTH, "outcomes": _BOTH_WAYS}
    decisions = decide_date_formats(extraction, {"exams": "MM/DD/YYYY"})
    assert decisions == {
        "attendance": DateDecision("DD/MM/YYYY"),
        "exams": DateDecision("MM/DD/YYYY"),
        "outcomes": DateDecision("DD/MM/YYYY", deduced=True),
    }
    decisions = decide_date_formats(extraction, {"attendance": "DD/MM/YYYY", "exams": "MM/DD/YYYY"})
    assert isinstance(decisions["outcomes"], FormatAmbiguity)  # no table left to tell
    assert decide_date_formats(
        extraction, dict.fromkeys(extraction, "DD/MM/YYYY")
    ) == dict.fromkeys(extraction, DateDecision("DD/MM/YYYY"))


def test_a_deduced_date_format_is_noted_in_french_and_english() -> None:
    words = {
        "separator": "semicolon ';'", "encoding": "Windows-1252", "decimal_mark": "comma ','",
        "date_format": "DD/MM/YYYY", "overridden": "", "deduced": "date_format",
    }  # fmt: skip
    assert describe_format(words).endswith(
        "dates JJ/MM/AAAA (déduit des autres tables du même export)"
    )
    assert describe_format(words, "en").endswith(
        "dates DD/MM/YYYY (deduced from the other tables of the same extraction)"
    )
    del words["deduced"]  # a report written before the rule
    assert describe_format(words, "en").endswith("dates DD/MM/YYYY")


def test_the_decimal_mark_is_refused_when_both_appear() -> None:
    assert decide_decimal_mark("grades", NumberEvidence()) == "."
    assert decide_decimal_mark("grades", NumberEvidence(comma=2, first_comma=("value", 1))) == ","
    mixed = NumberEvidence(comma=1, point=1, first_comma=("value", 3), first_point=("out_of", 1))
    with pytest.raises(FormatAmbiguity, match=r"comma \(value, row 3\).*point \(out_of, row 1\)"):
        decide_decimal_mark("grades", mixed)


def test_extra_fields_are_explained_by_unquoted_decimal_commas() -> None:
    grades = TABLES["grades"]
    header = ["student_id", "date", "subject", "value", "out_of"]
    assert explain_extra_fields(grades, header, ["S1", "2024-10-10", "maths", "12", "5", "20"]) == (
        "value",
        "12,5",
    )
    # A comma inside a text column is not a decimal comma.
    assert explain_extra_fields(grades, header, ["S1", "2024-10-10", "a", "b", "12", "20"]) is None


def test_overrides_apply_to_every_table_or_one() -> None:
    overrides = parse_overrides(
        {"date_format": "dd/mm/yyyy", "students": {"encoding": "Windows-1252", "separator": ";"}},
        TABLES,
    )
    assert overrides["students"] == {
        "date_format": "DD/MM/YYYY", "encoding": "cp1252", "separator": ";",
    }  # fmt: skip
    assert overrides["grades"] == {"date_format": "DD/MM/YYYY"}
    for bad, words in (
        ({"date_format": "YY/MM/DD"}, "is not one of"),
        ({"pupils": {"separator": ";"}}, "not a contract table"),
        ({"grades": {"decimal": ","}}, "is not one of"),
        ({"encoding": 1252}, "must be text"),
    ):
        with pytest.raises(ValueError, match=words):
            parse_overrides(bad, TABLES)


# --- Refusals, as `vigie validate` reports them ------------------------------------------------


def _refusal(directory: Path, table: str) -> tuple[int | None, str | None, str]:
    report = validate_extraction(directory)
    assert not report.ok
    refused = [v for v in report.violations if v.rule == "ambiguous_format"]
    assert [v.table for v in refused] == [table], report.summary()
    assert table not in report.tables_checked
    return refused[0].row, refused[0].column, refused[0].message


def _only_exams_slashed(tmp_path: Path) -> Path:
    """An extraction whose only slashed dates are exams' 10/07/2024 and 05/02/2025 (read both
    ways); every other table writes ISO dates, which prove no order."""
    canonical = TinyExtraction().write(tmp_path / "canonical")
    return write_as_excel(canonical, tmp_path / "excel", only=("exams",))


def test_dates_that_read_both_ways_in_every_table_are_refused_until_the_format_is_given(
    tmp_path: Path,
) -> None:
    excel = _only_exams_slashed(tmp_path)
    row, column, message = _refusal(excel, "exams")
    assert (row, column) == (1, "date")
    assert "exams.csv" in message
    assert "in this table or any other of the extraction" in message
    assert 'date_format = "DD/MM/YYYY" under [exams] in csv_formats.toml' in message
    (excel / "csv_formats.toml").write_text('[exams]\ndate_format = "DD/MM/YYYY"\n')
    report = validate_extraction(excel)
    assert report.ok, report.summary()
    assert report.formats["exams"]["overridden"] == "date_format"
    assert "(fixé dans csv_formats.toml : date_format)" in report.summary()
    assert [row[1] for row in _raw(excel, "exams")] == ["2024-07-10", "2025-02-05"]


def test_a_table_whose_dates_read_both_ways_takes_the_order_of_its_export(
    tmp_path: Path,
) -> None:
    tiny = _tiny_with_accents()
    tiny.set("exams", 1, date="2024-07-10")  # exams: 10/07/2024 and 05/02/2025 only
    canonical = tiny.write(tmp_path / "canonical")
    excel = write_as_excel(canonical, tmp_path / "excel")
    report = validate_extraction(excel)
    assert report.ok, report.summary()
    assert report.formats["exams"]["date_format"] == "DD/MM/YYYY"
    assert report.formats["exams"]["deduced"] == "date_format"
    assert report.formats["attendance"]["deduced"] == ""  # 18/11/2024 proves it
    assert (
        "format: exams.csv: séparateur point-virgule ';', UTF-8, décimales virgule ',', dates "
        "JJ/MM/AAAA (déduit des autres tables du même export)\n"  # exams hold no accent
    ) in report.summary()
    assert _raw(excel, "exams") == _raw(canonical, "exams")
    # A reader of exams alone decides as a reader of the whole extraction does.
    with open_extraction(excel, tables=("exams",)) as extraction:
        assert set(extraction.files) == {"exams"}
        assert extraction.formats["exams"]["deduced"] == "date_format"
    # An override still wins, and is noted as such.
    (excel / "csv_formats.toml").write_text('[exams]\ndate_format = "MM/DD/YYYY"\n')
    report = validate_extraction(excel)
    assert report.formats["exams"]["overridden"] == "date_format"
    assert report.formats["exams"]["deduced"] == ""
    assert [row[1] for row in _raw(excel, "exams")] == ["2024-10-07", "2025-05-02"]


def test_tables_of_one_extraction_proving_opposite_date_orders_are_refused(
    tmp_path: Path,
) -> None:
    tiny = TinyExtraction()
    tiny.set("exams", 1, date="2024-07-13")
    canonical = tiny.write(tmp_path / "canonical")
    excel = write_as_excel(canonical, tmp_path / "excel", only=("attendance",))  # 18/11/2024
    exams = excel / "exams.csv"
    exams.write_text(  # month first: 07/13/2024 proves it
        exams.read_text().replace("2024-07-13", "07/13/2024").replace("2025-02-05", "02/05/2025")
    )
    report = validate_extraction(excel)
    refused = {v.table: v for v in report.violations if v.rule == "ambiguous_format"}
    assert set(refused) == {"attendance", "exams"}, report.summary()
    assert (refused["attendance"].row, refused["attendance"].column) == (1, "date")
    assert (refused["exams"].row, refused["exams"].column) == (1, "date")
    for table, violation in refused.items():
        assert "day first in attendance (date, row 1)" in violation.message
        assert "month first in exams (date, row 1)" in violation.message
        assert f"under [{table}] in csv_formats.toml" in violation.message
    # Two tools after all: each table says its order, and both are read.
    (excel / "csv_formats.toml").write_text('[exams]\ndate_format = "MM/DD/YYYY"\n')
    report = validate_extraction(excel)
    assert report.ok, report.summary()
    assert report.formats["attendance"]["date_format"] == "DD/MM/YYYY"
    assert _raw(excel, "exams") == _raw(canonical, "exams")


def test_an_encoding_that_cannot_be_told_is_refused_with_its_row_and_column(
    tmp_path: Path,
) -> None:
    directory = _tiny_with_accents().write(tmp_path)
    path = directory / "students.csv"
    lines = path.read_text(encoding="utf-8").encode("cp1252").splitlines(keepends=True)
    lines[3] = lines[3].replace("Lætitia".encode("cp1252"), b"L\x81titia")  # row 3
    path.write_bytes(b"".join(lines))
    row, column, message = _refusal(directory, "students")
    assert (row, column) == (3, "first_name")
    assert "encoding cannot be told" in message
    assert 'encoding = "..." to csv_formats.toml' in message
    (directory / "csv_formats.toml").write_text('[students]\nencoding = "latin-1"\n')
    report = validate_extraction(directory)
    assert report.ok, report.summary()
    assert report.formats["students"]["encoding"] == "ISO-8859-1"


def test_a_separator_that_cannot_be_told_is_refused(tmp_path: Path) -> None:
    directory = _tiny_with_accents().write(tmp_path)
    path = directory / "students.csv"
    # student_id;birth_date;sex;scholarship_level,parent_pcs,...: 3 known names either way.
    path.write_text(path.read_text().replace(",", ";", 3))
    row, column, message = _refusal(directory, "students")
    assert (row, column) == (None, None)  # the header
    assert "students.csv, line 1" in message
    assert 'separator = ";" (or ",") under [students] in csv_formats.toml' in message


def test_an_unquoted_decimal_comma_in_a_comma_separated_file_is_refused(tmp_path: Path) -> None:
    directory = _tiny_with_accents().write(tmp_path)
    path = directory / "grades.csv"
    path.write_text(
        path.read_text().replace("S5,2025-03-03,histoire,9.5", "S5,2025-03-03,histoire,9,5")
    )
    row, column, message = _refusal(directory, "grades")
    assert (row, column) == (4, "value")
    assert "decimal comma (9,5)" in message
    assert "semicolons" in message


def test_decimal_commas_and_points_in_one_file_are_refused(tmp_path: Path) -> None:
    tiny = _tiny_with_accents()
    tiny.set("grades", 4, value="9,5")  # quoted by the CSV writer; rows 1 and 4 differ
    row, column, message = _refusal(tiny.write(tmp_path), "grades")
    assert (row, column) == (4, "value")
    assert "decimal comma (value, row 4)" in message
    assert "decimal point (value, row 1)" in message


def test_a_wrong_override_file_is_reported(tmp_path: Path) -> None:
    directory = _tiny_with_accents().write(tmp_path)
    (directory / "csv_formats.toml").write_text('date_format = "YY/MM/DD"\n')
    report = validate_extraction(directory)
    assert not report.ok
    (violation,) = report.violations
    assert (violation.table, violation.rule) == ("extraction", "unreadable_file")
    assert "csv_formats.toml" in violation.message


def test_the_utf8_copy_of_a_windows_1252_file_is_removed_on_close(tmp_path: Path) -> None:
    excel = write_as_excel(_tiny_with_accents().write(tmp_path / "canonical"), tmp_path / "x")
    with open_extraction(excel) as extraction:
        copy = extraction.transcoded_directory
        assert copy is not None and (copy / "students.csv").is_file()
        assert extraction.files["students"].read_path == copy / "students.csv"
    assert not copy.exists()
    assert sorted(path.name for path in excel.iterdir()) == sorted(f"{name}.csv" for name in TABLES)


# --- Same data, same features ----------------------------------------------------------------


def test_the_same_data_as_french_excel_gives_bitwise_the_same_features(tmp_path: Path) -> None:
    canonical = tmp_path / "canonical"
    synthesize(canonical, establishments=2, students=120, years=2, burn_in_years=0, seed=3,
               file_format="csv")  # fmt: skip
    students = pd.read_csv(canonical / "students.csv", dtype=str, keep_default_na=False)
    students["first_name"] = [NAMES[i % len(NAMES)] for i in range(len(students))]
    students.to_csv(canonical / "students.csv", index=False, lineterminator="\n")
    dates = [dt.date(2026, 10, 5), dt.date(2026, 11, 16)]
    expected = build_valid_features(canonical, dates).frame
    # Only attendance and outcomes as French Excel writes them, then every table.
    for encoding, only in (("cp1252", ("attendance", "outcomes")), ("utf-8-sig", tuple(TABLES))):
        excel = write_as_excel(canonical, tmp_path / encoding, encoding, only)
        # Outcomes are all known in the first days of October: 01/10/2026 to 09/10/2026
        # read both ways; attendance (a day above 12) tells the order of the export.
        report = validate_extraction(excel)
        assert report.ok, report.summary()
        assert report.formats["outcomes"]["date_format"] == "DD/MM/YYYY"
        assert report.formats["outcomes"]["deduced"] == "date_format"
        assert report.formats["attendance"]["deduced"] == ""
        assert "dates JJ/MM/AAAA (déduit des autres tables du même export)" in report.summary()
        assert {words["date_format"] for words in report.formats.values()} == {
            "DD/MM/YYYY", "YYYY-MM-DD",  # establishments have no dates
        }  # fmt: skip
        written_with_comma = "comma ','" if "grades" in only else "point '.'"
        assert report.formats["grades"]["decimal_mark"] == written_with_comma
        features = build_valid_features(excel, dates).frame
        assert len(features) > 100
        pd.testing.assert_frame_equal(features, expected, check_exact=True)
        hashed = pd.util.hash_pandas_object(features.astype(str), index=True)
        assert hashed.equals(pd.util.hash_pandas_object(expected.astype(str), index=True))
        floats = features.select_dtypes("float").to_numpy()
        assert floats.tobytes() == expected.select_dtypes("float").to_numpy().tobytes()


def test_vigie_validate_notes_the_formats_and_a_refused_file_writes_nothing(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    excel = _only_exams_slashed(tmp_path)
    refused = runner.invoke(app, ["validate", str(excel), "--json", "--quiet"])
    assert refused.exit_code == 1
    (violation,) = json.loads(refused.output)["violations"]
    assert (violation["rule"], violation["table"], violation["column"]) == (
        "ambiguous_format", "exams", "date",
    )  # fmt: skip
    out = tmp_path / "features.parquet"
    result = runner.invoke(
        app, ["features", "--data", str(excel), "--as-of", "2024-12-02", "--out", str(out)]
    )
    assert result.exit_code == 1
    assert not out.exists()
    (excel / "csv_formats.toml").write_text('date_format = "DD/MM/YYYY"\n')
    accepted = runner.invoke(app, ["validate", str(excel)], terminal_width=200)
    assert accepted.exit_code == 0, accepted.output
    assert "format: exams.csv: séparateur point-virgule ';'" in accepted.output
    assert "(fixé dans csv_formats.toml : date_format)" in accepted.output
    # The format lines follow --lang.
    english = runner.invoke(app, ["validate", str(excel), "--lang", "en"], terminal_width=200)
    assert english.exit_code == 0, english.output
    assert "format: exams.csv: separator semicolon" in english.output
    assert "séparateur" not in english.output


def test_a_reader_of_a_few_tables_gets_the_same_typed_rows(tmp_path: Path) -> None:
    canonical = _tiny_with_accents().write(tmp_path / "canonical")
    excel = write_as_excel(canonical, tmp_path / "excel")
    typed = []
    for directory in (canonical, excel):
        with open_extraction(directory, tables=("grades", "attendance")) as extraction:
            assert set(extraction.files) == {"grades", "attendance"}
            typed.append(
                [
                    extraction.con.execute(f"SELECT * FROM {table} ORDER BY _row").fetchall()
                    for table in ("grades", "attendance")
                ]
            )
    assert typed[0] == typed[1]
    assert typed[0][0][0][3] == 12.5  # grades.value of row 1


def test_the_data_fingerprint_covers_the_csv_formats_file(tmp_path: Path) -> None:
    from training.tracking import data_fingerprint

    directory = _tiny_with_accents().write(tmp_path)
    before = data_fingerprint(directory)
    assert "csv_formats.toml" not in before["files"]
    (directory / "csv_formats.toml").write_text('date_format = "DD/MM/YYYY"\n')
    after = data_fingerprint(directory)
    assert "csv_formats.toml" in after["files"]
    assert after["sha256"] != before["sha256"]

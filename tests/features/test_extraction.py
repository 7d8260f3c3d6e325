"""The I/O edge: `open_extraction` registers raw text views and typed views, and names every
file it cannot read with a clear message and line instead of raising."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from features.extraction import ExtractionReadError, open_extraction
from tests.features.test_validation import TinyExtraction, write_valid_extraction


def _rows(extraction, sql: str) -> list[tuple]:
    return extraction.con.execute(sql).fetchall()


def test_raw_views_are_text_with_empty_cells_null_and_1_based_rows(tmp_path: Path) -> None:
    tiny = TinyExtraction()
    tiny.set("grades", 2, subject="  francais ", coefficient="   ")
    with open_extraction(tiny.write(tmp_path)) as extraction:
        assert extraction.missing == ()
        assert extraction.unreadable == {}
        rows = _rows(extraction, "SELECT _row, subject, out_of, coefficient FROM raw_grades")
        assert rows == [
            (1, "mathematiques", "20", "1"),
            (2, "francais", "10", None),
            (3, "anglais", None, None),
            (4, "histoire", "20", "1"),
        ]
        types = _rows(extraction, "SELECT DISTINCT typeof(value) FROM raw_grades")
        assert types == [("VARCHAR",)]


def test_typed_views_cast_and_fill_defaults(tmp_path: Path) -> None:
    tiny = TinyExtraction()
    tiny.columns["grades"].remove("coefficient")  # an optional column left out
    tiny.set("attendance", 1, justified="TRUE")
    with open_extraction(tiny.write(tmp_path)) as extraction:
        grade = _rows(
            extraction, "SELECT date, value, out_of, coefficient, period FROM grades WHERE _row = 3"
        )
        assert grade == [(dt.date(2024, 3, 12), 15.0, 20.0, 1.0, 2)]
        justified = _rows(extraction, "SELECT justified FROM attendance ORDER BY _row LIMIT 3")
        assert justified == [(True,), (False,), (True,)]
        assert extraction.files["grades"].columns == (
            "student_id", "date", "subject", "value", "out_of", "period",
        )  # fmt: skip


def test_row_numbers_follow_records_with_crlf_and_quoted_line_breaks(tmp_path: Path) -> None:
    directory = write_valid_extraction(tmp_path)
    path = directory / "establishments.csv"
    header, first, second = path.read_bytes().splitlines()
    second = second.replace(b"Lyc\xc3\xa9e Chateaubriand", b'"Lyc\xc3\xa9e\r\nChateaubriand"')
    path.write_bytes(b"\r\n".join((header, first, second, first.replace(b"23K", b"25M"))) + b"\r\n")
    with open_extraction(directory) as extraction:
        rows = _rows(extraction, "SELECT _row, uai, name FROM raw_establishments")
    assert rows == [
        (1, "0350023K", "Collège Anne de Bretagne"),
        (2, "0350024L", "Lycée\r\nChateaubriand"),
        (3, "0350025M", "Collège Anne de Bretagne"),
    ]


def test_missing_tables_are_listed(tmp_path: Path) -> None:
    directory = write_valid_extraction(tmp_path)
    (directory / "exams.csv").unlink()
    (directory / "outcomes.csv").unlink()
    with open_extraction(directory) as extraction:
        assert extraction.missing == ("exams", "outcomes")
        assert set(extraction.files) == {
            "establishments", "students", "enrollments", "attendance", "grades", "interviews",
        }  # fmt: skip
    # The optional interviews table is never missing.
    (directory / "interviews.csv").unlink()
    with open_extraction(directory) as extraction:
        assert extraction.missing == ("exams", "outcomes")
        assert "interviews" not in extraction.files


def test_a_missing_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        open_extraction(tmp_path / "nowhere")


def test_parquet_cells_read_as_iso_text_and_bad_dates_are_kept(tmp_path: Path) -> None:
    directory = write_valid_extraction(tmp_path, "parquet")
    pd.DataFrame(
        {
            "student_id": ["S1", "S2", "S3"],
            "date": ["2024-11-18", "2024-13-45", None],
            "half_day": ["am", "am", "pm"],
            "kind": ["absence", "late", "absence"],
            "justified": [True, False, True],
        }
    ).to_parquet(directory / "attendance.parquet", index=False)
    pd.DataFrame(
        {"student_id": ["S1"], "date": [pd.Timestamp("2024-10-10 08:30")], "subject": ["svt"],
         "value": [12.5], "out_of": [20.0], "period": [1]}
    ).to_parquet(directory / "grades.parquet", index=False)  # fmt: skip
    with open_extraction(directory) as extraction:
        attendance = _rows(extraction, "SELECT _row, date, justified FROM raw_attendance")
        assert attendance == [
            (1, "2024-11-18", "true"),
            (2, "2024-13-45", "false"),
            (3, None, "true"),
        ]
        grades = _rows(extraction, "SELECT date, value, out_of, period FROM raw_grades")
        assert grades == [("2024-10-10", "12.5", "20.0", "1")]


# (content written as the students file, expected line, words in the message)
_UNREADABLE: dict[str, tuple[bytes, int | None, str]] = {
    "a byte Windows-1252 leaves undefined": (
        b"student_id,birth_date\nS1,2010-01-01\nS\x81,2010-01-01\n",
        3, "encoding cannot be told",
    ),
    "another multi-byte encoding deep in the file": (
        b"student_id,birth_date\n" + b"S1,2010-01-01\n" * 6000
        + "S学生".encode("gbk") + b",2010-01-01\n",
        6002, "encoding cannot be told",
    ),
    "UTF-8 and Windows-1252 mixed": (
        "student_id,last_name\nS1,Noël\n".encode() + "S2,Éloïse\n".encode("cp1252"),
        3, "mixes UTF-8 and another encoding",
    ),
    "both separators in the header": (
        b"student_id;birth_date,sex\nS1;2010-01-01,F\n", 1, "separator cannot be told",
    ),
    "tabs": (b"student_id\tbirth_date\nS1\t2010-01-01\n", 1, "tab"),
    "truncated line": (b"student_id,birth_date,sex\nS1,2010-01-01,F\nS2,2010\n", 3, "truncated"),
    "too many fields": (b"student_id,birth_date\nS1,2010-01-01,F\n", 2, "expected 2 fields"),
    "unclosed quote": (b'student_id,birth_date\nS1,"2010-01-01\n', 2, "never closed"),
    "NUL bytes": (b"student_id,birth_date\nS1,\x00\x00\n", None, "NUL"),
    "0 bytes": (b"", None, "empty"),
    "blank lines only": (b"\n\n  \n", None, "empty"),
    "not a header": (b"1,2,3\n4,5,6\n", 1, "not a header"),
    "repeated column": (b"student_id,sex,sex\nS1,F,F\n", 1, "names sex more than once"),
    "empty column name": (b"student_id,sex,\nS1,F,\n", 1, "empty column name"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(_UNREADABLE))
def test_unreadable_csv_is_named_with_its_line(tmp_path: Path, case: str) -> None:
    content, line, words = _UNREADABLE[case]
    directory = write_valid_extraction(tmp_path)
    (directory / "students.csv").write_bytes(content)
    with open_extraction(directory) as extraction:
        assert set(extraction.unreadable) == {"students"}
        error = extraction.unreadable["students"]
        assert "students" not in extraction.files
        assert _rows(
            extraction, "SELECT count(*) FROM duckdb_views() WHERE view_name = 'raw_students'"
        ) == [(0,)]
    assert isinstance(error, ExtractionReadError)
    assert (error.table, error.path.name, error.line) == ("students", "students.csv", line)
    assert words in error.message
    assert str(error).startswith("table students (students.csv")


def test_a_bom_is_tolerated(tmp_path: Path) -> None:
    directory = write_valid_extraction(tmp_path)
    path = directory / "students.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    with open_extraction(directory) as extraction:
        assert extraction.unreadable == {}
        assert _rows(extraction, "SELECT student_id FROM raw_students WHERE _row = 1") == [("S1",)]


def test_csv_and_parquet_of_the_same_table_is_unreadable(tmp_path: Path) -> None:
    directory = write_valid_extraction(tmp_path)
    pd.DataFrame({"student_id": ["S1"]}).to_parquet(directory / "students.parquet")
    with open_extraction(directory) as extraction:
        assert "keep one" in extraction.unreadable["students"].message


def test_damaged_parquet_is_unreadable(tmp_path: Path) -> None:
    directory = write_valid_extraction(tmp_path, "parquet")
    (directory / "students.parquet").write_bytes(b"PAR1\x00\x00garbage")
    with open_extraction(directory) as extraction:
        error = extraction.unreadable["students"]
    assert "not a readable Parquet file" in error.message

"""A student's facts read from an extraction (`serving.solutions.extraction_facts`): the
fact tables are read once per extraction and kept, and a file written again is read again."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from serving.services.errors import NotFound
from serving.solutions.extraction_facts import read_facts

from .test_solutions import ENROLLMENTS, EXAMS, STUDENTS

ON = dt.date(2026, 11, 23)


def _write(folder: Path, students: str = STUDENTS) -> None:
    folder.mkdir(exist_ok=True)
    for name, rows in (("students", students), ("enrollments", ENROLLMENTS), ("exams", EXAMS)):
        (folder / f"{name}.csv").write_text(rows, encoding="utf-8")


def test_each_students_rows_and_only_theirs(tmp_path: Path) -> None:
    _write(tmp_path)
    failed = read_facts(tmp_path, "H001", ON, interview_held=True)
    assert (failed.age, failed.qualified, failed.enrolled) == (17, False, True)
    assert [(exam.exam, exam.date) for exam in failed.failed_exams] == [
        ("cap", dt.date(2026, 6, 20))
    ]
    passed = read_facts(tmp_path, "H003", ON, interview_held=False)
    assert passed.failed_exams == () and passed.diplomas == ("bac_pro",) and passed.qualified
    young = read_facts(tmp_path, "H002", ON, interview_held=False)
    assert young.age == 15 and young.failed_exams == () and young.diplomas == ()
    with pytest.raises(NotFound, match="H999 is not in the extraction"):
        read_facts(tmp_path, "H999", ON, interview_held=False)


def test_a_file_written_again_is_read_again(tmp_path: Path) -> None:
    _write(tmp_path)
    assert read_facts(tmp_path, "H002", ON, interview_held=False).age == 15
    older = STUDENTS.replace("H002,2011-03-02", "H002,2008-03-02")
    _write(tmp_path, older)
    stat = (tmp_path / "students.csv").stat()  # same size; a coarse clock may keep the time
    os.utime(tmp_path / "students.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert read_facts(tmp_path, "H002", ON, interview_held=False).age == 18

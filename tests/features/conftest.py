"""Helpers to write tiny, valid extractions from Python rows, and row makers with defaults.

Tests state only the cells that matter to them; every other cell gets a valid default. Tables
left out are written with their header only, so every extraction has all contract tables.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest
from hypothesis import strategies as st

from features.contract import CODES, TABLES

Row = Mapping[str, object]
D = dt.date


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_extraction(directory: Path, tables: Mapping[str, Iterable[Row]]) -> Path:
    """Write `<table>.csv` for every contract table into `directory` and return it."""
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise KeyError(f"not contract tables: {sorted(unknown)}")
    directory.mkdir(parents=True, exist_ok=True)
    for name, table in TABLES.items():
        columns = table.column_names
        with (directory / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            for row in tables.get(name, ()):
                extra = set(row) - set(columns)
                if extra:
                    raise KeyError(f"{name} has no columns {sorted(extra)}")
                writer.writerow({column: _cell(row.get(column)) for column in columns})
    return directory


def establishment(uai: str, kind: str = "college", priority_zone: str = "none") -> dict:
    return {
        "uai": uai, "name": f"Établissement {uai}", "kind": kind, "academie": "Rennes",
        "department": "35", "sector": "public", "priority_zone": priority_zone,
        "weekly_interview_capacity": 5,
    }  # fmt: skip


def student(
    student_id: str,
    birth_date: dt.date = dt.date(2012, 3, 14),
    sex: str = "F",
    scholarship_level: int = 0,
    parent_pcs: str = "middle",
) -> dict:
    return {
        "student_id": student_id, "birth_date": birth_date, "sex": sex,
        "scholarship_level": scholarship_level, "parent_pcs": parent_pcs,
        "last_name": "Le Goff", "first_name": "Maëlle",
    }  # fmt: skip


def enrollment(
    student_id: str,
    school_year: str,
    uai: str,
    level: str,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    class_id: str = "A",
    track: str | None = None,
    exit_reason: str | None = None,
) -> dict:
    first_year = int(school_year[:4])
    if track is None:
        track = "college" if level in ("6e", "5e", "4e", "3e") else "general"
        if level.endswith("_pro") or level.startswith("CAP"):
            track = "vocational"
    return {
        "student_id": student_id, "school_year": school_year, "uai": uai, "level": level,
        "track": track, "class_id": class_id,
        "start_date": start_date or dt.date(first_year, 9, 1),
        "end_date": end_date, "exit_reason": exit_reason,
    }  # fmt: skip


def absence(
    student_id: str, date: dt.date, half_day: str = "am", justified: bool = False
) -> dict:
    return {"student_id": student_id, "date": date, "half_day": half_day, "kind": "absence",
            "justified": justified}  # fmt: skip


def late(student_id: str, date: dt.date, half_day: str = "am") -> dict:
    return {"student_id": student_id, "date": date, "half_day": half_day, "kind": "late",
            "justified": False}  # fmt: skip


def grade(
    student_id: str,
    date: dt.date,
    value: float,
    subject: str = "mathematiques",
    period: int = 1,
    out_of: float | None = 20,
    coefficient: float | None = 1,
) -> dict:
    return {"student_id": student_id, "date": date, "subject": subject, "value": value,
            "out_of": out_of, "coefficient": coefficient, "period": period}  # fmt: skip


def exam(student_id: str, date: dt.date, exam: str = "mock", result: str = "fail") -> dict:
    return {"student_id": student_id, "date": date, "exam": exam, "result": result,
            "score": None}  # fmt: skip


def outcome(student_id: str, school_year: str, dropped_out: bool, known_on: dt.date) -> dict:
    return {"student_id": student_id, "school_year": school_year, "dropped_out": dropped_out,
            "known_on": known_on}  # fmt: skip


@pytest.fixture
def make_extraction(tmp_path: Path):
    """Write an extraction from rows into a fresh folder under tmp_path; returns its path."""
    counter = iter(range(1_000_000))

    def make(tables: Mapping[str, Iterable[Row]]) -> Path:
        return write_extraction(tmp_path / f"extraction_{next(counter)}", tables)

    return make


# --- Hypothesis strategies: small random académies around the 2024-2025 school year --------

UAIS = {"0350001A": "college", "0350002B": "lycee_gt", "0350003C": "lycee_pro"}
SUBJECTS = ("mathematiques", "francais", "anglais")
FIRST_EVENT, LAST_EVENT = D(2023, 6, 1), D(2025, 3, 31)
FIRST_AS_OF, LAST_AS_OF = D(2024, 8, 19), D(2025, 2, 28)


def _dates(around: list[dt.date]) -> st.SearchStrategy[dt.date]:
    """Any date of the period, or mostly a date shortly before (or on) one of `around` (the
    as-of dates), so that windows' edges and runs of consecutive days get exercised."""
    shortly_before = st.builds(
        lambda day, days: day - dt.timedelta(days=days),
        st.sampled_from(around),
        st.one_of(
            st.integers(0, 15), st.sampled_from((14, 15, 28, 29, 56, 57)), st.integers(0, 90)
        ),
    )
    return st.one_of(st.dates(FIRST_EVENT, LAST_EVENT), shortly_before, shortly_before)


def unique(rows: list[dict], key: tuple[str, ...]) -> list[dict]:
    seen: dict[tuple, dict] = {}
    for row in rows:
        seen.setdefault(tuple(row[k] for k in key), row)
    return list(seen.values())


@st.composite
def enrollments_of(draw: st.DrawFn, student_id: str) -> list[dict]:
    rows = []
    for _ in range(draw(st.integers(1, 3))):
        school_year = draw(st.sampled_from(("2023-2024", "2024-2025")))
        first = int(school_year[:4])
        start = draw(st.one_of(
            st.just(D(first, 9, 2)), st.dates(D(first, 9, 1), D(first + 1, 6, 30))
        ))  # fmt: skip
        end = draw(st.one_of(st.none(), st.dates(start, D(first + 1, 8, 31))))
        rows.append(enrollment(
            student_id, school_year, draw(st.sampled_from(sorted(UAIS))),
            draw(st.sampled_from(CODES["level"])), start, end,
            class_id=draw(st.sampled_from(("A", "B"))),
            track=draw(st.sampled_from(CODES["track"])),
        ))  # fmt: skip
    return unique(rows, ("student_id", "school_year", "uai", "start_date"))


def event_rows(
    draw: st.DrawFn, students: list[str], dates: st.SearchStrategy[dt.date], most: int = 12
) -> dict[str, list[dict]]:
    """Random attendance, grades and exams of `students` on `dates`."""
    who = st.sampled_from(students)
    attendance = draw(st.lists(st.builds(
        lambda s, d, h, k, j: {"student_id": s, "date": d, "half_day": h, "kind": k,
                               "justified": j},
        who, dates, st.sampled_from(("am", "pm")), st.sampled_from(("absence", "absence", "late")),
        st.booleans(),
    ), max_size=3 * most))  # fmt: skip
    # Bursts of consecutive days of absence make runs and absentéisme months likely.
    for student_id, first, days, justified in draw(st.lists(st.tuples(
        who, dates, st.integers(1, 9), st.booleans()
    ), max_size=3)):  # fmt: skip
        attendance += [absence(student_id, first + dt.timedelta(days=k), half_day, justified)
                       for k in range(days) for half_day in ("am", "pm")]  # fmt: skip
    grades = draw(st.lists(st.builds(
        grade, who, dates, st.integers(0, 40).map(lambda v: v / 2),
        st.sampled_from(SUBJECTS), st.integers(1, 3),
        st.sampled_from((20, 20, 10, 0)), st.sampled_from((1, 1, 2, 0.5, 0)),
    ), max_size=2 * most))  # fmt: skip
    exams = draw(st.lists(st.builds(
        exam, who, dates, st.sampled_from(CODES["exam"]), st.sampled_from(CODES["exam_result"]),
    ), max_size=most // 2))  # fmt: skip
    return {
        "attendance": unique(attendance, ("student_id", "date", "half_day", "kind")),
        "grades": grades,
        "exams": exams,
    }


@st.composite
def academies(draw: st.DrawFn, as_of_count: int = 3) -> tuple[dict[str, list[dict]], list]:
    """A random small académie and 1 to `as_of_count` as-of dates (any weekday, holidays
    included), with events often falling on or just before an as-of date."""
    as_of_dates = draw(st.lists(st.dates(FIRST_AS_OF, LAST_AS_OF), min_size=1,
                                max_size=as_of_count, unique=True))  # fmt: skip
    students = [f"S{i}" for i in range(draw(st.integers(1, 4)))]
    zone = st.sampled_from(CODES["priority_zone"])
    births = st.dates(D(2006, 1, 1), D(2014, 12, 31))
    tables: dict[str, list[dict]] = {
        "establishments": [establishment(uai, kind, draw(zone)) for uai, kind in UAIS.items()],
        "students": [
            student(
                s,
                draw(births),
                draw(st.sampled_from(CODES["sex"])),
                draw(st.integers(0, 6)),
                draw(st.sampled_from(CODES["parent_pcs"])),
            )
            for s in students
        ],
        "enrollments": [row for s in students for row in draw(enrollments_of(s))],
    }
    tables.update(event_rows(draw, students, _dates(as_of_dates)))
    return tables, as_of_dates

"""The week's rosters as one table: made column-wise from the extraction by the weekly run
(`serving.scoring.run.week_rosters`) and given to the write as such
(`replace_week_lists(rosters=...)`), they store the same rows and give the week the same
fingerprint as the establishments' `roster` tuples; a table that breaks the week is refused
before anything is written."""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from sqlalchemy import func, select

from features.contract import TABLES
from features.extraction import open_extraction
from serving.db import Store, open_store
from serving.db.models import RosterState, WeeklyRun
from serving.scoring.run import week_rosters
from serving.weekly import ROSTER_SCHEMA, EstablishmentWeek, RosterStudent, replace_week_lists
from serving.weekly.roster_digest import roster_table
from tests.serving.conftest import HOME_UAI, OTHER_UAI, WEEK, stored_rosters
from tests.serving.test_roster_state import rosters

AS_OF = dt.date(2026, 3, 16)


def _write(store: Store, week: dt.date, inputs: list[EstablishmentWeek], **options):  # type: ignore[no-untyped-def]
    return replace_week_lists(
        store, as_of=week, model_version="m/1", establishments=inputs, watch_threshold=0.3,
        **options,
    )  # fmt: skip


def _as_table(
    inputs: list[EstablishmentWeek], seed: int
) -> tuple[list[EstablishmentWeek], pa.Table]:
    """The establishments without their rosters, and the rosters as one table in a
    shuffled row order (the write sorts it)."""
    table = roster_table(inputs)
    order = list(range(table.num_rows))
    random.Random(seed).shuffle(order)
    return [replace(e, roster=()) for e in inputs], table.take(order)


def _state(store: Store) -> list[tuple[str, str]]:
    with store.reading() as session:
        return sorted(session.execute(select(RosterState.uai, RosterState.roster_sha256)))


def test_rosters_given_as_one_table_store_the_same_rows_and_fingerprint(tmp_path: Path) -> None:
    weeks = [WEEK + dt.timedelta(weeks=k) for k in range(4)]
    # The same rosters twice (held the second time), new names, then unknown starts.
    inputs = [rosters(), rosters(), rosters("Autre"), rosters(since=None)]
    tuples = open_store(f"sqlite:///{tmp_path / 'tuples.sqlite3'}")
    table = open_store(f"sqlite:///{tmp_path / 'table.sqlite3'}")
    for number, (week, week_input) in enumerate(zip(weeks, inputs, strict=True)):
        expected = _write(tuples, week, week_input)
        establishments, shuffled = _as_table(week_input, seed=number)
        got = _write(table, week, establishments, rosters=shuffled)
        assert got.fingerprint == expected.fingerprint
        assert stored_rosters(table) == stored_rosters(tuples)
        assert _state(table) == _state(tuples)
    # An older week written again from the table changes nothing the newest wrote.
    establishments, shuffled = _as_table(rosters("Ancien"), seed=9)
    _write(tuples, weeks[0], rosters("Ancien"))
    _write(table, weeks[0], establishments, rosters=shuffled)
    assert stored_rosters(table) == stored_rosters(tuples)
    assert ("H001", "NomH001", "PrénomH001") in stored_rosters(table)["students"]


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda inputs, t: ([*inputs[:1], rosters()[1]], t), "on establishments too"),
        (lambda inputs, t: (inputs, t.drop_columns(["first_name"])), "first_name"),
        (lambda inputs, t: (inputs[:1], t), f"{OTHER_UAI}: a roster of an establishment"),
        (lambda inputs, t: (inputs, pa.concat_tables([t, t.slice(2, 1)])), "appears twice"),
        (
            lambda inputs, t: (
                inputs,
                t.set_column(1, "student_id", pa.array([None] * t.num_rows, pa.string())),
            ),
            "has no student_id",
        ),
    ],
    ids=["roster-twice", "missing-column", "unknown-uai", "repeated-student", "no-student-id"],
)
def test_a_rosters_table_that_breaks_the_week_is_refused_and_nothing_is_written(
    tmp_path: Path,
    break_it: Callable[
        [list[EstablishmentWeek], pa.Table], tuple[list[EstablishmentWeek], pa.Table]
    ],
    message: str,
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    establishments, table = break_it(*_as_table(rosters(), seed=1))
    with pytest.raises(ValueError, match=message):
        _write(store, WEEK, establishments, rosters=table)
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(WeeklyRun)) == 0
    assert stored_rosters(store) == {"students": [], "enrollments": []}


# --- the rosters made from an extraction ---------------------------------------------------


def _csv(folder: Path, table: str, rows: list[dict[str, str]]) -> None:
    columns = [column.name for column in TABLES[table].columns]
    with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows([{name: row.get(name, "") for name in columns} for row in rows])


def _student(student_id: str, last: str = "", first: str = "") -> dict[str, str]:
    return {"student_id": student_id, "birth_date": "2010-03-14", "sex": "F",
            "scholarship_level": "0", "parent_pcs": "middle", "last_name": last,
            "first_name": first}  # fmt: skip


def _enrollment(student_id: str, uai: str, start: str, end: str = "") -> dict[str, str]:
    return {"student_id": student_id, "school_year": "2025-2026", "uai": uai, "level": "3e",
            "track": "college", "class_id": "3eB", "start_date": start, "end_date": end,
            "exit_reason": "moved" if end else ""}  # fmt: skip


def _expected(students: list[dict[str, str]], enrollments: list[dict[str, str]],
              scored: pd.DataFrame) -> pa.Table:  # fmt: skip
    """The rosters as the per-student objects made them: names by id (none when both are
    empty), the enrollment in force on AS_OF with the latest start, by (student, UAI)."""
    names = {s["student_id"]: (s["last_name"] or None, s["first_name"] or None) for s in students
             if s["last_name"] or s["first_name"]}  # fmt: skip
    in_force: dict[tuple[str, str], tuple[dt.date, dt.date | None]] = {}
    for row in enrollments:
        start = dt.date.fromisoformat(row["start_date"])
        end = dt.date.fromisoformat(row["end_date"]) if row["end_date"] else None
        key = (row["student_id"], row["uai"])
        in_force_now = start <= AS_OF and (end is None or end >= AS_OF)
        if in_force_now and (key not in in_force or start > in_force[key][0]):
            in_force[key] = (start, end)
    weeks = []
    for uai, group in scored.groupby("uai"):
        roster = []
        for student_id in group["student_id"]:
            last, first = names.get(student_id, (None, None))
            since, until = in_force.get((student_id, uai), (None, None))
            roster.append(RosterStudent(student_id, last, first, since, until))
        weeks.append(EstablishmentWeek(str(uai), str(uai), 1, (), tuple(roster)))
    return roster_table(weeks)


def test_week_rosters_join_names_and_the_enrollment_in_force(tmp_path: Path) -> None:
    home, other = HOME_UAI, OTHER_UAI
    students = [
        _student("S1", "Le Goff", "Maëlle"),
        _student("S2"),  # no names
        _student("S3", "Martin", ""),  # one name only
        _student("S4", "Durand", "Léo"),
        _student("S5", "Petit", "Inès"),
    ]
    enrollments = [
        _enrollment("S1", home, "2025-09-01"),
        _enrollment("S2", home, "2025-09-01", "2025-12-19"),  # ended: none in force
        _enrollment("S2", home, "2026-01-05"),  # back: the later start is in force
        _enrollment("S3", other, "2025-09-01", "2026-03-16"),  # ends on the as-of date
        _enrollment("S4", home, "2025-09-01", "2026-02-13"),  # moved
        _enrollment("S4", other, "2026-02-16"),
        _enrollment("S5", other, "2026-03-23"),  # starts after the as-of date
    ]
    folder = tmp_path / "extraction"
    folder.mkdir()
    _csv(folder, "students", students)
    _csv(folder, "enrollments", enrollments)
    # The feature rows: S4 scored at both schools (a week's move), S5 without enrollment
    # in force, in no particular order.
    scored = pd.DataFrame(
        {
            "uai": [other, home, other, home, other, home],
            "student_id": ["S5", "S2", "S4", "S1", "S3", "S4"],
        }
    )
    with open_extraction(folder, tables=["students", "enrollments"]) as extraction:
        got = week_rosters(extraction, scored, AS_OF)
    assert got.schema == ROSTER_SCHEMA
    assert got.equals(_expected(students, enrollments, scored))
    rows = {(r["uai"], r["student_id"]): r for r in got.to_pylist()}
    assert rows[(home, "S2")]["enrolled_since"] == dt.date(2026, 1, 5)
    assert rows[(home, "S2")]["last_name"] is None
    assert rows[(other, "S3")]["first_name"] is None and rows[(other, "S3")]["last_name"]
    assert rows[(home, "S4")]["enrolled_since"] is None  # ended before the as-of date
    assert rows[(other, "S4")]["enrolled_since"] == dt.date(2026, 2, 16)
    assert rows[(other, "S5")]["enrolled_since"] is None
    assert [r["uai"] for r in got.to_pylist()] == sorted(r["uai"] for r in got.to_pylist())


@pytest.mark.parametrize("seed", range(3))
def test_week_rosters_equal_the_per_student_lookups_on_random_extractions(
    tmp_path: Path, seed: int
) -> None:
    rng = random.Random(seed)
    uais = [HOME_UAI, OTHER_UAI, "0350023K"]
    ids = [f"S{number:04d}" for number in range(300)]
    students = [
        _student(s, *rng.choice([("", ""), (f"Nom{s}", ""), ("", f"Prénom{s}"), ("N", "P")]))
        for s in ids
    ]
    days = [dt.date(2025, 9, 1) + dt.timedelta(days=7 * k) for k in range(40)]
    enrollments, seen = [], set()
    for s in ids:
        for _ in range(rng.randrange(0, 4)):
            uai, start = rng.choice(uais), rng.choice(days)
            if (s, uai, start) in seen:
                continue
            seen.add((s, uai, start))
            end = rng.choice([None, start + dt.timedelta(days=rng.randrange(0, 200))])
            enrollments.append(
                _enrollment(s, uai, start.isoformat(), end.isoformat() if end else "")
            )
    pairs = sorted({(rng.choice(uais), rng.choice(ids)) for _ in range(400)})
    rng.shuffle(pairs)
    scored = pd.DataFrame(pairs, columns=["uai", "student_id"])
    folder = tmp_path / "extraction"
    folder.mkdir()
    _csv(folder, "students", students)
    _csv(folder, "enrollments", enrollments)
    with open_extraction(folder, tables=["students", "enrollments"]) as extraction:
        got = week_rosters(extraction, scored, AS_OF)
    expected = _expected(students, enrollments, scored)
    assert got.num_rows == len(pairs)
    assert got.equals(expected)
    assert 0 < pc.sum(pc.is_null(got.column("enrolled_since"))).as_py() < len(pairs)

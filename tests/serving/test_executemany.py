"""The roster upserts' fast path (`serving.weekly.executemany`): compiled once, bound
column-wise and without the rows the upsert would leave as they are, it stores exactly what
executing the same statement row by row through SQLAlchemy stores."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest

from serving.db import open_store
from serving.db.models import Enrollment, Establishment, Student
from serving.weekly import executemany
from serving.weekly import store as weekly_store
from serving.weekly.executemany import changing_rows, execute_rows
from tests.serving.conftest import stored_rosters

DAY = dt.date(2025, 9, 1)


def _naive_changing(rows, keys, update, stored, keep_known):  # type: ignore[no-untyped-def]
    """The definition, one row at a time."""
    before = {tuple(row[: len(keys)]): tuple(row[len(keys) :]) for row in stored}
    counts: dict[tuple[Any, ...], int] = {}
    for row in rows:
        key = tuple(row[i] for i in keys)
        counts[key] = counts.get(key, 0) + 1
    out = []
    for row in rows:
        key = tuple(row[i] for i in keys)
        if key not in before or counts[key] > 1:
            out.append(row)
            continue
        new = tuple(row[i] for i in update)
        old = before[key]
        if not update or new == old:
            continue
        if keep_known and all(n is None or n == o for n, o in zip(new, old, strict=True)):
            continue
        out.append(row)
    return out


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("update", [(), (1,), (1, 2)])
@pytest.mark.parametrize("keep_known", [False, True])
def test_changing_rows_is_the_row_by_row_rule(
    seed: int, update: tuple[int, ...], keep_known: bool
) -> None:
    generator = random.Random(seed)
    values = [None, "a", "b"]
    stored = [(f"s{i}", generator.choice(values), generator.choice(values)) for i in range(30)]
    rows = [
        (f"s{generator.randrange(45)}", generator.choice(values), generator.choice(values))
        for _ in range(40)
    ]
    expected = _naive_changing(
        rows, [0], update, [(r[0], *(r[i] for i in update)) for r in stored], keep_known
    )
    got = changing_rows(
        rows, [0], update, [(r[0], *(r[i] for i in update)) for r in stored], keep_known=keep_known
    )
    assert got == expected


def _write(
    store: Any,
    fast: bool,
    students: list[dict[str, Any]],
    enrollments: list[dict[str, Any]],
    rewrite: bool,
) -> None:
    with store.transaction() as session:
        if not fast:  # SQLAlchemy's own executemany, row by row
            original = weekly_store.execute_rows

            def slow(session, statement, rows, upsert=None, chunk=10_000):  # type: ignore[no-untyped-def]
                for start in range(0, len(rows), chunk):
                    session.execute(statement, rows[start : start + chunk])

            weekly_store.execute_rows = slow  # type: ignore[assignment]
        try:
            table = weekly_store._table
            weekly_store._upsert(
                session,
                table(Establishment),
                [
                    {"uai": "0750001A", "name": "A", "weekly_interview_capacity": 3},
                    {"uai": "0750002B", "name": "B", "weekly_interview_capacity": 2},
                ],
                ["name"] if rewrite else [],
            )
            weekly_store._upsert(
                session, table(Student), students, ["last_name", "first_name"] if rewrite else []
            )
            weekly_store._upsert(
                session, table(Enrollment), enrollments, ["end_date"], keep_known=True
            )
        finally:
            if not fast:
                weekly_store.execute_rows = original


def _week(generator: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    names = [None, "Martin", "Durand", "Lefèvre"]
    students, enrollments = [], []
    for _ in range(generator.randrange(40, 60)):
        student_id = f"S{generator.randrange(80):03d}"
        students.append(
            {
                "student_id": student_id,
                "last_name": generator.choice(names),
                "first_name": generator.choice(names),
            }
        )
        end = generator.choice([None, None, DAY + dt.timedelta(days=generator.randrange(300))])
        enrollments.append(
            {
                "student_id": student_id,
                "uai": generator.choice(["0750001A", "0750002B"]),
                "start_date": DAY + dt.timedelta(days=7 * generator.randrange(3)),
                "end_date": end,
            }
        )
    return students, enrollments


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("diff_share", [0, 10**9], ids=["statement-only", "stored-rows-read"])
def test_fast_upserts_store_what_row_by_row_upserts_store(
    tmp_path: Path, seed: int, diff_share: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Few rows against the table: executed as they are (the statement leaves the unchanged
    # ones alone); many: the stored rows read and the unchanged rows left out first.
    monkeypatch.setattr(executemany, "_DIFF_SHARE", diff_share)
    generator = random.Random(seed)
    weeks = [_week(generator) for _ in range(3)]
    results = []
    for fast in (False, True):
        store = open_store(f"sqlite:///{tmp_path / f'{fast}.sqlite3'}")
        try:
            for number, (students, enrollments) in enumerate(weeks):
                _write(store, fast, students, enrollments, rewrite=number != 1)
            results.append(stored_rosters(store))
        finally:
            store.dispose()
    assert results[0] == results[1]
    assert results[1]["enrollments"]  # the fixture stores something


def test_execute_rows_inserts_plain_rows(tmp_path: Path) -> None:
    from sqlalchemy import insert

    store = open_store(f"sqlite:///{tmp_path / 'plain.sqlite3'}")
    try:
        with store.transaction() as session:
            rows = [{"student_id": f"S{i}", "last_name": None, "first_name": "É"} for i in range(5)]
            execute_rows(session, insert(Student), rows, chunk=2)
        assert len(stored_rosters(store)["students"]) == 5
    finally:
        store.dispose()


def test_bind_processing_once_per_distinct_value_is_per_row_processing() -> None:
    from sqlalchemy import JSON, Date, Float
    from sqlalchemy.dialects import sqlite

    from serving.weekly.executemany import _processed

    dialect = sqlite.dialect()
    columns = [
        (Date(), [DAY, None, DAY + dt.timedelta(days=3), DAY]),
        (JSON(), [{"a": 1}, [1, 2], None, {"a": 1}]),
        (Float(), [1, 1.0, True, None]),
    ]
    for type_, column in columns:
        processor = type_.dialect_impl(dialect).bind_processor(dialect)
        if processor is None:
            continue
        expected = [processor(value) for value in column]
        got = _processed(processor, column)
        assert got == expected
        assert [type(value) for value in got] == [type(value) for value in expected]

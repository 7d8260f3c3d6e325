"""The shared steps of a build over several queries (issue 12): what stays in DuckDB for the
queries, and in what order.

When the as-of dates go to several queries, the steps that do not depend on the roster are
computed once into tables of a schema private to the build. The tables the queries read hold
one row per student and as-of date, stored in date order, so that a query reading its own
dates skips the row groups of the others (DuckDB's zone maps) instead of scanning the whole
school year; every other shared table is dropped before the first query.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

import features.builder as builder
from features.builder import build_features
from features.extraction import Extraction, open_extraction
from tests.features.test_determinism import awkward_academie
from tests.features.test_incremental import assert_bitwise_equal

DATES = [dt.date(2024, 9, 9) + dt.timedelta(weeks=week) for week in range(0, 40, 3)]


def test_shared_tables_are_those_the_queries_read_sorted_by_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = awkward_academie(tmp_path / "extraction", years=2, students=300)
    seen: dict[str, list[tuple[int, int, int]]] = {}
    build_shared = builder._build_shared_steps

    def inspected(cursor: duckdb.DuckDBPyConnection, parameters: dict[str, object]) -> None:
        build_shared(cursor, parameters)
        tables = cursor.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = current_schema()"
        ).fetchall()
        for (name,) in tables:
            # Storage order (rowid): each date number, its row count, and how often the
            # number goes down from one row to the next.
            seen[name] = (
                cursor.execute(
                    f"""
                    SELECT count(DISTINCT as_of_index), count(*),
                        count(*) FILTER (WHERE as_of_index < previous)
                    FROM (
                        SELECT as_of_index, lag(as_of_index) OVER (ORDER BY rowid) AS previous
                        FROM {name}
                    )
                    """
                ).fetchall()
                if name in builder._BY_DATE
                else []
            )

    monkeypatch.setattr(builder, "_build_shared_steps", inspected)
    with open_extraction(folder) as extraction:
        in_queries = build_features(extraction, DATES, rows_per_query=400).frame
        one_query = build_features(extraction, DATES, rows_per_query=10**9).frame
    assert set(seen) == builder._SHARED_READ
    for name in builder._BY_DATE:
        dates, rows, backwards = seen[name][0]
        assert len(DATES) - 2 <= dates <= len(DATES), name  # a date may precede every mark
        assert rows > 1000, name
        assert backwards == 0, f"{name} is not stored in date order"
    assert_bitwise_equal(in_queries, one_query)


@pytest.mark.parametrize("rows_per_query", [400, 10**9])
def test_feature_tables_come_sorted_by_date_then_student(
    tmp_path: Path, rows_per_query: int
) -> None:
    # The query leaves the order to the builder (an Arrow sort): the rows of a feature file
    # must still follow as-of date, then student id, batch after batch.
    folder = awkward_academie(tmp_path / "extraction", years=2, students=300)
    with open_extraction(folder) as extraction:
        tables = list(
            builder.iter_feature_tables(extraction, DATES, rows_per_query=rows_per_query)
        )
        one_date = list(builder.iter_feature_tables(extraction, DATES[4:5]))
    assert (len(tables) > 1) == (rows_per_query == 400)
    for batches in (tables, one_date):
        keys = [
            key
            for table in batches
            for key in zip(
                table.column("as_of").to_pylist(),
                table.column("student_id").to_pylist(),
                strict=True,
            )
        ]
        assert len(keys) > 200
        assert keys == sorted(set(keys))


def _private_schemas(extraction: Extraction) -> list[tuple[str]]:
    return extraction.con.execute(
        "SELECT schema_name FROM duckdb_schemas() WHERE schema_name LIKE 'vigie_build_%'"
    ).fetchall()


def test_the_private_schema_is_dropped_however_the_build_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = awkward_academie(tmp_path / "extraction", years=2, students=300)
    with open_extraction(folder) as extraction:
        tables_before = extraction.con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()
        extraction.con.execute("SET disabled_optimizers = 'top_n'")
        assert len(build_features(extraction, DATES, rows_per_query=400).frame) > 200
        assert _private_schemas(extraction) == []
        # The optimizer the queries go without is the caller's again.
        assert extraction.con.execute(
            "SELECT current_setting('disabled_optimizers')"
        ).fetchone() == ("top_n",)

        abandoned = builder.iter_feature_tables(extraction, DATES, rows_per_query=400)
        assert next(abandoned).num_rows > 0
        abandoned.close()
        assert _private_schemas(extraction) == []

        batch_table = builder._batch_table

        def failing(*args: Any) -> pa.Table:
            if args[4] > 1:  # the first date number of the batch
                raise RuntimeError("the query of a later batch failed")
            return batch_table(*args)

        monkeypatch.setattr(builder, "_batch_table", failing)
        with pytest.raises(RuntimeError, match="later batch failed"):
            build_features(extraction, DATES, rows_per_query=400)
        assert _private_schemas(extraction) == []
        tables_after = extraction.con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()
        assert tables_after == tables_before

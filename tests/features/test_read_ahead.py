"""Reading one batch ahead (issue 12, both cores): the next batch of features is computed in
another thread while the caller writes the previous one; the order, the bound of two batches
alive, errors from either side and abandoned streams, down to the feature file on disk."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from features.builder import iter_feature_tables, iter_features
from features.extraction import open_extraction
from features.feature_set import FeatureSet
from features.read_ahead import read_ahead
from features.store import write_feature_batches, write_feature_tables
from features.synth import synthesize

WAIT = 30.0  # seconds: far more than any step here needs, so that a slow machine passes


class Source:
    """A generator of 0, 1, 2, ... that records which items were computed, in which thread,
    and whether it was closed."""

    def __init__(self, count: int, fail_at: int | None = None) -> None:
        self.count = count
        self.fail_at = fail_at
        self.computed: list[int] = []
        self.threads: set[str] = set()
        self.closed = False
        self.progress = threading.Condition()

    def __iter__(self) -> Iterator[int]:
        try:
            for number in range(self.count):
                if number == self.fail_at:
                    raise ValueError(f"item {number} cannot be computed")
                with self.progress:
                    self.computed.append(number)
                    self.threads.add(threading.current_thread().name)
                    self.progress.notify_all()
                yield number
        finally:
            self.closed = True

    def wait_for(self, count: int) -> None:
        with self.progress:
            assert self.progress.wait_for(lambda: len(self.computed) >= count, WAIT)


def test_items_come_in_order_computed_in_another_thread() -> None:
    source = Source(7)
    with read_ahead(source) as items:
        assert list(items) == list(range(7))
    assert source.threads == {"vigie-read-ahead"}
    assert source.closed
    with read_ahead(iter(())) as nothing:
        assert list(nothing) == []


def test_one_item_is_computed_ahead_and_no_more() -> None:
    source = Source(10)
    with read_ahead(source) as items:
        assert next(items) == 0
        source.wait_for(2)  # the next one is computed while the caller holds the first
        time.sleep(0.3)  # time enough for a third, were it allowed
        assert source.computed == [0, 1]
        assert next(items) == 1
        source.wait_for(3)
        time.sleep(0.3)
        assert source.computed == [0, 1, 2]


def test_an_error_computing_an_item_reaches_the_caller_in_its_place() -> None:
    source = Source(5, fail_at=2)
    received = []
    with pytest.raises(ValueError, match="item 2 cannot be computed"), read_ahead(source) as items:
        for item in items:
            received.append(item)
    assert received == [0, 1]
    assert source.closed


def test_leaving_early_stops_the_thread_and_closes_the_source_first() -> None:
    source = Source(100)
    with read_ahead(source) as items:
        assert next(items) == 0
        source.wait_for(2)
    assert source.closed  # before the block was left, not at some later collection
    assert source.computed == [0, 1]
    assert "vigie-read-ahead" not in {thread.name for thread in threading.enumerate()}


# Weekly as-of dates of the académie's school year, one query each below.
AS_OF = [dt.date(2025, 9, 8) + dt.timedelta(weeks=week) for week in range(6)]


@pytest.fixture(scope="module")
def academie(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("read-ahead") / "academie"
    synthesize(folder, establishments=2, students=200, years=1, seed=4, file_format="parquet",
               last_school_year="2025-2026", extraction_date=dt.date(2026, 7, 10))  # fmt: skip
    return folder


# The two streams to a feature file: FeatureSets (through pandas), and Arrow tables straight
# to Parquet (`vigie features`).
STREAMS = pytest.mark.parametrize(
    ("stream", "write"),
    [(iter_features, write_feature_batches), (iter_feature_tables, write_feature_tables)],
    ids=["feature-sets", "arrow-tables"],
)


def _memory_limit(extraction_con: object) -> str:
    return str(extraction_con.execute("SELECT current_setting('memory_limit')").fetchone()[0])  # type: ignore[attr-defined]


@STREAMS
def test_an_error_in_a_query_mid_stream_leaves_no_file_and_the_connection_as_it_was(
    academie: Path, tmp_path: Path, stream: Any, write: Any
) -> None:
    out = tmp_path / "features.parquet"
    queries = []

    def progress(dates: int) -> None:  # called in the read-ahead thread after each query
        queries.append(dates)
        if len(queries) == 3:
            raise RuntimeError("the third query failed")

    with open_extraction(academie) as extraction:
        extraction.con.execute("SET memory_limit = '1GiB'")
        before = _memory_limit(extraction.con)
        with pytest.raises(RuntimeError, match="third query"):
            write(stream(extraction, AS_OF, 1, progress), out)
        # The builder's cursor was closed, and the database's limit put back, by then.
        assert _memory_limit(extraction.con) == before
        assert extraction.con.execute("SELECT count(*) FROM students").fetchone()[0] > 0
    assert queries == [1, 1, 1]
    assert list(tmp_path.iterdir()) == []


@STREAMS
def test_an_error_writing_mid_stream_stops_the_queries_and_leaves_no_file(
    academie: Path, tmp_path: Path, stream: Any, write: Any
) -> None:
    out = tmp_path / "features.parquet"
    queries = []

    with open_extraction(academie) as extraction:
        extraction.con.execute("SET memory_limit = '1GiB'")
        before = _memory_limit(extraction.con)

        def batches() -> Iterator[FeatureSet | pa.Table]:
            # Closed on leaving, not when the error's traceback (which holds it) is collected.
            with closing(stream(extraction, AS_OF, 1, queries.append)) as batches:
                for number, batch in enumerate(batches):
                    if number == 2:
                        raise OSError("disk full")  # as the writer's side fails
                    yield batch

        with pytest.raises(OSError, match="disk full"):
            write(batches(), out)
        assert _memory_limit(extraction.con) == before
    # The third batch was being written, the fourth computed ahead; no more queries ran.
    assert queries == [1, 1, 1, 1]
    assert list(tmp_path.iterdir()) == []

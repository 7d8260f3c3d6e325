"""Feature queries two at a time (`features.query_pool`): results in batch order, never more
batches in flight than cursors, each on its own cursor, and an early exit or an error that
stops the queries still running."""

from __future__ import annotations

import threading
import time

import duckdb
import pytest

from features.query_pool import ordered_results


def _cursors(count: int) -> tuple[duckdb.DuckDBPyConnection, list[duckdb.DuckDBPyConnection]]:
    connection = duckdb.connect()
    return connection, [connection.cursor() for _ in range(count)]


def test_results_come_in_batch_order_with_at_most_one_batch_per_cursor() -> None:
    connection, cursors = _cursors(2)
    lock = threading.Lock()
    running: list[int] = []
    most = 0
    used: dict[int, int] = {}

    def run(cursor: duckdb.DuckDBPyConnection, number: int, batch: int) -> int:
        nonlocal most
        with lock:
            running.append(number)
            most = max(most, len(running))
            used[number] = cursors.index(cursor)
        # Early batches take longest, so later ones finish first.
        time.sleep(0.02 * (6 - number))
        value = cursor.execute("SELECT ? * 10", [batch]).fetchone()
        with lock:
            running.remove(number)
        assert value is not None
        return int(value[0])

    assert list(ordered_results(cursors, [1, 2, 3, 4, 5, 6], run)) == [10, 20, 30, 40, 50, 60]
    assert most == 2
    assert used == {0: 0, 1: 1, 2: 0, 3: 1, 4: 0, 5: 1}
    connection.close()


def test_an_error_is_raised_at_its_batch_after_the_earlier_results() -> None:
    connection, cursors = _cursors(2)

    def run(cursor: duckdb.DuckDBPyConnection, number: int, batch: str) -> str:
        if batch == "bad":
            raise ValueError("batch 2 is wrong")
        return batch

    results = ordered_results(cursors, ["a", "b", "bad", "c"], run)
    assert next(results) == "a"
    assert next(results) == "b"
    with pytest.raises(ValueError, match="batch 2 is wrong"):
        next(results)
    connection.close()


def test_leaving_early_interrupts_the_queries_still_running() -> None:
    connection, cursors = _cursors(2)
    started = threading.Event()

    def run(cursor: duckdb.DuckDBPyConnection, number: int, batch: int) -> int:
        if number == 0:
            return 0
        started.set()
        # Minutes of work unless interrupted.
        row = cursor.execute("SELECT sum(i * i % 7) FROM range(200000000000) t(i)").fetchone()
        return int(row[0]) if row else -1

    results = ordered_results(cursors, [0, 1, 2], run)
    assert next(results) == 0
    assert started.wait(timeout=30)
    begin = time.perf_counter()
    results.close()  # interrupts batch 1's query and waits for the threads
    assert time.perf_counter() - begin < 30
    # The cursors are free again: a new query runs at once.
    assert cursors[1].execute("SELECT 42").fetchone() == (42,)
    connection.close()


def test_no_cursor_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one cursor"):
        list(ordered_results([], [1], lambda cursor, number, batch: batch))

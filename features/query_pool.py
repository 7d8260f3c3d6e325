"""Feature queries of consecutive batches of as-of dates, run two at a time, handed over in order.

A feature query reading the shared steps keeps about 1.5 of DuckDB's threads busy: parts of
it (the hash joins' builds, the result's conversion to Arrow) leave a core idle. Two queries at
once on two cursors of the same database share DuckDB's threads and fill those gaps (36 weekly
dates of 300,000 students: the queries took 48 s of wall time one after the other, 36 s two at
a time, for the same CPU and memory; bench/README.md).

`ordered_results` submits the batches to a pool of `len(cursors)` threads, batch i on cursor
i mod n, never more batches in flight than cursors, and yields the results in batch order;
batch i + n is submitted only once batch i's result is taken, so its cursor is free by then.
Leaving early (or an error) interrupts the queries still running and waits for the threads
before returning, so the caller may then close the cursors.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TypeVar

import duckdb

__all__ = ["ordered_results"]

# Seconds between two interrupts of the running queries when leaving early.
_INTERRUPT_EVERY = 0.1

B = TypeVar("B")
R = TypeVar("R")


def ordered_results(
    cursors: Sequence[duckdb.DuckDBPyConnection],
    batches: Sequence[B],
    run: Callable[[duckdb.DuckDBPyConnection, int, B], R],
) -> Iterator[R]:
    """`run(cursor, i, batch)` for every batch, at most `len(cursors)` at once, in order."""
    if not cursors:
        raise ValueError("ordered_results needs at least one cursor")
    pending: deque[Future[R]] = deque()
    with ThreadPoolExecutor(len(cursors), thread_name_prefix="vigie-features") as pool:
        try:
            submitted = 0
            while submitted < len(batches) or pending:
                while submitted < len(batches) and len(pending) < len(cursors):
                    cursor = cursors[submitted % len(cursors)]
                    pending.append(pool.submit(run, cursor, submitted, batches[submitted]))
                    submitted += 1
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
            # A query may start just after an interrupt: interrupt until every batch is done.
            while not all(future.done() for future in pending):
                for cursor in cursors:
                    cursor.interrupt()
                wait(pending, timeout=_INTERRUPT_EVERY)

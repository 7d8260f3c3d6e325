"""Group commit: rows appended by concurrent threads, committed together.

Every read of the API is audited before its data is returned, so under load each request
would otherwise run a write transaction of its own (`BEGIN IMMEDIATE`, one insert, `COMMIT`)
and queue behind the others on SQLite's single writer. Here the first caller becomes the
leader: it inserts every row pending at that moment in one transaction, commits, then wakes
the callers whose rows it wrote. Rows that arrive meanwhile wait for the next batch, written
by one of their own callers. No background thread, nothing to start or stop.

The guarantee is the one of a transaction per row: `append` returns only once its row is
committed, and raises if it could not be. A batch that fails is retried row by row, so one
bad row fails its own caller only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

__all__ = ["GroupCommit"]


@dataclass(eq=False)
class _Pending:
    """One caller's row, and what its leader tells it once the row is written (or not)."""

    values: dict[str, Any]
    written: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
    leads: bool = False


class GroupCommit:
    """Appends rows with `write(connection, rows)` (one statement for the batch, e.g. the
    audit chain's `append_entries`), each call committed before it returns, concurrent calls
    in one transaction of `transaction()` (at most `max_batch` rows)."""

    def __init__(
        self,
        transaction: Callable[[], AbstractContextManager[Connection]],
        write: Callable[[Connection, list[dict[str, Any]]], object],
        *,
        max_batch: int = 500,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._transaction = transaction
        self._write_rows = write
        self._max_batch = max_batch
        self._mutex = threading.Lock()
        self._pending: list[_Pending] = []
        self._leader_active = False
        self.batches = 0  # transactions committed, for tests and measurements
        self.rows = 0

    def append(self, values: dict[str, Any]) -> None:
        """Insert one row; returns once it is committed, raises if it could not be."""
        mine = _Pending(values)
        with self._mutex:
            self._pending.append(mine)
            leads = not self._leader_active
            self._leader_active = True
        if not leads:
            mine.written.wait()
            leads = mine.leads  # the previous leader handed the next batch over to us
        if leads:
            self._lead()
        if mine.error is not None:
            raise mine.error

    def _lead(self) -> None:
        """Write the pending rows (up to `max_batch`), wake their callers, hand over."""
        with self._mutex:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
        try:
            self._write(batch)
        finally:
            with self._mutex:
                successor = self._pending[0] if self._pending else None
                if successor is None:
                    self._leader_active = False
                else:
                    successor.leads = True
            for pending in batch:
                pending.written.set()
            if successor is not None:
                successor.written.set()

    def _write(self, batch: list[_Pending]) -> None:
        try:
            self._commit([pending.values for pending in batch])
        except Exception as error:
            if len(batch) == 1:
                batch[0].error = error
                return
            for pending in batch:  # find the bad row(s): each caller gets its own outcome
                try:
                    self._commit([pending.values])
                except Exception as row_error:
                    pending.error = row_error

    def _commit(self, rows: list[dict[str, Any]]) -> None:
        with self._transaction() as connection:
            self._write_rows(connection, rows)  # Core: no session, no unit of work
        with self._mutex:
            self.batches += 1
            self.rows += len(rows)

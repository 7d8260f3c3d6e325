"""Waiting for another process's write lock on SQLite: by polling every millisecond or less
(SQLite's own busy handler sleeps up to 100 ms a try, which starves a second API worker),
and still up to the busy timeout, with SQLAlchemy's error past it."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy.exc import OperationalError

import serving.db.engine as engine_module
from tests.serving.conftest import World


def hold_write_lock(path: str, seconds: float, held: threading.Event) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    held.set()
    time.sleep(seconds)
    connection.execute("COMMIT")
    connection.close()


def test_a_writer_gets_the_lock_soon_after_another_process_releases_it(world: World) -> None:
    path = world.url.removeprefix("sqlite:///")
    held = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(path, 0.24, held))
    holder.start()
    assert held.wait(10)
    started = time.monotonic()
    with world.store.write_connection() as connection:
        waited = time.monotonic() - started
        connection.exec_driver_sql("SELECT 1")
    holder.join()
    # SQLite's own handler tries at 228 ms, then sleeps 100 ms: it would get the lock at
    # 328 ms. Polling gets it within a millisecond or so of the release.
    assert 0.15 < waited < 0.24 + 0.06
    with world.store.read_connection() as connection:  # the busy timeout is restored
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == (
            engine_module.SQLITE_BUSY_TIMEOUT_MS
        )


def test_past_the_busy_timeout_the_writer_gets_sqlalchemys_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 100)
    path = world.url.removeprefix("sqlite:///")
    held = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(path, 0.6, held))
    holder.start()
    assert held.wait(10)
    try:
        with pytest.raises(OperationalError, match="locked"), world.store.write_connection():
            pass
    finally:
        holder.join()
    with world.store.write_connection() as connection:  # the store works again afterwards
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1

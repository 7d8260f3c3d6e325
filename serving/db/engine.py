"""Opening the store: an engine from a URL, SQLite tuned for concurrent use, sessions.

SQLite (the embedded default) runs in WAL mode with foreign keys on and a busy timeout;
every transaction starts with `BEGIN IMMEDIATE`, so concurrent writers queue instead of
failing halfway (nearly every service call writes, if only to the audit log). PostgreSQL
needs none of this. The audit log is append-only here too: a session refuses to flush an
update or a delete of an `AuditEntry`, and entries it adds are held back to the commit, where
they are chained (`serving.db.audit_chain.append_entries`: the chain's lock is then held
only from there to the commit, and taken after every other lock of the transaction). Audit
entries written in their own transaction (reads, anonymous denials) go through
`Store.audit_log`, a group commit that chains each batch the same way. Serialised weekly
lists are kept in `Store.list_payloads`, valid only at the list revision they were read at
(`serving.db.revisions`).
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.orm.attributes import instance_state

from serving.db.audit_chain import CONTENT_COLUMNS, append_entries
from serving.db.group_commit import GroupCommit
from serving.db.models import AuditEntry
from serving.db.payload_cache import PayloadCache

__all__ = ["DEFAULT_LIST_CACHE_BYTES", "AuditLogIsAppendOnly", "Store", "make_engine"]

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_WRITE_POLL_S = 0.0002  # first wait for another process's write lock, doubled to 0.8 ms
# Connections kept open to an SQLite file, so that concurrent callers (the API's worker
# threads, the group commit) do not open one per request (each new one runs the pragmas
# below). Past it, up to as many more are opened and closed.
SQLITE_POOL_SIZE = 16
DEFAULT_LIST_CACHE_BYTES = 64 * 1024 * 1024
READ_ONLY_OPTION = "vigie_read_only"
_HELD_ENTRIES = "vigie_audit_entries"  # session.info key: entries added, to chain at commit


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


def make_engine(url: str, **engine_options: Any) -> Engine:
    """An engine for `url`; for a SQLite file, creates its folder and sets the pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **engine_options)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine_options = {
            "pool_size": SQLITE_POOL_SIZE,
            "max_overflow": SQLITE_POOL_SIZE,
            **engine_options,
        }
    engine = create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **engine_options
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred and late).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Read-only transactions (`Store.reading()`) need no write lock: WAL readers never wait.
    if connection.get_execution_options().get(READ_ONLY_OPTION, False):
        connection.exec_driver_sql("BEGIN")
        return
    _begin_immediate_polling(connection)


def _begin_immediate_polling(connection: Any) -> None:
    """`BEGIN IMMEDIATE`, waiting for another process's write lock by polling every
    millisecond or less, up to the busy timeout.

    SQLite's own busy handler sleeps 1, 2, 5, 10, ... up to 100 ms between tries: a process
    that keeps committing small transactions (the API's audit entries) can then starve
    another one (a second API worker, `vigie users`) for hundreds of milliseconds. Writers
    of one process already queue on `Store._write_lock`, so one thread per process polls.
    """
    dbapi_connection = connection.connection.dbapi_connection
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    delay = SQLITE_WRITE_POLL_S
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        while time.monotonic() < deadline:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error):
                    break
            time.sleep(delay * random.uniform(0.5, 1.5))  # jitter: writers do not move in step
            delay = min(2 * delay, 4 * SQLITE_WRITE_POLL_S)
        # The last try through SQLAlchemy, which raises its own (wrapped) error.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a read-only transaction cannot write")


def _refuse_audit_changes(session: Session, _context: Any, _instances: Any) -> None:
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, AuditEntry) and (
            instance in session.deleted or session.is_modified(instance)
        ):
            raise AuditLogIsAppendOnly("the audit log is append-only")


def _hold_audit_entries(session: Session, _context: Any, _instances: Any) -> None:
    """Take the entries added to the session out of the flush: `_chain_held_entries`
    appends them to the chain at commit. Inside a savepoint they are chained at once, so
    that rolling the savepoint back takes them with it."""
    added = sorted(
        (instance for instance in session.new if isinstance(instance, AuditEntry)),
        key=lambda instance: cast(int, instance_state(instance).insert_order),  # set on add
    )
    if not added:
        return
    rows = [{column: getattr(entry, column) for column in CONTENT_COLUMNS} for entry in added]
    for entry in added:
        session.expunge(entry)
    if session.in_nested_transaction():
        append_entries(session.connection(), rows)
    else:
        session.info.setdefault(_HELD_ENTRIES, []).extend(rows)


def _chain_held_entries(session: Session) -> None:
    session.flush()  # the last entries added are held back too
    rows = session.info.pop(_HELD_ENTRIES, None)
    if rows:
        append_entries(session.connection(), rows)


def _drop_held_entries(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # rolled back (or committed, the list already taken)
        session.info.pop(_HELD_ENTRIES, None)


class Store:
    """The operational store: one engine and its session factories. Each `transaction()` is
    one database transaction, committed on success and rolled back on any exception;
    `reading()` is a transaction that only reads (`read_connection()`, the same without the
    ORM session, for the hottest reads); `audit_log.append(values)` commits one audit entry,
    batched with those of concurrent callers; `list_payloads` holds serialised weekly lists
    (at most `list_cache_bytes`, 0 for none)."""

    def __init__(self, engine: Engine, *, list_cache_bytes: int = DEFAULT_LIST_CACHE_BYTES) -> None:
        self.engine = engine
        # SQLite has one writer at a time: writers of this process queue on a lock instead
        # of polling the database's busy handler (whose sleeps add seconds under load).
        # Between processes, `_begin_immediate_polling` waits, up to the busy timeout.
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_engine = engine.execution_options(**{READ_ONLY_OPTION: True})
        self._readers = sessionmaker(self._read_engine, expire_on_commit=False)
        event.listen(self._sessions, "before_flush", _refuse_audit_changes)
        event.listen(self._sessions, "before_flush", _hold_audit_entries)
        event.listen(self._sessions, "before_commit", _chain_held_entries)
        event.listen(self._sessions, "after_transaction_end", _drop_held_entries)
        event.listen(self._readers, "before_flush", _refuse_writes)
        self.audit_log = GroupCommit(self.write_connection, append_entries)
        self.list_payloads = PayloadCache(list_cache_bytes)

    @property
    def is_local(self) -> bool:
        """An embedded SQLite file: statements are local reads and writes, never a network
        round trip (an async caller may run them without a worker thread)."""
        return self.engine.dialect.name == "sqlite"

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        list_cache_bytes: int = DEFAULT_LIST_CACHE_BYTES,
        **engine_options: Any,
    ) -> Store:
        return cls(make_engine(url, **engine_options), list_cache_bytes=list_cache_bytes)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._writer(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A write transaction on a Core connection (the group commit's batches): the same
        lock and `BEGIN IMMEDIATE` as `transaction()`, without an ORM session."""
        with self._writer(), self.engine.connect() as connection, connection.begin():
            yield connection

    def _writer(self) -> AbstractContextManager[object]:
        return self._write_lock if self._write_lock is not None else nullcontext()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only transaction: on SQLite it takes no write lock (nothing may be added)."""
        with self._readers() as session, session.begin():
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A read-only transaction on a Core connection: no ORM session to set up, for the
        statements every API request runs (token check, list revision)."""
        with self._read_engine.connect() as connection, connection.begin():
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()

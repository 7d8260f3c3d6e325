"""Opening the store: an engine from a URL, SQLite tuned for concurrent use, sessions.

SQLite (the embedded default) runs in WAL mode with foreign keys on and a busy timeout;
every transaction starts with `BEGIN IMMEDIATE`, so concurrent writers queue instead of
failing halfway (nearly every service call writes, if only to the audit log). PostgreSQL
needs none of this. The audit log is append-only here too: a session refuses to flush an
update or a delete of an `AuditEntry`. Audit entries written in their own transaction
(reads, anonymous denials) go through `Store.audit_log`, a group commit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from serving.db.group_commit import GroupCommit
from serving.db.models import AuditEntry

__all__ = ["AuditLogIsAppendOnly", "Store", "make_engine"]

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_OPTION = "vigie_read_only"


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


def make_engine(url: str, **engine_options: Any) -> Engine:
    """An engine for `url`; for a SQLite file, creates its folder and sets the pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **engine_options)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
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
    read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a read-only transaction cannot write")


def _refuse_audit_changes(session: Session, _context: Any, _instances: Any) -> None:
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, AuditEntry) and (
            instance in session.deleted or session.is_modified(instance)
        ):
            raise AuditLogIsAppendOnly("the audit log is append-only")


class Store:
    """The operational store: one engine and its session factories. Each `transaction()` is
    one database transaction, committed on success and rolled back on any exception;
    `reading()` is a transaction that only reads; `audit_log.append(values)` commits one
    audit entry, batched with those of concurrent callers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite has one writer at a time: writers of this process queue on a lock instead
        # of polling the database's busy handler (whose sleeps add seconds under load).
        # Other processes still wait on the busy timeout.
        self._write_lock = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._readers = sessionmaker(
            engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )
        event.listen(self._sessions, "before_flush", _refuse_audit_changes)
        event.listen(self._readers, "before_flush", _refuse_writes)
        self.audit_log = GroupCommit(self.transaction, AuditEntry.__table__)

    @classmethod
    def from_url(cls, url: str, **engine_options: Any) -> Store:
        return cls(make_engine(url, **engine_options))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._writer(), self._sessions() as session, session.begin():
            yield session

    def _writer(self) -> AbstractContextManager[object]:
        return self._write_lock if self._write_lock is not None else nullcontext()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only transaction: on SQLite it takes no write lock (nothing may be added)."""
        with self._readers() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

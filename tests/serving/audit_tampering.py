"""Ways to tamper with the audit log once its append-only triggers are gone (a copy of the
store edited by hand, an administrator's SQL), shared by the SQLite and PostgreSQL tests:
each one, and where `verify_chain` must find it."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Connection, delete, insert, select, text, update

from serving.db import Store
from serving.db.audit_chain import entry_hash
from serving.db.models import AuditEntry
from serving.services.audit import record, record_read
from tests.serving.conftest import make_actor

TABLE = AuditEntry.__table__
ENTRIES = 6  # the log every tampering starts from: entries 1 to 6
TARGET = 3  # the entry tampered with, in the middle


def write_entries(store: Store, count: int = ENTRIES) -> None:
    """`count` entries, by both paths: the ORM in a transaction, the group commit."""
    actor = make_actor("inspector")
    for number in range(count):
        if number % 2:
            record_read(store, actor, "read_list", detail=f"read {number}")
        else:
            with store.transaction() as session:
                record(session, actor, "add_user", "allowed", detail=f"write {number}")


def drop_append_only_triggers(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for name in ("update", "delete", "replace"):
            connection.execute(text(f"DROP TRIGGER audit_log_no_{name}"))
    else:
        connection.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
        connection.execute(text("DROP TRIGGER audit_log_purged_only ON audit_log"))


def _row(connection: Connection, entry_id: int) -> dict[str, Any]:
    return dict(connection.execute(select(TABLE).where(TABLE.c.id == entry_id)).one()._mapping)


def _replace(connection: Connection, row: dict[str, Any]) -> None:
    """SQLite's `INSERT OR REPLACE`; PostgreSQL has none: the same as a delete and insert."""
    if connection.dialect.name == "sqlite":
        connection.execute(insert(TABLE).prefix_with("OR REPLACE"), row)
    else:
        connection.execute(delete(TABLE).where(TABLE.c.id == row["id"]))
        connection.execute(insert(TABLE), row)


def edited(connection: Connection) -> None:
    connection.execute(update(TABLE).where(TABLE.c.id == TARGET).values(outcome="denied"))


def edited_and_rehashed(connection: Connection) -> None:
    row = _row(connection, TARGET)
    row["detail"] = "nothing to see"
    connection.execute(
        update(TABLE)
        .where(TABLE.c.id == TARGET)
        .values(detail=row["detail"], entry_hash=entry_hash(row, row["prev_hash"]))
    )


def deleted(connection: Connection) -> None:
    connection.execute(delete(TABLE).where(TABLE.c.id == TARGET))


def replaced(connection: Connection) -> None:
    row = _row(connection, TARGET)
    _replace(connection, {**row, "username": "someone.else"})


def replaced_and_rehashed(connection: Connection) -> None:
    row = {**_row(connection, TARGET), "username": "someone.else"}
    _replace(connection, {**row, "entry_hash": entry_hash(row, row["prev_hash"])})


def _forged(connection: Connection) -> dict[str, Any]:
    head = _row(connection, ENTRIES)
    return {**head, "id": ENTRIES + 1, "detail": "forged", "prev_hash": head["entry_hash"]}


def forged_with_a_wrong_hash(connection: Connection) -> None:
    row = _forged(connection)
    plausible = hashlib.sha256(b"looks like a hash").hexdigest()
    connection.execute(insert(TABLE), {**row, "entry_hash": plausible})


def forged_unchained(connection: Connection) -> None:
    """A hash recomputed from the row's content, after an earlier entry's hash."""
    row = {**_forged(connection), "prev_hash": _row(connection, 2)["entry_hash"]}
    connection.execute(insert(TABLE), {**row, "entry_hash": entry_hash(row, row["prev_hash"])})


# tampering -> (problem reported, entry named)
TAMPERINGS: dict[str, tuple[Callable[[Connection], None], str, int]] = {
    "edited": (edited, "content_changed", TARGET),
    "edited_and_rehashed": (edited_and_rehashed, "chain_broken", TARGET + 1),
    "deleted": (deleted, "entries_missing", TARGET + 1),
    "replaced": (replaced, "content_changed", TARGET),
    "replaced_and_rehashed": (replaced_and_rehashed, "chain_broken", TARGET + 1),
    "forged_with_a_wrong_hash": (forged_with_a_wrong_hash, "content_changed", ENTRIES + 1),
    "forged_unchained": (forged_unchained, "chain_broken", ENTRIES + 1),
}


def concurrent_writers(store: Store, threads: int = 8, writes: int = 12) -> int:
    """`threads` threads, each writing `writes` entries by the ORM path and the group commit
    at once; returns how many entries were written."""
    start = threading.Barrier(threads)
    actor = make_actor("inspector")

    def writer(number: int) -> None:
        start.wait()
        for write in range(writes):
            if write % 3 == 0:
                with store.transaction() as session:
                    record(session, actor, "add_user", "allowed", detail=f"{number}/{write}")
            else:
                record_read(store, actor, "read_list", detail=f"{number}/{write}")

    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(writer, number) for number in range(threads)]:
            future.result(timeout=60)
    return threads * writes

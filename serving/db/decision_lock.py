"""The lock that keeps a weekly write and the watch unit's decisions apart.

The weekly write queues every establishment against the decisions as they stand inside its
own transaction (`serving.weekly.replace_week_lists`); a decision committed between that
read and the write's commit would otherwise leave a slot spent on a student now followed.
On SQLite every write transaction already excludes the others (`BEGIN IMMEDIATE`,
`serving.db.engine`). On PostgreSQL (READ COMMITTED) the weekly write takes a
transaction-scoped advisory lock in exclusive mode before it reads the decisions, and every
transaction that records a decision (an interview recorded or changed, a dismissal) takes it
in shared mode first thing: decisions never wait for one another, a decision waits for the
weekly write to commit, and the weekly write waits for the decisions under way to commit
before it reads. Both take it before any other lock, so it adds no deadlock.
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

__all__ = ["DECISIONS_LOCK_KEY", "lock_decisions"]

# pg_advisory_xact_lock key ("vigiedec" as a big-endian 64-bit integer).
DECISIONS_LOCK_KEY = int.from_bytes(b"vigiedec", "big")


def lock_decisions(connection: Connection | Session, *, shared: bool) -> None:
    """Take the decisions lock for the rest of the transaction (PostgreSQL; nothing to do on
    SQLite): `shared` for a decision, exclusive for the weekly write."""
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    if bind.dialect.name != "postgresql":
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    connection.execute(text(f"SELECT {function}(:key)"), {"key": DECISIONS_LOCK_KEY})

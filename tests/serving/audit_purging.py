"""A log with old and recent entries for the audit log's retention rule, shared by the
SQLite and PostgreSQL tests: `OLD` entries dated `LONG_AGO`, then `RECENT` entries of today,
both ways entries are written (a transaction, the group commit)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from serving.db import Store
from serving.db.audit_chain import append_entries
from serving.db.models import AuditCheckpoint, AuditEntry
from serving.db.types import utc_now
from serving.services.audit import entry_values
from tests.serving.audit_tampering import write_entries
from tests.serving.conftest import make_actor

OLD = 7
RECENT = 4
LONG_AGO = utc_now() - dt.timedelta(days=800)
CUTOFF = (utc_now() - dt.timedelta(days=400)).date()


def write_old_and_recent(store: Store) -> None:
    """Entries 1 to `OLD` dated `LONG_AGO` (one a day), then `RECENT` entries of today."""
    actor = make_actor("watch_unit", "0350023K")
    rows = [
        {
            **entry_values(actor, "read_student", "allowed", student_id=f"S{number:03d}"),
            "at": LONG_AGO + dt.timedelta(days=number),
        }
        for number in range(OLD)
    ]
    with store.write_connection() as connection:
        append_entries(connection, rows)
    write_entries(store, RECENT)


def ids(store: Store) -> list[int]:
    with store.reading() as session:
        return list(session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))


def checkpoints(store: Store) -> list[AuditCheckpoint]:
    with store.reading() as session:
        return list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)))


def count_before(store: Store, cutoff: dt.date) -> int:
    moment = dt.datetime.combine(cutoff, dt.time(), tzinfo=dt.UTC)
    with store.reading() as session:
        return session.scalar(select(func.count()).where(AuditEntry.at < moment)) or 0

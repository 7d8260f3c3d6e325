"""The audit log as a hash chain: `prev_hash` and `entry_hash` on every entry (the entries
already there are chained in id order, so an upgraded store verifies), and on SQLite a
trigger refusing `INSERT OR REPLACE` of an existing entry (a REPLACE deletes the old row
without firing DELETE triggers). PostgreSQL has no REPLACE; its `INSERT ... ON CONFLICT DO
UPDATE` fires the UPDATE trigger of migration 0001.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from serving.db.audit_chain import CONTENT_COLUMNS, GENESIS, entry_hash
from serving.db.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BATCH = 5_000

_audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("at", UTCDateTime()),
    *(sa.column(name, sa.String()) for name in CONTENT_COLUMNS if name not in ("id", "at")),
    sa.column("prev_hash", sa.String()),
    sa.column("entry_hash", sa.String()),
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _suspend_append_only(dialect)
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("entry_hash", sa.String(length=64), nullable=True))
    _chain_existing_entries(op.get_bind())
    with op.batch_alter_table("audit_log") as batch:  # SQLite: copies the table (once)
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("entry_hash", existing_type=sa.String(length=64), nullable=False)
    _restore_append_only(dialect)
    if dialect == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log "
            "WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )


def _suspend_append_only(dialect: str) -> None:
    """The entries already there get their hashes by UPDATE, which the triggers refuse."""
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    elif dialect == "postgresql":
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")


def _restore_append_only(dialect: str) -> None:
    # A table copied by a batch loses its SQLite triggers: they are made again in any case.
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")


def _chain_existing_entries(connection: sa.Connection) -> None:
    """Chain the entries in id order, `BATCH` at a time (the log may hold millions)."""
    table = _audit_log
    set_hashes = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("entry_id"))
        .values(prev_hash=sa.bindparam("prev"), entry_hash=sa.bindparam("hash"))
    )
    last_id, prev = None, GENESIS
    while True:
        query = sa.select(*(table.c[name] for name in CONTENT_COLUMNS))
        query = query.order_by(table.c.id).limit(BATCH)
        if last_id is not None:
            query = query.where(table.c.id > last_id)
        rows = connection.execute(query).all()
        if not rows:
            return
        updates = []
        for row in rows:
            digest = entry_hash(row._asdict(), prev)
            updates.append({"entry_id": row.id, "prev": prev, "hash": digest})
            prev = digest
        connection.execute(set_hashes, updates)
        last_id = rows[-1].id


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_replace")
    _suspend_append_only(dialect)
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("entry_hash")
        batch.drop_column("prev_hash")
    _restore_append_only(dialect)

"""The audit log's own retention rule (`vigie purge`, `serving.services.audit_retention`):
`audit_checkpoints`, one append-only row per purge of the log's oldest entries (the last
entry removed, its hash, how many were removed, the audit entry recording the purge), and a
DELETE trigger on `audit_log` that lets an entry go only when a checkpoint covers it (its
id at or below a checkpoint's `through_id`). Updates stay refused, and so does any delete of
an entry no checkpoint covers.

Existing stores: no checkpoint, so every delete is still refused. Downgrading drops the
table and restores migration 0001's triggers (refusing every delete).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_REFUSE = "BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
_COVERED = "(SELECT coalesce(max(through_id), 0) FROM audit_checkpoints)"


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column("through_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("anchor_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
        sa.UniqueConstraint("through_id", name=op.f("uq_audit_checkpoints_through_id")),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        op.execute(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            f"WHEN OLD.id > {_COVERED} " + _REFUSE.format(table="audit_log")
        )
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_checkpoints_no_{event.lower()} BEFORE {event} "
                "ON audit_checkpoints " + _REFUSE.format(table="audit_checkpoints")
            )
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR TRUNCATE "
            "ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            "CREATE FUNCTION audit_log_purged_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF OLD.id > {_COVERED} THEN "
            "RAISE EXCEPTION 'audit_log is append-only'; END IF; RETURN OLD; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_purged_only BEFORE DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_purged_only()"
        )
        op.execute(
            "CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit_checkpoints is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
            "ON audit_checkpoints FOR EACH STATEMENT "
            "EXECUTE FUNCTION audit_checkpoints_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        op.execute(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            + _REFUSE.format(table="audit_log")
        )
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_purged_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_purged_only()")
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoints_append_only ON audit_checkpoints")
        op.execute("DROP FUNCTION IF EXISTS audit_checkpoints_append_only()")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
            "ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
    op.drop_table("audit_checkpoints")  # SQLite drops its triggers with it

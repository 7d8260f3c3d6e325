"""Initial store: establishments, students, weekly lists, interviews, dismissals, users,
the audit log, and the triggers that keep the audit log append-only.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=True),
        sa.Column("uai", sa.String(length=8), nullable=True),
        sa.Column("model_version", sa.String(length=100), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.CheckConstraint("outcome IN ('allowed', 'denied')", name=op.f("ck_audit_log_outcome")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_index(op.f("ix_audit_log_student_id"), "audit_log", ["student_id"], unique=False)

    op.create_table(
        "establishments",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("weekly_interview_capacity", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("uai", name=op.f("pk_establishments")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("token_id", sa.String(length=32), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('watch_unit', 'inspector', 'data_scientist', 'admin')",
            name=op.f("ck_users_role"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("token_id", name=op.f("uq_users_token_id")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "weekly_runs",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model_version", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("watch_threshold", sa.Float(), nullable=True),
        sa.Column("establishments", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("week", name=op.f("pk_weekly_runs")),
    )
    op.create_table(
        "students",
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=True),
        sa.Column("first_name", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["uai"], ["establishments.uai"], name=op.f("fk_students_uai_establishments")
        ),
        sa.PrimaryKeyConstraint("student_id", name=op.f("pk_students")),
    )
    op.create_index(op.f("ix_students_uai"), "students", ["uai"], unique=False)

    op.create_table(
        "user_scopes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_scopes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "uai", name=op.f("pk_user_scopes")),
    )
    op.create_table(
        "weekly_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model_version", sa.String(length=100), nullable=False),
        sa.Column("weekly_interview_capacity", sa.Integer(), nullable=False),
        sa.Column("watch_threshold", sa.Float(), nullable=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["uai"], ["establishments.uai"], name=op.f("fk_weekly_lists_uai_establishments")
        ),
        sa.ForeignKeyConstraint(
            ["week"], ["weekly_runs.week"], name=op.f("fk_weekly_lists_week_weekly_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weekly_lists")),
        sa.UniqueConstraint("uai", "week", name=op.f("uq_weekly_lists_uai_week")),
    )
    op.create_index(op.f("ix_weekly_lists_week"), "weekly_lists", ["week"], unique=False)

    op.create_table(
        "dismissals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(trim(reason)) > 0", name=op.f("ck_dismissals_reason")),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.student_id"], name=op.f("fk_dismissals_student_id_students")
        ),
        sa.ForeignKeyConstraint(
            ["uai"], ["establishments.uai"], name=op.f("fk_dismissals_uai_establishments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dismissals")),
    )
    op.create_index(op.f("ix_dismissals_student_id"), "dismissals", ["student_id"], unique=False)

    op.create_table(
        "interviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("interview_date", sa.Date(), nullable=True),
        sa.Column("solution", sa.String(length=30), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "solution IS NULL OR solution IN ('return_to_training', 'aar', 'morea', "
            "'tutoring', 'foquale', 'insertion', 'other')",
            name=op.f("ck_interviews_solution"),
        ),
        sa.CheckConstraint(
            "status IN ('to_invite', 'invited', 'held', 'declined', 'not_needed')",
            name=op.f("ck_interviews_status"),
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.student_id"], name=op.f("fk_interviews_student_id_students")
        ),
        sa.ForeignKeyConstraint(
            ["uai"], ["establishments.uai"], name=op.f("fk_interviews_uai_establishments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interviews")),
    )
    op.create_index(op.f("ix_interviews_student_id"), "interviews", ["student_id"], unique=False)

    op.create_table(
        "list_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=10), nullable=False),
        sa.Column("risk", sa.Float(), nullable=False),
        sa.Column("risk_change", sa.Float(), nullable=True),
        sa.Column("new_this_week", sa.Boolean(), nullable=False),
        sa.Column("interview_under_way", sa.Boolean(), nullable=False),
        sa.Column("dismissed_recently", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("features_shown", sa.JSON(), nullable=False),
        sa.CheckConstraint("tier IN ('list', 'watch')", name=op.f("ck_list_entries_tier")),
        sa.CheckConstraint("rank >= 1", name=op.f("ck_list_entries_rank")),
        sa.CheckConstraint("risk >= 0 AND risk <= 1", name=op.f("ck_list_entries_risk")),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["weekly_lists.id"],
            name=op.f("fk_list_entries_list_id_weekly_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
            name=op.f("fk_list_entries_student_id_students"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_entries")),
        sa.UniqueConstraint("list_id", "rank", name=op.f("uq_list_entries_list_id_rank")),
        sa.UniqueConstraint(
            "list_id", "student_id", name=op.f("uq_list_entries_list_id_student_id")
        ),
    )
    op.create_index(
        op.f("ix_list_entries_student_id"), "list_entries", ["student_id"], unique=False
    )
    _audit_log_append_only_triggers()


def _audit_log_append_only_triggers() -> None:
    """Refuse UPDATE and DELETE on audit_log in the database itself, not only in the ORM."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
            "ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def _drop_audit_log_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")


def downgrade() -> None:
    _drop_audit_log_triggers()
    op.drop_index(op.f("ix_list_entries_student_id"), table_name="list_entries")

    op.drop_table("list_entries")
    op.drop_index(op.f("ix_interviews_student_id"), table_name="interviews")

    op.drop_table("interviews")
    op.drop_index(op.f("ix_dismissals_student_id"), table_name="dismissals")

    op.drop_table("dismissals")
    op.drop_index(op.f("ix_weekly_lists_week"), table_name="weekly_lists")

    op.drop_table("weekly_lists")
    op.drop_table("user_scopes")
    op.drop_index(op.f("ix_students_uai"), table_name="students")

    op.drop_table("students")
    op.drop_table("weekly_runs")
    op.drop_table("users")
    op.drop_table("establishments")
    op.drop_index(op.f("ix_audit_log_student_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")

    op.drop_table("audit_log")

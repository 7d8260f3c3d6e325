"""The stop switch: `suspensions`, one row per suspension of one establishment's lists (`uai`)
or of every establishment's (`uai` NULL), with who suspended it, when and why, and who resumed
it, when and why (NULL while active). Rows are kept as the history.

The retention rule (`vigie purge`): `weekly_runs.purged_at`, when a week's lists and
artifacts were removed (NULL: kept), and `week_counts`, the anonymous counts kept of a purged
week's lists (per establishment: to invite, to watch, in follow-up).

Existing stores: nothing suspended, nothing purged. Downgrading drops the tables (and the
history) and the column.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable without default: SQLite adds it in place (no table copy), as in 0007.
    with op.batch_alter_table("weekly_runs") as batch:
        batch.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "week_counts",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("invited", sa.Integer(), nullable=False),
        sa.Column("watched", sa.Integer(), nullable=False),
        sa.Column("followed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["week"], ["weekly_runs.week"], name=op.f("fk_week_counts_week_weekly_runs")
        ),
        sa.PrimaryKeyConstraint("week", "uai", name=op.f("pk_week_counts")),
    )
    op.create_table(
        "suspensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("suspended_by", sa.String(length=100), nullable=False),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resumed_by", sa.String(length=100), nullable=True),
        sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resume_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("length(trim(reason)) > 0", name=op.f("ck_suspensions_reason")),
        sa.CheckConstraint(
            "(resumed_at IS NULL AND resumed_by IS NULL AND resume_reason IS NULL) "
            "OR (resumed_at IS NOT NULL AND resumed_by IS NOT NULL "
            "AND length(trim(resume_reason)) > 0)",
            name=op.f("ck_suspensions_resumed"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suspensions")),
    )


def downgrade() -> None:
    op.drop_table("suspensions")
    op.drop_table("week_counts")
    # In place (SQLite >= 3.35), as in 0007: a batch rebuild would break the foreign keys.
    op.execute("ALTER TABLE weekly_runs DROP COLUMN purged_at")

"""The stop switch: `suspensions`, one row per suspension of one establishment's lists (`uai`)
or of every establishment's (`uai` NULL), with who suspended it, when and why, and who resumed
it, when and why (NULL while active). Rows are kept as the history.

Existing stores: no row, nothing suspended. Downgrading drops the table (and the history).

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

"""Week monitoring: one JSON payload per written week and kind (`drift`, `lists`,
`outcomes`), written by `vigie monitor` and at the end of `vigie score` (`serving.monitoring`).
Aggregates and alerts only. Downgrading drops the table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "week_monitoring",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["week"],
            ["weekly_runs.week"],
            name="fk_week_monitoring_week_weekly_runs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("week", "kind", name="pk_week_monitoring"),
    )


def downgrade() -> None:
    op.drop_table("week_monitoring")

"""The rosters the store holds: `roster_state`, one row per establishment of the newest week
written, the digest of its roster whose rows (students with their names, enrollment facts)
that write upserted (`serving.weekly.store`), so that the next week need not compare the
rows of the rosters that did not change (300,000 for an académie); emptied by anything else
that deletes those rows (`vigie purge`).

Empty (an existing store): the next write compares every row, as before, then records its
rosters. Downgrading drops the table.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roster_state",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("roster_sha256", sa.String(length=64), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("uai", name=op.f("pk_roster_state")),
    )


def downgrade() -> None:
    op.drop_table("roster_state")

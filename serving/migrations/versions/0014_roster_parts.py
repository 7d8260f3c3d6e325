"""The rosters the store holds, by part: `roster_state` keeps one digest per part of each
establishment's roster (its students split by a stable hash of their id,
`serving.weekly.roster_digest.ROSTER_PARTS` parts), so that a week in which a few students
come and go writes again the rows of a few parts, not of whole rosters.

The state is a cache of what the newest write upserted: the table is made again empty, and
the next write compares every row, as after migration 0013, then records its parts.
Downgrading makes the table of 0013 again, empty.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("roster_state")
    op.create_table(
        "roster_state",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("roster_sha256", sa.String(length=64), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("uai", "part", name=op.f("pk_roster_state")),
    )


def downgrade() -> None:
    op.drop_table("roster_state")
    op.create_table(
        "roster_state",
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("roster_sha256", sa.String(length=64), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("uai", name=op.f("pk_roster_state")),
    )

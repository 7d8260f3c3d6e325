"""List revisions: a counter per establishment, bumped by every write that changes what its
lists show, so a cached list can be checked for staleness with one primary-key read.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant server default: SQLite adds the column in place (no table copy), and the
    # rows already there start at revision 0.
    with op.batch_alter_table("establishments") as batch:
        batch.add_column(
            sa.Column("list_revision", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("establishments") as batch:
        batch.drop_column("list_revision")

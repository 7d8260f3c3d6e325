"""Suggested solutions recorded beside the choice: an interview's `suggested_solutions` (the
solutions the eligibility rules suggested when its solution was recorded, a JSON list; NULL
when none could be made) and `suggestion_rules_sha256` (the table of rules used).

Existing rows: NULL (their solutions were chosen without a suggestion). Downgrading drops
both columns.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("interviews") as batch:
        batch.add_column(sa.Column("suggested_solutions", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("suggestion_rules_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("interviews") as batch:
        batch.drop_column("suggestion_rules_sha256")
        batch.drop_column("suggested_solutions")

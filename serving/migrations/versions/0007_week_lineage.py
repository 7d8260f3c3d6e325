"""Each week's lineage: weekly runs record where the week's data are (`serving.lineage`): the
extraction scored (its folder and fingerprint), the feature snapshot of every student scored
(its path and SHA-256) and the contributions behind each listed student's reasons (path and
SHA-256). The model version was already recorded.

Existing rows: the columns stay NULL (a week written before its lineage was recorded; the
pages about it say so, and scoring the week again records it). Downgrading drops the columns.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("extraction_path", sa.String(length=1000)),
    ("extraction_sha256", sa.String(length=64)),
    ("features_path", sa.String(length=1000)),
    ("features_sha256", sa.String(length=64)),
    ("contributions_path", sa.String(length=1000)),
    ("contributions_sha256", sa.String(length=64)),
)


def upgrade() -> None:
    # Nullable columns without default: SQLite adds them in place (no table copy).
    with op.batch_alter_table("weekly_runs") as batch:
        for name, kind in _COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    # In place (SQLite >= 3.35): a batch rebuild of `weekly_runs` (copy, drop, rename) would
    # break the foreign keys of `weekly_lists`, which reference it (as in 0005).
    for name, _ in reversed(_COLUMNS):
        op.execute(f"ALTER TABLE weekly_runs DROP COLUMN {name}")

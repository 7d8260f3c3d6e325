"""The weekly queue (`models.queue`): list entries get their part of the queue (the tier
`list` becomes `invite`; a new tier `follow_up` for the students in follow-up, who never take
a slot) and, in follow-up, the decision that keeps them there (kind, week, date, solution,
risk then); weekly runs record the follow-up rule they were written with (NULL for the weeks
written before it).

Existing rows: every `list` entry becomes `invite`; no entry is in follow-up (the weeks
already written took no decision into account). Downgrading turns `invite` back into `list`
and deletes the follow-up entries (a 0004 store cannot hold them).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Names already in the naming convention's form (`op.f`, applied where the operations run).
_TIER = "ck_list_entries_tier"
_KIND = "ck_list_entries_decision_kind"
_FOLLOW_UP = "ck_list_entries_follow_up"


def upgrade() -> None:
    with op.batch_alter_table("weekly_runs") as batch:
        batch.add_column(sa.Column("held_weeks", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("dismissal_weeks", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("risk_margin", sa.Float(), nullable=True))
    # The old CHECK refuses the new words: dropped first, rows renamed, the new CHECKs added
    # (on SQLite, each batch copies the table once).
    with op.batch_alter_table("list_entries") as batch:
        batch.drop_constraint(op.f(_TIER), type_="check")
        batch.add_column(sa.Column("decision_kind", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("decision_week", sa.Date(), nullable=True))
        batch.add_column(sa.Column("decision_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("decision_solution", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("decision_risk", sa.Float(), nullable=True))
    op.execute("UPDATE list_entries SET tier = 'invite' WHERE tier = 'list'")
    with op.batch_alter_table("list_entries") as batch:
        batch.create_check_constraint(op.f(_TIER), "tier IN ('invite', 'watch', 'follow_up')")
        batch.create_check_constraint(
            op.f(_KIND),
            "decision_kind IS NULL OR decision_kind IN ('under_way', 'held', 'dismissed')",
        )
        batch.create_check_constraint(
            op.f(_FOLLOW_UP),
            "(tier = 'follow_up' AND decision_kind IS NOT NULL AND decision_week IS NOT NULL) "
            "OR (tier <> 'follow_up' AND decision_kind IS NULL)",
        )


def downgrade() -> None:
    with op.batch_alter_table("list_entries") as batch:
        batch.drop_constraint(op.f(_FOLLOW_UP), type_="check")
        batch.drop_constraint(op.f(_KIND), type_="check")
        batch.drop_constraint(op.f(_TIER), type_="check")
    op.execute("DELETE FROM list_entries WHERE tier = 'follow_up'")
    op.execute("UPDATE list_entries SET tier = 'list' WHERE tier = 'invite'")
    with op.batch_alter_table("list_entries") as batch:
        for name in (
            "decision_risk",
            "decision_solution",
            "decision_date",
            "decision_week",
            "decision_kind",
        ):
            batch.drop_column(name)
        batch.create_check_constraint(op.f(_TIER), "tier IN ('list', 'watch')")
    # In place (SQLite >= 3.35): a batch rebuild of `weekly_runs` (copy, drop, rename) would
    # break the foreign keys of `weekly_lists`, which reference it.
    for name in ("risk_margin", "dismissal_weeks", "held_weeks"):
        op.execute(f"ALTER TABLE weekly_runs DROP COLUMN {name}")

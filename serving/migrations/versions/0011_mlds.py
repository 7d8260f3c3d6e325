"""The MLDS role and its contacts: the role `mlds` allowed in `users.role` (scoped, like a
watch unit, by `user_scopes`: the establishments of its bassin), and the table
`leaver_contacts` (a contact with a student who left without a solution, the action proposed
and its outcome). Downgrading drops the table and refuses while an `mlds` user exists.

On SQLite, changing the CHECK rebuilds `users` (copy, drop, rename): with foreign keys on,
dropping the old table would cascade to `user_scopes`, so its rows are kept aside and put
back in the same transaction.

Revision ID: 0011
Revises: 0012 (0009 on this branch before solutions16 was merged; the merger re-chains)
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0012"
branch_labels = None
depends_on = None

_ROLE = "ck_users_role"  # the naming convention's name (`op.f`)
_ROLES_BEFORE = ("watch_unit", "inspector", "data_scientist", "admin")
_ROLES_AFTER = (*_ROLES_BEFORE, "mlds")
_KEPT = "_vigie_0011_user_scopes"


def _check(roles: tuple[str, ...]) -> str:
    return "role IN ({})".format(", ".join(f"'{role}'" for role in roles))


def _replace_role_check(roles: tuple[str, ...]) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute(f"CREATE TABLE {_KEPT} AS SELECT user_id, uai FROM user_scopes")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f(_ROLE), type_="check")
        batch.create_check_constraint(op.f(_ROLE), _check(roles))
    if sqlite:
        op.execute("DELETE FROM user_scopes")
        op.execute(f"INSERT INTO user_scopes (user_id, uai) SELECT user_id, uai FROM {_KEPT}")
        op.execute(f"DROP TABLE {_KEPT}")


def upgrade() -> None:
    _replace_role_check(_ROLES_AFTER)
    op.create_table(
        "leaver_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("contact_date", sa.Date(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "action IN ('entretien_de_situation', 'return_to_training', 'aar', 'morea', "
            "'foquale', 'insertion', 'other')",
            name=op.f("ck_leaver_contacts_action"),
        ),
        sa.CheckConstraint(
            "outcome IN ('proposed', 'accepted', 'declined', 'no_answer', 'started', 'completed')",
            name=op.f("ck_leaver_contacts_outcome"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leaver_contacts")),
    )
    op.create_index(
        op.f("ix_leaver_contacts_uai_student_id"), "leaver_contacts", ["uai", "student_id"]
    )


def downgrade() -> None:
    # An mlds user would break the old CHECK: refused rather than deleted.
    if op.get_bind().execute(sa.text("SELECT count(*) FROM users WHERE role = 'mlds'")).scalar():
        raise RuntimeError("downgrade below 0011: remove the mlds users first")
    op.drop_index(op.f("ix_leaver_contacts_uai_student_id"), table_name="leaver_contacts")
    op.drop_table("leaver_contacts")
    _replace_role_check(_ROLES_BEFORE)

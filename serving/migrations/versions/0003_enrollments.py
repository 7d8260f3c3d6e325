"""Enrollments: a student's establishment becomes a dated fact, so that writing an older
week no longer moves anyone back to a former school; `students.uai` goes away so that no
code can read a stale establishment by mistake.

Each student of an existing store keeps its establishment as one enrollment starting on the
latest written week (an older week written later adds older facts, which never override it).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Start of the enrollments carried over when no week was ever written (no student either,
# in practice): any date works, a later real fact overrides it.
_NO_WEEK = dt.date(1970, 1, 1)


def _students_columns(with_uai: bool) -> list[sa.schema.SchemaItem]:
    items: list[sa.schema.SchemaItem] = [
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=True),
        sa.Column("first_name", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("student_id", name=op.f("pk_students")),
    ]
    if with_uai:
        items[1:1] = [sa.Column("uai", sa.String(length=8), nullable=False)]
        items.append(
            sa.ForeignKeyConstraint(
                ["uai"], ["establishments.uai"], name=op.f("fk_students_uai_establishments")
            )
        )
    return items


def _rebuild_students_on_sqlite(with_uai: bool, select_rows: str) -> None:
    """SQLite cannot drop or add a foreign-key column in place, and a batch rebuild (copy,
    drop, rename) breaks the foreign keys of the tables referencing `students` while
    `PRAGMA foreign_keys` is on (it cannot change inside the migration's transaction). So:
    keep the rows aside, drop the table with its foreign-key checks deferred to the commit,
    create the new table and put the rows back under the same name, which satisfies every
    reference again before the commit."""
    columns = ", ".join(["student_id", *(["uai"] if with_uai else []), "last_name", "first_name"])
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.execute(f"CREATE TEMPORARY TABLE students_0003 AS {select_rows}")
    op.execute("DROP TABLE students")
    op.create_table("students", *_students_columns(with_uai))
    op.execute(f"INSERT INTO students ({columns}) SELECT {columns} FROM students_0003")
    op.execute("DROP TABLE students_0003")


def upgrade() -> None:
    op.create_table(
        "enrollments",
        sa.Column("student_id", sa.String(length=64), nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
            name=op.f("fk_enrollments_student_id_students"),
        ),
        sa.ForeignKeyConstraint(
            ["uai"], ["establishments.uai"], name=op.f("fk_enrollments_uai_establishments")
        ),
        sa.PrimaryKeyConstraint("student_id", "uai", "start_date", name=op.f("pk_enrollments")),
    )
    bind = op.get_bind()
    weeks = sa.table("weekly_runs", sa.column("week", sa.Date()))
    latest = bind.execute(sa.select(sa.func.max(weeks.c.week))).scalar()
    if isinstance(latest, str):  # SQLite returns the aggregate as text
        latest = dt.date.fromisoformat(latest)
    bind.execute(
        sa.text(
            "INSERT INTO enrollments (student_id, uai, start_date, end_date) "
            "SELECT student_id, uai, :start, NULL FROM students"
        ).bindparams(sa.bindparam("start", latest or _NO_WEEK, type_=sa.Date()))
    )
    op.drop_index(op.f("ix_students_uai"), table_name="students")
    if bind.dialect.name == "sqlite":
        _rebuild_students_on_sqlite(
            with_uai=False, select_rows="SELECT student_id, last_name, first_name FROM students"
        )
    else:
        op.drop_constraint(op.f("fk_students_uai_establishments"), "students", type_="foreignkey")
        op.drop_column("students", "uai")


def downgrade() -> None:
    latest = (
        "(SELECT e.uai FROM enrollments e WHERE e.student_id = students.student_id "
        "ORDER BY e.start_date DESC, e.uai LIMIT 1)"
    )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_students_on_sqlite(
            with_uai=True,
            select_rows=f"SELECT student_id, {latest} AS uai, last_name, first_name FROM students",
        )
    else:
        op.add_column("students", sa.Column("uai", sa.String(length=8), nullable=True))
        op.execute(f"UPDATE students SET uai = {latest}")
        op.alter_column("students", "uai", existing_type=sa.String(length=8), nullable=False)
        op.create_foreign_key(
            op.f("fk_students_uai_establishments"), "students", "establishments", ["uai"], ["uai"]
        )
    op.create_index(op.f("ix_students_uai"), "students", ["uai"], unique=False)
    op.drop_table("enrollments")

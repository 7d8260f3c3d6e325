"""List revisions: what a cached weekly list is checked against.

Every write that changes what an establishment's lists show bumps that establishment's
`list_revision` in the write's own transaction: the weekly run (a new or rewritten week,
names, enrollments, establishment names: every establishment), an interview or a dismissal
(the establishments whose lists show the student). A reader that finds the revision it cached a
list at is therefore sure the list has not changed since; reading it costs one primary-key
lookup.
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, or_, select, update
from sqlalchemy.orm import Session

from serving.db.models import Enrollment, Establishment, ListEntry, WeeklyList

__all__ = ["bump_all_list_revisions", "bump_student_list_revisions", "list_revision"]

_REVISION = select(Establishment.list_revision).where(Establishment.uai == bindparam("uai"))


def list_revision(connection: Connection | Session, uai: str) -> int | None:
    """The current revision of `uai`'s lists; None for an unknown establishment."""
    return connection.execute(_REVISION, {"uai": uai}).scalar_one_or_none()


def bump_all_list_revisions(session: Session) -> None:
    """Every establishment's lists changed (the weekly run rewrote a week, names included)."""
    session.execute(
        update(Establishment)
        .values(list_revision=Establishment.list_revision + 1)
        .execution_options(synchronize_session=False)
    )


def bump_student_list_revisions(session: Session, student_id: str) -> None:
    """The lists showing `student_id` changed (an interview, a dismissal): those of every
    establishment the student has an enrollment in (the current one among them) and of every
    establishment whose lists hold the student (a student who changed schools is still on
    the old school's past lists)."""
    listed_in = (
        select(WeeklyList.uai)
        .join(ListEntry, ListEntry.list_id == WeeklyList.id)
        .where(ListEntry.student_id == student_id)
    )
    enrolled_in = select(Enrollment.uai).where(Enrollment.student_id == student_id)
    session.execute(
        update(Establishment)
        .where(or_(Establishment.uai.in_(listed_in), Establishment.uai.in_(enrolled_in)))
        .values(list_revision=Establishment.list_revision + 1)
        .execution_options(synchronize_session=False)
    )

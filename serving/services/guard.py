"""The one guard: how every service reaches its data once the access policy
(`serving.services.policy`) lets the actor perform the action. A refusal is audited and
raised as `AccessDenied` before any data is read.

- `guarded`: a transaction opened for an action, the rule checked first (the role; and the
  establishment `uai`, or every one of `uais`, for a scoped action).
- `check`: the same check for a service whose data is not in the store (models, drift
  files, a cached list), or which opens its own connection afterwards.
- `student_in_scope`, `writer_in_scope`: inside a `guarded` transaction, the scope rules
  of the actions about one student, which hold on the establishment the student is enrolled
  in on the day of the request.

Who is in the table and why is the policy module's business; this module only applies it."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from serving.db import enrollments
from serving.db.engine import Store
from serving.db.models import Student
from serving.services.actor import Actor
from serving.services.audit import deny, refusing
from serving.services.errors import NotFound
from serving.services.policy import (
    POLICY,
    Action,
    Refused,
    allows,
    audit_name,
    require,
    sees_whole_academie,
)

__all__ = [
    "EnrolledStudent",
    "check",
    "guarded",
    "student_in_scope",
    "writer_in_scope",
]


@contextmanager
def guarded(
    store: Store,
    actor: Actor,
    action: Action,
    *,
    uai: str | None = None,
    uais: Collection[str] = (),
    student_id: str | None = None,
    read_only: bool = False,
) -> Iterator[Session]:
    """A transaction (`read_only`: one that only reads) for `action`, opened once the actor
    may perform it. A `student` action's scope needs the student's establishment of the
    day: it is checked inside, by `student_in_scope` or `writer_in_scope`; its role is
    checked here, before any student is looked up: a role the action is not for gets the
    same audited refusal (naming `student_id`) for every id, unknown ones included. Raising
    `Refused` inside rolls back and is audited, as in `serving.services.audit.refusing`."""
    with refusing(store, actor, read_only=read_only) as session:
        if POLICY[action].scope == "student":
            require(actor, action, student_id=student_id)
        else:
            _require(actor, action, uai, uais)
        yield session


def check(
    store: Store,
    actor: Actor,
    action: Action,
    *,
    uai: str | None = None,
    uais: Collection[str] = (),
) -> None:
    """`guarded`'s check without a transaction: a refusal is audited (its own transaction),
    then raised as `AccessDenied`."""
    try:
        _require(actor, action, uai, uais)
    except Refused as refusal:
        deny(store, actor, refusal)


def _require(actor: Actor, action: Action, uai: str | None, uais: Collection[str]) -> None:
    require(actor, action, uai=uai)
    outside = [each for each in sorted(set(uais)) if not allows(actor, action, each)]
    if outside:
        rule = POLICY[action]
        raise Refused(
            audit_name(action),
            rule.out_of_scope or rule.refusal,
            uai=outside[0] if len(outside) == 1 else None,
        )


@dataclass(frozen=True)
class EnrolledStudent:
    """A student and the establishment they are enrolled in on the day of the request."""

    student: Student
    uai: str


def student_in_scope(
    session: Session, actor: Actor, action: Action, student_id: str, *, lock: bool = False
) -> EnrolledStudent:
    """The student and their establishment today, once `actor` may perform `action` on
    them (`lock`: the student's row locked for the transaction). Unknown: `NotFound` for the
    académie-wide roles, for anyone else the `Refused` that a student out of scope gets, so
    that a watch unit cannot tell which ids exist elsewhere."""
    query = select(Student).where(Student.student_id == student_id)
    student = session.scalar(query.with_for_update() if lock else query)
    uai = None if student is None else enrollments.current_establishment(session, student_id)
    if student is None or uai is None:
        if sees_whole_academie(actor):
            raise NotFound(f"no student {student_id}")
        raise Refused(audit_name(action), POLICY[action].refusal, student_id=student_id)
    require(actor, action, uai=uai, student_id=student_id)
    return EnrolledStudent(student, uai)


def writer_in_scope(
    session: Session, actor: Actor, action: Action, student_id: str, written_by_uai: str
) -> None:
    """`action` on what `written_by_uai` wrote about a student (an interview): only its
    watch unit, and only while the student is still enrolled there."""
    require(actor, action, uai=written_by_uai, student_id=student_id)
    if enrollments.current_establishment(session, student_id) != written_by_uai:
        raise Refused(
            audit_name(action),
            "the student is no longer enrolled in the establishment that wrote this "
            "interview: it can no longer be changed",
            student_id=student_id,
            uai=written_by_uai,
        )

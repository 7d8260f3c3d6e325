"""The stop switch: an admin suspends one establishment's lists, or every establishment's, at
once and for a stated reason, and resumes them later, for a stated reason too.

What "not published" means, concretely: while a suspension covers an establishment, the
services that serve its weekly lists refuse with `Suspended` (the API answers 503 with the
reason, the dashboard shows it in place of the list): the list itself
(`serving.services.lists`), a student's record, a student's list explanation and the
notice of a list entry (`serving.services.students`, `serving.services.dashboard_explain`,
`serving.services.notice`), for the students
enrolled there on the day of the request. The weekly run is not stopped: it still scores and
stores the week (nothing is lost), and resuming makes the stored weeks, the latest included,
visible again at once. Every suspension and resumption is audited in the same transaction,
with the admin and the reason; the rows are kept as the history (`list_suspensions`)."""

from __future__ import annotations

import re

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from serving.db.engine import Store
from serving.db.models import Suspension
from serving.db.suspensions import ActiveSuspension, active_suspension
from serving.db.types import utc_now
from serving.services.actor import Actor
from serving.services.audit import DETAIL_LENGTH, record
from serving.services.errors import Conflict, InvalidRequest, NotFound, Suspended
from serving.services.guard import guarded
from serving.services.inputs import UAI_PATTERN
from serving.services.policy import Action, performs
from serving.services.views import SuspensionView

__all__ = [
    "MAX_REASON_LENGTH",
    "list_suspensions",
    "refuse",
    "refuse_if_suspended",
    "resume",
    "suspend",
]

MAX_REASON_LENGTH = DETAIL_LENGTH  # the audit entry's detail holds the reason whole


def refuse_if_suspended(connection: Connection | Session, uai: str) -> None:
    """Raise `Suspended` while a suspension covers `uai`."""
    refuse(active_suspension(connection, uai))


def refuse(suspension: ActiveSuspension | None) -> None:
    """Raise `Suspended` for a suspension in force (None: nothing to refuse)."""
    if suspension is not None:
        raise Suspended(
            suspension.uai, suspension.reason, suspension.suspended_by, suspension.suspended_at
        )


@performs(Action.SUSPEND)
def suspend(store: Store, actor: Actor, uai: str | None, reason: str) -> SuspensionView:
    """Stop serving the lists of `uai` (None: of every establishment) from now on."""
    reason = _checked(uai, reason)
    with guarded(store, actor, Action.SUSPEND) as session:
        if _active(session, uai):
            raise Conflict(f"{_scope(uai)} is already suspended")
        suspension = Suspension(uai=uai, reason=reason, suspended_by=actor.username)
        session.add(suspension)
        session.flush()
        record(session, actor, "suspend", "allowed", uai=uai, detail=reason)
        return _view(suspension)


@performs(Action.RESUME)
def resume(store: Store, actor: Actor, uai: str | None, reason: str) -> list[SuspensionView]:
    """Serve again the lists of `uai`: its own suspension is lifted (a suspension of every
    establishment still covers it, and the refusal says so). `uai` None lifts every active
    suspension, of every establishment and of each one."""
    reason = _checked(uai, reason)
    with guarded(store, actor, Action.RESUME) as session:
        query = select(Suspension).where(Suspension.resumed_at.is_(None))
        if uai is not None:
            query = query.where(Suspension.uai == uai)
        lifted = list(session.scalars(query.order_by(Suspension.id)))
        if not lifted:
            if uai is not None and _active(session, None):
                raise Conflict(
                    f"establishment {uai} has no suspension of its own: every establishment "
                    "is suspended (resume all of them to serve it again)"
                )
            raise NotFound(f"{_scope(uai)} is not suspended")
        now = utc_now()
        for suspension in lifted:
            suspension.resumed_by = actor.username
            suspension.resumed_at = now
            suspension.resume_reason = reason
            record(session, actor, "resume", "allowed", uai=suspension.uai, detail=reason)
        session.flush()
        return [_view(suspension) for suspension in lifted]


@performs(Action.READ_SUSPENSIONS)
def list_suspensions(store: Store, actor: Actor) -> list[SuspensionView]:
    """Every suspension, active or lifted, the newest first."""
    with guarded(store, actor, Action.READ_SUSPENSIONS, read_only=True) as session:
        rows = session.scalars(
            select(Suspension).order_by(Suspension.suspended_at.desc(), Suspension.id.desc())
        )
        return [_view(row) for row in rows]


def _checked(uai: str | None, reason: str) -> str:
    problems = []
    if uai is not None and not re.match(UAI_PATTERN, uai):
        problems.append(f"establishment: not a UAI (7 digits and a letter): {uai}")
    reason = reason.strip()
    if not reason:
        problems.append("reason: give the reason (it is shown to the users and audited)")
    elif len(reason) > MAX_REASON_LENGTH:
        problems.append(f"reason: at most {MAX_REASON_LENGTH} characters")
    if problems:
        raise InvalidRequest("; ".join(problems))
    return reason


def _active(session: Session, uai: str | None) -> bool:
    own = Suspension.uai.is_(None) if uai is None else Suspension.uai == uai
    query = select(Suspension.id).where(Suspension.resumed_at.is_(None), own).limit(1)
    return session.scalar(query) is not None


def _scope(uai: str | None) -> str:
    return "every establishment" if uai is None else f"establishment {uai}"


def _view(suspension: Suspension) -> SuspensionView:
    return SuspensionView.model_validate(suspension, from_attributes=True)

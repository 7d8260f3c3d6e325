"""Recording what the watch unit decides: interviews and their outcome, dismissals.

Only the establishment's own watch unit may write. An interview moves to_invite -> invited
-> held, or ends declined / not_needed (`INTERVIEW_TRANSITIONS`); a solution is recorded only
for a held interview; a student has at most one interview under way. Rows are locked before
they are checked (`FOR UPDATE` on PostgreSQL; SQLite transactions are already serialised by
`BEGIN IMMEDIATE`), so concurrent writers never lose an update. Each write bumps the list
revision of the establishments whose lists show the student (their marks change), in the
same transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from features.calendar import monday_on_or_before
from serving.db.engine import Store
from serving.db.models import Dismissal, Interview, Student
from serving.db.revisions import bump_student_list_revisions
from serving.db.types import utc_now
from serving.db.vocabulary import (
    INTERVIEW_TRANSITIONS,
    OPEN_INTERVIEW_STATUSES,
    InterviewSolution,
    InterviewStatus,
)
from serving.services.actor import Actor, may_record
from serving.services.audit import Refused, record, refusing
from serving.services.errors import Conflict, InvalidRequest, NotFound
from serving.services.inputs import InterviewChanges, NewDismissal, NewInterview
from serving.services.students import dismissal_view, interview_view
from serving.services.views import DismissalView, InterviewView

__all__ = ["check_interview", "dismiss_student", "record_interview", "update_interview"]


def check_interview(
    current: InterviewStatus | None, new: InterviewStatus, solution: InterviewSolution | None
) -> None:
    """Refuse an invalid transition (`current` None for a new interview) or a solution on
    an interview that was not held."""
    if current is not None and new != current and new not in INTERVIEW_TRANSITIONS[current]:
        allowed = ", ".join(sorted(INTERVIEW_TRANSITIONS[current])) or "none (final status)"
        raise Conflict(f"an interview cannot go from {current} to {new}; allowed: {allowed}")
    if solution is not None and new != "held":
        raise InvalidRequest("a solution is recorded only for a held interview")


def _require_recorder(actor: Actor, action: str, student_id: str, uai: str) -> None:
    """`Refused` (audited as `action`) unless `actor` is the student's own watch unit."""
    if not may_record(actor, uai):
        raise Refused(
            action,
            "only the student's own watch unit may record or dismiss",
            student_id=student_id,
            uai=uai,
        )


def _written(
    session: Session, actor: Actor, action: str, student_id: str, uai: str, detail: str
) -> None:
    """A write about `student_id` is in the transaction: every list that shows the student
    changes revision (cached copies are no longer served) and the write is audited, both in
    that same transaction."""
    bump_student_list_revisions(session, student_id)
    record(session, actor, action, "allowed", student_id=student_id, uai=uai, detail=detail)


def record_interview(store: Store, actor: Actor, new: NewInterview) -> InterviewView:
    with refusing(store, actor) as session:
        student = session.scalar(
            select(Student).where(Student.student_id == new.student_id).with_for_update()
        )
        if student is None:
            raise NotFound(f"no student {new.student_id}")
        _require_recorder(actor, "record_interview", new.student_id, student.uai)
        check_interview(None, new.status, new.solution)
        if new.status in OPEN_INTERVIEW_STATUSES:
            under_way = session.scalar(
                select(Interview.id).where(
                    Interview.student_id == new.student_id,
                    Interview.status.in_(OPEN_INTERVIEW_STATUSES),
                )
            )
            if under_way is not None:
                raise Conflict(f"interview {under_way} is already under way for this student")
        now = utc_now()
        interview = Interview(
            student_id=new.student_id,
            uai=student.uai,
            status=new.status,
            interview_date=new.interview_date,
            solution=new.solution,
            notes=new.notes,
            created_by=actor.username,
            created_at=now,
            updated_by=actor.username,
            updated_at=now,
            revision=1,
        )
        session.add(interview)
        session.flush()
        _written(session, actor, "record_interview", new.student_id, student.uai,
                 f"interview {interview.id}: {new.status}")  # fmt: skip
        return interview_view(interview, with_notes=True)


def update_interview(
    store: Store, actor: Actor, interview_id: int, changes: InterviewChanges
) -> InterviewView:
    """Change the fields set in `changes` (an explicit null clears a field); with
    `expected_revision`, refuse if someone else changed the interview in between."""
    given = changes.model_fields_set
    with refusing(store, actor) as session:
        interview = session.scalar(
            select(Interview).where(Interview.id == interview_id).with_for_update()
        )
        if interview is None:
            raise NotFound(f"no interview {interview_id}")
        _require_recorder(actor, "update_interview", interview.student_id, interview.uai)
        expected = changes.expected_revision
        if expected is not None and expected != interview.revision:
            raise Conflict(
                f"interview {interview_id} is at revision {interview.revision}, "
                f"not {expected}: reload it"
            )
        previous: InterviewStatus = interview.status  # type: ignore[assignment]
        status: InterviewStatus = changes.status or previous
        solution = changes.solution if "solution" in given else interview.solution
        check_interview(previous, status, solution)  # type: ignore[arg-type]
        interview.status = status
        interview.solution = solution
        if "interview_date" in given:
            interview.interview_date = changes.interview_date
        if "notes" in given:
            interview.notes = changes.notes
        interview.updated_by = actor.username
        interview.updated_at = utc_now()
        interview.revision += 1
        session.flush()
        _written(session, actor, "update_interview", interview.student_id, interview.uai,
                 f"interview {interview_id}: {previous} -> {status}")  # fmt: skip
        return interview_view(interview, with_notes=True)


def dismiss_student(store: Store, actor: Actor, new: NewDismissal) -> DismissalView:
    """A person overrules the list: the student is not invited, for a stated reason. The
    student stays on later lists, marked as dismissed recently."""
    reason = new.reason.strip()
    if not reason:
        raise InvalidRequest("a dismissal needs a reason")
    week = new.week or monday_on_or_before(dt.datetime.now(dt.UTC).date())
    with refusing(store, actor) as session:
        student = session.get(Student, new.student_id)
        if student is None:
            raise NotFound(f"no student {new.student_id}")
        _require_recorder(actor, "dismiss", new.student_id, student.uai)
        dismissal = Dismissal(
            student_id=new.student_id,
            uai=student.uai,
            week=week,
            reason=reason,
            created_by=actor.username,
        )
        session.add(dismissal)
        session.flush()
        _written(session, actor, "dismiss", new.student_id, student.uai,
                 f"dismissal {dismissal.id}, week {week.isoformat()}")  # fmt: skip
        return dismissal_view(dismissal, with_reason=True)

"""Recording what the watch unit decides: interviews and their outcome, dismissals.

Only the watch unit of the establishment the student is enrolled in on the day of the
request may write (`serving.db.enrollments`); an interview is changed only by its own
establishment, and only while the student is still enrolled there. A dismissal's week must
fall within the school years the store knows (its weekly runs and enrollments). An interview
moves to_invite -> invited -> held, or ends declined / not_needed (`INTERVIEW_TRANSITIONS`);
a solution is recorded only for a held interview, with the solutions the eligibility rules
suggested on the interview's day beside it (`serving.solutions.recorded`: a person chooses,
the suggestion is kept to compare); a student has at most one interview under way in its
establishment. Rows are locked before they are checked (`FOR UPDATE` on PostgreSQL; SQLite
transactions are already serialised by `BEGIN IMMEDIATE`), so concurrent writers never lose
an update. Each write takes the decisions lock first (`serving.db.decision_lock`: it waits
for a weekly write in progress), and bumps the list revision of the establishments whose
lists show the student (their marks change), in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from features.calendar import monday_on_or_before, school_year_bounds, school_year_of
from serving.db import enrollments
from serving.db.decision_lock import lock_decisions
from serving.db.engine import Store
from serving.db.models import Dismissal, Enrollment, Interview, WeeklyRun
from serving.db.revisions import bump_student_list_revisions
from serving.db.types import utc_now
from serving.db.vocabulary import (
    INTERVIEW_TRANSITIONS,
    OPEN_INTERVIEW_STATUSES,
    InterviewSolution,
    InterviewStatus,
)
from serving.services.actor import Actor
from serving.services.audit import record
from serving.services.errors import Conflict, InvalidRequest, NotFound
from serving.services.guard import guarded, student_in_scope, writer_in_scope
from serving.services.inputs import InterviewChanges, NewDismissal, NewInterview
from serving.services.policy import Action, performs
from serving.services.students import dismissal_view, interview_view
from serving.services.views import DismissalView, InterviewView
from serving.solutions import recorded  # the module: it imports this package's errors

__all__ = [
    "check_dismissal_week",
    "check_interview",
    "dismiss_student",
    "record_interview",
    "school_years_span",
    "update_interview",
]


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


def school_years_span(days: Iterable[dt.date | None]) -> tuple[dt.date, dt.date] | None:
    """1 September of the first school year holding one of `days` to 31 August of the last
    (None without any day)."""
    known = [day for day in days if day is not None]
    if not known:
        return None
    first, _ = school_year_bounds(school_year_of(min(known)))
    _, last = school_year_bounds(school_year_of(max(known)))
    return first, last


def check_dismissal_week(week: dt.date, span: tuple[dt.date, dt.date] | None) -> None:
    """Refuse a dismissal week outside the school years the store knows."""
    if span is None:
        raise InvalidRequest("week: the store knows no school year yet (no weekly run written)")
    first, last = span
    if not first <= week <= last:
        raise InvalidRequest(
            f"week: {week.isoformat()} is outside the school years the store knows; "
            f"allowed from {first.isoformat()} to {last.isoformat()}"
        )


def _known_school_years(session: Session) -> tuple[dt.date, dt.date] | None:
    runs = session.execute(select(func.min(WeeklyRun.week), func.max(WeeklyRun.week))).one()
    facts = session.execute(
        select(
            func.min(Enrollment.start_date),
            func.max(Enrollment.start_date),
            func.max(Enrollment.end_date),
        )
    ).one()
    return school_years_span([*runs, *facts])


def _suggestion_before(
    store: Store, actor: Actor, new: NewInterview
) -> recorded.RecordedSuggestion:
    """Beside a solution recorded, what the rules suggested on the interview's day (today
    without a date), read before the write transaction (the extraction's files are not read
    under the write lock); the scope checked first, as the write checks it again."""
    if new.solution is None:
        return None, None
    action = Action.RECORD_INTERVIEW
    with guarded(store, actor, action, student_id=new.student_id, read_only=True) as session:
        uai = student_in_scope(session, actor, action, new.student_id).uai
        check_interview(None, new.status, new.solution)
        week = recorded.latest_week(session)
    day = new.interview_date or enrollments.request_date()
    return recorded.suggestion_for_choice(week, new.student_id, uai, day)


@dataclass(frozen=True)
class _Prepared:
    """A suggestion read before an update's write, for the solution and day it was read for."""

    student_id: str
    solution: str
    day: dt.date | None
    suggestion: recorded.RecordedSuggestion

    @property
    def read_for(self) -> tuple[str, str, dt.date | None]:
        return self.student_id, self.solution, self.day


def _prepare_update(
    store: Store, actor: Actor, interview_id: int, changes: InterviewChanges
) -> _Prepared | None:
    """For an update choosing a new solution, its suggestion read before the write."""
    if "solution" not in changes.model_fields_set or changes.solution is None:
        return None
    action = Action.UPDATE_INTERVIEW
    with guarded(store, actor, action, read_only=True) as session:
        interview = session.get(Interview, interview_id)
        if interview is None:
            raise NotFound(f"no interview {interview_id}")
        writer_in_scope(session, actor, action, interview.student_id, interview.uai)
        if changes.solution == interview.solution:
            return None
        day = (
            changes.interview_date
            if "interview_date" in changes.model_fields_set
            else interview.interview_date
        )
        student_id, uai, week = interview.student_id, interview.uai, recorded.latest_week(session)
    suggestion = recorded.suggestion_for_choice(
        week, student_id, uai, day or enrollments.request_date()
    )
    return _Prepared(student_id, changes.solution, day, suggestion)


def _written(
    session: Session, actor: Actor, action: str, student_id: str, uai: str, detail: str
) -> None:
    """A write about `student_id` is in the transaction: every list that shows the student
    changes revision (cached copies are no longer served) and the write is audited, both in
    that same transaction."""
    bump_student_list_revisions(session, student_id)
    record(session, actor, action, "allowed", student_id=student_id, uai=uai, detail=detail)


@performs(Action.RECORD_INTERVIEW)
def record_interview(store: Store, actor: Actor, new: NewInterview) -> InterviewView:
    suggested, rules_sha256 = _suggestion_before(store, actor, new)
    with guarded(store, actor, Action.RECORD_INTERVIEW, student_id=new.student_id) as session:
        lock_decisions(session, shared=True)  # a weekly write in progress commits first
        # The student's row locked, once the actor is shown to be their watch unit today.
        uai = student_in_scope(
            session, actor, Action.RECORD_INTERVIEW, new.student_id, lock=True
        ).uai
        check_interview(None, new.status, new.solution)
        if new.status in OPEN_INTERVIEW_STATUSES:
            # One interview under way per student and establishment: one left open by a
            # former school (which can no longer change it) does not block the new one.
            under_way = session.scalar(
                select(Interview.id).where(
                    Interview.student_id == new.student_id,
                    Interview.uai == uai,
                    Interview.status.in_(OPEN_INTERVIEW_STATUSES),
                )
            )
            if under_way is not None:
                raise Conflict(f"interview {under_way} is already under way for this student")
        now = utc_now()
        interview = Interview(
            student_id=new.student_id,
            uai=uai,
            status=new.status,
            interview_date=new.interview_date,
            solution=new.solution,
            notes=new.notes,
            created_by=actor.username,
            created_at=now,
            updated_by=actor.username,
            updated_at=now,
            revision=1,
            suggested_solutions=suggested,
            suggestion_rules_sha256=rules_sha256,
        )
        session.add(interview)
        session.flush()
        _written(session, actor, "record_interview", new.student_id, uai,
                 f"interview {interview.id}: {new.status}")  # fmt: skip
        return interview_view(interview, with_notes=True)


@performs(Action.UPDATE_INTERVIEW)
def update_interview(
    store: Store, actor: Actor, interview_id: int, changes: InterviewChanges
) -> InterviewView:
    """Change the fields set in `changes` (an explicit null clears a field); with
    `expected_revision`, refuse if someone else changed the interview in between."""
    given = changes.model_fields_set
    prepared = _prepare_update(store, actor, interview_id, changes)
    with guarded(store, actor, Action.UPDATE_INTERVIEW) as session:
        lock_decisions(session, shared=True)
        interview = session.scalar(
            select(Interview).where(Interview.id == interview_id).with_for_update()
        )
        if interview is None:
            raise NotFound(f"no interview {interview_id}")
        writer_in_scope(
            session, actor, Action.UPDATE_INTERVIEW, interview.student_id, interview.uai
        )
        expected = changes.expected_revision
        if expected is not None and expected != interview.revision:
            raise Conflict(
                f"interview {interview_id} is at revision {interview.revision}, "
                f"not {expected}: reload it"
            )
        previous: InterviewStatus = interview.status  # type: ignore[assignment]  # checked by the table
        status: InterviewStatus = changes.status or previous
        solution = changes.solution if "solution" in given else interview.solution
        check_interview(previous, status, solution)  # type: ignore[arg-type]  # checked by the table
        if solution != interview.solution:  # a new choice: the suggestion of its day beside it
            day = changes.interview_date if "interview_date" in given else interview.interview_date
            if solution is None:
                suggestion: recorded.RecordedSuggestion = (None, None)
            elif prepared and prepared.read_for == (interview.student_id, solution, day):
                suggestion = prepared.suggestion
            else:  # the interview changed since it was read: read again, under the lock
                suggestion = recorded.suggestion_for_choice(
                    recorded.latest_week(session), interview.student_id, interview.uai,
                    day or enrollments.request_date(),
                )  # fmt: skip
            interview.suggested_solutions, interview.suggestion_rules_sha256 = suggestion
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


@performs(Action.DISMISS)
def dismiss_student(store: Store, actor: Actor, new: NewDismissal) -> DismissalView:
    """A person overrules the list: the student is not invited, for a stated reason. The
    student stays on later lists, marked as dismissed recently."""
    reason = new.reason.strip()
    if not reason:
        raise InvalidRequest("a dismissal needs a reason")
    week = new.week or monday_on_or_before(enrollments.request_date())
    with guarded(store, actor, Action.DISMISS, student_id=new.student_id) as session:
        lock_decisions(session, shared=True)
        uai = student_in_scope(session, actor, Action.DISMISS, new.student_id, lock=True).uai
        check_dismissal_week(week, _known_school_years(session))
        dismissal = Dismissal(
            student_id=new.student_id,
            uai=uai,
            week=week,
            reason=reason,
            created_by=actor.username,
        )
        session.add(dismissal)
        session.flush()
        _written(session, actor, "dismiss", new.student_id, uai,
                 f"dismissal {dismissal.id}, week {week.isoformat()}")  # fmt: skip
        return dismissal_view(dismissal, with_reason=True)

"""Reading one student's record: risk history with reasons, interviews, dismissals.

Every read is audited, every refusal too. The record is the most sensitive read in Vigie.
Who may read it is decided by the establishment the student is enrolled in on the day of
the request (`serving.db.enrollments`), never by the last week written: its watch unit (with
names), or the académie-wide roles (pseudonymised). Interview notes and dismissal reasons are
free text: only the watch unit of the establishment that wrote them sees them. To a watch
unit, an unknown id and another school's student get the same refusal (both audited)."""

from __future__ import annotations

from sqlalchemy import select

from serving.db.engine import Store
from serving.db.models import Dismissal, Interview, ListEntry, WeeklyList
from serving.services.actor import Actor
from serving.services.audit import record_read
from serving.services.guard import guarded, student_in_scope
from serving.services.policy import Action, performs, sees_names, sees_notes
from serving.services.suspensions import refuse_if_suspended
from serving.services.views import (
    DismissalView,
    InterviewView,
    ReasonView,
    RiskPointView,
    StudentRecordView,
)
from serving.solutions.followed import followed

__all__ = ["dismissal_view", "get_student_record", "interview_view"]


@performs(Action.READ_STUDENT)
def get_student_record(store: Store, actor: Actor, student_id: str) -> StudentRecordView:
    with guarded(
        store, actor, Action.READ_STUDENT, student_id=student_id, read_only=True
    ) as session:
        enrolled = student_in_scope(session, actor, Action.READ_STUDENT, student_id)
        refuse_if_suspended(session, enrolled.uai)  # the stop switch: lists not served
        student = enrolled.student
        history = [
            RiskPointView(
                week=weekly_list.week,
                uai=weekly_list.uai,
                model_version=weekly_list.model_version,
                rank=entry.rank,
                tier=entry.tier,  # type: ignore[arg-type]  # checked by the table
                risk=entry.risk,
                reasons=[ReasonView.model_validate(reason) for reason in entry.reasons],
                features_shown=entry.features_shown,
            )
            for entry, weekly_list in session.execute(
                select(ListEntry, WeeklyList)
                .join(WeeklyList, ListEntry.list_id == WeeklyList.id)
                .where(ListEntry.student_id == student_id)
                .order_by(WeeklyList.week.desc())
            )
        ]
        interviews = session.scalars(
            select(Interview).where(Interview.student_id == student_id).order_by(Interview.id)
        ).all()
        dismissals = session.scalars(
            select(Dismissal).where(Dismissal.student_id == student_id).order_by(Dismissal.id)
        ).all()
        names = sees_names(actor, enrolled.uai)
        view = StudentRecordView(
            student_id=student.student_id,
            uai=enrolled.uai,
            last_name=student.last_name if names else None,
            first_name=student.first_name if names else None,
            history=history,
            interviews=[
                interview_view(interview, sees_notes(actor, interview.uai))
                for interview in interviews
            ],
            dismissals=[
                dismissal_view(dismissal, sees_notes(actor, dismissal.uai))
                for dismissal in dismissals
            ],
        )
    model_version = view.history[0].model_version if view.history else None
    record_read(
        store,
        actor,
        "read_student",
        student_id=student_id,
        uai=view.uai,
        model_version=model_version,
    )
    return view


def interview_view(interview: Interview, with_notes: bool) -> InterviewView:
    return InterviewView(
        id=interview.id,
        student_id=interview.student_id,
        uai=interview.uai,
        status=interview.status,  # type: ignore[arg-type]  # checked by the table
        interview_date=interview.interview_date,
        solution=interview.solution,  # type: ignore[arg-type]  # checked by the table
        notes=interview.notes if with_notes else None,
        notes_withheld=not with_notes and bool(interview.notes),
        created_by=interview.created_by,
        created_at=interview.created_at,
        updated_by=interview.updated_by,
        updated_at=interview.updated_at,
        revision=interview.revision,
        suggested_solutions=interview.suggested_solutions,  # type: ignore[arg-type]  # written from the same words
        followed_suggestion=followed(interview.solution, interview.suggested_solutions),
    )


def dismissal_view(dismissal: Dismissal, with_reason: bool) -> DismissalView:
    return DismissalView(
        id=dismissal.id,
        student_id=dismissal.student_id,
        uai=dismissal.uai,
        week=dismissal.week,
        reason=dismissal.reason if with_reason else None,
        reason_withheld=not with_reason,
        created_by=dismissal.created_by,
        created_at=dismissal.created_at,
    )

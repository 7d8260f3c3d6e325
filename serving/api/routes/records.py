"""What the watch unit records: POST /v1/interviews, PATCH /v1/interviews/{id},
POST /v1/dismissals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from serving.api.deps import ActorDep, StoreDep
from serving.api.errors import AUTHENTICATED, NO_SUCH_STUDENT, error_responses
from serving.services import (
    InterviewChanges,
    NewDismissal,
    NewInterview,
    dismiss_student,
    record_interview,
    update_interview,
)
from serving.services.views import DismissalView, InterviewView

__all__ = ["router"]

router = APIRouter(tags=["interviews and dismissals"])

# What every route here may refuse, besides its own 404 and 409: a body is posted.
_REFUSALS = (*AUTHENTICATED, 413, 422)
InterviewIdPath = Annotated[int, Path(ge=1, le=2**62)]


@router.post(
    "/v1/interviews",
    response_model=InterviewView,
    status_code=201,
    responses=error_responses(
        *_REFUSALS,
        NO_SUCH_STUDENT,
        (409, "An interview is already under way for this student."),
    ),
)
def create_interview(new: NewInterview, store: StoreDep, actor: ActorDep) -> InterviewView:
    """Record an interview for a student of your establishment (watch unit only)."""
    return record_interview(store, actor, new)


@router.patch(
    "/v1/interviews/{interview_id}",
    response_model=InterviewView,
    responses=error_responses(
        *_REFUSALS, (404, "No such interview."), (409, "Invalid transition or stale revision.")
    ),
)
def change_interview(
    interview_id: InterviewIdPath, changes: InterviewChanges, store: StoreDep, actor: ActorDep
) -> InterviewView:
    """Move an interview along to_invite -> invited -> held (or declined, not_needed)."""
    return update_interview(store, actor, interview_id, changes)


@router.post(
    "/v1/dismissals",
    response_model=DismissalView,
    status_code=201,
    responses=error_responses(*_REFUSALS, NO_SUCH_STUDENT),
)
def create_dismissal(new: NewDismissal, store: StoreDep, actor: ActorDep) -> DismissalView:
    """Overrule the list for a student, with a reason (watch unit only)."""
    return dismiss_student(store, actor, new)

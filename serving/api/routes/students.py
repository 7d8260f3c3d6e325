"""GET /v1/students/{student_id}: a student's record (audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from serving.api.deps import ActorDep, StoreDep
from serving.api.errors import AUTHENTICATED, NO_SUCH_STUDENT, SUSPENDED, error_responses
from serving.services import get_student_record
from serving.services.inputs import STUDENT_ID_PATTERN
from serving.services.views import StudentRecordView

__all__ = ["router"]

router = APIRouter(tags=["students"])

StudentIdPath = Annotated[str, Path(pattern=STUDENT_ID_PATTERN, description="Pseudonymous id.")]


@router.get(
    "/v1/students/{student_id}",
    response_model=StudentRecordView,
    responses=error_responses(*AUTHENTICATED, 422, NO_SUCH_STUDENT, SUSPENDED),
)
def student_record(
    student_id: StudentIdPath, store: StoreDep, actor: ActorDep
) -> StudentRecordView:
    """Risk history with reasons, interviews and dismissals; every read is audited."""
    return get_student_record(store, actor, student_id)

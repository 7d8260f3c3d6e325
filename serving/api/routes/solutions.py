"""Suggested solutions, never decided: GET /v1/students/{student_id}/solutions (the
solutions a student is eligible for on a date, with the rule and the facts that make each
one so) and GET /v1/solutions/followed (how often recorded choices followed them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from serving.api.deps import ActorDep, StoreDep
from serving.api.errors import AUTHENTICATED, NO_SUCH_STUDENT, error_responses
from serving.services.inputs import STUDENT_ID_PATTERN, IsoDate
from serving.services.solutions import get_student_solutions, get_suggestion_followed
from serving.solutions.views import SolutionsView, SuggestionFollowedView

__all__ = ["router"]

router = APIRouter(tags=["solutions"])

StudentIdPath = Annotated[str, Path(pattern=STUDENT_ID_PATTERN, description="Pseudonymous id.")]
AsOfQuery = Annotated[
    IsoDate | None,
    Query(description="The date the facts are taken on (YYYY-MM-DD, not after today); "
          "default today."),
]  # fmt: skip


@router.get(
    "/v1/students/{student_id}/solutions",
    response_model=SolutionsView,
    responses=error_responses(
        *AUTHENTICATED,
        422,
        NO_SUCH_STUDENT,
        (409, "The latest week's extraction is gone or changed since it was scored."),
    ),
)
def student_solutions(
    student_id: StudentIdPath, store: StoreDep, actor: ActorDep, as_of: AsOfQuery = None
) -> SolutionsView:
    """The solutions the student is eligible for on `as_of`, each with its rule, the rule's
    source and the facts that meet it (French and English). Suggested, never decided: the
    watch unit chooses. Every read is audited."""
    return get_student_solutions(store, actor, student_id, as_of)


@router.get(
    "/v1/solutions/followed",
    response_model=SuggestionFollowedView,
    responses=error_responses(*AUTHENTICATED),
)
def suggestion_followed(store: StoreDep, actor: ActorDep) -> SuggestionFollowedView:
    """How often the solution recorded after a held interview was among those suggested
    (inspectors and data scientists; aggregates only)."""
    return get_suggestion_followed(store, actor)

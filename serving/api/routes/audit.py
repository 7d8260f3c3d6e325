"""GET /v1/audit: the audit log (inspectors and admins); GET /v1/me: who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from serving.api.deps import ActorDep, StoreDep
from serving.api.errors import AUTHENTICATED, error_responses
from serving.api.schemas import IdentityBody
from serving.services import list_audit_log
from serving.services.inputs import STUDENT_ID_PATTERN
from serving.services.views import AuditEntryView

__all__ = ["router"]

router = APIRouter(tags=["audit"])


@router.get(
    "/v1/audit",
    response_model=list[AuditEntryView],
    responses=error_responses(*AUTHENTICATED, 422),
)
def audit_log(
    store: StoreDep,
    actor: ActorDep,
    student_id: Annotated[str | None, Query(pattern=STUDENT_ID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEntryView]:
    """The latest audit entries, newest first."""
    return list_audit_log(store, actor, student_id=student_id, limit=limit)


@router.get("/v1/me", response_model=IdentityBody, responses=error_responses(*AUTHENTICATED))
def me(actor: ActorDep) -> IdentityBody:
    """The user behind the token: role and establishments."""
    return IdentityBody(
        username=actor.username, role=actor.role, establishments=sorted(actor.establishments)
    )

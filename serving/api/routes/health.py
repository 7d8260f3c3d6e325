"""GET /health: is the store reachable and its schema current? (no token needed)"""

from __future__ import annotations

from functools import cache

from alembic.runtime.migration import MigrationContext
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from serving.api.deps import StoreDep
from serving.api.errors import error_responses
from serving.api.schemas import HealthBody
from serving.db.migrate import head_revision

__all__ = ["router"]

router = APIRouter(tags=["health"])


@cache
def _head() -> str | None:
    """The newest migration shipped with this code (read once from the package)."""
    return head_revision(None)


@router.get(
    "/health",
    response_model=HealthBody,
    responses={
        503: {"model": HealthBody, "description": "The store does not answer."},
        **error_responses(),
    },
)
def health(store: StoreDep) -> HealthBody | JSONResponse:
    try:
        with store.reading() as session:
            revision = MigrationContext.configure(session.connection()).get_current_revision()
    except Exception:  # the store is down: say so, without details
        body = HealthBody(status="unavailable", schema_revision=None, schema_current=False)
        return JSONResponse(body.model_dump(), status_code=503)
    current = revision == _head()
    return HealthBody(
        status="ok" if current else "outdated", schema_revision=revision, schema_current=current
    )

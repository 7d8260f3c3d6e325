"""GET /v1/establishments/{uai}/lists/{week}: one establishment's weekly list."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Response

from features.calendar import monday_on_or_before
from serving.api.deps import (
    AuthGuard,
    AuthGuardDep,
    BearerTokenDep,
    StoreDep,
    authenticate_request,
    run_store_work,
)
from serving.api.errors import AUTHENTICATED, error_responses
from serving.db.engine import Store
from serving.services.inputs import UAI_PATTERN, IsoDate
from serving.services.lists import week_list_json
from serving.services.views import WeekListView

__all__ = ["router"]

router = APIRouter(tags=["lists"])

UaiPath = Annotated[str, Path(pattern=UAI_PATTERN, description="Establishment UAI, e.g. 0350023K.")]
WeekPath = Annotated[
    IsoDate, Path(description="Any day of the week (YYYY-MM-DD); the week starts on Monday.")
]


@router.get(
    "/v1/establishments/{uai}/lists/{week}",
    response_model=WeekListView,
    responses=error_responses(*AUTHENTICATED, 422, (404, "No such list.")),
)
async def week_list(
    uai: UaiPath, week: WeekPath, store: StoreDep, token: BearerTokenDep, guard: AuthGuardDep
) -> Response:
    """The week's list: names for the establishment's own watch unit, pseudonyms otherwise."""
    body = await run_store_work(
        store, _week_list_body, store, token, guard, uai, monday_on_or_before(week)
    )
    # `response_model` documents the body in OpenAPI; the service returns it serialised
    # (cached while the list is unchanged), so FastAPI neither validates nor encodes it.
    return Response(body, media_type="application/json")


def _week_list_body(
    store: Store, token: str | None, guard: AuthGuard, uai: str, week: dt.date
) -> bytes:
    """The whole request's store work, in one call: the token checked (every request), the
    scope checked and the read audited (every request, in the service)."""
    actor = authenticate_request(store, token, guard)
    return week_list_json(store, actor, uai, week)

"""GET /v1/establishments/{uai}/lists/{week}: one establishment's weekly list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from features.calendar import monday_on_or_before
from serving.api.deps import ActorDep, StoreDep, run_store_work
from serving.api.errors import AUTHENTICATED, SUSPENDED, error_responses
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
    responses=error_responses(*AUTHENTICATED, 422, (404, "No such list."), SUSPENDED),
)
async def week_list(uai: UaiPath, week: WeekPath, store: StoreDep, actor: ActorDep) -> Response:
    """The week's list: names for the establishment's own watch unit, pseudonyms otherwise."""
    # The scope checked and the read audited (every request, in the service), in one call.
    body = await run_store_work(store, week_list_json, store, actor, uai, monday_on_or_before(week))
    # `response_model` documents the body in OpenAPI; the service returns it serialised
    # (cached while the list is unchanged), so FastAPI neither validates nor encodes it.
    return Response(body, media_type="application/json")

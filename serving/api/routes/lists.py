"""GET /v1/establishments/{uai}/lists/{week}: one establishment's weekly list."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Response

from features.calendar import monday_on_or_before
from serving.api.deps import ActorDep, StoreDep
from serving.api.errors import ERROR_RESPONSES
from serving.api.schemas import ErrorBody
from serving.services import get_week_list
from serving.services.inputs import UAI_PATTERN
from serving.services.views import WeekListView

__all__ = ["router"]

router = APIRouter(tags=["lists"])

UaiPath = Annotated[str, Path(pattern=UAI_PATTERN, description="Establishment UAI, e.g. 0350023K.")]
WeekPath = Annotated[
    dt.date, Path(description="Any day of the week (YYYY-MM-DD); the week starts on Monday.")
]


@router.get(
    "/v1/establishments/{uai}/lists/{week}",
    response_model=WeekListView,
    responses={**ERROR_RESPONSES, 404: {"model": ErrorBody, "description": "No such list."}},
)
def week_list(uai: UaiPath, week: WeekPath, store: StoreDep, actor: ActorDep) -> Response:
    """The week's list: names for the establishment's own watch unit, pseudonyms otherwise."""
    view = get_week_list(store, actor, uai, monday_on_or_before(week))
    # The view is already a validated `WeekListView`: serialise it once, here, in the worker
    # thread, rather than have FastAPI validate it again and encode it (`response_model`
    # still documents the body in OpenAPI).
    return Response(view.model_dump_json(), media_type="application/json")

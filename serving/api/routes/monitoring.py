"""GET /v1/monitoring: the weekly monitoring stored with a week (`vigie monitor`, run at the
end of `vigie score`): its alerts, and the lists, drift and realised-outcomes payloads.
Aggregates only, never a student; data scientists, admins and inspectors (the policy's
`READ_MONITORING`: a watch unit is refused)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from serving.api.deps import ActorDep, StoreDep, run_store_work
from serving.api.errors import AUTHENTICATED, error_responses
from serving.services.inputs import IsoDate
from serving.services.monitoring import get_week_monitoring

__all__ = ["MonitoringAlertBody", "MonitoringBody", "router"]

router = APIRouter(tags=["monitoring"])


class MonitoringAlertBody(BaseModel):
    """A measure over (or under) its configured threshold."""

    kind: str = Field(description="drift, churn, slot_share or outcomes.")
    measure: str = Field(description="The feature, `score`, `churn`, `slot_share` or a metric.")
    scope: str = Field(description="An establishment's UAI, or `overall`.")
    value: float
    threshold: float


class MonitoringBody(BaseModel):
    """The monitoring of one week (its Monday), as stored."""

    week: dt.date
    alerts: list[MonitoringAlertBody]
    unavailable: dict[str, str] = Field(
        description="The parts that could not be computed (lists, drift, outcomes), and why."
    )
    lists: dict[str, Any] = Field(
        description="Churn and slots spent: `establishments` (UAI -> invited, capacity, new, "
        "churn, slot_share), `overall`, `previous_week`."
    )
    drift: dict[str, Any] = Field(
        description="PSI of every feature and of the score against the champion's training "
        "rows (`features`, `score_psi`, `model_version`), or `unavailable`."
    )
    outcomes: dict[str, Any] = Field(
        description="Realised outcomes of past invitations per establishment and `overall`, "
        "beside the evaluation's `promised` metrics, or `unavailable`."
    )


@router.get(
    "/v1/monitoring",
    response_model=MonitoringBody,
    responses=error_responses(*AUTHENTICATED, 422, (404, "No monitoring for that week.")),
)
async def monitoring(
    store: StoreDep,
    actor: ActorDep,
    week: Annotated[
        IsoDate | None,
        Query(description="Any day of the week (YYYY-MM-DD); default: the latest monitored."),
    ] = None,
) -> MonitoringBody:
    """The week's monitoring: alerts first, then its payloads (aggregates, no student)."""
    view = await run_store_work(store, get_week_monitoring, store, actor, week)
    return MonitoringBody(
        week=view.week,
        alerts=[MonitoringAlertBody(**alert) for alert in view.alerts],
        unavailable=view.unavailable(),
        lists=view.payloads.get("lists", {}),
        drift=view.payloads.get("drift", {}),
        outcomes=view.payloads.get("outcomes", {}),
    )

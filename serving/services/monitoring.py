"""The weekly monitoring as the dashboard and the API read it (`serving.monitoring`): the
payloads kept with a week, for the data scientists, the admins and the inspectors (never a
watch unit: `serving.services.policy`). Aggregates and alerts only; every read and refusal
is audited."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from features.calendar import monday_on_or_before
from serving.db.engine import Store
from serving.db.models import WeekMonitoring
from serving.monitoring.store import MonitoredWeek, read_monitoring
from serving.services.actor import Actor
from serving.services.audit import record_read
from serving.services.errors import NotFound
from serving.services.guard import guarded
from serving.services.policy import Action, performs

__all__ = ["get_week_monitoring", "monitored_weeks"]


@performs(Action.READ_MONITORING)
def get_week_monitoring(store: Store, actor: Actor, week: dt.date | None = None) -> MonitoredWeek:
    """The monitoring stored with `week` (None: the latest monitored week); NotFound when
    the week was never monitored. Data scientists, admins and inspectors."""
    with guarded(store, actor, Action.READ_MONITORING, read_only=True) as session:
        monday = (
            session.scalar(select(func.max(WeekMonitoring.week)))
            if week is None
            else monday_on_or_before(week)
        )
        payloads = {} if monday is None else read_monitoring(session, monday)
    if monday is None or not payloads:
        when = "any week" if monday is None else f"the week of {monday.isoformat()}"
        raise NotFound(f"no monitoring was computed for {when}")
    view = MonitoredWeek(monday, payloads)
    record_read(store, actor, "read_monitoring",
                detail=f"week of {monday.isoformat()}: {len(view.alerts)} alerts")  # fmt: skip
    return view


@performs(Action.READ_MONITORING)
def monitored_weeks(store: Store, actor: Actor) -> list[dt.date]:
    """The Mondays of the weeks with a stored monitoring, newest first."""
    with guarded(store, actor, Action.READ_MONITORING, read_only=True) as session:
        query = select(WeekMonitoring.week).distinct().order_by(WeekMonitoring.week.desc())
        weeks = list(session.scalars(query))
    record_read(store, actor, "read_monitoring", detail=f"{len(weeks)} monitored weeks")
    return weeks

"""Reading one establishment's weekly list."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from serving.db.engine import Store
from serving.db.models import Establishment, ListEntry, Student, WeeklyList
from serving.services.actor import Actor, may_read_students, sees_names
from serving.services.audit import Refused, record_read, refusing
from serving.services.errors import NotFound
from serving.services.views import ListEntryView, WeekListView

__all__ = ["get_week_list"]


def get_week_list(store: Store, actor: Actor, uai: str, week: dt.date) -> WeekListView:
    """The list of `uai` for the week starting on Monday `week`: names for the
    establishment's own watch unit, pseudonyms for inspectors and data scientists.

    The hottest read of the API (every watch unit, every Monday): plain column selects,
    no ORM objects."""
    with refusing(store, actor, read_only=True) as session:
        if not may_read_students(actor, uai):
            raise Refused("read_list", "this establishment's lists are not in your scope", uai=uai)
        header = session.execute(
            select(
                WeeklyList.id,
                Establishment.name,
                WeeklyList.week,
                WeeklyList.as_of,
                WeeklyList.model_version,
                WeeklyList.weekly_interview_capacity,
                WeeklyList.watch_threshold,
                WeeklyList.written_at,
            )
            .join(Establishment, Establishment.uai == WeeklyList.uai)
            .where(WeeklyList.uai == uai, WeeklyList.week == week)
        ).one_or_none()
        if header is None:
            raise NotFound(f"no list for establishment {uai} and week {week.isoformat()}")
        names = sees_names(actor, uai)
        name_columns = (Student.last_name, Student.first_name) if names else ()
        query = select(*_ENTRY_COLUMNS, *name_columns).where(ListEntry.list_id == header.id)
        if names:
            query = query.join(Student, Student.student_id == ListEntry.student_id)
        rows = session.execute(query.order_by(ListEntry.rank)).mappings().all()
    view = WeekListView(
        uai=uai,
        establishment_name=header.name,
        week=header.week,
        as_of=header.as_of,
        model_version=header.model_version,
        weekly_interview_capacity=header.weekly_interview_capacity,
        watch_threshold=header.watch_threshold,
        written_at=header.written_at,
        entries=[ListEntryView.model_validate(dict(row)) for row in rows],
    )
    record_read(
        store,
        actor,
        "read_list",
        uai=uai,
        model_version=view.model_version,
        detail=f"week {view.week.isoformat()}, {len(view.entries)} students",
    )
    return view


_ENTRY_COLUMNS = (
    ListEntry.rank,
    ListEntry.tier,
    ListEntry.student_id,
    ListEntry.risk,
    ListEntry.risk_change,
    ListEntry.new_this_week,
    ListEntry.interview_under_way,
    ListEntry.dismissed_recently,
    ListEntry.reasons,
    ListEntry.features_shown,
)

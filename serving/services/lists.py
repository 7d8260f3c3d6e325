"""Reading one establishment's weekly list.

Two forms of the same read, with the same access check and the same audit entry: the view
(`get_week_list`, for the dashboard) and its JSON body (`week_list_json`, for the API). The
JSON body is cached in `Store.list_payloads` under (establishment, week, names shown or
not, day of the request) and served only while the establishment's list revision is the one
it was read at: every write that changes what the list shows bumps that revision in its own
transaction (`serving.db.revisions`; the weekly run, which writes enrollments, bumps them
all), so a cached list is never stale, and a payload with names is never served to a reader
who may not see them.

Names show only to the watch unit of the list's establishment, and only for the entries
whose student is enrolled in that establishment on the day of the request
(`serving.db.enrollments`): a student who moved away shows as a pseudonym on the old school's
past lists. That day is part of the cache key, since an enrollment can start overnight.

Each entry is in one part of the week's queue (`tier`: invite, watch, follow_up); a student in
follow-up has the decision the weekly run found (`follow_up`). The marks of an entry are
live: `interview_under_way` says whether the student has an interview under way now,
`dismissed_recently` whether the weekly run saw a recent dismissal or one was recorded since
the list was written. A decision recorded after the list was written moves nobody between
parts: the slot is given again by the next weekly run (a person decides meanwhile).

While the stop switch covers the establishment (`serving.services.suspensions`), both refuse
with `Suspended` after the scope check: the list is stored but not served.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Date, and_, bindparam, case, exists, select

from serving.db import enrollments
from serving.db.engine import Store
from serving.db.models import (
    Dismissal,
    Establishment,
    Interview,
    ListEntry,
    Student,
    WeeklyList,
    WeeklyRun,
)
from serving.db.payload_cache import CachedPayload
from serving.db.suspensions import revision_and_suspension
from serving.db.vocabulary import OPEN_INTERVIEW_STATUSES
from serving.services.actor import Actor
from serving.services.audit import record_read
from serving.services.errors import NotFound
from serving.services.guard import check
from serving.services.policy import Action, performs, sees_names
from serving.services.suspensions import refuse, refuse_if_suspended
from serving.services.views import ListEntryView, WeekListView

__all__ = ["get_week_list", "week_list_json"]


@performs(Action.READ_LIST)
def get_week_list(store: Store, actor: Actor, uai: str, week: dt.date) -> WeekListView:
    """The list of `uai` for the week starting on Monday `week`: names for the
    establishment's own watch unit, pseudonyms for inspectors and data scientists."""
    names = _check_scope(store, actor, uai)
    today = enrollments.request_date()
    with store.read_connection() as connection:
        refuse_if_suspended(connection, uai)
        view = _read_view(connection, uai, week, names, today)
    _audit(store, actor, uai, view.week, view.model_version, len(view.entries))
    return view


@performs(Action.READ_LIST)
def week_list_json(store: Store, actor: Actor, uai: str, week: dt.date) -> bytes:
    """`get_week_list` as the API's JSON body, from the cache while the establishment's
    list revision is unchanged. The scope is checked and the read audited every time (the
    read transaction is closed first: it does not stay open while the audit entry waits
    for its commit)."""
    names = _check_scope(store, actor, uai)
    today = enrollments.request_date()
    key = (uai, week, names, today)
    with store.read_connection() as reading:
        # The revision first, then the rows: the rows are then at least as new as the
        # revision they are cached under, and any later write makes the entry unusable. The
        # stop switch in the same query, before the cache: a suspension is never cached.
        revision, suspension = revision_and_suspension(reading, uai)
        refuse(suspension)
        if revision is None:
            raise NotFound(f"no list for establishment {uai} and week {week.isoformat()}")
        payload = store.list_payloads.get(key, revision)
        if payload is None:
            view = _read_view(reading, uai, week, names, today)
            payload = CachedPayload(
                revision=revision,
                body=view.model_dump_json().encode(),
                model_version=view.model_version,
                entries=len(view.entries),
            )
            store.list_payloads.put(key, payload)
    _audit(store, actor, uai, week, payload.model_version, payload.entries)
    return payload.body


def _check_scope(store: Store, actor: Actor, uai: str) -> bool:
    """Refuse (audited) an establishment out of the actor's scope; whether names show."""
    check(store, actor, Action.READ_LIST, uai=uai)
    return sees_names(actor, uai)


def _audit(
    store: Store, actor: Actor, uai: str, week: dt.date, model_version: str, entries: int
) -> None:
    """The read's audit entry, committed before the list leaves the service layer."""
    record_read(
        store,
        actor,
        "read_list",
        uai=uai,
        model_version=model_version,
        detail=f"week {week.isoformat()}, {entries} students",
    )


def _read_view(
    connection: Connection, uai: str, week: dt.date, names: bool, today: dt.date
) -> WeekListView:
    header = connection.execute(_HEADER, {"uai": uai, "week": week}).one_or_none()
    if header is None:
        raise NotFound(f"no list for establishment {uai} and week {week.isoformat()}")
    parameters = {"list_id": header.id, "written_at": header.written_at}
    if names:
        query = _ENTRIES_WITH_NAMES
        parameters |= {"uai": uai, "today": today}
    else:
        query = _ENTRIES
    rows = connection.execute(query, parameters)
    return WeekListView(
        uai=uai,
        establishment_name=header.name,
        week=header.week,
        as_of=header.as_of,
        model_version=header.model_version,
        weekly_interview_capacity=header.weekly_interview_capacity,
        watch_threshold=header.watch_threshold,
        follow_up_rule=None  # type: ignore[arg-type]  # pydantic validates the dict
        if header.held_weeks is None
        else {
            "held_weeks": header.held_weeks,
            "dismissal_weeks": header.dismissal_weeks,
            "risk_margin": header.risk_margin,
        },
        written_at=header.written_at,
        entries=[ListEntryView.model_validate(_entry(row)) for row in rows.mappings()],
    )


def _entry(row: Any) -> dict[str, Any]:
    entry = dict(row)
    entry["dismissed_recently"] = bool(entry["dismissed_recently"] or entry.pop("dismissed_since"))
    decision = {name: entry.pop(f"decision_{name}") for name in _DECISION_FIELDS}
    if decision["kind"] is not None:
        entry["follow_up"] = {
            "kind": decision["kind"],
            "week": decision["week"],
            "date": decision["date"],
            "solution": decision["solution"],
            "risk_then": decision["risk"],
            "risk_now": entry["risk"],
        }
    return entry


_DECISION_FIELDS = ("kind", "week", "date", "solution", "risk")


_HEADER = (
    select(
        WeeklyList.id,
        Establishment.name,
        WeeklyList.week,
        WeeklyList.as_of,
        WeeklyList.model_version,
        WeeklyList.weekly_interview_capacity,
        WeeklyList.watch_threshold,
        WeeklyList.written_at,
        WeeklyRun.held_weeks,
        WeeklyRun.dismissal_weeks,
        WeeklyRun.risk_margin,
    )
    .join(Establishment, Establishment.uai == WeeklyList.uai)
    .join(WeeklyRun, WeeklyRun.week == WeeklyList.week)
    .where(WeeklyList.uai == bindparam("uai"), WeeklyList.week == bindparam("week"))
)

_UNDER_WAY_NOW = exists().where(
    and_(
        Interview.student_id == ListEntry.student_id,
        Interview.status.in_(OPEN_INTERVIEW_STATUSES),
    )
)
_DISMISSED_SINCE_WRITTEN = exists().where(
    and_(
        Dismissal.student_id == ListEntry.student_id,
        Dismissal.created_at >= bindparam("written_at", type_=Dismissal.created_at.type),
    )
)
_ENTRY_COLUMNS = (
    ListEntry.rank,
    ListEntry.tier,
    ListEntry.student_id,
    ListEntry.risk,
    ListEntry.risk_change,
    ListEntry.new_this_week,
    _UNDER_WAY_NOW.label("interview_under_way"),
    ListEntry.dismissed_recently,
    _DISMISSED_SINCE_WRITTEN.label("dismissed_since"),
    ListEntry.reasons,
    ListEntry.features_shown,
    ListEntry.decision_kind,
    ListEntry.decision_week,
    ListEntry.decision_date,
    ListEntry.decision_solution,
    ListEntry.decision_risk,
)
_ENTRIES = (
    select(*_ENTRY_COLUMNS)
    .where(ListEntry.list_id == bindparam("list_id"))
    .order_by(ListEntry.rank)
)
# Names only for the students enrolled in the list's establishment on the request's day.
_ENROLLED_HERE = enrollments.establishment_on(
    ListEntry.student_id, bindparam("today", type_=Date())
) == bindparam("uai")
_ENTRIES_WITH_NAMES = (
    select(
        *_ENTRY_COLUMNS,
        case((_ENROLLED_HERE, Student.last_name)).label("last_name"),
        case((_ENROLLED_HERE, Student.first_name)).label("first_name"),
    )
    .join(Student, Student.student_id == ListEntry.student_id)
    .where(ListEntry.list_id == bindparam("list_id"))
    .order_by(ListEntry.rank)
)

"""Writing one week's lists, for all establishments, in one transaction.

`replace_week_lists` is what `vigie score` calls once the week's students are scored and
explained. All or nothing: any failure (a bad value, a store error, an interruption) rolls
the whole week back and leaves every list exactly as it was. Idempotent: writing the same
week again with the same model version and the same content changes nothing (a fingerprint
of the content is kept with the run); a different model or new content replaces the week.

Each entry records its rank and tier, the calibrated risk, its change since the previous
week's list, whether the student is new on the list, the three reasons, the feature values
shown, and two marks a person needs to read the list well: an interview already under way,
a dismissal in the last weeks. Those students are marked, never silently dropped.

Each roster student's enrollment is stored as a dated fact (`Enrollment`): writing an older
week adds older facts and never overrides a newer one nor un-ends an ended one, so the order
weeks are written in changes nobody's establishment (`serving.db.enrollments`).

A week that changed bumps every establishment's list revision in the same transaction, so
no list cached by the API (`serving.services.lists`) outlives it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Table, and_, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from features.calendar import monday_on_or_before
from serving.db.engine import Store
from serving.db.models import (
    Dismissal,
    Enrollment,
    Establishment,
    Interview,
    ListEntry,
    Student,
    WeeklyList,
    WeeklyRun,
)
from serving.db.revisions import bump_all_list_revisions
from serving.db.vocabulary import OPEN_INTERVIEW_STATUSES
from serving.services.actor import Actor
from serving.services.audit import record
from serving.weekly.ranking import EstablishmentWeek, RosterStudent, ScoredStudent, rank_students

__all__ = ["WeekWriteResult", "enrollment_facts", "replace_week_lists", "week_fingerprint"]

_CHUNK = 10_000  # rows per executemany batch


@dataclass(frozen=True)
class WeekWriteResult:
    week: dt.date
    model_version: str
    changed: bool  # False when the same week, model and content were already written
    establishments: int
    entries: int
    fingerprint: str


def replace_week_lists(
    store: Store,
    *,
    as_of: dt.date,
    model_version: str,
    establishments: Sequence[EstablishmentWeek],
    watch_threshold: float | None,
    dismissal_weeks: int = 8,
    by: str = "system",
) -> WeekWriteResult:
    """Replace the lists of the week of `as_of` (its Monday) for all establishments; `by`
    (the command and OS user that ran it) goes into the audit entry's detail, the user
    recorded being `system`."""
    if watch_threshold is not None and not 0.0 <= watch_threshold <= 1.0:
        raise ValueError(f"watch threshold {watch_threshold} is not a probability")
    uais = [establishment.uai for establishment in establishments]
    if len(set(uais)) != len(uais):
        raise ValueError("an establishment appears twice in the week's input")
    week = monday_on_or_before(as_of)
    ranked = {e.uai: _ranked(e, watch_threshold) for e in establishments}
    fingerprint = week_fingerprint(as_of, model_version, watch_threshold, establishments)
    entry_count = sum(len(entries) for entries in ranked.values())
    result = WeekWriteResult(
        week, model_version, True, len(establishments), entry_count, fingerprint
    )

    with store.transaction() as session:
        existing = session.get(WeeklyRun, week)
        if (
            existing is not None
            and existing.model_version == model_version
            and existing.fingerprint == fingerprint
        ):
            return WeekWriteResult(**{**asdict(result), "changed": False})
        # An older week than one already written adds what is missing and rewrites nothing
        # newer: names and establishment details are the newest week's.
        newest = _is_newest(session, week)
        _upsert_establishments(session, establishments, rewrite=newest)
        _upsert_students(session, establishments, rewrite=newest)
        _upsert_enrollments(session, establishments, week)
        previous = _previous_risks(session, week)
        under_way = _students_with_open_interview(session)
        dismissed = _recently_dismissed(session, week, dismissal_weeks)
        _delete_week(session, week)
        session.add(
            WeeklyRun(
                week=week,
                as_of=as_of,
                model_version=model_version,
                fingerprint=fingerprint,
                watch_threshold=watch_threshold,
                establishments=len(establishments),
                entries=entry_count,
            )
        )
        session.flush()
        for establishment in establishments:
            _write_establishment(
                session,
                establishment,
                ranked[establishment.uai],
                week=week,
                as_of=as_of,
                model_version=model_version,
                watch_threshold=watch_threshold,
                previous=previous,
                under_way=under_way,
                dismissed=dismissed,
            )
        # Names, enrollments and this week's lists changed: no cached list stays valid.
        bump_all_list_revisions(session)
        record(
            session,
            Actor.system(),
            "write_week_lists",
            "allowed",
            model_version=model_version,
            detail=f"by {by}; week {week.isoformat()}: {len(establishments)} establishments, "
            f"{entry_count} entries",
        )
    return result


def week_fingerprint(
    as_of: dt.date,
    model_version: str,
    watch_threshold: float | None,
    establishments: Sequence[EstablishmentWeek],
) -> str:
    """SHA-256 of the week's whole input, in a canonical order."""
    content = {
        "as_of": as_of.isoformat(),
        "model_version": model_version,
        "watch_threshold": watch_threshold,
        "establishments": [
            {
                "uai": e.uai,
                "name": e.name,
                "capacity": e.weekly_interview_capacity,
                "scored": sorted(
                    (_scored_payload(s) for s in e.scored), key=lambda p: p["student_id"]
                ),
                "roster": sorted(
                    [s.student_id, s.last_name, s.first_name, *_dates(s)] for s in e.roster
                ),
            }
            for e in sorted(establishments, key=lambda e: e.uai)
        ],
    }
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _dates(student: RosterStudent) -> list[str | None]:
    return [
        None if day is None else day.isoformat()
        for day in (student.enrolled_since, student.enrolled_until)
    ]


def _ranked(
    establishment: EstablishmentWeek, watch_threshold: float | None
) -> list[tuple[ScoredStudent, int, str]]:
    by_id = {student.student_id: student for student in establishment.scored}
    ranking = rank_students(
        ((s.student_id, s.risk) for s in establishment.scored),
        establishment.weekly_interview_capacity,
        watch_threshold,
    )
    return [(by_id[student_id], rank, tier) for student_id, rank, tier in ranking]


def _scored_payload(student: ScoredStudent) -> dict[str, Any]:
    return {
        "student_id": student.student_id,
        "risk": float(student.risk),
        "reasons": [_plain(asdict(reason)) for reason in student.reasons],
        "features_shown": _plain(dict(student.features_shown)),
    }


def _plain(value: Any) -> Any:
    """JSON-safe copy: numpy scalars to Python, NaN to None, dates to ISO strings."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _upsert(
    session: Session,
    table: Table,
    rows: list[dict[str, Any]],
    update: list[str],
    *,
    keep_known: bool = False,
) -> None:
    """INSERT ... ON CONFLICT (primary key) DO UPDATE, on SQLite or PostgreSQL: one statement
    executed for many rows, rewriting a row only when a value changed. No `update` columns:
    rows already there are left alone. `keep_known`: a NULL never replaces a known value."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        raise RuntimeError(f"the store supports SQLite and PostgreSQL, not {dialect}")
    keys = [column.name for column in table.primary_key.columns]
    statement = dialect_insert(table)
    new = statement.excluded
    if not update:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    elif keep_known:
        statement = statement.on_conflict_do_update(
            index_elements=keys,
            set_={name: func.coalesce(new[name], table.c[name]) for name in update},
            where=or_(
                *(
                    and_(new[name].is_not(None), table.c[name].is_distinct_from(new[name]))
                    for name in update
                )
            ),
        )
    else:
        statement = statement.on_conflict_do_update(
            index_elements=keys,
            set_={name: new[name] for name in update},
            where=or_(*(table.c[name].is_distinct_from(new[name]) for name in update)),
        )
    for start in range(0, len(rows), _CHUNK):
        session.execute(statement, rows[start : start + _CHUNK])


def _is_newest(session: Session, week: dt.date) -> bool:
    """No week after `week` is written yet."""
    newer = session.scalar(select(WeeklyRun.week).where(WeeklyRun.week > week).limit(1))
    return newer is None


def _upsert_establishments(
    session: Session, establishments: Sequence[EstablishmentWeek], *, rewrite: bool
) -> None:
    rows = [
        {"uai": e.uai, "name": e.name, "weekly_interview_capacity": e.weekly_interview_capacity}
        for e in establishments
    ]
    update = ["name", "weekly_interview_capacity"] if rewrite else []
    _upsert(session, Establishment.__table__, rows, update)


def _upsert_students(
    session: Session, establishments: Sequence[EstablishmentWeek], *, rewrite: bool
) -> None:
    """Roster students get their names (`rewrite`: names already stored too); a scored
    student missing from the roster is added without names (names already known are kept).
    Establishments are enrollments."""
    named, unnamed = [], []
    for e in establishments:
        on_roster = {student.student_id for student in e.roster}
        named += [
            {"student_id": s.student_id, "last_name": s.last_name, "first_name": s.first_name}
            for s in e.roster
        ]
        unnamed += [{"student_id": s.student_id} for s in e.scored if s.student_id not in on_roster]
    table = Student.__table__
    _upsert(session, table, named, ["last_name", "first_name"] if rewrite else [])
    _upsert(session, table, unnamed, [])


def enrollment_facts(
    establishments: Sequence[EstablishmentWeek], week: dt.date
) -> list[dict[str, Any]]:
    """The enrollment facts a week's input states, one per (student, establishment, start):
    each roster student's enrollment in force on the as-of date (its Monday `week` standing
    for an unknown start), and each scored student missing from the roster from `week`."""
    facts: dict[tuple[str, str, dt.date], dt.date | None] = {}
    for e in establishments:
        for s in e.roster:
            key = (s.student_id, e.uai, s.enrolled_since or week)
            facts[key] = s.enrolled_until or facts.get(key)
        on_roster = {student.student_id for student in e.roster}
        for scored in e.scored:
            if scored.student_id not in on_roster:
                facts.setdefault((scored.student_id, e.uai, week), None)
    return [
        {"student_id": student_id, "uai": uai, "start_date": start, "end_date": end}
        for (student_id, uai, start), end in facts.items()
    ]


def _upsert_enrollments(
    session: Session, establishments: Sequence[EstablishmentWeek], week: dt.date
) -> None:
    """Add the week's enrollment facts; an end already known is never cleared (an older
    week, written after a newer one, un-ends nothing)."""
    rows = enrollment_facts(establishments, week)
    _upsert(session, Enrollment.__table__, rows, ["end_date"], keep_known=True)


def _previous_risks(session: Session, week: dt.date) -> dict[str, float]:
    """Risk of each student on the previous written week's lists."""
    previous_week = session.scalar(select(func.max(WeeklyRun.week)).where(WeeklyRun.week < week))
    if previous_week is None:
        return {}
    rows = session.execute(
        select(ListEntry.student_id, ListEntry.risk)
        .join(WeeklyList, ListEntry.list_id == WeeklyList.id)
        .where(WeeklyList.week == previous_week)
    )
    return dict(rows.tuples().all())


def _students_with_open_interview(session: Session) -> set[str]:
    query = select(Interview.student_id).where(Interview.status.in_(OPEN_INTERVIEW_STATUSES))
    return set(session.scalars(query))


def _recently_dismissed(session: Session, week: dt.date, dismissal_weeks: int) -> set[str]:
    since = week - dt.timedelta(weeks=dismissal_weeks)
    query = select(Dismissal.student_id).where(Dismissal.week >= since, Dismissal.week <= week)
    return set(session.scalars(query))


def _delete_week(session: Session, week: dt.date) -> None:
    lists = select(WeeklyList.id).where(WeeklyList.week == week)
    session.execute(delete(ListEntry).where(ListEntry.list_id.in_(lists)))
    session.execute(delete(WeeklyList).where(WeeklyList.week == week))
    session.execute(delete(WeeklyRun).where(WeeklyRun.week == week))


def _write_establishment(
    session: Session,
    establishment: EstablishmentWeek,
    ranked: Iterable[tuple[ScoredStudent, int, str]],
    *,
    week: dt.date,
    as_of: dt.date,
    model_version: str,
    watch_threshold: float | None,
    previous: Mapping[str, float],
    under_way: set[str],
    dismissed: set[str],
) -> None:
    weekly_list = WeeklyList(
        uai=establishment.uai,
        week=week,
        as_of=as_of,
        model_version=model_version,
        weekly_interview_capacity=establishment.weekly_interview_capacity,
        watch_threshold=watch_threshold,
    )
    session.add(weekly_list)
    session.flush()
    rows = []
    for student, rank, tier in ranked:
        payload = _scored_payload(student)
        last = previous.get(student.student_id)
        rows.append(
            {
                "list_id": weekly_list.id,
                "student_id": student.student_id,
                "rank": rank,
                "tier": tier,
                "risk": payload["risk"],
                "risk_change": None if last is None else payload["risk"] - last,
                "new_this_week": last is None,
                "interview_under_way": student.student_id in under_way,
                "dismissed_recently": student.student_id in dismissed,
                "reasons": payload["reasons"],
                "features_shown": payload["features_shown"],
            }
        )
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(ListEntry), rows[start : start + _CHUNK])

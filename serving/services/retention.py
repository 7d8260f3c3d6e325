"""The retention rule (`vigie purge`): personal data older than a period are removed from the
store and from Vigie's own week artifacts; anonymous counts are kept; what was removed is
written to the audit log as counts, never a student.

What goes, for a cutoff date (today minus the period):

- each week whose Monday is before the cutoff: its lists and their entries (ids, risks,
  reasons, features shown), its feature snapshot and contributions under `<home>/weeks/`; the
  week's run row stays, marked purged (the lineage then refuses the week, saying so), with
  its counts per establishment (`WeekCount`: to invite, to watch, in follow-up);
- interviews last changed before the cutoff, dismissals recorded before it, enrollments
  ended before it, the MLDS's contacts with leavers last changed before it;
- a student left with no list entry, interview, dismissal nor enrollment: the row (and the
  names). A student still enrolled (no end recorded) is kept;
- Vigie's own dated feature files (`<prefix>-YYYY-MM-DD.parquet` in the feature folder,
  `VIGIE_FEATURES_DIR`, which `vigie demo` writes) of an as-of date before the cutoff.

Interrupted midway, a purge leaves no half-removed week nor student: one transaction per
week (its files deleted only once it committed), then one per batch of whole students; each
transaction writes its own audit entry. Running it again finishes the work.

The audit log is not touched here: it has its own rule (`serving.services.audit_retention`,
run by the same command), which keeps it at least six months and its hash chain verifiable.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, union
from sqlalchemy.orm import InstrumentedAttribute, Session

from serving.db.engine import Store
from serving.db.models import (
    Dismissal,
    Enrollment,
    Interview,
    LeaverContact,
    ListEntry,
    RosterState,
    Student,
    WeekCount,
    WeeklyList,
    WeeklyRun,
)
from serving.db.revisions import bump_all_list_revisions
from serving.db.types import utc_now
from serving.lineage import lineage_of, remove_superseded
from serving.services.actor import Actor
from serving.services.audit import record
from serving.services.errors import InvalidRequest
from serving.services.guard import guarded
from serving.services.policy import Action, performs

__all__ = [
    "MIN_PERIOD_DAYS",
    "PurgeCounts",
    "PurgeReport",
    "cutoff_for",
    "old_feature_files",
    "purge",
]

MIN_PERIOD_DAYS = 183  # six months: the weekly run and the monitoring read the recent weeks
STUDENT_BATCH = 200  # students removed per transaction (each one whole)
_DURATION = re.compile(r"^\s*(\d{1,4})\s*([ymwd])\s*$")
_DATED_FILE = re.compile(r"^.+-(\d{4}-\d{2}-\d{2})\.parquet$")


def cutoff_for(period: str, today: dt.date) -> dt.date:
    """The first day kept for a period such as `2y`, `18m`, `60w`, `400d` counted back from
    `today`; a period shorter than six months is refused."""
    match = _DURATION.match(period.lower())
    if match is None:
        raise InvalidRequest(
            f"--older-than: {period!r} is not a period (a number and y, m, w or d: 2y, 18m, 400d)"
        )
    count, unit = int(match[1]), match[2]
    if unit in "ym":
        months = today.year * 12 + today.month - 1 - count * (12 if unit == "y" else 1)
        year, month = divmod(months, 12)
        month += 1
        if year < 1:
            cutoff = dt.date.min
        else:
            cutoff = dt.date(year, month, min(today.day, calendar.monthrange(year, month)[1]))
    else:
        days = count * (7 if unit == "w" else 1)
        cutoff = today - dt.timedelta(days=days)
    if (today - cutoff).days < MIN_PERIOD_DAYS:
        raise InvalidRequest(
            f"--older-than: {period} is shorter than six months; personal data are kept at "
            "least that long (the weekly run and the monitoring read the recent weeks)"
        )
    return cutoff


@dataclass
class PurgeCounts:
    """What a purge removes (or would remove), by kind."""

    weeks: int = 0
    lists: int = 0
    list_entries: int = 0
    week_folders: int = 0
    interviews: int = 0
    dismissals: int = 0
    enrollments: int = 0
    contacts: int = 0
    students: int = 0
    feature_files: int = 0

    def add(self, other: PurgeCounts) -> None:
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def as_dict(self) -> dict[str, int]:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    def summary(self) -> str:
        return ", ".join(
            f"{count} {kind.replace('_', ' ')}" for kind, count in self.as_dict().items()
        )


@dataclass
class PurgeReport:
    cutoff: dt.date
    applied: bool
    counts: PurgeCounts = field(default_factory=PurgeCounts)


@performs(Action.PURGE)
def purge(
    store: Store,
    actor: Actor,
    cutoff: dt.date,
    *,
    apply: bool = False,
    batch: int = STUDENT_BATCH,
    after_step: Callable[[], None] | None = None,
    feature_folder: Path | None = None,
) -> PurgeReport:
    """Remove (`apply`), or count, the personal data older than `cutoff`, and the dated
    feature files of `feature_folder` before it. `after_step` is called after each committed
    transaction (progress; a test interrupts the purge there)."""
    report = PurgeReport(cutoff, apply)
    files = old_feature_files(feature_folder, cutoff) if feature_folder is not None else []
    with guarded(store, actor, Action.PURGE, read_only=True) as session:
        weeks = _old_weeks(session, cutoff)
        if not apply:
            for week in weeks:
                report.counts.add(_week_counts(session, week))
            report.counts.add(_student_counts(session, _students_to_purge(session, cutoff), cutoff))
            report.counts.feature_files = len(files)
            return report
    for week in weeks:
        report.counts.add(_purge_week(store, actor, week))
        if after_step is not None:
            after_step()
    with store.reading() as session:
        students = _students_to_purge(session, cutoff)
    for start in range(0, len(students), batch):
        report.counts.add(_purge_students(store, actor, students[start : start + batch], cutoff))
        if after_step is not None:
            after_step()
    if files:
        report.counts.feature_files = _remove_feature_files(store, actor, files)
    return report


def old_feature_files(folder: Path, cutoff: dt.date) -> list[Path]:
    """The dated feature files of `folder` (`<prefix>-YYYY-MM-DD.parquet`, one as-of date
    each) whose date is before `cutoff`, by name; other files are never touched."""
    if not folder.is_dir():
        return []
    old = []
    for path in sorted(folder.iterdir()):
        match = _DATED_FILE.match(path.name)
        if match is None or not path.is_file():
            continue
        try:
            day = dt.date.fromisoformat(match[1])
        except ValueError:
            continue
        if day < cutoff:
            old.append(path)
    return old


def _remove_feature_files(store: Store, actor: Actor, files: Sequence[Path]) -> int:
    """Each file removed (one already gone counts as removed), then one audit entry with
    the count. A file is whole on disk or gone, so an interruption leaves no half file and
    running the purge again finishes the work."""
    for path in files:
        path.unlink(missing_ok=True)
    with store.transaction() as session:
        record(session, actor, "purge", "allowed", detail=f"{len(files)} feature files")
    return len(files)


def _old_weeks(session: Session, cutoff: dt.date) -> list[dt.date]:
    query = select(WeeklyRun.week).where(WeeklyRun.week < cutoff, WeeklyRun.purged_at.is_(None))
    return list(session.scalars(query.order_by(WeeklyRun.week)))


def _week_counts(session: Session, week: dt.date) -> PurgeCounts:
    lists = select(WeeklyList.id).where(WeeklyList.week == week)
    run = session.get(WeeklyRun, week)
    return PurgeCounts(
        weeks=1,
        lists=session.scalar(select(func.count()).select_from(lists.subquery())) or 0,
        list_entries=session.scalar(
            select(func.count()).select_from(ListEntry).where(ListEntry.list_id.in_(lists))
        )
        or 0,
        week_folders=int(run is not None and lineage_of(run) is not None),
    )


def _purge_week(store: Store, actor: Actor, week: dt.date) -> PurgeCounts:
    """One week in one transaction: its counts kept, its lists removed, the run marked;
    then, once committed, its artifacts' folder removed."""
    with store.transaction() as session:
        counts = _week_counts(session, week)
        tiers = session.execute(
            select(WeeklyList.uai, ListEntry.tier, func.count())
            .join(ListEntry, ListEntry.list_id == WeeklyList.id)
            .where(WeeklyList.week == week)
            .group_by(WeeklyList.uai, ListEntry.tier)
        ).all()
        by_uai: dict[str, dict[str, int]] = {}
        for uai in session.scalars(select(WeeklyList.uai).where(WeeklyList.week == week)):
            by_uai[uai] = {}
        for uai, tier, count in tiers:
            by_uai[uai][tier] = count
        session.add_all(
            WeekCount(
                week=week,
                uai=uai,
                invited=parts.get("invite", 0),
                watched=parts.get("watch", 0),
                followed=parts.get("follow_up", 0),
            )
            for uai, parts in by_uai.items()
        )
        lists = select(WeeklyList.id).where(WeeklyList.week == week)
        session.execute(delete(ListEntry).where(ListEntry.list_id.in_(lists)))
        session.execute(delete(WeeklyList).where(WeeklyList.week == week))
        run = session.get(WeeklyRun, week)
        assert run is not None
        lineage = lineage_of(run)
        run.purged_at = utc_now()
        bump_all_list_revisions(session)  # no cached copy of the week is served again
        record(
            session,
            actor,
            "purge",
            "allowed",
            detail=f"week {week.isoformat()}: {counts.summary()}",
        )
    remove_superseded(lineage, None)  # after the commit: files never go before the rows
    return counts


def _students_to_purge(session: Session, cutoff: dt.date) -> list[str]:
    """Students with something past the cutoff, or left with nothing: by id."""
    since = _moment(cutoff)
    old = union(
        select(Interview.student_id).where(Interview.updated_at < since),
        select(Dismissal.student_id).where(Dismissal.created_at < since),
        select(Enrollment.student_id).where(_ended(cutoff)),
        select(LeaverContact.student_id).where(LeaverContact.updated_at < since),
        select(Student.student_id).where(~_REFERENCED),
    )
    return sorted(session.scalars(old))


def _moment(cutoff: dt.date) -> dt.datetime:
    return dt.datetime.combine(cutoff, dt.time(), tzinfo=dt.UTC)


def _ended(cutoff: dt.date) -> ColumnElement[bool]:
    return and_(Enrollment.end_date.is_not(None), Enrollment.end_date < cutoff)


_REFERENCED = or_(
    exists().where(ListEntry.student_id == Student.student_id),
    exists().where(Interview.student_id == Student.student_id),
    exists().where(Dismissal.student_id == Student.student_id),
    exists().where(Enrollment.student_id == Student.student_id),
)


def _student_counts(session: Session, students: Sequence[str], cutoff: dt.date) -> PurgeCounts:
    """What removing the old records of `students` removes (in a dry run: the student rows
    counted are those left with nothing once the old weeks and records are gone)."""
    since = _moment(cutoff)
    ids = list(students)
    if not ids:
        return PurgeCounts()

    def count(student_id: InstrumentedAttribute[str], *where: ColumnElement[bool]) -> int:
        query = select(func.count(student_id)).where(student_id.in_(ids), *where)
        return session.scalar(query) or 0

    recent_entries = (
        select(ListEntry.student_id)
        .join(WeeklyList, WeeklyList.id == ListEntry.list_id)
        .where(WeeklyList.week >= cutoff)
    )
    left = (
        select(func.count())
        .select_from(Student)
        .where(
            Student.student_id.in_(ids),
            Student.student_id.not_in(recent_entries),
            ~exists().where(
                Interview.student_id == Student.student_id, Interview.updated_at >= since
            ),
            ~exists().where(
                Dismissal.student_id == Student.student_id, Dismissal.created_at >= since
            ),
            ~exists().where(Enrollment.student_id == Student.student_id, ~_ended(cutoff)),
        )
    )
    return PurgeCounts(
        interviews=count(Interview.student_id, Interview.updated_at < since),
        dismissals=count(Dismissal.student_id, Dismissal.created_at < since),
        enrollments=count(Enrollment.student_id, _ended(cutoff)),
        contacts=count(LeaverContact.student_id, LeaverContact.updated_at < since),
        students=session.scalar(left) or 0,
    )


def _purge_students(
    store: Store, actor: Actor, students: Iterable[str], cutoff: dt.date
) -> PurgeCounts:
    """Whole students in one transaction: their old interviews, dismissals, ended
    enrollments and MLDS contacts, then the rows of those left with nothing."""
    ids = list(students)
    since = _moment(cutoff)
    with store.transaction() as session:
        counts = _student_counts(session, ids, cutoff)
        session.execute(
            delete(Interview).where(Interview.student_id.in_(ids), Interview.updated_at < since)
        )
        session.execute(
            delete(Dismissal).where(Dismissal.student_id.in_(ids), Dismissal.created_at < since)
        )
        session.execute(delete(Enrollment).where(Enrollment.student_id.in_(ids), _ended(cutoff)))
        session.execute(
            delete(LeaverContact).where(
                LeaverContact.student_id.in_(ids), LeaverContact.updated_at < since
            )
        )
        removed = session.execute(delete(Student).where(Student.student_id.in_(ids), ~_REFERENCED))
        counts.students = removed.rowcount or 0  # type: ignore[attr-defined]
        # The next week's write upserts its rosters whole again (`serving.weekly.store`).
        session.execute(delete(RosterState))
        bump_all_list_revisions(session)
        record(
            session,
            actor,
            "purge",
            "allowed",
            detail=f"{len(ids)} students: {counts.summary()}",
        )
    return counts

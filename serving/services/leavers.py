"""The students who left the establishments of a bassin without a solution, for its MLDS
users, and the contacts they record with them.

The list is `features.leavers.leavers` over the extraction a written week recorded (the
latest week on or before the as-of date, read through `serving.lineage`, which checks its
fingerprint; on a week scored by académie, the partitions holding the reader's
establishments, combined), cut to the reader's scope on the day of the request:

- the establishment the student left must be in the reader's bassin;
- and so must the one the student belongs to on the day of the request, by the store's
  enrollments (`serving.db.enrollments`, written by every weekly run) and by the extraction's:
  a student who has since enrolled elsewhere (come back, in any establishment outside the
  bassin) is the new school's, whatever the as-of date asked, and whichever past week was
  written again.

A contact is recorded only about a student on the list on the day of the request and in the
reader's bassin (an unknown id and another bassin's student get the same refusal, audited);
it is read and changed by the MLDS of the establishment the student left, with an optimistic
revision as interviews are. Every read and write is audited; refusals too (the guard)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from features.leavers import (
    LeaverTables,
    establishments_on,
    leavers,
    paths,
    read_leaver_tables,
    with_interviews,
)
from models.solutions.engine import suggest
from models.solutions.facts import EnrollmentRecord, ExamRecord, facts_on
from models.solutions.rules import RuleTable
from serving.db import enrollments
from serving.db.engine import Store
from serving.db.models import Interview, LeaverContact, Student, WeeklyRun
from serving.db.types import utc_now
from serving.lineage import recorded_week
from serving.services.actor import Actor
from serving.services.audit import record, record_read
from serving.services.errors import Conflict, InvalidRequest, NotFound
from serving.services.guard import guarded
from serving.services.leaver_views import (
    ContactChanges,
    ContactView,
    FailedExamView,
    LeaverInterviewView,
    LeaversView,
    LeaverView,
    NewContact,
    PathStepView,
)
from serving.services.policy import POLICY, Action, Refused, audit_name, performs, require
from serving.solutions.extraction_facts import enrollment_records, exam_records
from serving.solutions.recorded import held_by
from serving.solutions.table import rules_in_use
from serving.solutions.views import SuggestionView, solutions_view

__all__ = ["get_leavers", "record_contact", "update_contact"]


@dataclass(frozen=True)
class _Found:
    week: dt.date
    frame: pd.DataFrame  # `features.leavers.leavers` with interviews, in scope
    path: pd.DataFrame  # `features.leavers.paths` of those students
    names: dict[str, str]  # establishment names, by uai
    tables: LeaverTables  # the extraction's tables read


def _week_on_or_before(session: Session, day: dt.date) -> dt.date:
    week = session.scalar(select(func.max(WeeklyRun.week)).where(WeeklyRun.week <= day))
    if week is None:
        raise NotFound(f"no week was written on or before {day.isoformat()}")
    return week


def _store_establishments(session: Session, ids: list[str], day: dt.date) -> dict[str, str]:
    """The establishment of each student the store knows on `day`."""
    if not ids:
        return {}
    rows = session.execute(
        select(Student.student_id, enrollments.establishment_on(Student.student_id, day)).where(
            Student.student_id.in_(ids)
        )
    )
    return {student_id: uai for student_id, uai in rows if uai is not None}


def _interviews(session: Session, ids: list[str]) -> pd.DataFrame:
    rows = session.execute(
        select(
            Interview.id, Interview.student_id, Interview.uai, Interview.status,
            Interview.interview_date, Interview.solution,
        ).where(Interview.student_id.in_(ids))
    ).all()  # fmt: skip
    columns = ["id", "student_id", "uai", "status", "interview_date", "solution"]
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


def _leaver_tables(folders: list[Path]) -> LeaverTables:
    """The leavers' tables of the extraction folders holding the scope (one, or on a week
    scored by académie each partition listing one of its establishments), combined: rows
    that two partitions both hold (a student who moved between them) counted once."""
    if len(folders) == 1:
        return read_leaver_tables(folders[0])
    parts = [read_leaver_tables(folder) for folder in folders]
    names = ("enrollments", "students", "exams", "establishments")
    frames = {name: pd.concat([getattr(part, name) for part in parts]) for name in names}
    return LeaverTables(**{name: frames[name].drop_duplicates(ignore_index=True) for name in names})


def _find(session: Session, actor: Actor, as_of: dt.date, scope: Collection[str]) -> _Found:
    """The leavers as of `as_of` from the establishments `scope`, still the reader's on the
    day of the request (see the module docstring)."""
    week = _week_on_or_before(session, as_of)
    tables = _leaver_tables(recorded_week(session, week).extractions_of(scope))
    found = leavers(tables, as_of)
    found = found[found["uai"].isin(set(scope))]
    today = enrollments.request_date()
    in_extraction = establishments_on(tables.enrollments, today)
    in_store = _store_establishments(session, list(found["student_id"]), today)
    still = [
        in_extraction.get(student) in actor.establishments
        and in_store.get(student, in_extraction.get(student)) in actor.establishments
        for student in found["student_id"]
    ]
    found = found[still].reset_index(drop=True)
    ids = list(found["student_id"])
    found = with_interviews(found, _interviews(session, ids))
    names = dict(zip(tables.establishments["uai"].astype(str),
                     tables.establishments["name"].astype(str), strict=True))  # fmt: skip
    return _Found(week, found, paths(tables.enrollments, set(ids), as_of), names, tables)


def _suggestions(
    session: Session, found: _Found, as_of: dt.date, table: RuleTable
) -> dict[str, list[SuggestionView]]:
    """Each leaver's eligible solutions on `as_of` (`models.solutions`), from the facts of
    the extraction already read and whether an interview was held by then."""
    ids = set(found.frame["student_id"])
    exams = found.tables.exams.assign(student_id=found.tables.exams["student_id"].astype(str))
    exams = exams[exams["student_id"].isin(ids) & exams["date"].notna()]
    # The engine's records, made once for every leaver (rows and records aligned).
    exams_of: dict[str, list[ExamRecord]] = {}
    for student_id, exam in zip(exams["student_id"], exam_records(exams), strict=True):
        exams_of.setdefault(student_id, []).append(exam)
    paths_of: dict[str, list[EnrollmentRecord]] = {}
    for student_id, step in zip(
        found.path["student_id"], enrollment_records(found.path), strict=True
    ):
        paths_of.setdefault(student_id, []).append(step)
    students = found.tables.students.assign(
        student_id=found.tables.students["student_id"].astype(str)
    )
    students = students[students["student_id"].isin(ids)]
    births = dict(zip(students["student_id"], pd.to_datetime(students["birth_date"]), strict=True))
    held = held_by(session, ids, as_of)  # one query for every leaver
    suggested = {}
    for student_id in found.frame["student_id"]:
        facts = facts_on(
            as_of,
            student_id=student_id,
            birth_date=births[student_id].date(),
            enrollments=paths_of[student_id],
            exams=exams_of.get(student_id, []),
            interview_held=student_id in held,
        )
        suggested[student_id] = solutions_view(facts, table, suggest(facts, table)).suggestions
    return suggested


def _text(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _date(value: Any) -> dt.date | None:
    if value is None or pd.isna(value):
        return None
    return value.date() if isinstance(value, pd.Timestamp | dt.datetime) else value


def contact_view(contact: LeaverContact) -> ContactView:
    return ContactView.model_validate(contact, from_attributes=True)


def _path_views(path: pd.DataFrame, names: dict[str, str]) -> dict[str, list[PathStepView]]:
    """Each student's path steps, oldest first."""
    views: dict[str, list[PathStepView]] = {}
    for row in path.itertuples(index=False):
        views.setdefault(str(row.student_id), []).append(_step(row, names))
    return views


def _step(row: Any, names: dict[str, str]) -> PathStepView:
    return PathStepView(
        school_year=str(row.school_year),
        uai=str(row.uai),
        establishment_name=names.get(str(row.uai)),
        level=str(row.level),
        class_id=str(row.class_id),
        start_date=_date(row.start_date),  # type: ignore[arg-type]  # never null
        end_date=_date(row.end_date),
        exit_reason=_text(row.exit_reason),
    )


def _leaver_view(
    row: Any,
    path: list[PathStepView],
    contacts: list[ContactView],
    suggestions: list[SuggestionView],
) -> LeaverView:
    return LeaverView(
        student_id=row.student_id,
        last_name=_text(row.last_name),
        first_name=_text(row.first_name),
        uai=row.uai,
        establishment_name=_text(row.establishment_name),
        school_year=row.school_year,
        level=row.level,
        track=row.track,
        class_id=row.class_id,
        last_day=row.last_day,
        left_on=row.left_on,
        exit_kind=row.exit_kind,
        age=int(row.age),
        failed_exams=[FailedExamView(exam=e, date=d, result=r) for e, d, r in row.failed_exams],
        interview=LeaverInterviewView(
            held=bool(row.interview_held),
            status=row.interview_status,
            interview_date=_date(row.interview_date),
            solution=row.interview_solution,
            uai=row.interview_uai,
        ),
        path=path,
        contacts=contacts,
        suggestions=suggestions,
    )


@performs(Action.READ_LEAVERS)
def get_leavers(
    store: Store, actor: Actor, as_of: dt.date, establishments: Collection[str] = ()
) -> LeaversView:
    """The students who left the reader's establishments (or those of `establishments`,
    each of which must be the reader's) without a solution in the twelve months up to
    `as_of`, with their path, their interviews and the contacts recorded. Audited once per
    establishment read."""
    scope = sorted(set(establishments) or actor.establishments)
    table = rules_in_use()
    today = enrollments.request_date()
    if as_of > today:
        raise InvalidRequest(f"as_of: {as_of.isoformat()} is after today ({today.isoformat()})")
    with guarded(store, actor, Action.READ_LEAVERS, uais=scope, read_only=True) as session:
        found = _find(session, actor, as_of, scope)
        suggested = _suggestions(session, found, as_of, table)
        ids = list(found.frame["student_id"])
        contacts = session.scalars(
            select(LeaverContact)
            .where(LeaverContact.student_id.in_(ids), LeaverContact.uai.in_(scope))
            .order_by(LeaverContact.contact_date, LeaverContact.id)
        ).all()
        by_student: dict[str, list[ContactView]] = {}
        for contact in contacts:
            by_student.setdefault(contact.student_id, []).append(contact_view(contact))
        steps = _path_views(found.path, found.names)
        views = [
            _leaver_view(
                row,
                steps.get(row.student_id, []),
                by_student.get(row.student_id, []),
                suggested[row.student_id],
            )
            for row in found.frame.itertuples(index=False)
        ]
    # The read audited (committed) before anything leaves the service layer.
    for uai in scope:
        count = sum(view.uai == uai for view in views)
        record_read(store, actor, "read_leavers", uai=uai,
                    detail=f"as of {as_of.isoformat()}: {count} students")  # fmt: skip
    return LeaversView(as_of=as_of, week=found.week, establishments=scope,
                       rules_sha256=table.sha256, leavers=views)  # fmt: skip


def _leaver_in_scope(session: Session, actor: Actor, action: Action, student_id: str) -> str:
    """The establishment `student_id` left, once they are on the reader's list on the day of
    the request; anything else (unknown, another bassin's, back at school) gets one refusal."""
    today = enrollments.request_date()
    require(actor, action, student_id=student_id)
    refusal = Refused(audit_name(action), POLICY[action].refusal, student_id=student_id)
    # A student the store places outside the bassin today: refused before any data is read.
    known = enrollments.current_establishment(session, student_id, today)
    if known is not None and known not in actor.establishments:
        raise refusal
    found = _find(session, actor, today, sorted(actor.establishments)).frame
    mine = found[found["student_id"] == student_id]
    if mine.empty:
        raise refusal
    uai = str(mine["uai"].iloc[0])
    require(actor, action, uai=uai, student_id=student_id)
    return uai


def _check_date(day: dt.date) -> None:
    today = enrollments.request_date()
    if day > today:
        raise InvalidRequest(f"contact_date: {day.isoformat()} is after today ({today})")


@performs(Action.RECORD_CONTACT)
def record_contact(store: Store, actor: Actor, new: NewContact) -> ContactView:
    """Record a contact with a student who left the reader's bassin without a solution."""
    _check_date(new.contact_date)
    with guarded(store, actor, Action.RECORD_CONTACT, student_id=new.student_id) as session:
        uai = _leaver_in_scope(session, actor, Action.RECORD_CONTACT, new.student_id)
        now = utc_now()
        contact = LeaverContact(
            student_id=new.student_id, uai=uai, contact_date=new.contact_date,
            action=new.action, outcome=new.outcome, created_by=actor.username,
            created_at=now, updated_by=actor.username, updated_at=now, revision=1,
        )  # fmt: skip
        session.add(contact)
        session.flush()
        record(session, actor, "record_contact", "allowed", student_id=new.student_id, uai=uai,
               detail=f"contact {contact.id}: {new.action}, {new.outcome}")  # fmt: skip
        return contact_view(contact)


@performs(Action.UPDATE_CONTACT)
def update_contact(
    store: Store, actor: Actor, contact_id: int, changes: ContactChanges
) -> ContactView:
    """Change a contact recorded about a student who left the reader's bassin; with
    `expected_revision`, refuse if someone changed it in between."""
    if changes.contact_date is not None:
        _check_date(changes.contact_date)
    with guarded(store, actor, Action.UPDATE_CONTACT) as session:
        contact = session.scalar(
            select(LeaverContact).where(LeaverContact.id == contact_id).with_for_update()
        )
        if contact is None:
            raise NotFound(f"no contact {contact_id}")
        require(actor, Action.UPDATE_CONTACT, uai=contact.uai, student_id=contact.student_id)
        expected = changes.expected_revision
        if expected is not None and expected != contact.revision:
            raise Conflict(
                f"contact {contact_id} is at revision {contact.revision}, not {expected}: reload it"
            )
        before = contact.outcome
        for name in ("contact_date", "action", "outcome"):
            value = getattr(changes, name)
            if value is not None:
                setattr(contact, name, value)
        contact.updated_by = actor.username
        contact.updated_at = utc_now()
        contact.revision += 1
        session.flush()
        detail = f"contact {contact_id}: {before} -> {contact.outcome}"
        record(session, actor, "update_contact", "allowed", student_id=contact.student_id,
               uai=contact.uai, detail=detail)  # fmt: skip
        return contact_view(contact)

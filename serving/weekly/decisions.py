"""The watch unit's decisions, read from the store as the weekly queue needs them
(`models.queue.Decision`), with what the list shows of each (date, solution proposed).

- An interview under way (an open status, `OPEN_INTERVIEW_STATUSES`): from the Monday of the
  day it was recorded; keeps the student in follow-up as long as it is open.
- An interview held: its week is the Monday of its `interview_date` (of the day it was last
  updated when no date was given); the risk then is the student's risk on the latest list
  written at or before that week, if any.
- A dismissal: its week, and the risk then as for a held interview.
- An interview that was under way and has ended (held, declined, not needed after at least
  one change: `revision > 1`) was under way from the week it was recorded until the week it
  ended (the held week; for one declined or not needed, the week of its last change). An
  interview recorded directly in its final status was never under way.

Interviews declined or not needed are no lasting decision: the student is back in the queue.
The decisions follow the student, whatever establishment recorded them.

A week is queued against the decisions as of that week (`load_follow_ups(session, week,
risks)`): the queue ignores decisions dated after it, an ended interview counts as under way
in the weeks it was, and the risk then of a decision taken in the week being written is the
risk this write gives the student (not the risk of an earlier write of the same week), so
writing a past week again with the same input gives the same list.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from features.calendar import monday_on_or_before
from models.queue import Decision
from serving.db.models import Dismissal, Interview, ListEntry, WeeklyList
from serving.db.vocabulary import OPEN_INTERVIEW_STATUSES
from serving.weekly.student_risks import WeekRisks

__all__ = ["FollowUp", "decisions_of", "load_follow_ups", "shown_follow_up"]

_RiskHistory = dict[str, tuple[list[dt.date], list[float]]]


@dataclass(frozen=True)
class FollowUp:
    """A decision and what the list shows of it: `date` (the interview's date, when given;
    None for a dismissal) and the `solution` proposed (a held interview's)."""

    decision: Decision
    date: dt.date | None = None
    solution: str | None = None


def load_follow_ups(
    session: Session,
    week: dt.date | None = None,
    risks: Mapping[str, float] | None = None,
) -> dict[str, list[FollowUp]]:
    """Every student's decisions, newest first. With `week` (the Monday of the week being
    written) and `risks` (the students' risks this write gives them): the risk then of a
    decision of that week is taken from `risks`, and lists of that week or later are never
    read (see the module docstring)."""
    follow_ups: dict[str, list[FollowUp]] = defaultdict(list)
    interviews = list(
        session.execute(
            select(
                Interview.student_id,
                Interview.status,
                Interview.interview_date,
                Interview.solution,
                Interview.created_at,
                Interview.updated_at,
                Interview.revision,
            )
        )
    )
    dismissed = list(session.execute(select(Dismissal.student_id, Dismissal.week)))
    decided = any(row.status == "held" for row in interviews) or bool(dismissed)
    history = _risk_history(session, week) if decided else {}
    # The risks this write gives the students with a decision, looked up at once (every
    # student's, held column-wise, is never made a dict).
    students = {row.student_id for row in interviews} | {row.student_id for row in dismissed}
    current: dict[str, float] = {}
    if isinstance(risks, WeekRisks):
        current = risks.risk_of(students)
    elif risks is not None:
        current = {s: risks[s] for s in students if s in risks}

    def risk_then(student_id: str, then: dt.date) -> float | None:
        if week is not None and then == week:
            return current.get(student_id)
        return _risk_then(history.get(student_id), then)

    for row in interviews:
        started = monday_on_or_before(row.created_at.date())
        if row.status in OPEN_INTERVIEW_STATUSES:
            follow_ups[row.student_id].append(
                FollowUp(Decision("under_way", started), row.interview_date)
            )
            continue
        held = row.status == "held"
        day = (row.interview_date or row.updated_at.date()) if held else row.updated_at.date()
        ended = monday_on_or_before(day)
        if row.revision > 1 and started < ended:
            follow_ups[row.student_id].append(
                FollowUp(Decision("under_way", started, until=ended), row.interview_date)
            )
        if held:
            decision = Decision("held", ended, risk_then(row.student_id, ended))
            follow_ups[row.student_id].append(FollowUp(decision, day, row.solution))
    for student_id, day in dismissed:
        then = monday_on_or_before(day)
        decision = Decision("dismissed", then, risk_then(student_id, then))
        follow_ups[student_id].append(FollowUp(decision))
    for items in follow_ups.values():
        items.sort(key=lambda item: (item.decision.week, item.date or item.decision.week),
                   reverse=True)  # fmt: skip
    return dict(follow_ups)


def decisions_of(follow_ups: Mapping[str, Sequence[FollowUp]]) -> dict[str, list[Decision]]:
    """The decisions alone, as `models.queue.weekly_queue` takes them."""
    return {student: [item.decision for item in items] for student, items in follow_ups.items()}


def shown_follow_up(items: Iterable[FollowUp], decision: Decision) -> FollowUp:
    """The follow-up shown for `decision` (the newest of equal decisions)."""
    for item in items:
        if item.decision == decision:
            return item
    return FollowUp(decision)


def _risk_history(session: Session, before: dt.date | None) -> _RiskHistory:
    """Weeks (ascending) and risks of the students with a held interview or a dismissal,
    on every list written (before the week `before` only, when given)."""
    decided = union(
        select(Interview.student_id).where(Interview.status == "held"),
        select(Dismissal.student_id),
    ).subquery()
    query = (
        select(ListEntry.student_id, WeeklyList.week, ListEntry.risk)
        .join(WeeklyList, ListEntry.list_id == WeeklyList.id)
        .where(ListEntry.student_id.in_(select(decided.c.student_id)))
        .order_by(ListEntry.student_id, WeeklyList.week)
    )
    if before is not None:
        query = query.where(WeeklyList.week < before)
    rows = session.execute(query)
    history: _RiskHistory = {}
    for student_id, week, risk in rows:
        weeks, risks = history.setdefault(student_id, ([], []))
        weeks.append(week)
        risks.append(float(risk))
    return history


def _risk_then(history: tuple[list[dt.date], list[float]] | None, week: dt.date) -> float | None:
    """The risk on the latest list at or before `week` (None when none was written)."""
    if history is None:
        return None
    weeks, risks = history
    position = bisect.bisect_right(weeks, week)
    return None if position == 0 else risks[position - 1]

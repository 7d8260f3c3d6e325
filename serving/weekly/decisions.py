"""The watch unit's decisions, read from the store as the weekly queue needs them
(`models.queue.Decision`), with what the list shows of each (date, solution proposed).

- An interview under way (an open status, `OPEN_INTERVIEW_STATUSES`): from the Monday of the
  day it was recorded; always keeps the student in follow-up.
- An interview held: its week is the Monday of its `interview_date` (of the day it was last
  updated when no date was given); the risk then is the student's risk on the latest list
  written at or before that week, if any.
- A dismissal: its week, and the risk then as for a held interview.

Interviews declined or not needed are no decisions: the student is back in the queue. The
decisions follow the student, whatever establishment recorded them.
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

__all__ = ["FollowUp", "decisions_of", "load_follow_ups", "shown_follow_up"]


@dataclass(frozen=True)
class FollowUp:
    """A decision and what the list shows of it: `date` (the interview's date, when given;
    None for a dismissal) and the `solution` proposed (a held interview's)."""

    decision: Decision
    date: dt.date | None = None
    solution: str | None = None


def load_follow_ups(session: Session) -> dict[str, list[FollowUp]]:
    """Every student's decisions, newest first."""
    follow_ups: dict[str, list[FollowUp]] = defaultdict(list)
    interviews = session.execute(
        select(
            Interview.student_id,
            Interview.status,
            Interview.interview_date,
            Interview.solution,
            Interview.created_at,
            Interview.updated_at,
        ).where(Interview.status.in_([*OPEN_INTERVIEW_STATUSES, "held"]))
    )
    dismissals = session.execute(select(Dismissal.student_id, Dismissal.week))
    rows = list(interviews)
    dated = [row for row in rows if row.status == "held"]
    dismissed = list(dismissals)
    risks = _risk_history(session) if dated or dismissed else {}
    for row in rows:
        if row.status in OPEN_INTERVIEW_STATUSES:
            started = monday_on_or_before(row.created_at.date())
            follow_ups[row.student_id].append(
                FollowUp(Decision("under_way", started), row.interview_date)
            )
            continue
        day = row.interview_date or row.updated_at.date()
        week = monday_on_or_before(day)
        risk = _risk_then(risks.get(row.student_id), week)
        follow_ups[row.student_id].append(FollowUp(Decision("held", week, risk), day, row.solution))
    for student_id, day in dismissed:
        week = monday_on_or_before(day)
        risk = _risk_then(risks.get(student_id), week)
        follow_ups[student_id].append(FollowUp(Decision("dismissed", week, risk)))
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


def _risk_history(session: Session) -> dict[str, tuple[list[dt.date], list[float]]]:
    """Weeks (ascending) and risks of the students with a held interview or a dismissal,
    on every list written."""
    decided = union(
        select(Interview.student_id).where(Interview.status == "held"),
        select(Dismissal.student_id),
    ).subquery()
    rows = session.execute(
        select(ListEntry.student_id, WeeklyList.week, ListEntry.risk)
        .join(WeeklyList, ListEntry.list_id == WeeklyList.id)
        .where(ListEntry.student_id.in_(select(decided.c.student_id)))
        .order_by(ListEntry.student_id, WeeklyList.week)
    )
    history: dict[str, tuple[list[dt.date], list[float]]] = {}
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

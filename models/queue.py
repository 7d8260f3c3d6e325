"""The weekly queue: whom an establishment invites this week. One rule, shared by the weekly
run, the API, the dashboard, the exports and the evaluation's replay of a school year.

Each week an establishment's `capacity` slots go to the highest-risk students who are not in
follow-up. A student is in follow-up while an interview is under way, for `held_weeks` weeks
after an interview was held, and for `dismissal_weeks` weeks after a dismissal; before those
weeks are over, a followed student comes back into the queue only if the risk rose by at least
`risk_margin` since the decision. A followed student never takes a slot: the list shows them
apart, with the decision. Below the slots, students at or over the watch threshold are "to
watch". The order is the list order of `models.ranking` (ties broken by student id), so it
never depends on the input's order.

Pure: risks and decisions in, the week's queue out.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from models.ranking import list_order

__all__ = [
    "DEFAULT_FOLLOW_UP",
    "Decision",
    "DecisionKind",
    "FollowUpRule",
    "QueuePart",
    "QueuedStudent",
    "following_decision",
    "queue_candidates",
    "weekly_queue",
]

DecisionKind = Literal["under_way", "held", "dismissed"]
QueuePart = Literal["invite", "watch", "follow_up"]


@dataclass(frozen=True)
class FollowUpRule:
    """How long a decision keeps a student out of the slots.

    Defaults: an interview held keeps the student in follow-up for 10 weeks, about a school
    term (the solution proposed has time to start); a dismissal for 8 weeks (half a term, the
    watch unit looks again before the term ends); a rise of 0.10 in calibrated risk since the
    decision (about five times the base rate of a school year) brings the student back at once.
    """

    held_weeks: int = 10
    dismissal_weeks: int = 8
    risk_margin: float = 0.10

    def __post_init__(self) -> None:
        for name in ("held_weeks", "dismissal_weeks"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"follow-up rule: {name} must be an integer >= 0, not {value!r}")
        margin = self.risk_margin
        if not (isinstance(margin, int | float) and math.isfinite(margin) and 0 < margin <= 1):
            raise ValueError(f"follow-up rule: risk_margin must be in (0, 1], not {margin!r}")


DEFAULT_FOLLOW_UP = FollowUpRule()


@dataclass(frozen=True)
class Decision:
    """A decision of the watch unit about a student: an interview under way (invited, or to
    invite), an interview held, or a dismissal; `week` is the Monday of the week it was taken
    (for an interview under way: when it started), `risk` the student's calibrated risk then
    (None when unknown: the risk margin then never brings the student back early). `until`:
    for an interview that was under way and has since ended (held, declined, not needed), the
    Monday of the week it ended, from which it no longer keeps the student in follow-up (None:
    still under way). A week written again later sees the interview as it stood then."""

    kind: DecisionKind
    week: dt.date
    risk: float | None = None
    until: dt.date | None = None

    def __post_init__(self) -> None:
        if self.until is not None and self.kind != "under_way":
            raise ValueError(f"decision {self.kind}: only an interview under way has an end")


@dataclass(frozen=True)
class QueuedStudent:
    """A student in the week's queue. `rank` numbers the invited then the watched students
    (1, 2, ...); followed students are ranked apart, by risk, from 1 too. `decision` is the
    decision that keeps a followed student out of the slots (None for the others)."""

    student_id: str
    risk: float
    part: QueuePart
    rank: int
    decision: Decision | None = None


def following_decision(
    decisions: Iterable[Decision], week: dt.date, risk: float, rule: FollowUpRule
) -> Decision | None:
    """The decision that keeps a student in follow-up in the week starting `week`, or None.
    An interview under way does from its week until it ended (`until`, excluded); an interview
    held or a dismissal does for its weeks (counted from its own week: held on week w,
    followed through week w + held_weeks - 1), unless the risk rose by `risk_margin` since;
    decisions dated after `week` are ignored, so the follow-up of a past week is the one as of
    that week.
    Of several, the one under way first, then the latest."""
    holding: list[Decision] = []
    for decision in decisions:
        if decision.week > week:
            continue
        if decision.kind == "under_way":
            if decision.until is None or week < decision.until:
                holding.append(decision)
            continue
        weeks = rule.held_weeks if decision.kind == "held" else rule.dismissal_weeks
        if (week - decision.week).days >= 7 * weeks:
            continue
        if decision.risk is not None and risk - decision.risk >= rule.risk_margin - 1e-12:
            continue
        holding.append(decision)
    if not holding:
        return None
    return max(holding, key=lambda d: (d.kind == "under_way", d.week, d.kind))


def weekly_queue(
    risks: Iterable[tuple[str, float]],
    capacity: int,
    watch_threshold: float | None,
    *,
    week: dt.date,
    decisions: Mapping[str, Sequence[Decision]] | None = None,
    rule: FollowUpRule = DEFAULT_FOLLOW_UP,
) -> list[QueuedStudent]:
    """The week's queue of one establishment: `capacity` students to invite (highest risk
    first, none in follow-up), then the students at or over `watch_threshold` (None: no watch
    tier), then every student in follow-up. Students neither invited, watched nor followed
    are not returned."""
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
        raise ValueError(f"capacity must be an integer >= 0, not {capacity!r}")
    decisions = decisions or {}
    candidates = list(risks)
    ids = [sid for sid, _ in candidates]
    order = list_order([risk for _, risk in candidates], ids)
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        for position in order:  # the first repeated in list order, as the queue meets it
            if ids[position] in seen:
                raise ValueError(f"student {ids[position]} is scored twice in the same week")
            seen.add(ids[position])
    queued: list[QueuedStudent] = []
    followed: list[QueuedStudent] = []
    for at, position in enumerate(order):
        student_id, risk = candidates[position]
        if len(queued) >= capacity and (watch_threshold is None or risk < watch_threshold):
            # Slots taken and, in list order, no risk left at the watch threshold: only
            # students with decisions may still be queued (in follow-up).
            rest = [p for p in order[at:].tolist() if ids[p] in decisions]
            followed += _followed(candidates, rest, decisions, week, rule, len(followed))
            break
        decision = following_decision(decisions.get(student_id, ()), week, risk, rule)
        if decision is not None:
            followed.append(
                QueuedStudent(student_id, risk, "follow_up", len(followed) + 1, decision)
            )
        elif len(queued) < capacity:
            queued.append(QueuedStudent(student_id, risk, "invite", len(queued) + 1))
        elif watch_threshold is not None and risk >= watch_threshold:
            queued.append(QueuedStudent(student_id, risk, "watch", len(queued) + 1))
    return queued + followed


def _followed(
    candidates: Sequence[tuple[str, float]],
    positions: Iterable[int],
    decisions: Mapping[str, Sequence[Decision]],
    week: dt.date,
    rule: FollowUpRule,
    already: int,
) -> list[QueuedStudent]:
    """The students at `positions` (in list order) a decision keeps in follow-up, ranked
    after the `already` followed."""
    followed: list[QueuedStudent] = []
    for position in positions:
        student_id, risk = candidates[position]
        decision = following_decision(decisions[student_id], week, risk, rule)
        if decision is not None:
            rank = already + len(followed) + 1
            followed.append(QueuedStudent(student_id, risk, "follow_up", rank, decision))
    return followed


def queue_candidates(
    risks: np.ndarray, capacity: int, watch_threshold: float | None, decided: np.ndarray
) -> np.ndarray:
    """The positions (ascending) of the students of an establishment that `weekly_queue` may
    queue, whatever their decisions say, given every student's risk (`risks`) and whether a
    decision is recorded for them (`decided`, a boolean per student): those with a decision,
    those at or over the watch threshold, and those at or over the risk of the
    (`capacity` + number decided)-th in list order, ties included. `weekly_queue` of these
    students' pairs is `weekly_queue` of every student's (tests/models/test_queue_equivalence.py):
    the slots go to the first `capacity` students in list order without a decision keeping
    them apart, so no further than that position; below the slots, only students at the
    threshold or with a decision are queued. Column-wise: what spares a Python object per
    enrolled student when ranking an académie's queues."""
    risks = np.asarray(risks, dtype="float64")
    decided = np.asarray(decided, dtype=bool)
    if risks.shape != decided.shape or risks.ndim != 1:
        raise ValueError(f"{len(risks)} risks but {len(decided)} decided flags")
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
        raise ValueError(f"capacity must be an integer >= 0, not {capacity!r}")
    reached = capacity + int(decided.sum())
    if reached >= len(risks) or np.isnan(risks).any():  # (a missing risk: the queue refuses it)
        return np.arange(len(risks))
    keep = decided.copy()
    if reached > 0:
        keep |= risks >= np.partition(risks, len(risks) - reached)[len(risks) - reached]
    if watch_threshold is not None:
        keep |= risks >= watch_threshold
    return np.flatnonzero(keep)

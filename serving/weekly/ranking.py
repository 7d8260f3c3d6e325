"""What the weekly scoring hands to the store, and the one rule that turns risks into a
list: the weekly queue of `models.queue`. The `weekly_interview_capacity` highest risks not
in follow-up are to invite; below them, students at or over the watch threshold are to
watch; students in follow-up (an interview under way, one held lately, a recent dismissal)
are shown apart and never take a slot.

The scorer calls `rank_students` on every student's risk, with the decisions read from the
store, to know whom to explain (only those ranked), then passes the explained students, every
student's risk (`EstablishmentWeek.risks`) and an `Explainer` to
`serving.weekly.replace_week_lists`, which reads the decisions again inside its
transaction and queues every student again with the same rule when they differ from those
the scorer ranked against (the scorer's queues, `RankedQueues`, are taken otherwise): a
decision recorded in between moves the slot to the next student, explained then.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from models.queue import DEFAULT_FOLLOW_UP, Decision, FollowUpRule, QueuedStudent, weekly_queue
from serving.weekly.student_risks import StudentRisks

__all__ = [
    "EstablishmentWeek",
    "Explainer",
    "Reason",
    "RosterStudent",
    "ScoredStudent",
    "rank_students",
]


@dataclass(frozen=True)
class Reason:
    """One reason for a risk: the feature, the student's value, a reference value to compare
    with, its share of the explanation, and a sentence in French and in English; optionally
    the feature's family, where the reference comes from, the raw contribution and its
    direction, as `models.explanations.Explanations.to_records()` gives them."""

    feature: str
    value: Any
    reference: Any
    share: float
    text_fr: str
    text_en: str
    family: str | None = None
    reference_scope: str | None = None
    contribution: float | None = None
    direction: str | None = None
    # The weight in probability points (`models.reasons`): risk minus the risk without it.
    signal: str | None = None
    points: float | None = None
    risk_without: float | None = None
    weight_text_fr: str | None = None
    weight_text_en: str | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Reason:
        """From one reason of an explanation record (extra keys such as `text` ignored)."""
        values = {name: record.get(name) for name in _REASON_FIELDS}
        return cls(**values)  # type: ignore[arg-type]  # each field as models.reasons wrote it


@dataclass(frozen=True)
class ScoredStudent:
    """A student's calibrated risk this week, its (up to three) reasons and the feature
    values the list shows."""

    student_id: str
    risk: float
    reasons: tuple[Reason, ...] = ()
    features_shown: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_explanation(
        cls, record: Mapping[str, Any], features_shown: Mapping[str, Any] | None = None
    ) -> ScoredStudent:
        """From one record of `Explanations.to_records()`: its `student_id`, `risk` and the
        raising `reasons` (the protective ones are not shown on the list)."""
        reasons = tuple(Reason.from_record(reason) for reason in record.get("reasons", ()))
        return cls(
            str(record["student_id"]),
            float(record["risk"]),
            reasons[:3],
            dict(features_shown or {}),
        )

    def __post_init__(self) -> None:
        if not (math.isfinite(self.risk) and 0.0 <= self.risk <= 1.0):
            raise ValueError(f"risk of {self.student_id} is not a probability: {self.risk}")
        if len(self.reasons) > 3:
            raise ValueError(f"{self.student_id} has more than three reasons")


@dataclass(frozen=True)
class RosterStudent:
    """An enrolled student of the establishment, listed or not (the watch unit may record an
    interview for any of its students); names are optional and shown only to it."""

    student_id: str
    last_name: str | None = None
    first_name: str | None = None
    # The enrollment in force on the week's as-of date, from the extraction: stored as a
    # dated fact (`serving.db.enrollments`). Unknown: the week's Monday stands for its start.
    enrolled_since: dt.date | None = None
    enrolled_until: dt.date | None = None


@dataclass(frozen=True)
class EstablishmentWeek:
    """One establishment's input for the week: the students explained (`scored`), the
    roster, and `risks`, every enrolled student's risk this week (`StudentRisks`, or
    (student_id, risk) pairs, made column-wise), of which the explained students are a part
    (empty: the explained students are all the candidates)."""

    uai: str
    name: str
    weekly_interview_capacity: int
    scored: tuple[ScoredStudent, ...]
    roster: tuple[RosterStudent, ...] = ()
    risks: StudentRisks | tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        if self.weekly_interview_capacity < 0:
            raise ValueError(f"{self.uai}: negative weekly_interview_capacity")
        ids = [student.student_id for student in self.scored]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.uai}: a student is scored twice")
        roster = [student.student_id for student in self.roster]
        if len(set(roster)) != len(roster):
            raise ValueError(f"{self.uai}: a student appears twice on the roster")
        if not isinstance(self.risks, StudentRisks):
            object.__setattr__(self, "risks", StudentRisks.from_pairs(self.risks))
        assert isinstance(self.risks, StudentRisks)
        if not len(self.risks):
            return
        if self.risks.has_duplicates():
            raise ValueError(f"{self.uai}: a student has two risks in the week's risks")
        known = self.risks.risk_of(ids)
        for student in self.scored:
            if known.get(student.student_id) != student.risk:
                raise ValueError(
                    f"{self.uai}: student {student.student_id} is explained with risk "
                    f"{student.risk} but has {known.get(student.student_id)} in the week's risks"
                )

    def candidates(self) -> StudentRisks:
        """Every student the queue chooses from: `risks`, or the explained students."""
        assert isinstance(self.risks, StudentRisks)  # made so on creation
        if len(self.risks) or not self.scored:
            return self.risks
        return StudentRisks.from_pairs((s.student_id, s.risk) for s in self.scored)


# Explains students queued at write time that the scorer had not explained: given
# (uai, student_id) pairs, their `ScoredStudent`s in the same order.
Explainer = Callable[[Sequence[tuple[str, str]]], Sequence[ScoredStudent]]


def rank_students(
    risks: Iterable[tuple[str, float]] | StudentRisks,
    capacity: int,
    watch_threshold: float | None,
    *,
    week: dt.date,
    decisions: Mapping[str, Sequence[Decision]] | None = None,
    rule: FollowUpRule = DEFAULT_FOLLOW_UP,
) -> list[QueuedStudent]:
    """The week's queue of one establishment (`models.queue.weekly_queue`): the students
    to invite, then to watch, then in follow-up, ranked through the parts (1, 2, ...: the
    rank a list entry is stored with). Ties by student id (`models.ranking`), so the order
    never depends on input order. Of `StudentRisks`, only the students the queue may hold
    are visited (`StudentRisks.queue_pairs`): the same queue."""
    if isinstance(risks, StudentRisks):
        risks = risks.queue_pairs(capacity, watch_threshold, decisions or {})[1]
    queue = weekly_queue(
        risks, capacity, watch_threshold, week=week, decisions=decisions, rule=rule
    )
    return [
        QueuedStudent(student.student_id, student.risk, student.part, rank, student.decision)
        for rank, student in enumerate(queue, start=1)
    ]


_REASON_FIELDS = tuple(item.name for item in fields(Reason))

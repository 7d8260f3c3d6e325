"""The weekly queue stops walking the list once the slots are taken and the risks are below
the watch threshold, looking only at students with decisions after that: the same queue as
the walk over every student (kept here as the reference), on random establishments. The
same queue again from the students `queue_candidates` keeps (what the weekly run ranks)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping, Sequence

import numpy as np
import pytest

from models.queue import (
    DEFAULT_FOLLOW_UP,
    Decision,
    FollowUpRule,
    QueuedStudent,
    following_decision,
    queue_candidates,
    weekly_queue,
)
from models.ranking import list_order

WEEK = dt.date(2026, 3, 16)


def reference_queue(
    risks: Sequence[tuple[str, float]],
    capacity: int,
    watch_threshold: float | None,
    week: dt.date,
    decisions: Mapping[str, Sequence[Decision]],
    rule: FollowUpRule,
) -> list[QueuedStudent]:
    """The queue as it was computed before: one step per student, in list order."""
    candidates = list(risks)
    order = list_order([risk for _, risk in candidates], [sid for sid, _ in candidates])
    seen: set[str] = set()
    queued: list[QueuedStudent] = []
    followed: list[QueuedStudent] = []
    for student_id, risk in (candidates[i] for i in order):
        if student_id in seen:
            raise ValueError(f"student {student_id} is scored twice in the same week")
        seen.add(student_id)
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


def _decision(generator: random.Random) -> Decision:
    kind = generator.choice(["under_way", "held", "dismissed"])
    week = WEEK - dt.timedelta(weeks=generator.randrange(-2, 14))
    risk = generator.choice([None, round(generator.random(), 2)])
    until = None
    if kind == "under_way" and generator.random() < 0.4:
        until = week + dt.timedelta(weeks=generator.randrange(0, 4))
    return Decision(kind, week, None if kind == "under_way" else risk, until)  # type: ignore[arg-type]


def _establishment(seed: int) -> tuple[list[tuple[str, float]], dict[str, list[Decision]], int,
                                       float | None, FollowUpRule]:  # fmt: skip
    """Random students' risks (ties frequent), decisions, capacity, threshold and rule."""
    generator = random.Random(seed)
    size = generator.randrange(0, 80)
    risks = [
        (f"S{generator.randrange(10_000):05d}", round(generator.random() ** 3, 2))
        for _ in range(size)
    ]
    risks = list(dict(risks).items())  # one risk a student
    decided = [sid for sid, _ in risks if generator.random() < 0.3]
    decisions = {sid: [_decision(generator) for _ in range(generator.randrange(1, 3))]
                 for sid in decided}  # fmt: skip
    capacity = generator.randrange(0, 12)
    threshold = generator.choice([None, 0.0, 0.05, 0.2, 0.5, 1.0])
    rule = generator.choice([DEFAULT_FOLLOW_UP, FollowUpRule(2, 1, 0.05)])
    return risks, decisions, capacity, threshold, rule


@pytest.mark.parametrize("seed", range(60))
def test_the_queue_is_the_walk_over_every_student(seed: int) -> None:
    risks, decisions, capacity, threshold, rule = _establishment(seed)
    expected = reference_queue(risks, capacity, threshold, WEEK, decisions, rule)
    got = weekly_queue(risks, capacity, threshold, week=WEEK, decisions=decisions, rule=rule)
    assert got == expected


def test_a_student_scored_twice_is_named_as_before() -> None:
    risks = [("S1", 0.1), ("S2", 0.9), ("S1", 0.5), ("S2", 0.3)]
    with pytest.raises(ValueError, match="student S2 is scored twice"):
        reference_queue(risks, 1, None, WEEK, {}, DEFAULT_FOLLOW_UP)
    with pytest.raises(ValueError, match="student S2 is scored twice"):
        weekly_queue(risks, 1, None, week=WEEK)


@pytest.mark.parametrize("seed", range(200))
def test_the_queue_of_the_kept_candidates_is_the_queue_of_every_student(seed: int) -> None:
    risks, decisions, capacity, threshold, rule = _establishment(seed)
    values = np.array([risk for _, risk in risks])
    decided = np.array([sid in decisions for sid, _ in risks], dtype=bool)
    kept = queue_candidates(values, capacity, threshold, decided)
    assert kept.tolist() == sorted(set(kept.tolist()))
    expected = reference_queue(risks, capacity, threshold, WEEK, decisions, rule)
    got = weekly_queue([risks[i] for i in kept], capacity, threshold, week=WEEK,
                       decisions=decisions, rule=rule)  # fmt: skip
    assert got == expected
    # The students left out are never queued.
    queued = {student.student_id for student in expected}
    assert queued <= {risks[i][0] for i in kept}


def test_the_kept_candidates_are_the_slots_the_threshold_and_the_decided() -> None:
    risks = np.array([0.9, 0.1, 0.5, 0.5, 0.05, 0.3, 0.02])
    decided = np.array([False, False, False, False, True, False, False])
    # Two slots and one decision: down to the third highest risk (0.5, both tied kept), the
    # decided student, nobody else without a threshold; with 0.3, the student at it too.
    assert queue_candidates(risks, 2, None, decided).tolist() == [0, 2, 3, 4]
    assert queue_candidates(risks, 2, 0.3, decided).tolist() == [0, 2, 3, 4, 5]
    assert queue_candidates(risks, 0, None, np.zeros(7, dtype=bool)).tolist() == []
    assert queue_candidates(risks, 7, None, decided).tolist() == list(range(7))
    with pytest.raises(ValueError, match="3 risks but 2"):
        queue_candidates(risks[:3], 1, None, decided[:2])
    with pytest.raises(ValueError, match="capacity"):
        queue_candidates(risks, -1, None, decided)

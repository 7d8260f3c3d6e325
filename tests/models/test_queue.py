"""The weekly queue on small hand-computed cases."""

from __future__ import annotations

import datetime as dt

import pytest

from models.queue import Decision, FollowUpRule, following_decision, weekly_queue

WEEK = dt.date(2026, 11, 30)
RULE = FollowUpRule(held_weeks=2, dismissal_weeks=3, risk_margin=0.1)


def parts(queue: list) -> list[tuple[str, str, int]]:
    return [(q.student_id, q.part, q.rank) for q in queue]


def test_the_slots_go_to_the_highest_risks_then_the_watch_tier() -> None:
    risks = [("c", 0.2), ("a", 0.5), ("b", 0.5), ("d", 0.05), ("e", 0.3)]
    queue = weekly_queue(risks, 2, 0.2, week=WEEK)
    # a and b tie at 0.5: by id; e and c are at or over the threshold; d is not listed.
    assert parts(queue) == [("a", "invite", 1), ("b", "invite", 2), ("e", "watch", 3),
                            ("c", "watch", 4)]  # fmt: skip
    assert parts(weekly_queue(reversed(risks), 2, 0.2, week=WEEK)) == parts(queue)
    assert parts(weekly_queue(risks, 2, None, week=WEEK)) == [
        ("a", "invite", 1),
        ("b", "invite", 2),
    ]


def test_a_followed_student_never_takes_a_slot() -> None:
    risks = [("a", 0.9), ("b", 0.8), ("c", 0.7), ("d", 0.01)]
    decisions = {
        "a": [Decision("under_way", WEEK - dt.timedelta(weeks=20))],
        "d": [Decision("held", WEEK - dt.timedelta(weeks=1), 0.01)],
    }
    queue = weekly_queue(risks, 2, None, week=WEEK, decisions=decisions, rule=RULE)
    assert parts(queue) == [("b", "invite", 1), ("c", "invite", 2), ("a", "follow_up", 1),
                            ("d", "follow_up", 2)]  # fmt: skip
    assert queue[2].decision == decisions["a"][0]


@pytest.mark.parametrize(
    ("kind", "weeks_ago", "followed"),
    [
        ("held", 0, True),
        ("held", 1, True),
        ("held", 2, False),  # held_weeks = 2: followed on its week and the next
        ("dismissed", 2, True),
        ("dismissed", 3, False),
        ("under_way", 52, True),
        ("held", -1, False),  # a decision after the week does not count
    ],
)
def test_follow_up_lasts_its_weeks(kind: str, weeks_ago: int, followed: bool) -> None:
    decision = Decision(kind, WEEK - dt.timedelta(weeks=weeks_ago), 0.5)  # type: ignore[arg-type]
    assert (following_decision([decision], WEEK, 0.5, RULE) is not None) is followed


def test_a_risk_that_rose_by_the_margin_brings_the_student_back() -> None:
    held = Decision("held", WEEK - dt.timedelta(weeks=1), 0.30)
    assert following_decision([held], WEEK, 0.39, RULE) == held
    assert following_decision([held], WEEK, 0.40, RULE) is None
    # an interview under way keeps the student whatever the risk; an unknown risk then too
    assert following_decision([Decision("under_way", WEEK, 0.1)], WEEK, 0.9, RULE) is not None
    assert following_decision([Decision("held", WEEK, None)], WEEK, 0.9, RULE) is not None


def test_of_several_decisions_the_one_under_way_then_the_latest() -> None:
    held = Decision("held", WEEK - dt.timedelta(weeks=1), 0.2)
    dismissed = Decision("dismissed", WEEK, 0.2)
    under_way = Decision("under_way", WEEK - dt.timedelta(weeks=5))
    assert following_decision([held, dismissed], WEEK, 0.2, RULE) == dismissed
    assert following_decision([held, under_way, dismissed], WEEK, 0.2, RULE) == under_way


def test_bad_input_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="capacity"):
        weekly_queue([("a", 0.1)], -1, None, week=WEEK)
    with pytest.raises(ValueError, match="scored twice"):
        weekly_queue([("a", 0.1), ("a", 0.2)], 1, None, week=WEEK)
    with pytest.raises(ValueError, match="held_weeks"):
        FollowUpRule(held_weeks=-1)
    with pytest.raises(ValueError, match="risk_margin"):
        FollowUpRule(risk_margin=0)


def test_an_interview_that_ended_keeps_the_student_apart_only_while_it_was_under_way() -> None:
    """Under way from WEEK - 2 weeks until WEEK (held then): the weeks before WEEK see it, WEEK
    and later do not; a week before it started does not either."""
    ended = Decision("under_way", WEEK - dt.timedelta(weeks=2), until=WEEK)
    for weeks, followed in ((-3, False), (-2, True), (-1, True), (0, False), (4, False)):
        week = WEEK + dt.timedelta(weeks=weeks)
        assert (following_decision([ended], week, 0.5, RULE) is not None) is followed, weeks
    with pytest.raises(ValueError, match="only an interview under way has an end"):
        Decision("held", WEEK, 0.5, until=WEEK)

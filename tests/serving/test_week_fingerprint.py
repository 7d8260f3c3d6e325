"""The week's fingerprint with its rosters hashed column-wise (`serving.weekly.roster_digest`):
the same content gives the same fingerprint, any change of a roster row, a score or a
follow-up another one; and a week written under another form of the fingerprint (an upgrade)
is rewritten once, with the same lists, decisions and access."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import func, select, update

from serving.db import Store
from serving.db.enrollments import current_establishment
from serving.db.models import Dismissal, Enrollment, Interview, WeeklyRun
from serving.services import (
    AccessDenied,
    NewInterview,
    get_student_record,
    get_week_list,
)
from serving.services import record_interview as record
from serving.weekly import EstablishmentWeek, RosterStudent, ScoredStudent, replace_week_lists
from serving.weekly.roster_digest import roster_digest
from serving.weekly.store import week_fingerprint
from tests.serving.conftest import HOME_UAI, OTHER_UAI, WEEK, World, make_actor, week_input
from tests.serving.test_weekly_store import backdate, snapshot

NEXT_WEEK = WEEK + dt.timedelta(weeks=1)
MODEL = "vigie-dropout/3"  # the model the `world` fixture's week was written with


def fingerprint(inputs: list[EstablishmentWeek]) -> str:
    return week_fingerprint(WEEK, MODEL, 0.3, inputs)


def dated(inputs: list[EstablishmentWeek]) -> list[EstablishmentWeek]:
    """`inputs` with enrollment dates on every roster row (some ended)."""
    return [
        replace(
            e,
            roster=tuple(
                replace(
                    s,
                    enrolled_since=dt.date(2025, 9, 1) + dt.timedelta(days=i),
                    enrolled_until=dt.date(2026, 6, 30) if i % 2 else None,
                )
                for i, s in enumerate(e.roster)
            ),
        )
        for e in inputs
    ]


def with_roster(inputs: list[EstablishmentWeek], uai: str, change) -> list[EstablishmentWeek]:
    return [replace(e, roster=tuple(change(list(e.roster)))) if e.uai == uai else e for e in inputs]


def test_the_same_content_in_another_order_gives_the_same_fingerprint() -> None:
    inputs = dated(week_input())
    shuffled = [replace(e, roster=tuple(reversed(e.roster))) for e in reversed(inputs)]
    assert fingerprint(shuffled) == fingerprint(inputs)
    assert fingerprint(dated(week_input())) == fingerprint(inputs)  # rebuilt, equal objects


def _set(index: int, **values):
    def change(roster: list[RosterStudent]) -> list[RosterStudent]:
        roster[index] = replace(roster[index], **values)
        return roster

    return change


ROSTER_CHANGES = {
    "last name": _set(0, last_name="Autre"),
    "first name": _set(1, first_name="Autre"),
    "name becomes unknown": _set(0, last_name=None),
    "name becomes empty": _set(0, first_name=""),
    "enrolled since": _set(2, enrolled_since=dt.date(2025, 9, 2)),
    "enrollment ends": _set(0, enrolled_until=dt.date(2026, 2, 1)),
    "enrollment end unknown": _set(1, enrolled_until=None),
    "start becomes unknown": _set(0, enrolled_since=None),
    "student left": lambda roster: roster[:-1],
    "student added": lambda roster: [*roster, RosterStudent("H009", "Nom", "Prénom")],
    "letters moved between the names": _set(0, last_name="NomH00", first_name="1PrénomH001"),
}


@pytest.mark.parametrize("change", ROSTER_CHANGES.values(), ids=ROSTER_CHANGES.keys())
def test_any_change_of_a_roster_row_gives_another_fingerprint(change) -> None:
    inputs = dated(week_input())
    changed = with_roster(inputs, HOME_UAI, change)
    assert roster_digest(changed) != roster_digest(inputs)
    assert fingerprint(changed) != fingerprint(inputs)


def test_a_student_moved_to_another_establishment_gives_another_fingerprint() -> None:
    inputs = dated(week_input())
    home, other = inputs
    moved = [
        replace(home, roster=home.roster[:-1]),
        replace(other, roster=(*other.roster, home.roster[-1])),
    ]
    assert fingerprint(moved) != fingerprint(inputs)


def test_a_changed_score_gives_another_fingerprint() -> None:
    inputs = dated(week_input())
    home = inputs[0]
    first = home.scored[0]
    rescored = [replace(home, scored=(replace(first, risk=first.risk + 1e-9), *home.scored[1:]))]
    assert fingerprint([*rescored, inputs[1]]) != fingerprint(inputs)


def write(store: Store, as_of: dt.date, inputs: list[EstablishmentWeek]):
    return replace_week_lists(
        store, as_of=as_of, model_version=MODEL, establishments=inputs, watch_threshold=0.3
    )


def test_a_follow_up_recorded_since_gives_another_fingerprint(world: World) -> None:
    first = write(world.store, WEEK, week_input())
    assert first.changed is False  # the fixture's week, unchanged
    record(
        world.store,
        make_actor("watch_unit", HOME_UAI),
        NewInterview(student_id="H001", status="invited"),
    )
    backdate(world.store, "H001", WEEK)
    again = write(world.store, WEEK, week_input())
    assert again.changed is True and again.fingerprint != first.fingerprint


def decisions(store: Store) -> tuple:
    with store.reading() as session:
        return (
            session.execute(
                select(Interview.id, Interview.student_id, Interview.status, Interview.created_at)
                .order_by(Interview.id)
            ).all(),
            session.execute(select(Dismissal.student_id, Dismissal.week)).all(),
            session.execute(
                select(Enrollment.student_id, Enrollment.uai, Enrollment.start_date,
                       Enrollment.end_date).order_by(Enrollment.student_id, Enrollment.uai)
            ).all(),
        )  # fmt: skip


def seen(store: Store, uai: str, week: dt.date) -> list[tuple]:
    view = get_week_list(store, make_actor("watch_unit", uai), uai, week)
    return [(e.student_id, e.rank, e.tier, e.last_name) for e in view.entries]


def test_a_week_written_under_another_fingerprint_form_is_rewritten_once_the_same(
    world: World,
) -> None:
    """An upgrade: the weeks already written hold a fingerprint of the rosters' earlier form.
    Scoring such a week again (the newest, and a past one after a student moved) rewrites
    it once, with the same lists, decisions and access; then it is unchanged."""
    unit = make_actor("watch_unit", HOME_UAI)
    record(world.store, unit, NewInterview(student_id="H001", status="invited"))
    backdate(world.store, "H001", WEEK)
    home, other = week_input()
    moved = other.roster[0]  # O001 moves from OTHER to HOME the next week
    next_week = [
        replace(home, scored=(*home.scored, ScoredStudent("O001", 0.9)),
                roster=(*home.roster, moved)),
        replace(other, scored=other.scored[1:], roster=other.roster[1:]),
    ]  # fmt: skip
    write(world.store, WEEK, week_input())  # the interview's follow-up, in the current form
    write(world.store, NEXT_WEEK, next_week)

    def state() -> tuple:
        return (
            snapshot(world.store),
            decisions(world.store),
            [seen(world.store, uai, week) for uai in (HOME_UAI, OTHER_UAI)
             for week in (WEEK, NEXT_WEEK)],
        )  # fmt: skip

    before = state()
    for week, inputs in ((NEXT_WEEK, next_week), (WEEK, week_input())):
        with world.store.transaction() as session:  # as the code before the upgrade wrote it
            session.execute(
                update(WeeklyRun).where(WeeklyRun.week == week).values(fingerprint="earlier form")
            )
        rewritten = write(world.store, week, inputs)
        assert rewritten.changed is True
        assert write(world.store, week, inputs).changed is False
        assert state() == before
    with world.store.reading() as session:
        assert current_establishment(session, "O001") == HOME_UAI
        assert session.scalar(select(func.count()).select_from(WeeklyRun)) == 2
    assert get_student_record(world.store, unit, "O001").uai == HOME_UAI
    with pytest.raises(AccessDenied):
        get_student_record(world.store, make_actor("watch_unit", OTHER_UAI), "O001")
    with pytest.raises(AccessDenied):
        get_week_list(world.store, make_actor("watch_unit", OTHER_UAI), HOME_UAI, WEEK)

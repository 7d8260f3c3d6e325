"""Writing a week's lists: ranking, one transaction for all establishments, idempotence,
the marks (interview under way, dismissed recently) and the change since last week."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

import serving.weekly.store as weekly_store
from models.queue import Decision, FollowUpRule
from serving.db import Store, open_store
from serving.db.enrollments import current_establishment
from serving.db.models import AuditEntry, Interview, ListEntry, Student, WeeklyList, WeeklyRun
from serving.services import (
    InterviewChanges,
    NewDismissal,
    NewInterview,
    dismiss_student,
    get_week_list,
    update_interview,
)
from serving.services import record_interview as record
from serving.weekly import (
    EstablishmentWeek,
    RankedQueues,
    Reason,
    RosterStudent,
    ScoredStudent,
    rank_students,
    replace_week_lists,
)
from serving.weekly.decisions import decisions_of, load_follow_ups
from serving.weekly.student_risks import StudentRisks, WeekRisks
from tests.serving.conftest import (
    HOME_UAI,
    OTHER_UAI,
    WEEK,
    World,
    establishment,
    make_actor,
    week_input,
)

NEXT_WEEK = WEEK + dt.timedelta(weeks=1)


def snapshot(store: Store) -> list[tuple]:
    """Every list entry with its list's identity: what a reader of the lists would see."""
    with store.reading() as session:
        rows = session.execute(
            select(
                WeeklyList.uai,
                WeeklyList.week,
                WeeklyList.model_version,
                ListEntry.rank,
                ListEntry.tier,
                ListEntry.student_id,
                ListEntry.risk,
                ListEntry.risk_change,
                ListEntry.new_this_week,
                ListEntry.reasons,
            )
            .join(ListEntry, ListEntry.list_id == WeeklyList.id)
            .order_by(WeeklyList.week, WeeklyList.uai, ListEntry.rank)
        )
        return [tuple(row) for row in rows]


def write(store: Store, as_of: dt.date, inputs: list[EstablishmentWeek], model: str = "m/3"):
    return replace_week_lists(
        store, as_of=as_of, model_version=model, establishments=inputs, watch_threshold=0.3
    )


def ranks(risks, capacity, threshold, **queue) -> list[tuple[str, int, str]]:
    queue.setdefault("week", WEEK)
    ranked = rank_students(risks, capacity, threshold, **queue)
    return [(q.student_id, q.rank, q.part) for q in ranked]


def test_rank_students_fills_capacity_then_the_watch_tier() -> None:
    risks = [("b", 0.5), ("a", 0.5), ("c", 0.9), ("d", 0.31), ("e", 0.2), ("f", 0.35)]
    assert ranks(risks, 2, 0.3) == [
        ("c", 1, "invite"),
        ("a", 2, "invite"),
        ("b", 3, "watch"),
        ("f", 4, "watch"),
        ("d", 5, "watch"),
    ]
    assert ranks(risks, 2, None) == [("c", 1, "invite"), ("a", 2, "invite")]
    assert ranks(risks, 0, 0.6) == [("c", 1, "watch")]
    assert ranks(list(reversed(risks)), 2, 0.3) == ranks(risks, 2, 0.3)


def test_rank_students_gives_a_followed_students_slot_to_the_next_and_ranks_it_last() -> None:
    risks = [("a", 0.9), ("b", 0.5), ("c", 0.4), ("d", 0.1)]
    held = {"a": [Decision("held", WEEK - dt.timedelta(weeks=1), 0.85)]}
    assert ranks(risks, 2, 0.45, decisions=held) == [
        ("b", 1, "invite"),
        ("c", 2, "invite"),
        ("a", 3, "follow_up"),
    ]


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="not a probability"):
        ScoredStudent("x", 1.2)
    with pytest.raises(ValueError, match="not a probability"):
        ScoredStudent("x", float("nan"))
    with pytest.raises(ValueError, match="more than three"):
        ScoredStudent("x", 0.5, tuple(Reason("f", 1, 0, 0.1, "fr", "en") for _ in range(4)))
    with pytest.raises(ValueError, match="scored twice"):
        EstablishmentWeek(HOME_UAI, "n", 1, (ScoredStudent("x", 0.1), ScoredStudent("x", 0.2)))


def test_week_is_written_with_tiers_and_roster(world: World) -> None:
    rows = snapshot(world.store)
    assert [(uai, rank, tier, student) for uai, _, _, rank, tier, student, *_ in rows] == [
        (OTHER_UAI, 1, "invite", "O001"),
        (OTHER_UAI, 2, "watch", "O002"),
        (HOME_UAI, 1, "invite", "H001"),
        (HOME_UAI, 2, "invite", "H002"),
        (HOME_UAI, 3, "watch", "H003"),
    ]
    assert all(row[8] is True and row[7] is None for row in rows)  # all new, no change yet
    with world.store.reading() as session:
        # the whole roster is stored (H004 is not listed but may get an interview)
        assert session.get(Student, "H004").last_name == "NomH004"
        assert session.get(WeeklyRun, WEEK).entries == 5


def test_rewriting_the_same_week_and_model_changes_nothing(world: World) -> None:
    before = snapshot(world.store)
    with world.store.reading() as session:
        ids = session.scalars(select(ListEntry.id).order_by(ListEntry.id)).all()
        audits = session.scalar(select(func.count(AuditEntry.id)))
    result = write(world.store, WEEK, week_input(), model="vigie-dropout/3")
    assert result.changed is False
    assert snapshot(world.store) == before
    with world.store.reading() as session:
        assert session.scalars(select(ListEntry.id).order_by(ListEntry.id)).all() == ids
        assert session.scalar(select(func.count(AuditEntry.id))) == audits


def test_a_new_model_replaces_the_week(world: World) -> None:
    result = write(world.store, WEEK, week_input(), model="vigie-dropout/4")
    assert result.changed is True
    rows = snapshot(world.store)
    assert {row[2] for row in rows} == {"vigie-dropout/4"}
    assert len(rows) == 5


def test_next_week_carries_change_and_novelty(world: World) -> None:
    inputs = [
        establishment(
            HOME_UAI,
            "Collège Anne de Bretagne",
            2,
            {"H001": 0.50, "H002": 0.47, "H004": 0.40, "H003": 0.10},
        ),
        establishment(OTHER_UAI, "Lycée Brizeux", 1, {"O001": 0.70}),
    ]
    write(world.store, NEXT_WEEK, inputs)
    rows = {(row[5]): row for row in snapshot(world.store) if row[1] == NEXT_WEEK}
    assert rows["H001"][7] == pytest.approx(0.50 - 0.61)
    assert rows["H001"][8] is False
    assert rows["H004"][8] is True and rows["H004"][7] is None
    assert "H003" not in rows  # 0.10 is under the watch threshold
    assert len(snapshot(world.store)) == 5 + 4  # last week untouched


def backdate(store: Store, student_id: str, day: dt.date) -> None:
    """Interviews of `student_id` recorded on `day` (not on the real clock's day)."""
    at = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
    with store.transaction() as session:
        session.execute(
            update(Interview).where(Interview.student_id == student_id).values(created_at=at)
        )


def parts(store: Store, week: dt.date, uai: str = HOME_UAI) -> dict[str, str]:
    view = get_week_list(store, make_actor("watch_unit", uai), uai, week)
    return {entry.student_id: entry.tier for entry in view.entries}


def test_interview_under_way_and_dismissal_put_students_in_follow_up_marked(world: World) -> None:
    unit = make_actor("watch_unit", HOME_UAI)
    record(world.store, unit, NewInterview(student_id="H001", status="invited"))
    backdate(world.store, "H001", WEEK)
    dismiss_student(
        world.store, unit, NewDismissal(student_id="H002", reason="Déjà suivi", week=WEEK)
    )
    result = write(world.store, NEXT_WEEK, week_input())
    view = get_week_list(world.store, unit, HOME_UAI, NEXT_WEEK)
    marks = {e.student_id: (e.interview_under_way, e.dismissed_recently) for e in view.entries}
    assert marks == {
        "H001": (True, False),
        "H002": (False, True),
        "H003": (False, False),
        "H004": (False, False),
    }
    # Both followed students are apart; their two slots go to the next two students.
    assert [(e.rank, e.tier, e.student_id) for e in view.entries] == [
        (1, "invite", "H003"),
        (2, "invite", "H004"),
        (3, "follow_up", "H001"),
        (4, "follow_up", "H002"),
    ]
    follow = {e.student_id: e.follow_up for e in view.entries if e.follow_up is not None}
    assert follow["H001"].kind == "under_way" and follow["H001"].week == WEEK
    assert follow["H002"].kind == "dismissed" and follow["H002"].week == WEEK
    assert follow["H002"].risk_then == 0.44 and follow["H002"].risk_now == 0.44
    assert (result.invited, result.watched, result.followed) == (3, 1, 2)  # with OTHER_UAI
    # The totals are the establishments' parts added up, and the entries all of them.
    assert result.parts[HOME_UAI] == (2, 0, 2)
    assert result.entries == 6 == sum(sum(parts) for parts in result.parts.values())


def test_a_student_held_last_week_is_followed_and_the_slot_goes_to_the_next(
    world: World,
) -> None:
    """The issue's case: the interview held last week no longer brings the student back at
    the top; the student is in follow-up with the interview's date, solution and risks."""
    unit = make_actor("watch_unit", HOME_UAI)
    held_on = WEEK + dt.timedelta(days=2)
    record(
        world.store,
        unit,
        NewInterview(student_id="H001", status="held", interview_date=held_on, solution="tutoring"),
    )
    following = establishment(
        HOME_UAI, "Collège Anne de Bretagne", 2, {"H001": 0.65, "H002": 0.44, "H003": 0.32}
    )
    write(world.store, NEXT_WEEK, [following])
    view = get_week_list(world.store, unit, HOME_UAI, NEXT_WEEK)
    assert [(e.tier, e.student_id) for e in view.entries] == [
        ("invite", "H002"),
        ("invite", "H003"),
        ("follow_up", "H001"),
    ]
    follow = view.entries[-1].follow_up
    assert follow is not None
    assert (follow.kind, follow.week, follow.date, follow.solution) == (
        "held",
        WEEK,
        held_on,
        "tutoring",
    )
    assert (follow.risk_then, follow.risk_now) == (0.61, 0.65)  # last week's list, this week's
    with world.store.reading() as session:
        run = session.get(WeeklyRun, NEXT_WEEK)
        assert (run.held_weeks, run.dismissal_weeks, run.risk_margin) == (10, 8, 0.10)


def test_a_dismissal_expires_after_its_weeks(world: World) -> None:
    unit = make_actor("watch_unit", HOME_UAI)
    dismiss_student(world.store, unit, NewDismissal(student_id="H001", reason="Suivi", week=WEEK))
    rule = FollowUpRule(held_weeks=4, dismissal_weeks=2, risk_margin=0.1)
    for weeks, part in ((0, "follow_up"), (1, "follow_up"), (2, "invite"), (3, "invite")):
        week = WEEK + dt.timedelta(weeks=weeks)
        replace_week_lists(
            world.store,
            as_of=week,
            model_version="m/3",
            establishments=week_input(),
            watch_threshold=0.3,
            rule=rule,
        )
        assert parts(world.store, week)["H001"] == part, weeks
    with world.store.reading() as session:
        assert session.get(WeeklyRun, WEEK).dismissal_weeks == 2


def test_a_risk_rise_by_the_margin_brings_a_followed_student_back(world: World) -> None:
    unit = make_actor("watch_unit", HOME_UAI)
    record(world.store, unit, NewInterview(student_id="H002", status="held", interview_date=WEEK))
    for risk, part in ((0.53, "follow_up"), (0.54, "invite")):  # risk then: 0.44
        home = establishment(HOME_UAI, "Collège", 2, {"H001": 0.6, "H002": risk, "H003": 0.1})
        write(world.store, NEXT_WEEK, [home])
        assert parts(world.store, NEXT_WEEK)["H002"] == part, risk
    # A wider margin keeps the student in follow-up at the same risk.
    replace_week_lists(
        world.store,
        as_of=NEXT_WEEK,
        model_version="m/3",
        establishments=[home],
        watch_threshold=0.3,
        rule=FollowUpRule(risk_margin=0.2),
    )
    assert parts(world.store, NEXT_WEEK)["H002"] == "follow_up"


def test_capacity_goes_to_non_followed_students_and_followed_ones_never_count(
    world: World,
) -> None:
    unit = make_actor("watch_unit", HOME_UAI)
    for student_id in ("H001", "H002", "H003"):
        dismiss_student(
            world.store, unit, NewDismissal(student_id=student_id, reason="Suivi", week=WEEK)
        )
    result = write(world.store, NEXT_WEEK, week_input())
    # Three followed, one other student: one slot filled, none taken by a followed student.
    assert parts(world.store, NEXT_WEEK) == {
        "H004": "invite",
        "H001": "follow_up",
        "H002": "follow_up",
        "H003": "follow_up",
    }
    assert (result.invited, result.watched, result.followed) == (2, 1, 3)  # with OTHER_UAI
    many = establishment(HOME_UAI, "Collège", 2, {f"H{n:03d}": n / 20 for n in range(1, 11)})
    write(world.store, NEXT_WEEK, [many])
    shown = parts(world.store, NEXT_WEEK)
    assert [s for s, part in shown.items() if part == "invite"] == ["H010", "H009"]
    assert sorted(s for s, part in shown.items() if part == "follow_up") == ["H001", "H002", "H003"]


def test_a_decision_recorded_after_the_list_is_live_and_the_rerun_moves_the_slot(
    world: World,
) -> None:
    """The list written, an interview recorded on Monday: the entry is marked at once but
    keeps its slot; rerunning the week (same data, same model) writes the follow-up."""
    unit = make_actor("watch_unit", HOME_UAI)
    record(world.store, unit, NewInterview(student_id="H001", status="to_invite"))
    backdate(world.store, "H001", WEEK)
    view = get_week_list(world.store, unit, HOME_UAI, WEEK)
    assert (view.entries[0].student_id, view.entries[0].tier) == ("H001", "invite")
    assert view.entries[0].interview_under_way is True
    assert write(world.store, WEEK, week_input(), model="vigie-dropout/3").changed is True
    assert parts(world.store, WEEK)["H001"] == "follow_up"
    again = write(world.store, WEEK, week_input(), model="vigie-dropout/3")
    assert again.changed is False  # idempotent with the decisions too


def test_a_failure_midway_leaves_every_list_as_it_was(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(world.store)
    with world.store.reading() as session:
        run_before = session.get(WeeklyRun, WEEK).model_version
    calls = []
    real = weekly_store._establishment_entries

    def failing(*args, **kwargs):
        calls.append(args[1].uai)
        if len(calls) % 2 == 0:  # the week's lists are already written by then
            raise RuntimeError("store lost midway")
        return real(*args, **kwargs)

    monkeypatch.setattr(weekly_store, "_establishment_entries", failing)
    for week in (WEEK, NEXT_WEEK):  # replacing this week, and adding the next one
        with pytest.raises(RuntimeError, match="lost midway"):
            write(world.store, week, week_input(), model="vigie-dropout/9")
    assert len(calls) == 4
    assert snapshot(world.store) == before
    with world.store.reading() as session:
        assert session.get(WeeklyRun, WEEK).model_version == run_before
        assert session.get(WeeklyRun, NEXT_WEEK) is None


def test_a_failure_midway_with_follow_ups_keeps_the_lists_and_the_rule(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit = make_actor("watch_unit", HOME_UAI)
    record(world.store, unit, NewInterview(student_id="H001", status="held", interview_date=WEEK))
    before = snapshot(world.store)

    def failing(*args, **kwargs):
        raise RuntimeError("store lost midway")

    monkeypatch.setattr(weekly_store, "bump_all_list_revisions", failing)
    with pytest.raises(RuntimeError, match="lost midway"):
        write(world.store, WEEK, week_input(), model="vigie-dropout/3")
    assert snapshot(world.store) == before
    with world.store.reading() as session:
        assert session.get(WeeklyRun, WEEK).held_weeks == 10
        assert session.scalar(select(func.count()).where(ListEntry.tier == "follow_up")) == 0


def test_invalid_input_writes_nothing(world: World) -> None:
    before = snapshot(world.store)
    with pytest.raises(ValueError, match="twice"):
        write(world.store, NEXT_WEEK, week_input() + week_input()[:1])
    with pytest.raises(ValueError, match="probability"):
        replace_week_lists(
            world.store,
            as_of=NEXT_WEEK,
            model_version="m",
            establishments=week_input(),
            watch_threshold=1.5,
        )
    assert snapshot(world.store) == before


def test_numpy_values_and_nan_are_stored_as_json(tmp_path: Path) -> None:
    import numpy as np

    store = open_store(f"sqlite:///{tmp_path / 's.sqlite3'}")
    reason = Reason("absence_rate", np.float64(0.25), np.int64(3), np.float32(0.5), "fr", "en")
    student = ScoredStudent(
        "S1",
        float(np.float64(0.4)),
        (reason,),
        {
            "absence_rate": np.float64("nan"),
            "as_of": dt.date(2026, 11, 30),
            "ratio": float("inf"),
            "class": {"level": "3E", "size": np.int64(28), "share": float("nan")},
        },
    )
    week = EstablishmentWeek(HOME_UAI, "Collège", 1, (student,), (RosterStudent("S1"),))
    write(store, WEEK, [week])
    with store.reading() as session:
        entry = session.scalars(select(ListEntry)).one()
    assert entry.reasons[0]["value"] == 0.25
    assert entry.features_shown == {
        "absence_rate": None,
        "as_of": "2026-11-30",
        "ratio": None,
        "class": {"level": "3E", "size": 28, "share": None},
    }
    store.dispose()


def test_a_transferred_student_follows_the_roster(world: World) -> None:
    from serving.services import AccessDenied, get_student_record
    from tests.serving.conftest import make_actor

    moved = EstablishmentWeek(
        OTHER_UAI,
        "Lycée Brizeux",
        1,
        (ScoredStudent("H004", 0.9),),
        (RosterStudent("H004", "NomH004", "Nouveau"),),
    )
    home = EstablishmentWeek(
        HOME_UAI, "Collège Anne de Bretagne", 2, (ScoredStudent("H001", 0.5),)
    )  # scored, not on the roster
    write(world.store, NEXT_WEEK, [home, moved])
    with world.store.reading() as session:
        assert current_establishment(session, "H004") == OTHER_UAI
        assert session.get(Student, "H004").first_name == "Nouveau"
        assert session.get(Student, "H001").last_name == "NomH001"  # names already known kept
    record = get_student_record(world.store, make_actor("watch_unit", OTHER_UAI), "H004")
    assert (record.uai, record.first_name) == (OTHER_UAI, "Nouveau")
    with pytest.raises(AccessDenied):
        get_student_record(world.store, make_actor("watch_unit", HOME_UAI), "H004")


def test_scored_students_from_explanation_records() -> None:
    """The shape `models.explanations.Explanations.to_records()` documents."""
    record = {
        "student_id": "S1",
        "as_of": "2026-11-30",
        "uai": HOME_UAI,
        "row": 0,
        "risk": 0.42,
        "raw_score": -0.3,
        "base_value": -2.0,
        "reasons": [
            {
                "feature": f"f{rank}",
                "family": "attendance",
                "value": 12.0,
                "reference": 2.0,
                "reference_scope": "establishment",
                "contribution": 0.8,
                "share": 0.4,
                "direction": "up",
                "text": "fr",
                "text_fr": "fr",
                "text_en": "en",
            }
            for rank in range(4)
        ],
        "protective": [{"feature": "g", "share": 0.1}],
    }
    student = ScoredStudent.from_explanation(record, {"f0": 12.0})
    assert (student.student_id, student.risk, len(student.reasons)) == ("S1", 0.42, 3)
    assert student.reasons[0] == Reason(
        "f0", 12.0, 2.0, 0.4, "fr", "en", "attendance", "establishment", 0.8, "up"
    )
    assert student.features_shown == {"f0": 12.0}


def explainer_of(full: EstablishmentWeek, asked: list[tuple[str, str]]):
    """An explainer that hands back `full`'s explained students and notes whom it was
    asked for."""
    by_id = {student.student_id: student for student in full.scored}

    def explain(pairs):
        asked.extend(pairs)
        return [by_id[student_id] for _, student_id in pairs]

    return explain


def test_a_decision_recorded_between_scoring_and_writing_moves_the_slot(world: World) -> None:
    """The scorer queued the week with no decision (capacity 2, no watch tier: H001 and H002
    explained, nobody else); a dismissal of H001 is committed before the write. The write
    queues against it: H001 is in follow-up, its slot goes to H003, explained then."""
    unit = make_actor("watch_unit", HOME_UAI)
    risks = {"H001": 0.61, "H002": 0.44, "H003": 0.32, "H004": 0.05}
    full = establishment(HOME_UAI, "Collège Anne de Bretagne", 2, risks)
    scored = ranks(risks.items(), 2, None, week=NEXT_WEEK)
    assert scored == [("H001", 1, "invite"), ("H002", 2, "invite")]
    explained = replace(full, scored=full.scored[:2], risks=tuple(risks.items()))
    dismiss_student(
        world.store, unit, NewDismissal(student_id="H001", reason="Suivi", week=NEXT_WEEK)
    )
    before = snapshot(world.store)
    with pytest.raises(ValueError, match="H003 is in the week's queue but was not explained"):
        replace_week_lists(world.store, as_of=NEXT_WEEK, model_version="m/3",
                           establishments=[explained], watch_threshold=None)  # fmt: skip
    assert snapshot(world.store) == before  # nothing half-written
    asked: list[tuple[str, str]] = []
    result = replace_week_lists(
        world.store,
        as_of=NEXT_WEEK,
        model_version="m/3",
        establishments=[explained],
        watch_threshold=None,
        explain=explainer_of(full, asked),
    )
    assert asked == [(HOME_UAI, "H003")]
    assert result.parts == {HOME_UAI: (2, 0, 1)}
    view = get_week_list(world.store, unit, HOME_UAI, NEXT_WEEK)
    assert [(e.rank, e.tier, e.student_id) for e in view.entries] == [
        (1, "invite", "H002"),
        (2, "invite", "H003"),
        (3, "follow_up", "H001"),
    ]
    assert view.entries[1].reasons  # explained at write time like the others
    # The same input again, the decisions unchanged: nothing to do.
    again = replace_week_lists(world.store, as_of=NEXT_WEEK, model_version="m/3",
                               establishments=[explained], watch_threshold=None,
                               explain=explainer_of(full, asked))  # fmt: skip
    assert again.changed is False


def test_an_interview_recorded_between_scoring_and_writing_never_takes_a_slot(
    world: World,
) -> None:
    """The same race with an interview under way, through a write whose input was made by
    the scorer before it (the input's own follow-ups are not trusted)."""
    unit = make_actor("watch_unit", HOME_UAI)
    risks = {"H001": 0.61, "H002": 0.44, "H003": 0.32}
    full = establishment(HOME_UAI, "Collège Anne de Bretagne", 1, risks)
    explained = replace(full, scored=full.scored[:1], risks=tuple(risks.items()))
    record(world.store, unit, NewInterview(student_id="H001", status="invited"))
    backdate(world.store, "H001", NEXT_WEEK)
    asked: list[tuple[str, str]] = []
    replace_week_lists(world.store, as_of=NEXT_WEEK, model_version="m/3",
                       establishments=[explained], watch_threshold=None,
                       explain=explainer_of(full, asked))  # fmt: skip
    assert parts(world.store, NEXT_WEEK) == {"H002": "invite", "H001": "follow_up"}
    assert asked == [(HOME_UAI, "H002")]


def test_the_scorers_queues_are_taken_only_against_the_decisions_they_were_ranked_with(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The weekly run passes the queues it ranked and the decisions it ranked them against
    (`RankedQueues`): the write takes them, without ranking again, when its transaction reads
    the same decisions; a dismissal recorded in between makes it rank again, as without."""
    unit = make_actor("watch_unit", HOME_UAI)
    risks = {"H001": 0.61, "H002": 0.44, "H003": 0.32, "H004": 0.05}
    full = establishment(HOME_UAI, "Collège Anne de Bretagne", 2, risks)
    explained = replace(full, scored=full.scored[:3], risks=tuple(risks.items()))
    with world.store.reading() as session:
        decisions = decisions_of(load_follow_ups(session, NEXT_WEEK, risks))
    queue = rank_students(risks.items(), 2, None, week=NEXT_WEEK, decisions=decisions)
    ranked = RankedQueues({HOME_UAI: queue}, decisions)

    def unranked(*args, **kwargs):
        raise AssertionError("ranked again")

    with monkeypatch.context() as patched:
        patched.setattr(weekly_store, "rank_students", unranked)
        taken = replace_week_lists(world.store, as_of=NEXT_WEEK, model_version="m/3",
                                   establishments=[explained], watch_threshold=None,
                                   ranked=ranked)  # fmt: skip
    assert taken.parts == {HOME_UAI: (2, 0, 0)}
    assert parts(world.store, NEXT_WEEK) == {"H001": "invite", "H002": "invite"}
    # The same week written by the store's own ranking: the same week, nothing to do.
    again = replace_week_lists(world.store, as_of=NEXT_WEEK, model_version="m/3",
                               establishments=[explained], watch_threshold=None)  # fmt: skip
    assert again.changed is False and again.fingerprint == taken.fingerprint
    # A decision about a student none of the week's queues reads changes nothing.
    dismiss_student(
        world.store, make_actor("watch_unit", OTHER_UAI),
        NewDismissal(student_id="O001", reason="Suivi", week=NEXT_WEEK),
    )  # fmt: skip
    with monkeypatch.context() as patched:
        patched.setattr(weekly_store, "rank_students", unranked)
        elsewhere = replace_week_lists(world.store, as_of=NEXT_WEEK, model_version="m/3",
                                       establishments=[explained], watch_threshold=None,
                                       ranked=ranked)  # fmt: skip
    assert elsewhere.changed is False

    dismiss_student(
        world.store, unit, NewDismissal(student_id="H001", reason="Suivi", week=NEXT_WEEK)
    )
    asked: list[tuple[str, str]] = []
    moved = replace_week_lists(world.store, as_of=NEXT_WEEK, model_version="m/3",
                               establishments=[explained], watch_threshold=None,
                               explain=explainer_of(full, asked), ranked=ranked)  # fmt: skip
    assert moved.changed and moved.parts == {HOME_UAI: (2, 0, 1)}
    assert parts(world.store, NEXT_WEEK) == {"H002": "invite", "H003": "invite",
                                             "H001": "follow_up"}  # fmt: skip
    assert asked == []  # H003 was explained by the scorer


def test_the_weeks_risks_must_agree_with_the_explained_students() -> None:
    student = ScoredStudent("S1", 0.4)
    with pytest.raises(ValueError, match=r"S1 is explained with risk 0\.4 but has 0\.5"):
        EstablishmentWeek(HOME_UAI, "Collège", 1, (student,), risks=(("S1", 0.5),))
    with pytest.raises(ValueError, match="two risks"):
        EstablishmentWeek(HOME_UAI, "Collège", 1, (student,), risks=(("S1", 0.4), ("S1", 0.4)))


def stored_marks(store: Store, week: dt.date, uai: str = HOME_UAI) -> dict[str, tuple[bool, bool]]:
    """The marks the weekly write stored (interview under way, dismissed recently), as of
    the week (the API shows them live)."""
    with store.reading() as session:
        rows = session.execute(
            select(
                ListEntry.student_id, ListEntry.interview_under_way, ListEntry.dismissed_recently
            )
            .join(WeeklyList, ListEntry.list_id == WeeklyList.id)
            .where(WeeklyList.week == week, WeeklyList.uai == uai)
        )
        return {student: (under_way, dismissed) for student, under_way, dismissed in rows}


def test_a_past_week_written_again_sees_the_decisions_as_of_that_week(world: World) -> None:
    """An interview recorded in WEEK and held two weeks later, a dismissal two weeks later:
    NEXT_WEEK written again shows the interview under way (as it was then), not held, and
    the dismissal not yet; two weeks later both keep their students apart. Writing a past
    week twice gives the same list, and nobody's establishment changes."""
    unit = make_actor("watch_unit", HOME_UAI)
    later = WEEK + dt.timedelta(weeks=2)
    moved = EstablishmentWeek(OTHER_UAI, "Lycée Brizeux", 1, (ScoredStudent("H004", 0.9),),
                              (RosterStudent("H004", enrolled_since=later),))  # fmt: skip
    write(world.store, NEXT_WEEK, week_input())
    write(world.store, later, [week_input()[0], moved])
    view = record(world.store, unit, NewInterview(student_id="H001", status="invited"))
    backdate(world.store, "H001", WEEK)
    held_on = later + dt.timedelta(days=1)
    update_interview(world.store, unit, view.id,
                     InterviewChanges(status="held", interview_date=held_on))  # fmt: skip
    dismiss_student(world.store, unit, NewDismissal(student_id="H002", reason="Suivi", week=later))

    write(world.store, NEXT_WEEK, week_input())
    shown = get_week_list(world.store, unit, HOME_UAI, NEXT_WEEK)
    assert [(e.tier, e.student_id) for e in shown.entries] == [
        ("invite", "H002"),
        ("invite", "H003"),
        ("follow_up", "H001"),
    ]
    assert shown.entries[-1].follow_up.kind == "under_way"
    assert stored_marks(world.store, NEXT_WEEK) == {
        "H001": (True, False),
        "H002": (False, False),
        "H003": (False, False),
    }
    before = snapshot(world.store)
    assert write(world.store, NEXT_WEEK, week_input()).changed is False
    assert snapshot(world.store) == before

    write(world.store, later, [week_input()[0], moved])
    shown = get_week_list(world.store, unit, HOME_UAI, later)
    follow = {e.student_id: e.follow_up.kind for e in shown.entries if e.follow_up is not None}
    assert follow == {"H001": "held", "H002": "dismissed"}
    assert stored_marks(world.store, later)["H001"] == (False, False)  # held by then
    assert stored_marks(world.store, later)["H002"] == (False, True)
    write(world.store, WEEK, week_input())  # the oldest week, written last
    with world.store.reading() as session:
        assert current_establishment(session, "H004") == OTHER_UAI


def test_a_past_week_with_a_decision_of_that_week_rewritten_twice_gives_the_same_list(
    world: World,
) -> None:
    """An interview held in WEEK; WEEK written again with a new model whose risks differ:
    the risk then is the new write's own (not the replaced list's), so writing it once more
    with the same input changes nothing."""
    unit = make_actor("watch_unit", HOME_UAI)
    record(world.store, unit, NewInterview(student_id="H001", status="held", interview_date=WEEK))
    new = [establishment(HOME_UAI, "Collège Anne de Bretagne", 2,
                         {"H001": 0.30, "H002": 0.44, "H003": 0.32, "H004": 0.05})]  # fmt: skip
    assert write(world.store, WEEK, new, model="m/4").changed is True
    first = snapshot(world.store)
    shown = get_week_list(world.store, unit, HOME_UAI, WEEK)
    followed = [e for e in shown.entries if e.tier == "follow_up"]
    assert [(e.student_id, e.follow_up.risk_then) for e in followed] == [("H001", 0.30)]
    again = write(world.store, WEEK, new, model="m/4")
    assert again.changed is False
    assert snapshot(world.store) == first


class _NoDictRisks(WeekRisks):
    """Every student's risk column-wise, failing if a lookup made them a dict."""

    def _all(self) -> dict[str, float]:
        raise AssertionError("every student's risk made a dict")


def test_a_decision_of_the_week_takes_its_risk_without_a_dict_of_every_student(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The risk then of a dismissal recorded in the week written is the risk the write gives
    the student, looked up in every student's risks held column-wise as in a dict of them;
    the write itself looks them up the same way."""
    unit = make_actor("watch_unit", HOME_UAI)
    write(world.store, NEXT_WEEK, week_input())
    dismiss_student(
        world.store, unit, NewDismissal(student_id="H001", reason="Suivi", week=NEXT_WEEK)
    )
    pairs = [("H001", 0.7), ("H002", 0.2), ("O001", 0.9)]
    everyone = _NoDictRisks(
        [StudentRisks.from_pairs(pairs[:2]), StudentRisks.from_pairs(pairs[2:])]
    )
    with world.store.reading() as session:
        got = load_follow_ups(session, NEXT_WEEK, everyone)
        assert got == load_follow_ups(session, NEXT_WEEK, dict(pairs))
    assert got["H001"][0].decision == Decision("dismissed", NEXT_WEEK, 0.7)
    monkeypatch.setattr(weekly_store, "WeekRisks", _NoDictRisks)
    again = write(world.store, NEXT_WEEK, week_input())
    assert again.parts[HOME_UAI][2] == 1  # H001 in follow-up, the week written again

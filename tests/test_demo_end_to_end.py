"""`vigie demo` end to end on a small académie: it trains, makes the model champion, writes
the lists of its weeks to the store with a synthetic watch unit's decisions in the past weeks,
and creates one demo user of each role."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import select

import vigie.demo as demo
from features.calendar import calendar_for, monday_on_or_before, school_year_of
from features.store import read_features
from features.synth import load_config
from serving.db import enrollments, open_store
from serving.db.engine import Store
from serving.db.models import AuditEntry, Dismissal, Interview, ListEntry, WeeklyList, WeeklyRun
from serving.services import authenticate_password, get_student_record, get_week_list, list_users
from serving.services.actor import Actor
from serving.services.dashboard_scope import visible_establishments
from settings import Settings, load_settings
from vigie.demo_history import DEMO_ACTOR_NAME, demo_weeks, score_demo_weeks
from vigie.demo_serving import DEMO_PASSWORD

SMALL = {"establishments": 6, "students": 1500, "years": 4, "seed": 9}


def test_the_demo_ends_with_this_weeks_lists_and_a_user_of_each_role(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path))
    monkeypatch.delenv("VIGIE_DATABASE_URL", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setattr(demo, "load_config", lambda: load_config(overrides=SMALL))
    console = Console(record=True, width=200)
    request_date = enrollments.request_date

    demo.run_demo(Settings(home=tmp_path), console)

    assert enrollments.request_date is request_date  # the demo's clock is put back

    text = console.export_text()
    assert "Champion: vigie-dropout version 1" in text
    assert DEMO_PASSWORD in text  # the demo logins are printed
    as_of = demo.demo_as_of(load_config(overrides=SMALL).extraction_date)
    store = open_store(load_settings().resolved_database_url)
    try:
        users = {user.username: user for user in list_users(store, Actor.operator("test"))}
        assert {user.role for user in users.values()} == {
            "watch_unit", "inspector", "data_scientist", "admin", "mlds"
        }  # fmt: skip
        watch_unit = authenticate_password(store, "cpe.demo", DEMO_PASSWORD)
        (uai,) = watch_unit.establishments
        # The MLDS user's bassin is the demo watch unit's establishment.
        assert authenticate_password(store, "mlds.demo", DEMO_PASSWORD).establishments == {uai}
        week = get_week_list(store, watch_unit, uai, as_of)
        assert week.entries, "the watch unit's establishment has a list this week"
        assert all(entry.reasons for entry in week.entries if entry.tier == "invite")
        # The demo's watch unit works where the most students are "to watch" this week, so
        # that the dashboard shows both tiers.
        inspector = Actor("reader", "inspector")
        watched = {
            other: sum(entry.tier == "watch" for entry in get_week_list(
                store, inspector, other, as_of).entries)
            for other in {choice.uai for choice in visible_establishments(store, inspector)}
        }  # fmt: skip
        assert watched[uai] == max(watched.values())
        _assert_a_school_year_in_motion(store, as_of, inspector)
        _assert_run_again_keeps_the_decisions(store, Settings(home=tmp_path), as_of)
    finally:
        store.dispose()


def _assert_run_again_keeps_the_decisions(store: Store, settings: Settings, as_of: dt.date) -> None:
    """Writing the demo's weeks again (a demo run again on its store) records no decision."""

    def decisions() -> tuple[int, int, int]:
        with store.reading() as session:
            return (
                len(session.scalars(select(Interview.id)).all()),
                len(session.scalars(select(Dismissal.id)).all()),
                sum(session.scalars(select(Interview.revision)).all()),
            )

    before = decisions()
    weeks = demo_weeks(as_of)[-3:]
    again = score_demo_weeks(
        settings.demo_extraction,
        lambda week: read_features(settings.features_dir / f"demo-{week}.parquet"),
        weeks,
        seed=SMALL["seed"],
    )
    assert [week.written.week for week in again] == weeks
    assert all(week.decisions == 0 for week in again)
    assert decisions() == before


def _assert_a_school_year_in_motion(store: Store, as_of: dt.date, inspector: Actor) -> None:
    """The demo wrote its weeks oldest first, with decisions in the past weeks: the later
    lists have students in follow-up and students seen before, and a student's risk history
    has several weeks."""
    weeks = demo_weeks(as_of)
    assert len(weeks) >= 8
    with store.reading() as session:
        assert list(session.scalars(select(WeeklyRun.week).order_by(WeeklyRun.week))) == weeks
        entries = session.execute(
            select(
                WeeklyList.week, ListEntry.student_id, ListEntry.tier, ListEntry.new_this_week
            ).join(WeeklyList, ListEntry.list_id == WeeklyList.id)
        ).all()
        interviews = session.scalars(select(Interview)).all()
        dismissals = session.scalars(select(Dismissal)).all()
        audited = Counter(
            session.scalars(select(AuditEntry.action).where(AuditEntry.username == DEMO_ACTOR_NAME))
        )
    last = [entry for entry in entries if entry.week == as_of]
    first = [entry for entry in entries if entry.week == weeks[0]]
    assert all(entry.new_this_week for entry in first)  # nothing written before
    assert not any(entry.tier == "follow_up" for entry in first)
    assert sum(entry.tier == "follow_up" for entry in last) >= 5
    assert 0 < sum(entry.new_this_week for entry in last) < len(last)

    # The synthetic watch unit decided about part of each past week's invited students, on
    # class days of those weeks, and every decision is audited under its name.
    calendar = calendar_for(school_year_of(as_of))
    held = [i for i in interviews if i.status == "held"]
    under_way = [i for i in interviews if i.status == "invited"]
    assert held and under_way and dismissals
    assert {i.created_by for i in interviews} | {d.created_by for d in dismissals} == {
        DEMO_ACTOR_NAME
    }  # fmt: skip
    assert all(i.solution is not None and calendar.is_class_day(i.interview_date) for i in held)
    assert all(calendar.is_class_day(i.created_at.date()) for i in interviews)
    assert all(weeks[0] <= monday_on_or_before(i.created_at.date()) < as_of for i in interviews)
    assert all(weeks[0] <= d.week < as_of for d in dismissals)
    assert audited["record_interview"] == len(interviews)
    assert audited["dismiss"] == len(dismissals)
    assert audited["update_interview"] == sum(i.revision - 1 for i in interviews)

    # The students of the last week's lists seen before have a risk history of several weeks.
    seen = Counter(entry.student_id for entry in entries)
    student = max(sorted(seen), key=lambda student_id: seen[student_id])
    history = get_student_record(store, inspector, student).history
    assert len({point.week for point in history}) == seen[student] >= 3

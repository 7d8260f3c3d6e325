"""On PostgreSQL (READ COMMITTED), a decision cannot commit between the weekly write's read
of the decisions and its commit (`serving.db.decision_lock`): it waits, so no written list
spends a slot on a student followed by then."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import serving.weekly.store as weekly_store
from serving.db import Store, open_store
from serving.services import NewDismissal, dismiss_student, get_week_list
from serving.weekly import replace_week_lists
from tests.postgres.conftest import Server
from tests.serving.conftest import HOME_UAI, WEEK, make_actor, week_input

NEXT_WEEK = WEEK + dt.timedelta(weeks=1)


@pytest.fixture
def store(postgres: Server) -> Iterator[Store]:
    store = open_store(postgres.new_database())
    yield store
    store.dispose()


def _write(store: Store, week: dt.date) -> None:
    replace_week_lists(store, as_of=week, model_version="m/3", establishments=week_input(),
                       watch_threshold=0.3)  # fmt: skip


def test_a_dismissal_waits_for_the_weekly_write_that_read_the_decisions(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(store, WEEK)
    unit = make_actor("watch_unit", HOME_UAI)
    real = weekly_store.load_follow_ups
    race: dict[str, Any] = {}

    def dismiss() -> None:
        new = NewDismissal(student_id="H001", reason="Suivi", week=NEXT_WEEK)
        race["dismissal"] = dismiss_student(store, unit, new)

    def read_then_race(*args: Any, **kwargs: Any):
        follow_ups = real(*args, **kwargs)
        thread = threading.Thread(target=dismiss)
        thread.start()
        thread.join(1.0)  # without the lock it commits well within a second
        race["waited"] = thread.is_alive()
        race["thread"] = thread
        return follow_ups

    monkeypatch.setattr(weekly_store, "load_follow_ups", read_then_race)
    _write(store, NEXT_WEEK)
    race["thread"].join(30)
    assert race["waited"] is True
    assert "dismissal" in race  # committed once the week was
    monkeypatch.setattr(weekly_store, "load_follow_ups", real)
    view = get_week_list(store, unit, HOME_UAI, NEXT_WEEK)
    # The list written agreed with the decisions it read (none); the next write sees it.
    assert [(e.tier, e.student_id) for e in view.entries][:2] == [
        ("invite", "H001"),
        ("invite", "H002"),
    ]
    _write(store, NEXT_WEEK)
    view = get_week_list(store, unit, HOME_UAI, NEXT_WEEK)
    assert {e.student_id: e.tier for e in view.entries}["H001"] == "follow_up"

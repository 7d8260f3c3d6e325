"""The hostile reads over time of `tests/serving/test_enrollment.py`, on PostgreSQL: weeks
written out of order move nobody; notes stay with the school that wrote them; an unknown id
and another school's student look the same to a watch unit. The same scenarios, run on a
store that `VIGIE_DATABASE_URL` points at PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from serving.api.deps import API_THROTTLE
from serving.db import Store, open_store
from serving.throttle import Throttle
from tests.postgres.conftest import Server
from tests.serving import test_enrollment as scenarios
from tests.serving.conftest import (
    TODAY,
    WEEK,
    LiveServer,
    World,
    make_users,
    week_input,
)


@pytest.fixture(autouse=True)
def request_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("serving.db.enrollments.request_date", lambda: TODAY)


@pytest.fixture
def world(postgres: Server) -> Iterator[World]:
    """The SQLite world of tests/serving (this week written, one user of each role), on a
    fresh PostgreSQL database."""
    from serving.weekly import replace_week_lists

    url = postgres.new_database()
    store: Store = open_store(url)
    replace_week_lists(
        store,
        as_of=WEEK,
        model_version="vigie-dropout/3",
        establishments=week_input(),
        watch_threshold=0.3,
    )
    yield World(store, make_users(store), url)
    store.dispose()


@pytest.fixture
def api(world: World, live_server: LiveServer) -> Iterator[httpx.Client]:
    live_server.app.state.store = world.store
    live_server.app.state.auth_throttle = Throttle(API_THROTTLE)
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        yield client


@pytest.mark.parametrize("order", scenarios.ORDERS)
def test_weeks_written_in_any_order_move_nobody_on_postgresql(world: World, order: str) -> None:
    assert world.store.engine.dialect.name == "postgresql"
    scenarios.test_writing_weeks_in_any_order_changes_nobodys_access(world, order)


@pytest.mark.parametrize("order", scenarios.ORDERS)
def test_weeks_written_in_any_order_move_nobody_through_the_api_on_postgresql(
    api: httpx.Client, world: World, order: str
) -> None:
    scenarios.test_writing_weeks_in_any_order_changes_nobodys_access_through_the_api(
        api, world, order
    )


def test_notes_stay_with_their_school_on_postgresql(world: World) -> None:
    scenarios.test_notes_and_reasons_stay_with_the_school_that_wrote_them(world)


def test_unknown_and_elsewhere_look_the_same_on_postgresql(world: World, api: httpx.Client) -> None:
    scenarios.test_an_unknown_id_and_another_schools_student_look_the_same_to_a_watch_unit(
        world, api
    )

"""The operational store on PostgreSQL (`VIGIE_DATABASE_URL=postgresql+psycopg://...`), on a
real server: migrations, the weekly lists in one idempotent transaction, the service layer's
access control through the API, the append-only audit log (ORM and trigger), and 50
concurrent clients recording interviews without losing a write."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from alembic import command
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from serving.db import Store, current_revision, head_revision, open_store
from serving.db.migrate import alembic_config
from serving.db.models import AuditEntry, ListEntry, WeeklyList
from serving.weekly import replace_week_lists
from tests.postgres.conftest import Server
from tests.serving.conftest import (
    HOME_UAI,
    OTHER_UAI,
    WEEK,
    LiveServer,
    make_users,
    week_input,
)
from tests.serving.fifty_clients import fifty_clients_record_interviews

CLIENTS = 50


@pytest.fixture
def store(postgres: Server) -> Iterator[Store]:
    store = open_store(postgres.new_database())
    yield store
    store.dispose()


def _write_week(store: Store) -> None:
    replace_week_lists(
        store, as_of=WEEK, model_version="vigie-dropout/3", establishments=week_input(),
        watch_threshold=0.3,
    )  # fmt: skip


def _counts(store: Store) -> tuple[int, int]:
    with store.reading() as session:
        return (
            session.scalar(select(func.count(WeeklyList.id))),
            session.scalar(select(func.count(ListEntry.id))),
        )


def test_migrations_reach_head_on_postgresql(store: Store) -> None:
    assert store.engine.dialect.name == "postgresql"
    assert current_revision(store.engine) == head_revision(store.engine)
    assert {"weekly_lists", "list_entries", "interviews", "audit_log", "users"} <= set(
        inspect(store.engine).get_table_names()
    )


def test_a_0002_store_upgrades_to_enrollments_and_back_on_postgresql(store: Store) -> None:
    from tests.serving.test_migrations import check_upgrade_of_a_0002_store

    config = alembic_config(store.engine)
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    check_upgrade_of_a_0002_store(store)


def test_weekly_lists_are_written_once_and_rewritten_idempotently(store: Store) -> None:
    _write_week(store)
    first = _counts(store)
    assert first[0] == 2 and first[1] > 0
    _write_week(store)  # the same week again: nothing changes
    assert _counts(store) == first


def test_a_failure_midway_leaves_the_previous_lists(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from serving.weekly import store as weekly_store

    _write_week(store)
    before = _counts(store)
    with store.reading() as session:
        versions = set(session.scalars(select(WeeklyList.model_version)))
    real, calls = weekly_store._establishment_entries, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the week's lists are already written by then
            raise RuntimeError("store lost midway")
        return real(*args, **kwargs)

    monkeypatch.setattr(weekly_store, "_establishment_entries", failing)
    with pytest.raises(RuntimeError, match="lost midway"):
        replace_week_lists(store, as_of=WEEK, model_version="vigie-dropout/9",
                           establishments=week_input(), watch_threshold=0.3)  # fmt: skip
    assert _counts(store) == before
    with store.reading() as session:
        assert set(session.scalars(select(WeeklyList.model_version))) == versions


def test_the_audit_log_is_append_only_in_the_database_itself(store: Store) -> None:
    _write_week(store)
    with store.reading() as session:
        assert session.scalar(select(func.count(AuditEntry.id))) > 0
    for statement in ("UPDATE audit_log SET outcome = 'denied'", "DELETE FROM audit_log",
                      "TRUNCATE audit_log"):  # fmt: skip
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
            connection.execute(text(statement))


def test_the_api_on_postgresql_scopes_names_and_refusals(
    store: Store, live_server: LiveServer
) -> None:
    _write_week(store)
    tokens = make_users(store)
    live_server.app.state.store = store
    path = f"/v1/establishments/{HOME_UAI}/lists/{WEEK.isoformat()}"
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        own = http.get(path, headers={"Authorization": f"Bearer {tokens.watch_unit}"})
        other = http.get(path, headers={"Authorization": f"Bearer {tokens.other_watch_unit}"})
        inspector = http.get(path, headers={"Authorization": f"Bearer {tokens.inspector}"})
    assert own.status_code == 200 and "NomH001" in own.text
    assert other.status_code == 403 and "H001" not in other.text
    assert inspector.status_code == 200 and "NomH001" not in inspector.text
    with store.reading() as session:
        denied = session.scalar(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.outcome == "denied", AuditEntry.uai == HOME_UAI
            )
        )
    assert denied == 1
    assert OTHER_UAI not in own.text


def test_fifty_clients_lose_no_write_on_postgresql(store: Store, live_server: LiveServer) -> None:
    fifty_clients_record_interviews(store, live_server, make_users(store).watch_unit)


def test_the_cached_list_follows_interviews_on_postgresql(store: Store) -> None:
    from serving.services import NewInterview, record_interview
    from serving.services.lists import week_list_json
    from tests.serving.conftest import make_actor

    _write_week(store)
    unit = make_actor("watch_unit", HOME_UAI)

    def under_way(student_id: str) -> bool:
        body = json.loads(week_list_json(store, unit, HOME_UAI, WEEK))
        return {e["student_id"]: e for e in body["entries"]}[student_id]["interview_under_way"]

    assert under_way("H002") is False
    hits = store.list_payloads.hits
    assert under_way("H002") is False and store.list_payloads.hits == hits + 1
    record_interview(store, unit, NewInterview(student_id="H002", status="invited"))
    assert under_way("H002") is True

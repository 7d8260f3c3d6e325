"""The stop switch on PostgreSQL, through the API of a live server: a suspended
establishment's list (cached before or not) and its students' records answer 503 with who
suspended and why, the other establishment is served; the weekly run stores the next week
but does not publish it; resuming serves both weeks again; every suspension and resumption
stays in the history and in the audit log (who, why), the chain intact; only admins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from serving.db import Store, open_store
from serving.db.audit_chain import verify_chain
from serving.db.models import AuditEntry, Suspension, WeeklyList
from serving.services import AccessDenied
from serving.services.suspensions import list_suspensions, resume, suspend
from serving.weekly import replace_week_lists
from tests.postgres.conftest import Server
from tests.serving.conftest import (
    HOME_UAI,
    OPERATOR,
    OTHER_UAI,
    WEEK,
    LiveServer,
    Tokens,
    make_actor,
    make_users,
    week_input,
)

REASON = "Contrôle de la liste après une anomalie signalée"
NEXT = WEEK + dt.timedelta(days=7)


@pytest.fixture
def store(postgres: Server) -> Iterator[Store]:
    store = open_store(postgres.new_database())
    yield store
    store.dispose()


def _write(store: Store, week: dt.date) -> tuple[str, ...]:
    written = replace_week_lists(
        store, as_of=week, model_version="vigie-dropout/3", establishments=week_input(),
        watch_threshold=0.3,
    )  # fmt: skip
    assert written.changed
    return written.withheld


def _client(store: Store, live_server: LiveServer) -> httpx.Client:
    live_server.app.state.store = store
    return httpx.Client(base_url=live_server.url, timeout=30)


def _get(http: httpx.Client, tokens: Tokens, role: str, path: str) -> httpx.Response:
    return http.get(path, headers={"Authorization": f"Bearer {getattr(tokens, role)}"})


def _list(uai: str, week: dt.date) -> str:
    return f"/v1/establishments/{uai}/lists/{week.isoformat()}"


def test_suspend_refuse_store_unpublished_resume_and_keep_the_history(
    store: Store, live_server: LiveServer
) -> None:
    assert store.engine.dialect.name == "postgresql"
    assert _write(store, WEEK) == ()
    tokens = make_users(store)
    with _client(store, live_server) as http:
        before = _get(http, tokens, "watch_unit", _list(HOME_UAI, WEEK))
        assert before.status_code == 200  # now in the list cache

        suspend(store, OPERATOR, HOME_UAI, REASON)
        for role in ("watch_unit", "inspector"):  # cached or not: the check comes first
            refused = _get(http, tokens, role, _list(HOME_UAI, WEEK))
            assert refused.status_code == 503, role
            detail = refused.json()["detail"]
            assert REASON in detail and HOME_UAI in detail and OPERATOR.username in detail
            assert "NomH001" not in refused.text
        record = _get(http, tokens, "watch_unit", "/v1/students/H001")
        assert record.status_code == 503 and REASON in record.json()["detail"]
        other = _get(http, tokens, "other_watch_unit", _list(OTHER_UAI, WEEK))
        assert other.status_code == 200 and other.json()["entries"]
        # Out of scope stays a 403: the suspension is not told to who may not read the list.
        assert _get(http, tokens, "other_watch_unit", _list(HOME_UAI, WEEK)).status_code == 403

        # The weekly run computes and stores the next week, but does not publish it.
        assert _write(store, NEXT) == (HOME_UAI,)
        with store.reading() as session:
            stored = session.scalar(
                select(func.count()).select_from(WeeklyList).where(WeeklyList.week == NEXT)
            )
        assert stored == 2
        assert _get(http, tokens, "inspector", _list(HOME_UAI, NEXT)).status_code == 503
        assert _get(http, tokens, "inspector", _list(OTHER_UAI, NEXT)).status_code == 200

        resume(store, OPERATOR, HOME_UAI, "Liste vérifiée")
        for week in (WEEK, NEXT):
            served = _get(http, tokens, "watch_unit", _list(HOME_UAI, week))
            assert served.status_code == 200 and "NomH001" in served.text
            assert served.json()["week"] == week.isoformat()
        assert _get(http, tokens, "watch_unit", "/v1/students/H001").status_code == 200

    # The history: who suspended, when and why, who resumed and why; rows kept.
    [history] = list_suspensions(store, OPERATOR)
    assert (history.uai, history.reason, history.suspended_by) == (
        HOME_UAI, REASON, OPERATOR.username,
    )  # fmt: skip
    assert history.resumed_at is not None and history.resume_reason == "Liste vérifiée"
    with store.reading() as session:
        audited = session.execute(
            select(AuditEntry.action, AuditEntry.username, AuditEntry.uai, AuditEntry.detail)
            .where(AuditEntry.action.in_(("suspend", "resume")))
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(row) for row in audited] == [
        ("suspend", OPERATOR.username, HOME_UAI, REASON),
        ("resume", OPERATOR.username, HOME_UAI, "Liste vérifiée"),
    ]
    assert verify_chain(store).intact


def test_every_establishment_suspended_then_resumed_on_postgresql(
    store: Store, live_server: LiveServer
) -> None:
    _write(store, WEEK)
    tokens = make_users(store)
    suspend(store, OPERATOR, HOME_UAI, "vérification locale")
    suspend(store, OPERATOR, None, "incident sur l'extraction")
    assert set(_write(store, NEXT)) == {HOME_UAI, OTHER_UAI}  # stored, none published
    with _client(store, live_server) as http:
        for uai, role in ((HOME_UAI, "watch_unit"), (OTHER_UAI, "other_watch_unit")):
            refused = _get(http, tokens, role, _list(uai, NEXT))
            assert refused.status_code == 503
        assert "every establishment" in _get(
            http, tokens, "inspector", _list(OTHER_UAI, WEEK)
        ).json()["detail"]
        lifted = resume(store, OPERATOR, None, "incident clos")
        assert {row.uai for row in lifted} == {HOME_UAI, None}
        for uai in (HOME_UAI, OTHER_UAI):
            assert _get(http, tokens, "inspector", _list(uai, NEXT)).status_code == 200
    with store.reading() as session:
        rows = session.execute(
            select(Suspension.uai, Suspension.resumed_by).order_by(Suspension.id)
        ).all()
    assert [tuple(row) for row in rows] == [
        (HOME_UAI, OPERATOR.username),
        (None, OPERATOR.username),
    ]


@pytest.mark.parametrize("role", ["watch_unit", "inspector", "data_scientist"])
def test_only_admins_suspend_or_resume_on_postgresql(store: Store, role: str) -> None:
    _write(store, WEEK)
    actor = make_actor(role, HOME_UAI) if role == "watch_unit" else make_actor(role)
    with pytest.raises(AccessDenied, match="only admins"):
        suspend(store, actor, HOME_UAI, REASON)
    suspend(store, OPERATOR, HOME_UAI, REASON)
    with pytest.raises(AccessDenied, match="only admins"):
        resume(store, actor, HOME_UAI, "fin")
    assert [row.resumed_at for row in list_suspensions(store, OPERATOR)] == [None]
    with store.reading() as session:
        denied = session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.username == actor.username, AuditEntry.outcome == "denied"
            )
        ).all()
    assert sorted(denied) == ["resume", "suspend"]

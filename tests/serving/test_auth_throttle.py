"""The API under a flood of bad tokens: 429 with Retry-After once an address has failed too
often (even with a valid token, unchecked), and a bounded number of audit rows."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from serving.api.deps import API_THROTTLE
from serving.db.models import AuditEntry
from tests.serving.conftest import HOME_UAI, WEEK, LiveServer, World

LIST = f"/v1/establishments/{HOME_UAI}/lists/{WEEK.isoformat()}"
BAD = {"Authorization": "Bearer vigie_0123456789abcdef_" + "A" * 43}


def rows(world: World, action: str) -> int:
    with world.store.reading() as session:
        return session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
        )


def test_a_flood_of_bad_tokens_is_locked_out_with_bounded_audit_rows(
    api: httpx.Client, world: World
) -> None:
    statuses = [api.get(LIST, headers=BAD).status_code for _ in range(300)]
    assert statuses[: API_THROTTLE.lock_after] == [401] * API_THROTTLE.lock_after
    assert set(statuses[API_THROTTLE.lock_after :]) == {429}
    refused = api.get(LIST, headers=world.headers("watch_unit"))  # a valid token: unchecked
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= API_THROTTLE.lock_for
    assert api.get("/v1/me", headers=world.headers("watch_unit")).status_code == 429
    assert rows(world, "authenticate") == API_THROTTLE.log_each
    assert rows(world, "authentication_flood") == 1
    with world.store.reading() as session:
        note = session.scalar(
            select(AuditEntry.detail).where(AuditEntry.action == "authentication_flood")
        )
    assert note.startswith(f"{API_THROTTLE.lock_after} failed attempts for address 127.0.0.1")


def test_a_few_bad_tokens_do_not_lock_a_valid_one_out(api: httpx.Client, world: World) -> None:
    for _ in range(API_THROTTLE.lock_after - 1):
        assert api.get(LIST, headers=BAD).status_code == 401
    assert api.get(LIST, headers=world.headers("watch_unit")).status_code == 200
    assert api.get("/v1/me", headers=world.headers("watch_unit")).status_code == 200


def test_the_throttle_counts_per_app_and_address(
    live_server: LiveServer, api: httpx.Client
) -> None:
    api.get(LIST, headers=BAD)
    assert len(live_server.app.state.auth_throttle) == 1

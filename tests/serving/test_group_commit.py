"""The audit log's group commit and the one-statement token check keep every guarantee of a
transaction per read: each entry is committed (seen by another connection) before its read
returns, none is lost under 50 concurrent callers, a bad entry fails its own caller only, and
a disabled user, an expired token or a removed scope counts at the very next request."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from serving.db.audit_chain import append_entries
from serving.db.group_commit import GroupCommit
from serving.db.models import AuditEntry, User, UserScope
from serving.services import NotAuthenticated, authenticate_token, disable_user
from serving.services.audit import entry_values, record_read
from tests.serving.conftest import HOME_UAI, OPERATOR, OTHER_UAI, WEEK, World, make_actor

CLIENTS = 50
READS_PER_CLIENT = 8
LIST = f"/v1/establishments/{HOME_UAI}/lists/{WEEK.isoformat()}"


def database_file(world: World) -> str:
    return world.url.removeprefix("sqlite:///")


def committed_details(path: str) -> list[str]:
    """Audit details as a separate connection sees them: only committed rows."""
    with sqlite3.connect(path) as connection:
        return [detail for (detail,) in connection.execute("SELECT detail FROM audit_log")]


def test_every_concurrent_read_is_committed_before_it_returns(world: World) -> None:
    actor = make_actor("watch_unit", HOME_UAI)
    path = database_file(world)
    start = threading.Barrier(CLIENTS)
    before = len(committed_details(path))

    def client(number: int) -> list[bool]:
        start.wait()
        seen = []
        for read in range(READS_PER_CLIENT):
            detail = f"client {number} read {read}"
            record_read(world.store, actor, "read_list", uai=HOME_UAI, detail=detail)
            with sqlite3.connect(path) as connection:  # another connection: committed only
                row = connection.execute(
                    "SELECT count(*) FROM audit_log WHERE detail = ?", (detail,)
                ).fetchone()
            seen.append(row == (1,))
        return seen

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(client, range(CLIENTS)))

    assert all(all(seen) for seen in results)
    details = committed_details(path)[before:]
    expected = {f"client {n} read {r}" for n in range(CLIENTS) for r in range(READS_PER_CLIENT)}
    assert sorted(details) == sorted(expected)  # each once, none lost
    assert world.store.audit_log.rows == CLIENTS * READS_PER_CLIENT


class HeldTransactions:
    """The store's transactions, the first of which waits for `release` once it has begun:
    callers arriving meanwhile must queue for the next batch."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.first_begun = threading.Event()
        self.release = threading.Event()
        self.count = 0

    @contextmanager
    def __call__(self) -> Iterator[Connection]:
        self.count += 1
        first = self.count == 1
        with self.world.store.write_connection() as connection:
            yield connection
            if first:
                self.first_begun.set()
                assert self.release.wait(10)


def values(detail: str, outcome: str = "allowed") -> dict[str, object]:
    return entry_values(make_actor("inspector"), "read_list", outcome, detail=detail)  # type: ignore[arg-type]


def test_callers_queued_behind_a_commit_share_the_next_one(world: World) -> None:
    transactions = HeldTransactions(world)
    writer = GroupCommit(transactions, append_entries)
    path = database_file(world)
    with ThreadPoolExecutor(10) as pool:
        first = pool.submit(writer.append, values("first"))
        assert transactions.first_begun.wait(10)
        queued = [pool.submit(writer.append, values(f"queued {n}")) for n in range(9)]
        while len(writer._pending) < 9:  # all nine waiting behind the first commit
            threading.Event().wait(0.01)
        assert not any(future.done() for future in queued)
        assert "first" not in committed_details(path)  # nothing returns before its commit
        transactions.release.set()
        for future in (first, *queued):
            future.result(timeout=10)
    assert (writer.batches, writer.rows) == (2, 10)
    assert sorted(committed_details(path)[-10:]) == sorted(
        ["first", *(f"queued {n}" for n in range(9))]
    )


def test_a_bad_entry_fails_its_own_caller_only(world: World) -> None:
    transactions = HeldTransactions(world)
    writer = GroupCommit(transactions, append_entries)
    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(writer.append, values("first"))
        assert transactions.first_begun.wait(10)
        good = [pool.submit(writer.append, values(f"good {n}")) for n in range(4)]
        bad = pool.submit(writer.append, values("bad", outcome="maybe"))  # CHECK fails
        while len(writer._pending) < 5:
            threading.Event().wait(0.01)
        transactions.release.set()
        first.result(timeout=10)
        for future in good:
            future.result(timeout=10)
        with pytest.raises(IntegrityError):
            bad.result(timeout=10)
    details = committed_details(database_file(world))
    assert {"first", *(f"good {n}" for n in range(4))} <= set(details)
    assert "bad" not in details
    # the writer is not left stuck: the next caller leads a batch of its own
    writer.append(values("after"))
    assert "after" in committed_details(database_file(world))


def test_rows_of_one_batch_name_the_same_columns() -> None:
    with_everything = entry_values(
        make_actor("watch_unit", HOME_UAI), "read", "allowed", student_id="S1", uai=HOME_UAI
    )
    anonymous = entry_values(None, "authenticate", "denied", detail="missing token")
    assert with_everything.keys() == anonymous.keys()
    chained_by_the_store = {"id", "prev_hash", "entry_hash"}
    assert set(anonymous) == {c.name for c in AuditEntry.__table__.columns} - chained_by_the_store


def test_a_failed_commit_raises_to_the_reader(world: World) -> None:
    @contextmanager
    def broken() -> Iterator[Connection]:
        with world.store.write_connection() as connection:
            yield connection
            raise RuntimeError("disk full")

    writer = GroupCommit(broken, append_entries)
    with pytest.raises(RuntimeError, match="disk full"):
        writer.append(values("lost"))
    assert "lost" not in committed_details(database_file(world))


def test_token_changes_count_at_the_next_request(world: World, api: httpx.Client) -> None:
    headers = world.headers("watch_unit")
    assert api.get(LIST, headers=headers).status_code == 200
    with world.store.transaction() as session:  # the scope moves to another establishment
        user_id = session.scalar(select(User.id).where(User.username == "cpe.home"))
        session.execute(delete(UserScope).where(UserScope.user_id == user_id))
        session.execute(insert(UserScope).values(user_id=user_id, uai=OTHER_UAI))
    assert api.get(LIST, headers=headers).status_code == 403
    actor = authenticate_token(world.store, world.tokens.watch_unit)
    assert actor.establishments == frozenset({OTHER_UAI})
    disable_user(world.store, OPERATOR, "cpe.home")
    assert api.get(LIST, headers=headers).status_code == 401
    with pytest.raises(NotAuthenticated):
        authenticate_token(world.store, world.tokens.watch_unit)


def test_an_expired_token_is_refused_at_once(world: World, api: httpx.Client) -> None:
    headers = world.headers("inspector")
    assert api.get(LIST, headers=headers).status_code == 200
    with world.store.transaction() as session:
        session.execute(
            update(User)
            .where(User.username == "inspector")
            .values(token_expires_at=User.created_at)
        )
    assert api.get(LIST, headers=headers).status_code == 401


def test_users_without_scopes_authenticate_with_none(world: World) -> None:
    assert authenticate_token(world.store, world.tokens.inspector).establishments == frozenset()

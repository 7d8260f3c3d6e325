"""The audit log's hash chain on PostgreSQL: each way of tampering with the log once its
trigger is dropped is found and named; `INSERT ... ON CONFLICT DO UPDATE` (PostgreSQL's
REPLACE) is refused by the trigger; concurrent writers wait on the chain's advisory lock
and keep one chain; a store written before the chain is chained at upgrade; the audit log's
retention rule purges its oldest entries, the chain still verifying."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from serving.db import Store, open_store, upgrade
from serving.db.audit_chain import append_entries, verify_chain
from serving.db.models import AuditCheckpoint, AuditEntry
from serving.services.audit import entry_values, record_read
from serving.services.audit_retention import purge_audit_log
from tests.postgres.conftest import Server
from tests.serving.audit_purging import (
    CUTOFF,
    OLD,
    RECENT,
    count_before,
    ids,
    write_old_and_recent,
)
from tests.serving.audit_tampering import (
    ENTRIES,
    TAMPERINGS,
    TARGET,
    concurrent_writers,
    drop_append_only_triggers,
    write_entries,
)
from tests.serving.audit_writer import write_in_process
from tests.serving.conftest import OPERATOR, make_actor


@pytest.fixture
def store(postgres: Server) -> Iterator[Store]:
    store = open_store(postgres.new_database())
    yield store
    store.dispose()


def details(store: Store) -> list[str | None]:
    with store.reading() as session:
        return list(session.scalars(select(AuditEntry.detail).order_by(AuditEntry.id)))


def test_an_intact_log_verifies_on_postgresql(store: Store) -> None:
    write_entries(store)
    report = verify_chain(store)
    assert report.intact and report.verified == report.head_id == ENTRIES


@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_verify_names_the_first_broken_entry_on_postgresql(store: Store, tampering: str) -> None:
    tamper, problem, broken_id = TAMPERINGS[tampering]
    write_entries(store)
    with store.engine.begin() as connection:
        drop_append_only_triggers(connection)
        tamper(connection)
    report = verify_chain(store)
    assert not report.intact
    assert (report.problem, report.broken_id) == (problem, broken_id)
    assert report.verified == report.head_id == broken_id - (2 if tampering == "deleted" else 1)


def test_insert_on_conflict_do_update_is_refused(store: Store) -> None:
    write_entries(store)
    before = details(store)
    upsert = (
        "INSERT INTO audit_log SELECT * FROM audit_log WHERE id = :id "
        "ON CONFLICT (id) DO UPDATE SET detail = 'rewritten'"
    )
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
        connection.execute(text(upsert), {"id": TARGET})
    with pytest.raises(IntegrityError), store.engine.begin() as connection:  # no silent replace
        connection.execute(text("INSERT INTO audit_log SELECT * FROM audit_log WHERE id = 3"))
    assert details(store) == before
    assert verify_chain(store).verified == ENTRIES


def test_concurrent_threads_keep_one_chain_on_postgresql(store: Store) -> None:
    written = concurrent_writers(store)
    report = verify_chain(store)
    assert report.intact and report.verified == written


def test_concurrent_processes_keep_one_chain_on_postgresql(store: Store) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    processes = [context.Process(target=write_in_process, args=(url, 30, start)) for _ in range(2)]
    for process in processes:
        process.start()
    write_in_process(url, 30, start)
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    report = verify_chain(store)
    assert report.intact and report.verified == 90


def test_a_writer_waits_for_the_chain_lock(store: Store) -> None:
    """While one transaction has appended to the chain and not committed, another writer
    waits (it would otherwise read the same head and fork the chain)."""
    done = threading.Event()

    def other_writer() -> None:
        record_read(store, make_actor("inspector"), "read_list", detail="second")
        done.set()

    with store.write_connection() as connection:
        append_entries(connection, [entry_values(None, "login", "denied", detail="first")])
        thread = threading.Thread(target=other_writer)
        thread.start()
        assert not done.wait(0.5)  # blocked on the advisory lock
    assert done.wait(10)
    thread.join()
    assert details(store) == ["first", "second"]
    assert verify_chain(store).verified == 2


def test_a_postgresql_store_written_before_the_chain_is_chained_at_upgrade(
    postgres: Server,
) -> None:
    store = Store.from_url(postgres.new_database())
    try:
        assert upgrade(store.engine, "0002") == "0002"
        with store.engine.begin() as connection:  # a sequence leaves gaps: ids 1, 2 and 5
            for entry_id in (1, 2, 5):
                connection.execute(
                    text(
                        "INSERT INTO audit_log (id, at, action, outcome, detail) "
                        "VALUES (:id, now(), 'login', 'denied', :d)"
                    ),
                    {"id": entry_id, "d": f"old {entry_id}"},
                )
        upgrade(store.engine)
        assert verify_chain(store).verified == 3
        write_entries(store, 2)
        report = verify_chain(store)
        assert report.intact and report.verified == 5 and report.head_id == 7
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
            connection.execute(text("UPDATE audit_log SET detail = 'x'"))  # trigger enabled again
    finally:
        store.dispose()


def test_the_retention_rule_purges_on_postgresql_and_the_chain_verifies(store: Store) -> None:
    """The row trigger of migration 0010 lets the purge delete the entries its checkpoint
    covers, refuses any other delete (and TRUNCATE, and any change to a checkpoint); the
    chain verifies from the checkpoint, and a deletion covered by a forged checkpoint is
    named."""
    write_old_and_recent(store)
    assert purge_audit_log(store, OPERATOR, CUTOFF).entries == OLD
    interrupted: list[int] = []

    def stop() -> None:
        interrupted.append(1)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        purge_audit_log(store, OPERATOR, CUTOFF, apply=True, batch=5, after_step=stop)
    assert count_before(store, CUTOFF) == OLD - 5 and verify_chain(store).intact
    purge_audit_log(store, OPERATOR, CUTOFF, apply=True, batch=5)
    assert count_before(store, CUTOFF) == 0
    assert ids(store) == list(range(OLD + 1, OLD + RECENT + 3))  # recent, then two anchors
    report = verify_chain(store)
    assert report.intact and report.purged_through == OLD and report.verified == RECENT + 2
    for statement in (
        f"DELETE FROM audit_log WHERE id = {OLD + 1}",
        "TRUNCATE audit_log",
        "UPDATE audit_checkpoints SET through_id = 99",
        "DELETE FROM audit_checkpoints",
    ):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
            connection.execute(text(statement))
    # A checkpoint inserted by hand lets the trigger pass a deletion: the verification sees
    # that no anchor in the chain records it.
    with store.engine.begin() as connection:
        kept = connection.execute(
            select(AuditEntry.entry_hash).where(AuditEntry.id == OLD + 1)
        ).scalar_one()
        connection.execute(
            AuditCheckpoint.__table__.insert().values(
                at=datetime.now(UTC), cutoff=CUTOFF, through_id=OLD + 1, last_hash=kept,
                removed=1, anchor_id=OLD + RECENT + 2,
            )
        )  # fmt: skip
        connection.execute(text(f"DELETE FROM audit_log WHERE id = {OLD + 1}"))
    broken = verify_chain(store)
    assert (broken.intact, broken.problem) == (False, "checkpoint_mismatch")

"""The audit log's hash chain on SQLite: an intact log verifies, and each way of tampering
with a copy of the store whose triggers are dropped (an entry edited, deleted, replaced, a
forged entry with a wrong or an unchained hash) is found and named; `INSERT OR REPLACE` is
refused by the store itself; concurrent writers (threads, processes, the group commit, the
ORM) keep one chain; a store written before the chain is chained at upgrade."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, insert, select, text
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from serving.db import Store, open_store, upgrade
from serving.db.audit_chain import GENESIS, append_entries, entry_hash, verify_chain
from serving.db.models import AuditEntry
from serving.services.audit import entry_values, record
from tests.serving.audit_tampering import (
    ENTRIES,
    TABLE,
    TAMPERINGS,
    TARGET,
    concurrent_writers,
    drop_append_only_triggers,
    write_entries,
)
from tests.serving.audit_writer import write_in_process
from tests.serving.conftest import make_actor
from vigie.cli import app

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    yield store
    store.dispose()


@pytest.fixture
def written(store: Store) -> Store:
    write_entries(store)
    return store


def tampered_copy(store: Store, tmp_path: Path) -> Store:
    """A copy of `store`'s file, its append-only triggers dropped (as anyone with the file
    can): the original is left intact."""
    store.dispose()  # closing the last connection checkpoints the WAL into the file
    source = store.engine.url.database
    assert source is not None
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(source, copy)
    tampered = Store.from_url(f"sqlite:///{copy}")
    with tampered.engine.begin() as connection:
        drop_append_only_triggers(connection)
    return tampered


def details(store: Store) -> list[str | None]:
    with store.reading() as session:
        return list(session.scalars(select(AuditEntry.detail).order_by(AuditEntry.id)))


def test_an_intact_log_verifies_with_its_count(written: Store) -> None:
    report = verify_chain(written)
    assert report.intact and report.verified == ENTRIES
    with written.reading() as session:
        head = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        first = session.get(AuditEntry, 1)
    assert head is not None and first is not None
    assert (report.head_id, report.head_hash) == (ENTRIES, head.entry_hash)
    assert first.prev_hash == GENESIS
    assert report.summary() == f"{ENTRIES} entries verified, chain intact"


def test_an_empty_log_verifies(store: Store) -> None:
    report = verify_chain(store)
    assert report.intact and report.verified == 0 and report.head_id is None


@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_verify_names_the_first_broken_entry(
    written: Store, tmp_path: Path, tampering: str
) -> None:
    tamper, problem, broken_id = TAMPERINGS[tampering]
    copy = tampered_copy(written, tmp_path)
    try:
        with copy.engine.begin() as connection:
            tamper(connection)
        report = verify_chain(copy)
    finally:
        copy.dispose()
    assert not report.intact
    assert (report.problem, report.broken_id) == (problem, broken_id)
    # the entries before it verified (all but the deleted one), the last of them reported
    assert report.verified == report.head_id == broken_id - (2 if tampering == "deleted" else 1)
    assert report.message and f"entry {broken_id}:" in report.summary()
    assert verify_chain(written).intact  # the original store is untouched


def test_verify_reads_in_batches_and_finds_a_break_past_the_first(
    written: Store, tmp_path: Path
) -> None:
    assert verify_chain(written, batch=2).verified == ENTRIES  # batches of 2, 2, 2, then none
    copy = tampered_copy(written, tmp_path)
    try:
        with copy.engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_log WHERE id = 5"))
        report = verify_chain(copy, batch=2)
    finally:
        copy.dispose()
    assert (report.problem, report.broken_id, report.verified) == ("entries_missing", 6, 4)
    assert "entry 5 was deleted" in (report.message or "")


@pytest.mark.parametrize(
    ("column", "value"), [("at", "'yesterday'"), ("detail", "x'00ff'"), ("username", "42")]
)
def test_a_value_of_the_wrong_type_is_named_not_a_crash(
    written: Store, tmp_path: Path, column: str, value: str
) -> None:
    """SQLite keeps any value in any column: a timestamp overwritten with text is reported
    as its entry, not a traceback."""
    copy = tampered_copy(written, tmp_path)
    try:
        with copy.engine.begin() as connection:
            connection.execute(text(f"UPDATE audit_log SET {column} = {value} WHERE id = 3"))
        report = verify_chain(copy, batch=2)
    finally:
        copy.dispose()
    assert (report.problem, report.broken_id, report.verified) == ("content_changed", 3, 2)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT OR REPLACE INTO audit_log SELECT * FROM audit_log WHERE id = 3",
        "REPLACE INTO audit_log SELECT * FROM audit_log WHERE id = 3",
        "INSERT INTO audit_log SELECT * FROM audit_log WHERE id = 3 "
        "ON CONFLICT (id) DO UPDATE SET detail = 'rewritten'",
    ],
)
def test_replacing_an_entry_is_refused(written: Store, statement: str) -> None:
    before = details(written)
    with pytest.raises(IntegrityError, match="append-only"), written.engine.begin() as connection:
        connection.execute(text(statement))
    assert details(written) == before
    assert verify_chain(written).verified == ENTRIES


def test_a_replacement_with_a_new_id_is_still_an_insert(written: Store) -> None:
    """The REPLACE trigger refuses existing ids only: a new entry is appended as ever."""
    with written.engine.begin() as connection:
        append_entries(connection, [entry_values(None, "login", "denied", detail="again")])
    assert verify_chain(written).verified == ENTRIES + 1


def test_concurrent_threads_keep_one_chain(store: Store) -> None:
    written = concurrent_writers(store)
    report = verify_chain(store)
    assert report.intact and report.verified == written
    assert store.audit_log.rows > 0  # the group commit took part


def test_concurrent_processes_keep_one_chain(store: Store) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    processes = [context.Process(target=write_in_process, args=(url, 40, start)) for _ in range(2)]
    for process in processes:
        process.start()
    write_in_process(url, 40, start)
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    report = verify_chain(store)
    assert report.intact and report.verified == 120


def test_a_group_commit_batch_is_one_insert(store: Store) -> None:
    statements: list[str] = []

    def seen(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement.split()[0].upper())

    rows = [entry_values(None, "authenticate", "denied", detail=f"{n}") for n in range(50)]
    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        with store.write_connection() as connection:
            append_entries(connection, rows)
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    assert statements.count("INSERT") == 1 and statements.count("SELECT") == 1
    assert verify_chain(store).verified == 50


def test_orm_entries_are_chained_at_commit_and_dropped_on_rollback(store: Store) -> None:
    actor = make_actor("admin")
    with pytest.raises(RuntimeError, match="rolled back"), store.transaction() as session:
        record(session, actor, "add_user", "allowed", detail="rolled back")
        raise RuntimeError("rolled back")
    with store.transaction() as session:
        record(session, actor, "add_user", "allowed", detail="first")
        session.scalars(select(AuditEntry)).all()  # an autoflush between record and commit
        # added by hand, with an id and hashes of its own: the chain gives its own
        session.add(AuditEntry(**entry_values(actor, "x", "allowed", detail="second"), id=99))
        session.add(AuditEntry(**entry_values(actor, "x", "allowed", detail="third")))
    with store.transaction() as session:
        savepoint = session.begin_nested()
        record(session, actor, "add_user", "allowed", detail="in a savepoint")
        session.flush()
        savepoint.rollback()
        record(session, actor, "add_user", "allowed", detail="after the savepoint")
    assert details(store) == ["first", "second", "third", "after the savepoint"]
    report = verify_chain(store)
    assert report.intact and report.verified == 4 and report.head_id == 4


def test_a_store_written_before_the_chain_is_chained_at_upgrade(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        assert upgrade(store.engine, "0002") == "0002"
        with store.engine.begin() as connection:  # ids with a gap, as a PostgreSQL sequence
            for entry_id in (1, 2, 5):
                connection.execute(
                    text(
                        "INSERT INTO audit_log (id, at, action, outcome, detail) "
                        "VALUES (:id, '2026-11-30 08:00:00.000001', 'login', 'denied', :d)"
                    ),
                    {"id": entry_id, "d": f"old {entry_id}"},
                )
        upgrade(store.engine)
        report = verify_chain(store)
        assert report.intact and report.verified == 3
        write_entries(store, 2)  # new entries follow the old ones
        report = verify_chain(store)
        assert report.intact and report.verified == 5 and report.head_id == 7
        with store.engine.begin() as connection:  # the triggers were made again
            for statement in (
                "UPDATE audit_log SET detail = 'x'",
                "DELETE FROM audit_log",
                "INSERT OR REPLACE INTO audit_log SELECT * FROM audit_log WHERE id = 1",
            ):
                with pytest.raises(IntegrityError, match="append-only"):
                    connection.execute(text(statement))
            with pytest.raises(IntegrityError, match="outcome"):  # the CHECK survived the copy
                row = entry_values(None, "login", "maybe")
                connection.execute(
                    insert(TABLE), {**row, "id": 100, "prev_hash": GENESIS, "entry_hash": "0"}
                )
    finally:
        store.dispose()


def test_the_hash_covers_every_column_and_the_previous_hash() -> None:
    row = {**entry_values(make_actor("watch_unit", "0350023K"), "read", "allowed"), "id": 1}
    base = entry_hash(row, GENESIS)
    for column, other in [
        ("id", 2),
        ("username", "other"),
        ("role", "admin"),
        ("action", "write"),
        ("outcome", "denied"),
        ("student_id", "S1"),
        ("uai", "0290001A"),
        ("model_version", "m/2"),
        ("detail", ""),  # "" is not None
    ]:
        assert entry_hash({**row, column: other}, GENESIS) != base, column
    assert entry_hash({**row, "at": row["at"].replace(microsecond=1)}, GENESIS) != base
    assert entry_hash(row, "f" * 64) != base


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path))
    monkeypatch.delenv("VIGIE_DATABASE_URL", raising=False)
    monkeypatch.setenv("VIGIE_USER", "tester")
    return tmp_path


def test_the_command_verifies_and_names_the_broken_entry(home: Path) -> None:
    store = open_store()
    write_entries(store)
    store.dispose()
    result = runner.invoke(app, ["audit-log", "verify"])
    assert result.exit_code == 0, result.output
    assert f"{ENTRIES} entries verified, chain intact" in result.stdout
    assert f"Head: entry {ENTRIES}" in result.stdout

    store = open_store()
    with store.engine.begin() as connection:
        drop_append_only_triggers(connection)
        connection.execute(text(f"UPDATE audit_log SET outcome = 'denied' WHERE id = {TARGET}"))
    store.dispose()
    result = runner.invoke(app, ["audit-log", "verify"])
    assert result.exit_code == 1
    assert f"entry {TARGET}: its content does not match its hash" in result.stderr
    as_json = runner.invoke(app, ["audit-log", "verify", "--json"])
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["intact"] is False
    assert (report["broken_id"], report["problem"]) == (TARGET, "content_changed")
    assert report["verified"] == TARGET - 1

"""The audit log's own retention rule (`vigie purge`): a dry run counts the entries before the
cutoff and changes nothing; applied, it removes them as a prefix of the chain with a
checkpoint and an anchor entry (counts only), and the chain still verifies; what remains is
still checked (an entry edited or deleted, an old entry put back, a checkpoint forged to
cover a deletion are each named); a cutoff under six months is refused; interrupted, a purge
leaves whole batches and an intact chain; the database refuses any other delete."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from serving.db import Store, open_store
from serving.db.audit_chain import PURGE_ACTION, verify_chain
from serving.db.models import AuditCheckpoint, AuditEntry
from serving.services import AccessDenied, InvalidRequest
from serving.services.audit_retention import audit_cutoff, purge_audit_log
from tests.serving.audit_purging import (
    CUTOFF,
    OLD,
    RECENT,
    checkpoints,
    count_before,
    ids,
    write_old_and_recent,
)
from tests.serving.audit_tampering import drop_append_only_triggers
from tests.serving.conftest import OPERATOR, make_actor
from tests.serving.test_commands import home, invoke

__all__ = ["home"]  # the fixture, shared with test_commands


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    write_old_and_recent(store)
    yield store
    store.dispose()


def anchors(store: Store) -> list[AuditEntry]:
    with store.reading() as session:
        query = select(AuditEntry).where(AuditEntry.action == PURGE_ACTION)
        return list(session.scalars(query.order_by(AuditEntry.id)))


def test_a_dry_run_counts_and_changes_nothing(store: Store) -> None:
    report = purge_audit_log(store, OPERATOR, CUTOFF)
    assert (report.applied, report.entries) == (False, OLD)
    assert ids(store) == list(range(1, OLD + RECENT + 1)) and checkpoints(store) == []


def test_applied_it_removes_the_old_prefix_and_the_chain_still_verifies(store: Store) -> None:
    head = verify_chain(store).head_hash
    with store.reading() as session:
        last_old = session.get(AuditEntry, OLD)
        assert last_old is not None
        last_old_hash = last_old.entry_hash
    report = purge_audit_log(store, OPERATOR, CUTOFF, apply=True)
    assert (report.applied, report.entries, report.batches) == (True, OLD, 1)
    assert count_before(store, CUTOFF) == 0
    anchor_id = OLD + RECENT + 1
    assert ids(store) == list(range(OLD + 1, anchor_id + 1))  # the recent ones and the anchor
    [checkpoint] = checkpoints(store)
    assert (checkpoint.through_id, checkpoint.removed, checkpoint.anchor_id) == (
        OLD, OLD, anchor_id,
    )  # fmt: skip
    assert checkpoint.last_hash == last_old_hash
    [anchor] = anchors(store)
    # The purge is audited with counts, the cutoff and a hash: no student, no name.
    assert (anchor.id, anchor.username, anchor.outcome) == (anchor_id, OPERATOR.username, "allowed")
    assert anchor.detail is not None and f"{OLD} entries before {CUTOFF}" in anchor.detail
    assert anchor.student_id is None and "S00" not in anchor.detail
    chain = verify_chain(store)
    assert chain.intact and chain.verified == RECENT + 1 and chain.purged_through == OLD
    assert "removed by the retention rule" in chain.summary()
    assert anchor.prev_hash == head  # appended to the chain as it stood
    # Nothing left before the cutoff: a second purge removes nothing and writes nothing.
    again = purge_audit_log(store, OPERATOR, CUTOFF, apply=True)
    assert (again.entries, again.batches) == (0, 0) and len(checkpoints(store)) == 1
    # Entries written afterwards chain on as before.
    write_old_and_recent(store)
    assert verify_chain(store).intact


def test_a_second_purge_starts_from_the_latest_checkpoint(store: Store) -> None:
    purge_audit_log(store, OPERATOR, CUTOFF, apply=True, batch=3)
    assert [c.through_id for c in checkpoints(store)] == [3, 6, 7]
    assert len(anchors(store)) == 3
    report = verify_chain(store)
    assert report.intact and report.purged_through == OLD and report.verified == RECENT + 3


@pytest.mark.parametrize(
    ("tampering", "problem"),
    [
        ("edit a kept entry", "content_changed"),
        ("delete a kept entry", "entries_missing"),
        ("put an old entry back", "purged_range"),
        ("forge a checkpoint over a deletion", "checkpoint_mismatch"),
        ("alter the anchor", "content_changed"),
    ],
)
def test_what_remains_is_still_checked(store: Store, tampering: str, problem: str) -> None:
    table = AuditEntry.__table__
    with store.read_connection() as connection:
        old_row = dict(connection.execute(select(table).where(table.c.id == 1)).one()._mapping)
    purge_audit_log(store, OPERATOR, CUTOFF, apply=True)
    target = OLD + 2
    if tampering == "forge a checkpoint over a deletion":
        # No trigger to drop: a checkpoint inserted by hand lets the database delete the
        # entries it covers, but no anchor in the chain records it.
        with store.reading() as session:
            kept = session.get(AuditEntry, target)
            assert kept is not None
            kept_hash = kept.entry_hash
        with store.engine.begin() as connection:
            connection.execute(
                insert(AuditCheckpoint).values(
                    at=old_row["at"], cutoff=CUTOFF, through_id=target, last_hash=kept_hash,
                    removed=2, anchor_id=OLD + RECENT + 1,
                )
            )  # fmt: skip
            connection.execute(delete(table).where(table.c.id <= target))
        broken = OLD + RECENT + 1
    else:
        with store.engine.begin() as connection:
            drop_append_only_triggers(connection)
            if tampering == "edit a kept entry":
                connection.execute(update(table).where(table.c.id == target).values(role="admin"))
                broken = target
            elif tampering == "delete a kept entry":
                connection.execute(delete(table).where(table.c.id == target))
                broken = target + 1
            elif tampering == "put an old entry back":
                connection.execute(insert(table).values(**old_row))
                broken = 1
            else:
                anchor = OLD + RECENT + 1
                connection.execute(
                    update(table).where(table.c.id == anchor).values(detail="nothing removed")
                )
                broken = anchor
    report = verify_chain(store)
    assert not report.intact
    assert (report.problem, report.broken_id) == (problem, broken), report.summary()


def test_under_six_months_is_refused_and_only_admins_purge(store: Store) -> None:
    today = dt.date.today()
    with pytest.raises(InvalidRequest, match="at least six months"):
        purge_audit_log(store, OPERATOR, today - dt.timedelta(days=100), apply=True)
    with pytest.raises(AccessDenied):
        purge_audit_log(store, make_actor("inspector"), CUTOFF, apply=True)
    assert checkpoints(store) == [] and count_before(store, CUTOFF) == OLD
    assert audit_cutoff(dt.date(2026, 12, 5), 366) == dt.date(2025, 12, 4)


def test_an_interrupted_purge_leaves_whole_batches_and_an_intact_chain(store: Store) -> None:
    steps: list[int] = []

    def stop_after_the_first_batch() -> None:
        steps.append(1)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        purge_audit_log(store, OPERATOR, CUTOFF, apply=True, batch=4,
                        after_step=stop_after_the_first_batch)  # fmt: skip
    assert count_before(store, CUTOFF) == OLD - 4
    assert verify_chain(store).intact
    rest = purge_audit_log(store, OPERATOR, CUTOFF, apply=True, batch=4)
    assert (rest.entries, count_before(store, CUTOFF)) == (OLD - 4, 0)
    assert verify_chain(store).intact


def test_a_failure_inside_a_batch_changes_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from serving.services import audit_retention

    def failing(*args: object) -> object:
        raise RuntimeError("power cut")  # after the anchor and the checkpoint were written

    before = ids(store)
    monkeypatch.setattr(audit_retention, "delete", failing)
    with pytest.raises(RuntimeError, match="power cut"):
        purge_audit_log(store, OPERATOR, CUTOFF, apply=True)
    assert ids(store) == before and checkpoints(store) == [] and anchors(store) == []
    assert verify_chain(store).intact


def test_the_database_refuses_any_other_delete(store: Store) -> None:
    purge_audit_log(store, OPERATOR, CUTOFF, apply=True)
    with pytest.raises(IntegrityError, match="append-only"), store.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": OLD + 1})
    with pytest.raises(IntegrityError, match="append-only"), store.engine.begin() as connection:
        connection.execute(text("UPDATE audit_checkpoints SET through_id = 99"))
    with pytest.raises(IntegrityError, match="append-only"), store.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_checkpoints"))
    assert verify_chain(store).intact


def test_the_command_counts_then_removes_the_old_entries(home: Path) -> None:
    store = open_store()
    write_old_and_recent(store)
    store.dispose()
    dry = invoke("purge", "--older-than", "2y", "--json")
    assert dry.exit_code == 0, dry.output
    audit = json.loads(dry.stdout)["audit_log"]
    assert (audit["entries"], audit["days"]) == (OLD, 366)
    applied = invoke("purge", "--older-than", "2y", "--apply", "--lang", "en")
    assert applied.exit_code == 0, applied.output
    assert f"entries before {audit['cutoff']} (366 days kept" in applied.stdout
    verified = invoke("audit-log", "verify")
    assert verified.exit_code == 0 and "removed by the retention rule" in verified.stdout


def test_the_shortest_setting_is_accepted_by_the_command(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIE_AUDIT_LOG_RETENTION_DAYS", "183")
    result = invoke("purge", "--older-than", "2y", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["audit_log"]["days"] == 183
    monkeypatch.setenv("VIGIE_AUDIT_LOG_RETENTION_DAYS", "182")
    refused = invoke("purge", "--older-than", "2y")
    assert refused.exit_code == 1 and "VIGIE_AUDIT_LOG_RETENTION_DAYS" in refused.output

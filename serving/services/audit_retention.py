"""The audit log's own retention rule (`vigie purge`, beside the personal data's rule of
`serving.services.retention`): entries older than `VIGIE_AUDIT_LOG_RETENTION_DAYS` (default
a year and a day, never under six months) are removed.

Why these periods: the log is how a family, the data protection officer or an inspector
finds out who read or changed a minor's record, so it must outlive the records it speaks of
for a while; but it is personal data too (the users' logins, the students' pseudonyms). The
CNIL recommends keeping such access logs six months to a year (its 2021 recommendation on
logging, "journalisation"); Vigie keeps them a year by default, and refuses less than six
months.

How the chain survives (`serving.db.audit_chain`): the log is a hash chain, so its oldest
entries go as a prefix, in one transaction per batch that (1) appends an anchor entry
(`PURGE_ACTION`, detail `checkpoint_detail`: how many entries, the cutoff, the last id
removed and its hash; counts only, never a student), (2) writes the checkpoint row with the
same figures (`AuditCheckpoint`, which the database's DELETE trigger requires), (3) deletes
the entries up to that id. `vigie audit-log verify` then starts after the latest checkpoint
and still names any entry edited, deleted or inserted among those kept. Interrupted midway,
a purge leaves whole batches removed and the rest untouched; running it again finishes.

The prefix ends before the first entry on or after the cutoff (ids follow commits, times
follow the actions: an entry written just before the cutoff but committed after an entry on
or after it waits for the next purge).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select

from serving.db.audit_chain import (
    PURGE_ACTION,
    append_entries,
    checkpoint_detail,
    lock_chain,
)
from serving.db.engine import Store
from serving.db.models import AuditCheckpoint, AuditEntry
from serving.db.types import utc_now
from serving.services.actor import Actor
from serving.services.audit import entry_values
from serving.services.errors import InvalidRequest
from serving.services.guard import check
from serving.services.policy import Action, performs

__all__ = ["AUDIT_BATCH", "MIN_AUDIT_DAYS", "AuditPurgeReport", "audit_cutoff", "purge_audit_log"]

MIN_AUDIT_DAYS = 183  # six months: the least the issue and the CNIL's recommendation allow
AUDIT_BATCH = 50_000  # entries removed per transaction


def audit_cutoff(today: dt.date, days: int) -> dt.date:
    """The first day kept when entries are kept `days` days back from `today`."""
    return today - dt.timedelta(days=days)


@dataclass(frozen=True)
class AuditPurgeReport:
    """What the audit log's rule removed (`applied`) or would remove: `entries` before
    `cutoff`, in `batches` transactions (each with its anchor entry)."""

    cutoff: dt.date
    applied: bool
    entries: int
    batches: int = 0


@performs(Action.PURGE)
def purge_audit_log(
    store: Store,
    actor: Actor,
    cutoff: dt.date,
    *,
    apply: bool = False,
    batch: int = AUDIT_BATCH,
    after_step: Callable[[], None] | None = None,
) -> AuditPurgeReport:
    """Remove (`apply`), or count, the audit entries before `cutoff` (a prefix of the chain,
    `batch` entries per transaction). A cutoff less than six months back from today is
    refused. `after_step` is called after each committed batch (a test interrupts there)."""
    if batch < 1:
        raise InvalidRequest("the audit purge's batch must hold at least one entry")
    check(store, actor, Action.PURGE)  # the role (a refusal audited), before any read
    latest = utc_now().date() - dt.timedelta(days=MIN_AUDIT_DAYS)
    if cutoff > latest:
        raise InvalidRequest(
            f"the audit log is kept at least six months: its cutoff must be on or before "
            f"{latest.isoformat()}, not {cutoff.isoformat()} (VIGIE_AUDIT_LOG_RETENTION_DAYS)"
        )
    if not apply:
        with store.read_connection() as connection:
            bound = _prefix_end(connection, cutoff)
            count = 0 if bound is None else _count_up_to(connection, bound)
        return AuditPurgeReport(cutoff, False, count)
    removed = batches = 0
    while True:
        with store.write_connection() as connection:
            done = _purge_batch(connection, actor, cutoff, batch)
        if not done:
            return AuditPurgeReport(cutoff, True, removed, batches)
        removed, batches = removed + done, batches + 1
        if after_step is not None:
            after_step()


def _prefix_end(connection: Connection, cutoff: dt.date) -> int | None:
    """The last id of the chain's prefix before `cutoff` (None: nothing to remove)."""
    moment = dt.datetime.combine(cutoff, dt.time(), tzinfo=dt.UTC)
    first_kept = connection.scalar(select(func.min(AuditEntry.id)).where(AuditEntry.at >= moment))
    query = select(func.max(AuditEntry.id))
    if first_kept is not None:
        query = query.where(AuditEntry.id < first_kept)
    last: int | None = connection.scalar(query)
    return last


def _count_up_to(connection: Connection, last_id: int) -> int:
    return connection.scalar(select(func.count()).where(AuditEntry.id <= last_id)) or 0


def _purge_batch(connection: Connection, actor: Actor, cutoff: dt.date, batch: int) -> int:
    """One batch in the caller's write transaction: the anchor, the checkpoint, the
    deletion; how many entries it removed (0: none left before the cutoff)."""
    lock_chain(connection)
    bound = _prefix_end(connection, cutoff)
    if bound is None:
        return 0
    oldest = connection.execute(
        select(AuditEntry.id).order_by(AuditEntry.id).where(AuditEntry.id <= bound).limit(batch)
    ).scalars().all()  # fmt: skip
    through = oldest[-1]
    last_hash = connection.scalar(select(AuditEntry.entry_hash).where(AuditEntry.id == through))
    assert last_hash is not None
    detail = checkpoint_detail(len(oldest), cutoff, through, last_hash)
    append_entries(connection, [entry_values(actor, PURGE_ACTION, "allowed", detail=detail)])
    anchor = connection.scalar(select(func.max(AuditEntry.id)))
    connection.execute(
        insert(AuditCheckpoint).values(
            at=utc_now(), cutoff=cutoff, through_id=through, last_hash=last_hash,
            removed=len(oldest), anchor_id=anchor,
        )
    )  # fmt: skip
    connection.execute(delete(AuditEntry).where(AuditEntry.id <= through))
    return len(oldest)

"""Writing and reading the append-only audit log.

Allowed actions are written in the same transaction as the action itself. A denial is
written in its own transaction once the refused one is rolled back (on SQLite a second
transaction cannot start while the first holds the write lock), then `AccessDenied` is
raised: `refusing()` does both. Entries written on their own (reads, anonymous denials) are
committed through the store's group commit (`Store.audit_log`): each call still returns only
once its entry is committed, concurrent calls share one transaction.

Both ways end in `serving.db.audit_chain.append_entries`, which gives each entry its id and
its place in the log's hash chain (`vigie audit-log verify` checks it): an entry recorded in
a transaction is chained when that transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from sqlalchemy.orm import Session

from serving.db.engine import Store
from serving.db.models import AuditEntry
from serving.db.types import utc_now
from serving.db.vocabulary import AuditOutcome
from serving.services.actor import Actor
from serving.services.errors import AccessDenied
from serving.services.policy import Refused

__all__ = [
    "DETAIL_LENGTH",
    "Refused",
    "deny",
    "entry_values",
    "record",
    "record_anonymous_denial",
    "record_read",
    "refusing",
]

DETAIL_LENGTH = 300  # an entry's detail is cut there (`AuditEntry.detail`)


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    outcome: AuditOutcome,
    *,
    student_id: str | None = None,
    uai: str | None = None,
    model_version: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one entry to the transaction of `session`; `detail` is a short technical note
    (cut at `DETAIL_LENGTH` characters), never a name or a secret."""
    session.add(
        AuditEntry(
            **entry_values(
                actor,
                action,
                outcome,
                student_id=student_id,
                uai=uai,
                model_version=model_version,
                detail=detail,
            )
        )
    )


def entry_values(
    actor: Actor | None,
    action: str,
    outcome: AuditOutcome,
    *,
    student_id: str | None = None,
    uai: str | None = None,
    model_version: str | None = None,
    detail: str | None = None,
) -> dict[str, object]:
    """The columns of one audit entry, every one of them (a group commit inserts many rows
    in one statement: they must all name the same columns), timestamped now."""
    return {
        "at": utc_now(),
        "username": actor.username if actor else None,
        "role": actor.role if actor else None,
        "action": action,
        "outcome": outcome,
        "student_id": student_id,
        "uai": uai,
        "model_version": model_version,
        "detail": detail[:DETAIL_LENGTH] if detail else None,
    }


@contextmanager
def refusing(store: Store, actor: Actor, *, read_only: bool = False) -> Iterator[Session]:
    """A transaction (`read_only`: one that only reads) in which raising `Refused` rolls
    back, logs the denial, and raises `AccessDenied` to the caller."""
    try:
        with store.reading() if read_only else store.transaction() as session:
            yield session
    except Refused as refusal:
        deny(store, actor, refusal)


def deny(store: Store, actor: Actor, refusal: Refused) -> NoReturn:
    """Log the denial in its own transaction, then raise `AccessDenied` (for a refusal
    decided before any transaction is opened: `serving.services.guard.check`)."""
    with store.transaction() as session:
        record(
            session,
            actor,
            refusal.action,
            "denied",
            student_id=refusal.student_id,
            uai=refusal.uai,
            detail=refusal.message,
        )
    raise AccessDenied(refusal.message) from None


def record_read(
    store: Store,
    actor: Actor,
    action: str,
    *,
    student_id: str | None = None,
    uai: str | None = None,
    model_version: str | None = None,
    detail: str | None = None,
) -> None:
    """Audit a read done in a read-only transaction, before its result is returned: no
    data leaves the service layer unless its read is in the log (committed: the group
    commit returns once the entry's transaction is)."""
    store.audit_log.append(
        entry_values(
            actor,
            action,
            "allowed",
            student_id=student_id,
            uai=uai,
            model_version=model_version,
            detail=detail,
        )
    )


def record_anonymous_denial(store: Store, action: str, detail: str) -> None:
    """A request without valid credentials (missing, malformed, unknown or expired token)."""
    store.audit_log.append(entry_values(None, action, "denied", detail=detail))

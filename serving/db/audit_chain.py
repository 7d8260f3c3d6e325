"""The audit log as a hash chain: every entry carries the SHA-256 of its own content and of
the entry before it, so a row edited, deleted, replaced or forged behind the application's
back (triggers dropped, a copy of the file edited) breaks the chain where it happened.

`entry_hash` covers a canonical serialisation of every column (the id, the timestamp in UTC
with microseconds, who, what, on which student, with which model, the detail) and
`prev_hash`, the previous entry's `entry_hash` (`GENESIS` for the first entry).

Every insert goes through `append_entries(connection, rows)`: inside the caller's write
transaction it takes the chain's lock, reads the chain head, gives the rows the next ids and
their hashes, and inserts them in one statement. The lock makes writers serial on the
chain: on SQLite the write transaction already holds the database's write lock (`BEGIN
IMMEDIATE`, `serving.db.engine`); on PostgreSQL a transaction-scoped advisory lock, held to
commit (an advisory lock needs no privilege on the table, so a role granted only INSERT and
SELECT on audit_log can still write). Ids are given explicitly, so two writers that read
the same head could not both commit: the second would collide on the primary key.

`verify_chain(store)` walks the chain in id order, a batch of rows at a time, and reports
the first broken entry. A chain proves the order and integrity of what it holds, not that
nothing was appended or cut at its end by someone able to recompute hashes: keep the head
(`ChainReport.head_id`, `head_hash`) somewhere else to check the end too.

The log's own retention rule (`serving.services.audit_retention`) removes its oldest entries
in one transaction with a checkpoint (`AuditCheckpoint`: the last entry removed and its
hash) and an anchor entry appended to the chain that repeats the checkpoint's figures
(`checkpoint_detail`). The walk then starts after the latest checkpoint: the first entry
kept must follow the hash it recorded, no entry it covers may be left, and its anchor must
be in the chain, intact, saying the same (a checkpoint inserted by hand to hide a deletion
has no such anchor).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Table, insert, select, text

from features.jsonio import sha256
from serving.db.models import AuditCheckpoint, AuditEntry
from serving.db.types import utc_now

if TYPE_CHECKING:
    from serving.db.engine import Store

__all__ = [
    "CONTENT_COLUMNS",
    "GENESIS",
    "PURGE_ACTION",
    "ChainReport",
    "append_entries",
    "chain_rows",
    "checkpoint_detail",
    "entry_hash",
    "lock_chain",
    "verify_chain",
]

GENESIS = "0" * 64  # the prev_hash of the first entry
FORMAT = "vigie-audit/1"  # first element of the serialisation: a new format, a new tag
CONTENT_COLUMNS = (
    "id",
    "at",
    "username",
    "role",
    "action",
    "outcome",
    "student_id",
    "uai",
    "model_version",
    "detail",
)
# pg_advisory_xact_lock key of the chain ("vigieaud" as a big-endian 64-bit integer).
POSTGRES_LOCK_KEY = int.from_bytes(b"vigieaud", "big")
VERIFY_BATCH = 5_000

_TABLE = cast(Table, AuditEntry.__table__)  # a declarative class maps one Table
_CHECKPOINTS = cast(Table, AuditCheckpoint.__table__)
PURGE_ACTION = "purge_audit_log"  # the anchor entry's action


def checkpoint_detail(removed: int, cutoff: dt.date, through_id: int, last_hash: str) -> str:
    """The anchor entry's detail: the checkpoint's figures, which the verification compares
    with the checkpoint row (counts and a hash, never a student)."""
    return (
        f"audit log: {removed} entries before {cutoff.isoformat()} removed, up to entry "
        f"{through_id} (hash {last_hash})"
    )


def _timestamp(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(row: Mapping[str, Any], prev_hash: str) -> str:
    """The hex SHA-256 of `row`'s columns and `prev_hash`, serialised canonically: a JSON
    array in a fixed order (None and "" differ, no separator can be forged), ASCII only."""
    content: list[Any] = [FORMAT]
    for column in CONTENT_COLUMNS:
        value: Any = row.get(column)
        content.append(_timestamp(value) if column == "at" else value)
    content.append(prev_hash)
    return sha256(content)  # a list of strings, integers and None: compact, ASCII


def chain_rows(
    rows: Iterable[Mapping[str, Any]], head_id: int, head_hash: str
) -> list[dict[str, Any]]:
    """`rows` as they will be inserted after the head (`head_id`, `head_hash`): the next
    ids, timestamped now if they are not, each hash chained to the one before."""
    chained = []
    for offset, row in enumerate(rows, start=1):
        values = {column: row.get(column) for column in CONTENT_COLUMNS}
        values["id"] = head_id + offset
        values["at"] = values["at"] or utc_now()
        values["prev_hash"] = head_hash
        values["entry_hash"] = head_hash = entry_hash(values, head_hash)
        chained.append(values)
    return chained


def lock_chain(connection: Connection) -> None:
    """Make the caller's write transaction the chain's only writer until it ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_LOCK_KEY})
    # SQLite: the write transaction (`BEGIN IMMEDIATE`) already excludes every other writer.


def _chain_head(connection: Connection) -> tuple[int, str]:
    head = connection.execute(
        select(_TABLE.c.id, _TABLE.c.entry_hash).order_by(_TABLE.c.id.desc()).limit(1)
    ).first()
    return (0, GENESIS) if head is None else (head.id, head.entry_hash)


def append_entries(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Append `rows` (the columns of `serving.services.audit.entry_values`) to the chain, in
    one statement, inside the write transaction of `connection`: the only way entries are
    written (the ORM's `session.add(AuditEntry(...))`, the group commit)."""
    if not rows:
        return
    lock_chain(connection)
    connection.execute(insert(_TABLE), chain_rows(rows, *_chain_head(connection)))


@dataclass(frozen=True)
class ChainReport:
    """What `verify_chain` found: `verified` entries checked before the first broken one
    (all of them if `intact`), the broken entry's id, what is wrong with it (`problem`:
    content_changed, chain_broken, entries_missing, not_first) and a sentence saying so;
    the last intact entry (`head_id`, `head_hash`: the chain's head when it is intact)."""

    intact: bool
    verified: int
    broken_id: int | None = None
    problem: str | None = None
    message: str | None = None
    head_id: int | None = None
    head_hash: str | None = None
    purged_through: int | None = None

    def summary(self) -> str:
        if self.intact:
            purged = (
                ""
                if self.purged_through is None
                else f" (entries up to {self.purged_through} removed by the retention rule)"
            )
            return f"{self.verified} entries verified, chain intact{purged}"
        return (
            f"entry {self.broken_id}: {self.message} ({self.verified} entries verified before it)"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _broken_link(row: Any, previous_id: int | None) -> tuple[str, str]:
    """Why `row` does not follow entry `previous_id` (None: does not start the chain)."""
    if previous_id is None:
        return (
            "not_first",
            "the first entry does not start the chain: entries before it are missing, or it "
            "was inserted",
        )
    if row.id > previous_id + 1:
        missing = (
            f"entry {previous_id + 1} was"
            if row.id == previous_id + 2
            else f"entries {previous_id + 1} to {row.id - 1} were"
        )
        return (
            "entries_missing",
            f"chain broken: it does not follow entry {previous_id}; {missing} deleted "
            "(or it was inserted)",
        )
    return (
        "chain_broken",
        f"chain broken: it does not follow entry {previous_id} (entry {previous_id} was "
        f"replaced with a recomputed hash, or entry {row.id} was inserted)",
    )


@dataclass(frozen=True)
class _Unreadable:
    """An entry whose values cannot be read as their columns' types (SQLite keeps any value
    in any column: a timestamp overwritten with text, say)."""

    id: int


def _entries(connection: Connection, batch: int) -> Iterator[Any]:
    """The entries in id order, `batch` rows per query (keyset: no offset to skip)."""
    last_id: int | None = None
    while True:
        query = select(_TABLE).order_by(_TABLE.c.id).limit(batch)
        if last_id is not None:
            query = query.where(_TABLE.c.id > last_id)
        try:
            rows: list[Any] = list(connection.execute(query).all())
        except (ValueError, TypeError, OverflowError):  # one of them cannot be read
            rows = list(_one_by_one(connection, query))
        yield from rows
        if len(rows) < batch:
            return
        last_id = rows[-1].id


def _one_by_one(connection: Connection, query: Any) -> Iterator[Any]:
    ids = connection.scalars(query.with_only_columns(_TABLE.c.id)).all()
    for entry_id in ids:
        try:
            yield connection.execute(select(_TABLE).where(_TABLE.c.id == entry_id)).one()
        except (ValueError, TypeError, OverflowError):
            yield _Unreadable(entry_id)


def _hash_of(row: Any) -> str | None:
    try:
        return entry_hash(row._mapping, row.prev_hash)
    except (ValueError, TypeError):  # a value of another type (bytes where text was)
        return None


def _latest_checkpoint(connection: Connection) -> Any | None:
    query = select(_CHECKPOINTS).order_by(_CHECKPOINTS.c.through_id.desc()).limit(1)
    return connection.execute(query).first()


def _anchor_problem(row: Any, checkpoint: Any) -> str | None:
    """Why the anchor entry `row` does not record `checkpoint` (None: it does)."""
    expected = checkpoint_detail(
        checkpoint.removed, checkpoint.cutoff, checkpoint.through_id, checkpoint.last_hash
    )
    if row.action == PURGE_ACTION and row.detail == expected:
        return None
    return (
        f"it is the anchor of the purge up to entry {checkpoint.through_id} but does not "
        "record it: the checkpoint was forged or altered"
    )


def verify_chain(store: Store, *, batch: int = VERIFY_BATCH) -> ChainReport:
    """Walk the audit log in id order, `batch` rows at a time (never the whole log in
    memory), in one read-only transaction, from the latest purge checkpoint if any; stop at
    the first broken entry."""
    verified, previous_id, expected = 0, None, GENESIS
    anchor_seen = True
    with store.read_connection() as connection:
        checkpoint = _latest_checkpoint(connection)
        if checkpoint is not None:
            previous_id, expected = checkpoint.through_id, checkpoint.last_hash
            anchor_seen = False
        purged = None if checkpoint is None else checkpoint.through_id

        def broken(entry_id: int, problem: str, message: str) -> ChainReport:
            head = previous_id if verified else None
            return ChainReport(
                intact=False, verified=verified, broken_id=entry_id, problem=problem,
                message=message, head_id=head, head_hash=None if head is None else expected,
                purged_through=purged,
            )  # fmt: skip

        for row in _entries(connection, batch):
            if isinstance(row, _Unreadable):
                return broken(
                    row.id,
                    "content_changed",
                    "a value cannot be read as its column's type: it was edited or forged",
                )
            if purged is not None and row.id <= purged:
                return broken(
                    row.id,
                    "purged_range",
                    f"entries up to {purged} were removed by the retention rule: this one "
                    "was inserted afterwards",
                )
            if _hash_of(row) != row.entry_hash:
                return broken(
                    row.id,
                    "content_changed",
                    "its content does not match its hash: it was edited or forged",
                )
            if row.prev_hash != expected:
                return broken(row.id, *_broken_link(row, previous_id))
            if checkpoint is not None and row.id == checkpoint.anchor_id:
                message = _anchor_problem(row, checkpoint)
                if message is not None:
                    return broken(row.id, "checkpoint_mismatch", message)
                anchor_seen = True
            verified += 1
            previous_id, expected = row.id, row.entry_hash
        if not anchor_seen:
            assert checkpoint is not None  # anchor_seen starts False only with a checkpoint
            return broken(
                checkpoint.anchor_id,
                "checkpoint_mismatch",
                f"the entry recording the purge up to entry {checkpoint.through_id} is "
                "missing: the checkpoint was forged, or the chain's end was cut",
            )
    return ChainReport(
        intact=True,
        verified=verified,
        head_id=previous_id if verified else None,
        head_hash=expected if verified else None,
        purged_through=purged,
    )

"""The rosters' part of a week's fingerprint: every establishment's roster hashed column-wise.

`week_fingerprint` (`serving.weekly.store`) hashes the week's content; its rosters (every
enrolled student: 300,000 rows for an académie) are hashed here as Arrow columns sorted by
(UAI, student id) rather than as one JSON list per student. Each column enters the SHA-256
with its name, its null mask and its values: strings as their UTF-8 byte lengths then their
bytes, dates as days since 1970. So the same rosters give the same digest whatever the order
of establishments and students, and any change of a roster row (a student added, removed or
moved, a name, an enrollment date, a value becoming unknown) gives another one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from operator import attrgetter

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from serving.weekly.ranking import EstablishmentWeek

__all__ = [
    "ROSTER_DIGEST_FORM",
    "ROSTER_PARTS",
    "ROSTER_SCHEMA",
    "checked_rosters",
    "part_digests",
    "roster_digest",
    "roster_parts",
    "roster_table",
    "table_digest",
]

# Named in the fingerprint: another form of the rosters' hash must change this name.
ROSTER_DIGEST_FORM = "arrow-columns-sha256-1"

_TEXT = ("uai", "student_id", "last_name", "first_name")
_DATES = ("enrolled_since", "enrolled_until")
_COLUMNS = (*_TEXT, *_DATES)
# Each establishment's roster is held by the store in parts (`part_digests`): a week in
# which a few students come and go changes a few parts, whose rows alone are written again.
ROSTER_PARTS = 16
# A week's rosters as one table: a row per (establishment, enrolled student), the fields of
# `serving.weekly.RosterStudent` after the UAI.
ROSTER_SCHEMA = pa.schema(
    [(name, pa.string()) for name in _TEXT] + [(name, pa.date32()) for name in _DATES]
)


def roster_digest(establishments: Sequence[EstablishmentWeek]) -> str:
    """SHA-256 (hex) of every establishment's roster, sorted by (UAI, student id)."""
    return table_digest(roster_table(establishments))


def roster_parts(table: pa.Table) -> np.ndarray:
    """The part (0 to `ROSTER_PARTS` - 1) of each row of a rosters' table: a stable hash of
    its student id (pandas' SipHash with its fixed key), so that a student stays in the same
    part of their establishment's roster week after week."""
    ids = np.asarray(table.column("student_id").to_numpy(zero_copy_only=False), dtype=object)
    if not len(ids):
        return np.zeros(0, dtype="int64")
    return (pd.util.hash_array(ids, categorize=False) % ROSTER_PARTS).astype("int64")


def part_digests(table: pa.Table, parts: np.ndarray | None = None) -> dict[tuple[str, int], str]:
    """The digest of each part of each establishment's roster, by (UAI, part): the SHA-256
    `table_digest` gives the part's rows alone (in student id order), every part computed
    in one pass over the table's buffers (`parts`: each row's, when known already). A part
    without rows has no entry."""
    if not table.num_rows:
        return {}
    parts = roster_parts(table) if parts is None else parts
    codes, uais = pd.factorize(
        np.asarray(table.column("uai").to_numpy(zero_copy_only=False), dtype=object), sort=True
    )
    # Grouped by (UAI, part), student id order kept within each group (a stable sort of a
    # table sorted by UAI then student id).
    keys = codes.astype("int64") * ROSTER_PARTS + parts
    order = np.argsort(keys, kind="stable")
    grouped = table.take(pa.array(order))
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], len(sorted_keys)]
    columns = _columns_bytes(grouped)
    digests: dict[tuple[str, int], str] = {}
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        key = int(sorted_keys[start])
        digests[(str(uais[key // ROSTER_PARTS]), key % ROSTER_PARTS)] = _rows_digest(
            columns, start, end
        )
    return digests


def _columns_bytes(table: pa.Table) -> list[_ColumnBytes]:
    return [_ColumnBytes(table.column(name).combine_chunks(), name) for name in _COLUMNS]


def _rows_digest(columns: Sequence[_ColumnBytes], start: int, end: int) -> str:
    """SHA-256 (hex) of the rows [start, end) of a rosters' table, column by column: the
    digest's form, the number of rows, then each column's name, null mask and values."""
    digest = hashlib.sha256(ROSTER_DIGEST_FORM.encode())
    digest.update(np.int64(end - start).tobytes())
    for column in columns:
        column.update(digest, start, end)
    return digest.hexdigest()


class _ColumnBytes:
    """One column of a rosters' table ready to hash any run of rows [start, end) as
    `table_digest` hashes that slice: its name, null mask, then the strings' lengths and
    bytes or the dates' days."""

    def __init__(self, column: pa.Array, name: str) -> None:
        self.name = f"\0{name}\0".encode()
        self.nulls = column.is_null().to_numpy(zero_copy_only=False)
        if name in _DATES:
            self.days: np.ndarray | None = (
                pc.fill_null(column.cast(pa.int32()), 0)
                .to_numpy(zero_copy_only=False)
                .astype("<i4")
            )
            return
        self.days = None
        text = pc.fill_null(column, "")
        _, offsets_buffer, data = text.buffers()
        self.offsets = np.frombuffer(offsets_buffer, dtype="<i4")[
            text.offset : text.offset + len(text) + 1
        ]
        self.lengths = np.diff(self.offsets).astype("<i8")
        self.data = memoryview(data) if data is not None else memoryview(b"")

    def update(self, digest: hashlib._Hash, start: int, end: int) -> None:
        digest.update(self.name)
        digest.update(self.nulls[start:end].tobytes())
        if self.days is not None:
            digest.update(self.days[start:end].tobytes())
            return
        digest.update(self.lengths[start:end].tobytes())
        if end > start:
            digest.update(self.data[int(self.offsets[start]) : int(self.offsets[end])])


def checked_rosters(table: pa.Table, establishments: Sequence[EstablishmentWeek]) -> pa.Table:
    """A week's rosters given as one table (`ROSTER_SCHEMA`'s columns, cast to its types),
    sorted by (UAI, student id) like `roster_table`'s, so that it hashes and is stored the
    same. Raises ValueError naming what is wrong: an establishment that also carries its
    `roster`, a missing column, a row without UAI or student id, a UAI not among the week's
    establishments, a student twice on a roster."""
    carrying = [e.uai for e in establishments if e.roster]
    if carrying:
        raise ValueError(
            f"{carrying[0]}: the rosters are given as a table and on establishments too"
        )
    missing = [name for name in ROSTER_SCHEMA.names if name not in table.column_names]
    if missing:
        raise ValueError(f"the rosters' table lacks the column(s) {', '.join(missing)}")
    table = table.select(ROSTER_SCHEMA.names).cast(ROSTER_SCHEMA)
    for name in ("uai", "student_id"):
        if table.column(name).null_count:
            raise ValueError(f"a row of the rosters' table has no {name}")
    unknown = pc.unique(table.column("uai")).to_pylist()
    known = {e.uai for e in establishments}
    strangers = sorted(uai for uai in unknown if uai not in known)
    if strangers:
        raise ValueError(f"{strangers[0]}: a roster of an establishment not in the week")
    if not _sorted(table.column("uai"), table.column("student_id")):
        table = table.sort_by([("uai", "ascending"), ("student_id", "ascending")])
        if not _sorted(table.column("uai"), table.column("student_id")):  # a pair repeated
            uai, student_id = _first_repeat(table)
            raise ValueError(f"{uai}: a student appears twice on the roster ({student_id})")
    return table


def _first_repeat(table: pa.Table) -> tuple[str, str]:
    """The first (uai, student_id) pair repeated in a sorted rosters' table."""
    uais = table.column("uai").to_pylist()
    ids = table.column("student_id").to_pylist()
    for row in range(1, len(uais)):
        if uais[row] == uais[row - 1] and ids[row] == ids[row - 1]:
            return uais[row], ids[row]
    raise AssertionError("no repeated pair in a table not strictly sorted")  # pragma: no cover


def roster_table(establishments: Sequence[EstablishmentWeek]) -> pa.Table:
    """Every establishment's roster as one table (`uai`, then the roster fields), sorted by
    (UAI, student id)."""
    students = [student for e in establishments for student in e.roster]
    columns: dict[str, pa.Array] = {
        "uai": pa.array([e.uai for e in establishments for _ in e.roster], type=pa.string())
    }
    # One pass over the roster rows for all their fields, then one column per field.
    fields = list(zip(*map(attrgetter(*_TEXT[1:], *_DATES), students), strict=True))
    for number, name in enumerate((*_TEXT[1:], *_DATES)):
        values = list(fields[number]) if fields else []
        columns[name] = pa.array(values, type=pa.date32() if name in _DATES else pa.string())
    table = pa.table(columns)
    if not _sorted(table.column("uai"), table.column("student_id")):
        table = table.sort_by([("uai", "ascending"), ("student_id", "ascending")])
    return table


def table_digest(table: pa.Table) -> str:
    """SHA-256 (hex) of a `roster_table` (or a slice of one), column by column."""
    return _rows_digest(_columns_bytes(table), 0, table.num_rows)


def _sorted(uai: pa.ChunkedArray, student_id: pa.ChunkedArray) -> bool:
    """The rows are in (uai, student_id) order already (a week's rosters usually are: the
    establishments in UAI order, each roster in the feature set's student order), so that
    sorting them would change nothing (a roster names a student once)."""
    if len(uai) < 2:
        return True
    uai, student_id = uai.combine_chunks(), student_id.combine_chunks()
    if uai.null_count or student_id.null_count:
        return False
    head_uai, next_uai = uai.slice(0, len(uai) - 1), uai.slice(1)
    head_id, next_id = student_id.slice(0, len(uai) - 1), student_id.slice(1)
    ascending = pc.or_(
        pc.less(head_uai, next_uai),
        pc.and_(pc.equal(head_uai, next_uai), pc.less(head_id, next_id)),
    )
    return bool(pc.all(ascending).as_py())

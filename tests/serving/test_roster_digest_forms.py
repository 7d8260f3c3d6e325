"""The rosters' digest read in one pass over the roster rows, and not sorted again when
already in (UAI, student id) order, is the digest of the sorted columns as first defined."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from operator import attrgetter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from serving.weekly import EstablishmentWeek, RosterStudent
from serving.weekly.roster_digest import ROSTER_DIGEST_FORM, roster_digest

_TEXT = ("uai", "student_id", "last_name", "first_name")
_DATES = ("enrolled_since", "enrolled_until")


def _update_text(digest: hashlib._Hash, column: pa.Array) -> None:
    """The strings' UTF-8 byte lengths, then their bytes, into `digest`."""
    _, offsets_buffer, data = column.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype="<i4")[
        column.offset : column.offset + len(column) + 1
    ]
    digest.update(np.diff(offsets).astype("<i8").tobytes())
    if data is not None and len(offsets):
        digest.update(memoryview(data)[int(offsets[0]) : int(offsets[-1])])


def reference_digest(establishments: list[EstablishmentWeek]) -> str:
    """The digest as first written: one column at a time, always sorted."""
    students = [student for e in establishments for student in e.roster]
    columns = {"uai": pa.array([e.uai for e in establishments for _ in e.roster], pa.string())}
    for name in _TEXT[1:]:
        columns[name] = pa.array(list(map(attrgetter(name), students)), type=pa.string())
    for name in _DATES:
        columns[name] = pa.array(list(map(attrgetter(name), students)), type=pa.date32())
    table = pa.table(columns).sort_by([("uai", "ascending"), ("student_id", "ascending")])
    digest = hashlib.sha256(ROSTER_DIGEST_FORM.encode())
    digest.update(np.int64(table.num_rows).tobytes())
    for name in (*_TEXT, *_DATES):
        column = table.column(name).combine_chunks()
        digest.update(f"\0{name}\0".encode())
        digest.update(column.is_null().to_numpy(zero_copy_only=False).tobytes())
        if name in _DATES:
            days = pc.fill_null(column.cast(pa.int32()), 0)
            digest.update(days.to_numpy(zero_copy_only=False).astype("<i4").tobytes())
        else:
            _update_text(digest, pc.fill_null(column, ""))
    return digest.hexdigest()


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("ordered", [True, False])
def test_digest_is_the_sorted_columns_digest(seed: int, ordered: bool) -> None:
    generator = random.Random(seed)
    day = dt.date(2025, 9, 1)
    names = [None, "Martin", "Lefèvre", "Ø"]
    establishments = []
    for uai in sorted(
        {f"07{generator.randrange(100):06d}" for _ in range(generator.randrange(0, 5))}
    ):
        ids = sorted(
            {f"S{generator.randrange(1000):04d}" for _ in range(generator.randrange(0, 30))}
        )
        if not ordered:
            generator.shuffle(ids)
        roster = tuple(
            RosterStudent(
                student_id,
                generator.choice(names),
                generator.choice(names),
                generator.choice([None, day + dt.timedelta(days=generator.randrange(200))]),
                generator.choice([None, day + dt.timedelta(days=generator.randrange(200))]),
            )
            for student_id in ids
        )
        establishments.append(EstablishmentWeek(uai, uai, 1, (), roster))
    if not ordered:
        generator.shuffle(establishments)
    assert roster_digest(establishments) == reference_digest(establishments)

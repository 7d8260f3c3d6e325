"""The store rows a week's rosters state, read from the rosters as one table.

A week's rosters reach the write as one Arrow table (`roster_digest.ROSTER_SCHEMA`: a row
per (establishment, enrolled student), sorted by UAI then student id; `checked_rosters`),
made column-wise by the scorer (`serving.scoring.run.week_rosters`) or from the
establishments' `roster` tuples (`roster_table`). Pure functions: the table and the week's
establishments in, the rows to upsert out (no Python object per roster row beyond the rows
themselves).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence, Set
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from serving.weekly.columns import Columns
from serving.weekly.ranking import EstablishmentWeek
from serving.weekly.roster_digest import roster_parts

Part = tuple[str, int]  # (uai, part) of a roster (`roster_digest.roster_parts`)

__all__ = [
    "enrollment_facts_of",
    "named_students",
    "roster_slices",
    "unnamed_students",
    "unsure_rosters",
]


def roster_slices(rosters: pa.Table) -> dict[str, tuple[int, int]]:
    """Each UAI's rows in the sorted rosters' table: (first row, row after its last)."""
    uais = rosters.column("uai").combine_chunks()
    if not len(uais):
        return {}
    values = np.asarray(uais.to_numpy(zero_copy_only=False), dtype=object)
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]]).tolist()
    ends = [*starts[1:], len(values)]
    return {str(values[start]): (start, end) for start, end in zip(starts, ends, strict=True)}


def unsure_rosters(rosters: pa.Table) -> frozenset[str]:
    """The UAIs whose roster has a student whose enrollment start is unknown (the fact is
    dated by the week written) or a student on another roster this week too (whose names are
    then written in the rosters' order): rosters never taken as held by the store."""
    ids = rosters.column("student_id")
    counts = pc.value_counts(ids)
    shared = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    unsure = pc.or_(pc.is_null(rosters.column("enrolled_since")), pc.is_in(ids, value_set=shared))
    return frozenset(pc.unique(pc.filter(rosters.column("uai"), unsure)).to_pylist())


def _written(
    rosters: pa.Table,
    establishments: Sequence[EstablishmentWeek],
    held: Set[Part],
    columns: Sequence[str],
) -> Columns:
    """The rosters' rows of `columns`, establishment after establishment (in
    `establishments`' order, each in student id order), none of the parts `held`."""
    slices = roster_slices(rosters)
    parts = roster_parts(rosters) if held else None
    by_uai: dict[str, list[int]] = defaultdict(list)
    for uai, part in held:
        by_uai[uai].append(part)
    chosen = []
    for e in establishments:
        span = slices.get(e.uai)
        if span is None:
            continue
        rows = np.arange(*span)
        if parts is not None and e.uai in by_uai:
            rows = rows[~np.isin(parts[span[0] : span[1]], by_uai[e.uai])]
        chosen.append(rows)
    order = np.concatenate(chosen) if chosen else np.zeros(0, dtype="int64")
    table = rosters.select(list(columns)).take(pa.array(order, pa.int64()))
    return Columns({name: table.column(name).to_pylist() for name in columns})


def named_students(
    rosters: pa.Table, establishments: Sequence[EstablishmentWeek], held: Set[Part]
) -> Columns:
    """The `students` rows of the rosters (id and names), establishment after establishment,
    not those of the parts of rosters `held`."""
    return _written(rosters, establishments, held, ("student_id", "last_name", "first_name"))


def _on_roster(
    rosters: pa.Table, establishments: Sequence[EstablishmentWeek]
) -> dict[str, set[str]]:
    """The student ids on the roster of each establishment that explains students."""
    slices = roster_slices(rosters)
    ids = rosters.column("student_id")
    return {
        e.uai: set(ids.slice(start, end - start).to_pylist())
        for e in establishments
        if e.scored and (span := slices.get(e.uai)) is not None
        for start, end in [span]
    }


def unnamed_students(
    rosters: pa.Table, establishments: Sequence[EstablishmentWeek]
) -> list[dict[str, Any]]:
    """The scored students missing from their establishment's roster (id only)."""
    on_roster = _on_roster(rosters, establishments)
    return [
        {"student_id": s.student_id}
        for e in establishments
        for s in e.scored
        if s.student_id not in on_roster.get(e.uai, ())
    ]


def enrollment_facts_of(
    rosters: pa.Table,
    establishments: Sequence[EstablishmentWeek],
    week: dt.date,
    held: Set[Part],
) -> Columns:
    """The enrollment facts a week's input states, one per (student, establishment, start):
    each roster student's enrollment in force on the as-of date (its Monday `week` standing
    for an unknown start), and each scored student missing from the roster from `week`; not
    those of the parts of rosters `held`."""
    dated = pa.table(
        {
            "uai": rosters.column("uai"),
            "student_id": rosters.column("student_id"),
            "start_date": pc.coalesce(
                rosters.column("enrolled_since"), pa.scalar(week, pa.date32())
            ),
            "end_date": rosters.column("enrolled_until"),
        }
    )
    facts = _written(dated, establishments, held, ("student_id", "uai", "start_date", "end_date"))
    on_roster = _on_roster(rosters, establishments)
    missing = [
        (s.student_id, e.uai, week, None)
        for e in establishments
        for s in e.scored
        if s.student_id not in on_roster.get(e.uai, ())
    ]
    return Columns(
        {
            name: [*values, *(row[number] for row in missing)]
            for number, (name, values) in enumerate(facts.values.items())
        }
    )

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
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from serving.weekly.columns import Columns
from serving.weekly.ranking import EstablishmentWeek
from serving.weekly.roster_digest import roster_parts

Part = tuple[str, int]  # (uai, part) of a roster (`roster_digest.roster_parts`)

__all__ = [
    "WeekRosters",
    "enrollment_facts_of",
    "named_students",
    "unnamed_students",
    "unsure_rosters",
]


class WeekRosters:
    """A week's rosters' table (sorted by UAI then student id) and what the write reads of
    it more than once, each computed on first use: each UAI's rows and each row's part."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    @cached_property
    def slices(self) -> dict[str, tuple[int, int]]:
        """Each UAI's rows: (first row, row after its last)."""
        uais = self.table.column("uai").combine_chunks()
        if not len(uais):
            return {}
        values = np.asarray(uais.to_numpy(zero_copy_only=False), dtype=object)
        starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]]).tolist()
        ends = [*starts[1:], len(values)]
        return {str(values[a]): (a, b) for a, b in zip(starts, ends, strict=True)}

    @cached_property
    def parts(self) -> np.ndarray:
        """Each row's part of its roster (`roster_parts`)."""
        return roster_parts(self.table)


def unsure_rosters(rosters: WeekRosters) -> frozenset[str]:
    """The UAIs whose roster has a student whose enrollment start is unknown (the fact is
    dated by the week written) or a student on another roster this week too (whose names are
    then written in the rosters' order): rosters never taken as held by the store."""
    table = rosters.table
    ids = table.column("student_id")
    counts = pc.value_counts(ids)
    shared = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    unsure = pc.or_(pc.is_null(table.column("enrolled_since")), pc.is_in(ids, value_set=shared))
    return frozenset(pc.unique(pc.filter(table.column("uai"), unsure)).to_pylist())


def _written(
    rosters: WeekRosters,
    table: pa.Table,
    establishments: Sequence[EstablishmentWeek],
    held: Set[Part],
    columns: Sequence[str],
) -> Columns:
    """The rows of `columns` of `table` (the rosters' rows, in their order), establishment
    after establishment (in `establishments`' order, each in student id order), none of the
    parts `held`."""
    held_parts: dict[str, list[int]] = defaultdict(list)
    for uai, part in held:
        held_parts[uai].append(part)
    chosen = []
    for e in establishments:
        span = rosters.slices.get(e.uai)
        if span is None:
            continue
        rows = np.arange(*span)
        if e.uai in held_parts:
            rows = rows[~np.isin(rosters.parts[span[0] : span[1]], held_parts[e.uai])]
        chosen.append(rows)
    order = np.concatenate(chosen) if chosen else np.zeros(0, dtype="int64")
    picked = table.select(list(columns)).take(pa.array(order, pa.int64()))
    return Columns({name: picked.column(name).to_pylist() for name in columns})


def named_students(
    rosters: WeekRosters, establishments: Sequence[EstablishmentWeek], held: Set[Part]
) -> Columns:
    """The `students` rows of the rosters (id and names), establishment after establishment,
    not those of the parts of rosters `held`."""
    columns = ("student_id", "last_name", "first_name")
    return _written(rosters, rosters.table, establishments, held, columns)


def _off_roster(
    rosters: WeekRosters, establishments: Sequence[EstablishmentWeek]
) -> list[tuple[str, str]]:
    """(student_id, uai) of each scored student missing from their establishment's roster."""
    ids = rosters.table.column("student_id")
    missing = []
    for e in establishments:
        if not e.scored:
            continue
        start, end = rosters.slices.get(e.uai, (0, 0))
        roster = set(ids.slice(start, end - start).to_pylist())
        missing += [(s.student_id, e.uai) for s in e.scored if s.student_id not in roster]
    return missing


def unnamed_students(
    rosters: WeekRosters, establishments: Sequence[EstablishmentWeek]
) -> list[dict[str, Any]]:
    """The scored students missing from their establishment's roster (id only)."""
    return [{"student_id": student_id} for student_id, _ in _off_roster(rosters, establishments)]


def enrollment_facts_of(
    rosters: WeekRosters,
    establishments: Sequence[EstablishmentWeek],
    week: dt.date,
    held: Set[Part],
) -> Columns:
    """The enrollment facts a week's input states, one per (student, establishment, start):
    each roster student's enrollment in force on the as-of date (its Monday `week` standing
    for an unknown start), and each scored student missing from the roster from `week`; not
    those of the parts of rosters `held`."""
    table = rosters.table
    dated = pa.table(
        {
            "uai": table.column("uai"),
            "student_id": table.column("student_id"),
            "start_date": pc.coalesce(table.column("enrolled_since"), pa.scalar(week, pa.date32())),
            "end_date": table.column("enrolled_until"),
        }
    )
    columns = ("student_id", "uai", "start_date", "end_date")
    facts = _written(rosters, dated, establishments, held, columns)
    missing = [
        (student_id, uai, week, None) for student_id, uai in _off_roster(rosters, establishments)
    ]
    return Columns(
        {
            name: [*values, *(row[number] for row in missing)]
            for number, (name, values) in enumerate(facts.values.items())
        }
    )

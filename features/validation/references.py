"""Checks that look a row's key up in another table: known students, known establishments,
and dates inside one of the student's enrollments.

Each referenced table is first reduced to a lookup with one row per key (a few hundred thousand
rows for an académie) and LEFT JOINed to the row scan of the table under check, so these rules
share that one scan instead of reading a multi-gigabyte file again. Pure SQL text.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from features.contract import TABLES
from features.validation.cells import CellCheck
from features.validation.sql import as_date, quoted, year_end, year_start

__all__ = [
    "LOOKUPS",
    "Lookup",
    "MadeLookups",
    "reference_checks",
]

# Tables whose dated events must fall inside an enrollment. Exam results are published after
# classes end, so an exam only has to fall in the school year of an enrollment, on or after
# its start.
_DATED_EVENTS = {"attendance": "date", "grades": "date", "exams": "date"}
_LENIENT_END = frozenset({"exams"})


@dataclass(frozen=True)
class Lookup:
    """One row per `key`, built from the usable `sources` (table -> columns it reads)."""

    name: str
    key: str
    sources: dict[str, tuple[str, ...]]
    # source table -> the SELECT of (key, flag, span) from a relation of its rows (named)
    parts: dict[str, Callable[[str], str]]

    def sql(self, available: Collection[str], relations: Mapping[str, str] | None = None) -> str:
        """The lookup over the sources in `available` (at least one), each read from
        `raw_<table>` or from the relation `relations` names for it (some of its rows, with
        its columns: the rows of the keys whose lookup is computed again)."""
        relations = relations or {}
        selects = [
            self.parts[table](relations.get(table, f"raw_{table}"))
            for table in self.sources
            if table in available
        ]
        if not selects:
            raise ValueError(f"lookup {self.name} has no usable source")
        union = " UNION ALL ".join(selects)
        key = quoted(self.key)
        return (
            f"SELECT {key}, bool_or(listed) AS known_{self.name}, "
            f"list(span) FILTER (WHERE span IS NOT NULL) AS spans_{self.name} "
            f"FROM ({union}) GROUP BY {key}"
        )


_SPAN = "STRUCT(first_day DATE, last_day DATE, year_last DATE)"

# Relations holding lookups already made, by lookup name and the source tables they read.
MadeLookups = Mapping[tuple[str, frozenset[str]], str]


def _enrollment_spans(relation: str) -> str:
    """Each enrollment of `relation` as the days it covers: from its start (not before 1
    September) to its end, or 31 August for an open one; `year_last` is the end of its school
    year."""
    year = quoted("school_year")
    start, end = as_date(quoted("start_date")), as_date(quoted("end_date"))
    return (
        f"SELECT student_id, FALSE AS listed, "
        f"{{'first_day': greatest({start}, {year_start(year)}), "
        f"'last_day': least(coalesce({end}, {year_end(year)}), {year_end(year)}), "
        f"'year_last': {year_end(year)}}}::{_SPAN} AS span "
        f"FROM {relation} "
        f"WHERE student_id IS NOT NULL AND {start} IS NOT NULL AND {year_start(year)} IS NOT NULL"
    )


LOOKUPS: dict[str, Lookup] = {
    lookup.name: lookup
    for lookup in (
        Lookup(
            "student",
            "student_id",
            {
                "students": ("student_id",),
                "enrollments": ("student_id", "school_year", "start_date"),
            },
            {
                "students": lambda relation: (
                    f"SELECT student_id, TRUE AS listed, NULL::{_SPAN} AS span "
                    f"FROM {relation} WHERE student_id IS NOT NULL"
                ),
                "enrollments": _enrollment_spans,
            },
        ),
        Lookup(
            "establishment",
            "uai",
            {"establishments": ("uai",)},
            {
                "establishments": lambda relation: (
                    f"SELECT uai, TRUE AS listed, NULL::{_SPAN} AS span "
                    f"FROM {relation} WHERE uai IS NOT NULL"
                )
            },
        ),
    )
}


def _reference(table: str, column: str, parent: str, lookup: str, rule: str) -> CellCheck:
    cell = quoted(column)
    return CellCheck(
        rule=rule,
        table=table,
        column=column,
        failing=f"{cell} IS NOT NULL AND NOT coalesce(known_{lookup}, FALSE)",
        value=cell,
        message=f"{column} '{{value}}' is not in {parent}",
        needs=(column,),
        lookup=lookup,
        uses=(parent,),
    )


def _coverage(table: str, column: str) -> CellCheck:
    day = as_date(quoted(column))
    last = "year_last" if table in _LENIENT_END else "last_day"
    covered = (
        f"list_bool_or(list_transform(spans_student, "
        f"lambda span: {day} BETWEEN span.first_day AND span.{last}))"
    )
    where = (
        "outside every enrollment of student {detail} (from its start to the end of its "
        "school year)"
        if table in _LENIENT_END
        else "outside every enrollment of student {detail} (its dates, within its school year)"
    )
    return CellCheck(
        rule="date_outside_enrollment",
        table=table,
        column=column,
        failing=f"student_id IS NOT NULL AND {day} IS NOT NULL AND NOT coalesce({covered}, FALSE)",
        value=quoted(column),
        message=f"{column} {{value}} is {where}",
        needs=("student_id", column),
        detail="student_id",
        lookup="student",
        uses=("enrollments",),
    )


def reference_checks(table: str) -> tuple[CellCheck, ...]:
    """The lookup checks of a contract table: its student, its establishment, its dates."""
    checks = []
    if table != "students" and "student_id" in TABLES[table].column_names:
        checks.append(_reference(table, "student_id", "students", "student", "unknown_student"))
    if table == "enrollments":
        checks.append(_reference(table, "uai", "establishments", "establishment", "unknown_uai"))
    if table in _DATED_EVENTS:
        checks.append(_coverage(table, _DATED_EVENTS[table]))
    return tuple(checks)

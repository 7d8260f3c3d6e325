"""Assembling the contract tables from the simulation's arrays.

This is where integer codes become the contract's text codes, pool positions become opaque
student ids, day numbers become dates, and columns take the contract's names and order.
Rows are sorted (by student, then date), so that the files read naturally and are identical
from one run to the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from features.contract import TABLES
from features.synth import codes as c
from features.synth.attendance import REASONS, AttendanceRows
from features.synth.config import SynthConfig
from features.synth.enrollments import Segments, class_labels
from features.synth.establishments import Establishments, interview_capacity
from features.synth.exams import ExamRows
from features.synth.grades import GradeRows, subject_vocabulary
from features.synth.latent_file import LatentRows
from features.synth.outcomes import OutcomeRows
from features.synth.population import Students
from features.synth.streams import stream
from features.synth.timeline import NEVER

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Rows = TypeVar("Rows", bound="DataclassInstance")

__all__ = ["Draft", "assemble", "latent_table"]

_STRING = pd.StringDtype("pyarrow", na_value=np.nan)


@dataclass(frozen=True)
class Draft:
    """Everything the simulation produced, still as arrays."""

    establishments: Establishments
    students: Students
    school_years: list[str]
    segments: list[Segments]  # one per school year
    attendance: list[AttendanceRows]
    grades: list[GradeRows]
    exams: list[ExamRows]
    outcomes: list[OutcomeRows]
    latent: list[LatentRows] = field(default_factory=list)  # years with outcomes only
    # The interviews' weekly ranking, when planted (`features.synth.interviews`).
    interviews: list[pd.DataFrame] = field(default_factory=list)


def _text(vocabulary: Sequence[str] | np.ndarray, codes: np.ndarray) -> pd.Series:
    """Text column from codes into a vocabulary; negative codes are empty (missing)."""
    codes = np.asarray(codes)
    indices = pa.array(np.maximum(codes, 0).astype(np.int32), mask=codes < 0)
    array = pa.DictionaryArray.from_arrays(indices, pa.array(list(vocabulary), pa.string()))
    return pd.Series(array.cast(pa.large_string()), dtype=_STRING)


def _dates(days: np.ndarray) -> pd.Series:
    days = np.asarray(days).astype(np.int64)
    values = days.astype("datetime64[D]").astype("datetime64[s]")
    return pd.Series(np.where(days == NEVER, np.datetime64("NaT", "s"), values))


def _order(*keys: tuple[np.ndarray, int]) -> np.ndarray:
    """Row order by several small non-negative integer keys (most significant first), packed
    into one int64 so that a single sort does (a lexicographic sort is much slower)."""
    packed = np.zeros(len(keys[0][0]), dtype=np.int64)
    for values, bits in keys:
        packed = (packed << bits) | np.asarray(values, dtype=np.int64)
    return np.argsort(packed, kind="stable")


def _day_offset(days: np.ndarray) -> np.ndarray:
    return days.astype(np.int64) - (int(days.min()) if len(days) else 0)


def _frame(name: str, columns: dict[str, pd.Series | np.ndarray]) -> pd.DataFrame:
    order = TABLES[name].column_names
    frame = pd.DataFrame({column: columns[column] for column in order if column in columns})
    return frame.reset_index(drop=True)


def _concat(parts: Sequence[Rows], cls: type[Rows]) -> Rows:
    names = [column.name for column in fields(cls)]
    return cls(**{n: np.concatenate([getattr(part, n) for part in parts]) for n in names})


def _student_ids(
    draft: Draft, segments: Segments, config: SynthConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pool indices of the students written, their id number (rank; -1 for the others) and
    the id strings by number (index 0 unused)."""
    used = np.unique(segments.student)
    rank = np.full(len(draft.students), -1, dtype=np.int64)
    number = stream(config.seed, "student_ids").permutation(len(used)) + 1
    rank[used] = number
    width = max(8, len(str(len(used))))
    ids = np.char.mod(f"{config.student_id_prefix}%0{width}d", np.arange(len(used) + 1))
    return used, rank, ids


def latent_table(draft: Draft, config: SynthConfig) -> pa.Table:
    """The side file of `features.synth.latent_file`: student_id, school_year, as_of (date),
    latent_risk (float32), sorted by student, year and week; a student listed twice on a
    year's roster keeps the higher risk of each week."""
    schema = pa.schema([("student_id", pa.string()), ("school_year", pa.string()),
                        ("as_of", pa.date32()), ("latent_risk", pa.float32())])  # fmt: skip
    if not draft.latent:
        return schema.empty_table()
    segments = _concat(draft.segments, Segments)
    _, rank, ids = _student_ids(draft, segments, config)
    rows = _concat(draft.latent, LatentRows)
    number = rank[rows.student]
    known = number >= 0
    number, year, day = number[known], rows.year[known], rows.day[known]
    risk = rows.latent_risk[known]
    order = _order((number, 40), (year.astype(np.int64), 8), (_day_offset(day), 15))
    number, year, day, risk = number[order], year[order], day[order], risk[order]
    starts = np.flatnonzero(
        np.r_[True, (number[1:] != number[:-1]) | (year[1:] != year[:-1]) | (day[1:] != day[:-1])]
    ) if len(number) else np.zeros(0, dtype=np.int64)  # fmt: skip
    risk = np.maximum.reduceat(risk, starts) if len(starts) else risk
    number, year, day = number[starts], year[starts], day[starts]

    # no Python strings
    def text(vocabulary: Sequence[str] | np.ndarray, codes: np.ndarray) -> pa.Array:
        indices = pa.array(np.asarray(codes).astype(np.int32))
        return pa.DictionaryArray.from_arrays(indices, pa.array(list(vocabulary))).cast(pa.string())

    return pa.table({
        "student_id": text(ids, number),
        "school_year": text(draft.school_years, year),
        "as_of": pa.array(day.astype("datetime64[D]"), pa.date32()),
        "latent_risk": pa.array(risk.astype(np.float32), pa.float32()),
    }, schema=schema)  # fmt: skip


def assemble(draft: Draft, config: SynthConfig) -> dict[str, pd.DataFrame]:
    """The contract tables, in contract order."""
    segments = _concat(draft.segments, Segments)
    year_of_segment = np.concatenate(
        [np.full(len(part), year, dtype=np.int16) for year, part in enumerate(draft.segments)]
    )
    used, rank, ids = _student_ids(draft, segments, config)

    def student_ids(pool_index: np.ndarray) -> pd.Series:
        return _text(ids, rank[pool_index])

    tables: dict[str, pd.DataFrame] = {}
    tables["establishments"] = _establishments(draft, segments, year_of_segment, config)
    tables["students"] = _students(draft.students, used, rank, segments, ids)

    order = np.lexsort((segments.start, year_of_segment, rank[segments.student]))
    seg = segments.take(order)
    tables["enrollments"] = _frame("enrollments", {
        "student_id": student_ids(seg.student),
        "school_year": _text(draft.school_years, year_of_segment[order]),
        "uai": _text(list(draft.establishments.uai), seg.uai),
        "level": _text(c.LEVELS, seg.level),
        "track": _text(c.TRACKS, seg.track),
        "class_id": pd.Series(class_labels(seg.level, seg.track, seg.class_index), dtype=_STRING),
        "start_date": _dates(seg.start),
        "end_date": _dates(seg.end),
        "exit_reason": _text(c.EXIT_REASONS, seg.exit),
    })  # fmt: skip

    att = _concat(draft.attendance, AttendanceRows)
    order = _order(
        (rank[att.student], 40), (_day_offset(att.day), 20), (att.half_day, 1), (att.kind, 1)
    )
    tables["attendance"] = _frame("attendance", {
        "student_id": student_ids(att.student[order]),
        "date": _dates(att.day[order]),
        "half_day": _text(("am", "pm"), att.half_day[order]),
        "kind": _text(("absence", "late"), att.kind[order]),
        "justified": att.justified[order],
        "reason": _text(REASONS, att.reason[order]),
    })  # fmt: skip

    grades = _concat(draft.grades, GradeRows)
    order = _order((rank[grades.student], 40), (_day_offset(grades.day), 16), (grades.subject, 7))
    tables["grades"] = _frame("grades", {
        "student_id": student_ids(grades.student[order]),
        "date": _dates(grades.day[order]),
        "subject": _text(subject_vocabulary(config), grades.subject[order]),
        "value": grades.value[order],
        "out_of": grades.out_of[order],
        "coefficient": grades.coefficient[order],
        "period": grades.period[order].astype(np.int64),
    })  # fmt: skip

    exams = _concat(draft.exams, ExamRows)
    order = _order((rank[exams.student], 40), (_day_offset(exams.day), 16), (exams.exam, 7))
    tables["exams"] = _frame("exams", {
        "student_id": student_ids(exams.student[order]),
        "date": _dates(exams.day[order]),
        "exam": _text(c.EXAMS, exams.exam[order]),
        "result": _text(c.RESULTS, exams.result[order]),
        "score": exams.score[order],
    })  # fmt: skip

    outcomes = _concat(draft.outcomes, OutcomeRows)
    order = np.lexsort((outcomes.year, rank[outcomes.student]))
    tables["outcomes"] = _frame("outcomes", {
        "student_id": student_ids(outcomes.student[order]),
        "school_year": _text(draft.school_years, outcomes.year[order]),
        "dropped_out": outcomes.dropped_out[order],
        "known_on": _dates(outcomes.known_on[order]),
    })  # fmt: skip
    if draft.interviews:  # planted (`features.synth.interviews`): the optional table
        queue = pd.concat(draft.interviews, ignore_index=True)
        held = queue[queue["invited"].to_numpy(dtype=bool)]
        held = held.assign(_rank=rank[held["student"].to_numpy()])
        held = held.sort_values(["_rank", "day"], kind="stable")
        tables["interviews"] = _frame("interviews", {
            "student_id": student_ids(held["student"].to_numpy()),
            "date": pd.Series(held["day"].to_numpy().astype("datetime64[s]")),
            "solution": pd.Series(held["solution"].to_numpy(), dtype=_STRING),
        })  # fmt: skip
    return {name: tables[name] for name in TABLES if name in tables}


def _establishments(
    draft: Draft, segments: Segments, year_of_segment: np.ndarray, config: SynthConfig
) -> pd.DataFrame:
    est = draft.establishments
    last = year_of_segment == len(draft.school_years) - 1
    pairs = np.unique(np.stack([segments.uai[last], segments.student[last]]), axis=1)
    size = np.bincount(pairs[0], minlength=len(est)) if pairs.size else np.zeros(len(est))
    order = np.argsort(est.uai, kind="stable")
    return _frame("establishments", {
        "uai": pd.Series(est.uai[order], dtype=_STRING),
        "name": pd.Series(np.array(est.name, dtype=object)[order], dtype=_STRING),
        "kind": _text(c.KINDS, est.kind[order]),
        "academie": pd.Series([config.academie] * len(est), dtype=_STRING),
        "department": pd.Series(np.array(est.department, dtype=object)[order], dtype=_STRING),
        "sector": _text(("public", "private"), est.private[order].astype(np.int8)),
        "priority_zone": _text(c.ZONES, est.zone[order]),
        "weekly_interview_capacity": interview_capacity(size[order], config),
    })  # fmt: skip


def _students(
    students: Students, used: np.ndarray, rank: np.ndarray, segments: Segments, ids: np.ndarray
) -> pd.DataFrame:
    latest = np.lexsort((segments.start, segments.student))
    last_of = np.r_[segments.student[latest][1:] != segments.student[latest][:-1], True]
    last_level = np.full(len(students), c.L6E, dtype=np.int8)
    last_level[segments.student[latest][last_of]] = segments.level[latest][last_of]
    index = used[np.argsort(rank[used], kind="stable")]
    need = students.scholarship[index]
    top = np.where(last_level[index] <= c.L3E, 3, 6)
    level = np.where(need > 0, np.minimum(1 + np.floor(need * top), top), 0).astype(np.int64)
    return _frame("students", {
        "student_id": _text(ids, rank[index]),
        "birth_date": _dates(students.birth_day[index]),
        "sex": _text(("F", "M"), students.male[index].astype(np.int8)),
        "scholarship_level": level,
        "parent_pcs": _text(c.PCS, students.pcs[index]),
        "last_name": pd.Series(students.last_names(index), dtype=_STRING),
        "first_name": pd.Series(students.first_names(index), dtype=_STRING),
    })  # fmt: skip

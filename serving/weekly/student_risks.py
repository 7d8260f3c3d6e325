"""Every enrolled student's risk of a week, column-wise: what each establishment's queue is
chosen from, without a Python object per student.

`StudentRisks` holds one establishment's students (ids as Arrow strings, risks as float64),
compact enough to travel from a cluster's workers to the client (21 bytes a student with
ids of nine characters, against 146 as Python pairs) and to be queued without visiting
every student: `queue_pairs` keeps the students `models.queue.weekly_queue` may queue
(`models.queue.queue_candidates`) and makes Python pairs of those only. `WeekRisks` looks
students up in every establishment's at once (the decisions' risks of the week, which
students a decision concerns), as a dict of every student's risk would, made only when
asked. Pure: arrays in, arrays and small dicts out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from models.queue import queue_candidates

__all__ = ["StudentRisks", "WeekRisks"]


class StudentRisks:
    """The students of an establishment's week and their calibrated risks, in the same order.
    `ids` is copied out of any larger array it is a slice of (a slice would carry, and
    pickle, the whole buffer). `distinct`: True when the caller knows every id is listed
    once (None: looked for when asked)."""

    __slots__ = ("_distinct", "ids", "risks")

    def __init__(
        self, ids: pa.Array | pa.ChunkedArray, risks: np.ndarray, *, distinct: bool | None = None
    ) -> None:
        if isinstance(ids, pa.ChunkedArray):
            ids = ids.combine_chunks()
        if ids.type != pa.string():
            ids = ids.cast(pa.string())
        values = np.ascontiguousarray(risks, dtype="float64")
        if values.ndim != 1 or len(values) != len(ids):
            raise ValueError(f"{len(ids)} student ids but {len(values)} risks")
        if ids.null_count:
            raise ValueError("a student's risk without a student id")
        self.ids: pa.StringArray = pa.concat_arrays([ids])
        self.risks: np.ndarray = values
        self._distinct = distinct

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, float]]) -> StudentRisks:
        """From (student_id, risk) pairs."""
        items = list(pairs)
        return cls(
            pa.array([str(student_id) for student_id, _ in items], pa.string()),
            np.array([float(risk) for _, risk in items], dtype="float64"),
        )

    def __len__(self) -> int:
        return len(self.risks)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StudentRisks):
            return NotImplemented
        return self.ids.equals(other.ids) and np.array_equal(self.risks, other.risks)

    __hash__ = None  # type: ignore[assignment]  # mutable arrays: not a key

    def __repr__(self) -> str:
        return f"StudentRisks({len(self)} students)"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuilt, (self.ids, self.risks, self._distinct))

    def pairs(self, positions: np.ndarray | None = None) -> list[tuple[str, float]]:
        """(student_id, risk) pairs of `positions` (every student by default), in that order."""
        if positions is None:
            return list(zip(self.ids.to_pylist(), self.risks.tolist(), strict=True))
        taken = self.ids.take(pa.array(np.asarray(positions, dtype="int64")))
        return list(zip(taken.to_pylist(), self.risks[positions].tolist(), strict=True))

    def has_duplicates(self) -> bool:
        """Whether a student appears twice."""
        if self._distinct is None:
            self._distinct = len(self) < 2 or pc.count_distinct(self.ids).as_py() == len(self)
        return not self._distinct

    def among(self, students: Collection[str]) -> np.ndarray:
        """A boolean per student: whether their id is one of `students`."""
        return _among(self.ids, students)

    def risk_of(self, students: Collection[str]) -> dict[str, float]:
        """The risks of those of `students` listed here (the last one if listed twice)."""
        where = np.flatnonzero(self.among(students))
        return dict(self.pairs(where))

    def queue_pairs(
        self, capacity: int, watch_threshold: float | None, decided: Collection[str] | np.ndarray
    ) -> tuple[np.ndarray, list[tuple[str, float]]]:
        """The positions and (student_id, risk) pairs of the students the establishment's
        queue may hold whatever the decisions of the students `decided` (those with a
        decision recorded: their ids, or a boolean per student) say:
        `models.queue.queue_candidates`. Every student when one is listed twice, for the
        queue to name the first one it meets."""
        if self.has_duplicates():
            return np.arange(len(self)), self.pairs()
        flags = decided if isinstance(decided, np.ndarray) else self.among(decided)
        kept = queue_candidates(self.risks, capacity, watch_threshold, flags)
        return kept, self.pairs(kept)


def _among(ids: pa.Array, students: Collection[str]) -> np.ndarray:
    """A boolean per id of `ids`: whether it is one of `students` (one hash of them)."""
    if not students or not len(ids):
        return np.zeros(len(ids), dtype=bool)
    found = pc.is_in(ids, value_set=pa.array(list(students), pa.string()))
    return found.to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _rebuilt(ids: pa.Array, risks: np.ndarray, distinct: bool | None) -> StudentRisks:
    return StudentRisks(ids, risks, distinct=distinct)


class WeekRisks(Mapping[str, float]):
    """Every establishment's `StudentRisks` of a week looked up as one mapping from student id
    to risk (as a dict made of every pair in order would: the last risk of a student listed
    twice). The dict is made on the first lookup of a single student; `present`, `risk_of`
    and `among_parts` look many up at once, in one pass over every student's id (not one
    per establishment: the decided students of an académie may be thousands)."""

    def __init__(self, parts: Iterable[StudentRisks]) -> None:
        self._parts = list(parts)
        self._dict: dict[str, float] | None = None
        self._joined: tuple[pa.Array, np.ndarray] | None = None

    def _all(self) -> dict[str, float]:
        if self._dict is None:
            self._dict = {}
            for part in self._parts:
                self._dict.update(part.pairs())
        return self._dict

    def __getitem__(self, student_id: str) -> float:
        return self._all()[student_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def _every(self) -> tuple[pa.Array, np.ndarray]:
        """Every part's ids and risks, one after the other."""
        if self._joined is None:
            ids = pa.concat_arrays([pa.array([], pa.string()), *(p.ids for p in self._parts)])
            risks = np.concatenate([np.empty(0), *(p.risks for p in self._parts)])
            self._joined = (ids, risks)
        return self._joined

    def _among(self, students: Collection[str]) -> np.ndarray:
        return _among(self._every()[0], students)

    def among_parts(self, students: Collection[str]) -> list[np.ndarray]:
        """For each part (in the order given), a boolean per student: whether their id is
        one of `students`."""
        ends = np.cumsum([len(part) for part in self._parts]).tolist()
        return np.split(self._among(students), ends[:-1]) if self._parts else []

    def present(self, students: Collection[str]) -> set[str]:
        """Those of `students` who have a risk this week."""
        ids, _ = self._every()
        return set(ids.filter(self._among(students)).to_pylist())

    def risk_of(self, students: Collection[str]) -> dict[str, float]:
        """The risks of those of `students` who have one (the last listed, as `self[id]`)."""
        ids, risks = self._every()
        where = np.flatnonzero(self._among(students))
        taken = ids.take(pa.array(where, pa.int64())).to_pylist()
        return dict(zip(taken, risks[where].tolist(), strict=True))

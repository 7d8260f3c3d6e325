"""Rows to store given column by column: a week's rosters (hundreds of thousands of students
and enrollment facts) reach the upsert as one list per column, read straight from the
rosters' Arrow table, instead of one dict per row."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

__all__ = ["Columns", "Rows"]


@dataclass(frozen=True)
class Columns:
    """Rows as one list of values per column name, the lists of one length."""

    values: dict[str, list[Any]]

    def __post_init__(self) -> None:
        if len({len(column) for column in self.values.values()}) > 1:
            raise ValueError("the columns of a set of rows have different lengths")

    @classmethod
    def of(cls, rows: Rows) -> Columns:
        """`rows` column by column (dicts with the same keys, or columns already)."""
        if isinstance(rows, Columns):
            return rows
        names = list(rows[0]) if rows else []
        return cls({name: list(map(itemgetter(name), rows)) for name in names})

    @property
    def names(self) -> list[str]:
        return list(self.values)

    def __len__(self) -> int:
        return len(next(iter(self.values.values()))) if self.values else 0

    def dicts(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        """The rows `start` to `stop` as dicts."""
        names = self.names
        picked = [self.values[name][start:stop] for name in names]
        return [dict(zip(names, row, strict=True)) for row in zip(*picked, strict=True)]

    def tuples(self, names: Sequence[str]) -> Iterator[tuple[Any, ...]]:
        """Every row's values of `names`, in that order."""
        return zip(*(self.values[name] for name in names), strict=True)


Rows = Sequence[dict[str, Any]] | Columns

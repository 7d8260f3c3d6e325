"""The order of a weekly list: one rule for the lists, the CLI and the evaluation.

Highest risk first; equal risks by ascending student id (code-point order of the ids), so
that an order never depends on the order of the input. Rows of different groups (an
establishment's week, a school year's establishment-week) are ranked apart, groups in
ascending order of their keys. The weekly queue (`models.queue`), the evaluation's lists and
replay (`training.metrics_lists`, `training.replay`), the dashboard's precision at capacity and
`vigie explain` all order students with `list_order` or `list_ranks`.

Pure: arrays in, positions or ranks out.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["list_order", "list_ranks"]


def list_order(
    risk: npt.ArrayLike, student_id: npt.ArrayLike, group: npt.ArrayLike | None = None
) -> np.ndarray:
    """Row positions in list order: by `group` (ascending; None: one group), then `risk`
    descending, then `student_id` ascending. `risk` is any score where higher is riskier
    (the calibrated risk or the raw score: the calibration is increasing); a missing risk is
    refused, since it has no place in a list."""
    return _ordered(risk, student_id, group)[0]


def list_ranks(
    risk: npt.ArrayLike, student_id: npt.ArrayLike, group: npt.ArrayLike | None = None
) -> np.ndarray:
    """Each row's rank in its group's list (1 = first), in row order: `list_order` read
    back. The list of length n of a group is its rows with rank <= n."""
    order, groups = _ordered(risk, student_id, group)
    positions = np.arange(len(order))
    sorted_groups = groups[order]
    is_start = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]][: len(order)]
    start = np.maximum.accumulate(np.where(is_start, positions, 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = positions - start + 1
    return rank


def _ordered(
    risk: npt.ArrayLike, student_id: npt.ArrayLike, group: npt.ArrayLike | None
) -> tuple[np.ndarray, np.ndarray]:
    """`list_order` and each row's group code (codes ascending with the group keys)."""
    risk = np.asarray(risk, dtype="float64")
    if risk.ndim != 1:
        raise ValueError(f"risk must be one-dimensional, not of shape {risk.shape}")
    if np.isnan(risk).any():
        raise ValueError("risk has missing values: a list cannot place them")
    student = _codes(student_id, len(risk), "student ids")
    groups = (
        np.zeros(len(risk), dtype=np.int64) if group is None else _codes(group, len(risk), "groups")
    )
    return np.lexsort((student, -risk, groups)), groups


def _codes(values: npt.ArrayLike, length: int, what: str) -> np.ndarray:
    """Integer codes ascending with the values, compared as Python compares them (ids: by
    code point); integers are their own codes."""
    if not isinstance(values, pd.Series | pd.Index | np.ndarray):
        # A Python sequence (one establishment's queue): plain Python, no per-call overhead.
        items = np.asarray(values, dtype=object).tolist()
        if len(items) != length:
            raise ValueError(f"{length} risks but {len(items)} {what}")
        if any(item is None or item != item for item in items):
            raise ValueError(f"{what} have missing values: a list cannot place them")
        code = {item: i for i, item in enumerate(sorted(set(items)))}
        return np.fromiter((code[item] for item in items), dtype=np.int64, count=length)
    if len(values) != length:
        raise ValueError(f"{length} risks but {len(values)} {what}")
    if values.dtype.kind in "iu":
        return np.asarray(values)
    array = values.astype(object) if values.dtype.kind in "US" else values
    codes = pd.factorize(array, sort=True)[0]
    if (codes < 0).any():
        raise ValueError(f"{what} have missing values: a list cannot place them")
    return codes

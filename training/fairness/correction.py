"""The band test of disparity ratios, corrected for the number of groups judged.

A ratio is out of band only when its bootstrap interval lies entirely outside the band
(0.8-1.25) at a level corrected for the `m` ratios judged together, so that a clean académie
with many groups does not fail some of them by chance:

- `bonferroni`: every ratio's percentile interval at level 1 - alpha/m;
- `holm` (step-down, never flags fewer than Bonferroni): ratios taken in increasing order of
  their bootstrap p-value; the j-th (j = 1..m) is tested with its interval at level
  1 - alpha/(m - j + 1); the first whose interval meets the band stops the procedure, and it
  and every later ratio are within band, shown at that stopping level.

alpha = 1 - the audit's level (0.05 by default). The p-value of a ratio is the smallest alpha
at which its two-sided percentile interval lies outside the band: 2 x the share of replicates
on the band's side (inside or beyond its nearer edge), at most 1. The intervals are read from
the replicates themselves (no stored percentile is reused).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["CORRECTIONS", "Correction", "band_p_value", "corrected_band_test", "interval_at"]

Correction = Literal["bonferroni", "holm"]
CORRECTIONS: tuple[str, ...] = ("bonferroni", "holm")


def _defined(replicates: np.ndarray) -> np.ndarray:
    values = np.asarray(replicates, dtype="float64").ravel()
    return values[~np.isnan(values)]


def interval_at(replicates: np.ndarray, level: float) -> tuple[float, float]:
    """The two-sided percentile interval of `replicates` at `level` (NaN ignored)."""
    values = _defined(replicates)
    if values.size == 0:
        return math.nan, math.nan
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def band_p_value(replicates: np.ndarray, band: tuple[float, float]) -> float:
    """Bootstrap p-value of "the ratio lies within the band": small when nearly every
    replicate lies beyond one edge of the band."""
    values = _defined(replicates)
    if values.size == 0:
        return math.nan
    low, high = band
    return float(min(1.0, 2 * min(float(np.mean(values >= low)), float(np.mean(values <= high)))))


def _outside(interval: tuple[float, float], band: tuple[float, float]) -> bool:
    low, high = interval
    return bool(high < band[0] or low > band[1])


def corrected_band_test(
    replicates: Mapping[Hashable, np.ndarray],
    band: tuple[float, float],
    alpha: float,
    method: Correction = "holm",
) -> pd.DataFrame:
    """Judge each ratio (its bootstrap replicates) against `band`, corrected for
    m = len(replicates) ratios. One row per key (index in the order given): `p_value`,
    `adjusted_level`, `adjusted_low`, `adjusted_high`, `out_of_band` (bool), and `tests` (m).
    """
    if method not in CORRECTIONS:
        raise ValueError(f"correction must be one of {CORRECTIONS}, not {method!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), not {alpha}")
    keys = list(replicates)
    m = len(keys)
    p_values = {key: band_p_value(replicates[key], band) for key in keys}
    levels: dict[Hashable, float] = {}
    flagged: dict[Hashable, bool] = dict.fromkeys(keys, False)
    if method == "bonferroni":
        for key in keys:
            levels[key] = 1 - alpha / m
            flagged[key] = _outside(interval_at(replicates[key], levels[key]), band)
    else:
        order = sorted(range(m), key=lambda i: (_nan_last(p_values[keys[i]]), i))
        stopped_at: float | None = None
        for step, position in enumerate(order):
            key = keys[position]
            level = 1 - alpha / (m - step) if stopped_at is None else stopped_at
            levels[key] = level
            if stopped_at is None and _outside(interval_at(replicates[key], level), band):
                flagged[key] = True
            elif stopped_at is None:
                stopped_at = level
    rows = []
    for key in keys:
        low, high = interval_at(replicates[key], levels[key])
        rows.append({"p_value": p_values[key], "adjusted_level": levels[key],
                     "adjusted_low": low, "adjusted_high": high,
                     "out_of_band": flagged[key], "tests": m})  # fmt: skip
    columns = ["p_value", "adjusted_level", "adjusted_low", "adjusted_high", "out_of_band",
               "tests"]  # fmt: skip
    return pd.DataFrame(rows, index=pd.Index(keys, tupleize_cols=False), columns=columns)


def _nan_last(value: float) -> float:
    return math.inf if math.isnan(value) else value

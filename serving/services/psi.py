"""The population stability index (PSI) computed from bin counts, so that a week's rows can be
counted one part at a time (one académie's snapshot after the other) and give the PSI of
the whole week exactly.

PSI = sum over bins of (current share - reference share) * ln(current share / reference
share). A numeric variable's bins are the reference's deciles (edges from its known values;
missing values are a bin of their own); a categorical variable's bins are its categories in
either population (missing a category of its own). A bin's share is its count over the
population's rows, floored at `EPSILON` so that an empty bin does not make PSI infinite.
Counts add up over parts, so the shares, and the PSI, are those of the rows taken whole.
Pure functions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "EPSILON",
    "Bins",
    "bin_counts",
    "parts_psi",
    "population_stability_index",
    "psi_of_counts",
    "reference_bins",
]

EPSILON = 1e-4  # floor of a bin's share
MISSING = "__missing__"


@dataclass(frozen=True)
class Bins:
    """How a variable is binned: by category, or by the reference's inner decile edges."""

    categorical: bool
    inner: np.ndarray  # numeric: the edges between bins (empty: one bin of known values)


def reference_bins(reference: pd.Series, bins: int = 10, categorical: bool = False) -> Bins:
    """The bins of a variable, from its reference population (`bins` quantiles if numeric)."""
    if bins < 2:
        raise ValueError(f"bins must be at least 2, not {bins}")
    if categorical:
        return Bins(True, np.array([]))
    known = pd.to_numeric(reference, errors="coerce").astype("float64").dropna()
    quantiles = np.linspace(0, 1, bins + 1)
    edges = np.unique(np.quantile(known, quantiles)) if len(known) else np.array([])
    return Bins(False, edges[1:-1] if len(edges) > 2 else np.array([]))


def bin_counts(values: pd.Series, bins: Bins) -> Counter[object]:
    """How many of `values` fall in each bin (a category, or a bin's number; `MISSING`)."""
    if bins.categorical:
        labels = values.astype("string").fillna(MISSING)
        return Counter({str(k): int(v) for k, v in labels.value_counts().items()})
    numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    missing = np.isnan(numbers)
    codes = np.searchsorted(bins.inner, numbers[~missing], side="right")
    counts = np.bincount(codes, minlength=len(bins.inner) + 1)
    found: Counter[object] = Counter({code: int(n) for code, n in enumerate(counts) if n})
    if missing.any():
        found[MISSING] = int(missing.sum())
    return found


def _labels(bins: Bins, reference: Counter[object], current: Counter[object]) -> list[object]:
    if bins.categorical:
        return sorted(set(reference) | set(current), key=str)
    return [*range(len(bins.inner) + 1), MISSING]


def _shares(counts: Counter[object], labels: Sequence[object]) -> np.ndarray:
    values = np.array([counts.get(label, 0) for label in labels], dtype="float64")
    total = values.sum()
    shares = values / total if total else values
    return np.clip(shares, EPSILON, None)


def psi_of_counts(bins: Bins, reference: Counter[object], current: Counter[object]) -> float:
    """PSI of the `current` bin counts against the `reference` ones."""
    if not sum(reference.values()) or not sum(current.values()):
        raise ValueError("PSI needs rows in both populations")
    labels = _labels(bins, reference, current)
    ref, cur = _shares(reference, labels), _shares(current, labels)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def population_stability_index(
    reference: pd.Series, current: pd.Series, bins: int = 10, categorical: bool = False
) -> float:
    """PSI of `current` against `reference` (see the module docstring)."""
    binned = reference_bins(reference, bins, categorical)
    return psi_of_counts(binned, bin_counts(reference, binned), bin_counts(current, binned))


def parts_psi(
    reference: pd.DataFrame,
    parts: Iterable[pd.DataFrame],
    columns: Mapping[str, bool],
    score: Callable[[pd.DataFrame], np.ndarray] | None = None,
) -> tuple[dict[str, float], float | None, int]:
    """The PSI of each of `columns` (name -> categorical) and, with `score` (a value per
    row), of the score, for the rows of `parts` taken together against `reference`: each
    part counted then let go. Returns (PSI by column, the score's PSI or None, rows)."""
    bins = {name: reference_bins(reference[name], categorical=c) for name, c in columns.items()}
    counts: dict[str, Counter[object]] = {name: Counter() for name in columns}
    score_bins = score_reference = None
    score_counts: Counter[object] = Counter()
    if score is not None:
        reference_scores = pd.Series(score(reference))
        score_bins = reference_bins(reference_scores)
        score_reference = bin_counts(reference_scores, score_bins)
    rows = 0
    for part in parts:
        rows += len(part)
        for name in columns:
            counts[name].update(bin_counts(part[name], bins[name]))
        if score is not None and score_bins is not None:
            score_counts.update(bin_counts(pd.Series(score(part)), score_bins))
    psi = {
        name: psi_of_counts(bins[name], bin_counts(reference[name], bins[name]), counts[name])
        for name in columns
    }
    score_psi = None
    if score_bins is not None and score_reference is not None:
        score_psi = psi_of_counts(score_bins, score_reference, score_counts)
    return psi, score_psi, rows

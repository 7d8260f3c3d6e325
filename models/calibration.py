"""Calibration of the raw model score into a probability a watch unit can read.

A displayed "risk 30 %" should mean that about 30 % of such students drop out. The booster's
raw score (log-odds margin) ranks students well but its probabilities drift with the training
years' dropout rate and with overfitting, so a one-dimensional map is fitted on held-out rows:
centered isotonic regression (flexible, needs many positives) or Platt scaling (a logistic
curve, two parameters). `choose_calibrator(method="auto")` cross-fits both within the
calibration rows and keeps the one with the lower Brier score (then log loss).

Centered isotonic regression (CIR; Oron & Flournoy 2017, "Centered Isotonic Regression: point
and interval estimation for dose-response studies"): plain isotonic regression is a staircase,
flat over each block of pooled raw scores. At the top of a list, where the watch unit looks,
removing even a large contribution from the raw score then left the displayed risk unchanged,
and a reason such as a 2.2/20 mean mark weighed « < 0,1 point » (`models.reasons`). CIR keeps
sklearn's isotonic fit and replaces each flat block by one knot at the block's x-centroid (the
mean raw score of its rows) with the block's value, joined by straight lines: strictly
increasing between the first and last knots, constant beyond them (the standard choice: no
data says how far past its centroid the top block's rate would keep rising). The knots keep the
blocks' rates (calibration barely moves, see below); only the steps become slopes.

Measured on `vigie synth --out DATA --establishments 20 --students 8000 --seed 1`, then `vigie
train --data DATA` before and after (`auto` picked isotonic both times): test-year Brier
0.006513 -> 0.006511, ECE 0.00160 -> 0.00164, ROC-AUC 0.906 and the replay's 105 dropouts
reached unchanged (same order). `python -m bench.monotone --data DATA --school-year 2025-2026
--points --model before=DIR --model after=DIR` on the two registered models: first reasons of
the weekly lists reading « < 0,1 point » 10.1 % -> 0.6 % of 2,730 listed student-weeks, all
reasons shown 30.6 % -> 9.0 % (README, "Models against the rules schools use today").

The fitted map is plain numbers (thresholds, or slope and intercept), saved as JSON with the
model. An isotonic map is `np.interp` through (`thresholds`, `values`), whether the thresholds
are CIR knots or the block ends of a map saved before CIR (those still load and predict exactly
as they did, flat steps included). A map is constant beyond its ends (and a pre-CIR map flat
within its blocks), which would tie students there; a 10⁻⁶ blend with the logistic of the raw
score keeps the risk strictly increasing in the raw score (the list order is the raw score's
order), moving probabilities by at most 10⁻⁶.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

__all__ = [
    "CalibrationMethod",
    "ScoreCalibrator",
    "centered_isotonic",
    "choose_calibrator",
    "fit_calibrator",
    "grouped_folds",
]

CalibrationMethod = Literal["isotonic", "platt"]
METHODS: tuple[CalibrationMethod, ...] = ("platt", "isotonic")
TIE_BREAK = 1e-6
_EPSILON = 1e-15


@dataclass(frozen=True)
class ScoreCalibrator:
    """A fitted monotone map from the raw score to a probability.

    `isotonic`: piecewise-linear through (`thresholds`, `values`), constant beyond the ends
    (fitted: the knots of a centered isotonic regression, see `centered_isotonic`).
    `platt`: `expit(slope * raw + intercept)`.
    """

    method: CalibrationMethod
    thresholds: tuple[float, ...] = ()
    values: tuple[float, ...] = ()
    slope: float = math.nan
    intercept: float = math.nan

    def predict(self, raw: npt.ArrayLike) -> np.ndarray:
        """Calibrated probabilities of raw scores, strictly increasing in the raw score."""
        raw = np.asarray(raw, dtype="float64")
        if self.method == "isotonic":
            mapped = np.interp(raw, self.thresholds, self.values)
        else:
            mapped = expit(self.slope * raw + self.intercept)
        return (1 - TIE_BREAK) * mapped + TIE_BREAK * expit(raw)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["thresholds"] = list(self.thresholds)
        data["values"] = list(self.values)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreCalibrator:
        if data.get("method") not in METHODS:
            raise ValueError(f"unknown calibration method {data.get('method')!r}")
        return cls(
            method=data["method"],
            thresholds=tuple(float(v) for v in data.get("thresholds", ())),
            values=tuple(float(v) for v in data.get("values", ())),
            slope=float(data.get("slope", math.nan)),
            intercept=float(data.get("intercept", math.nan)),
        )


def fit_calibrator(
    raw: npt.ArrayLike, label: npt.ArrayLike, method: CalibrationMethod
) -> ScoreCalibrator:
    """Fit one calibration map on raw scores and 0/1 labels (both classes needed)."""
    x, y = _checked(raw, label)
    if method == "isotonic":
        knots, values = centered_isotonic(x, y)
        return ScoreCalibrator(
            "isotonic",
            thresholds=tuple(float(v) for v in knots),
            values=tuple(float(v) for v in values),
        )
    if method == "platt":
        # Nearly unpenalised (C large, finite: a separable slice still converges); Newton
        # steps converge in a few iterations on one feature.
        # One BLAS thread: OpenBLAS splits the gradient's sums over rows between its threads,
        # so the fit would change in its last bits with their number (issue 12).
        logistic = LogisticRegression(C=1e4, solver="newton-cholesky", max_iter=200)
        with threadpool_limits(limits=1, user_api="blas"):
            logistic.fit(x.reshape(-1, 1), y)
        return ScoreCalibrator(
            "platt", slope=float(logistic.coef_[0, 0]), intercept=float(logistic.intercept_[0])
        )
    raise ValueError(f"unknown calibration method {method!r}: 'isotonic' or 'platt'")


def centered_isotonic(raw: npt.ArrayLike, label: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Knots `(x, value)` of the centered isotonic regression of `label` on `raw`.

    sklearn's `IsotonicRegression` gives each row a fitted rate, constant over blocks of
    consecutive raw scores; each run of equal fitted rates becomes one knot at the mean raw
    score of its rows (every row counts once, tied scores included). Knots are strictly
    increasing in both coordinates: blocks cover disjoint ranges of raw scores and adjacent
    blocks have different rates.
    """
    x = np.asarray(raw, dtype="float64")
    y = np.asarray(label, dtype="float64")
    isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(x, y)
    unique, counts = np.unique(x, return_counts=True)
    fitted = isotonic.predict(unique)  # exactly the block's rate: interpolation on a flat step
    starts = np.r_[True, fitted[1:] != fitted[:-1]]
    block = np.cumsum(starts) - 1
    rows = np.bincount(block, weights=counts)
    centroid = np.bincount(block, weights=counts * unique) / rows
    # Rounding cannot carry a centroid out of its block's range (and past its neighbour's).
    lowest, highest = unique[starts], unique[np.r_[starts[1:], True]]
    return np.clip(centroid, lowest, highest), fitted[starts]


def choose_calibrator(
    raw: npt.ArrayLike,
    label: npt.ArrayLike,
    method: CalibrationMethod | Literal["auto"] = "auto",
    *,
    folds: int = 5,
    seed: int = 0,
    groups: npt.ArrayLike | None = None,
) -> tuple[ScoreCalibrator, dict[str, float]]:
    """The calibration map for `method`, and the cross-fitted scores that chose it.

    With `auto`, each method is fitted on all folds but one and scored on the held-out fold
    (grouped by `groups`, e.g. student ids, when given); the method with the lower Brier score
    wins, then the lower log loss, then Platt (the simpler). The winner is refitted on every
    row. The returned dict holds `brier_<method>` and `log_loss_<method>` (empty unless auto).
    """
    x, y = _checked(raw, label)
    if method != "auto":
        return fit_calibrator(x, y, method), {}
    group_array = None if groups is None else np.asarray(groups)
    positive_groups = int(y.sum()) if group_array is None else len(set(group_array[y > 0]))
    if positive_groups < folds:
        # Too few of one class to cross-fit: the two-parameter map is the safe choice.
        return fit_calibrator(x, y, "platt"), {"positive_groups": float(positive_groups)}
    predicted = {name: np.empty(len(y)) for name in METHODS}
    for train, held_out in grouped_folds(y, groups, folds, seed):
        for name in METHODS:
            predicted[name][held_out] = fit_calibrator(x[train], y[train], name).predict(
                x[held_out]
            )
    scores: dict[str, float] = {}
    for name in METHODS:
        p = np.clip(predicted[name], _EPSILON, 1 - _EPSILON)
        scores[f"brier_{name}"] = float(np.mean((p - y) ** 2))
        scores[f"log_loss_{name}"] = float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))
    best = min(METHODS, key=lambda name: (scores[f"brier_{name}"], scores[f"log_loss_{name}"]))
    return fit_calibrator(x, y, best), scores


def grouped_folds(
    label: npt.ArrayLike, groups: npt.ArrayLike | None, folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`(train_positions, held_out_positions)` of `folds` folds, no group on both sides.

    Groups (students) are stratified on whether any of their rows is positive, and assigned to
    folds by a shuffled `StratifiedKFold` over groups: exact grouping, near-exact
    stratification, and fast for hundreds of thousands of students (sklearn's
    `StratifiedGroupKFold` loops over groups in Python). Without groups, rows are the groups.
    """
    y = np.asarray(label, dtype="float64")
    group_array = np.arange(len(y)) if groups is None else np.asarray(groups)
    if len(group_array) != len(y):
        raise ValueError("groups must have one value per row")
    codes, uniques = pd.factorize(group_array)
    positive = np.zeros(len(uniques), dtype="int64")
    np.maximum.at(positive, codes, (y > 0).astype("int64"))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    fold_of_group = np.empty(len(uniques), dtype="int64")
    for fold, (_, held_out) in enumerate(splitter.split(np.zeros((len(uniques), 1)), positive)):
        fold_of_group[held_out] = fold
    fold_of_row = fold_of_group[codes]
    return [
        (np.flatnonzero(fold_of_row != fold), np.flatnonzero(fold_of_row == fold))
        for fold in range(folds)
    ]


def _checked(raw: npt.ArrayLike, label: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(raw, dtype="float64")
    y = np.asarray(label, dtype="float64")
    if x.ndim != 1 or x.shape != y.shape or len(x) == 0:
        raise ValueError("raw scores and labels must be non-empty 1-d arrays of equal length")
    if not np.isfinite(x).all() or not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("raw scores must be finite and labels 0 or 1")
    if y.min() == y.max():
        raise ValueError("calibration needs both dropouts and non-dropouts among its rows")
    return x, y

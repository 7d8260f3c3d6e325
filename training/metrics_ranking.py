"""Ranking and probability metrics over all rows: ROC-AUC, PR-AUC, Brier, log loss, calibration.

These complement the list metrics: they judge the whole ranking and, for models that output a
probability, whether "30 % risk" means 30 % of such students drop out (what a watch unit reads
on a student page). Bins for calibration are quantile bins by default (equal numbers of rows):
dropout is rare, so uniform bins would put nearly every row in the first bin and hide the
calibration of the high-risk tail that the lists are made of.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = ["expected_calibration_error", "ranking_metrics", "reliability_curve"]

BinStrategy = Literal["quantile", "uniform"]
_EPSILON = 1e-15


def ranking_metrics(
    label: npt.ArrayLike, score: npt.ArrayLike, probability: bool = True
) -> dict[str, float]:
    """`roc_auc`, `pr_auc` (average precision), `brier`, `log_loss` and `ece` (10 quantile bins).

    The last three only mean something for a probability: they are NaN when `probability` is
    False (a rule baseline that only ranks). AUCs are NaN when only one class is present.
    """
    y, s = _checked(label, score, probability)
    both_classes = 0 < y.sum() < len(y)
    result = {
        "roc_auc": float(roc_auc_score(y, s)) if both_classes else math.nan,
        "pr_auc": float(average_precision_score(y, s)) if both_classes else math.nan,
        "brier": math.nan,
        "log_loss": math.nan,
        "ece": math.nan,
    }
    if probability:
        clipped = np.clip(s, _EPSILON, 1 - _EPSILON)
        result["brier"] = float(np.mean((s - y) ** 2))
        result["log_loss"] = float(-np.mean(y * np.log(clipped) + (1 - y) * np.log1p(-clipped)))
        result["ece"] = expected_calibration_error(y, s)
    return result


def reliability_curve(
    label: npt.ArrayLike,
    prob: npt.ArrayLike,
    n_bins: int = 10,
    strategy: BinStrategy = "quantile",
) -> pd.DataFrame:
    """One row per non-empty bin: `lower`, `upper` (bin edges), `count`, `mean_predicted`,
    `observed_rate`.

    `quantile` bins hold about the same number of rows (edges at quantiles of `prob`; tied
    values never straddle two bins, so fewer bins can come out); `uniform` bins split [0, 1]
    into `n_bins` equal widths. A bin holds values in [lower, upper), the last one [lower, 1].
    """
    y, p = _checked(label, prob, probability=True)
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, not {n_bins!r}")
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        edges = np.unique(np.quantile(p, np.linspace(0.0, 1.0, n_bins + 1)))
        edges[0], edges[-1] = 0.0, 1.0
        edges = np.unique(edges)
    else:
        raise ValueError(f"unknown bin strategy {strategy!r}: 'quantile' or 'uniform'")
    index = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    count = np.bincount(index, minlength=len(edges) - 1)
    predicted = np.bincount(index, weights=p, minlength=len(edges) - 1)
    observed = np.bincount(index, weights=y, minlength=len(edges) - 1)
    keep = count > 0
    return pd.DataFrame(
        {
            "lower": edges[:-1][keep],
            "upper": edges[1:][keep],
            "count": count[keep],
            "mean_predicted": predicted[keep] / count[keep],
            "observed_rate": observed[keep] / count[keep],
        }
    )


def expected_calibration_error(
    label: npt.ArrayLike,
    prob: npt.ArrayLike,
    n_bins: int = 10,
    strategy: BinStrategy = "quantile",
) -> float:
    """Sum over bins of (share of rows) x |observed rate - mean predicted probability|.

    Even a perfectly calibrated model shows a small ECE on a finite sample (sampling noise
    shrinks with rows per bin); compare models on the same rows and bins.
    """
    curve = reliability_curve(label, prob, n_bins, strategy)
    weights = curve["count"] / curve["count"].sum()
    gaps = (curve["observed_rate"] - curve["mean_predicted"]).abs()
    return float((weights * gaps).sum())


def _checked(
    label: npt.ArrayLike, score: npt.ArrayLike, probability: bool
) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(label)
    s = np.asarray(score, dtype=float)
    if y.ndim != 1 or y.shape != s.shape or len(y) == 0:
        raise ValueError("label and score must be non-empty 1-d arrays of the same length")
    if pd.isna(y).any() or not np.isfinite(s).all():
        raise ValueError("label and score must have no missing or infinite values")
    if not np.isin(y, [0, 1]).all():
        raise ValueError("label must be boolean (or 0/1)")
    if probability and ((s < 0) | (s > 1)).any():
        raise ValueError("a probability score must lie in [0, 1]")
    return y.astype(float), s

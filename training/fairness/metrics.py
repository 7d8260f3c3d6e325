"""Per-group metrics of the weekly lists, with cluster-bootstrap confidence intervals.

The list is the one the watch units would receive: each establishment-week, the `k`
highest calibrated risks, `k` its weekly interview capacity (`training.metrics_lists`, the
same ranking and tie-break as the comparison table). Per group: selection rate, recall
(true-positive rate), false-positive rate, precision and false-discovery rate, and calibration
within the group (mean predicted risk, observed dropout rate, their gap, ECE on quantile bins).

Intervals resample establishments, never rows, as `training.metrics_lists.cluster_bootstrap`
does, with the same random generator and seed: every group and every metric reads the same
replicates, so that ratios between groups (`training.fairness.disparities`) are paired.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.fairness.config import FairnessConfig
from training.fairness.groups import GROUPING_NAMES
from training.metrics_lists import check_scored_frame, flags_from_ranks
from training.metrics_ranking import expected_calibration_error

__all__ = [
    "METRICS",
    "RATIO_METRICS",
    "GroupMetrics",
    "bootstrap_weights",
    "group_metrics",
    "percentile_interval",
]

# metric: (numerator, denominator) among the per-row counts below.
RATIO_METRICS: dict[str, tuple[str, str]] = {
    "selection_rate": ("selected", "rows"),
    "recall": ("true_positives", "positives"),
    "false_positive_rate": ("false_positives", "negatives"),
    "precision": ("true_positives", "selected"),
    "false_discovery_rate": ("false_positives", "selected"),
    "mean_predicted": ("predicted", "rows"),
    "observed_rate": ("positives", "rows"),
}
METRICS: tuple[str, ...] = (*RATIO_METRICS, "calibration_gap", "ece")
_COUNTS = ("rows", "selected", "true_positives", "false_positives", "positives", "negatives",
           "predicted")  # fmt: skip


@dataclass(frozen=True, eq=False)
class GroupMetrics:
    """`table`: one row per (grouping, group) with sizes, `judged`, and each metric with its
    `_low`/`_high` interval. `replicates[grouping][metric]`: bootstrap replicates, one column
    per group in the order of `groups[grouping]` (NaN where undefined)."""

    table: pd.DataFrame
    groups: dict[str, list[str]]
    replicates: dict[str, dict[str, np.ndarray]]


def bootstrap_weights(clusters: int, n_boot: int, seed: int) -> np.ndarray:
    """How many times each establishment is drawn in each replicate (n_boot x clusters),
    drawn exactly as `training.metrics_lists.cluster_bootstrap` draws them."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(clusters, np.full(clusters, 1 / clusters), size=n_boot)


def percentile_interval(replicates: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of each column, ignoring undefined (NaN) replicates."""
    tail = (1 - level) / 2 * 100
    low = np.full(replicates.shape[1], math.nan)
    high = np.full(replicates.shape[1], math.nan)
    for column in range(replicates.shape[1]):
        values = replicates[:, column]
        values = values[~np.isnan(values)]
        if values.size:
            low[column], high[column] = np.percentile(values, [tail, 100 - tail])
    return low, high


def _row_counts(frame: pd.DataFrame, rule: str) -> pd.DataFrame:
    selected = flags_from_ranks(frame, rule).to_numpy()
    label = frame["label"].to_numpy(dtype=bool)
    return pd.DataFrame({
        "rows": np.ones(len(frame)),
        "selected": selected.astype(float),
        "true_positives": (selected & label).astype(float),
        "false_positives": (selected & ~label).astype(float),
        "positives": label.astype(float),
        "negatives": (~label).astype(float),
        "predicted": frame["score"].to_numpy(dtype=float),
    })  # fmt: skip


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1),
                        np.nan)  # fmt: skip


def _ece_replicates(
    prob: np.ndarray, label: np.ndarray, cluster: np.ndarray, clusters: int,
    weights: np.ndarray, bins: int,
) -> tuple[float, np.ndarray]:  # fmt: skip
    """ECE on the group's own quantile bins (as `expected_calibration_error` makes them),
    and its bootstrap replicates with the bins held fixed."""
    if len(prob) == 0:
        return math.nan, np.full(len(weights), math.nan)
    edges = np.unique(np.quantile(prob, np.linspace(0.0, 1.0, bins + 1)))
    edges[0], edges[-1] = 0.0, 1.0
    edges = np.unique(edges)
    width = len(edges) - 1
    index = np.clip(np.searchsorted(edges, prob, side="right") - 1, 0, width - 1)
    cell = cluster * width + index
    shape = (clusters, width)
    count = np.bincount(cell, minlength=clusters * width).reshape(shape)
    predicted = np.bincount(cell, weights=prob, minlength=clusters * width).reshape(shape)
    observed = np.bincount(cell, weights=label, minlength=clusters * width).reshape(shape)
    boot_count = weights @ count
    gaps = np.abs(weights @ observed - weights @ predicted).sum(axis=1)
    total = boot_count.sum(axis=1)
    replicates = _ratio(gaps, total.astype(float))
    return expected_calibration_error(label, prob, bins), replicates


def group_metrics(
    frame: pd.DataFrame, groups: pd.DataFrame, config: FairnessConfig
) -> GroupMetrics:
    """Metrics of every group of every grouping in `groups` (see `groups.group_frame`).

    `frame` is a scored frame (`training.metrics_lists`) whose `score` is the calibrated risk;
    `groups` is aligned on it.
    """
    check_scored_frame(frame)
    if not groups.index.equals(frame.index):
        raise ValueError("the group frame is not aligned on the scored rows")
    counts = _row_counts(frame, config.list_rule)
    cluster, cluster_names = pd.factorize(frame["uai"], sort=True)
    clusters = len(cluster_names)
    weights = bootstrap_weights(clusters, config.n_boot, config.seed)
    label = frame["label"].to_numpy(dtype=bool)
    prob = frame["score"].to_numpy(dtype=float)
    rows: list[dict[str, object]] = []
    all_groups: dict[str, list[str]] = {}
    all_replicates: dict[str, dict[str, np.ndarray]] = {}
    for grouping in [name for name in GROUPING_NAMES if name in groups.columns]:
        codes, names = pd.factorize(groups[grouping], sort=True)
        width = len(names)
        cell = cluster * width + codes
        totals = {
            name: np.bincount(cell, weights=counts[name].to_numpy(),
                              minlength=clusters * width).reshape(clusters, width)
            for name in _COUNTS
        }  # fmt: skip
        replicated = {name: weights @ table for name, table in totals.items()}
        point = {name: table.sum(axis=0) for name, table in totals.items()}
        values: dict[str, np.ndarray] = {}
        replicates: dict[str, np.ndarray] = {}
        for metric, (numerator, denominator) in RATIO_METRICS.items():
            values[metric] = _ratio(point[numerator], point[denominator])
            replicates[metric] = _ratio(replicated[numerator], replicated[denominator])
        values["calibration_gap"] = values["observed_rate"] - values["mean_predicted"]
        replicates["calibration_gap"] = replicates["observed_rate"] - replicates["mean_predicted"]
        ece = np.full(width, math.nan)
        ece_replicates = np.full((config.n_boot, width), math.nan)
        for position in range(width):
            members = codes == position
            ece[position], ece_replicates[:, position] = _ece_replicates(
                prob[members], label[members].astype(float), cluster[members], clusters,
                weights, config.calibration_bins,
            )  # fmt: skip
        values["ece"], replicates["ece"] = ece, ece_replicates
        students = frame.groupby(codes)["student_id"].nunique()
        schools = frame.groupby(codes)["uai"].nunique()
        positive_students = frame.loc[label].groupby(codes[label])["student_id"].nunique()
        intervals = {metric: percentile_interval(replicates[metric], config.level)
                     for metric in METRICS}  # fmt: skip
        for position, group in enumerate(names):
            n_students = int(students.get(position, 0))
            n_positive = int(positive_students.get(position, 0))
            n_schools = int(schools.get(position, 0))
            reasons = []
            if n_students < config.min_students:
                reasons.append(f"students {n_students} < {config.min_students}")
            if n_positive < config.min_positives:
                reasons.append(f"dropouts {n_positive} < {config.min_positives}")
            if n_schools < config.min_establishments:
                # The bootstrap resamples establishments: with too few, its interval is
                # degenerate (one establishment gives an interval of zero width).
                reasons.append(f"establishments {n_schools} < {config.min_establishments}")
            row: dict[str, object] = {
                "grouping": grouping,
                "group": str(group),
                "students": n_students,
                "positive_students": n_positive,
                "establishments": n_schools,
                "rows": int(point["rows"][position]),
                "positive_rows": int(point["positives"][position]),
                "selected_rows": int(point["selected"][position]),
                "judged": not reasons,
                "too_small_because": "; ".join(reasons),
            }
            for metric in METRICS:
                low, high = intervals[metric]
                row[metric] = float(values[metric][position])
                row[f"{metric}_low"] = float(low[position])
                row[f"{metric}_high"] = float(high[position])
            rows.append(row)
        all_groups[grouping] = [str(name) for name in names]
        all_replicates[grouping] = replicates
    return GroupMetrics(pd.DataFrame(rows), all_groups, all_replicates)

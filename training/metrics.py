"""Metrics that match the job, and one table to compare models on the same rows.

The headline is pooled precision@k: of all the interviews the lists would fill at the
establishments' real capacity k, the share that reach a student who then drops out. The table
adds recall@k, longer lists (2k, 5 % of the students), lead time, list stability, and the
usual ranking and calibration metrics, so that a challenger and the champion (and the rule
baselines) are judged side by side on exactly the same student-weeks.

The functions live in small modules, re-exported here: `training.metrics_lists` (weekly lists,
precision/recall@k, cluster bootstrap), `training.metrics_timing` (lead time, stability),
`training.metrics_ranking` (AUCs, Brier, log loss, calibration).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

import numpy as np
import pandas as pd

from training.metrics_lists import (
    LIST_RULES,
    WEEK,
    ConfidenceInterval,
    ListMetrics,
    bootstrap_ci,
    check_scored_frame,
    cluster_bootstrap,
    flags_from_ranks,
    list_lengths,
    list_ranks,
    precision_recall_at_k,
    top_k_flags,
    week_table,
)
from training.metrics_ranking import (
    expected_calibration_error,
    ranking_metrics,
    reliability_curve,
)
from training.metrics_timing import (
    LeadTime,
    ListStability,
    lead_time_from_flags,
    lead_time_weeks,
    list_stability,
    stability_from_flags,
)

__all__ = [
    "LIST_RULES",
    "ConfidenceInterval",
    "LeadTime",
    "ListMetrics",
    "ListStability",
    "bootstrap_ci",
    "compare_models",
    "expected_calibration_error",
    "lead_time_weeks",
    "list_lengths",
    "list_stability",
    "precision_recall_at_k",
    "ranking_metrics",
    "reliability_curve",
    "top_k_flags",
]


def compare_models(
    frames_by_model: Mapping[str, pd.DataFrame],
    *,
    rules: Sequence[str] = LIST_RULES,
    n_boot: int = 500,
    seed: int = 0,
    cluster: str = "uai",
    probability_models: Collection[str] | None = None,
    ahead_weeks: float = 4,
) -> pd.DataFrame:
    """One row per model (or baseline), indexed by name, every metric on the same rows.

    Each frame is a scored frame (see `training.metrics_lists`) of one model; all must cover
    the same (uai, as_of, student_id) rows with the same labels, or ValueError. Columns, for
    each rule r in `rules`: `precision@r`, `recall@r` (pooled) with `_low`/`_high` (cluster
    bootstrap interval; the same seed resamples the same establishments for every model, so
    intervals are paired) and `_mean` (mean over establishment-weeks). For the first rule:
    `lead_time_median_weeks@r`, `lead_time_q1_weeks@r`, `lead_time_q3_weeks@r`,
    `share_flagged_{ahead_weeks}w_ahead@r`, `share_never_flagged@r` (NaN without an
    `exit_date` column) and `stability_jaccard@r` (mean), `stability_jaccard_median@r`. Then
    `roc_auc`, `pr_auc`, `brier`, `log_loss`, `ece` over all rows, the last three NaN unless
    the score is a probability: the models named in `probability_models`, or by default those
    whose scores all lie in [0, 1] (name the set when a rule baseline also lies there).
    `n_rows` and `n_positive_rows` count student-weeks; `is_probability` says which it was.
    """
    if not frames_by_model:
        raise ValueError("no model to compare")
    if not rules:
        raise ValueError("at least one list rule is needed")
    for name, frame in frames_by_model.items():
        try:
            check_scored_frame(frame, (cluster,))
        except ValueError as error:
            raise ValueError(f"model {name!r}: {error}") from error
    _check_same_rows(frames_by_model)
    unknown = set(probability_models or ()) - set(frames_by_model)
    if unknown:
        raise ValueError(f"probability_models names unknown models {sorted(unknown)}")
    rows = {}
    for name, frame in frames_by_model.items():
        scores = frame["score"].to_numpy(dtype=float)
        if probability_models is None:
            probability = bool(((scores >= 0) & (scores <= 1)).all())
        else:
            probability = name in probability_models
        row: dict[str, float | int | bool] = {
            "n_rows": len(frame),
            "n_positive_rows": int(frame["label"].astype(bool).sum()),
        }
        ranks = list_ranks(frame)
        for rule in rules:
            row |= _list_columns(frame, rule, ranks, n_boot, seed, cluster)
        row |= _timing_columns(frame, rules[0], ranks, ahead_weeks)
        try:
            row |= ranking_metrics(frame["label"].astype(bool), scores, probability=probability)
        except ValueError as error:
            raise ValueError(f"model {name!r}: {error}") from error
        row["is_probability"] = probability
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    return table


def _list_columns(
    frame: pd.DataFrame, rule: str, ranks: np.ndarray, n_boot: int, seed: int, cluster: str
) -> dict[str, float]:
    table = week_table(frame, rule, cluster, ranks)
    columns: dict[str, float] = {}
    for statistic in ("precision", "recall"):
        interval: ConfidenceInterval = cluster_bootstrap(table, statistic, n_boot, seed, 0.95)
        defined = table[statistic].dropna()
        columns[f"{statistic}@{rule}"] = interval.estimate
        columns[f"{statistic}@{rule}_low"] = interval.low
        columns[f"{statistic}@{rule}_high"] = interval.high
        columns[f"{statistic}@{rule}_mean"] = float(defined.mean()) if len(defined) else math.nan
    return columns


def _timing_columns(
    frame: pd.DataFrame, rule: str, ranks: np.ndarray, ahead_weeks: float
) -> dict[str, float]:
    ahead = f"share_flagged_{ahead_weeks:g}w_ahead@{rule}"
    names = [f"lead_time_{part}_weeks@{rule}" for part in ("median", "q1", "q3")]
    flags = flags_from_ranks(frame, rule, ranks)
    if "exit_date" in frame.columns:
        lead = lead_time_from_flags(frame, flags, ahead_weeks)
        values = [lead.median, lead.q1, lead.q3, lead.share_ahead, lead.share_never_flagged]
    else:
        values = [math.nan] * 5
    columns = dict(zip([*names, ahead, f"share_never_flagged@{rule}"], values, strict=True))
    stability = stability_from_flags(frame, flags)
    columns[f"stability_jaccard@{rule}"] = stability.mean
    columns[f"stability_jaccard_median@{rule}"] = stability.median
    return columns


def _check_same_rows(frames_by_model: Mapping[str, pd.DataFrame]) -> None:
    """All models must be judged on the same student-weeks with the same outcomes."""
    keyed = {
        name: frame.assign(as_of=pd.to_datetime(frame["as_of"]))
        .set_index([*WEEK, "student_id"])["label"]
        .astype(bool)
        .sort_index()
        for name, frame in frames_by_model.items()
    }
    reference_name, reference = next(iter(keyed.items()))
    for name, labels in keyed.items():
        if labels.index.equals(reference.index):
            differing = int(np.sum(labels.to_numpy() != reference.to_numpy()))
            if differing:
                raise ValueError(
                    f"model {name!r} has different labels from {reference_name!r} on "
                    f"{differing} rows"
                )
            continue
        only_here = len(labels.index.difference(reference.index))
        only_there = len(reference.index.difference(labels.index))
        raise ValueError(
            f"model {name!r} is not scored on the same rows as {reference_name!r}: "
            f"{only_here} rows only in {name!r}, {only_there} only in {reference_name!r}"
        )

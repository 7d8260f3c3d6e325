"""The comparison of every model and baseline on the same tested student-weeks.

`comparison_table` is `training.metrics.compare_models` over the pooled test predictions of all
splits (each row is scored by a model trained before its school year). With k-fold, each
repeat covers every row once: one table per repeat, averaged. `paired_lift` adds what the
marginal intervals of the table cannot show: the difference in precision@k (and recall@k)
between LightGBM and each other model, resampling the same establishments for both, which is
the right interval for "does LightGBM beat this baseline".

`replay_table` replays each tested school year week by week with the weekly queue
(`training.replay`) for every model and baseline, the replay-only baselines included, and
counts distinct students and future dropouts reached: the work a watch unit does. The
student-week metrics stay beside it, as secondary.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.queue import DEFAULT_FOLLOW_UP, FollowUpRule
from training.baselines import (
    CEILING,
    REPLAY_BASELINES,
    LevelPrior,
    latent_ceiling_score,
    replay_baseline_scores,
)
from training.config import TrainConfig
from training.fitting import MODEL_NAMES, PRIMARY, PROBABILITY_MODELS
from training.folds import LABEL, Fold
from training.metrics import compare_models
from training.metrics_lists import (
    cluster_resamples,
    list_ranks,
    percentile_interval,
    week_table,
)
from training.replay import observed_weeks, replay_comparison

__all__ = [
    "ReplayEvaluation",
    "comparison_table",
    "evaluation_tables",
    "model_frames",
    "paired_lift",
    "precision_by_month",
    "replay_evaluation",
    "replay_frame",
    "replay_table",
    "split_tables",
    "with_replay_baselines",
]

_FRAME_COLUMNS = ["student_id", "as_of", "uai", "school_year", "capacity", "label", "exit_date"]


def present_models(predictions: pd.DataFrame) -> list[str]:
    return [name for name in MODEL_NAMES if name in predictions.columns]


def model_frames(predictions: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One scored frame (`score` column) per model, as `compare_models` reads them, over the
    weeks the replay judges too (`training.replay.observed_weeks`): in a week whose rows
    labelled 0 are all censored (the 26-week horizon not observed yet at the extraction's
    end), only future dropouts are left, and every list would be right by construction."""
    judged = observed_weeks(predictions)
    base = predictions.loc[judged, _FRAME_COLUMNS]
    return {
        name: base.assign(score=predictions[name].to_numpy(dtype="float64")[judged])
        for name in present_models(predictions)
    }


def comparison_table(predictions: pd.DataFrame, config: TrainConfig) -> pd.DataFrame:
    """Every metric for every model, one row per model (averaged over k-fold repeats)."""
    if "repeat" in predictions.columns:
        tables = [_compare(rows, config) for _, rows in predictions.groupby("repeat", sort=True)]
        numeric = pd.concat(tables).groupby(level=0, sort=False).mean(numeric_only=True)
        numeric["is_probability"] = tables[0]["is_probability"]
        return numeric.loc[tables[0].index, tables[0].columns]
    return _compare(predictions, config)


def split_tables(predictions: pd.DataFrame, config: TrainConfig) -> dict[str, pd.DataFrame]:
    """The comparison of each tested split on its own (backtests; empty for one split)."""
    if "repeat" in predictions.columns or predictions["split"].nunique() < 2:
        return {}
    return {name: _compare(rows, config) for name, rows in predictions.groupby("split")}


def _compare(predictions: pd.DataFrame, config: TrainConfig) -> pd.DataFrame:
    frames = model_frames(predictions)
    return compare_models(
        frames,
        rules=config.list_rules,
        n_boot=config.n_boot,
        seed=config.seed,
        probability_models=[name for name in PROBABILITY_MODELS if name in frames],
        ahead_weeks=config.lead_time_ahead_weeks,
    )


def evaluation_tables(
    predictions: pd.DataFrame, config: TrainConfig
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.DataFrame]]:
    """The tested rows' comparison of every model: the table, the paired lift of the primary
    model over each other, and each tested split's table (the same on one machine or a
    cluster)."""
    return (
        comparison_table(predictions, config),
        paired_lift(predictions, config),
        split_tables(predictions, config),
    )


def paired_lift(
    predictions: pd.DataFrame, config: TrainConfig, reference: str = PRIMARY
) -> pd.DataFrame:
    """`reference` minus each other model in pooled precision@r and recall@r, with a paired
    cluster-bootstrap interval (the same resampled establishments for both models, the same
    resamples as the comparison table's intervals). One row per other model."""
    rows = _first_repeat(predictions)
    frames = model_frames(rows)
    if reference not in frames:
        raise ValueError(f"no {reference!r} scores in the predictions")
    rng_counts = None
    result: dict[str, dict[str, float]] = {name: {} for name in frames if name != reference}
    ranks = {name: list_ranks(frame) for name, frame in frames.items()}  # once for every rule
    for rule in config.list_rules:
        totals = {name: _cluster_totals(frame, rule, ranks[name]) for name, frame in frames.items()}
        clusters = totals[reference].index
        if rng_counts is None:
            rng_counts = cluster_resamples(len(clusters), config.n_boot, config.seed)
        for statistic, base in (("precision", "listed"), ("recall", "positives")):
            ours = _replicates(totals[reference], base, rng_counts)
            for name in result:
                theirs = _replicates(totals[name].reindex(clusters, fill_value=0), base,
                                     rng_counts)  # fmt: skip
                estimate = _ratio(totals[reference], base) - _ratio(totals[name], base)
                low, high = percentile_interval(ours - theirs)
                key = f"{statistic}@{rule}_lift"
                result[name] |= {key: estimate, f"{key}_low": low, f"{key}_high": high}
    table = pd.DataFrame.from_dict(result, orient="index")
    table.index.name = f"{reference} minus"
    return table


def precision_by_month(predictions: pd.DataFrame, rule: str = "k") -> pd.DataFrame:
    """Pooled precision under `rule` per calendar month of the as-of date, per model."""
    rows = _first_repeat(predictions)
    parts = []
    for name, frame in model_frames(rows).items():
        weeks = week_table(frame, rule)
        weeks["month"] = pd.to_datetime(weeks["as_of"]).dt.to_period("M").dt.to_timestamp()
        monthly = weeks.groupby("month", sort=True)[["hits", "listed"]].sum()
        monthly["precision"] = monthly["hits"] / monthly["listed"].where(monthly["listed"] > 0)
        parts.append(monthly.reset_index().assign(model=name))
    return pd.concat(parts, ignore_index=True)


REPLAY_MODELS: tuple[str, ...] = (*MODEL_NAMES, *REPLAY_BASELINES, CEILING)
# Scores that are calibrated probabilities, whose rise since an interview can bring a student
# back early (the queue's risk margin); the level prior is a rate but never moves in a year.
REPLAY_PROBABILITY_MODELS: tuple[str, ...] = (*PROBABILITY_MODELS, "level_prior")
_REPLAY_OPTIONAL = ("censored", "exit_kind")


def replay_table(
    predictions: pd.DataFrame,
    config: TrainConfig,
    *,
    rule: FollowUpRule = DEFAULT_FOLLOW_UP,
    interviewed_share: float = 1.0,
    reference: str = PRIMARY,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The replay of every tested year (first k-fold repeat) for every model and baseline
    scored in `predictions`: one row per model (`training.replay.replay_metrics`), and
    `reference` minus each other model with paired intervals (same seed and resamples as the
    comparison table)."""
    rows = _first_repeat(predictions)
    base = _replay_base(rows)
    frames = {
        name: base.assign(score=rows[name].to_numpy(dtype="float64"))
        for name in REPLAY_MODELS
        if name in rows.columns
    }
    if not frames:
        raise ValueError("no model scores in the predictions to replay")
    return replay_comparison(
        frames,
        probability_models=[name for name in REPLAY_PROBABILITY_MODELS if name in frames],
        reference=reference if reference in frames else None,
        rule=rule,
        interviewed_share=interviewed_share,
        ahead_weeks=config.lead_time_ahead_weeks,
        n_boot=config.n_boot,
        seed=config.seed,
    )


def _replay_base(rows: pd.DataFrame) -> pd.DataFrame:
    columns = [*_FRAME_COLUMNS, *(c for c in _REPLAY_OPTIONAL if c in rows.columns)]
    return rows.loc[:, columns]


def replay_frame(predictions: pd.DataFrame, model: str = PRIMARY) -> pd.DataFrame:
    """The frame `training.replay.replay_year` reads for one model of a run's predictions
    (first k-fold repeat): the rows' keys, label and capacity, and the model's `score`."""
    rows = _first_repeat(predictions)
    if model not in rows.columns:
        raise ValueError(f"no {model!r} scores in the predictions (models: {present_models(rows)})")
    return _replay_base(rows).assign(score=rows[model].to_numpy(dtype="float64"))


# Carried from the snapshots into the predictions when present (censoring and kind of exit).
_OUTCOME_COLUMNS = ("censored", "exit_kind")


def with_replay_baselines(
    scored: pd.DataFrame, fold: Fold, prior: LevelPrior | None = None
) -> pd.DataFrame:
    """A fold's scored rows (`training.fitting.score_fold`) with the replay-only baselines
    (`training.baselines.REPLAY_BASELINES`, the level prior fitted on the fold's training
    rows, or `prior`) and the outcome columns the replay reads, when the snapshots have
    them."""
    if fold.test is None:
        raise ValueError(f"split {fold.name!r} has no test rows")
    extra = replay_baseline_scores(fold.train, fold.test, None, LABEL, prior)
    scored = scored.assign(**{name: extra[name].to_numpy() for name in extra.columns})
    for column in _OUTCOME_COLUMNS:
        if column in fold.test.columns and column not in scored.columns:
            scored[column] = fold.test[column].to_numpy()
    return scored


@dataclass(frozen=True, eq=False)
class ReplayEvaluation:
    """The replay of the tested years: one row per model (`table`), `reference` minus each
    other model (`lift`), and the variant with a share of interviews held (`variant`, None
    unless configured)."""

    table: pd.DataFrame
    lift: pd.DataFrame | None
    variant: pd.DataFrame | None
    seconds: float


def replay_evaluation(
    predictions: pd.DataFrame, config: TrainConfig, latent: pd.DataFrame | None = None
) -> ReplayEvaluation:
    """`replay_table` of a run's test predictions, with the ceiling (`latent`: the synthetic
    generator's latent risk, `training.baselines.read_latent_risk`) when given, and the
    variant of `config.replay_interviewed_share` when set."""
    started = time.perf_counter()
    if latent is not None:
        predictions = predictions.assign(
            **{CEILING: latent_ceiling_score(predictions, latent).to_numpy()}
        )
    table, lift = replay_table(predictions, config)
    variant = None
    if config.replay_interviewed_share is not None:
        share = config.replay_interviewed_share
        variant = replay_table(predictions, config, interviewed_share=share)[0]
    return ReplayEvaluation(table, lift, variant, time.perf_counter() - started)


def _first_repeat(predictions: pd.DataFrame) -> pd.DataFrame:
    if "repeat" not in predictions.columns:
        return predictions
    return predictions[predictions["repeat"] == predictions["repeat"].min()]


def _cluster_totals(frame: pd.DataFrame, rule: str, ranks: np.ndarray) -> pd.DataFrame:
    """Hits, listed and positives of each establishment over all its weeks: the unit the
    bootstrap resamples."""
    table = week_table(frame, rule, ranks=ranks)
    return table.groupby("cluster", sort=True)[["hits", "listed", "positives"]].sum()


def _replicates(totals: pd.DataFrame, base: str, counts: np.ndarray) -> np.ndarray:
    denominator = counts @ totals[base].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            denominator > 0, (counts @ totals["hits"].to_numpy(dtype="float64")) / denominator,
            np.nan,
        )  # fmt: skip


def _ratio(totals: pd.DataFrame, base: str) -> float:
    denominator = float(totals[base].sum())
    return float(totals["hits"].sum()) / denominator if denominator > 0 else math.nan

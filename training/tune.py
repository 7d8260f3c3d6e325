"""`vigie tune`: search LightGBM parameters with Optuna, then train the best as a normal run.

Trials never see a tested year. Each trial scores out-of-fold raw scores of the rows the last
evaluation split trains on (training and calibration years, outcomes known before its cut-off),
in folds grouped by student, by pooled precision@k of the weekly lists (or PR-AUC). With
k-fold evaluation there is no such hold-out: trials use every labelled row, and the k-fold
comparison that follows is optimistic (said in the run's tags).

The search is one MLflow run with each trial a nested run; the sampler is seeded, so the same
data, configuration and seed give the same trials. The best parameters are then trained and
evaluated by `training.run.run_training`, a separate top-level run tagged with the search.

On a Dask cluster (`client`), the rows are sent once to every worker and the trials run there,
as many at once as the cluster has worker threads: each batch is asked of the sampler
together (Optuna's ask-and-tell), scored on the workers, told back in order. The sampler then
proposes each batch from the trials finished before it, so the trials depend on the batch
size too: the same data, configuration, seed and number of worker threads give the same
trials; a run in the process is a batch of one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from features.progress import SILENT, Progress
from models.calibration import grouped_folds
from models.risk_model import RiskModel
from training.config import LightGBMConfig, TrainConfig
from training.folds import LABEL, Fold
from training.metrics import precision_recall_at_k, ranking_metrics
from training.pipeline import PreparedData, evaluation_folds, final_fold
from training.run import TrainingOutcome, prepare_data, run_training
from training.tracking import training_run

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["TuneOutcome", "search_space", "tune_and_train", "tuning_rows"]

logger = logging.getLogger(__name__)

TuneMetric = Literal["precision@k", "pr_auc"]


@dataclass(frozen=True, eq=False)
class TuneOutcome:
    tune_run_id: str
    best_params: dict[str, Any]
    best_value: float
    training: TrainingOutcome


def search_space(trial: Any) -> dict[str, Any]:
    """LightGBM parameters a trial tries (kept small: the rows are few and positives rare)."""
    return {
        "num_leaves": trial.suggest_int("num_leaves", 4, 63, log=True),
        "min_data_in_leaf": trial.suggest_int("min_data_in_leaf", 50, 2000, log=True),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.2, log=True),
        "num_boost_round": trial.suggest_int("num_boost_round", 100, 600, step=50),
        "feature_fraction": trial.suggest_float("feature_fraction", 0.5, 1.0),
        "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 30.0, log=True),
    }


def tuning_rows(prepared: PreparedData, config: TrainConfig) -> pd.DataFrame:
    """Rows the trials learn and score on: the last split's training and calibration rows."""
    if prepared.kfold_years:
        fold = final_fold(prepared)
        assert fold is not None
        return fold.train
    folds: list[Fold] = list(evaluation_folds(prepared, config))
    last = folds[-1]
    parts = [last.train] + ([last.calibration] if last.calibration is not None else [])
    return pd.concat(parts)


def trial_score(
    rows: pd.DataFrame, config: TrainConfig, metric: TuneMetric, folds: int
) -> float:
    """`metric` of out-of-fold raw scores, folds grouped by student."""
    labels = rows[LABEL].to_numpy(dtype="float64")
    raw = np.empty(len(rows))
    for train, held_out in grouped_folds(labels, rows["student_id"], folds, config.seed):
        model = RiskModel(
            lightgbm_params=config.lightgbm.booster_params(),
            num_boost_round=config.lightgbm.num_boost_round,
            calibration="platt",
            seed=config.seed,
        )
        part, out = rows.iloc[train], rows.iloc[held_out]
        model.fit(part, labels[train], calibration_X=out, calibration_y=labels[held_out])
        raw[held_out] = model.raw_score(out)
    if metric == "pr_auc":
        return ranking_metrics(labels.astype(bool), raw, probability=False)["pr_auc"]
    scored = rows.loc[:, ["student_id", "as_of", "uai", "school_year", "capacity"]].assign(
        score=raw, label=labels.astype(bool)
    )
    return precision_recall_at_k(scored, "k").precision


def tune_and_train(
    data: str | Path,
    config: TrainConfig,
    *,
    trials: int = 10,
    metric: TuneMetric = "precision@k",
    timeout: float | None = None,
    as_of: Sequence[dt.date] | None = None,
    home: str | Path = "var",
    on_trial: Callable[[int, float, dict[str, Any]], None] | None = None,
    prepared: PreparedData | None = None,
    progress: Progress = SILENT,
    client: Client | None = None,
) -> TuneOutcome:
    """Search, log every trial as a nested run, then train and register the best.

    `prepared` reuses snapshots already built (and the extraction already validated);
    `progress` is told each stage and each trial done; `client`: the trials run on its
    workers, in batches of its worker threads."""
    import mlflow
    import optuna

    if trials < 1:
        raise ValueError("at least one trial is needed")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    prepared = prepared or prepare_data(data, config, as_of, progress)
    rows = tuning_rows(prepared, config)
    folds = max(2, config.calibration_folds)
    startup = min(10, max(1, trials // 2))
    sampler = optuna.samplers.TPESampler(seed=config.seed, n_startup_trials=startup)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    tags = {"vigie.run_kind": "tune", "vigie.tune_metric": metric,
            "vigie.tune_rows": str(len(rows))}  # fmt: skip
    if prepared.kfold_years:
        tags["vigie.tune_note"] = "k-fold: trials saw every row; the comparison is optimistic"

    def record(trial: optuna.Trial, params: dict[str, Any], value: float) -> None:
        parent = mlflow.active_run()
        assert parent is not None
        with mlflow.start_run(run_name=f"trial-{trial.number:03d}", nested=True,
                              experiment_id=parent.info.experiment_id):  # fmt: skip
            mlflow.log_params(params)
            mlflow.log_metric(_metric_key(metric), value)
        progress.advance()
        if on_trial is not None:
            on_trial(trial.number, value, params)

    score = _trial_scorer(rows, client)
    started = time.monotonic()
    batch = 1 if client is None else max(1, sum(client.nthreads().values()))
    with training_run(config.experiment_name, "tune", tags, home) as parent:
        mlflow.log_params({"trials": trials, "metric": metric, "seed": config.seed,
                           "inner_folds": folds, "trials_at_once": batch})  # fmt: skip
        progress.stage("trials", total=trials)
        done = 0
        # At least one batch, then as many as the trials and the timeout allow.
        while done < trials and (not done or timeout is None or _since(started) < timeout):
            asked = [study.ask() for _ in range(min(batch, trials - done))]
            chosen = [search_space(trial) for trial in asked]
            values = score([_with_lightgbm(config, params) for params in chosen], metric, folds)
            for trial, params, value in zip(asked, chosen, values, strict=True):
                study.tell(trial, value)
                record(trial, params, value)
            done += len(asked)
        del score  # the rows sent to the workers, released before the final training
        best = dict(study.best_trial.params)
        mlflow.log_params({f"best.{key}": value for key, value in best.items()})
        mlflow.log_metric(f"best.{_metric_key(metric)}", float(study.best_value))
    training = run_training(
        data, _with_lightgbm(config, best), as_of, home=home, run_name="train (tuned)",
        tags={"vigie.tune_run_id": parent.info.run_id}, prepared=prepared,
        use_environment_run=False, progress=progress,
    )  # fmt: skip
    return TuneOutcome(parent.info.run_id, best, float(study.best_value), training)


def _trial_scorer(
    rows: pd.DataFrame, client: Client | None
) -> Callable[[list[TrainConfig], TuneMetric, int], list[float]]:
    """Scores trials' configurations on `rows`: here one after the other, or on the workers of
    `client` at once (the rows sent to every worker once)."""
    if client is None:
        return lambda configs, metric, folds: [
            trial_score(rows, config, metric, folds) for config in configs
        ]
    [shared] = client.scatter([rows], broadcast=True, hash=False)
    job = uuid.uuid4().hex[:8]
    count = itertools.count()

    def on_workers(configs: list[TrainConfig], metric: TuneMetric, folds: int) -> list[float]:
        futures = []
        for config in configs:
            key = f"tune-trial-{next(count):04d}-{job}"
            futures.append(client.submit(trial_score, shared, config, metric, folds, key=key))
        try:
            return [float(value) for value in client.gather(futures)]
        finally:
            client.cancel(futures, force=True)

    return on_workers


def _since(started: float) -> float:
    return time.monotonic() - started


def _with_lightgbm(config: TrainConfig, params: dict[str, Any]) -> TrainConfig:
    merged = config.lightgbm.model_dump() | params
    return config.model_copy(update={"lightgbm": LightGBMConfig.model_validate(merged)})


def _metric_key(metric: str) -> str:
    return metric.replace("@", "_at_")

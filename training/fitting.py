"""Fitting the models of one fold and scoring its test rows with every model and baseline.

The scored rows keep what the metrics need (keys, label, capacity, exit date) and one score
column per model, so that every model is judged on exactly the same student-weeks. LightGBM
lists rank by the calibrated risk, which is strictly increasing in the raw score
(`models.calibration`), so they are the raw score's lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from models.encoding import feature_frame
from models.risk_model import RiskModel
from training.baselines import RULE_BASELINES, logistic_baseline
from training.config import TrainConfig
from training.folds import LABEL, Fold
from training.interviewed import learning_rows

__all__ = [
    "MODEL_NAMES",
    "PROBABILITY_MODELS",
    "FittedFold",
    "fit_fold",
    "fit_logistic",
    "fit_risk_model",
    "score_fold",
    "single_blas_thread",
]

PRIMARY = "lightgbm"
MODEL_NAMES: tuple[str, ...] = (PRIMARY, "logistic", *RULE_BASELINES)
PROBABILITY_MODELS: tuple[str, ...] = (PRIMARY, "logistic")
# Kept beside the scores in the predictions (the uncalibrated LightGBM probability).
RAW_COLUMN = "lightgbm_uncalibrated"
KEEP_COLUMNS = ("student_id", "as_of", "uai", "school_year", "capacity", "exit_date")


@dataclass(frozen=True, eq=False)
class FittedFold:
    """The fitted models of one fold."""

    fold: Fold
    risk_model: RiskModel
    logistic: Pipeline | None


def single_blas_thread() -> threadpool_limits:
    """A context where NumPy's BLAS (OpenBLAS) uses one thread. It splits sums over rows
    between its threads, so the logistic regression's Newton steps would change in their last
    bits with the number of cores; LightGBM's threads are fixed by its own parameters."""
    return threadpool_limits(limits=1, user_api="blas")


def fit_risk_model(fold: Fold, config: TrainConfig) -> RiskModel:
    """The LightGBM risk model of a fold, calibrated on its calibration rows or cross-fitted."""
    model = RiskModel(
        lightgbm_params=config.lightgbm.booster_params(),
        num_boost_round=config.lightgbm.num_boost_round,
        calibration=config.calibration,
        calibration_folds=config.calibration_folds,
        seed=config.seed,
    )
    train, weights = _learning(fold.train, config)
    if fold.calibration is None:
        return model.fit(train, train[LABEL], groups=train["student_id"], sample_weight=weights)
    calibration = fold.calibration
    if config.interviewed.policy == "exclude":  # their outcome says what the service did
        calibration, _ = _learning(calibration, config)
    return model.fit(
        train, train[LABEL], groups=train["student_id"], sample_weight=weights,
        calibration_X=calibration, calibration_y=calibration[LABEL],
        calibration_groups=calibration["student_id"],
    )  # fmt: skip


def _learning(rows: pd.DataFrame, config: TrainConfig) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The rows a model learns from, and their weights, under `config.interviewed`."""
    return learning_rows(rows, config.interviewed.policy, config.interviewed.weight)


def fit_fold(fold: Fold, config: TrainConfig, with_baseline: bool = True) -> FittedFold:
    """LightGBM and (unless `with_baseline` is False) the logistic baseline, on the fold's
    training rows. The logistic regression is not recalibrated: it outputs probabilities."""
    risk_model = fit_risk_model(fold, config)
    logistic = None
    if with_baseline:
        train, weights = _learning(fold.train, config)
        logistic = fit_logistic(feature_frame(train), train[LABEL], weights, config)
    return FittedFold(fold, risk_model, logistic)


def fit_logistic(
    features: pd.DataFrame, labels: pd.Series, weights: np.ndarray | None, config: TrainConfig
) -> Pipeline:
    """The logistic baseline fitted on `features` (`feature_frame` of the training rows), their
    `labels` and `weights` (None: unweighted), with one BLAS thread (the same bits on any
    machine)."""
    logistic = logistic_baseline(
        C=config.logistic.C, max_iter=config.logistic.max_iter, seed=config.seed
    )
    weighted = {} if weights is None else {f"{logistic.steps[-1][0]}__sample_weight": weights}
    with single_blas_thread():
        logistic.fit(features, labels.astype("int64"), **weighted)
    return logistic


def score_fold(fitted: FittedFold) -> pd.DataFrame:
    """The fold's test rows with `label`, `split` and one score column per model."""
    test = fitted.fold.test
    if test is None:
        raise ValueError(f"split {fitted.fold.name!r} has no test rows to score")
    scored = test.loc[:, list(KEEP_COLUMNS)].copy()
    scored["label"] = test[LABEL].astype(bool)
    scored["split"] = fitted.fold.name
    if fitted.fold.repeat is not None:
        scored["repeat"] = fitted.fold.repeat
    raw = fitted.risk_model.score(test, calibrated=False)
    scored[PRIMARY] = fitted.risk_model.calibrate(raw)
    scored[RAW_COLUMN] = expit(raw)
    if fitted.logistic is not None:
        with single_blas_thread():
            scored["logistic"] = fitted.logistic.predict_proba(feature_frame(test))[:, 1]
    for name, rule in RULE_BASELINES.items():
        scored[name] = rule(test).to_numpy(dtype=np.float64)
    return scored

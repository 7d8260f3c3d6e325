"""Determinism (issue 12): two trainings on the same extraction with the same seed give the
same model (the same model hash, booster and predictions), even when DuckDB builds the
snapshots with a different number of threads.

The extraction has grade sums that are inexact in binary and small Parquet row groups (see
`tests.features.test_determinism`), so that a feature summed in an order that depends on the
threads would change the training rows, hence the data fingerprint and the model hash.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from threadpoolctl import threadpool_limits

from features.extraction import open_extraction
from models.calibration import fit_calibrator
from tests.features.test_determinism import assert_bitwise_equal, awkward_academie
from tests.training.conftest import fast_config
from training.config import TrainConfig
from training.fitting import FittedFold, fit_fold, score_fold
from training.pipeline import PreparedData, evaluation_folds, final_fold, prepare


@pytest.fixture(scope="module")
def academie(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("training_determinism") / "extraction"
    return awkward_academie(out, years=4, students=800)


@pytest.fixture(scope="module")
def config() -> TrainConfig:
    # A refit on every labelled year: the largest fit, whose determinism is the hardest.
    return fast_config(final_model="refit")


def _prepare(academie: Path, config: TrainConfig, threads: int) -> PreparedData:
    with open_extraction(academie) as extraction:
        extraction.con.execute(f"SET threads = {threads}")
        return prepare(extraction, config)


@pytest.fixture(scope="module")
def prepared_twice(academie: Path, config: TrainConfig) -> tuple[PreparedData, PreparedData]:
    return _prepare(academie, config, threads=1), _prepare(academie, config, threads=2)


def _fit_and_score(prepared: PreparedData, config: TrainConfig) -> tuple[FittedFold, pd.DataFrame]:
    """The final model (with the logistic baseline) fitted on its rows, scoring the test rows
    of the last evaluation split."""
    final = final_fold(prepared)
    assert final is not None
    fitted = fit_fold(final, config)
    *_, last = evaluation_folds(prepared, config)
    tested = FittedFold(last, fitted.risk_model, fitted.logistic)
    return fitted, score_fold(tested)


def test_snapshots_are_bitwise_the_same_with_one_or_two_duckdb_threads(
    prepared_twice: tuple[PreparedData, PreparedData],
) -> None:
    one, two = prepared_twice
    assert len(one.snapshots) > 1000
    assert_bitwise_equal(one.snapshots, two.snapshots)


def test_same_extraction_and_seed_give_the_same_model_hash_and_predictions(
    prepared_twice: tuple[PreparedData, PreparedData], config: TrainConfig
) -> None:
    (first, scores), (second, scores_again) = (
        _fit_and_score(prepared, config) for prepared in prepared_twice
    )
    assert first.risk_model.model_hash_ == second.risk_model.model_hash_
    assert first.risk_model.training_fingerprint_ == second.risk_model.training_fingerprint_
    booster = first.risk_model.booster_.model_to_string()
    assert booster == second.risk_model.booster_.model_to_string()
    assert first.risk_model.calibrator_.method == second.risk_model.calibrator_.method
    assert first.logistic is not None and second.logistic is not None
    assert np.array_equal(first.logistic[-1].coef_, second.logistic[-1].coef_)
    assert_bitwise_equal(scores, scores_again)


def test_the_logistic_baseline_does_not_depend_on_blas_threads(
    prepared_twice: tuple[PreparedData, PreparedData], config: TrainConfig
) -> None:
    """OpenBLAS splits sums over rows between its threads: fitting under one or two of them
    gave coefficients differing in their last bits before the fit was held to one thread."""
    final = final_fold(prepared_twice[0])
    assert final is not None
    *_, last = evaluation_folds(prepared_twice[0], config)
    coefficients, scores = [], []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            fitted = fit_fold(final, config)
            scores.append(score_fold(FittedFold(last, fitted.risk_model, fitted.logistic)))
        assert fitted.logistic is not None
        coefficients.append(fitted.logistic[-1].coef_)
    assert np.array_equal(coefficients[0], coefficients[1])
    assert_bitwise_equal(scores[0], scores[1])


def test_platt_calibration_does_not_depend_on_blas_threads() -> None:
    rng = np.random.default_rng(0)
    raw = rng.normal(size=100_000)
    label = (rng.random(raw.size) < expit(raw)).astype("float64")
    fitted = []
    for threads in (1, 2, 1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            fitted.append(fit_calibrator(raw, label, "platt"))
    assert len({(c.slope, c.intercept) for c in fitted}) == 1

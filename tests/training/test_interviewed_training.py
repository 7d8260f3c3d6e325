"""Training knows who was interviewed (the extraction's optional `interviews` table): a flag
kept beside the features, never a model input, and `interviewed.policy` that keeps, excludes
or down-weights the flagged rows. The default keeps the model bitwise what it was without
the table; each policy is deterministic."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.extraction import open_extraction
from models.encoding import INTERVIEWED_COLUMN
from models.risk_model import RiskModel
from tests.training.conftest import fast_config
from training.config import TrainConfig, TrainConfigError, load_train_config
from training.fitting import fit_risk_model
from training.folds import Fold
from training.pipeline import PreparedData, evaluation_folds, prepare


@pytest.fixture(scope="module")
def interviewed_academie(tiny_academie: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny académie with an `interviews` table: 150 students interviewed four weeks
    after the start of one of their enrollments."""
    out = tmp_path_factory.mktemp("interviewed") / "extraction"
    shutil.copytree(tiny_academie, out)
    enrollments = pd.read_parquet(out / "enrollments.parquet")
    chosen = enrollments.drop_duplicates("student_id").iloc[::5].head(150)
    pd.DataFrame({
        "student_id": chosen["student_id"].astype(str),
        "date": pd.to_datetime(chosen["start_date"]) + pd.Timedelta(days=28),
        "solution": "tutoring",
    }).to_parquet(out / "interviews.parquet", index=False)  # fmt: skip
    return out


def _prepared(folder: Path, config: TrainConfig) -> PreparedData:
    with open_extraction(folder) as extraction:
        return prepare(extraction, config)


def _first_fold(prepared: PreparedData, config: TrainConfig) -> Fold:
    return next(iter(evaluation_folds(prepared, config)))


@pytest.fixture(scope="module")
def with_table(interviewed_academie: Path) -> PreparedData:
    return _prepared(interviewed_academie, fast_config())


def test_the_flag_is_kept_beside_the_features_and_never_a_model_input(
    with_table: PreparedData,
) -> None:
    snapshots = with_table.snapshots
    assert INTERVIEWED_COLUMN in snapshots.columns
    flagged = snapshots[INTERVIEWED_COLUMN]
    assert 0 < flagged.sum() < len(snapshots)
    config = fast_config()
    model = fit_risk_model(_first_fold(with_table, config), config)
    assert INTERVIEWED_COLUMN not in model.feature_names_in_
    assert INTERVIEWED_COLUMN not in model.booster_.feature_name()


def test_the_default_keeps_the_model_of_an_extraction_without_the_table(
    prepared: PreparedData, with_table: PreparedData
) -> None:
    config = fast_config()
    assert config.interviewed.policy == "keep"
    assert not prepared.snapshots[INTERVIEWED_COLUMN].any()  # no table: nobody flagged
    without = fit_risk_model(_first_fold(prepared, config), config)
    kept = fit_risk_model(_first_fold(with_table, config), config)
    assert kept.model_hash_ == without.model_hash_
    assert kept.booster_.model_to_string() == without.booster_.model_to_string()


@pytest.mark.parametrize("policy", ["exclude", "weight"])
def test_excluding_or_weighting_changes_the_model_deterministically(
    with_table: PreparedData, policy: str
) -> None:
    keep = fast_config()
    config = fast_config(**{"interviewed.policy": policy, "interviewed.weight": 0.25})
    fold = _first_fold(with_table, config)
    assert fold.train[INTERVIEWED_COLUMN].any()
    kept = fit_risk_model(fold, keep)
    first, second = fit_risk_model(fold, config), fit_risk_model(fold, config)
    assert first.model_hash_ == second.model_hash_ != kept.model_hash_
    assert first.booster_.model_to_string() == second.booster_.model_to_string()
    scores = first.score(fold.train, calibrated=False)
    assert not np.array_equal(scores, kept.score(fold.train, calibrated=False))


def test_exclude_learns_from_the_rows_not_flagged_only(with_table: PreparedData) -> None:
    config = fast_config(**{"interviewed.policy": "exclude"})
    fold = _first_fold(with_table, config)

    def unflagged(rows: pd.DataFrame | None) -> pd.DataFrame | None:
        return None if rows is None else rows[~rows[INTERVIEWED_COLUMN]]

    by_hand_fold = dataclasses.replace(
        fold, train=unflagged(fold.train), calibration=unflagged(fold.calibration)
    )
    excluded = fit_risk_model(fold, config)
    by_hand = fit_risk_model(by_hand_fold, fast_config())
    assert excluded.model_hash_ == by_hand.model_hash_


def test_a_bad_policy_or_weight_is_refused_naming_the_key() -> None:
    with pytest.raises(TrainConfigError, match=r"interviewed\.policy"):
        load_train_config(None, {"interviewed.policy": "drop"})
    with pytest.raises(TrainConfigError, match=r"interviewed\.weight"):
        load_train_config(None, {"interviewed.weight": 0})


def test_training_weights_are_checked(with_table: PreparedData) -> None:
    fold = _first_fold(with_table, fast_config())
    model = RiskModel(num_boost_round=5, seed=1)
    labels = fold.train["label"]
    for bad in (np.ones(len(labels) - 1), np.zeros(len(labels)), np.full(len(labels), np.nan)):
        with pytest.raises(ValueError, match="sample_weight must hold"):
            model.fit(fold.train, labels, groups=fold.train["student_id"], sample_weight=bad)


def test_the_train_command_refuses_a_bad_policy_before_any_work(tiny_academie: Path) -> None:
    from typer.testing import CliRunner

    from vigie.cli import app

    result = CliRunner().invoke(
        app, ["train", "--data", str(tiny_academie), "--interviewed", "drop", "--quiet"]
    )
    assert result.exit_code == 1
    assert "interviewed.policy" in result.output and "'drop'" in result.output

"""Training and evaluation without MLflow: determinism, the comparison table, k-fold mode."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from features.contract import NAME_COLUMNS, SENSITIVE_COLUMNS
from training.config import TrainConfig
from training.fitting import MODEL_NAMES
from training.pipeline import PreparedData, train_and_evaluate
from training.run import prepare_data

from .conftest import fast_config


@pytest.fixture(scope="module")
def result(prepared: PreparedData, config: TrainConfig):
    return train_and_evaluate(prepared, config)


def test_same_data_config_and_seed_give_identical_metrics(
    prepared: PreparedData, config: TrainConfig, result
) -> None:
    again = train_and_evaluate(prepared, config)
    pd.testing.assert_frame_equal(result.comparison, again.comparison)
    pd.testing.assert_frame_equal(result.lift, again.lift)
    assert result.final_model.model_hash_ == again.final_model.model_hash_


def test_comparison_table_has_every_model_and_metric(result, config: TrainConfig) -> None:
    table = result.comparison
    assert list(table.index) == list(MODEL_NAMES)
    for rule in config.list_rules:
        for statistic in ("precision", "recall"):
            for suffix in ("", "_low", "_high", "_mean"):
                assert f"{statistic}@{rule}{suffix}" in table.columns
    first = config.list_rules[0]
    for column in ("roc_auc", "pr_auc", "brier", "log_loss", "ece",
                   f"lead_time_median_weeks@{first}", f"stability_jaccard@{first}"):  # fmt: skip
        assert column in table.columns
    probability = table.loc[["lightgbm", "logistic"]]
    assert probability[["brier", "log_loss", "ece"]].notna().all().all()
    rules = table.loc[["rule_absenteeism", "rule_abc"]]
    assert rules[["brier", "log_loss", "ece"]].isna().all().all()  # they only rank
    assert (table["n_rows"] == table["n_rows"].iloc[0]).all()  # the same student-weeks
    assert set(result.lift.index) == set(MODEL_NAMES) - {"lightgbm"}


def test_tested_rows_are_the_test_year_weekly_and_training_is_before_it(result) -> None:
    predictions = result.predictions
    assert set(predictions["school_year"]) == {"2025-2026"}
    mondays = pd.to_datetime(predictions["as_of"]).drop_duplicates()
    assert len(mondays) > 25 and (mondays.dt.day_of_week == 0).all()
    (split, final) = result.folds
    assert split["train_years"] == "2023-2024" and split["calibration"].startswith("cross")
    # final_model: last_split (default): what is registered is the model that was evaluated.
    assert final == split and result.evaluated_split == split["split"]
    assert result.evaluated_model_hash == result.final_model.model_hash_


def test_sensitive_attributes_never_reach_the_model(result) -> None:
    names = set(result.final_model.feature_names)
    assert not names & (set(SENSITIVE_COLUMNS) | set(NAME_COLUMNS))
    rows = result.final_fold.train.head(200)
    changed = rows.assign(sex="M", scholarship_level=6, parent_pcs="unknown")
    assert (result.final_model.predict_risk(rows) == result.final_model.predict_risk(changed)).all()
    assert (result.final_model.predict_risk(rows.drop(columns=list(SENSITIVE_COLUMNS))) ==
            result.final_model.predict_risk(rows)).all()  # fmt: skip


def test_explicit_as_of_dates_replace_the_cadences(tiny_academie: Path) -> None:
    dates = [dt.date(2023, 11, 6), dt.date(2024, 3, 4), dt.date(2025, 11, 3),
             dt.date(2026, 3, 2), dt.date(2024, 11, 4), dt.date(2025, 3, 3)]  # fmt: skip
    prepared = prepare_data(tiny_academie, fast_config(final_model="refit"), dates)
    assert set(pd.to_datetime(prepared.snapshots["as_of"]).dt.date) == set(dates)


def test_kfold_folds_group_students_and_cover_every_row_once_per_repeat(
    tiny_academie: Path,
) -> None:
    config = fast_config(cv="kfold:2x2", test_cadence="monthly", calibration_folds=2)
    prepared = prepare_data(tiny_academie, config)
    assert prepared.kfold_years == ("2023-2024", "2024-2025", "2025-2026")
    result = train_and_evaluate(prepared, config)
    assert list(result.comparison.index) == list(MODEL_NAMES)
    predictions = result.predictions
    assert set(predictions["repeat"]) == {1, 2}
    keys = ["student_id", "as_of"]
    for _, rows in predictions.groupby("repeat"):
        assert not rows.duplicated(keys).any()
        assert len(rows) == len(predictions) // 2
        # No student is tested by two folds of one repeat.
        assert rows.groupby("student_id")["split"].nunique().max() == 1


def test_an_impossible_backtest_names_the_split(tiny_academie: Path) -> None:
    with pytest.raises(ValueError, match="split 'test-2024-2025'"):
        prepare_data(tiny_academie, fast_config(cv="backtest:2"))

"""The replay wired into training: every model and baseline replayed on the tested weeks."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from training.baselines import REPLAY_BASELINES
from training.config import TrainConfig, TrainConfigError
from training.evaluation import replay_table
from training.fitting import MODEL_NAMES
from training.pipeline import PreparedData, train_and_evaluate
from training.replay import replay_metrics, replay_year
from training.report import comparison_to_json, render_replay, replay_for_mlflow

from .conftest import fast_config


@pytest.fixture(scope="module")
def result(prepared: PreparedData, config: TrainConfig):
    return train_and_evaluate(prepared, config)


def test_training_replays_every_model_and_baseline(result, config: TrainConfig) -> None:
    replay = result.replay
    assert list(replay.index) == [*MODEL_NAMES, *REPLAY_BASELINES]  # no latent side file
    assert (replay["students_invited"] <= replay["invitations"]).all()
    assert (replay["dropouts_reached"] <= replay["n_dropouts"]).all()
    assert (replay["dropouts_reached_ahead"] <= replay["dropouts_reached"]).all()
    assert set(result.replay_lift.index) == set(replay.index) - {"lightgbm"}
    # The student-week comparison table is unchanged: the replay-only baselines are not in it.
    assert list(result.comparison.index) == list(MODEL_NAMES)
    assert "replay_seconds" in result.timings


def test_the_replay_table_is_the_replay_of_each_models_scores(result, config) -> None:
    predictions = result.predictions
    frame = predictions.loc[
        :, ["student_id", "as_of", "uai", "school_year", "capacity", "label", "exit_date"]
    ].assign(score=predictions["rule_abc"].to_numpy())
    expected = replay_metrics(
        replay_year(frame, probability=False), frame, n_boot=config.n_boot, seed=config.seed
    )
    got = result.replay.loc["rule_abc"]
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, nan_ok=True), name


def test_the_replay_is_deterministic_and_reported(result, config: TrainConfig) -> None:
    again, lift = replay_table(result.predictions, config)
    pd.testing.assert_frame_equal(again, result.replay)
    pd.testing.assert_frame_equal(lift, result.replay_lift)
    metrics = replay_for_mlflow(result.replay, result.replay_lift)
    assert "lightgbm.replay.dropouts_reached" in metrics
    assert "lift_vs_rule_abc.replay.dropouts_reached_diff" in metrics
    payload = json.loads(
        comparison_to_json(result.comparison, result.lift, {}, None, result.replay, lift)
    )
    assert set(payload["replay"]["models"]) == set(result.replay.index)
    assert render_replay(result.replay).row_count > 0


def test_the_interviewed_share_variant_is_configured_and_replayed(prepared, result) -> None:
    with pytest.raises(TrainConfigError, match="replay_interviewed_share"):
        fast_config(replay_interviewed_share=1.5)
    assert result.replay_variant is None  # off by default
    config = fast_config(replay_interviewed_share=0.0)
    variant = train_and_evaluate(prepared, config).replay_variant
    assert list(variant.index) == list(result.replay.index)
    # Nobody interviewed: every slot filled each week (nobody is in follow-up), no dropout
    # reached, fewer distinct students.
    assert (variant["invitations"] >= result.replay["invitations"]).all()
    assert (variant["dropouts_reached"] == 0).all()
    assert (variant["students_invited"] <= result.replay["students_invited"]).all()

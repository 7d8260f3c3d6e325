"""The replay wired into training: every model and baseline replayed on the tested weeks."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from training.baselines import REPLAY_BASELINES, read_latent_risk
from training.config import TrainConfig, TrainConfigError
from training.evaluation import replay_evaluation, replay_table
from training.fitting import MODEL_NAMES
from training.pipeline import PreparedData, train_and_evaluate
from training.replay import replay_metrics, replay_year
from training.report import comparison_to_json, render_replay, replay_for_mlflow

from .conftest import fast_config


@pytest.fixture(scope="module")
def result(prepared: PreparedData, config: TrainConfig):
    return train_and_evaluate(prepared, config)


@pytest.fixture(scope="module")
def replay(result, config: TrainConfig):
    return replay_evaluation(result.predictions, config)


def test_training_scores_the_replay_baselines_beside_the_models(result) -> None:
    for name in REPLAY_BASELINES:
        assert np.isfinite(result.predictions[name].to_numpy()).all()
    # The student-week comparison table is unchanged: the replay-only baselines are not in it.
    assert list(result.comparison.index) == list(MODEL_NAMES)


def test_every_model_and_baseline_is_replayed(replay) -> None:
    table = replay.table
    assert list(table.index) == [*MODEL_NAMES, *REPLAY_BASELINES]  # no latent side file
    assert (table["students_invited"] <= table["invitations"]).all()
    assert (table["dropouts_reached"] <= table["n_dropouts"]).all()
    assert (table["dropouts_reached_ahead"] <= table["dropouts_reached"]).all()
    assert set(replay.lift.index) == set(table.index) - {"lightgbm"}
    assert replay.variant is None  # off by default


def test_the_replay_table_is_the_replay_of_each_models_scores(result, replay, config) -> None:
    predictions = result.predictions
    frame = predictions.loc[
        :, ["student_id", "as_of", "uai", "school_year", "capacity", "label", "exit_date"]
    ].assign(score=predictions["rule_abc"].to_numpy())
    expected = replay_metrics(
        replay_year(frame, probability=False), frame, n_boot=config.n_boot, seed=config.seed
    )
    got = replay.table.loc["rule_abc"]
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, nan_ok=True), name


def test_the_replay_is_deterministic_and_reported(result, replay, config: TrainConfig) -> None:
    again, lift = replay_table(result.predictions, config)
    pd.testing.assert_frame_equal(again, replay.table)
    pd.testing.assert_frame_equal(lift, replay.lift)
    metrics = replay_for_mlflow(replay.table, replay.lift)
    assert "lightgbm.replay.dropouts_reached" in metrics
    assert "lift_vs_rule_abc.replay.dropouts_reached_diff" in metrics
    text = comparison_to_json(result.comparison, result.lift, {}, None, replay.table, lift)
    assert set(json.loads(text)["replay"]["models"]) == set(replay.table.index)
    rendered = render_replay(replay.table)
    assert rendered.row_count == len(replay.table)
    # On a terminal of 80 columns (and in a log) every model and figure is shown whole.
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(rendered)
    shown = console.export_text()
    assert "…" not in shown
    assert all(str(model) in shown for model in replay.table.index)


def test_the_ceiling_ranks_by_the_latent_risk_when_given(result, config: TrainConfig) -> None:
    # The label is a row's (leaving within the horizon after its week): a weekly latent risk
    # equal to it is the best ranking there is.
    rows = result.predictions.drop_duplicates(["student_id", "school_year", "as_of"])
    latent = pd.DataFrame({
        "student_id": rows["student_id"].astype(str).to_numpy(),
        "school_year": rows["school_year"].astype(str).to_numpy(),
        "as_of": rows["as_of"].to_numpy(),
        "latent_risk": rows["label"].astype(float).to_numpy(),
    })  # fmt: skip
    table = replay_evaluation(result.predictions, config, latent).table
    assert table.index[-1] == "ceiling_latent"
    precision = table["invitation_precision"]
    assert precision["ceiling_latent"] == precision.max()


def test_the_generators_latent_risk_is_a_ceiling_of_the_replay(
    result, tiny_academie, config: TrainConfig
) -> None:
    # `vigie synth` writes its latent risk (the student-year's dropout probability plus the
    # week's disengagement intensity) beside the tables: ranking by it reaches at least as
    # many future dropouts as LightGBM, and at least as many ahead of their exit.
    latent = read_latent_risk(tiny_academie)
    assert latent is not None and "as_of" in latent.columns
    table = replay_evaluation(result.predictions, config, latent).table
    assert list(table.index) == [*MODEL_NAMES, *REPLAY_BASELINES, "ceiling_latent"]
    ceiling, model = table.loc["ceiling_latent"], table.loc["lightgbm"]
    assert ceiling["n_dropouts"] == model["n_dropouts"] > 0
    assert ceiling["dropouts_reached"] >= model["dropouts_reached"]
    assert ceiling["dropouts_reached_ahead"] >= model["dropouts_reached_ahead"]
    assert ceiling["dropouts_reached_ahead"] == table["dropouts_reached_ahead"].max()


def test_the_interviewed_share_variant_is_configured_and_replayed(result, replay) -> None:
    with pytest.raises(TrainConfigError, match="replay_interviewed_share"):
        fast_config(replay_interviewed_share=1.5)
    variant = replay_evaluation(result.predictions, fast_config(replay_interviewed_share=0.0))
    assert list(variant.variant.index) == list(replay.table.index)
    pd.testing.assert_frame_equal(variant.table, replay.table)
    # Nobody interviewed: every slot filled each week (nobody is in follow-up), no dropout
    # reached, fewer distinct students.
    assert (variant.variant["invitations"] >= replay.table["invitations"]).all()
    assert (variant.variant["dropouts_reached"] == 0).all()
    assert (variant.variant["students_invited"] <= replay.table["students_invited"]).all()


def test_a_training_run_logs_the_replay(trained) -> None:
    from mlflow.tracking import MlflowClient

    from training.tracking import COMPARISON_ARTIFACT

    client = MlflowClient()
    metrics = client.get_run(trained.run_id).data.metrics
    assert "lightgbm.replay.dropouts_reached" in metrics
    assert "lift_vs_rule_absenteeism.replay.dropouts_reached_diff_low" in metrics
    assert "level_prior.replay.students_invited" in metrics
    path = client.download_artifacts(trained.run_id, COMPARISON_ARTIFACT)
    with open(path, encoding="utf-8") as handle:
        payload = json.load(handle)
    assert "hand_weighted" in payload["replay"]["models"]
    assert trained.replay is not None

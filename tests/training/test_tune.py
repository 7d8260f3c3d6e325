"""`vigie tune`: seeded Optuna trials as nested runs, then the best trained as a normal run."""

from __future__ import annotations

from pathlib import Path

from mlflow.tracking import MlflowClient

from training.tune import tune_and_train

from .conftest import fast_config, registered_versions


def test_trials_are_nested_runs_and_the_best_is_trained_and_registered(
    mlflow_home: Path, tiny_academie: Path, prepared
) -> None:
    before = registered_versions("tune-model")
    config = fast_config(experiment_name="tuning", registered_model_name="tune-model")
    seen: list[float] = []
    outcome = tune_and_train(
        tiny_academie, config, trials=2, home=mlflow_home, prepared=prepared,
        on_trial=lambda number, value, params: seen.append(value),
    )  # fmt: skip
    client = MlflowClient()
    experiment = client.get_experiment_by_name("tuning").experiment_id
    runs = client.search_runs([experiment])
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == outcome.tune_run_id]
    assert len(children) == 2 == len(seen)
    assert {r.info.run_name for r in children} == {"trial-000", "trial-001"}
    assert all("num_leaves" in r.data.params for r in children)
    trained = client.get_run(outcome.training.run_id)
    assert trained.data.tags["vigie.tune_run_id"] == outcome.tune_run_id
    assert "mlflow.parentRunId" not in trained.data.tags  # a normal, top-level training run
    assert trained.data.params["lightgbm.num_leaves"] == str(outcome.best_params["num_leaves"])
    assert outcome.best_value == max(seen)
    assert len(registered_versions("tune-model")) == len(before) + 1

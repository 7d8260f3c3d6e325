"""`vigie train` as MLflow sees it: one run with everything, registration last, promotion."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from models.pyfunc import load_risk_model
from training.logged import (
    logged_comparison,
    logged_replay,
    recompute_comparison,
    recompute_run,
    resolve_run_id,
)
from training.promote import PromotionRefused, promote_version
from training.tracking import COMPARISON_ARTIFACT, data_fingerprint, git_commit, training_run

from .conftest import fast_config, registered_versions

NAME = "vigie-dropout"


def _artifacts(client: MlflowClient, run_id: str, path: str | None = None) -> set[str]:
    found = set()
    for item in client.list_artifacts(run_id, path):
        found |= _artifacts(client, run_id, item.path) if item.is_dir else {item.path}
    return found


def test_a_training_run_records_everything(trained, tiny_academie: Path) -> None:
    client = MlflowClient()
    run = client.get_run(trained.run_id)
    assert run.info.status == "FINISHED"
    artifacts = _artifacts(client, trained.run_id)
    for path in (COMPARISON_ARTIFACT, "config/train_config.yaml", "data/fingerprint.json",
                 "features/feature_catalog.json", "features/feature_importance.csv",
                 "splits/plan.json", "predictions/test_predictions.parquet",
                 "plots/pr_curve.png", "plots/reliability_curve.png",
                 "plots/precision_by_month.png", "plots/feature_importance.png",
                 "explanations/global_shap.csv", "explanations/global_shap.json",
                 "explanations/global_shap.png", "fairness/fairness.json",
                 "fairness/fairness_report.html", "drift/reference_features.parquet"):  # fmt: skip
        assert path in artifacts
    assert run.data.tags["vigie.data_sha256"] == data_fingerprint(tiny_academie)["sha256"]
    if git_commit() is not None:
        assert len(run.data.tags["vigie.git_commit"]) == 40
    assert run.data.params["lightgbm.deterministic"] == "True"
    assert "lightgbm.precision_at_k" in run.data.metrics
    assert "lift_vs_rule_abc.precision_at_k_lift_low" in run.data.metrics
    model = mlflow.models.get_model_info(trained.model_uri)
    assert model.signature is not None and model.saved_input_example_info is not None
    version = client.get_model_version_by_alias(NAME, "challenger")
    assert str(version.version) == trained.version and version.run_id == trained.run_id


def test_the_drift_reference_is_the_final_models_inputs_only(trained, tmp_path: Path) -> None:
    from features.catalog import feature_names

    path = MlflowClient().download_artifacts(
        trained.run_id, "drift/reference_features.parquet", str(tmp_path)
    )
    reference = pd.read_parquet(path)
    assert list(reference.columns) == ["as_of", *feature_names()]
    train = trained.result.final_fold.train
    assert len(reference) == min(len(train), 50_000)
    assert set(reference["as_of"]) <= set(train["as_of"])
    # Rows of the final model's training data, values unchanged (a sample, not a summary).
    columns = ["as_of", *feature_names()]
    merged = reference.head(50).merge(train.loc[:, columns].drop_duplicates(),
                                      how="left", indicator=True)  # fmt: skip
    assert (merged["_merge"] == "both").all()


def test_the_model_loads_by_alias_and_predicts_like_the_in_memory_one(trained) -> None:
    rows = trained.result.final_fold.train.head(300)
    expected = trained.result.final_model.predict_risk(rows)
    loaded = load_risk_model(f"models:/{NAME}@challenger")
    np.testing.assert_array_equal(loaded.predict_risk(rows), expected)
    pyfunc = mlflow.pyfunc.load_model(f"models:/{NAME}@challenger")
    output = pyfunc.predict(rows.loc[:, list(loaded.feature_names)])
    np.testing.assert_array_equal(output["risk"].to_numpy(), expected)


def test_an_interrupted_run_leaves_no_registered_model(
    trained, tiny_academie: Path, prepared, mlflow_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import training.run

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(training.run, "write_plots", disk_full)
    before = registered_versions()
    config = fast_config(experiment_name="interrupted")
    with pytest.raises(OSError, match="no space left"):
        training.run.run_training(tiny_academie, config, home=mlflow_home, prepared=prepared)
    assert registered_versions() == before
    experiment = mlflow.get_experiment_by_name("interrupted")
    runs = MlflowClient().search_runs([experiment.experiment_id])
    assert [run.info.status for run in runs] == ["FAILED"]
    assert COMPARISON_ARTIFACT not in _artifacts(MlflowClient(), runs[0].info.run_id)


def test_promote_refuses_a_version_without_comparison_table(trained, mlflow_home: Path) -> None:
    from models.pyfunc import log_risk_model

    client = MlflowClient()
    with training_run("untested", home=mlflow_home) as run:
        info = log_risk_model(trained.result.final_model, trained.result.final_fold.train)
    version = mlflow.register_model(info.model_uri, NAME).version
    with pytest.raises(PromotionRefused) as refused:
        promote_version(client, NAME, str(version), "someone")
    assert "no comparison table" in str(refused.value)
    assert run.info.run_id in str(refused.value)
    aliases = client.get_model_version(NAME, str(version)).aliases
    assert "champion" not in aliases
    with pytest.raises(PromotionRefused, match="has no version 999"):
        promote_version(client, NAME, "999", "someone")


def test_promote_moves_champion_and_records_who_and_when(trained) -> None:
    client = MlflowClient()
    # The tiny académie's model may not beat every baseline: the gain gate then needs a reason.
    promotion = promote_version(client, NAME, trained.version, "cpe.rennes",
                                override="Académie de test")  # fmt: skip
    version = client.get_model_version_by_alias(NAME, "champion")
    assert str(version.version) == trained.version
    assert version.tags["vigie.promoted_by"] == "cpe.rennes"
    when = dt.datetime.fromisoformat(version.tags["vigie.promoted_at"])
    assert abs(dt.datetime.now(dt.UTC) - when) < dt.timedelta(minutes=5)
    assert promotion.run_id == trained.run_id


def test_evaluate_reads_the_logged_table_and_recomputes_it(trained) -> None:
    client = MlflowClient()
    run_id = resolve_run_id(client, None, "challenger", NAME)
    assert run_id == trained.run_id
    table, _, context = logged_comparison(client, run_id)
    expected = trained.result.comparison
    pd.testing.assert_frame_equal(table.drop(columns="is_probability"),
                                  expected.drop(columns="is_probability"),
                                  check_dtype=False, check_names=False)  # fmt: skip
    assert context["rules"] == ["k", "2k", "5%"]
    recomputed, _, _ = recompute_comparison(client, run_id)
    pd.testing.assert_frame_equal(recomputed.drop(columns="is_probability"),
                                  expected.drop(columns="is_probability"),
                                  check_dtype=False)  # fmt: skip
    with pytest.raises(ValueError, match="no run"):
        resolve_run_id(client, "0" * 32, None, NAME)


def test_evaluate_recomputes_the_replay_as_train_computed_it(trained) -> None:
    """The replay recomputed from the logged predictions is the one `vigie train` logged, row
    for row (the ceiling apart: it needs the extraction's latent risk), with a bootstrap
    count of its own when asked."""
    from training.baselines import CEILING

    client = MlflowClient()
    recomputed = recompute_run(client, trained.run_id)
    assert recomputed.context["recomputed"] is True and recomputed.context["ceiling"] is False
    expected = trained.replay.table.drop(index=CEILING, errors="ignore")
    assert CEILING not in recomputed.replay.table.index
    pd.testing.assert_frame_equal(recomputed.replay.table, expected, check_dtype=False)
    expected_lift = trained.replay.lift.drop(index=CEILING, errors="ignore")
    pd.testing.assert_frame_equal(recomputed.replay.lift, expected_lift, check_dtype=False)
    logged = logged_replay(client, trained.run_id).drop(index=CEILING, errors="ignore")
    assert logged["dropouts_reached"].to_dict() == (
        recomputed.replay.table["dropouts_reached"].to_dict()
    )
    fewer = recompute_run(client, trained.run_id, n_boot=20)
    assert fewer.context["n_boot"] == 20
    pd.testing.assert_series_equal(fewer.replay.table["dropouts_reached"],
                                   expected["dropouts_reached"], check_dtype=False)  # fmt: skip
    assert not np.allclose(fewer.replay.table["dropouts_reached_low"],
                           expected["dropouts_reached_low"])  # fmt: skip

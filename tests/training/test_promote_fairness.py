"""The fairness gate of `vigie promote`, and `vigie audit` on a logged run."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from training.fairness.logged import FAIRNESS_ARTIFACT, FAIRNESS_REPORT_ARTIFACT
from training.promote import PromotionRefused, promote_version
from training.tracking import COMPARISON_ARTIFACT, data_fingerprint, training_run
from vigie.cli import app

NAME = "vigie-dropout"
FAILING_GATE = {
    "gate": {
        "metric": "recall", "band": [0.8, 1.25], "judged_groups": 12, "passed": False,
        "out_of_band": [{"grouping": "sex", "group": "F", "reference": "M", "ratio": 0.41,
                         "ratio_low": 0.2, "ratio_high": 0.7, "ci_outside_band": True}],
    }
}  # fmt: skip


def _version(trained, mlflow_home: Path, experiment: str, fairness: dict | None) -> str:
    """A registered version whose run has a comparison table and the given audit (or none)."""
    from models.pyfunc import log_risk_model

    with training_run(experiment, home=mlflow_home):
        info = log_risk_model(trained.result.final_model, trained.result.final_fold.train)
        if fairness is not None:
            mlflow.log_dict(fairness, FAIRNESS_ARTIFACT)
        mlflow.log_text("{}", COMPARISON_ARTIFACT)
    return str(mlflow.register_model(info.model_uri, NAME).version)


def test_training_logs_the_audit_and_its_gate(trained) -> None:
    client = MlflowClient()
    run = client.get_run(trained.run_id)
    assert run.data.tags["vigie.fairness_gate"] in ("passed", "failed")
    assert "fairness.judged_groups" in run.data.metrics
    listed = {item.path for item in client.list_artifacts(trained.run_id, "fairness")}
    assert {FAIRNESS_ARTIFACT, FAIRNESS_REPORT_ARTIFACT} <= listed
    assert trained.fairness is not None
    assert trained.fairness.context["run_id"] == trained.run_id


def test_an_unfair_version_is_refused_unless_justified(trained, mlflow_home: Path) -> None:
    client = MlflowClient()
    version = _version(trained, mlflow_home, "gate-failing", FAILING_GATE)
    with pytest.raises(PromotionRefused) as refused:
        promote_version(client, NAME, version, "inspecteur")
    assert refused.value.overridable
    assert "sex = F" in str(refused.value) and "--override" in str(refused.value)
    assert "champion" not in client.get_model_version(NAME, version).aliases
    why = "Effet de capacité connu, plan d'action signé"
    promotion = promote_version(client, NAME, version, "inspecteur", override=why)
    tags = client.get_model_version(NAME, version).tags
    assert tags["vigie.fairness_override"] == "Effet de capacité connu, plan d'action signé"
    assert tags["vigie.fairness_override_by"] == "inspecteur"
    assert tags["vigie.fairness_override_at"] == tags["vigie.promoted_at"]
    assert tags["vigie.fairness_gate"] == "overridden"
    assert promotion.overridden and "sex = F" in promotion.overridden[0]


def test_a_version_without_audit_is_refused(trained, mlflow_home: Path) -> None:
    version = _version(trained, mlflow_home, "gate-missing", None)
    with pytest.raises(PromotionRefused, match="no fairness audit"):
        promote_version(MlflowClient(), NAME, version, "someone")
    with pytest.raises(PromotionRefused, match="no fairness audit"):
        promote_version(MlflowClient(), NAME, version, "someone", override="   ")


def test_promote_command_override(trained, mlflow_home: Path) -> None:
    version = _version(trained, mlflow_home, "gate-cli", FAILING_GATE)
    runner = CliRunner()
    refused = runner.invoke(app, ["promote", "--version", version])
    assert refused.exit_code == 1 and "--override" in refused.output
    promoted = runner.invoke(app, ["promote", "--version", version, "--override", "Vu et accepté"])
    assert promoted.exit_code == 0, promoted.output
    assert "overridden" in promoted.output


def test_a_logged_run_audited_again_gives_the_same_audit(trained) -> None:
    """Rebuilding the rows from the extraction gives what the training audited in memory."""
    from training.fairness.logged import audit_logged_run

    again = audit_logged_run(MlflowClient(), trained.run_id, trained.fairness.config)
    pd.testing.assert_frame_equal(again.metrics, trained.fairness.metrics)
    pd.testing.assert_frame_equal(again.disparities, trained.fairness.disparities)
    pd.testing.assert_frame_equal(again.mean_contributions, trained.fairness.mean_contributions)
    # Proxy AUCs may move in the third decimal: the feature builder sums marks in an order
    # that depends on the set of as-of dates built together (the training built more dates),
    # and the proxy classifiers' split thresholds can see that last-bit difference.
    pd.testing.assert_frame_equal(
        again.proxies.drop(columns=["auc", "carried_by"]),
        trained.fairness.proxies.drop(columns=["auc", "carried_by"]),
    )
    np.testing.assert_allclose(again.proxies["auc"], trained.fairness.proxies["auc"], atol=0.01)


def test_audit_command_rebuilds_the_run_and_refuses_a_changed_extraction(
    trained, tiny_academie: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["audit", "--run", trained.run_id, "--lang", "en",
                                 "--out", str(out), "--min-group-size", "50",
                                 "--n-boot", "50", "--no-log"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Inspector's sign-off" in out.read_text(encoding="utf-8").replace("&#x27;", "'")
    logged = json.loads(
        Path(
            MlflowClient().download_artifacts(trained.run_id, FAIRNESS_ARTIFACT, str(tmp_path))
        ).read_text(encoding="utf-8")
    )
    assert logged["context"]["tested_rows"] == trained.fairness.context["tested_rows"]
    moved = tmp_path / "copy"
    moved.mkdir()
    for path in tiny_academie.iterdir():
        (moved / path.name).write_bytes(path.read_bytes())
    (moved / "outcomes.parquet").write_bytes(b"changed")
    assert data_fingerprint(moved)["sha256"] != data_fingerprint(tiny_academie)["sha256"]
    stale = runner.invoke(app, ["audit", "--run", trained.run_id, "--data", str(moved), "--no-log"])
    assert stale.exit_code == 1 and "changed since the run" in " ".join(stale.output.split())
    bad = runner.invoke(app, ["audit", "--run", trained.run_id, "--reference-group", "sex"])
    assert bad.exit_code != 0

"""The audit at the MLflow edge: logging it to a run, and auditing a logged run again.

Only aggregates reach MLflow (`fairness/fairness.json`, the HTML report, the PNG figures and a
few metrics): sensitive attributes are never logged row by row. To audit a logged run,
`audit_logged_run` reads the run's test predictions and model, then rebuilds the features and
group attributes of the same student-weeks from the run's extraction, with the one feature
builder, after checking that the extraction's fingerprint is still the one the run recorded.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from training.fairness.audit import FairnessAudit, audited_rows, run_audit
from training.fairness.config import FairnessConfig
from training.fairness.figures import all_figures
from training.fairness.report import audit_to_dict, render_html
from training.tracking import PREDICTIONS_ARTIFACT, data_fingerprint

__all__ = [
    "FAIRNESS_ARTIFACT",
    "FAIRNESS_REPORT_ARTIFACT",
    "StaleExtractionError",
    "audit_logged_run",
    "log_audit",
    "write_report",
]

FAIRNESS_ARTIFACT = "fairness/fairness.json"
FAIRNESS_REPORT_ARTIFACT = "fairness/fairness_report.html"


class StaleExtractionError(ValueError):
    """The run's extraction is gone or changed: its rows cannot be rebuilt faithfully."""


def write_report(audit: FairnessAudit, path: str | Path, language: str | None = None) -> Path:
    """Write the HTML report (self-contained) to `path`."""
    language = language or audit.config.language
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(audit, all_figures(audit, language), language), encoding="utf-8")
    return path


def log_audit(client: Any, run_id: str, audit: FairnessAudit) -> None:
    """Log the audit to `run_id` under `fairness/`: JSON, HTML (the configured language, and
    the other one beside it), figures, summary metrics, and the gate's verdict as a tag."""
    language = audit.config.language
    other = "en" if language == "fr" else "fr"
    figures = all_figures(audit, language)
    client.log_dict(run_id, audit_to_dict(audit), FAIRNESS_ARTIFACT)
    client.log_text(run_id, render_html(audit, figures, language), FAIRNESS_REPORT_ARTIFACT)
    client.log_text(run_id, render_html(audit, all_figures(audit, other), other),
                    f"fairness/fairness_report.{other}.html")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="vigie-fairness-") as tmp:
        for name, png in figures.items():
            path = Path(tmp) / name
            path.write_bytes(png)
            client.log_artifact(run_id, str(path), "fairness/figures")
    gate = audit.gate()
    for key, value in {
        "fairness.judged_groups": gate["judged_groups"],
        "fairness.recall_out_of_band_groups": len(gate["out_of_band"]),
        "fairness.too_small_groups": len(audit.too_small()),
        "fairness.proxies_found": len(audit.proxies_found()),
    }.items():
        client.log_metric(run_id, key, float(value))
    client.set_tag(run_id, "vigie.fairness_gate", "passed" if gate["passed"] else "failed")


def _download(client: Any, run_id: str, artifact: str, into: str) -> str:
    from mlflow.exceptions import MlflowException

    try:
        return str(client.download_artifacts(run_id, artifact, into))
    except (MlflowException, OSError):
        raise ValueError(f"run {run_id} has no artifact {artifact}") from None


def rebuild_features(data: str | Path, recorded_sha256: str, as_of: list[Any]) -> pd.DataFrame:
    """The feature rows (with group attributes) of `data` at the `as_of` dates, after checking
    the extraction still has the fingerprint the run recorded."""
    from features.builder import build_features
    from features.validation import require_valid

    directory = Path(data)
    if not directory.is_dir():
        raise StaleExtractionError(f"the run's extraction {directory} no longer exists")
    current = data_fingerprint(directory)["sha256"]
    if current != recorded_sha256:
        raise StaleExtractionError(
            f"the extraction in {directory} changed since the run (fingerprint {current[:12]} "
            f"instead of {recorded_sha256[:12]}): the audit would not see the run's rows"
        )
    dates = sorted({pd.Timestamp(day).date() for day in as_of})
    with require_valid(directory) as extraction:
        return build_features(extraction, dates).frame


def audit_logged_run(
    client: Any, run_id: str, config: FairnessConfig, data: str | Path | None = None
) -> FairnessAudit:
    """Audit a logged training run: its test predictions and model, with features rebuilt
    from its extraction (`data` overrides the recorded folder; the fingerprint must match)."""
    from mlflow.exceptions import MlflowException

    from models.pyfunc import load_risk_model

    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise ValueError(f"there is no run {run_id!r} in this tracking store") from None
    params = run.data.params
    if "data_sha256" not in params or ("data_dir" not in params and data is None):
        raise ValueError(f"run {run_id} records no extraction (params data_dir, data_sha256)")
    with tempfile.TemporaryDirectory(prefix="vigie-audit-") as tmp:
        predictions = pd.read_parquet(_download(client, run_id, PREDICTIONS_ARTIFACT, tmp))
    features = rebuild_features(data or params["data_dir"], params["data_sha256"],
                                list(predictions["as_of"].unique()))  # fmt: skip
    model = load_risk_model(f"runs:/{run_id}/model")
    context = {"run_id": run_id, "model_uri": f"runs:/{run_id}/model",
               "data_sha256": params["data_sha256"]}  # fmt: skip
    return run_audit(audited_rows(predictions, features), model, config, context)

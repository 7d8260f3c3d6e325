"""MLflow at the edges: where runs are stored, what identifies their inputs, and registration.

Local default, nothing to start: an SQLite store `<VIGIE_HOME>/mlflow/mlflow.db` (VIGIE_HOME
defaults to `var`) with artifacts under `<VIGIE_HOME>/mlflow/artifacts`; `MLFLOW_TRACKING_URI`
overrides it (both read by `settings`). `setup_tracking` is called by the commands, never at
import. MLflow's usage telemetry is switched off unless `MLFLOW_DISABLE_TELEMETRY` says
otherwise (`models.registry.mlflow_defaults`). Registered versions and aliases are read and
moved only through `models.registry`; runs are logged here.

A model is registered only after its run finished: an interrupted or failed run leaves a
FAILED run and no registered version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from features.contract import TABLES
from features.csv_dialect import OVERRIDES_FILE
from features.jsonio import sha256
from models.registry import CHALLENGER, mlflow_defaults, register_version, registry_client
from settings import Settings, load_settings

__all__ = [
    "COMPARISON_ARTIFACT",
    "CONFIG_ARTIFACT",
    "PREDICTIONS_ARTIFACT",
    "data_fingerprint",
    "ensure_experiment",
    "git_commit",
    "register_challenger",
    "setup_tracking",
    "training_run",
]

# Artifact paths inside a training run. Promotion requires the comparison table.
COMPARISON_ARTIFACT = "comparison/comparison.json"
PREDICTIONS_ARTIFACT = "predictions/test_predictions.parquet"
CONFIG_ARTIFACT = "config/train_config.yaml"


def setup_tracking(home: str | Path | None = None) -> str:
    """Point MLflow at the settings' tracking store (`MLFLOW_TRACKING_URI`, else the local
    SQLite store under `home`, by default the settings' home). Returns the tracking URI.
    Creates the folder of a local SQLite store."""
    mlflow_defaults()
    import mlflow
    from mlflow.telemetry import set_telemetry_client

    set_telemetry_client()  # re-reads MLFLOW_DISABLE_TELEMETRY
    uri = _settings(home).tracking_uri
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def artifact_root(home: str | Path | None = None) -> str | None:
    """Where new experiments keep artifacts: `artifacts/` beside a local SQLite store (by
    default `home/mlflow/artifacts`), the server's default otherwise."""
    uri = _settings(home).tracking_uri
    if not uri.startswith("sqlite:///"):
        return None
    return (Path(uri.removeprefix("sqlite:///")).parent / "artifacts").resolve().as_uri()


def _settings(home: str | Path | None) -> Settings:
    return load_settings() if home is None else load_settings(home=Path(home))


def ensure_experiment(name: str, home: str | Path | None = None) -> str:
    """The id of experiment `name`, created with the local artifact root if new."""
    import mlflow

    experiment = mlflow.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    return mlflow.create_experiment(name, artifact_location=artifact_root(home))


@contextmanager
def training_run(
    experiment_name: str,
    run_name: str | None = None,
    tags: Mapping[str, str] | None = None,
    home: str | Path | None = None,
    parent_run_id: str | None = None,
    use_environment_run: bool = True,
) -> Iterator[Any]:
    """An active MLflow run, ended FINISHED on success and FAILED on any exception.

    Under `mlflow run` (MLFLOW_RUN_ID set), the project's run is used when
    `use_environment_run`; otherwise a new run is created in `experiment_name`.
    """
    import mlflow
    from mlflow.tracking import MlflowClient

    environment_run = _settings(home).mlflow_run_id if use_environment_run else ""
    if environment_run:
        run = mlflow.start_run(run_id=environment_run, tags=dict(tags or {}))
        if run_name:
            mlflow.set_tag("mlflow.runName", run_name)
    else:
        experiment_id = ensure_experiment(experiment_name, home)
        all_tags = dict(tags or {})
        if parent_run_id:
            all_tags["mlflow.parentRunId"] = parent_run_id
        created = MlflowClient().create_run(experiment_id, tags=all_tags, run_name=run_name)
        run = mlflow.start_run(run_id=created.info.run_id)
    with run:
        yield run


def data_fingerprint(directory: str | Path) -> dict[str, Any]:
    """SHA-256 of each contract table file of an extraction, and of them all together; with
    `csv_formats.toml` when there is one, since it changes how the CSV files read."""
    directory = Path(directory)
    tables: dict[str, str] = {}
    paths = [directory / f"{name}.{ext}" for name in TABLES for ext in ("csv", "parquet")]
    for path in (*paths, directory / OVERRIDES_FILE):
        if path.is_file():
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            tables[path.name] = digest.hexdigest()
    combined = sha256(tables, spaced=True)
    return {"sha256": combined, "files": tables}


def git_commit(directory: str | Path | None = None) -> dict[str, str] | None:
    """The git commit of the code (and whether the working tree had changes), if available."""
    where = Path(directory) if directory else Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True,
            check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=where,
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": "true" if status else "false"}


def register_challenger(model_uri: str, name: str, run_id: str) -> Any:
    """Register a logged model as a new version of `name` and point `challenger` at it."""
    tags = {"vigie.run_id": run_id, "vigie.registered_at": _now()}
    return register_version(registry_client(), model_uri, name, tags, alias=CHALLENGER)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

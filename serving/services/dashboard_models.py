"""The model registry as the dashboard shows it: registered versions with aliases and
metrics, the comparison and fairness reports a run logged, and precision at capacity over
the test weeks, champion against challenger on the same weeks.

Reads MLflow through `models.registry` with the client given (the dashboard's, on the
tracking store); only aggregates leave this module. Versions, metrics and reports: inspectors
(model card) and data scientists; precision over the weeks: data scientists. Every read and
refusal is audited. Artifacts of a run never change, so downloaded ones are kept in a small
in-process cache.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from functools import lru_cache
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from features.jsonio import loads
from models.registry import (
    CHAMPION,
    RegistryError,
    artifact_text,
    download_artifact,
    registry_client,
    resolve,
    versions_with_aliases,
)
from serving.db.engine import Store
from serving.services.actor import Actor
from serving.services.audit import record_read
from serving.services.errors import NotFound
from serving.services.guard import check
from serving.services.policy import Action, performs
from training.metrics_lists import precision_by_week

__all__ = [
    "COMPARISON_ARTIFACT",
    "FAIRNESS_ARTIFACT",
    "HEADLINE_METRICS",
    "PREDICTIONS_ARTIFACT",
    "ModelVersionView",
    "artifact_frame",
    "get_comparison",
    "get_fairness_report",
    "list_model_versions",
    "precision_at_k_by_week",
    "resolve_version",
    "version_artifact_frame",
    "weekly_precision_at_k",
]

# Artifact paths of a training run (training.tracking, training.fairness.logged); repeated
# here so that the dashboard does not import the training stack to read three files.
COMPARISON_ARTIFACT = "comparison/comparison.json"
PREDICTIONS_ARTIFACT = "predictions/test_predictions.parquet"
FAIRNESS_ARTIFACT = "fairness/fairness.json"
PRIMARY_MODEL = "lightgbm"
HEADLINE_METRICS: tuple[str, ...] = (
    "precision_at_k", "precision_at_k_low", "precision_at_k_high", "recall_at_k",
    "recall_at_k_low", "recall_at_k_high", "roc_auc", "pr_auc", "brier", "ece",
)  # fmt: skip


class ModelVersionView(BaseModel):
    """One registered version: its aliases, training run, and the run's headline metrics
    for the primary model (LightGBM) on the held-out weeks."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: str
    aliases: list[str]
    run_id: str | None
    created_at: dt.datetime
    description: str | None
    tags: dict[str, str]
    metrics: dict[str, float]
    params: dict[str, str]


def _version_view(client: Any, version: Any, aliases: list[str]) -> ModelVersionView:
    metrics: dict[str, float] = {}
    params: dict[str, str] = {}
    if version.run_id:
        run = client.get_run(version.run_id)
        prefix = f"{PRIMARY_MODEL}."
        metrics = {
            key.removeprefix(prefix): value
            for key, value in run.data.metrics.items()
            if key.removeprefix(prefix) in HEADLINE_METRICS and key.startswith(prefix)
        }
        metrics.update({k: v for k, v in run.data.metrics.items() if k.startswith("fairness.")})
        params = dict(run.data.params)
    return ModelVersionView(
        name=version.name,
        version=str(version.version),
        aliases=sorted(aliases),
        run_id=version.run_id,
        created_at=dt.datetime.fromtimestamp(version.creation_timestamp / 1000, dt.UTC),
        description=version.description or None,
        tags=dict(version.tags or {}),
        metrics=metrics,
        params=params,
    )


@performs(Action.READ_MODELS)
def list_model_versions(
    store: Store, actor: Actor, client: Any, name: str
) -> list[ModelVersionView]:
    """Every registered version of `name`, newest first."""
    check(store, actor, Action.READ_MODELS)
    views = sorted(
        (_version_view(client, v, aliases) for v, aliases in versions_with_aliases(client, name)),
        key=lambda view: int(view.version),
        reverse=True,
    )
    record_read(store, actor, "read_models", detail=f"{name}: {len(views)} versions")
    return views


@lru_cache(maxsize=16)
def _artifact_text(tracking_uri: str, run_id: str, artifact: str) -> str | None:
    return artifact_text(registry_client(tracking_uri), run_id, artifact)


@lru_cache(maxsize=8)
def artifact_frame(tracking_uri: str, run_id: str, artifact: str) -> pd.DataFrame | None:
    """A Parquet artifact of a run as a frame (None when the run has none), kept once read:
    a run's artifacts never change."""
    with tempfile.TemporaryDirectory(prefix="vigie-dashboard-") as tmp:
        path = download_artifact(registry_client(tracking_uri), run_id, artifact, tmp)
        return None if path is None else pd.read_parquet(path)


def version_artifact_frame(
    client: Any, name: str, version_or_alias: str, artifact: str
) -> tuple[Any, pd.DataFrame | None]:
    """(the registered version, a Parquet artifact of its training run or None)."""
    version = resolve_version(client, name, version_or_alias)
    if not version.run_id:
        return version, None
    return version, artifact_frame(client.tracking_uri, version.run_id, artifact)


def resolve_version(client: Any, name: str, version_or_alias: str) -> Any:
    """The registered version by number or alias (`models.registry.resolve`); NotFound when
    there is none."""
    try:
        return resolve(client, name, version_or_alias)
    except RegistryError as error:
        raise NotFound(str(error)) from None


def _run_json(client: Any, name: str, version_or_alias: str, artifact: str) -> tuple[str, dict]:
    version = resolve_version(client, name, version_or_alias)
    if not version.run_id:
        raise NotFound(f"version {version.version} of {name} has no training run")
    text = _artifact_text(client.tracking_uri, version.run_id, artifact)
    if text is None:
        raise NotFound(f"version {version.version} of {name} has no {artifact}")
    return str(version.version), loads(text)


@performs(Action.READ_FAIRNESS)
def get_fairness_report(
    store: Store, actor: Actor, client: Any, name: str, version_or_alias: str = CHAMPION
) -> tuple[str, dict[str, Any]]:
    """(version, fairness audit JSON) of the version's training run: aggregates only."""
    check(store, actor, Action.READ_FAIRNESS)
    version, report = _run_json(client, name, version_or_alias, FAIRNESS_ARTIFACT)
    record_read(store, actor, "read_fairness", model_version=f"{name}/{version}")
    return version, report


@performs(Action.READ_COMPARISON)
def get_comparison(
    store: Store, actor: Actor, client: Any, name: str, version_or_alias: str = CHAMPION
) -> tuple[str, dict[str, Any]]:
    """(version, comparison JSON): the run's models and baselines at capacity."""
    check(store, actor, Action.READ_COMPARISON)
    version, comparison = _run_json(client, name, version_or_alias, COMPARISON_ARTIFACT)
    record_read(store, actor, "read_comparison", model_version=f"{name}/{version}")
    return version, comparison


def weekly_precision_at_k(predictions: pd.DataFrame, score: str = PRIMARY_MODEL) -> pd.DataFrame:
    """Precision at capacity per test week: each establishment lists its `capacity` highest
    `score`s (ties by student id); the week's precision is the share of listed students
    who dropped out (`training.metrics_lists.precision_by_week`, the evaluation's lists).
    Columns: week, listed, dropouts, precision_at_k."""
    weekly = precision_by_week(predictions.assign(score=predictions[score]), "k")
    return pd.DataFrame({
        "week": pd.to_datetime(weekly["as_of"]).dt.date,
        "listed": weekly["listed"], "dropouts": weekly["hits"],
        "precision_at_k": weekly["precision"],
    })  # fmt: skip


@lru_cache(maxsize=16)
def _run_weekly_precision(tracking_uri: str, run_id: str) -> pd.DataFrame | None:
    """`weekly_precision_at_k` of a run's test predictions, computed once per run (a run's
    artifacts never change; about 1 s for the 900,000 rows of a 300,000-student académie)."""
    if not run_id:
        return None
    predictions = artifact_frame(tracking_uri, run_id, PREDICTIONS_ARTIFACT)
    return None if predictions is None else weekly_precision_at_k(predictions)


@performs(Action.READ_MODEL_WEEKS)
def precision_at_k_by_week(
    store: Store, actor: Actor, client: Any, name: str, versions: list[str]
) -> pd.DataFrame:
    """Precision at capacity per week for each version (number or alias), on the test weeks
    all of them were tested on. Columns: week, version, listed, dropouts, precision_at_k."""
    check(store, actor, Action.READ_MODEL_WEEKS)
    parts = []
    for wanted in versions:
        version = resolve_version(client, name, wanted)
        weekly = _run_weekly_precision(client.tracking_uri, version.run_id or "")
        if weekly is None:
            raise NotFound(f"version {version.version} of {name} has no test predictions")
        weekly = weekly.copy()
        weekly.insert(1, "version", f"{wanted} (v{version.version})")
        parts.append(weekly)
    result = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if len(parts) > 1:
        common = set.intersection(*(set(part["week"]) for part in parts))
        result = result[result["week"].isin(common)].reset_index(drop=True)
    record_read(store, actor, "read_model_weeks", detail=f"{name}: {', '.join(versions)}")
    return result

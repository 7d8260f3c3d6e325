"""`vigie train` end to end: validate, build, train, evaluate, log one MLflow run, register.

Order matters. The configuration is validated by the caller and the extraction here, before a
run is opened: bad input leaves no trace. Everything a run records is logged inside it, the
fairness audit of its tested lists last (`training.fairness`, on the snapshots already in
memory); the model is registered (`vigie-dropout`, alias `challenger`) only after the run
ended FINISHED, so an interrupted run leaves a FAILED run and no registered version.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import yaml

from features.catalog import CATEGORIES, FEATURE_CATALOG
from features.jsonio import dumps
from features.progress import SILENT, Progress
from features.validation import require_valid
from training.baselines import read_latent_risk
from training.config import TrainConfig
from training.evaluation import ReplayEvaluation, replay_evaluation
from training.fairness import FairnessAudit, FairnessConfig, audited_rows, run_audit
from training.fitting import PRIMARY, RAW_COLUMN
from training.metrics import expected_calibration_error
from training.partitioned_snapshots import (
    is_partitioned,
    partitioned_fingerprint,
    partitioned_latent,
)
from training.pipeline import PreparedData, TrainingResult, prepare, train_and_evaluate
from training.plan import SplitPlan
from training.plots import write_plots
from training.report import comparison_to_json, metrics_for_mlflow, replay_for_mlflow
from training.tracking import (
    COMPARISON_ARTIFACT,
    CONFIG_ARTIFACT,
    data_fingerprint,
    git_commit,
    register_challenger,
    training_run,
)

__all__ = [
    "TrainingOutcome",
    "audit_rows",
    "audit_training",
    "log_training",
    "prepare_data",
    "run_training",
    "tracked_training",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class TrainingOutcome:
    """What `run_training` leaves behind: the run, the registered version, the result."""

    run_id: str
    model_uri: str
    version: str | None
    result: TrainingResult
    seconds: float
    fairness: FairnessAudit | None = None
    replay: ReplayEvaluation | None = None


def prepare_data(
    data: str | Path,
    config: TrainConfig,
    as_of: Sequence[dt.date] | None = None,
    progress: Progress = SILENT,
) -> PreparedData:
    """Validate the extraction (InvalidExtractionError when it breaks the contract), plan the
    splits and build the snapshots. Nothing is written."""
    progress.stage("validate")
    with require_valid(data) as extraction:
        return prepare(extraction, config, as_of, progress)


def run_training(
    data: str | Path,
    config: TrainConfig,
    as_of: Sequence[dt.date] | None = None,
    *,
    home: str | Path = "var",
    run_name: str | None = None,
    tags: Mapping[str, str] | None = None,
    register: bool = True,
    prepared: PreparedData | None = None,
    use_environment_run: bool = True,
    fairness: FairnessConfig | None = None,
    progress: Progress = SILENT,
) -> TrainingOutcome:
    """Train and evaluate on the extraction in `data` as one MLflow run, audit its lists for
    fairness, then register the final model as the `challenger`. Tracking must be set up
    (`training.tracking`).

    `prepared` reuses snapshots already built for this data and configuration (`vigie tune`);
    `use_environment_run=False` opens a new run even under `mlflow run`; `fairness` sets the
    audit (default: `FairnessConfig` with the training seed and bootstrap count); `progress`
    is told each stage (it changes nothing in what is trained or logged)."""
    started = time.perf_counter()
    ready = prepared or prepare_data(data, config, as_of, progress)
    partitioned = is_partitioned(data)  # its académies' snapshots read into `prepared`
    latent = partitioned_latent(data) if partitioned else read_latent_risk(data)
    fingerprint = partitioned_fingerprint(data) if partitioned else data_fingerprint(data)

    def evaluate() -> tuple[TrainingResult, ReplayEvaluation]:
        result = train_and_evaluate(ready, config, progress)
        # The replay of the school year (training.replay), with the ceiling on a synthetic
        # académie whose generator wrote its latent risk.
        progress.stage("replay")
        return result, replay_evaluation(result.predictions, config, latent)

    def audit(result: TrainingResult, run_id: str, model_uri: str) -> FairnessAudit:
        return audit_training(result, ready, config, fairness, run_id, model_uri)

    return tracked_training(
        data, config, as_of, ready, evaluate, audit, fingerprint, started=started,
        home=home, run_name=run_name, tags=tags, register=register,
        use_environment_run=use_environment_run, progress=progress,
    )  # fmt: skip


class PlannedData(Protocol):
    """What a run logs of its prepared data: the plans and the snapshot rows' count."""

    @property
    def plans(self) -> tuple[SplitPlan, ...]: ...
    @property
    def final(self) -> SplitPlan | None: ...
    @property
    def kfold_years(self) -> tuple[str, ...]: ...
    @property
    def snapshot_rows(self) -> int: ...


def tracked_training(
    data: str | Path,
    config: TrainConfig,
    as_of: Sequence[dt.date] | None,
    planned: PlannedData,
    evaluate: Callable[[], tuple[TrainingResult, ReplayEvaluation]],
    audit: Callable[[TrainingResult, str, str], FairnessAudit] | None,
    fingerprint: Mapping[str, Any],
    *,
    started: float,
    home: str | Path = "var",
    run_name: str | None = None,
    tags: Mapping[str, str] | None = None,
    register: bool = True,
    use_environment_run: bool = True,
    progress: Progress = SILENT,
) -> TrainingOutcome:
    """One MLflow run around `evaluate` (the fits, scores and replay, in this process or on
    a cluster): inputs, results and model logged, the fairness `audit` last, then the model
    registered as `challenger` once the run ended FINISHED (any error: a FAILED run, no
    version)."""
    run_tags = {"vigie.run_kind": "train", "vigie.data_sha256": fingerprint["sha256"],
                **dict(tags or {})}  # fmt: skip
    code = git_commit()
    if code is not None:
        run_tags |= {"vigie.git_commit": code["commit"], "vigie.git_dirty": code["dirty"],
                     "mlflow.source.git.commit": code["commit"]}  # fmt: skip
    with training_run(
        config.experiment_name, run_name, run_tags, home, use_environment_run=use_environment_run
    ) as run:
        log_inputs(config, data, fingerprint, planned, as_of)
        result, replay = evaluate()
        progress.stage("log_run")
        model_uri = log_training(result, config, replay)
        fairness_audit = None
        if audit is not None:
            progress.stage("fairness")
            fairness_audit = audit(result, run.info.run_id, model_uri)
    version = None
    if register:
        progress.stage("register")
        registered = register_challenger(model_uri, config.registered_model_name, run.info.run_id)
        version = str(registered.version)
        _tag_run(run.info.run_id, "vigie.registered_version", version)
    return TrainingOutcome(run.info.run_id, model_uri, version, result,
                           time.perf_counter() - started, fairness_audit, replay)  # fmt: skip


def audit_training(
    result: TrainingResult,
    prepared: PreparedData,
    config: TrainConfig,
    fairness: FairnessConfig | None,
    run_id: str,
    model_uri: str,
) -> FairnessAudit:
    """The fairness audit of the run's tested lists, from the snapshots in memory (features
    and group attributes of the same student-weeks), logged to the run under `fairness/`."""
    rows = audited_rows(result.predictions, prepared.snapshots)
    return audit_rows(rows, result, config, fairness, run_id, model_uri)


def audit_rows(
    rows: pd.DataFrame,
    result: TrainingResult,
    config: TrainConfig,
    fairness: FairnessConfig | None,
    run_id: str,
    model_uri: str,
    sampled: Callable[[pd.Index], pd.DataFrame] | None = None,
) -> FairnessAudit:
    """The fairness audit of the tested `rows` (`training.fairness.audited_rows`; see
    `run_audit` for `sampled`), logged to the run under `fairness/`."""
    from mlflow.tracking import MlflowClient

    from training.fairness.logged import log_audit

    settings = fairness or FairnessConfig(seed=config.seed, n_boot=config.n_boot)
    started = time.perf_counter()
    context = {"run_id": run_id, "model_uri": model_uri}
    audit = run_audit(rows, result.final_model, settings, context, sampled)
    log_audit(MlflowClient(), run_id, audit)
    logger.info("fairness audit in %.1f s", time.perf_counter() - started)
    return audit


def log_inputs(
    config: TrainConfig,
    data: str | Path,
    fingerprint: Mapping[str, Any],
    prepared: PlannedData,
    as_of: Sequence[dt.date] | None,
) -> None:
    """Configuration, parameters, data fingerprint, feature catalog and plan of the run."""
    import mlflow

    settings = config.model_dump(mode="json")
    mlflow.log_params(_flatten(settings))
    mlflow.log_params({
        "data_dir": str(Path(data).resolve()),
        "data_sha256": fingerprint["sha256"],
        "snapshot_rows": prepared.snapshot_rows,
        "as_of_dates": "explicit" if as_of else f"{config.cadence}/{config.test_cadence}",
    })  # fmt: skip
    mlflow.log_text(yaml.safe_dump(settings, sort_keys=False), CONFIG_ARTIFACT)
    mlflow.log_dict(dict(fingerprint), "data/fingerprint.json")
    mlflow.log_dict(_catalog(), "features/feature_catalog.json")
    every = (*prepared.plans, *([prepared.final] if prepared.final else []))
    plans = [plan.describe() | {"name": plan.name} for plan in every]
    mlflow.log_dict({"plans": plans, "kfold_years": list(prepared.kfold_years)},
                    "splits/plan.json")  # fmt: skip


def log_training(
    result: TrainingResult, config: TrainConfig, replay: ReplayEvaluation | None = None
) -> str:
    """Metrics, comparison table (and the replay of the school year when given),
    predictions, plots and the model; returns the model URI."""
    import mlflow

    from models.global_explanations import log_global_explanations
    from models.pyfunc import log_risk_model
    from training.drift_reference import log_drift_reference

    table = result.comparison
    mlflow.log_metrics(metrics_for_mlflow(table, result.lift))
    predictions = result.predictions
    uncalibrated = expected_calibration_error(predictions["label"], predictions[RAW_COLUMN])
    mlflow.log_metrics({
        f"{PRIMARY}.ece_uncalibrated": uncalibrated,
        **{f"time.{name}": value for name, value in result.timings.items()},
        "rows.tested": float(len(predictions)),
        "rows.final_training": float(result.final_training_rows or len(result.final_fold.train)),
    })  # fmt: skip
    context = {"rules": list(config.list_rules), "n_boot": config.n_boot, "seed": config.seed,
               "cv": config.cv, "splits": result.folds}  # fmt: skip
    replay_tables: tuple[pd.DataFrame | None, ...] = (None, None, None)
    if replay is not None:
        # The replay of the school year: distinct students and dropouts reached per model.
        replay_tables = (replay.table, replay.lift, replay.variant)
        mlflow.log_metrics(replay_for_mlflow(replay.table, replay.lift))
        if replay.variant is not None:
            mlflow.log_metrics(replay_for_mlflow(replay.variant, None, "replay_variant"))
        mlflow.log_metric("time.replay_seconds", replay.seconds)
        context["replay_interviewed_share"] = config.replay_interviewed_share
    text = comparison_to_json(table, result.lift, context, result.split_tables,
                              *replay_tables)  # fmt: skip
    model = result.final_model
    with tempfile.TemporaryDirectory(prefix="vigie-run-") as tmp:
        folder = Path(tmp)
        predictions.to_parquet(folder / "test_predictions.parquet", index=False)
        mlflow.log_artifact(str(folder / "test_predictions.parquet"), "predictions")
        for path in write_plots(predictions, model.feature_importance("gain"), folder / "plots",
                                config.list_rules[0]):  # fmt: skip
            mlflow.log_artifact(str(path), "plots")
        importance = model.feature_importance("gain").rename("gain").reset_index()
        mlflow.log_text(importance.rename(columns={"index": "feature"}).to_csv(index=False),
                        "features/feature_importance.csv")  # fmt: skip
    mlflow.set_tags({"vigie.model_hash": model.model_hash_,
                     "vigie.calibration": model.calibrator_.method,
                     # What was evaluated on held-out weeks: `vigie promote` refuses a version
                     # whose model is not this one (a refit never tested).
                     "vigie.evaluated_model_hash": result.evaluated_model_hash or "none",
                     "vigie.evaluated_split": result.evaluated_split or "none"})  # fmt: skip
    info = log_risk_model(model, result.final_fold.train)
    # The global view (mean |SHAP| per feature and family) on the final model's own training
    # rows: the test rows were scored by the fold models, not by this one.
    log_global_explanations(model, result.final_fold.train, seed=config.seed)
    # What the dashboard measures this week's drift against: the same model's training rows.
    log_drift_reference(result.final_fold.train, seed=config.seed)
    # The comparison table is logged last: promotion requires it, so a run interrupted
    # before this point can never be promoted.
    mlflow.log_text(text, COMPARISON_ARTIFACT)
    return info.model_uri


def _tag_run(run_id: str, key: str, value: str) -> None:
    from mlflow.tracking import MlflowClient

    MlflowClient().set_tag(run_id, key, value)


def _flatten(settings: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat |= _flatten(value, f"{name}.")
        else:
            flat[name] = dumps(value) if isinstance(value, list | tuple) else value
    return flat


def _catalog() -> dict[str, Any]:
    return {
        "features": [
            {
                "name": spec.name,
                "family": spec.family,
                "kind": spec.kind,
                "unit": spec.unit,
                "label_fr": spec.label_fr,
                "label_en": spec.label_en,
            }
            for spec in FEATURE_CATALOG
        ],
        "categories": {name: list(levels) for name, levels in CATEGORIES.items()},
    }

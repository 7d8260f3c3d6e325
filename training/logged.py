"""Reading a logged training run back: its comparison table, or the table recomputed from its
test predictions (for `vigie evaluate`), without the extraction it was trained on.

Recomputing (`recompute_run`) goes through the code `vigie train` runs on the same
predictions and configuration: `comparison_table` and `paired_lift` for the student-week
metrics, `replay_evaluation` for the replay of the school year (with the interview share's
variant when configured). The ceiling of the replay (the synthetic generator's latent risk)
is read from the extraction, which a logged run does not hold: a recomputed replay has no
ceiling row, and says so in its context (`"ceiling": false`)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from models.registry import RegistryError, resolve
from training.config import TrainConfig, TrainConfigError
from training.evaluation import ReplayEvaluation, comparison_table, paired_lift, replay_evaluation
from training.report import comparison_from_json
from training.tracking import COMPARISON_ARTIFACT, CONFIG_ARTIFACT, PREDICTIONS_ARTIFACT

__all__ = [
    "LoggedComparison",
    "RecomputedRun",
    "logged_comparison",
    "logged_predictions",
    "logged_replay",
    "logged_replay_tables",
    "recompute_comparison",
    "recompute_run",
    "resolve_run_id",
]

LoggedComparison = tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]


def resolve_run_id(
    client: Any, run_id: str | None, model_version: str | None, model_name: str
) -> str:
    """The run to read: `run_id`, or the run that produced `model_version` of `model_name`
    (a version number or an alias such as `champion`)."""
    from mlflow.exceptions import MlflowException

    if (run_id is None) == (model_version is None):
        raise ValueError("give a run id or a model version, not both and not neither")
    if run_id is not None:
        try:
            return str(client.get_run(run_id).info.run_id)
        except MlflowException:
            raise ValueError(f"there is no run {run_id!r} in this tracking store") from None
    assert model_version is not None
    try:
        version = resolve(client, model_name, model_version)
    except RegistryError as error:
        raise ValueError(str(error)) from None
    if not version.run_id:
        raise ValueError(f"version {version.version} of {model_name} has no training run")
    return str(version.run_id)


def logged_comparison(client: Any, run_id: str) -> LoggedComparison:
    """The comparison table, lift table and context the run logged."""
    with tempfile.TemporaryDirectory(prefix="vigie-evaluate-") as tmp:
        path = _download(client, run_id, COMPARISON_ARTIFACT, tmp)
        return comparison_from_json(Path(path).read_text(encoding="utf-8"))


def logged_replay(client: Any, run_id: str) -> pd.DataFrame | None:
    """The replay of the school year the run logged, one row per model (None for a run
    without one)."""
    tables = logged_replay_tables(client, run_id)
    return None if tables is None else tables[0]


def logged_replay_tables(
    client: Any, run_id: str
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None] | None:
    """The replay the run logged: (one row per model, paired differences, variant)
    (`training.report.replay_tables_from_json`); None for a run without one."""
    from training.report import replay_tables_from_json

    with tempfile.TemporaryDirectory(prefix="vigie-evaluate-") as tmp:
        path = _download(client, run_id, COMPARISON_ARTIFACT, tmp)
        return replay_tables_from_json(Path(path).read_text(encoding="utf-8"))


@dataclass(frozen=True, eq=False)
class RecomputedRun:
    """A run's evaluation recomputed from its logged test predictions: the comparison table,
    its paired lift, the context, and the replay of the school year."""

    table: pd.DataFrame
    lift: pd.DataFrame
    context: dict[str, Any]
    replay: ReplayEvaluation


def logged_predictions(
    client: Any, run_id: str, n_boot: int | None = None
) -> tuple[pd.DataFrame, TrainConfig]:
    """The run's logged test predictions and configuration (`n_boot` replaces the logged
    bootstrap count)."""
    with tempfile.TemporaryDirectory(prefix="vigie-evaluate-") as tmp:
        settings = yaml.safe_load(Path(_download(client, run_id, CONFIG_ARTIFACT, tmp)).read_text())
        predictions = pd.read_parquet(_download(client, run_id, PREDICTIONS_ARTIFACT, tmp))
    if n_boot is not None:
        settings["n_boot"] = n_boot
    try:
        config = TrainConfig.model_validate(settings)
    except ValueError as error:
        message = f"the configuration logged by run {run_id} is unusable: {error}"
        raise TrainConfigError(message) from None
    return predictions, config


def recompute_run(client: Any, run_id: str, n_boot: int | None = None) -> RecomputedRun:
    """The comparison and the replay recomputed from the run's test predictions and
    configuration (`n_boot` replaces the logged bootstrap count)."""
    predictions, config = logged_predictions(client, run_id, n_boot)
    table = comparison_table(predictions, config)
    lift = paired_lift(predictions, config)
    replay = replay_evaluation(predictions, config)
    context = {"rules": list(config.list_rules), "n_boot": config.n_boot, "seed": config.seed,
               "cv": config.cv, "recomputed": True, "ceiling": False,
               "replay_interviewed_share": config.replay_interviewed_share}  # fmt: skip
    return RecomputedRun(table, lift, context, replay)


def recompute_comparison(client: Any, run_id: str, n_boot: int | None = None) -> LoggedComparison:
    """The comparison table, lift and context of `recompute_run`."""
    run = recompute_run(client, run_id, n_boot)
    return run.table, run.lift, run.context


def _download(client: Any, run_id: str, artifact: str, into: str) -> str:
    from mlflow.exceptions import MlflowException

    try:
        return str(client.download_artifacts(run_id, artifact, into))
    except (MlflowException, OSError):
        raise ValueError(f"run {run_id} has no artifact {artifact}") from None

"""`vigie train` on an extraction partitioned by académie: in this process, or on a Dask
cluster (`--cluster`).

Both build each académie's snapshots in its own task (`training.partitioned_snapshots`) into
a temporary dataset beside the run's home (shared storage on a real cluster), removed when
the run ends. Without a cluster the snapshots are read back as one frame and trained by the
single-machine pipeline (`training.run.run_training`). On a cluster the fits, scores and
replays run on the workers (`training.cluster_evaluation`) inside the same tracked run
(`training.run.tracked_training`): one MLflow run, the model registered as `challenger` only
after it ended FINISHED. A failure on the cluster (a worker killed mid-fit, a task that
raised) ends the run FAILED, registers nothing and is raised as `ClusterTrainingError`.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from features.partitions import PartitionError
from features.progress import SILENT, Progress
from training.config import TrainConfig
from training.evaluation import ReplayEvaluation
from training.fairness import FairnessAudit, FairnessConfig
from training.partitioned_snapshots import (
    in_memory,
    partitioned_fingerprint,
    prepare_partitioned,
)
from training.pipeline import TrainingResult
from training.run import TrainingOutcome, audit_rows, run_training, tracked_training

if TYPE_CHECKING:
    from distributed import Client

    from training.cluster_audit import AuditedRows

__all__ = ["ClusterTrainingError", "run_partitioned_training"]


class ClusterTrainingError(RuntimeError):
    """A training on a Dask cluster that failed there (a worker lost, a task that raised):
    its MLflow run ended FAILED and no version was registered."""


def run_partitioned_training(
    data: str | Path,
    config: TrainConfig,
    as_of: Sequence[dt.date] | None = None,
    *,
    client: Client | None = None,
    home: str | Path = "var",
    run_name: str | None = None,
    tags: Mapping[str, str] | None = None,
    register: bool = True,
    fairness: FairnessConfig | None = None,
    progress: Progress = SILENT,
    callbacks: Sequence[Callable[..., None]] = (),
) -> TrainingOutcome:
    """Train on every académie of `data`: on the workers of `client`, else in this process.
    Invalid data (`PartitionError`, naming the académie) or a plan the outcomes cannot
    support (ValueError) fail before any run is opened. `callbacks`: LightGBM callbacks of
    the cluster's fits."""
    started = time.perf_counter()
    folder = Path(home)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vigie-snapshots-", dir=folder) as scratch:
        try:
            prepared = prepare_partitioned(data, config, Path(scratch), as_of, client, progress)
        except (PartitionError, ValueError, FileNotFoundError):
            raise
        except Exception as error:
            raise ClusterTrainingError(_failed("building the snapshots", error)) from error
        if client is None:
            return run_training(data, config, as_of, home=home, run_name=run_name, tags=tags,
                                register=register, prepared=in_memory(prepared),
                                fairness=fairness, progress=progress)  # fmt: skip
        from training.cluster_evaluation import train_and_evaluate_on_cluster

        audited: list[AuditedRows] = []

        def evaluate() -> tuple[TrainingResult, ReplayEvaluation]:
            try:
                result, replay, rows = train_and_evaluate_on_cluster(
                    client, prepared, config, data, progress, callbacks
                )
            except ValueError:
                raise
            except Exception as error:
                raise ClusterTrainingError(_failed("training", error)) from error
            audited.append(rows)
            return result, replay

        def audit(result: TrainingResult, run_id: str, model_uri: str) -> FairnessAudit:
            rows = audited[0]
            try:
                return audit_rows(rows.rows, result, config, fairness, run_id, model_uri,
                                  sampled=rows.sampled)  # fmt: skip
            finally:
                rows.release()

        try:
            return tracked_training(
                data, config, as_of, prepared, evaluate, audit, partitioned_fingerprint(data),
                started=started, home=home, run_name=run_name,
                tags={"vigie.trainer": "lightgbm.dask", **dict(tags or {})}, register=register,
                progress=progress,
            )  # fmt: skip
        finally:  # a run that failed before its audit
            for rows in audited:
                rows.release()


def _failed(stage: str, error: BaseException) -> str:
    what = f"{type(error).__name__}: {error}".strip().rstrip(":")
    return (
        f"the Dask cluster failed while {stage} ({what}); the MLflow run, if one was opened, "
        "is marked FAILED and no model version was registered"
    )

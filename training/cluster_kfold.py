"""The folds of a k-fold evaluation (`--cv kfold:KxR`) on a partitioned extraction, drawn as
on one machine.

`training.splits.repeated_grouped_stratified_kfold` assigns folds to (student id, label)
units in the order of their first row in the frame, which on one machine is every académie's
snapshots read in name order (`training.partitioned_snapshots.in_memory`). Here each académie
sends back its units only (`training.folds.kfold_units`, a task: one short row per student,
no feature), the client draws the folds of the units of every académie in that order
(`training.splits.unit_folds`) and writes each académie's units' folds of each repeat beside
its snapshots (`academie=NAME/kfold-repeat-R.parquet`, in the run's dataset on the shared
storage), and each fold becomes a `KFoldPlan` whose tasks each read their own académie's
file: the same folds, the same rows in each, as the single-machine k-fold of the same
extraction, and no assignment sent with every task.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from features.store import atomic_file
from training.config import TrainConfig
from training.folds import DateSelection, kfold_units
from training.partitioned_snapshots import PartitionedPrepared, run_partitions
from training.plan import KFoldPlan
from training.splits_cv import unit_folds

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["final_kfold_plan", "kfold_plans", "partition_units"]


def partition_units(path: Path, years: tuple[str, ...], selection: DateSelection) -> pd.DataFrame:
    """One académie's k-fold units (a task)."""
    return kfold_units(pd.read_parquet(path), years, selection)


def kfold_plans(
    client: Client | None, prepared: PartitionedPrepared, config: TrainConfig
) -> list[KFoldPlan]:
    """Every fold of every repeat, in the single machine's order (`repeat-1-fold-01` first).
    ValueError (before any fit) when the students of a label are fewer than the folds."""
    years = prepared.kfold_years
    parts = run_partitions(
        client, partition_units,
        [(prepared.path_of(name), years, prepared.selection) for name in prepared.names],
        [f"kfold-units-{name}" for name in prepared.names],
    )  # fmt: skip
    units = pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True)
    if units.empty:
        raise ValueError(f"no labelled rows in {', '.join(years)} for a k-fold evaluation")
    cv = config.cv_spec
    index = pd.MultiIndex.from_frame(units)
    positions = {
        name: index.get_indexer(pd.MultiIndex.from_frame(part))
        for name, part in zip(prepared.names, parts, strict=True)
    }
    plans = []
    assignments = unit_folds(units, cv.n_splits, cv.n_repeats, config.seed)
    for repeat, fold_of_unit in enumerate(assignments, start=1):
        files = {}
        for name, part in zip(prepared.names, parts, strict=True):
            path = prepared.path_of(name).parent / f"kfold-repeat-{repeat}.parquet"
            files[name] = _write_folds(path, part, fold_of_unit[positions[name]])
        for fold in range(cv.n_splits):
            name = f"repeat-{repeat}-fold-{fold + 1:02d}"
            plans.append(KFoldPlan(name, years, str(cv), repeat, fold, files=files))
    return plans


def _write_folds(path: Path, units: pd.DataFrame, folds: np.ndarray) -> Path:
    """One académie's units and their folds, beside its snapshots (shared storage on a
    cluster): what its tasks read, rather than a copy sent with each of them."""
    table = pa.Table.from_pandas(units.assign(fold=folds.astype(np.int32)), preserve_index=False)
    with atomic_file(path) as temporary:
        pq.write_table(table, temporary)
    return path


def final_kfold_plan(prepared: PartitionedPrepared, config: TrainConfig) -> KFoldPlan:
    """k-fold's final model: every labelled row of the k-fold years, calibration cross-fitted
    (`training.folds.training_rows` on one machine)."""
    return KFoldPlan("final", prepared.kfold_years, str(config.cv_spec))

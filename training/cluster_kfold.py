"""The folds of a k-fold evaluation (`--cv kfold:KxR`) on a partitioned extraction, drawn as
on one machine.

`training.splits.repeated_grouped_stratified_kfold` assigns folds to (student id, label)
units in the order of their first row in the frame, which on one machine is every académie's
snapshots read in name order (`training.partitioned_snapshots.in_memory`). Here each académie
sends back its units only (`training.folds.kfold_units`, a task: one short row per student,
no feature), the client draws the folds of the units of every académie in that order
(`training.splits.unit_folds`), and each fold becomes a `KFoldPlan` whose tasks each read
their own académie's units' folds: the same folds, the same rows in each, as the
single-machine k-fold of the same extraction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from training.config import TrainConfig
from training.folds import DateSelection, kfold_units
from training.partitioned_snapshots import PartitionedPrepared, run_partitions
from training.plan import KFoldPlan
from training.splits_cv import unit_folds

if TYPE_CHECKING:
    from pathlib import Path

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
        by_partition = {
            name: pd.Series(
                fold_of_unit[positions[name]].astype(np.int8 if cv.n_splits < 128 else np.int64),
                index=pd.MultiIndex.from_frame(part),
            )
            for name, part in zip(prepared.names, parts, strict=True)
        }
        for fold in range(cv.n_splits):
            name = f"repeat-{repeat}-fold-{fold + 1:02d}"
            plans.append(KFoldPlan(name, years, str(cv), repeat, fold, by_partition=by_partition))
    return plans


def final_kfold_plan(prepared: PartitionedPrepared, config: TrainConfig) -> KFoldPlan:
    """k-fold's final model: every labelled row of the k-fold years, calibration cross-fitted
    (`training.folds.training_rows` on one machine)."""
    return KFoldPlan("final", prepared.kfold_years, str(config.cv_spec))

"""The logistic baseline of a split trained on a Dask cluster.

The logistic regression (`training.baselines.logistic_baseline`) is fitted in one process:
its median imputation and Newton steps need its rows together. Each académie's task
(`training.cluster_fit.fold_part`) sends back, with its counts, the training rows of the
students drawn for it (`logistic_part`: the features the baseline reads, the label, the
weight), and the client fits the baseline on them (`fit_cluster_logistic`), exactly as
`training.fitting.fit_fold` does on one machine. Students are drawn whole, by a hash of their
pseudonymous id, at the rate that keeps about `logistic.cluster_rows` training rows in all
(`logistic_rate`): below that every row is kept, in the single-machine order (the académies
in name order), and the baseline is the single-machine one bit for bit; above it, the rows
are a sample the same on every run, bounded on the client whatever the number of académies.
The fitted baseline then scores each académie's tested rows on the workers beside the model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from models.encoding import feature_frame
from training.config import TrainConfig
from training.fitting import fit_logistic
from training.folds import LABEL

__all__ = ["fit_cluster_logistic", "logistic_part", "logistic_rate"]

_LABEL, _WEIGHT = "__logistic_label", "__logistic_weight"


def logistic_rate(config: TrainConfig, snapshot_rows: int) -> float:
    """The share of students whose training rows the baseline is fitted on: every one while
    the extraction's snapshot rows (an upper bound of a split's training rows) stay within
    `logistic.cluster_rows`, else that many over them."""
    return min(1.0, config.logistic.cluster_rows / max(1, snapshot_rows))


def drawn_students(student_ids: pd.Series, rate: float) -> np.ndarray:
    """Whether each row's student is drawn at `rate`: a hash of the id (the same on every
    run and machine) under `rate` of its range; every row when `rate` is 1."""
    if rate >= 1.0:
        return np.ones(len(student_ids), dtype=bool)
    hashed = pd.util.hash_pandas_object(student_ids.astype(str), index=False).to_numpy()
    return hashed < np.uint64(int(rate * 2.0**64))


def logistic_part(rows: pd.DataFrame, weights: np.ndarray | None, rate: float) -> pd.DataFrame:
    """An académie's training `rows` (with their `weights`, None: unweighted) the baseline is
    fitted on: the features it reads, the label and the weight, of the students drawn at
    `rate`, in the rows' order."""
    drawn = drawn_students(rows["student_id"], rate)
    part = feature_frame(rows.loc[drawn]).reset_index(drop=True)
    part[_LABEL] = rows.loc[drawn, LABEL].to_numpy()
    if weights is not None:
        part[_WEIGHT] = np.asarray(weights)[drawn]
    return part


def fit_cluster_logistic(parts: Sequence[pd.DataFrame], config: TrainConfig) -> Pipeline:
    """The baseline fitted on the académies' `parts` (in name order), as on one machine."""
    rows = pd.concat(parts, ignore_index=True)
    weights = rows[_WEIGHT].to_numpy() if _WEIGHT in rows.columns else None
    features = rows.drop(columns=[_LABEL, _WEIGHT], errors="ignore")
    return fit_logistic(features, rows[_LABEL], weights, config)

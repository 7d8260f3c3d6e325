"""A split's LightGBM risk model fitted on a Dask cluster with `lightgbm.dask`.

Each académie's training rows are selected and encoded on a worker from its snapshot file
(`training.partitioned_snapshots`), the académies spread over the workers in name order, and
`lightgbm.dask.DaskLGBMClassifier` trains on them where they are, with the parameters of the
single-machine fit (`RiskModel`: the configuration's LightGBM parameters, the seed, the
catalog's monotone constraints). The calibration rows (the held-out school year) are scored
per académie on the workers; only their raw score, label and student id come back, and the
calibration map is chosen on the client as `RiskModel.fit` does (`models.calibration.
choose_calibrator`). The result is one `RiskModel`, saved, logged and registered like any.

What differs from the single-machine fit: LightGBM's data-parallel learner (one machine per
worker holding rows) finds the histogram bins from each machine's own sample and sums the
histograms over the network, so the trees are close to, not bitwise, those of one process;
which worker is which rank follows where Dask reports the rows, so two runs on the same
partitions may differ in the same way. The model's identity (`model_hash_`) says
`lightgbm.dask` and the académies' rows, never equal to a single-machine model's.
Cross-fitted calibration (a single training year) is not done on a cluster.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.catalog import CATEGORIES
from models.calibration import choose_calibrator
from models.encoding import FEATURE_NAMES, encode_features
from models.identity import frame_fingerprint, model_hash
from models.risk_model import RiskModel
from training.config import TrainConfig
from training.folds import LABEL, DateSelection, fold_parts
from training.interviewed import learning_rows
from training.partitioned_snapshots import PartitionedPrepared, run_partitions
from training.plan import SplitPlan

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = [
    "TRAINER",
    "FoldPart",
    "check_fold_parts",
    "fit_on_cluster",
    "fold_part",
    "training_matrix",
]

TRAINER = "lightgbm.dask"
# Training rows each académie sends back for what a run logs beside the model (its signature
# and input example, the global explanations, the drift reference): a sample, in total.
SAMPLE_ROWS = 5000
_Y = "__label"
_W = "__weight"


@dataclass(frozen=True, eq=False)
class FoldPart:
    """What one académie holds of a split: its row counts, the fingerprint of its training
    rows, the sums of the level prior (training label per level) and a sample of its
    training rows."""

    name: str
    train: int
    train_positives: int
    calibration: int
    calibration_positives: int
    test: int
    fingerprint: str
    levels: pd.DataFrame
    sample: pd.DataFrame


def _learning(rows: pd.DataFrame, config: TrainConfig) -> tuple[pd.DataFrame, np.ndarray | None]:
    return learning_rows(rows, config.interviewed.policy, config.interviewed.weight)


def fold_part(
    path: Path, name: str, plan: SplitPlan, selection: DateSelection, config: TrainConfig,
    sample_rows: int,
) -> FoldPart:  # fmt: skip
    """One académie's part of the split `plan` (a task)."""
    train, calibration, test = fold_parts(pd.read_parquet(path), plan, selection)
    if config.interviewed.policy == "exclude" and calibration is not None:
        calibration, _ = _learning(calibration, config)
    rows, weights = _learning(train, config)
    labels = rows[LABEL].to_numpy(dtype="float64")
    fingerprint = frame_fingerprint(encode_features(rows), labels)
    if weights is not None:
        weighed = frame_fingerprint(pd.DataFrame({"weights": weights}))
        fingerprint = frame_fingerprint(pd.DataFrame({"parts": [fingerprint, weighed]}))
    outcome = train[LABEL].astype("float64")
    levels = outcome.groupby(train["level"].astype("string").fillna("").to_numpy()).agg(
        ["sum", "count"]
    )
    sample = train.sample(n=min(len(train), sample_rows), random_state=config.seed)
    return FoldPart(
        name, len(rows), int(labels.sum()),
        0 if calibration is None else len(calibration),
        0 if calibration is None else int(calibration[LABEL].astype("float64").sum()),
        len(test), fingerprint, levels, sample.sort_index(),
    )  # fmt: skip


def check_fold_parts(plan: SplitPlan, parts: list[FoldPart]) -> None:
    """ValueError naming the split when, over every académie, a part is empty or a training
    or calibration part has one class (`training.folds.plan_fold`'s rule), or when the split
    would need a cross-fitted calibration."""
    if plan.calibration_year is None:
        raise ValueError(
            f"split {plan.name!r} has a single training year (its calibration would be "
            "cross-fitted): a cluster training needs a held-out calibration year; train it "
            "without --cluster"
        )
    checked = [("training rows", "train", True), ("calibration rows", "calibration", True)]
    if plan.test_year:
        checked.append(("test rows", "test", False))
    for what, field, need_both in checked:
        rows = sum(getattr(part, field) for part in parts)
        if rows == 0:
            raise ValueError(
                f"split {plan.name!r}: no {what} (check the as-of dates and the outcomes)"
            )
        positives = sum(getattr(part, f"{field}_positives", 0) for part in parts)
        if need_both and positives in (0, rows):
            raise ValueError(
                f"split {plan.name!r}: the {what} hold a single outcome; both dropouts and "
                "non-dropouts are needed"
            )


def training_matrix(
    path: Path, plan: SplitPlan, selection: DateSelection, config: TrainConfig
) -> pd.DataFrame:
    """One académie's encoded training rows of `plan`, with their label and weight (a task:
    its output stays on the worker for `lightgbm.dask`)."""
    train, _, _ = fold_parts(pd.read_parquet(path), plan, selection)
    rows, weights = _learning(train, config)
    matrix = encode_features(rows).reset_index(drop=True)
    matrix[_Y] = rows[LABEL].to_numpy(dtype="int64")
    matrix[_W] = np.ones(len(rows)) if weights is None else weights
    return matrix


def _features(matrix: pd.DataFrame) -> pd.DataFrame:
    return matrix.loc[:, list(FEATURE_NAMES)]


def _labels(matrix: pd.DataFrame) -> pd.Series:
    return matrix[_Y]


def _weights(matrix: pd.DataFrame) -> pd.Series:
    return matrix[_W]


def calibration_scores(
    path: Path, plan: SplitPlan, selection: DateSelection, config: TrainConfig, booster: str
) -> pd.DataFrame:
    """One académie's calibration rows of `plan`: raw score of `booster` (a model string),
    label and student id (a task)."""
    _, calibration, _ = fold_parts(pd.read_parquet(path), plan, selection)
    assert calibration is not None
    if config.interviewed.policy == "exclude":
        calibration, _ = _learning(calibration, config)
    values = encode_features(calibration).to_numpy(dtype="float64")
    raw = lgb.Booster(model_str=booster).predict(values, raw_score=True) if len(values) else []
    return pd.DataFrame({
        "raw": np.asarray(raw, dtype="float64"),
        "label": calibration[LABEL].to_numpy(dtype="float64"),
        "student_id": calibration["student_id"].astype(str).to_numpy(),
    })  # fmt: skip


def fit_on_cluster(
    client: Client,
    prepared: PartitionedPrepared,
    plan: SplitPlan,
    config: TrainConfig,
    parts: list[FoldPart],
    callbacks: Sequence[Callable[..., None]] = (),
) -> RiskModel:
    """The calibrated `RiskModel` of `plan`, its booster trained by `lightgbm.dask` on the
    académies' training rows where the workers hold them (`parts`: `fold_part` of each,
    checked). `callbacks` are LightGBM callbacks, run by every worker's LightGBM."""
    import dask.dataframe as dd
    from lightgbm.dask import DaskLGBMClassifier

    model = RiskModel(
        lightgbm_params=config.lightgbm.booster_params(),
        num_boost_round=config.lightgbm.num_boost_round,
        calibration=config.calibration,
        calibration_folds=config.calibration_folds,
        seed=config.seed,
    )
    model.feature_names_in_ = np.asarray(FEATURE_NAMES, dtype=object)
    model.n_features_in_ = len(FEATURE_NAMES)
    model.categories_ = {name: tuple(levels) for name, levels in CATEGORIES.items()}
    params = model._booster_params()
    # lightgbm.dask gives each worker's LightGBM the worker's threads (one per local worker).
    dask_params = {key: value for key, value in params.items() if key != "num_threads"}
    job = uuid.uuid4().hex[:8]
    workers = sorted(client.scheduler_info()["workers"])
    held = [part.name for part in parts if part.train > 0]
    matrices: list[Future] = []
    columns: dict[str, list[Future]] = {"X": [], "y": [], "w": []}
    for index, name in enumerate(held):
        where = {"workers": [workers[index % len(workers)]], "allow_other_workers": True}
        matrix = client.submit(
            training_matrix, prepared.path_of(name), plan, prepared.selection, config,
            key=f"training-rows-{plan.name}-{name}-{job}", **where,
        )  # fmt: skip
        matrices.append(matrix)
        for column, pick in (("X", _features), ("y", _labels), ("w", _weights)):
            key = f"{column}-{plan.name}-{name}-{job}"
            columns[column].append(client.submit(pick, matrix, key=key, **where))
    meta = pd.DataFrame({name: pd.Series(dtype="float64") for name in FEATURE_NAMES})
    X = dd.from_delayed(columns["X"], meta=meta, verify_meta=False)
    y = dd.from_delayed(columns["y"], meta=pd.Series(dtype="int64", name=_Y), verify_meta=False)
    w = dd.from_delayed(columns["w"], meta=pd.Series(dtype="float64", name=_W), verify_meta=False)
    categorical = [i for i, name in enumerate(FEATURE_NAMES) if name in CATEGORIES]
    try:
        with warnings.catch_warnings(), client.as_current():
            warnings.filterwarnings("ignore", "Parameter (num_threads|n_jobs) will be ignored")
            fitted = DaskLGBMClassifier(
                client=client, n_estimators=config.lightgbm.num_boost_round, **dask_params
            ).fit(X, y, sample_weight=w, categorical_feature=categorical,
                  callbacks=list(callbacks) or None)  # fmt: skip
    finally:
        client.cancel([*matrices, *columns["X"], *columns["y"], *columns["w"]], force=True)
    booster: lgb.Booster = fitted.booster_
    model.params_ = params
    model.booster_ = booster
    _calibrate(client, model, prepared, plan, config, booster.model_to_string())
    data = frame_fingerprint(pd.DataFrame({"parts": [TRAINER, *(p.fingerprint for p in parts)]}))
    model.training_fingerprint_ = data
    model.model_hash_ = model_hash(f"{RiskModel.__module__}.{RiskModel.__qualname__}",
                                   model.get_params(), data, config.seed)  # fmt: skip
    return model


def _calibrate(
    client: Client,
    model: RiskModel,
    prepared: PartitionedPrepared,
    plan: SplitPlan,
    config: TrainConfig,
    booster: str,
) -> None:
    """The calibration map of `model`, chosen as `RiskModel.fit` does from the raw scores of
    the held-out rows, scored per académie on the workers."""
    [shared] = client.scatter([booster], broadcast=True, hash=False)
    scored = run_partitions(
        client, calibration_scores,
        [(prepared.path_of(name), plan, prepared.selection, config, shared)
         for name in prepared.names],
        [f"calibration-{plan.name}-{name}" for name in prepared.names],
    )  # fmt: skip
    rows = pd.concat(scored, ignore_index=True)
    model.calibrator_, model.calibration_scores_ = choose_calibrator(
        rows["raw"].to_numpy(), rows["label"].to_numpy(), model.calibration,
        folds=model.calibration_folds, seed=model.seed, groups=rows["student_id"],
    )  # fmt: skip
    model.calibration_source_ = "held-out rows"


def level_sums(parts: list[FoldPart]) -> pd.DataFrame:
    """The level prior's sums over every académie: training label sum and count per level."""
    return pd.concat([part.levels for part in parts]).groupby(level=0, sort=True).sum()


def sample_rows(parts: list[FoldPart]) -> pd.DataFrame:
    return pd.concat([part.sample for part in parts], ignore_index=True)


def describe(plan: SplitPlan, parts: list[FoldPart]) -> dict[str, Any]:
    """The split's description as a run logs it (`training.pipeline`'s, from the counts)."""
    return {
        "split": plan.name,
        **plan.describe(),
        "train_rows": str(sum(part.train for part in parts)),
        "calibration_rows": str(sum(part.calibration for part in parts)),
        "test_rows": str(sum(part.test for part in parts)) if plan.test_year else "0",
    }

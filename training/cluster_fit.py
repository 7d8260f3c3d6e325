"""A split's LightGBM risk model fitted on a Dask cluster with `lightgbm.dask`.

Each académie's training rows are selected and encoded on a worker from its snapshot file
(`training.partitioned_snapshots`), the académies spread over the workers in name order, and
`lightgbm.dask.DaskLGBMClassifier` trains on them where they are, with the parameters of the
single-machine fit (`RiskModel`: the configuration's LightGBM parameters, the seed, the
catalog's monotone constraints). The calibration rows (the held-out school year) are scored
per académie on the workers; only their raw score, label and student id come back, and the
calibration map is chosen on the client as `RiskModel.fit` does (`models.calibration.
choose_calibrator`; cross-fitted without one, below). The result is one `RiskModel`,
saved, logged and registered like any.

What differs from the single-machine fit: LightGBM's data-parallel learner (one machine per
worker holding rows) finds the histogram bins from each machine's own sample and sums the
histograms over the network, so the trees are close to, not bitwise, those of one process;
which worker is which rank follows where Dask reports the rows, so two runs on the same
partitions may differ in the same way. The model's identity (`model_hash_`) says
`lightgbm.dask` and the académies' rows, never equal to a single-machine model's.

Without a held-out year (a single training year), the calibration is cross-fitted as
`RiskModel.fit` does it: the students split into folds by `models.calibration.grouped_folds`
from each student's outcome (one row per student comes back), one `lightgbm.dask` booster per
fold without its students, each training row scored on its worker by the booster that did not
see it.
"""

from __future__ import annotations

import threading
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.catalog import CATEGORIES
from models.calibration import choose_calibrator, grouped_folds
from models.encoding import FEATURE_NAMES, encode_features
from models.identity import frame_fingerprint, model_hash
from models.risk_model import RiskModel
from training.cluster_logistic import logistic_part
from training.config import TrainConfig
from training.folds import LABEL, DateSelection, fold_parts
from training.interviewed import learning_rows
from training.partitioned_snapshots import PartitionedPrepared, run_partitions
from training.plan import AnyPlan

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = [
    "SOCKET_TIMEOUT_MINUTES",
    "TRAINER",
    "FoldPart",
    "WorkerLostError",
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
    students: pd.DataFrame
    # The training rows the logistic baseline is fitted on (`training.cluster_logistic`);
    # None when the split fits no baseline.
    logistic: pd.DataFrame | None = None


def _learning(rows: pd.DataFrame, config: TrainConfig) -> tuple[pd.DataFrame, np.ndarray | None]:
    return learning_rows(rows, config.interviewed.policy, config.interviewed.weight)


def fold_part(
    path: Path, name: str, plan: AnyPlan, selection: DateSelection, config: TrainConfig,
    sample_rows: int, logistic_rate: float = 0.0,
) -> FoldPart:  # fmt: skip
    """One académie's part of the split `plan` (a task), with the training rows of the
    students drawn at `logistic_rate` for the logistic baseline (none at 0)."""
    train, calibration, test = fold_parts(pd.read_parquet(path), plan, selection)
    if config.interviewed.policy == "exclude" and calibration is not None:
        calibration, _ = _learning(calibration, config)
    rows, weights = _learning(train, config)
    labels = rows[LABEL].to_numpy(dtype="float64")
    # Each student of the training rows (first appearance order) and whether any of their
    # rows is positive: what the cross-fitting folds are drawn from.
    students = (
        pd.DataFrame({"student_id": rows["student_id"].astype(str).to_numpy(),
                      "positive": (labels > 0).astype("float64")})
        .groupby("student_id", sort=False, as_index=False)["positive"].max()
    )  # fmt: skip
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
        len(test), fingerprint, levels, sample.sort_index(), students,
        logistic_part(rows, weights, logistic_rate) if logistic_rate > 0 else None,
    )  # fmt: skip


def check_fold_parts(plan: AnyPlan, parts: list[FoldPart]) -> None:
    """ValueError naming the split when, over every académie, a part is empty or a training
    or calibration part has one class (`training.folds.plan_fold`'s rule)."""
    checked = [("training rows", "train", True)]
    if plan.calibration_year is not None:
        checked.append(("calibration rows", "calibration", True))
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
    path: Path,
    plan: AnyPlan,
    selection: DateSelection,
    config: TrainConfig,
    fold_of: pd.Series | None = None,
    left_out: int | None = None,
) -> pd.DataFrame:
    """One académie's encoded training rows of `plan`, with their label and weight, without
    the students whose cross-fitting fold (`fold_of`) is `left_out` (a task: its output stays
    on the worker for `lightgbm.dask`)."""
    train, _, _ = fold_parts(pd.read_parquet(path), plan, selection)
    rows, weights = _learning(train, config)
    if fold_of is not None:
        kept = (fold_of.reindex(rows["student_id"].astype(str)) != left_out).to_numpy()
        rows, weights = rows[kept], None if weights is None else weights[kept]
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
    path: Path, plan: AnyPlan, selection: DateSelection, config: TrainConfig, booster: str
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
    plan: AnyPlan,
    config: TrainConfig,
    parts: list[FoldPart],
    callbacks: Sequence[Callable[..., None]] = (),
) -> RiskModel:
    """The calibrated `RiskModel` of `plan`, its booster trained by `lightgbm.dask` on the
    académies' training rows where the workers hold them (`parts`: `fold_part` of each,
    checked). `callbacks` are LightGBM callbacks, run by every worker's LightGBM."""

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
    held = [part.name for part in parts if part.train > 0]
    booster = _dask_booster(client, prepared, plan, config, held, params, callbacks)
    model.params_ = params
    model.booster_ = booster
    if plan.calibration_year is not None:
        calibration = _held_out_scores(client, prepared, plan, config, booster)
        model.calibration_source_ = "held-out rows"
    else:
        calibration = _cross_fitted_scores(client, prepared, plan, config, parts, params, callbacks)
        model.calibration_source_ = f"{config.calibration_folds}-fold cross-fitting by student"
    model.calibrator_, model.calibration_scores_ = choose_calibrator(
        calibration["raw"].to_numpy(), calibration["label"].to_numpy(), model.calibration,
        folds=model.calibration_folds, seed=model.seed, groups=calibration["student_id"],
    )  # fmt: skip
    data = frame_fingerprint(pd.DataFrame({"parts": [TRAINER, *(p.fingerprint for p in parts)]}))
    model.training_fingerprint_ = data
    model.model_hash_ = model_hash(f"{RiskModel.__module__}.{RiskModel.__qualname__}",
                                   model.get_params(), data, config.seed)  # fmt: skip
    return model


# LightGBM's data-parallel learners wait on one another at every boosting round, on sockets
# that give up after `time_out` minutes (LightGBM's default: 120). A worker lost mid-fit would
# leave the others waiting that long; the fit is watched (below) and the sockets bounded.
SOCKET_TIMEOUT_MINUTES = 10
WATCH_SECONDS = 0.5


class WorkerLostError(RuntimeError):
    """A worker of a `lightgbm.dask` fit left the cluster before the fit ended."""


def _watched_fit(client: Client, fit: Callable[[], Any]) -> Any:
    """`fit()` in a thread while this one watches the cluster's workers: if one present at the
    start leaves (killed, out of memory, restarted by its nanny), LightGBM's collective cannot
    go on without it, so the workers still running the fit are restarted (their tasks would
    otherwise wait on their sockets) and `WorkerLostError` is raised at once."""
    workers = set(client.nthreads())
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["fitted"] = fit()
        except BaseException as error:  # handed to the watching thread
            outcome["error"] = error

    thread = threading.Thread(target=run, name="lightgbm-dask-fit", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(WATCH_SECONDS)
        present = set(client.nthreads())
        gone = workers - present
        if gone and thread.is_alive():
            survivors = sorted(workers & present)
            if survivors:
                client.restart_workers(survivors, raise_for_error=False)
            raise WorkerLostError(
                f"{len(gone)} of the {len(workers)} Dask workers left the cluster during the "
                "LightGBM fit, which cannot go on without them"
            )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["fitted"]


def _workers(client: Client) -> list[str]:
    """The cluster's workers by address, to spread the académies over. When none is there (a
    worker its nanny is restarting), waits for one as long as a job waits for a worker
    (`features.cluster.no_workers_timeout`), then fails as a task left without workers does
    (`NoWorkerError`, which the commands word)."""
    workers = sorted(client.scheduler_info()["workers"])
    if workers:
        return workers
    from dask.utils import parse_timedelta
    from distributed.scheduler import NoWorkerError

    from features.cluster import no_workers_timeout

    timeout = parse_timedelta(no_workers_timeout())
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        raise NoWorkerError("training-rows", timeout) from None
    return sorted(client.scheduler_info()["workers"])


def _dask_booster(
    client: Client,
    prepared: PartitionedPrepared,
    plan: AnyPlan,
    config: TrainConfig,
    names: Sequence[str],
    params: dict[str, Any],
    callbacks: Sequence[Callable[..., None]],
    folds: Mapping[str, pd.Series | Future] | None = None,
    left_out: int | None = None,
) -> lgb.Booster:
    """A booster trained by `lightgbm.dask` on the training rows of the académies `names`
    (without the students of cross-fitting fold `left_out` of `folds`, when given), each
    académie's rows built on one worker (académies spread over the workers in name order)."""
    import dask.dataframe as dd
    from lightgbm.dask import DaskLGBMClassifier

    # lightgbm.dask gives each worker's LightGBM the worker's threads (one per local worker).
    dask_params = {key: value for key, value in params.items() if key != "num_threads"}
    dask_params.setdefault("time_out", SOCKET_TIMEOUT_MINUTES)
    job = uuid.uuid4().hex[:8]
    workers = _workers(client)
    matrices: list[Future] = []
    columns: dict[str, list[Future]] = {"X": [], "y": [], "w": []}
    for index, name in enumerate(names):
        where = {"workers": [workers[index % len(workers)]], "allow_other_workers": True}
        fold_of = None if folds is None else folds[name]
        matrix = client.submit(
            training_matrix, prepared.path_of(name), plan.for_partition(name), prepared.selection,
            config, fold_of, left_out, key=f"training-rows-{plan.name}-{name}-{job}", **where,
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

    def fit() -> DaskLGBMClassifier:
        with warnings.catch_warnings(), client.as_current():
            warnings.filterwarnings("ignore", "Parameter (num_threads|n_jobs) will be ignored")
            return DaskLGBMClassifier(
                client=client, n_estimators=config.lightgbm.num_boost_round, **dask_params
            ).fit(X, y, sample_weight=w, categorical_feature=categorical,
                  callbacks=list(callbacks) or None)  # fmt: skip

    try:
        fitted = _watched_fit(client, fit)
    finally:
        client.cancel([*matrices, *columns["X"], *columns["y"], *columns["w"]], force=True)
    booster: lgb.Booster = fitted.booster_
    return booster


def _held_out_scores(
    client: Client,
    prepared: PartitionedPrepared,
    plan: AnyPlan,
    config: TrainConfig,
    booster: lgb.Booster,
) -> pd.DataFrame:
    """The raw scores of the held-out calibration rows, scored per académie on the workers,
    with their label and student id."""
    [shared] = client.scatter([booster.model_to_string()], broadcast=True, hash=False)
    scored = run_partitions(
        client, calibration_scores,
        [(prepared.path_of(name), plan.for_partition(name), prepared.selection, config, shared)
         for name in prepared.names],
        [f"calibration-{plan.name}-{name}" for name in prepared.names],
    )  # fmt: skip
    return pd.concat(scored, ignore_index=True)


def _cross_fitted_scores(
    client: Client,
    prepared: PartitionedPrepared,
    plan: AnyPlan,
    config: TrainConfig,
    parts: list[FoldPart],
    params: dict[str, Any],
    callbacks: Sequence[Callable[..., None]],
) -> pd.DataFrame:
    """Out-of-fold raw scores of the training rows, as `RiskModel.fit` cross-fits them: the
    students split into folds by `models.calibration.grouped_folds` (from each student's
    outcome, gathered once), one `lightgbm.dask` booster per fold without its students, each
    row scored on its worker by the booster that did not see it."""
    students = pd.concat([part.students for part in parts], ignore_index=True)
    students = students.groupby("student_id", sort=False)["positive"].max()
    folds = config.calibration_folds
    fold_of = np.empty(len(students), dtype="int64")
    for fold, (_, held_out) in enumerate(
        grouped_folds(students.to_numpy(), students.index.to_numpy(), folds, config.seed)
    ):
        fold_of[held_out] = fold
    assignment = pd.Series(fold_of, index=students.index)
    kept = [part for part in parts if part.train > 0]
    names = [part.name for part in kept]
    # Each académie's students' folds (megabytes at 300,000 students), sent to the cluster
    # once rather than with each of its tasks.
    per_name = dict(zip(names, client.scatter(
        [assignment.loc[part.students["student_id"].unique()] for part in kept], hash=False
    ), strict=True))  # fmt: skip
    boosters = [
        _dask_booster(client, prepared, plan, config, names, params, callbacks, per_name, fold)
        .model_to_string()
        for fold in range(folds)
    ]  # fmt: skip
    shared = client.scatter(boosters, broadcast=True, hash=False)
    scored = run_partitions(
        client, out_of_fold_scores,
        [(prepared.path_of(name), plan.for_partition(name), prepared.selection, config, shared,
          per_name[name]) for name in names],
        [f"cross-fitting-{plan.name}-{name}" for name in names],
    )  # fmt: skip
    return pd.concat(scored, ignore_index=True)


def out_of_fold_scores(
    path: Path,
    plan: AnyPlan,
    selection: DateSelection,
    config: TrainConfig,
    boosters: list[str],
    fold_of: pd.Series,
) -> pd.DataFrame:
    """One académie's training rows of `plan`, each scored by the booster of the fold that
    left its student out, with label and student id (a task)."""
    train, _, _ = fold_parts(pd.read_parquet(path), plan, selection)
    rows, _ = _learning(train, config)
    values = encode_features(rows).to_numpy(dtype="float64")
    fold = fold_of.reindex(rows["student_id"].astype(str)).to_numpy()
    raw = np.empty(len(rows))
    for index, text in enumerate(boosters):
        chosen = fold == index
        if chosen.any():
            raw[chosen] = lgb.Booster(model_str=text).predict(values[chosen], raw_score=True)
    return pd.DataFrame({
        "raw": raw,
        "label": rows[LABEL].to_numpy(dtype="float64"),
        "student_id": rows["student_id"].astype(str).to_numpy(),
    })  # fmt: skip


def level_sums(parts: list[FoldPart]) -> pd.DataFrame:
    """The level prior's sums over every académie: training label sum and count per level."""
    return pd.concat([part.levels for part in parts]).groupby(level=0, sort=True).sum()


def sample_rows(parts: list[FoldPart]) -> pd.DataFrame:
    return pd.concat([part.sample for part in parts], ignore_index=True)


def describe(plan: AnyPlan, parts: list[FoldPart]) -> dict[str, Any]:
    """The split's description as a run logs it (`training.pipeline`'s, from the counts)."""
    return {
        "split": plan.name,
        **plan.describe(),
        "train_rows": str(sum(part.train for part in parts)),
        "calibration_rows": (
            str(sum(part.calibration for part in parts))
            if plan.calibration_year is not None
            else "cross-fitted"
        ),
        "test_rows": str(sum(part.test for part in parts)) if plan.test_year else "0",
    }

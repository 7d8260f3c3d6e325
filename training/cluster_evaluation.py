"""Training and evaluation on a Dask cluster: `training.pipeline.train_and_evaluate` and
`training.evaluation.replay_evaluation` with the rows left on the workers.

For each temporal split: each académie's part of it is counted and checked
(`training.cluster_fit.fold_part`), the model fitted by `lightgbm.dask`
(`training.cluster_fit.fit_on_cluster`), then each académie's tested rows scored on a worker
by every model and baseline (`training.fitting.score_fold`, the level prior from every
académie's sums). The scored rows (keys, label and one score per model: no feature) come back
for the student-week comparison tables and the predictions artifact; they also stay on the
workers, where the school-year replay runs per académie in parallel (lists and follow-ups
are per establishment, so an académie's replay is independent), each sending back only its
totals per establishment and its dropouts' lead times. The client concatenates them and
draws the cluster bootstrap over establishments (`training.replay.metrics_of_totals`): the
same resamples as a single-machine replay of the same scores.

The logistic baseline is fitted on the client on the training rows the académies send back
for it (`training.cluster_logistic`: every row up to `logistic.cluster_rows`, whole students
drawn by their id beyond), then scores each académie's tested rows on the workers beside the
model: the comparison tables and the replay have every model and baseline of one machine.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from features.partitions import partition_folder
from features.progress import SILENT, Progress
from models.risk_model import RiskModel
from training.baselines import (
    CEILING,
    RULE_BASELINES,
    LevelPrior,
    latent_ceiling_score,
    read_latent_risk,
    recent_absences_score,
)
from training.cluster_audit import AuditedRows
from training.cluster_fit import (
    SAMPLE_ROWS,
    check_fold_parts,
    describe,
    fit_on_cluster,
    fold_part,
    level_sums,
    sample_rows,
)
from training.cluster_kfold import final_kfold_plan, kfold_plans
from training.cluster_logistic import fit_cluster_logistic, logistic_rate
from training.config import TrainConfig
from training.evaluation import (
    REPLAY_MODELS,
    REPLAY_PROBABILITY_MODELS,
    ReplayEvaluation,
    evaluation_tables,
    with_replay_baselines,
)
from training.fairness import audited_rows
from training.fitting import PRIMARY, FittedFold, score_fold
from training.folds import DateSelection, Fold, fold_parts
from training.partitioned_snapshots import PartitionedPrepared, run_partitions
from training.pipeline import TrainingResult
from training.plan import AnyPlan
from training.replay import (
    EXIT_KINDS,
    judged_weeks,
    metrics_of_totals,
    paired_of_totals,
    replay_cluster_totals,
    replay_year,
    unobserved_weeks,
)

if TYPE_CHECKING:
    from distributed import Client, Future
    from sklearn.pipeline import Pipeline

__all__ = ["partition_replay", "score_partition", "train_and_evaluate_on_cluster"]

# Per model: the totals per establishment and the per-dropout table of one académie.
Totals = dict[str, tuple[pd.DataFrame, pd.DataFrame]]


def score_partition(
    path: Path,
    plan: AnyPlan,
    selection: DateSelection,
    model: RiskModel,
    prior: LevelPrior,
    latent_folder: Path,
    logistic: Pipeline | None = None,
) -> pd.DataFrame:
    """One académie's tested rows of `plan` scored by every model and baseline (the
    `logistic` baseline when given), with the ceiling when its generator wrote the latent
    risk (a task; the frame stays on the worker for the replay)."""
    train, _, test = fold_parts(pd.read_parquet(path), plan, selection)
    fold = Fold(plan.name, train, None, test, plan.describe(), plan.repeat)
    scored = with_replay_baselines(score_fold(FittedFold(fold, model, logistic)), fold, prior)
    latent = read_latent_risk(latent_folder)
    if latent is not None:
        scored[CEILING] = latent_ceiling_score(scored, latent).to_numpy()
    # What the ranked baselines read, for `pooled_rule_scores` on the client.
    return scored.assign(**{column: test[column].to_numpy() for column in RULE_INPUTS})


# The features the ranked baselines read (`training.baselines.lexicographic_score`: a rank
# among the rows scored together, so an académie's ranks are not comparable with another's).
RULE_INPUTS = (
    "unjustified_absences_2w", "unjustified_absences_4w", "unjustified_absences_ytd",
    "absenteeism_months_ytd", "unjustified_absence_rate_ytd", "justified_absence_rate_ytd",
    "grade_mean_current_period", "grade_mean_previous_period", "failed_exams",
)  # fmt: skip


# The baselines `pooled_rule_scores` ranks over every académie's rows of each split.
RANKED_RULES = (*RULE_BASELINES, "absences_2w", "absences_4w")


def pooled_rule_scores(predictions: pd.DataFrame) -> pd.DataFrame:
    """The gathered tested rows with the ranked baselines scored over each split's rows of
    every académie together, as `training.fitting.score_fold` ranks them on one machine (an
    académie's own ranks order its establishments' lists the same way: the replay on the
    workers reads those), without the features they read."""
    inputs = predictions.loc[:, list(RULE_INPUTS)]
    pooled = {name: np.empty(len(predictions)) for name in RANKED_RULES}
    for at in predictions.groupby("split", sort=False).indices.values():
        rows = inputs.iloc[at]
        scores = {name: rule(rows) for name, rule in RULE_BASELINES.items()}
        scores |= {f"absences_{w}w": recent_absences_score(rows, w) for w in (2, 4)}
        assert tuple(scores) == RANKED_RULES
        for name, values in scores.items():
            pooled[name][at] = values.to_numpy(dtype="float64")
    # Column by column: the gathered rows are not copied.
    scored = predictions.drop(columns=list(RULE_INPUTS))
    for name, values in pooled.items():
        scored[name] = values
    return scored


def partition_audited_rows(
    path: Path, plan: AnyPlan, selection: DateSelection, scored: pd.DataFrame
) -> pd.DataFrame:
    """One académie's tested rows of `plan` as the fairness audit reads them
    (`training.fairness.audited_rows`: scores, features, group attributes; a task)."""
    _, _, test = fold_parts(pd.read_parquet(path), plan, selection)
    return audited_rows(scored.drop(columns=[CEILING, *RULE_INPUTS], errors="ignore"), test)


def partition_replay(
    parts: list[pd.DataFrame],
    config: TrainConfig,
    judged: pd.MultiIndex,
    interviewed_share: float,
    ranked: list[pd.DataFrame] | None = None,
) -> Totals:
    """The replay of one académie's scored rows (its parts, one split each) for every model
    (`training.evaluation.replay_table`'s frames): each model's totals per establishment and
    per-dropout table (a task). `ranked`: each part's ranked rules as scored over every
    académie, to use instead of the part's own."""
    if ranked is not None:
        parts = [part.assign(**{column: rules[column].to_numpy() for column in rules.columns})
                 for part, rules in zip(parts, ranked, strict=True)]  # fmt: skip
    scored = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    base = scored.loc[:, [c for c in _REPLAY_COLUMNS if c in scored.columns]]
    kinds = EXIT_KINDS if "exit_kind" in base.columns else ()
    totals: Totals = {}
    for name in REPLAY_MODELS:
        if name not in scored.columns:
            continue
        frame = base.assign(score=scored[name].to_numpy(dtype="float64"))
        invitations = replay_year(
            frame, interviewed_share=interviewed_share, seed=config.seed,
            probability=name in REPLAY_PROBABILITY_MODELS, judged=judged,
        )  # fmt: skip
        totals[name] = replay_cluster_totals(
            invitations, frame, config.lead_time_ahead_weeks, kinds, judged
        )
    return totals


_REPLAY_COLUMNS = ("student_id", "as_of", "uai", "school_year", "capacity", "label", "exit_date",
                   "censored", "exit_kind")  # fmt: skip


def _replay_tables(
    parts: list[Totals], config: TrainConfig, kinds: tuple[str, ...], unobserved: int
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """`training.evaluation.replay_table`'s tables from every académie's totals."""
    models = list(parts[0])
    merged = {
        name: (
            # An establishment's totals add up over the tested years (one part per split).
            pd.concat([part[name][0] for part in parts]).groupby(level=0, sort=True).sum(),
            pd.concat([part[name][1] for part in parts]).sort_index(),
        )
        for name in models
    }
    table = pd.DataFrame.from_dict(
        {name: metrics_of_totals(totals, per_dropout, kinds, unobserved,
                                 n_boot=config.n_boot, seed=config.seed)
         for name, (totals, per_dropout) in merged.items()},
        orient="index",
    )  # fmt: skip
    table.index.name = "model"
    lift = None
    if PRIMARY in merged and len(merged) > 1:
        lift = paired_of_totals({name: pair[0] for name, pair in merged.items()}, PRIMARY, kinds,
                                n_boot=config.n_boot, seed=config.seed)  # fmt: skip
    return table, lift


def train_and_evaluate_on_cluster(
    client: Client,
    prepared: PartitionedPrepared,
    config: TrainConfig,
    data: str | Path,
    progress: Progress = SILENT,
    callbacks: Sequence[Callable[..., None]] = (),
) -> tuple[TrainingResult, ReplayEvaluation, AuditedRows]:
    """Fit and score every temporal split (or every k-fold fold: `training.cluster_kfold`) on
    the cluster, compare the models on the tested rows, replay the tested years per académie;
    the final model is the last split's, or a refit on the final plan (`final_model: refit`;
    with k-fold, on every row). `callbacks`: LightGBM callbacks of every fit. Also returns the
    tested rows as the fairness audit reads them (`training.fairness.audited_rows`; the first
    k-fold repeat), left on the workers but for the columns the audit of the lists reads
    (`training.cluster_audit.AuditedRows`; the caller releases them)."""
    timings = {"prepare_seconds": prepared.seconds}
    started = time.perf_counter()
    kfold = bool(prepared.kfold_years)
    plans: Sequence[AnyPlan] = kfold_plans(client, prepared, config) if kfold else prepared.plans
    progress.stage("folds", total=len(plans))
    scored_futures: list[Future] = []
    audited: list[Future] = []
    # The scored parts each replay task reads: one split of one académie, or with k-fold every
    # fold of the first repeat of one académie (its establishments' lists hold every fold).
    replayed: dict[str, list[tuple[Future, slice]]] = {}
    predictions, descriptions = [], []
    position = 0  # where the next part's rows start in the gathered predictions
    last: tuple[RiskModel, list[Any], AnyPlan] | None = None
    for plan in plans:
        model, parts = _fit(client, prepared, plan, config, callbacks, with_baseline=True)
        logistic = fit_cluster_logistic(
            [part.logistic for part in parts if part.logistic is not None], config
        )
        futures = _score(client, prepared, plan, model, parts, data, logistic)
        scored_futures += futures
        with_test = [name for name, part in zip(prepared.names, parts, strict=True) if part.test]
        first_repeat = plan.repeat in (None, 1)
        if first_repeat:
            audited += [
                client.submit(partition_audited_rows, prepared.path_of(name),
                              plan.for_partition(name), prepared.selection, future,
                              key=f"audited-{future.key}")
                for name, future in zip(with_test, futures, strict=True)
            ]  # fmt: skip
        # The ceiling is the replay's only (as on a single machine).
        for name, future, part in zip(with_test, futures, client.gather(futures), strict=True):
            if first_repeat:
                replayed.setdefault(name if kfold else str(future.key), []).append(
                    (future, slice(position, position + len(part)))
                )
            position += len(part)
            predictions.append(part.drop(columns=[CEILING], errors="ignore"))
        if not first_repeat:  # neither replayed nor audited: nothing more to do on the workers
            client.cancel(futures, force=True)
        descriptions.append(describe(plan, parts))
        last = (model, parts, plan)
        progress.advance()
    assert last is not None  # a temporal plan has at least one split, k-fold two folds
    predictions_frame = pooled_rule_scores(pd.concat(predictions, ignore_index=True))
    timings["fit_and_score_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    progress.stage("compare")
    comparison, lift, per_split = evaluation_tables(predictions_frame, config)
    timings["evaluate_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    evaluated_model, _, evaluated_plan = last
    final_model, final_parts, final_plan = last
    final = final_kfold_plan(prepared, config) if kfold else prepared.final
    if final is not None:
        progress.stage("final_fit")
        final_model, final_parts = _fit(client, prepared, final, config, callbacks)
        final_plan = final
    timings["final_fit_seconds"] = time.perf_counter() - started
    descriptions.append(describe(final_plan, final_parts))
    progress.stage("replay")
    replay = _replay(client, replayed, predictions_frame, config, ranked=kfold)
    audit_rows = AuditedRows(client, audited)
    # Released rather than cancelled: a cancelled future cancels the audited rows made from it.
    for future in scored_futures:
        future.release()
    final_fold = Fold(final_plan.name, sample_rows(final_parts), None, None, final_plan.describe())
    result = TrainingResult(
        predictions_frame, comparison, lift, per_split, final_model, final_fold, descriptions,
        timings,
        # With k-fold, no single model scored the tested rows (as on one machine).
        evaluated_model_hash=None if kfold else evaluated_model.model_hash_,
        evaluated_split=None if kfold else evaluated_plan.name,
        final_training_rows=sum(part.train for part in final_parts),
    )  # fmt: skip
    return result, replay, audit_rows


def _fit(
    client: Client,
    prepared: PartitionedPrepared,
    plan: AnyPlan,
    config: TrainConfig,
    callbacks: Sequence[Callable[..., None]],
    with_baseline: bool = False,
) -> tuple[RiskModel, list[Any]]:
    """The split's model fitted on the cluster, and each académie's part of the split (with
    the rows of the logistic baseline when `with_baseline`)."""
    per_sample = max(1, SAMPLE_ROWS // len(prepared.names))
    rate = logistic_rate(config, prepared.snapshot_rows) if with_baseline else 0.0
    parts = run_partitions(
        client, fold_part,
        [(prepared.path_of(name), name, plan.for_partition(name), prepared.selection, config,
          per_sample, rate) for name in prepared.names],
        [f"split-{plan.name}-{name}" for name in prepared.names],
    )  # fmt: skip
    check_fold_parts(plan, parts)
    return fit_on_cluster(client, prepared, plan, config, parts, callbacks), parts


def _score(
    client: Client,
    prepared: PartitionedPrepared,
    plan: AnyPlan,
    model: RiskModel,
    parts: list[Any],
    data: str | Path,
    logistic: Pipeline,
) -> list[Future]:
    """Each académie's scored test rows, kept on the workers (futures), one task each."""
    sums = level_sums(parts)
    prior = LevelPrior()
    prior.overall_ = float(sums["sum"].sum() / sums["count"].sum())
    prior.rates_ = {str(level): float(row["sum"] / row["count"]) for level, row in sums.iterrows()}
    [shared_model, shared_logistic] = client.scatter([model, logistic], broadcast=True,
                                                     hash=False)  # fmt: skip
    job = uuid.uuid4().hex[:8]
    futures = []
    for name, part in zip(prepared.names, parts, strict=True):
        if part.test > 0:
            futures.append(client.submit(
                score_partition, prepared.path_of(name), plan.for_partition(name),
                prepared.selection, shared_model,
                prior, Path(data) / partition_folder(name), shared_logistic,
                key=f"scores-{plan.name}-{name}-{job}",
            ))  # fmt: skip
    return futures


def _replay(
    client: Client,
    replayed: Mapping[str, list[tuple[Future, slice]]],
    predictions: pd.DataFrame,
    config: TrainConfig,
    ranked: bool = False,
) -> ReplayEvaluation:
    """The replay of the tested rows, one task per group of scored parts (`replayed`: each
    part's future and its rows in `predictions`). With `ranked` (k-fold: an
    académie's lists mix its folds), the ranked rules are the ones of `predictions` (ranked
    over every académie's rows of each fold, as on one machine), sent to each task."""
    started = time.perf_counter()
    tested = predictions
    if "repeat" in tested.columns:
        tested = tested[tested["repeat"] == tested["repeat"].min()]
    judged = judged_weeks(tested)
    kinds = EXIT_KINDS if "exit_kind" in tested.columns else ()
    unobserved = unobserved_weeks(tested)
    shares: Mapping[str, float] = {"table": 1.0}
    if config.replay_interviewed_share is not None:
        shares = {"table": 1.0, "variant": config.replay_interviewed_share}
    groups = list(replayed.items())
    rules: list[list[Future] | None] = [None] * len(groups)
    if ranked:
        rules = [
            client.scatter([predictions[list(RANKED_RULES)].iloc[rows].reset_index(drop=True)
                            for _, rows in group], hash=False)
            for _, group in groups
        ]  # fmt: skip
    tables = {}
    for what, share in shares.items():
        parts = run_partitions(
            client, partition_replay,
            [([future for future, _ in group], config, judged, share, rule)
             for (_, group), rule in zip(groups, rules, strict=True)],
            [f"replay-{what}-{key}" for key, _ in groups],
        )  # fmt: skip
        tables[what] = _replay_tables(parts, config, kinds, unobserved)
    table, lift = tables["table"]
    variant = tables["variant"][0] if "variant" in tables else None
    return ReplayEvaluation(table, lift, variant, time.perf_counter() - started)

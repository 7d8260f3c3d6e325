"""Training and evaluation without MLflow: extraction in, fitted models and comparison out.

`prepare` reads the extraction once (outcomes to plan the splits, then the snapshots of every
needed as-of date in one feature build); `train_and_evaluate` fits each split, scores its tested
student-weeks with every model and baseline, compares them, and fits the final model. Both are
deterministic for a given extraction, configuration and seed.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from features.extraction import Extraction
from features.labels import HORIZON_WEEKS
from features.progress import SILENT, Progress
from models.risk_model import RiskModel
from training.config import TrainConfig
from training.evaluation import evaluation_tables, with_replay_baselines
from training.fitting import fit_fold, fit_risk_model, score_fold
from training.folds import DateSelection, Fold, kfold_folds, plan_fold, plan_roles, training_rows
from training.interviewed import mark_interviewed, read_interviews
from training.plan import SplitPlan, final_plan, kfold_years, plan_splits
from training.snapshots import build_snapshots, enrolled_outcomes, extraction_last_event

__all__ = [
    "PreparedData",
    "TrainingPlan",
    "TrainingResult",
    "plan_training",
    "prepare",
    "train_and_evaluate",
    "training_snapshots",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class PreparedData:
    """Snapshots and the plan that reads them."""

    snapshots: pd.DataFrame
    selection: DateSelection
    plans: tuple[SplitPlan, ...]
    final: SplitPlan | None
    kfold_years: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def snapshot_rows(self) -> int:
        return len(self.snapshots)


@dataclass(frozen=True, eq=False)
class TrainingResult:
    """What a training produced: test predictions of every model, the comparison tables, the
    final model and the rows it was fitted on."""

    predictions: pd.DataFrame
    comparison: pd.DataFrame
    lift: pd.DataFrame
    split_tables: dict[str, pd.DataFrame]
    final_model: RiskModel
    final_fold: Fold
    folds: list[dict[str, str]]
    timings: dict[str, float] = field(default_factory=dict)
    # The model that scored the latest tested split (None with k-fold: no single model is
    # evaluated) and that split: promotion requires it to be the registered model.
    evaluated_model_hash: str | None = None
    evaluated_split: str | None = None
    # How many rows the final model was fitted on, when `final_fold.train` holds only a
    # sample of them (a cluster training keeps its rows on the workers).
    final_training_rows: int | None = None


def prepare(
    extraction: Extraction,
    config: TrainConfig,
    as_of: Sequence[dt.date] | None = None,
    progress: Progress = SILENT,
) -> PreparedData:
    """Plan the splits from the outcomes, then build the snapshots they need (one build).

    Raises ValueError (naming the split) when the extraction cannot support the plan.
    """
    started = time.perf_counter()
    last_event = extraction_last_event(extraction)
    if last_event is None:
        raise ValueError(f"the extraction in {extraction.directory} records no event")
    plan = plan_training(enrolled_outcomes(extraction), last_event, config, as_of)
    dates = plan.dates
    logger.info("building snapshots for %d as-of dates", len(dates))
    progress.stage("snapshots", total=len(dates))
    snapshots = training_snapshots(extraction, dates, config, progress.advance)
    return PreparedData(snapshots, plan.selection, plan.plans, plan.final, plan.kfold_years,
                        time.perf_counter() - started)  # fmt: skip


def training_snapshots(
    extraction: Extraction,
    dates: Sequence[dt.date],
    config: TrainConfig,
    progress: Callable[[int], None] | None = None,
    last_event: dt.date | None = None,
) -> pd.DataFrame:
    """The snapshots of `extraction` at `dates` (`training.snapshots.build_snapshots`, labels
    censored after `last_event`, default the extraction's own), each row flagged when its
    student was interviewed."""
    snapshots = build_snapshots(extraction, dates, progress, last_event)
    # Who was interviewed (the optional `interviews` table): a flag beside the features, never
    # a model input; `config.interviewed` says what the fits do with the flagged rows.
    return mark_interviewed(
        snapshots, read_interviews(extraction), horizon_days=HORIZON_WEEKS * 7,
        lookback_days=config.interviewed.lookback_days,
    )  # fmt: skip


@dataclass(frozen=True, eq=False)
class TrainingPlan:
    """Which rows each model needs, decided from outcomes before any feature is built: the
    date selection, the temporal plans (or the k-fold years), the final plan and every as-of
    date to build."""

    selection: DateSelection
    plans: tuple[SplitPlan, ...]
    final: SplitPlan | None
    kfold_years: tuple[str, ...]
    dates: list[dt.date]


def plan_training(
    outcomes: pd.DataFrame,
    last_event: dt.date,
    config: TrainConfig,
    as_of: Sequence[dt.date] | None = None,
) -> TrainingPlan:
    """The plan of a training on `outcomes` (`training.snapshots.enrolled_outcomes`) of an
    extraction whose last event is `last_event`. Raises ValueError (naming the split) when
    the outcomes cannot support it."""
    selection = DateSelection(
        cadence=config.cadence,
        test_cadence=config.test_cadence,
        last_event=last_event,
        explicit=frozenset(as_of) if as_of else None,
    )
    cv = config.cv_spec
    if cv.kind == "kfold":
        years = tuple(kfold_years(outcomes, config.min_outcome_coverage))
        plans: tuple[SplitPlan, ...] = ()
        final = None
        roles = [(year, "test") for year in years]
    else:
        years = ()
        plans = plan_splits(outcomes, cv, config.min_outcome_coverage)
        final = (
            final_plan(outcomes, last_event, config.min_outcome_coverage)
            if config.final_model == "refit"
            else None
        )
        roles = plan_roles([*plans, *([final] if final else [])])
    dates = selection.all_dates(roles)
    if not dates:
        raise ValueError("no as-of date falls in the school years the splits need")
    return TrainingPlan(selection, plans, final, years, dates)


def evaluation_folds(prepared: PreparedData, config: TrainConfig) -> Iterable[Fold]:
    """The folds to evaluate. Temporal folds are all built first, so that a bad split fails
    before any fitting; k-fold folds come one at a time (their arguments are checked first)."""
    if prepared.kfold_years:
        return kfold_folds(prepared.snapshots, prepared.kfold_years, config.cv_spec,
                           prepared.selection, config.seed)  # fmt: skip
    return [plan_fold(prepared.snapshots, plan, prepared.selection) for plan in prepared.plans]


def final_fold(prepared: PreparedData) -> Fold | None:
    if prepared.kfold_years:
        return training_rows(prepared.snapshots, prepared.kfold_years, prepared.selection)
    if prepared.final is None:
        return None
    return plan_fold(prepared.snapshots, prepared.final, prepared.selection)


def train_and_evaluate(
    prepared: PreparedData, config: TrainConfig, progress: Progress = SILENT
) -> TrainingResult:
    """Fit and score every split, compare all models on the pooled tested rows, then fit the
    final model (refitted on every consolidated year, or the last split's)."""
    timings = {"prepare_seconds": prepared.seconds}
    started = time.perf_counter()
    folds = evaluation_folds(prepared, config)
    final_rows = final_fold(prepared)
    scored, descriptions = [], []
    last_fitted = None
    progress.stage("folds", total=_fold_count(prepared, folds, config))
    for fold in folds:
        logger.info("fitting split %s on %d rows", fold.name, len(fold.train))
        last_fitted = fit_fold(fold, config)
        scored.append(with_replay_baselines(score_fold(last_fitted), fold))
        descriptions.append(_describe(fold))
        progress.advance()
    predictions = pd.concat(scored, ignore_index=True)
    timings["fit_and_score_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    progress.stage("compare")
    comparison, lift, per_split = evaluation_tables(predictions, config)
    timings["evaluate_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    progress.stage("final_fit")
    if final_rows is not None:
        final_model = fit_risk_model(final_rows, config)
    else:
        assert last_fitted is not None  # plan_splits yields at least one split
        final_model, final_rows = last_fitted.risk_model, last_fitted.fold
    timings["final_fit_seconds"] = time.perf_counter() - started
    descriptions.append(_describe(final_rows))
    evaluated = None if prepared.kfold_years or last_fitted is None else last_fitted
    return TrainingResult(
        predictions, comparison, lift, per_split, final_model, final_rows, descriptions, timings,
        evaluated_model_hash=evaluated.risk_model.model_hash_ if evaluated else None,
        evaluated_split=evaluated.fold.name if evaluated else None,
    )  # fmt: skip


def _fold_count(prepared: PreparedData, folds: Iterable[Fold], config: TrainConfig) -> int:
    """How many folds `evaluation_folds` gives (k-fold's come one at a time)."""
    if prepared.kfold_years:
        return config.cv_spec.n_splits * config.cv_spec.n_repeats
    return len(list(folds))


def _describe(fold: Fold) -> dict[str, str]:
    calibration = "cross-fitted" if fold.calibration is None else str(len(fold.calibration))
    return {
        "split": fold.name,
        **fold.description,
        "train_rows": str(len(fold.train)),
        "calibration_rows": calibration,
        "test_rows": str(len(fold.test)) if fold.test is not None else "0",
    }

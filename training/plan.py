"""Which school years train, calibrate and test each model: decided from outcomes, before
any feature is built.

A school year can train a model cut off at a date only when its outcomes were known by then:
outcomes of students who stayed are consolidated in the autumn after the year (October in the
demo académie), while dropouts are known within weeks. Training on a year whose dropouts are
known but whose other outcomes are not would show the model mostly dropouts, so a year counts
only when at least `min_outcome_coverage` of its students have an outcome known before the
cut-off ("consolidated").

For a tested year Y (cut-off 1 September of Y, as in `training.splits`): with two or more
consolidated years before Y, the latest is the held-out calibration year and the others train
(a `TemporalSplit`, validated there); with one, it trains and the calibration is cross-fitted
within it, folds grouped by student. The final model is planned the same way at the
extraction's end. `kfold` plans use every labelled row of the extraction (a single school year
usually) with repeated grouped folds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from features.calendar import school_year_bounds, school_year_start
from training.splits import CVSpec, TemporalSplit, make_temporal_splits

__all__ = [
    "AnyPlan",
    "KFoldPlan",
    "SplitPlan",
    "consolidated_years",
    "final_plan",
    "kfold_years",
    "labelled_years",
    "plan_splits",
]


@dataclass(frozen=True)
class SplitPlan:
    """One model to fit: its training years, calibration and tested year.

    `calibration_year` None means cross-fitted calibration within the training rows;
    `test_year` None means the final model (nothing to test). `split` is the validated
    `TemporalSplit` when there is a calibration year.
    """

    name: str
    train_years: tuple[str, ...]
    calibration_year: str | None
    test_year: str | None
    cutoff: dt.date
    split: TemporalSplit | None = None

    @property
    def calibration_slice(self) -> str:
        return self.calibration_year or "cross-fitted within the training years"

    def describe(self) -> dict[str, str]:
        return {
            "train_years": ", ".join(self.train_years),
            "calibration": self.calibration_slice,
            "test_year": self.test_year or "-",
            "outcomes_known_before": self.cutoff.isoformat(),
        }

    # A temporal split is not a k-fold repeat (`KFoldPlan.repeat`).
    repeat = None

    def for_partition(self, name: str) -> SplitPlan:
        """The plan as the tasks of the académie `name` read it: the same for every one."""
        return self


@dataclass(frozen=True, eq=False)
class KFoldPlan:
    """One fold of a k-fold evaluation (`fold` 0-based, of `repeat`), or k-fold's final model
    on every row (`fold` None), as the tasks of a training on a partitioned extraction read
    it: the labelled rows of `years` at the test cadence, split by the fold of each (student
    id, label) unit of one académie in this repeat, drawn over every académie and written
    beside its snapshots (`folds_file`: `training.cluster_kfold`). Its rows are
    `training.folds.kfold_folds`' on one frame; the calibration is cross-fitted within the
    training rows, as there."""

    name: str
    years: tuple[str, ...]
    cv: str
    repeat: int | None = None
    fold: int | None = None
    folds_file: Path | None = None
    # Every académie's `folds_file`, held by the client (`for_partition` hands each its own).
    files: Mapping[str, Path] = field(default_factory=dict, repr=False)
    calibration_year: None = None

    @property
    def train_years(self) -> tuple[str, ...]:
        return self.years

    @property
    def test_year(self) -> str | None:
        return None if self.fold is None else f"{self.cv} folds by student"

    def describe(self) -> dict[str, str]:
        return {"train_years": ", ".join(self.years), "calibration": "cross-fitted",
                "test_year": self.test_year or "-"}  # fmt: skip

    def for_partition(self, name: str) -> KFoldPlan:
        """The fold as the tasks of the académie `name` read it: its own units' folds."""
        if self.fold is None:
            return self
        return replace(self, folds_file=self.files[name], files={})

    def fold_of(self) -> pd.Series:
        """The fold of each (student id, label) unit of the académie (`for_partition`'s)."""
        if self.folds_file is None:
            raise ValueError(f"split {self.name!r}: no fold assignment for these rows")
        units = pd.read_parquet(self.folds_file)
        return pd.Series(units["fold"].to_numpy(),
                         index=pd.MultiIndex.from_frame(units[["group", "label"]]))  # fmt: skip


# What the tasks of a training on a partitioned extraction read a model's rows from.
AnyPlan = SplitPlan | KFoldPlan


def labelled_years(outcomes: pd.DataFrame, min_coverage: float) -> list[str]:
    """School years (oldest first) where at least `min_coverage` of enrolled students have an
    outcome. `outcomes` is `training.snapshots.enrolled_outcomes`."""
    share = outcomes["dropped_out"].notna().groupby(outcomes["school_year"]).mean()
    return sorted((year for year, value in share.items() if value >= min_coverage),
                  key=school_year_start)  # fmt: skip


def consolidated_years(
    outcomes: pd.DataFrame, cutoff: dt.date, min_coverage: float
) -> list[str]:
    """School years ended before `cutoff` whose outcomes were known strictly before it for at
    least `min_coverage` of their students, oldest first."""
    known = outcomes["dropped_out"].notna() & (outcomes["known_on"] < pd.Timestamp(cutoff))
    share = known.groupby(outcomes["school_year"]).mean()
    return sorted(
        (year for year, value in share.items()
         if value >= min_coverage and school_year_bounds(str(year))[1] < cutoff),
        key=school_year_start,
    )  # fmt: skip


def plan_splits(
    outcomes: pd.DataFrame, cv: CVSpec, min_coverage: float
) -> tuple[SplitPlan, ...]:
    """The evaluation splits of a temporal or backtest `cv`, oldest tested year first.

    Raises ValueError naming the split when a tested year has no consolidated year before it.
    """
    if cv.kind == "kfold":
        raise ValueError("kfold evaluations are planned by plan_kfold_years, not by year splits")
    years = labelled_years(outcomes, min_coverage)
    if not years:
        raise ValueError(_no_labelled_years(outcomes, min_coverage))
    count = cv.backtest if cv.kind == "backtest" else 1
    if len(years) < count:
        raise ValueError(
            f"a backtest over {count} years needs {count} school years with outcomes, found "
            f"{len(years)}: {', '.join(years)}"
        )
    return tuple(
        _plan_at(f"test-{year}", outcomes, year, school_year_bounds(year)[0], min_coverage)
        for year in years[-count:]
    )


def final_plan(outcomes: pd.DataFrame, last_event: dt.date, min_coverage: float) -> SplitPlan:
    """The final (registered) model: trained on every year consolidated by the extraction."""
    return _plan_at("final", outcomes, None, last_event + dt.timedelta(days=1), min_coverage)


def _plan_at(
    name: str,
    outcomes: pd.DataFrame,
    test_year: str | None,
    cutoff: dt.date,
    min_coverage: float,
) -> SplitPlan:
    before = [
        year for year in consolidated_years(outcomes, cutoff, min_coverage)
        if test_year is None or school_year_start(year) < school_year_start(test_year)
    ]  # fmt: skip
    if not before:
        raise ValueError(_nothing_to_train(name, outcomes, cutoff, min_coverage, test_year))
    if len(before) == 1:
        return SplitPlan(name, tuple(before), None, test_year, cutoff)
    if test_year is None:
        return SplitPlan(name, tuple(before[:-1]), before[-1], None, cutoff)
    (split,) = make_temporal_splits([*before, test_year], test_years=[test_year])
    return SplitPlan(
        name, split.train_years, split.calibration_year, test_year, split.cutoff, split
    )


def _nothing_to_train(
    name: str,
    outcomes: pd.DataFrame,
    cutoff: dt.date,
    min_coverage: float,
    test_year: str | None,
) -> str:
    known = outcomes["dropped_out"].notna() & (outcomes["known_on"] < pd.Timestamp(cutoff))
    share = known.groupby(outcomes["school_year"]).mean()
    earlier = [
        f"{year}: {value:.0%}" for year, value in share.items()
        if test_year is None or school_year_start(str(year)) < school_year_start(test_year)
    ]  # fmt: skip
    return (
        f"split {name!r}: no school year has outcomes known before {cutoff} for at least "
        f"{min_coverage:.0%} of its students (known shares: {', '.join(earlier) or 'none'}); "
        "outcomes of students who stay are often recorded in the autumn after the year, so a "
        "tested year needs at least one complete school year before the previous one"
    )


def _no_labelled_years(outcomes: pd.DataFrame, min_coverage: float) -> str:
    share = outcomes["dropped_out"].notna().groupby(outcomes["school_year"]).mean()
    shown = ", ".join(f"{year}: {value:.0%}" for year, value in share.items()) or "none"
    return (
        f"no school year has an outcome for at least {min_coverage:.0%} of its students "
        f"(shares: {shown}); the outcomes table is needed to train"
    )


def kfold_years(outcomes: pd.DataFrame, min_coverage: float) -> Sequence[str]:
    """The labelled school years a kfold evaluation uses (raises when there is none)."""
    years = labelled_years(outcomes, min_coverage)
    if not years:
        raise ValueError(_no_labelled_years(outcomes, min_coverage))
    return years

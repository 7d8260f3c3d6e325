"""Temporal splits for training, calibration and testing, as validated objects.

A model of dropout is judged the way it will be used: trained on past school years, calibrated
on a later held-out slice, tested on a year it has never seen. Like dssg/triage's timechop, a
split is plain data that refuses to exist when its dates are out of order, so a bad split fails
before any training starts.

The cut-off rule. A split that tests school year Y has the cut-off 1 September of Y (the day Y
starts): training and calibration use only rows whose outcome was known strictly before it,
which is what a model retrained at the rentrée of Y could have known. The test year is
evaluated after the fact, on every row whose outcome is known, whenever it became known.

Single-year extractions have no past to train on; they use repeated grouped k-fold instead
(`training.splits_cv`, re-exported here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd

from features.calendar import school_year_bounds, school_year_start
from features.labels import LABEL, LABEL_KNOWN_ON
from training.splits_cv import CVSpec, parse_cv, repeated_grouped_stratified_kfold

__all__ = [
    "CVSpec",
    "SplitFrames",
    "TemporalSplit",
    "apply_split",
    "make_temporal_splits",
    "parse_cv",
    "repeated_grouped_stratified_kfold",
]


@dataclass(frozen=True)
class TemporalSplit:
    """One train / calibration / test split over school years.

    The calibration slice is either a whole school year held out after the training years
    (`calibration_year`, the default shape), or the last `calibration_weeks` as-of weeks of
    the last training year (for extractions with few years). The second is a weaker hold-out:
    the same students, with the same outcome, appear earlier in the training rows, so the
    calibration it gives tends to be over-confident. Exactly one of the two is set.

    `cutoff`: only outcomes known strictly before it are used for training and calibration;
    it must fall after the calibration period and no later than the first day of the test year.
    """

    name: str
    train_years: tuple[str, ...]
    test_year: str
    cutoff: dt.date
    calibration_year: str | None = None
    calibration_weeks: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.train_years, str):
            raise ValueError(f"split {self.name!r}: train_years must be a tuple of school years")
        object.__setattr__(self, "train_years", tuple(self.train_years))
        if isinstance(self.cutoff, dt.datetime):
            object.__setattr__(self, "cutoff", self.cutoff.date())
        problem = self._problem()
        if problem is not None:
            raise ValueError(f"split {self.name!r}: {problem}")

    def _problem(self) -> str | None:
        if not isinstance(self.name, str) or not self.name.strip():
            return "the split needs a non-empty name"
        if not self.train_years:
            return "no training years"
        years = [*self.train_years, self.test_year]
        if self.calibration_year is not None:
            years.append(self.calibration_year)
        for year in years:
            try:
                school_year_start(year)
            except (ValueError, AttributeError, TypeError):
                return f"school year {year!r} is not written YYYY-YYYY (e.g. 2024-2025)"
        starts = [school_year_start(year) for year in self.train_years]
        if starts != sorted(set(starts)):
            return f"training years {list(self.train_years)} are not in increasing order"
        if (self.calibration_year is None) == (self.calibration_weeks is None):
            return "set exactly one of calibration_year and calibration_weeks"
        last_train = self.train_years[-1]
        if self.calibration_year is not None:
            if school_year_start(self.calibration_year) <= school_year_start(last_train):
                return (
                    f"calibration year {self.calibration_year} is not after the last "
                    f"training year {last_train}"
                )
            calibration_end = school_year_bounds(self.calibration_year)[1]
        else:
            weeks = self.calibration_weeks
            if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
                return f"calibration_weeks must be a positive integer, not {weeks!r}"
            calibration_end = school_year_bounds(last_train)[1]
        if school_year_start(self.test_year) <= school_year_start(self.calibration_period_year):
            return (
                f"test year {self.test_year} is not after the calibration slice "
                f"{self.calibration_slice}"
            )
        if not isinstance(self.cutoff, dt.date):
            return f"cutoff {self.cutoff!r} is not a date"
        if self.cutoff <= calibration_end:
            return (
                f"cutoff {self.cutoff} is not after the end of the calibration slice "
                f"{self.calibration_slice} ({calibration_end})"
            )
        test_start = school_year_bounds(self.test_year)[0]
        if self.cutoff > test_start:
            return (
                f"cutoff {self.cutoff} is after the start of the test year {self.test_year} "
                f"({test_start}): outcomes of the test period would leak into training"
            )
        return None

    @property
    def calibration_period_year(self) -> str:
        """The school year the calibration rows come from."""
        return self.calibration_year or self.train_years[-1]

    @property
    def calibration_slice(self) -> str:
        """Human-readable calibration slice, e.g. `2024-2025` or `last 8 weeks of 2024-2025`."""
        if self.calibration_year is not None:
            return self.calibration_year
        return f"last {self.calibration_weeks} weeks of {self.train_years[-1]}"


class SplitFrames(NamedTuple):
    """The rows of one split; each frame keeps the index of the input frame."""

    train: pd.DataFrame
    calibration: pd.DataFrame
    test: pd.DataFrame


def make_temporal_splits(
    school_years_available: Iterable[str],
    test_years: Sequence[str] | None = None,
    backtest: int | None = None,
    calibration_weeks: int | None = None,
) -> tuple[TemporalSplit, ...]:
    """Rolling-origin splits, one per tested school year, oldest first.

    By default the latest available year is tested (pass only years whose outcomes are in the
    extraction). `backtest=N` tests each of the last N years; `test_years` names them. A split
    testing Y trains on every available year before Y except the latest, which is held out for
    calibration (or, with `calibration_weeks`, trains on all of them and calibrates on the last
    weeks of the latest); its cut-off is 1 September of Y.
    """
    years = sorted(set(school_years_available), key=_checked_start)
    if test_years is not None and backtest is not None:
        raise ValueError("give test_years or backtest, not both")
    needed_before = 2 if calibration_weeks is None else 1
    if backtest is not None:
        if isinstance(backtest, bool) or not isinstance(backtest, int) or backtest < 1:
            raise ValueError(f"backtest must be a positive number of years, not {backtest!r}")
        if len(years) < backtest + needed_before:
            raise ValueError(
                f"a backtest over {backtest} years needs at least {backtest + needed_before} "
                f"school years ({needed_before} before the earliest test year), got "
                f"{len(years)}: {', '.join(years) or 'none'}"
            )
        targets = years[-backtest:]
    elif test_years is not None:
        unknown = [year for year in test_years if year not in years]
        if unknown:
            raise ValueError(f"test years {unknown} are not among the available years {years}")
        if len(set(test_years)) != len(test_years) or not test_years:
            raise ValueError(f"test years {list(test_years)} must be distinct and non-empty")
        targets = sorted(test_years, key=school_year_start)
    else:
        if not years:
            raise ValueError("no school years available")
        targets = years[-1:]
    splits = []
    for test_year in targets:
        earlier = [year for year in years if school_year_start(year) < school_year_start(test_year)]
        if len(earlier) < needed_before:
            raise ValueError(
                f"split 'test-{test_year}': needs {needed_before} earlier school year(s) to "
                f"train{' and calibrate' if needed_before == 2 else ''}, has "
                f"{len(earlier)} ({', '.join(earlier) or 'none'})"
            )
        cutoff = school_year_bounds(test_year)[0]
        if calibration_weeks is None:
            split = TemporalSplit(
                f"test-{test_year}", tuple(earlier[:-1]), test_year, cutoff,
                calibration_year=earlier[-1],
            )  # fmt: skip
        else:
            split = TemporalSplit(
                f"test-{test_year}", tuple(earlier), test_year, cutoff,
                calibration_weeks=calibration_weeks,
            )  # fmt: skip
        splits.append(split)
    return tuple(splits)


def apply_split(
    frame: pd.DataFrame,
    split: TemporalSplit,
    *,
    label_column: str = LABEL,
    known_on_column: str = LABEL_KNOWN_ON,
) -> SplitFrames:
    """The training, calibration and test rows of `frame` for `split`.

    The label is the fixed-horizon `label` of `features.labels` by default (censored rows,
    NaN, are in no part: they are counted apart, never as negatives).

    Training and calibration keep rows with a label and a `known_on` date strictly before the
    cut-off (a label without a date cannot be shown to predate it, so it is dropped). The test
    keeps every row of the test year with a label. With `calibration_weeks`, the calibration
    weeks are the last distinct as-of dates among the usable rows of the last training year,
    and training keeps the rows before them. Raises ValueError naming the split when a part is
    empty.
    """
    needed = ["school_year", "as_of", label_column, known_on_column]
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        raise ValueError(f"split {split.name!r}: the frame has no column(s) {missing}")
    labelled = frame[label_column].notna()
    known_on = pd.to_datetime(frame[known_on_column])
    usable = labelled & known_on.notna() & (known_on < pd.Timestamp(split.cutoff))
    year = frame["school_year"]
    train_mask = usable & year.isin(split.train_years)
    if split.calibration_year is not None:
        calibration_mask = usable & (year == split.calibration_year)
    else:
        last_year = usable & (year == split.train_years[-1])
        as_of = pd.to_datetime(frame["as_of"])
        weeks = as_of[last_year].drop_duplicates().sort_values()
        calibration_dates = weeks.iloc[-(split.calibration_weeks or 0) :]
        calibration_mask = last_year & as_of.isin(calibration_dates)
        if len(calibration_dates):
            train_mask &= as_of < calibration_dates.iloc[0]
    test_mask = labelled & (year == split.test_year)
    before = f"with an outcome known before {split.cutoff}"
    train_years = ", ".join(split.train_years)
    for mask, what in (
        (train_mask, f"training years {train_years} have no rows {before}"),
        (calibration_mask, f"calibration slice {split.calibration_slice} has no rows {before}"),
        (test_mask, f"test year {split.test_year} has no rows with a known outcome"),
    ):
        if not mask.any():
            raise ValueError(f"split {split.name!r}: {what}")
    return SplitFrames(frame[train_mask], frame[calibration_mask], frame[test_mask])


def _checked_start(school_year: str) -> int:
    try:
        return school_year_start(school_year)
    except (ValueError, AttributeError, TypeError) as error:
        raise ValueError(f"available school year {school_year!r}: {error}") from error

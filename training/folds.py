"""From plans to rows: which as-of dates to build, and the rows each model trains and is tested on.

Training and calibration rows are taken at `cadence` (monthly by default: consecutive weeks
of one student are nearly the same row), tested rows at `test_cadence` (weekly by default:
lists are weekly, and lead time and list stability are measured week to week). Monthly Mondays
are a subset of weekly ones, so one feature build at the finest cadence serves every role.
Explicit `--as-of` dates replace both cadences.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import pandas as pd

from features.calendar import school_year_of
from features.labels import LABEL as HORIZON_LABEL
from features.labels import LABEL_KNOWN_ON
from training.plan import AnyPlan, KFoldPlan, SplitPlan
from training.snapshots import Cadence, snapshot_dates
from training.splits import CVSpec, repeated_grouped_stratified_kfold

__all__ = [
    "DateSelection",
    "Fold",
    "fold_parts",
    "kfold_folds",
    "kfold_units",
    "plan_fold",
    "plan_roles",
    "training_rows",
]

# The training target: leaving without a qualification within a fixed horizon (26 weeks),
# NaN on censored rows, which are thus left out of every fold (`features.labels`).
LABEL = HORIZON_LABEL
KNOWN_ON = LABEL_KNOWN_ON


@dataclass(frozen=True)
class DateSelection:
    """The as-of dates of each role: cadences up to `last_event`, or explicit dates."""

    cadence: Cadence = "monthly"
    test_cadence: Cadence = "weekly"
    last_event: dt.date | None = None
    explicit: frozenset[dt.date] | None = None

    def dates(self, school_year: str, role: str) -> list[dt.date]:
        """As-of dates of `school_year` for `role` (`train` or `test`)."""
        if self.explicit is not None:
            return sorted(day for day in self.explicit if _in_year(day, school_year))
        cadence = self.test_cadence if role == "test" else self.cadence
        return snapshot_dates(school_year, cadence, self.last_event)

    def all_dates(self, roles: Iterable[tuple[str, str]]) -> list[dt.date]:
        """The union of dates for (school_year, role) pairs: what to build features for."""
        return sorted({day for year, role in roles for day in self.dates(year, role)})

    def select(self, frame: pd.DataFrame, school_years: Sequence[str], role: str) -> pd.Series:
        """Boolean mask of the rows of `school_years` at this role's dates."""
        wanted = {pd.Timestamp(d) for year in school_years for d in self.dates(year, role)}
        return frame["school_year"].isin(list(school_years)) & frame["as_of"].isin(wanted)


@dataclass(frozen=True, eq=False)
class Fold:
    """The rows of one model fit: training, calibration (None: cross-fitted) and test (None
    for the final model)."""

    name: str
    train: pd.DataFrame
    calibration: pd.DataFrame | None
    test: pd.DataFrame | None
    description: dict[str, str] = field(default_factory=dict)
    repeat: int | None = None


def plan_roles(plans: Iterable[SplitPlan]) -> list[tuple[str, str]]:
    """(school_year, role) pairs the plans need."""
    roles = []
    for plan in plans:
        roles += [(year, "train") for year in plan.train_years]
        if plan.calibration_year:
            roles.append((plan.calibration_year, "train"))
        if plan.test_year:
            roles.append((plan.test_year, "test"))
    return roles


def plan_fold(frame: pd.DataFrame, plan: SplitPlan, selection: DateSelection) -> Fold:
    """The rows of `plan`: training and calibration rows with an outcome known before the
    cut-off, at the training cadence; every labelled row of the tested year at the test
    cadence (the filter of `training.splits.apply_split`, with cadences and a cross-fitted
    calibration). Raises ValueError naming the split when a part is empty or has one class."""
    train, calibration, test = fold_parts(frame, plan, selection)
    parts = {"training rows": train, "calibration rows": calibration}
    if plan.test_year:
        parts["test rows"] = test
    for what, rows in parts.items():
        _check_rows(plan.name, what, rows, need_both=what != "test rows")
    return Fold(plan.name, train, calibration, test if plan.test_year else None, plan.describe())


def fold_parts(
    frame: pd.DataFrame, plan: AnyPlan, selection: DateSelection
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame]:
    """The training, calibration (None: cross-fitted) and test rows of `plan` in `frame`,
    unchecked (`plan_fold` checks them; an académie of a partitioned extraction may hold none
    of a part, the whole extraction is checked)."""
    if isinstance(plan, KFoldPlan):
        return _kfold_parts(frame, plan, selection)
    years = [*plan.train_years, *([plan.calibration_year] if plan.calibration_year else [])]
    train_mask = selection.select(frame, years, "train")
    test_mask = (
        selection.select(frame, [plan.test_year], "test")
        if plan.test_year
        else pd.Series(False, index=frame.index)
    )
    labelled = frame[LABEL].notna()
    known = labelled & (frame[KNOWN_ON] < pd.Timestamp(plan.cutoff))
    year = frame["school_year"]
    train = frame[known & train_mask & year.isin(plan.train_years)]
    calibration = (
        frame[known & train_mask & (year == plan.calibration_year)]
        if plan.calibration_year
        else None
    )
    test = frame[labelled & test_mask]
    return train, calibration, test


def _kfold_parts(
    frame: pd.DataFrame, plan: KFoldPlan, selection: DateSelection
) -> tuple[pd.DataFrame, None, pd.DataFrame]:
    rows = _kfold_rows(frame, plan.years, selection)
    if plan.fold is None:
        return rows, None, rows.iloc[:0]
    units = pd.MultiIndex.from_arrays(
        [rows["student_id"].astype(str).to_numpy(), rows[LABEL].to_numpy().astype(bool)]
    )
    in_test = (plan.fold_of().reindex(units) == plan.fold).to_numpy()
    return rows[~in_test], None, rows[in_test]


def _kfold_rows(
    frame: pd.DataFrame, years: Sequence[str], selection: DateSelection
) -> pd.DataFrame:
    """The rows a k-fold evaluation splits: the labelled rows of `years` at the test cadence."""
    return frame[selection.select(frame, years, "test") & frame[LABEL].notna()]


def kfold_units(
    frame: pd.DataFrame, years: Sequence[str], selection: DateSelection
) -> pd.DataFrame:
    """The (student id, label) units of `frame`'s k-fold rows, in the order of their first row
    (what `training.splits.repeated_grouped_stratified_kfold` stratifies): one académie's part
    of a k-fold evaluation on a partitioned extraction (a task)."""
    rows = _kfold_rows(frame, years, selection)
    units = pd.DataFrame({"group": rows["student_id"].astype(str).to_numpy(),
                          "label": rows[LABEL].to_numpy().astype(bool)})  # fmt: skip
    return units.drop_duplicates().reset_index(drop=True)


def kfold_folds(
    frame: pd.DataFrame, years: Sequence[str], cv: CVSpec, selection: DateSelection, seed: int
) -> Iterator[Fold]:
    """Repeated grouped stratified folds over the labelled rows of `years` (test cadence)."""
    rows = _kfold_rows(frame, years, selection)
    if rows.empty:
        raise ValueError(f"no labelled rows in {', '.join(years)} for a k-fold evaluation")
    folds = repeated_grouped_stratified_kfold(
        rows, cv.n_splits, cv.n_repeats, seed, group_column="student_id", label_column=LABEL
    )
    description = {"train_years": ", ".join(years), "calibration": "cross-fitted",
                   "test_year": f"{cv} folds by student"}  # fmt: skip
    for name, train, test in folds:
        repeat = int(name.split("-")[1])
        yield Fold(name, rows.iloc[train], None, rows.iloc[test], description, repeat)


def training_rows(frame: pd.DataFrame, years: Sequence[str], selection: DateSelection) -> Fold:
    """Every labelled row of `years` at the test cadence, as one training fold (k-fold's final
    model)."""
    rows = _kfold_rows(frame, years, selection)
    _check_rows("final", "training rows", rows, need_both=True)
    description = {"train_years": ", ".join(years), "calibration": "cross-fitted",
                   "test_year": "-"}  # fmt: skip
    return Fold("final", rows, None, None, description)


def _check_rows(split: str, what: str, rows: pd.DataFrame | None, need_both: bool) -> None:
    if rows is None:
        return
    if rows.empty:
        raise ValueError(f"split {split!r}: no {what} (check the as-of dates and the outcomes)")
    if need_both and rows[LABEL].nunique() < 2:
        raise ValueError(
            f"split {split!r}: the {what} hold a single outcome; both dropouts and "
            "non-dropouts are needed"
        )


def _in_year(day: dt.date, school_year: str) -> bool:
    return school_year_of(day) == school_year

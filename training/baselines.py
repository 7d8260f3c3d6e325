"""Baselines the model must beat: the rules schools use today, and a logistic regression.

The rules flag students; to be compared at equal list length they also rank them: first by the
number of flags raised, then by unjustified absences (year to date), then by the rule's own
tie-breakers. Their score is that order as one number (higher is riskier); it is not a
probability, so Brier, log loss and calibration are not reported for them.

- Absentéisme rule (DEPP): 4 or more unjustified half-days in a month, read as the last four
  weeks (`unjustified_absences_4w >= 4`); among flagged and unflagged students, more months of
  absentéisme this year, then more unjustified half-days, rank higher.
- ABC-style rule (Attendance, Behaviour, Course performance; behaviour is not recorded): one
  flag each for an attendance rate under 90 % this year (justified plus unjustified absence
  rate over 10 %), a period mean under 10/20 (current or previous period), a failed exam
  (any exam, mock exams included, any year).

The logistic regression sees the same catalog features as LightGBM: numeric ones imputed by the
median (with missing indicators) and standardised, categorical ones one-hot encoded over the
fixed categories of the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from features.catalog import ABSENTEEISM_THRESHOLD, CATEGORIES, categorical_features
from features.catalog import numeric_features as catalog_numeric_features

__all__ = [
    "ABC_ATTENDANCE_RATE",
    "ABC_PERIOD_MEAN",
    "RULE_BASELINES",
    "abc_flags",
    "abc_rule_score",
    "absenteeism_flags",
    "absenteeism_rule_score",
    "lexicographic_score",
    "logistic_baseline",
]

ABC_ATTENDANCE_RATE = 0.90  # attendance under 90 % of class half-days
ABC_PERIOD_MEAN = 10.0  # a period mean under 10/20


def lexicographic_score(keys: Mapping[str, pd.Series]) -> pd.Series:
    """One float per row ordering rows by the keys in turn (each descending, NaN lowest).

    Equal key tuples get equal scores, so ties stay ties (lists break them by student id).
    """
    frame = pd.DataFrame({name: values.astype("float64") for name, values in keys.items()})
    filled = frame.fillna(-np.inf)
    order = list(frame.columns)
    ranks = filled.sort_values(order, kind="stable").drop_duplicates()
    ranks["score"] = np.arange(len(ranks), dtype="float64")
    merged = filled.merge(ranks, on=order, how="left")
    return pd.Series(merged["score"].to_numpy(), index=frame.index, name="score")


def absenteeism_flags(features: pd.DataFrame) -> pd.DataFrame:
    """The absentéisme rule's single flag, as a one-column frame."""
    return pd.DataFrame(
        {"absenteeism": features["unjustified_absences_4w"] >= ABSENTEEISM_THRESHOLD}
    )


def absenteeism_rule_score(features: pd.DataFrame) -> pd.Series:
    """Rank by the flag, then months of absentéisme this year, then unjustified half-days."""
    flags = absenteeism_flags(features)
    return lexicographic_score({
        "flags": flags.sum(axis=1),
        "months": features["absenteeism_months_ytd"],
        "unjustified": features["unjustified_absences_ytd"],
        "recent": features["unjustified_absences_4w"],
    })  # fmt: skip


def abc_flags(features: pd.DataFrame) -> pd.DataFrame:
    """The ABC rule's three flags (attendance, course performance, exams), one column each."""
    absence_rate = features["unjustified_absence_rate_ytd"].fillna(0) + features[
        "justified_absence_rate_ytd"
    ].fillna(0)
    low_mean = (features["grade_mean_current_period"] < ABC_PERIOD_MEAN) | (
        features["grade_mean_previous_period"] < ABC_PERIOD_MEAN
    )
    return pd.DataFrame({
        "attendance": absence_rate > 1 - ABC_ATTENDANCE_RATE,
        "course": low_mean,
        "exam": features["failed_exams"].fillna(0) > 0,
    })  # fmt: skip


def abc_rule_score(features: pd.DataFrame) -> pd.Series:
    """Rank by the number of ABC flags, then unjustified half-days this year."""
    flags = abc_flags(features)
    return lexicographic_score({
        "flags": flags.sum(axis=1),
        "unjustified": features["unjustified_absences_ytd"],
        "absence_rate": features["unjustified_absence_rate_ytd"]
        + features["justified_absence_rate_ytd"],
    })  # fmt: skip


RULE_BASELINES = {
    "rule_absenteeism": absenteeism_rule_score,
    "rule_abc": abc_rule_score,
}
"""Name in the comparison table -> scoring function of a feature frame."""


def logistic_baseline(C: float = 1.0, max_iter: int = 2000, seed: int = 0) -> Pipeline:
    """An unfitted logistic-regression pipeline over the catalog features."""
    numeric = list(catalog_numeric_features())
    categorical = list(categorical_features())
    numeric_steps = Pipeline([
        ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
        ("scale", StandardScaler()),
    ])  # fmt: skip
    preprocess = ColumnTransformer(
        [
            ("numeric", numeric_steps, numeric),
            (
                "categorical",
                OneHotEncoder(
                    categories=[list(CATEGORIES[name]) for name in categorical],
                    handle_unknown="ignore",
                    sparse_output=False,
                ),
                categorical,
            ),
        ],
        remainder="drop",
    )
    # Newton steps: a few iterations on ~90 columns, where lbfgs needs dozens.
    model = LogisticRegression(C=C, solver="newton-cholesky", max_iter=max_iter, random_state=seed)
    return Pipeline([("preprocess", preprocess), ("model", model)])

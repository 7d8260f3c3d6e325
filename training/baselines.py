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

Weaker and simpler baselines, scored beside the others for the replay of the school year
(`training.replay`; the student-week comparison table keeps the models above):

- Level prior (`level_prior`): each level's dropout rate in the training rows of the split
  (fitted on train only; a level unseen in training gets the overall training rate). It knows
  nothing of the student: what the level alone says.
- Recent unjustified absences (`absences_2w`, `absences_4w`): unjustified half-days over the
  last 2 (or 4) weeks; ties by unjustified half-days this year.
- Hand-weighted score (`hand_weighted`), weights set a priori, never fitted: one point per 4
  unjustified half-days over the last 4 weeks (the absentéisme threshold; at most 3 points, so
  absence alone cannot outweigh everything else), one point for a period mean under 10/20
  (current period, or the previous one when the current has no mark yet), one more under
  8/20, one point for a failed exam, plus the level's training dropout rate over the overall
  training rate (an average level adds 1, a level twice as risky adds 2: as much as a failed
  exam and a low mean together). The points mirror what a CPE reads on a file: recent
  absences, marks, exams, level.
- Ceiling (`ceiling_latent`, synthetic académies only): the generator's own latent risk of
  each student-year used as a ranking, read from `<extraction>/_synth/latent.parquet` when the
  generator writes one (columns student_id, school_year, latent_risk, and optionally as_of).
  `vigie synth` writes it per class-week Monday: the student-year's dropout probability plus
  the week's disengagement intensity (`features.synth.latent_file`), what the generator knew
  on that week without the future. It is a ceiling, never a baseline to beat (the gain gate of
  `training.promote` leaves it out).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

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
    "HAND_WEIGHTS",
    "LATENT_FILE",
    "REPLAY_BASELINES",
    "RULE_BASELINES",
    "LevelPrior",
    "abc_flags",
    "abc_rule_score",
    "absenteeism_flags",
    "absenteeism_rule_score",
    "hand_weighted_score",
    "latent_ceiling_score",
    "lexicographic_score",
    "logistic_baseline",
    "read_latent_risk",
    "recent_absences_score",
    "replay_baseline_scores",
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


LABEL_COLUMN = "label_dropped_out"
LATENT_FILE = Path("_synth") / "latent.parquet"
REPLAY_BASELINES: tuple[str, ...] = (
    "level_prior",
    "absences_2w",
    "absences_4w",
    "hand_weighted",
)
"""Baselines scored for the replay only (not in the student-week comparison table)."""
CEILING = "ceiling_latent"

HAND_WEIGHTS: dict[str, float] = {
    "per_4_unjustified_half_days_4w": 1.0,
    "max_absence_points": 3.0,
    "period_mean_under_10": 1.0,
    "period_mean_under_8": 1.0,
    "failed_exam": 1.0,
    "level_relative_rate": 1.0,
}
"""The hand-weighted score's weights, set a priori (see the module docstring)."""


class LevelPrior:
    """Each level's dropout rate in the training rows; unseen levels get the overall rate."""

    def __init__(self) -> None:
        self.rates_: dict[str, float] = {}
        self.overall_: float = float("nan")

    def fit(self, train: pd.DataFrame, label: str = LABEL_COLUMN) -> LevelPrior:
        outcome = train[label].astype("float64")
        if outcome.isna().any():
            raise ValueError("level prior: the training labels have missing values")
        if len(outcome) == 0:
            raise ValueError("level prior: no training row")
        self.overall_ = float(outcome.mean())
        levels = train["level"].astype("string").fillna("")
        means = outcome.groupby(levels.to_numpy()).mean()
        self.rates_ = {str(level): float(rate) for level, rate in means.items()}
        return self

    def score(self, features: pd.DataFrame) -> pd.Series:
        levels = features["level"].astype("string").fillna("")
        rates = levels.map(self.rates_).astype("float64").fillna(self.overall_)
        return pd.Series(rates.to_numpy(), index=features.index, name="level_prior")


def recent_absences_score(features: pd.DataFrame, weeks: int) -> pd.Series:
    """Unjustified half-days over the last `weeks` weeks (2 or 4), ties by this year's."""
    return lexicographic_score({
        "recent": features[f"unjustified_absences_{weeks}w"].fillna(0),
        "year": features["unjustified_absences_ytd"].fillna(0),
    })  # fmt: skip


def hand_weighted_score(features: pd.DataFrame, prior: LevelPrior) -> pd.Series:
    """The a-priori points of `HAND_WEIGHTS` (higher is riskier; not a probability)."""
    w = HAND_WEIGHTS
    absences = features["unjustified_absences_4w"].fillna(0) / ABSENTEEISM_THRESHOLD
    points = w["per_4_unjustified_half_days_4w"] * absences.clip(upper=w["max_absence_points"])
    mean = features["grade_mean_current_period"].fillna(features["grade_mean_previous_period"])
    points += w["period_mean_under_10"] * (mean < 10).astype("float64")
    points += w["period_mean_under_8"] * (mean < 8).astype("float64")
    points += w["failed_exam"] * (features["failed_exams"].fillna(0) > 0).astype("float64")
    relative = prior.score(features) / prior.overall_ if prior.overall_ > 0 else 0.0
    points += w["level_relative_rate"] * relative
    return pd.Series(points.to_numpy(dtype="float64"), index=features.index, name="hand_weighted")


def read_latent_risk(directory: str | Path) -> pd.DataFrame | None:
    """The generator's latent risk (`LATENT_FILE` under the extraction), or None when absent."""
    path = Path(directory) / LATENT_FILE
    if not path.is_file():
        return None
    latent = pd.read_parquet(path)
    keys = ["student_id", "school_year", *(["as_of"] if "as_of" in latent.columns else [])]
    missing = [c for c in [*keys, "latent_risk"] if c not in latent.columns]
    if missing:
        raise ValueError(f"{path}: no column(s) {missing}")
    latent = latent.loc[:, [*keys, "latent_risk"]]
    for column in ("student_id", "school_year"):
        latent[column] = latent[column].astype("str")
    if "as_of" in latent.columns:
        latent["as_of"] = pd.to_datetime(latent["as_of"]).astype("datetime64[us]")
    return latent


def latent_ceiling_score(frame: pd.DataFrame, latent: pd.DataFrame) -> pd.Series:
    """The latent risk of each row's student-year (or student-week when `latent` has as_of);
    a row without one gets the lowest score (NaN would break the lists)."""
    keys = [c for c in ("student_id", "school_year", "as_of") if c in latent.columns]
    left = frame.loc[:, keys].copy()
    for column in ("student_id", "school_year"):
        left[column] = left[column].astype("str")
    if "as_of" in keys:
        left["as_of"] = pd.to_datetime(left["as_of"]).astype("datetime64[us]")
    merged = left.merge(latent, on=keys, how="left", validate="m:1")
    values = merged["latent_risk"].astype("float64")
    floor = float(values.min()) - 1.0 if values.notna().any() else 0.0
    return pd.Series(values.fillna(floor).to_numpy(), index=frame.index, name=CEILING)


def replay_baseline_scores(
    train: pd.DataFrame,
    test: pd.DataFrame,
    latent: pd.DataFrame | None = None,
    label: str = LABEL_COLUMN,
    prior: LevelPrior | None = None,
) -> pd.DataFrame:
    """The replay-only baselines of one split: level prior fitted on `train` (outcome column
    `label`: the training target; or `prior`, fitted on every académie's training rows when
    `train` holds one académie's), scored on `test` with the others (and the ceiling when
    `latent` is given). One column per baseline."""
    prior = prior or LevelPrior().fit(train, label)
    scores = pd.DataFrame({
        "level_prior": prior.score(test),
        "absences_2w": recent_absences_score(test, 2),
        "absences_4w": recent_absences_score(test, 4),
        "hand_weighted": hand_weighted_score(test, prior),
    }, index=test.index)  # fmt: skip
    if latent is not None:
        scores[CEILING] = latent_ceiling_score(test, latent)
    return scores.astype("float64")

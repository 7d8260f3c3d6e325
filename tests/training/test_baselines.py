"""Rule baselines, hand-checked on tiny frames, and the logistic baseline on catalog features."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from features.catalog import CATEGORIES, feature_names
from training.baselines import (
    abc_flags,
    abc_rule_score,
    absenteeism_flags,
    absenteeism_rule_score,
    lexicographic_score,
    logistic_baseline,
)

NAN = math.nan


def _frame(**columns: list[float]) -> pd.DataFrame:
    """A feature frame of len(columns) rows: every catalog feature 0 (categorical: first
    level) unless given."""
    rows = len(next(iter(columns.values())))
    frame = pd.DataFrame({name: [0.0] * rows for name in feature_names()})
    for name, levels in CATEGORIES.items():
        frame[name] = [levels[0]] * rows
    for name, values in columns.items():
        frame[name] = values
    return frame


def test_absenteeism_flag_starts_at_four_unjustified_half_days_in_four_weeks() -> None:
    frame = _frame(unjustified_absences_4w=[3.0, 4.0, 9.0, 0.0])
    assert absenteeism_flags(frame)["absenteeism"].tolist() == [False, True, True, False]


def test_absenteeism_ranks_by_flag_then_months_then_unjustified_half_days() -> None:
    frame = _frame(
        unjustified_absences_4w=[4.0, 5.0, 3.0, 3.0, 0.0],
        absenteeism_months_ytd=[1.0, 0.0, 3.0, 0.0, 0.0],
        unjustified_absences_ytd=[4.0, 30.0, 40.0, 12.0, 0.0],
    )
    score = absenteeism_rule_score(frame)
    # Flagged first (rows 0, 1; row 0 has a month of absentéisme), then unflagged by months
    # (row 2), then by unjustified half-days (row 3 before row 4).
    assert list(score.sort_values(ascending=False).index) == [0, 1, 2, 3, 4]


def test_abc_flags_are_hand_checked() -> None:
    frame = _frame(
        unjustified_absence_rate_ytd=[0.06, 0.04, 0.0, 0.0, NAN],
        justified_absence_rate_ytd=[0.05, 0.05, 0.0, 0.0, NAN],
        grade_mean_current_period=[12.0, 10.0, 9.99, NAN, NAN],
        grade_mean_previous_period=[NAN, 11.0, 14.0, 9.0, NAN],
        failed_exams=[0.0, 0.0, 0.0, 1.0, NAN],
    )
    flags = abc_flags(frame)
    # Attendance under 90 %: 11 % absent yes, 9 % no; missing rates count as present.
    assert flags["attendance"].tolist() == [True, False, False, False, False]
    # A period mean under 10/20 (10 itself is not under); missing means raise no flag.
    assert flags["course"].tolist() == [False, False, True, True, False]
    assert flags["exam"].tolist() == [False, False, False, True, False]


def test_abc_ranks_by_number_of_flags_then_unjustified_half_days() -> None:
    frame = _frame(
        unjustified_absence_rate_ytd=[0.2, 0.0, 0.0, 0.0],
        grade_mean_current_period=[8.0, 8.0, 15.0, 15.0],
        failed_exams=[0.0, 1.0, 0.0, 0.0],
        unjustified_absences_ytd=[20.0, 0.0, 5.0, 1.0],
    )
    score = abc_rule_score(frame)
    # Rows 0 and 1 have two flags each; row 0 has more unjustified half-days.
    assert list(score.sort_values(ascending=False).index) == [0, 1, 2, 3]


def test_lexicographic_score_keeps_ties_and_puts_missing_last() -> None:
    keys = {"a": pd.Series([1.0, 1.0, 2.0, NAN]), "b": pd.Series([5.0, 5.0, 0.0, 9.0])}
    score = lexicographic_score(keys)
    assert score[0] == score[1]
    assert score[2] > score[0] > score[3]


def test_logistic_baseline_handles_missing_values_and_fixed_categories() -> None:
    rng = np.random.default_rng(0)
    frame = _frame(unjustified_absences_ytd=list(rng.poisson(3, 200).astype(float)))
    frame.loc[::7, "grade_mean_ytd"] = NAN
    frame["level"] = rng.choice(["2nde_pro", "CAP1"], 200)
    label = (frame["unjustified_absences_ytd"] > 4).astype(int)
    model = logistic_baseline().fit(frame, label)
    risk = model.predict_proba(frame)[:, 1]
    assert ((risk >= 0) & (risk <= 1)).all()
    assert risk[label.to_numpy() == 1].mean() > risk[label.to_numpy() == 0].mean()
    # A level never seen in training is one of the fixed categories: encoded, not refused.
    assert model.predict_proba(frame.assign(level="6e")).shape == (200, 2)

"""Rule baselines, hand-checked on tiny frames, and the logistic baseline on catalog features."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from features.catalog import CATEGORIES, feature_names
from training.baselines import (
    REPLAY_BASELINES,
    LevelPrior,
    abc_flags,
    abc_rule_score,
    absenteeism_flags,
    absenteeism_rule_score,
    hand_weighted_score,
    latent_ceiling_score,
    lexicographic_score,
    logistic_baseline,
    read_latent_risk,
    recent_absences_score,
    replay_baseline_scores,
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


def _leveled(levels: list[str], labels: list[bool] | None = None, **columns: list[float]):
    frame = _frame(**columns) if columns else _frame(unjustified_absences_4w=[0.0] * len(levels))
    frame["level"] = levels
    if labels is not None:
        frame["label_dropped_out"] = labels
    return frame


def test_level_prior_is_each_levels_training_rate() -> None:
    train = _leveled(["3e", "3e", "3e", "3e", "CAP1", "CAP1"],
                     [True, False, False, False, True, False])  # fmt: skip
    prior = LevelPrior().fit(train)
    assert prior.rates_ == {"3e": 0.25, "CAP1": 0.5}
    assert prior.overall_ == 2 / 6
    test = _leveled(["CAP1", "3e", "Tle"])
    # A level unseen in training gets the overall training rate.
    assert prior.score(test).tolist() == [0.5, 0.25, 2 / 6]


def test_recent_absences_rank_by_the_window_then_the_year() -> None:
    frame = _frame(
        unjustified_absences_2w=[2.0, 4.0, 2.0, 0.0],
        unjustified_absences_4w=[2.0, 4.0, 8.0, 9.0],
        unjustified_absences_ytd=[10.0, 4.0, 8.0, 30.0],
    )
    assert list(recent_absences_score(frame, 2).sort_values(ascending=False).index) == [1, 0, 2, 3]
    assert list(recent_absences_score(frame, 4).sort_values(ascending=False).index) == [3, 2, 1, 0]


def test_hand_weighted_score_is_hand_computed() -> None:
    prior = LevelPrior().fit(_leveled(["3e", "3e", "CAP1", "CAP1"], [False, True, True, True]))
    frame = _leveled(
        ["3e", "CAP1", "3e"],
        unjustified_absences_4w=[6.0, 40.0, 0.0],
        grade_mean_current_period=[9.0, NAN, 12.0],
        grade_mean_previous_period=[15.0, 7.0, NAN],
        failed_exams=[0.0, 1.0, NAN],
    )
    # Overall rate 3/4; 3e 1/2 (relative 2/3), CAP1 1 (relative 4/3).
    # Row 0: 6/4 absence points + 1 (mean 9 under 10) + 2/3.
    # Row 1: 3 (capped) + 2 (previous mean 7: under 10 and under 8) + 1 (failed exam) + 4/3.
    # Row 2: 2/3.
    expected = [1.5 + 1 + 2 / 3, 3 + 2 + 1 + 4 / 3, 2 / 3]
    assert np.allclose(hand_weighted_score(frame, prior).to_numpy(), expected)


def test_latent_ceiling_reads_a_side_file_when_there(tmp_path) -> None:
    assert read_latent_risk(tmp_path) is None
    (tmp_path / "_synth").mkdir()
    side = pd.DataFrame(
        {"student_id": ["s1", "s2"], "school_year": ["2025-2026"] * 2, "latent_risk": [0.2, 0.7]}
    )
    side.to_parquet(tmp_path / "_synth" / "latent.parquet")
    latent = read_latent_risk(tmp_path)
    frame = pd.DataFrame({"student_id": ["s2", "s1", "s3"], "school_year": ["2025-2026"] * 3})
    score = latent_ceiling_score(frame, latent)
    assert score.tolist()[:2] == [0.7, 0.2]
    assert score.iloc[2] < 0.2  # no latent risk: ranked last


def test_replay_baseline_scores_fit_on_train_only() -> None:
    train = _leveled(["3e", "CAP1"], [False, True])
    test = _leveled(["CAP1", "3e"], [False, False])
    scores = replay_baseline_scores(train, test)
    assert list(scores.columns) == list(REPLAY_BASELINES)
    assert scores["level_prior"].tolist() == [1.0, 0.0]

"""Calibration maps: fitted on raw scores, chosen by cross-fitting, strictly increasing."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from models.calibration import ScoreCalibrator, choose_calibrator, fit_calibrator, grouped_folds


def _scores(n: int = 20_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    raw = rng.normal(-3.0, 1.2, n)
    return raw, (rng.random(n) < expit(1.8 * raw + 1.0)).astype(float)


def test_platt_recovers_a_logistic_link() -> None:
    raw, label = _scores()
    platt = fit_calibrator(raw, label, "platt")
    assert platt.slope == pytest.approx(1.8, abs=0.15)
    assert platt.intercept == pytest.approx(1.0, abs=0.4)


def test_auto_prefers_platt_on_a_logistic_link_and_isotonic_on_a_step() -> None:
    raw, label = _scores()
    chosen, scores = choose_calibrator(raw, label, "auto", folds=3, seed=1)
    assert scores["brier_platt"] <= scores["brier_isotonic"] + 1e-6
    assert chosen.method == "platt"
    rng = np.random.default_rng(2)
    step = (rng.random(20_000) < np.where(raw > -3.0, 0.3, 0.01)).astype(float)
    chosen, _ = choose_calibrator(raw, step, "auto", folds=3, seed=1)
    assert chosen.method == "isotonic"


def test_risk_is_strictly_increasing_in_the_raw_score() -> None:
    raw, label = _scores()
    for method in ("isotonic", "platt"):
        calibrator = fit_calibrator(raw, label, method)
        grid = np.linspace(-8, 4, 5000)
        risk = calibrator.predict(grid)
        assert (np.diff(risk) > 0).all(), method
        assert ((risk >= 0) & (risk <= 1)).all()


def test_round_trip_through_plain_data() -> None:
    raw, label = _scores()
    for method in ("isotonic", "platt"):
        calibrator = fit_calibrator(raw, label, method)
        again = ScoreCalibrator.from_dict(calibrator.to_dict())
        np.testing.assert_array_equal(calibrator.predict(raw), again.predict(raw))


def test_one_class_is_refused() -> None:
    with pytest.raises(ValueError, match="both dropouts and non-dropouts"):
        fit_calibrator(np.arange(10.0), np.zeros(10), "platt")


def test_grouped_folds_never_split_a_student() -> None:
    students = np.repeat(np.arange(300), 4)
    label = np.repeat((np.arange(300) % 10 == 0).astype(float), 4)
    folds = grouped_folds(label, students, 3, seed=4)
    held = np.concatenate([held_out for _, held_out in folds])
    assert sorted(held) == list(range(len(label)))
    for train, held_out in folds:
        assert not set(students[train]) & set(students[held_out])
        assert label[held_out].sum() > 0

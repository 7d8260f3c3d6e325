"""Calibration maps: fitted on raw scores (centered isotonic or Platt), chosen by cross-fitting,
strictly increasing; maps saved before centered isotonic regression predict as they did."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import expit
from sklearn.isotonic import IsotonicRegression

from models.calibration import (
    ScoreCalibrator,
    centered_isotonic,
    choose_calibrator,
    fit_calibrator,
    grouped_folds,
)
from models.reason_wording import format_points
from models.reasons import risk_without


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


# Ten students, one per raw score 0..9. Isotonic blocks: {0, 1} rate 0, {2, 3, 4} rate 1/3,
# {5, 6} rate 1/2, {7, 8, 9} rate 2/3, so CIR knots at the centroids 0.5, 3, 5.5 and 8.
_HAND_RAW = np.arange(10.0)
_HAND_LABEL = np.array([0, 0, 1, 0, 0, 1, 0, 1, 1, 0], dtype=float)


def test_centered_isotonic_puts_one_knot_at_each_blocks_centroid() -> None:
    knots, values = centered_isotonic(_HAND_RAW, _HAND_LABEL)
    np.testing.assert_allclose(knots, [0.5, 3.0, 5.5, 8.0])
    np.testing.assert_allclose(values, [0.0, 1 / 3, 1 / 2, 2 / 3])
    # Tied raw scores count once per row: blocks {0} rate 0 and {1, 1, 1, 2, 3, 3} rate 1/2
    # (x = 1 has rate 2/3, pooled with x = 2 and x = 3), centroid (1 + 1 + 1 + 2 + 3 + 3) / 6.
    knots, values = centered_isotonic([0, 1, 1, 1, 2, 3, 3], [0, 1, 1, 0, 0, 1, 0])
    np.testing.assert_allclose(knots, [0.0, 11 / 6])
    np.testing.assert_allclose(values, [0.0, 0.5])


def test_fitted_isotonic_map_is_linear_between_knots_and_flat_beyond() -> None:
    calibrator = fit_calibrator(_HAND_RAW, _HAND_LABEL, "isotonic")
    raw = np.array([-5.0, 0.5, 1.75, 3.0, 4.0, 7.5, 8.0, 20.0])
    expected = [0.0, 0.0, 1 / 6, 1 / 3, 1 / 3 + 1 / 15, 1 / 2 + 2 / 15, 2 / 3, 2 / 3]
    np.testing.assert_allclose(calibrator.predict(raw), expected, atol=2e-6)


def test_fitted_isotonic_map_rises_strictly_between_its_first_and_last_knots() -> None:
    raw, label = _scores()
    calibrator = fit_calibrator(raw, label, "isotonic")
    knots = np.asarray(calibrator.thresholds)
    assert len(knots) > 5
    assert (np.diff(knots) > 0).all() and (np.diff(calibrator.values) > 0).all()
    grid = np.linspace(knots[0], knots[-1], 20_000)
    # Without the 10⁻⁶ blend: the map itself, not the tie-break, rises.
    mapped = np.interp(grid, calibrator.thresholds, calibrator.values)
    assert (np.diff(mapped) > 0).all()


def test_a_map_saved_before_centered_isotonic_predicts_as_it_did() -> None:
    # A pre-CIR map: sklearn's block ends, flat within each block, as saved in risk_model.json.
    saved = {
        "method": "isotonic",
        "thresholds": [0.0, 1.0, 2.0, 4.0, 5.0, 6.0, 7.0, 9.0],
        "values": [0.0, 0.0, 1 / 3, 1 / 3, 0.5, 0.5, 2 / 3, 2 / 3],
        "slope": float("nan"),
        "intercept": float("nan"),
    }
    calibrator = ScoreCalibrator.from_dict(json.loads(json.dumps(saved)))
    raw = np.array([-3.0, 0.5, 1.5, 3.0, 4.5, 5.5, 8.0, 12.0])
    mapped = np.array([0.0, 0.0, 1 / 6, 1 / 3, 5 / 12, 0.5, 2 / 3, 2 / 3])
    expected = (1 - 1e-6) * mapped + 1e-6 * expit(raw)
    np.testing.assert_allclose(calibrator.predict(raw), expected, rtol=0, atol=1e-15)
    # The same numbers as sklearn's own isotonic fit on the rows that map came from.
    isotonic = IsotonicRegression(out_of_bounds="clip").fit(_HAND_RAW, _HAND_LABEL)
    np.testing.assert_allclose(isotonic.X_thresholds_, saved["thresholds"])
    np.testing.assert_allclose(calibrator.predict(raw), isotonic.predict(raw), atol=1e-6)


def test_a_large_contribution_at_the_top_of_a_list_weighs_more_than_a_tenth_of_a_point() -> None:
    # The top student (raw 9) has a contribution of 1.5 log-odds, e.g. a 2.2/20 mean mark.
    old = ScoreCalibrator(
        "isotonic",
        thresholds=(0.0, 1.0, 2.0, 4.0, 5.0, 6.0, 7.0, 9.0),
        values=(0.0, 0.0, 1 / 3, 1 / 3, 0.5, 0.5, 2 / 3, 2 / 3),
    )
    new = fit_calibrator(_HAND_RAW, _HAND_LABEL, "isotonic")
    raw, removed = np.array([9.0]), np.array([1.5])
    for calibrator, points in ((old, 0.0), (new, 2 / 3 - (1 / 2 + 2 / 15))):
        weight = calibrator.predict(raw) - risk_without(raw, removed, calibrator.predict)
        assert weight[0] == pytest.approx(points, abs=1e-6)
    weight = new.predict(raw) - risk_without(raw, removed, new.predict)
    assert format_points(float(weight[0]), "fr") == "+3,3 points"
    old_weight = old.predict(raw) - risk_without(raw, removed, old.predict)
    assert format_points(float(old_weight[0]), "fr").startswith("<")

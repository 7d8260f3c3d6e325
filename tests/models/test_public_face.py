"""RiskModel's public face (`encode`, `score`, `calibrate`, `contributions`) gives the numbers
the booster and the calibration map give, bitwise; the LightGBM defaults are the training
configuration's."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from features.catalog import CATEGORIES, feature_names
from models.contributions import BASE_VALUE
from models.encoding import encode_features
from models.risk_model import RiskModel
from training.config import LightGBMConfig, TrainConfig

from .conftest import Years

FAST = {"num_boost_round": 40, "calibration_folds": 3, "seed": 5}


@pytest.fixture(scope="module")
def fitted(years: Years) -> RiskModel:
    train = years.train
    return RiskModel(**FAST).fit(train, train["label_dropped_out"], groups=train["student_id"])


@pytest.fixture(scope="module")
def rows(years: Years) -> pd.DataFrame:
    sample = years.held_out.sample(300, random_state=8)
    return sample.set_axis(sample.index + 5_000)  # an index of its own, out of order


def test_encode_is_the_fixed_encoding_of_the_model_columns(
    fitted: RiskModel, rows: pd.DataFrame
) -> None:
    encoded = fitted.encode(rows)
    assert encoded.dtype == np.float64
    assert encoded.shape == (len(rows), len(feature_names()))
    expected = encode_features(rows, feature_names(), CATEGORIES).to_numpy(dtype="float64")
    np.testing.assert_array_equal(encoded, expected)
    level = list(fitted.feature_names).index("level")
    assert set(np.unique(encoded[:, level][~np.isnan(encoded[:, level])])) <= set(
        range(len(CATEGORIES["level"]))
    )


def test_raw_score_is_the_booster_output_and_risk_its_calibration(
    fitted: RiskModel, rows: pd.DataFrame
) -> None:
    encoded = fitted.encode(rows)
    raw = fitted.score(rows, calibrated=False)
    np.testing.assert_array_equal(raw, fitted.booster_.predict(encoded, raw_score=True))
    # The booster's probability output is the logistic of the same margin.
    np.testing.assert_allclose(expit(raw), fitted.booster_.predict(encoded), rtol=0, atol=1e-12)
    risk = fitted.score(rows)
    np.testing.assert_array_equal(risk, fitted.calibrate(raw))
    np.testing.assert_array_equal(risk, fitted.calibrator_.predict(raw))
    assert not np.array_equal(risk, expit(raw))  # calibration moves the probabilities
    # The older names are the same numbers.
    np.testing.assert_array_equal(fitted.raw_score(rows), raw)
    np.testing.assert_array_equal(fitted.predict_risk(rows), risk)


def test_an_encoded_matrix_scores_like_its_features(fitted: RiskModel, rows: pd.DataFrame) -> None:
    encoded = fitted.encode(rows)
    np.testing.assert_array_equal(fitted.score(encoded), fitted.score(rows))
    np.testing.assert_array_equal(
        fitted.score(encoded, calibrated=False), fitted.score(rows, calibrated=False)
    )
    by_features = fitted.contributions(rows)
    by_matrix = fitted.contributions(encoded)
    np.testing.assert_array_equal(by_matrix.to_numpy(), by_features.to_numpy())
    assert by_matrix.index.equals(pd.RangeIndex(len(rows)))
    assert by_features.index.equals(rows.index)


def test_contributions_add_up_to_the_raw_score_minus_the_expected_value(
    fitted: RiskModel, rows: pd.DataFrame
) -> None:
    values = fitted.contributions(rows)
    assert list(values.columns) == [*fitted.feature_names, BASE_VALUE]
    raw = fitted.score(rows, calibrated=False)
    base = values[BASE_VALUE].to_numpy()
    assert np.unique(base).size == 1  # the expected raw score, the same for every row
    own = values.drop(columns=BASE_VALUE).sum(axis=1).to_numpy()
    np.testing.assert_allclose(own, raw - base, rtol=0, atol=1e-9)
    assert np.abs(own).max() > 0.1  # not trivially: the rows are spread around the base
    np.testing.assert_array_equal(
        values.to_numpy(), fitted.booster_.predict(fitted.encode(rows), pred_contrib=True)
    )


def test_probability_points_go_through_the_same_calibration(
    fitted: RiskModel, rows: pd.DataFrame
) -> None:
    values = fitted.contributions(rows)
    base = values[BASE_VALUE].to_numpy()
    raw = fitted.score(rows, calibrated=False)
    points = fitted.score(rows) - fitted.calibrate(base)
    # The calibration is increasing: a row above the base value is riskier than the base risk.
    assert (points[raw > base] > 0).all() and (points[raw < base] < 0).all()
    assert (raw > base).any() and (raw < base).any()


def test_a_wrong_matrix_is_refused_with_its_shape(fitted: RiskModel, rows: pd.DataFrame) -> None:
    encoded = fitted.encode(rows)
    with pytest.raises(ValueError, match=r"float64 with \d+ columns.*shape \(300, 3\)"):
        fitted.score(encoded[:, :3])
    with pytest.raises(ValueError, match="float32"):
        fitted.contributions(encoded.astype("float32"))


def test_lightgbm_defaults_are_the_training_configuration(years: Years) -> None:
    train = years.train.head(4000)
    labels, groups = train["label_dropped_out"], train["student_id"]
    bare = RiskModel(**FAST).fit(train, labels, groups=groups)
    configured = RiskModel(lightgbm_params=TrainConfig().lightgbm.booster_params(), **FAST).fit(
        train, labels, groups=groups
    )
    assert bare.booster_.model_to_string() == configured.booster_.model_to_string()
    for key, value in LightGBMConfig().booster_params().items():
        if key != "monotone":
            assert bare.params_[key] == value
    assert RiskModel().get_params()["num_boost_round"] == LightGBMConfig().num_boost_round


def test_loading_a_model_never_imports_the_training_code_nor_a_cycle() -> None:
    code = (
        "import sys; import models.contributions, models.explanations, models.risk_model; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'training'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

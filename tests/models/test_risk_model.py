"""RiskModel: scikit-learn conventions, fixed encoding, calibration, identity, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn.exceptions import NotFittedError

from features.catalog import CATEGORIES, feature_names
from features.contract import NAME_COLUMNS, SENSITIVE_COLUMNS
from models.encoding import encode_features
from models.risk_model import RiskModel
from training.metrics import expected_calibration_error

from .conftest import Years

FAST = {"num_boost_round": 60, "calibration_folds": 3, "seed": 3}


@pytest.fixture(scope="module")
def fitted(years: Years) -> RiskModel:
    train = years.train
    return RiskModel(**FAST).fit(train, train["label_dropped_out"], groups=train["student_id"])


def test_init_only_stores_parameters_and_predicting_before_fit_fails(years: Years) -> None:
    model = RiskModel(**FAST)
    assert model.get_params()["num_boost_round"] == 60
    assert not hasattr(model, "booster_")
    with pytest.raises(NotFittedError):
        model.predict_risk(years.held_out)


def test_fit_sets_fitted_attributes_and_predicts_probabilities(
    fitted: RiskModel, years: Years
) -> None:
    for attribute in ("booster_", "calibrator_", "feature_names_in_", "n_features_in_",
                      "categories_", "model_hash_", "training_fingerprint_"):  # fmt: skip
        assert hasattr(fitted, attribute)
    assert list(fitted.feature_names) == list(feature_names())
    risk = fitted.predict_risk(years.held_out)
    assert risk.shape == (len(years.held_out),)
    assert ((risk > 0) & (risk < 1)).all()
    raw = fitted.raw_score(years.held_out)
    order = np.argsort(raw, kind="stable")
    assert (np.diff(risk[order]) >= 0).all()  # the list order is the raw score's order


def test_model_features_exclude_sensitive_attributes_and_names(
    fitted: RiskModel, years: Years
) -> None:
    assert not set(fitted.feature_names) & (set(SENSITIVE_COLUMNS) | set(NAME_COLUMNS))
    rows = years.held_out.head(300)
    swapped = rows.assign(sex=rows["sex"].map({"F": "M", "M": "F"}), parent_pcs="favored_a",
                          scholarship_level=0)  # fmt: skip
    np.testing.assert_array_equal(fitted.predict_risk(rows), fitted.predict_risk(swapped))


def test_categorical_codes_are_fixed_by_the_catalog(years: Years) -> None:
    rows = years.held_out.head(50)
    one_level = rows.assign(level="CAP2")
    codes = encode_features(one_level)["level"]
    assert (codes == CATEGORIES["level"].index("CAP2")).all()
    with pytest.raises(ValueError, match=r"level.*outside its categories"):
        encode_features(rows.assign(level="terminale"))
    with pytest.raises(ValueError, match="lacks model features"):
        encode_features(rows.drop(columns=["grade_mean_ytd"]))
    # The same codes from Arrow text, Python objects or a categorical column, missing values
    # NaN, and a value outside the categories refused whichever the column's type.
    levels = [CATEGORIES["level"][k % 3] if k % 7 else None for k in range(len(rows))]
    expected = [float(CATEGORIES["level"].index(v)) if v else np.nan for v in levels]
    for dtype in ("str", "object", "category"):
        typed = rows.assign(level=pd.Series(levels, index=rows.index, dtype=dtype))
        np.testing.assert_array_equal(encode_features(typed)["level"].to_numpy(), expected)
        outside = typed.assign(level=pd.Series(["terminale", *levels[1:]], index=rows.index))
        with pytest.raises(ValueError, match=r"level.*\['terminale'\]"):
            encode_features(outside.astype({"level": dtype}))


def test_calibration_reduces_ece_on_a_held_out_year(years: Years) -> None:
    # Weighting dropouts 20 times, as class-imbalance recipes do, inflates the booster's own
    # probabilities; the calibration map, fitted out of fold, must bring them back.
    train, held_out = years.train, years.held_out
    model = RiskModel(lightgbm_params={"scale_pos_weight": 20.0}, **FAST).fit(
        train, train["label_dropped_out"], groups=train["student_id"]
    )
    label = held_out["label_dropped_out"].to_numpy()
    raw_ece = expected_calibration_error(label, expit(model.raw_score(held_out)))
    calibrated_ece = expected_calibration_error(label, model.predict_risk(held_out))
    assert calibrated_ece < raw_ece / 3


def test_held_out_calibration_rows_are_used_when_given(years: Years) -> None:
    train, held_out = years.train, years.held_out
    model = RiskModel(calibration="platt", **FAST).fit(
        train, train["label_dropped_out"], calibration_X=held_out,
        calibration_y=held_out["label_dropped_out"],
    )  # fmt: skip
    assert model.calibration_source_ == "held-out rows"
    assert model.calibrator_.method == "platt"


def test_identity_hash_follows_data_params_and_seed(fitted: RiskModel, years: Years) -> None:
    train = years.train
    same = RiskModel(**FAST).fit(train, train["label_dropped_out"], groups=train["student_id"])
    assert same.model_hash_ == fitted.model_hash_
    np.testing.assert_array_equal(same.predict_risk(years.held_out),
                                  fitted.predict_risk(years.held_out))  # fmt: skip
    other_seed = RiskModel(**{**FAST, "seed": 4}).fit(
        train, train["label_dropped_out"], groups=train["student_id"]
    )
    assert other_seed.model_hash_ != fitted.model_hash_
    fewer = train.iloc[: len(train) // 2]
    other_data = RiskModel(**FAST).fit(fewer, fewer["label_dropped_out"],
                                       groups=fewer["student_id"])  # fmt: skip
    assert other_data.training_fingerprint_ != fitted.training_fingerprint_


def test_save_and_load_give_the_same_predictions(
    fitted: RiskModel, years: Years, tmp_path: Path
) -> None:
    loaded = RiskModel.load(fitted.save(tmp_path / "model"))
    np.testing.assert_array_equal(loaded.predict_risk(years.held_out),
                                  fitted.predict_risk(years.held_out))  # fmt: skip
    assert loaded.model_hash_ == fitted.model_hash_
    pd.testing.assert_series_equal(loaded.feature_importance(), fitted.feature_importance())
    with pytest.raises(FileNotFoundError, match="not a saved RiskModel"):
        RiskModel.load(tmp_path)


def test_bad_parameters_and_labels_are_refused(years: Years) -> None:
    train = years.train
    with pytest.raises(ValueError, match="calibration"):
        RiskModel(calibration="sigmoid").fit(train, train["label_dropped_out"],
                                             groups=train["student_id"])  # fmt: skip
    with pytest.raises(ValueError, match="both dropouts and non-dropouts"):
        RiskModel(**FAST).fit(train, np.zeros(len(train)), groups=train["student_id"])
    with pytest.raises(ValueError, match="groups"):
        RiskModel(**FAST).fit(train, train["label_dropped_out"])

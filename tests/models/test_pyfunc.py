"""The MLflow pyfunc model: signature, input example, and the same predictions after loading."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from features.catalog import feature_names
from features.contract import SENSITIVE_COLUMNS
from models.pyfunc import load_risk_model, save_risk_model
from models.risk_model import RiskModel

from .conftest import Years


@pytest.fixture(scope="module")
def saved(years: Years, tmp_path_factory: pytest.TempPathFactory) -> tuple[RiskModel, Path]:
    train = years.train
    model = RiskModel(num_boost_round=40, calibration_folds=3, seed=1).fit(
        train, train["label_dropped_out"], groups=train["student_id"]
    )
    path = tmp_path_factory.mktemp("pyfunc") / "model"
    return model, save_risk_model(model, train, path)


def test_signature_lists_the_catalog_features_only(saved: tuple[RiskModel, Path]) -> None:
    _, path = saved
    info = mlflow.models.get_model_info(str(path))
    inputs = [column.name for column in info.signature.inputs]
    assert inputs == list(feature_names())
    assert not set(inputs) & set(SENSITIVE_COLUMNS)
    assert [column.name for column in info.signature.outputs] == ["risk", "raw_score"]
    assert info.saved_input_example_info is not None


def test_pyfunc_predicts_what_the_in_memory_model_predicts(
    saved: tuple[RiskModel, Path], years: Years
) -> None:
    model, path = saved
    rows = years.held_out.head(500)
    expected = model.predict_risk(rows)
    pyfunc = mlflow.pyfunc.load_model(str(path))
    output = pyfunc.predict(rows.loc[:, list(feature_names())])
    assert isinstance(output, pd.DataFrame)
    np.testing.assert_allclose(output["risk"].to_numpy(), expected, rtol=0, atol=0)
    loaded = load_risk_model(str(path))
    np.testing.assert_array_equal(loaded.predict_risk(rows), expected)
    assert loaded.model_hash_ == model.model_hash_

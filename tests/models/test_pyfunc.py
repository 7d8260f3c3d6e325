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


def test_pyfunc_explains_when_asked_through_params(
    saved: tuple[RiskModel, Path], years: Years
) -> None:
    import json

    model, path = saved
    info = mlflow.models.get_model_info(str(path))
    assert {param.name for param in info.signature.params} == {"explain", "top", "language"}
    rows = years.held_out.head(200).loc[:, list(feature_names())]
    pyfunc = mlflow.pyfunc.load_model(str(path))
    output = pyfunc.predict(rows, params={"explain": True, "top": 2, "language": "en"})
    assert list(output.columns) == ["risk", "raw_score", "reasons", "protective"]
    np.testing.assert_array_equal(output["risk"].to_numpy(), model.predict_risk(rows))
    reasons = [json.loads(text) for text in output["reasons"]]
    assert max(len(row) for row in reasons) == 2
    assert all(reason["direction"] == "raises" for row in reasons for reason in row)
    assert all(reason["text"] == reason["text_en"] for row in reasons for reason in row)

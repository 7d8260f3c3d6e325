"""TreeSHAP contributions: additivity, agreement with shap, chunking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap

from features.catalog import feature_names
from models.contributions import BASE_VALUE, contributions, iter_contributions
from models.risk_model import RiskModel

from .conftest import Years


@pytest.fixture(scope="module")
def model(years: Years) -> RiskModel:
    train = years.train
    return RiskModel(num_boost_round=40, calibration_folds=3, seed=2).fit(
        train, train["label_dropped_out"], groups=train["student_id"]
    )


@pytest.fixture(scope="module")
def rows(years: Years) -> pd.DataFrame:
    # Rows out of order with a non-default index: the output must follow it.
    sample = years.held_out.sample(400, random_state=4)
    return sample.set_axis(sample.index + 10_000)


def test_one_column_per_feature_and_the_base_value_on_the_input_index(
    model: RiskModel, rows: pd.DataFrame
) -> None:
    values = contributions(model, rows)
    assert list(values.columns) == [*feature_names(), BASE_VALUE]
    assert values.index.equals(rows.index)
    assert values[BASE_VALUE].nunique() == 1  # the expected raw score, the same for all


def test_base_value_plus_contributions_is_the_raw_score(
    model: RiskModel, rows: pd.DataFrame
) -> None:
    values = contributions(model, rows)
    np.testing.assert_allclose(values.sum(axis=1), model.raw_score(rows), rtol=0, atol=1e-9)
    # Not trivially: several features move every row.
    assert (values.drop(columns=BASE_VALUE).abs() > 1e-6).sum(axis=1).min() >= 3


def test_agrees_with_shap_tree_explainer(model: RiskModel, rows: pd.DataFrame) -> None:
    encoded = model.encode(rows)
    explanation = shap.TreeExplainer(model.booster_)(encoded)
    values = contributions(model, rows)
    difference = np.abs(explanation.values - values.drop(columns=BASE_VALUE).to_numpy())
    assert difference.max() < 1e-9
    np.testing.assert_allclose(explanation.base_values, values[BASE_VALUE], rtol=0, atol=1e-9)


def test_chunked_equals_unchunked(model: RiskModel, rows: pd.DataFrame) -> None:
    whole = contributions(model, rows)
    chunks = list(iter_contributions(model, rows, chunk_rows=37))
    assert [len(chunk) for chunk in chunks] == [37] * 10 + [30]
    pd.testing.assert_frame_equal(pd.concat(chunks), whole)


def test_chunk_rows_must_be_positive(model: RiskModel, rows: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="chunk_rows"):
        next(iter_contributions(model, rows, chunk_rows=0))

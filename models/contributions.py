"""SHAP values of the risk model: TreeSHAP contributions in raw-score (log-odds) space.

LightGBM computes exact TreeSHAP values natively (`pred_contrib=True`); one row's contributions
plus the base value add up to its raw score (the additivity that explanations rely on). This
is the one place that computes them: explanations, the fairness audit and the dashboard's
waterfall all read these values. `shap.TreeExplainer` on the same booster gives the same
values (it delegates to LightGBM; its own C++ TreeSHAP agrees to ~1e-15, see
`bench/explain.py`), so LightGBM is called directly, without the extra dependency at serving.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from models.risk_model import Features, RiskModel

__all__ = ["BASE_VALUE", "contribution_matrix", "contributions", "iter_contributions"]

BASE_VALUE = "base_value"
DEFAULT_CHUNK_ROWS = 50_000


def contribution_matrix(model: RiskModel, encoded: np.ndarray) -> np.ndarray:
    """TreeSHAP values of already validated rows (`RiskModel._validated`): one column per
    model feature, then the base value; float64, each row summing to its raw score."""
    matrix = model.booster_.predict(encoded, pred_contrib=True)
    return np.asarray(matrix, dtype="float64")


def contributions(model: RiskModel, features: Features) -> pd.DataFrame:
    """One row per input row: a column per model feature (its SHAP value in log-odds) and
    `base_value` (the expected raw score); each row sums to the model's raw score. The index
    follows `features`."""
    check_is_fitted(model)
    frame = features.frame if hasattr(features, "frame") else features
    matrix = contribution_matrix(model, model._validated(frame))
    names = [*model.feature_names, BASE_VALUE]
    return pd.DataFrame(matrix, index=frame.index, columns=names)


def iter_contributions(
    model: RiskModel, features: Features, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """`contributions` in chunks of `chunk_rows` rows: memory bounded by one chunk."""
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, not {chunk_rows}")
    frame = features.frame if hasattr(features, "frame") else features
    for start in range(0, len(frame), chunk_rows):
        yield contributions(model, frame.iloc[start : start + chunk_rows])

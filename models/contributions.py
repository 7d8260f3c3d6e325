"""SHAP values of the risk model: TreeSHAP contributions in raw-score (log-odds) space.

LightGBM computes exact TreeSHAP values natively (`pred_contrib=True`); one row's contributions
plus the base value add up to its raw score (the additivity that explanations rely on). This
is the one place that computes them (`RiskModel.contributions`; this module holds the name of
the base-value column and the chunked reading): explanations, the fairness audit and the dashboard's
waterfall all read these values. `shap.TreeExplainer` on the same booster gives the same
values (it delegates to LightGBM; its own C++ TreeSHAP agrees to ~1e-15, see
`bench/explain.py`), so LightGBM is called directly, without the extra dependency at serving.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pandas as pd

from features.feature_set import FeatureSet

if TYPE_CHECKING:  # the model imports `BASE_VALUE` from here
    from models.risk_model import Features, RiskModel

__all__ = ["BASE_VALUE", "DEFAULT_CHUNK_ROWS", "contributions", "iter_contributions"]

BASE_VALUE = "base_value"
DEFAULT_CHUNK_ROWS = 50_000


def contributions(model: RiskModel, features: Features) -> pd.DataFrame:
    """`model.contributions(features)`: one row per input row, a column per model feature (its
    SHAP value in log-odds) and `base_value` (the expected raw score); each row sums to the
    model's raw score. The index follows `features`."""
    return model.contributions(features)


def iter_contributions(
    model: RiskModel, features: Features, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """`contributions` in chunks of `chunk_rows` rows: memory bounded by one chunk."""
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, not {chunk_rows}")
    frame = features.frame if isinstance(features, FeatureSet) else features
    for start in range(0, len(frame), chunk_rows):
        yield model.contributions(frame.iloc[start : start + chunk_rows])

"""The risk model: one object from features to a calibrated dropout risk and its reasons.

`RiskModel` (`models.risk_model`) holds the LightGBM booster, the calibration map and the fixed
feature encoding (`models.encoding`); its public face is `encode`, `score` (raw or calibrated),
`calibrate` and `contributions`. `models.ranking` is the order of every list (highest risk first,
ties by student id), `models.queue` the weekly queue. `RiskModel.explain` gives each row's reasons
(`models.explanations`: TreeSHAP values from `RiskModel.contributions`, chosen and referenced by
`models.reasons`, worded by `models.reason_wording`); `models.global_explanations` gives the
mean |SHAP| per feature and family. `models.pyfunc` saves and loads the model as an MLflow
model (imported on demand: it needs MLflow). `models.registry` is the registered model's
name, aliases and the one way to pick and load a version.

The names below are imported on first use, so that importing a light module of the package
(`models.queue`, `models.registry`, as the settings do at every command's start) does not load
LightGBM and scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.encoding import encode_features, feature_frame
    from models.risk_model import RiskModel

__all__ = ["RiskModel", "encode_features", "feature_frame"]

_LAZY = {
    "RiskModel": "models.risk_model",
    "encode_features": "models.encoding",
    "feature_frame": "models.encoding",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'models' has no attribute {name!r}")

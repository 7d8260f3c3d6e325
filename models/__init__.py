"""The risk model: one object from features to a calibrated dropout risk.

`RiskModel` (`models.risk_model`) holds the LightGBM booster, the calibration map and the fixed
feature encoding (`models.encoding`); `models.pyfunc` saves and loads it as an MLflow model
(imported on demand: it needs MLflow).
"""

from models.encoding import encode_features, feature_frame
from models.risk_model import RiskModel

__all__ = ["RiskModel", "encode_features", "feature_frame"]

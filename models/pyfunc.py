"""The risk model as an MLflow model: a pyfunc wrapper with a signature and an input example.

The saved model holds the `RiskModel` files (booster in LightGBM text format, calibration and
catalog as JSON) as an artifact, and the wrapper as code (`models/pyfunc_code.py`, MLflow's
"models from code"), not as a pickle; loading it needs `models` and `features.catalog`, never
the training code. `predict` returns one row per input row: `risk` (calibrated probability) and
`raw_score` (the booster's margin, which orders the weekly lists). With the parameter
`explain=True` (declared in the signature, with `top` and `language`), each row also gets
`reasons` and `protective`: JSON lists of the reasons that raise and lower its risk
(`models.explanations`); references are then medians over the rows of the request, since the
signature's input holds only the model features.
"""

from __future__ import annotations

import importlib.metadata
import tempfile
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.models import ModelSignature, infer_signature
from mlflow.models.model import ModelInfo
from mlflow.pyfunc import PythonModel, PythonModelContext

from features.feature_set import FeatureSet
from features.jsonio import dumps
from models.encoding import feature_frame
from models.risk_model import RiskModel

__all__ = [
    "ARTIFACT_KEY",
    "PREDICT_PARAMS",
    "RiskModelPyfunc",
    "explained_predictions",
    "load_risk_model",
    "log_risk_model",
    "risk_model_signature",
    "save_risk_model",
]

ARTIFACT_KEY = "risk_model"
# Inference parameters of the pyfunc (their defaults are in the signature's params schema).
PREDICT_PARAMS: dict[str, Any] = {"explain": False, "top": 3, "language": "fr"}
_REQUIREMENTS = ("mlflow", "lightgbm", "scikit-learn", "pandas", "numpy", "scipy", "pyarrow")


class RiskModelPyfunc(PythonModel):
    """MLflow pyfunc wrapper: loads the `RiskModel` files, predicts `risk` and `raw_score`."""

    def load_context(self, context: PythonModelContext) -> None:
        self.risk_model = RiskModel.load(context.artifacts[ARTIFACT_KEY])

    def predict(
        self,
        context: PythonModelContext,
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        options = {**PREDICT_PARAMS, **(params or {})}
        if not options["explain"]:
            return predictions(self.risk_model, model_input)
        return explained_predictions(
            self.risk_model, model_input, int(options["top"]), str(options["language"])
        )


def predictions(model: RiskModel, features: FeatureSet | pd.DataFrame) -> pd.DataFrame:
    """`risk` and `raw_score` of each row, on the index of the features."""
    frame = features.frame if isinstance(features, FeatureSet) else features
    raw = model.score(frame, calibrated=False)
    return pd.DataFrame({"risk": model.calibrate(raw), "raw_score": raw}, index=frame.index)


def explained_predictions(
    model: RiskModel, features: FeatureSet | pd.DataFrame, top: int, language: str
) -> pd.DataFrame:
    """`predictions` plus `reasons` and `protective`, JSON lists of each row's reasons."""
    frame = features.frame if isinstance(features, FeatureSet) else features
    explained = model.explain(frame, top=top, language=language)  # type: ignore[arg-type]  # explain checks it
    output = predictions(model, frame)
    records = explained.to_records()
    output["reasons"] = [dumps(record["reasons"], ascii=False) for record in records]
    output["protective"] = [dumps(record["protective"], ascii=False) for record in records]
    return output


def risk_model_signature(
    model: RiskModel, features: FeatureSet | pd.DataFrame
) -> tuple[ModelSignature, pd.DataFrame]:
    """The signature inferred from the model's input columns of `features` and its output,
    and an input example (the first five rows)."""
    inputs = feature_frame(features, model.feature_names)
    example = inputs.head(5).reset_index(drop=True)
    signature = infer_signature(example, predictions(model, example), params=PREDICT_PARAMS)
    return signature, example


def log_risk_model(
    model: RiskModel, features: FeatureSet | pd.DataFrame, name: str = "model"
) -> ModelInfo:
    """Log `model` in the active MLflow run as a pyfunc model (not registered here).
    `features` are rows of the training frame, for the signature and the input example."""
    with tempfile.TemporaryDirectory(prefix="vigie-risk-model-") as tmp:
        return mlflow.pyfunc.log_model(name=name, **_flavor_arguments(model, features, tmp))


def save_risk_model(
    model: RiskModel, features: FeatureSet | pd.DataFrame, path: str | Path
) -> Path:
    """Write `model` as an MLflow model folder at `path` (no tracking server involved)."""
    with tempfile.TemporaryDirectory(prefix="vigie-risk-model-") as tmp:
        mlflow.pyfunc.save_model(str(path), **_flavor_arguments(model, features, tmp))
    return Path(path)


def _flavor_arguments(
    model: RiskModel, features: FeatureSet | pd.DataFrame, tmp: str
) -> dict[str, Any]:
    signature, example = risk_model_signature(model, features)
    saved = model.save(Path(tmp) / ARTIFACT_KEY)
    return {
        "python_model": str(Path(__file__).with_name("pyfunc_code.py")),
        "artifacts": {ARTIFACT_KEY: str(saved)},
        "signature": signature,
        "input_example": example,
        "pip_requirements": _pinned_requirements(),
        "metadata": {"model_hash": model.model_hash_},
    }


def load_risk_model(model_uri: str) -> RiskModel:
    """The `RiskModel` inside an MLflow model: `models:/vigie-dropout@champion`, a run's
    `runs:/<id>/model`, or a local folder written by `save_risk_model`."""
    loaded = mlflow.pyfunc.load_model(model_uri)
    wrapper = loaded.unwrap_python_model()
    if not isinstance(wrapper, RiskModelPyfunc):
        raise TypeError(f"{model_uri} is not a Vigie risk model ({type(wrapper).__name__})")
    return wrapper.risk_model


def _pinned_requirements() -> list[str]:
    """The running versions of what loading the model needs (no slow inference by MLflow)."""
    pins = []
    for package in _REQUIREMENTS:
        try:
            pins.append(f"{package}=={importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            pins.append(package)
    return pins

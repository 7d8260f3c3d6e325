"""`RiskModel`: the one object that turns a student's features into a calibrated dropout risk.

It holds the fitted LightGBM booster, the calibration map, the feature names and the fixed
categorical levels, so that training, weekly scoring and the API encode and score rows the same
way. It follows scikit-learn conventions: `__init__` only stores parameters, `fit` sets the
attributes ending in `_` and returns `self`, predictions start with `check_is_fitted` and
validate their input with `validate_data`.

Calibration rows: either held-out rows passed to `fit` (a later school year), or, without them,
out-of-fold raw scores of the training rows, folds grouped by student (cross-fitting).

Monotone constraints: where the catalog says the direction of a feature is agreed
(`features.catalog.DIRECTIONS`), the booster is constrained to it (LightGBM
`monotone_constraints`), unless `lightgbm_params` says `monotone: False`.

The public face, used by every caller (explanations, the MLflow wrapper, training, the
dashboard, benchmarks): `encode` (features to the validated model input), `score` (the raw
score, or the calibrated risk), `calibrate` (the calibration map on raw scores) and
`contributions` (TreeSHAP values in log-odds). `score` and `contributions` also take the output
of `encode`, so that a chunk is encoded once for both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeAlias

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from features.catalog import CATEGORIES, monotone_constraints
from features.feature_set import FeatureSet
from features.jsonio import read_json, write_json
from models.calibration import ScoreCalibrator, choose_calibrator, grouped_folds
from models.contributions import BASE_VALUE
from models.encoding import encode_features
from models.explanations import Explanations, explain
from models.identity import frame_fingerprint, model_hash
from models.lightgbm_config import LightGBMConfig

__all__ = ["Features", "ModelInput", "RiskModel", "default_lightgbm_params"]

# Set by the model whatever the parameters say: the task, and silence on stdout.
_FIXED_PARAMS: dict[str, Any] = {"objective": "binary", "verbosity": -1}
_SAVED_FILES = ("booster.txt", "risk_model.json")

Features: TypeAlias = FeatureSet | pd.DataFrame
# What `score` and `contributions` take: features, or the matrix `encode` made of them.
ModelInput: TypeAlias = FeatureSet | pd.DataFrame | np.ndarray


def default_lightgbm_params() -> dict[str, Any]:
    """The LightGBM parameters a `RiskModel` starts from: the defaults of the training
    configuration (`models.lightgbm_config.LightGBMConfig`, the one place they are written),
    without `num_boost_round` (a parameter of the model). Deterministic: same rows,
    parameters and seed give the same booster. `monotone` is not a LightGBM parameter: True
    turns the catalog's agreed directions into `monotone_constraints` ("basic" method: the
    strictest, and exact at prediction)."""
    return LightGBMConfig().booster_params()


class RiskModel(BaseEstimator):
    """LightGBM dropout model with a calibrated probability output.

    Parameters: `lightgbm_params` (merged over `default_lightgbm_params()`), `num_boost_round`,
    `calibration` (`auto`, `isotonic` or `platt`), `calibration_folds` (cross-fitting folds
    for the booster when no calibration rows are given, and for the auto choice) and `seed`.
    """

    def __init__(
        self,
        lightgbm_params: Mapping[str, Any] | None = None,
        num_boost_round: int = 200,
        calibration: Literal["auto", "isotonic", "platt"] = "auto",
        calibration_folds: int = 3,
        seed: int = 0,
    ) -> None:
        self.lightgbm_params = lightgbm_params
        self.num_boost_round = num_boost_round
        self.calibration = calibration
        self.calibration_folds = calibration_folds
        self.seed = seed

    # --- fitting ------------------------------------------------------------------------------

    def fit(
        self,
        X: Features,
        y: npt.ArrayLike,
        *,
        groups: npt.ArrayLike | None = None,
        sample_weight: npt.ArrayLike | None = None,
        calibration_X: Features | None = None,
        calibration_y: npt.ArrayLike | None = None,
        calibration_groups: npt.ArrayLike | None = None,
    ) -> RiskModel:
        """Fit the booster on (X, y), then the calibration map on held-out raw scores.

        `groups` (student ids, one per row) keep a student's rows in one fold when the
        calibration is cross-fitted; `calibration_X`/`calibration_y` are held-out rows.
        `sample_weight` (one positive weight per row; None: all 1) weighs the rows in the
        booster's fits (the cross-fitted ones too), not in the calibration map; it is part
        of the training fingerprint, so a weighted model has its own identity.
        """
        self._check_params()
        if calibration_X is None and groups is None:
            raise ValueError("without calibration rows, fit needs groups (student ids)")
        if calibration_X is not None and calibration_y is None:
            raise ValueError("calibration_X needs calibration_y")
        encoded = encode_features(X)
        values, labels = validate_data(
            self, encoded, np.asarray(y, dtype="float64"), ensure_all_finite="allow-nan",
            dtype="float64", reset=True,
        )  # fmt: skip
        if not np.isin(labels, (0.0, 1.0)).all() or labels.min() == labels.max():
            raise ValueError("y must hold 0/1 labels with both dropouts and non-dropouts")
        self.categories_ = {name: tuple(levels) for name, levels in CATEGORIES.items()}
        weights = self._checked_weights(sample_weight, len(labels))
        self.params_ = self._booster_params()
        self.booster_ = self._train(values, labels, weights)
        fingerprint = frame_fingerprint(encoded, labels)
        if weights is not None:  # unweighted: the fingerprint (and identity) as before
            weighed = frame_fingerprint(pd.DataFrame({"weights": weights}))
            fingerprint = frame_fingerprint(pd.DataFrame({"parts": [fingerprint, weighed]}))
        if calibration_X is not None:
            calibration_raw = self.score(calibration_X, calibrated=False)
            calibration_labels = np.asarray(calibration_y, dtype="float64")
            self.calibration_source_ = "held-out rows"
            held_out = frame_fingerprint(encode_features(calibration_X), calibration_labels)
            fingerprint = frame_fingerprint(pd.DataFrame({"parts": [fingerprint, held_out]}))
        else:
            assert groups is not None  # checked above
            calibration_raw = self._out_of_fold_raw(values, labels, groups, weights)
            calibration_labels, calibration_groups = labels, groups
            self.calibration_source_ = f"{self.calibration_folds}-fold cross-fitting by student"
        self.calibrator_, self.calibration_scores_ = choose_calibrator(
            calibration_raw, calibration_labels, self.calibration,
            folds=self.calibration_folds, seed=self.seed, groups=calibration_groups,
        )  # fmt: skip
        self.training_fingerprint_ = fingerprint
        self.model_hash_ = model_hash(
            f"{type(self).__module__}.{type(self).__qualname__}",
            self.get_params(), self.training_fingerprint_, self.seed,
        )  # fmt: skip
        return self

    def _check_params(self) -> None:
        if self.calibration not in ("auto", "isotonic", "platt"):
            raise ValueError(
                f"calibration must be auto, isotonic or platt, not {self.calibration!r}"
            )
        for name, least in (("num_boost_round", 1), ("calibration_folds", 2)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValueError(f"{name} must be an integer >= {least}, not {value!r}")

    def _booster_params(self) -> dict[str, Any]:
        params = {**default_lightgbm_params(), **dict(self.lightgbm_params or {}), **_FIXED_PARAMS}
        params["seed"] = self.seed
        monotone = params.pop("monotone")
        if not isinstance(monotone, bool):
            raise ValueError(f"lightgbm_params monotone must be True or False, not {monotone!r}")
        if monotone and "monotone_constraints" not in params:
            constraints = monotone_constraints([str(n) for n in self.feature_names_in_])
            if any(constraints):
                params["monotone_constraints"] = constraints
                params["monotone_constraints_method"] = "basic"
        return params

    @staticmethod
    def _checked_weights(sample_weight: npt.ArrayLike | None, rows: int) -> np.ndarray | None:
        if sample_weight is None:
            return None
        weights = np.asarray(sample_weight, dtype="float64")
        if weights.shape != (rows,) or not (np.isfinite(weights) & (weights > 0)).all():
            raise ValueError(f"sample_weight must hold {rows} positive finite weights")
        return weights

    def _train(
        self, values: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None
    ) -> lgb.Booster:
        categorical = [i for i, name in enumerate(self.feature_names_in_) if name in CATEGORIES]
        dataset = lgb.Dataset(
            values, label=labels, weight=weights,
            feature_name=[str(n) for n in self.feature_names_in_],
            categorical_feature=categorical, params={"verbosity": -1}, free_raw_data=True,
        )  # fmt: skip
        return lgb.train(self.params_, dataset, num_boost_round=self.num_boost_round)

    def _out_of_fold_raw(
        self, values: np.ndarray, labels: np.ndarray, groups: npt.ArrayLike,
        weights: np.ndarray | None = None,
    ) -> np.ndarray:  # fmt: skip
        raw = np.empty(len(labels))
        for train, held_out in grouped_folds(labels, groups, self.calibration_folds, self.seed):
            if labels[train].min() == labels[train].max():
                raise ValueError("a cross-fitting fold has a single class; use fewer folds")
            booster = self._train(
                values[train], labels[train], None if weights is None else weights[train]
            )
            raw[held_out] = booster.predict(values[held_out], raw_score=True)
        return raw

    # --- scoring: the public face -------------------------------------------------------------

    def encode(self, features: Features) -> np.ndarray:
        """The model input of `features`: a float64 matrix, one column per model feature in
        model order (categorical values as their fixed codes, NaN when missing), checked
        against the fitted columns. `score` and `contributions` take it in place of the
        features, to encode rows once for both."""
        check_is_fitted(self)
        encoded = encode_features(features, self.feature_names_in_, self.categories_)
        return validate_data(
            self, encoded, ensure_all_finite="allow-nan", dtype="float64", reset=False
        )

    def score(self, rows: ModelInput, calibrated: bool = True) -> np.ndarray:
        """Each row's calibrated probability of dropping out this school year or, with
        `calibrated=False`, the booster's raw score (log-odds margin); higher is riskier
        either way (the calibration is strictly increasing). `rows`: features, or `encode`'s
        output."""
        check_is_fitted(self)
        raw: np.ndarray = np.asarray(
            self.booster_.predict(self._model_input(rows), raw_score=True), dtype="float64"
        )
        return self.calibrate(raw) if calibrated else raw

    def calibrate(self, raw: npt.ArrayLike) -> np.ndarray:
        """The calibration map: the probability of each raw score (of a row, or of a part of
        a row's path such as the base value plus some contributions, for explanations)."""
        check_is_fitted(self)
        return self.calibrator_.predict(raw)

    def contributions(self, rows: ModelInput) -> pd.DataFrame:
        """TreeSHAP values (LightGBM's exact `pred_contrib`), in log-odds: one column per
        model feature then `base_value` (the expected raw score), float64; each row sums to
        its raw score (to rounding; `score(calibrated=False)` is the booster's own sum). Their
        weight in probability points goes through `calibrate`. The index follows `rows` (0 to
        n - 1 for an encoded matrix)."""
        check_is_fitted(self)
        matrix = self.booster_.predict(self._model_input(rows), pred_contrib=True)
        if isinstance(rows, np.ndarray):
            index: pd.Index = pd.RangeIndex(len(rows))
        else:
            index = (rows.frame if isinstance(rows, FeatureSet) else rows).index
        return pd.DataFrame(
            np.asarray(matrix, dtype="float64"), index=index,
            columns=[*self.feature_names, BASE_VALUE],
        )  # fmt: skip

    def raw_score(self, features: ModelInput) -> np.ndarray:
        """`score(features, calibrated=False)`: the booster's raw score of each row."""
        return self.score(features, calibrated=False)

    def predict_risk(self, features: ModelInput) -> np.ndarray:
        """`score(features)`: the calibrated probability that each row's student drops out
        this school year."""
        return self.score(features)

    def explain(
        self, features: Features, top: int = 3, language: Literal["fr", "en"] = "fr", **options: Any
    ) -> Explanations:
        """Per row: the calibrated risk, the raw score, the `top` reasons that raise the risk
        and the protective ones, worded in French and English (`models.explanations.explain`,
        which documents `options`: `rows`, `protective`, `chunk_rows`, `min_share`,
        `min_peers`). References are medians over all rows of `features`."""
        return explain(self, features, top=top, language=language, **options)

    def _model_input(self, rows: ModelInput) -> np.ndarray:
        if not isinstance(rows, np.ndarray):
            return self.encode(rows)
        if rows.ndim != 2 or rows.shape[1] != self.n_features_in_ or rows.dtype != np.float64:
            raise ValueError(
                f"an encoded matrix must be float64 with {self.n_features_in_} columns (the "
                f"output of RiskModel.encode), not {rows.dtype} of shape {rows.shape}"
            )
        return rows

    def feature_importance(self, importance_type: Literal["gain", "split"] = "gain") -> pd.Series:
        """Total gain (or number of splits) of each feature, largest first."""
        check_is_fitted(self)
        values = self.booster_.feature_importance(importance_type=importance_type)
        series = pd.Series(values, index=list(self.feature_names_in_), name=importance_type)
        return series.sort_values(ascending=False, kind="stable")

    # --- persistence --------------------------------------------------------------------------

    def save(self, directory: str | Path) -> Path:
        """Write the booster (LightGBM text format) and everything else as JSON."""
        check_is_fitted(self)
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.booster_.save_model(str(directory / "booster.txt"))
        metadata = {
            "params": self.get_params(),
            "booster_params": self.params_,
            "feature_names": [str(n) for n in self.feature_names_in_],
            "categories": {name: list(levels) for name, levels in self.categories_.items()},
            "calibrator": self.calibrator_.to_dict(),
            "calibration_scores": self.calibration_scores_,
            "calibration_source": self.calibration_source_,
            "training_fingerprint": self.training_fingerprint_,
            "model_hash": self.model_hash_,
            "lightgbm_version": lgb.__version__,
        }
        write_json(directory / "risk_model.json", metadata, indent=2, default=str)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> RiskModel:
        """A fitted model from a folder written by `save` (no training code involved)."""
        directory = Path(directory)
        missing = [name for name in _SAVED_FILES if not (directory / name).is_file()]
        if missing:
            raise FileNotFoundError(f"{directory} is not a saved RiskModel (missing {missing})")
        metadata = read_json(directory / "risk_model.json")
        model = cls(**metadata["params"])
        names = metadata["feature_names"]
        model.feature_names_in_ = np.asarray(names, dtype=object)
        model.n_features_in_ = len(names)
        model.categories_ = {name: tuple(levels) for name, levels in metadata["categories"].items()}
        model.params_ = metadata["booster_params"]
        model.booster_ = lgb.Booster(model_file=str(directory / "booster.txt"))
        model.calibrator_ = ScoreCalibrator.from_dict(metadata["calibrator"])
        model.calibration_scores_ = metadata["calibration_scores"]
        model.calibration_source_ = metadata["calibration_source"]
        model.training_fingerprint_ = metadata["training_fingerprint"]
        model.model_hash_ = metadata["model_hash"]
        return model

    @property
    def feature_names(self) -> Sequence[str]:
        """The model's input columns, in order (the catalog's features)."""
        check_is_fitted(self)
        return tuple(str(name) for name in self.feature_names_in_)

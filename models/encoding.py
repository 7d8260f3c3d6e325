"""The model input: catalog features as one numeric frame, identical in training and serving.

Categorical features become the integer code of their value among the fixed categories of
`features.catalog.CATEGORIES` (NaN for a missing value; an unknown value is refused), so that
a code means the same level in every training run, in weekly scoring and in the API, whatever
values happen to be present in one frame. Numeric features become float64 (NaN stays NaN:
LightGBM treats it as missing). Sensitive attributes and names are never selected, even when
the frame holds them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.catalog import CATEGORIES, FEATURE_CATALOG
from features.contract import NAME_COLUMNS, SENSITIVE_COLUMNS
from features.feature_set import FeatureSet

__all__ = [
    "FEATURE_NAMES",
    "INTERVIEWED_COLUMN",
    "encode_features",
    "feature_frame",
]

FEATURE_NAMES: tuple[str, ...] = tuple(spec.name for spec in FEATURE_CATALOG)

INTERVIEWED_COLUMN = "interviewed"
"""Training's flag of the rows an interview may have changed (`training.interviewed`): it
says what the watch unit did, never what the student shows, so it is never a model input."""


def feature_frame(
    features: FeatureSet | pd.DataFrame, feature_names: Sequence[str] = FEATURE_NAMES
) -> pd.DataFrame:
    """The model's columns of `features`, in model order; a clear error when some are missing.

    Extra columns (keys, context, labels, sensitive attributes) are left out.
    """
    frame = features.frame if isinstance(features, FeatureSet) else features
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"features must be a FeatureSet or a DataFrame, not {type(frame).__name__}")
    forbidden = (set(SENSITIVE_COLUMNS) | set(NAME_COLUMNS)) & set(feature_names)
    if forbidden:
        raise ValueError(
            f"sensitive or name columns can never be model inputs: {sorted(forbidden)}"
        )
    if INTERVIEWED_COLUMN in feature_names:
        raise ValueError(f"the {INTERVIEWED_COLUMN!r} flag can never be a model input")
    missing = [name for name in feature_names if name not in frame.columns]
    if missing:
        raise ValueError(f"the feature frame lacks model features: {missing}")
    return frame.loc[:, list(feature_names)]


def encode_features(
    features: FeatureSet | pd.DataFrame,
    feature_names: Sequence[str] = FEATURE_NAMES,
    categories: Mapping[str, Sequence[str]] = CATEGORIES,
) -> pd.DataFrame:
    """A float64 frame of the model features: categorical values as fixed codes (NaN when
    missing; a value outside the categories is refused). Index and column order follow
    `features` and `feature_names`."""
    frame = feature_frame(features, feature_names)
    matrix = np.empty((len(frame), len(feature_names)), dtype="float64", order="F")
    for number, name in enumerate(feature_names):
        column = frame[name]
        if name in categories:
            matrix[:, number] = _category_codes(name, column, list(categories[name]))
        else:
            matrix[:, number] = pd.to_numeric(column, errors="raise").to_numpy(
                dtype="float64", na_value=np.nan
            )
    return pd.DataFrame(matrix, index=frame.index, columns=list(feature_names), copy=False)


def _category_codes(name: str, column: pd.Series, known: list[str]) -> np.ndarray:
    """Each value's position among the `known` categories as a float (NaN when missing);
    a value outside them is refused. Text columns are looked up in Arrow, column-wise."""
    try:
        values = pa.chunked_array(pa.array(column, from_pandas=True))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        values = None
    if values is not None and (pa.types.is_string(values.type)
                               or pa.types.is_large_string(values.type)):  # fmt: skip
        found = pc.index_in(values, value_set=pa.array(known, values.type))
        outside = pc.filter(values, pc.and_(pc.is_null(found), pc.is_valid(values)))
        unknown = sorted({str(v) for v in pc.unique(outside).to_pylist()} - set(known))
        positions = np.asarray(pc.fill_null(found, -1).to_numpy(), dtype="int64")
    else:
        positions = pd.Index(known, dtype=object).get_indexer(column.to_numpy(dtype=object))
        outside = column[(positions < 0) & column.notna().to_numpy()]
        unknown = sorted({str(v) for v in outside.unique()} - set(known))
    if unknown:
        raise ValueError(f"feature {name!r} has values outside its categories {known}: {unknown}")
    codes = positions.astype("float64")
    codes[positions < 0] = np.nan
    return codes

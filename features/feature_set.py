"""`FeatureSet`: one frame of (student, as-of date) rows with explicit column groups.

Both feature implementations end with `FeatureSet.from_frame`, which fixes the column order
and dtypes in one place: identical inputs then give identical frames, and the model input
(`features()`) can never pick up a key, a sensitive attribute or a name by accident.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.catalog import CATEGORIES, FEATURE_CATALOG, feature_names
from features.contract import NAME_COLUMNS, SENSITIVE_COLUMNS

__all__ = [
    "AS_OF_DTYPE",
    "CONTEXT_COLUMNS",
    "KEY_COLUMNS",
    "FeatureSet",
    "arrow_strings",
    "frame_columns",
    "row_positions",
]

KEY_COLUMNS: tuple[str, ...] = ("student_id", "as_of", "school_year", "uai")
# Shown beside a student on lists; level and track are features as well.
CONTEXT_COLUMNS: tuple[str, ...] = ("level", "track", "class_id")
AS_OF_DTYPE = "datetime64[us]"


def frame_columns() -> list[str]:
    """Columns of a feature frame, in order: keys, context (level, track, class_id), the other
    features in catalog order, then the sensitive attributes."""
    return list(dict.fromkeys(
        (*KEY_COLUMNS, *CONTEXT_COLUMNS, *feature_names(), *SENSITIVE_COLUMNS)
    ))  # fmt: skip


def row_positions(frame: pd.DataFrame, student_ids: set[str]) -> dict[tuple[str, str], int]:
    """The row of each (uai, student_id) of a feature `frame` whose student is one of
    `student_ids` (the last row of a pair found twice): a few students looked up without a
    Python step per row of the frame."""
    student = frame["student_id"].astype(str)
    rows = np.flatnonzero(student.isin(student_ids).to_numpy())
    uais = frame["uai"].astype(str).to_numpy()[rows].tolist()
    return dict(zip(zip(uais, student.to_numpy()[rows].tolist(), strict=True), rows.tolist(),
                    strict=True))  # fmt: skip


_STRING_COLUMNS = ("student_id", "school_year", "uai", "class_id", "sex", "parent_pcs")


@dataclass(frozen=True, eq=False)  # a DataFrame has no single truth value to compare
class FeatureSet:
    """Features of students at as-of dates, with the column groups spelled out.

    `frame` holds each column once, in the order of `frame_columns()`: keys, context, the
    catalog's features (`level` and `track` are both context and features), then the
    sensitive attributes kept for fairness audits. Names are never part of a FeatureSet.
    """

    frame: pd.DataFrame
    key_columns: tuple[str, ...] = KEY_COLUMNS
    context_columns: tuple[str, ...] = CONTEXT_COLUMNS
    feature_columns: tuple[str, ...] = tuple(spec.name for spec in FEATURE_CATALOG)
    sensitive_columns: tuple[str, ...] = SENSITIVE_COLUMNS

    def __post_init__(self) -> None:
        overlap = set(self.feature_columns) & (set(SENSITIVE_COLUMNS) | set(NAME_COLUMNS))
        if overlap:
            raise ValueError(f"sensitive or name columns among the features: {sorted(overlap)}")
        if set(NAME_COLUMNS) & set(self.frame.columns):
            raise ValueError("a FeatureSet never holds student names")
        groups = (self.key_columns, self.context_columns, self.feature_columns,
                  self.sensitive_columns)  # fmt: skip
        missing = [c for group in groups for c in group if c not in self.frame.columns]
        if missing:
            raise ValueError(f"columns missing from the feature frame: {missing}")

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> FeatureSet:
        """Order rows and columns and fix dtypes of a frame holding every expected column.

        Numeric features become float64 (NaN when undefined), categorical features and
        identifiers pandas strings, `as_of` a datetime64 column. Rows are sorted by
        (as_of, student_id).
        """
        conformed = frame.loc[:, frame_columns()]  # copy-on-write: columns not copied yet
        for column in (*_STRING_COLUMNS, *CATEGORIES):
            if conformed[column].dtype != "str":  # via object, so that NaN stays missing
                conformed[column] = conformed[column].astype("object").astype("str")
        for spec in FEATURE_CATALOG:
            if spec.kind == "numeric" and conformed[spec.name].dtype != "float64":
                conformed[spec.name] = conformed[spec.name].astype("float64")
        conformed["as_of"] = pd.to_datetime(conformed["as_of"]).astype(AS_OF_DTYPE)
        conformed["scholarship_level"] = conformed["scholarship_level"].astype("Int64")
        if not _in_date_and_id_order(conformed):
            conformed = conformed.sort_values(["as_of", "student_id"], kind="stable")
        return cls(conformed.reset_index(drop=True))

    def features(self) -> pd.DataFrame:
        """The model input: exactly the catalog's features, in catalog order."""
        return self.frame.loc[:, list(self.feature_columns)]

    def sensitive(self) -> pd.DataFrame:
        """Keys and sensitive attributes, for fairness audits only."""
        return self.frame.loc[:, [*self.key_columns, *self.sensitive_columns]]

    def keys(self) -> pd.DataFrame:
        return self.frame.loc[:, list(self.key_columns)]

    def context(self) -> pd.DataFrame:
        return self.frame.loc[:, [*self.key_columns, *self.context_columns]]

    def categorical_features(self) -> pd.DataFrame:
        """`features()` with categorical columns as pandas Categoricals of fixed categories."""
        frame = self.features().copy()
        for name, categories in CATEGORIES.items():
            if name in frame.columns:
                frame[name] = pd.Categorical(frame[name], categories=list(categories))
        return frame

    def __len__(self) -> int:
        return len(self.frame)


def _in_date_and_id_order(frame: pd.DataFrame) -> bool:
    """Whether the rows are in (as_of, student_id) order (ids compared by code point, as
    Python compares them: their UTF-8 bytes), compared column-wise rather than through an
    index of every pair (0.3 s for 300,000 rows). A missing id is never in order."""
    if len(frame) < 2:
        return True
    dates = frame["as_of"].to_numpy()
    ids = arrow_strings(frame["student_id"])
    if ids.null_count:
        return False
    ids_in_order = pc.less_equal(ids[:-1], ids[1:]).to_numpy(zero_copy_only=False)
    later, same = dates[1:] > dates[:-1], dates[1:] == dates[:-1]
    return bool(np.all(later | (same & ids_in_order)))


def arrow_strings(column: pd.Series) -> pa.Array:
    """`column`'s values as one Arrow string array (copy-free for Arrow-backed strings)."""
    values = pa.chunked_array(pa.array(column.array, from_pandas=True)).combine_chunks()
    return values.cast(pa.string()) if values.type != pa.string() else values

"""Labels: the dropout outcome of each row's school year, kept apart from the features.

This is the only module that reads the outcomes table. A label is attached beside the features
as `label_dropped_out` (1.0 dropped out, 0.0 did not, NaN when no outcome is recorded) and
`label_known_on` (the date the outcome became known, NaT when none). A training row may only
be used when its outcome was known before the training cut-off: `known_before`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from features.extraction import Extraction, open_extraction
from features.feature_set import FeatureSet

__all__ = ["LABEL_COLUMNS", "attach_labels", "known_before", "read_outcomes"]

LABEL_COLUMNS: tuple[str, ...] = ("label_dropped_out", "label_known_on")


def read_outcomes(source: Extraction | str | Path) -> pd.DataFrame:
    """The outcomes table as (student_id, school_year, label_dropped_out, label_known_on)."""
    if not isinstance(source, Extraction):
        with open_extraction(source) as extraction:
            return read_outcomes(extraction)
    if "outcomes" not in source.files:
        raise ValueError(f"the extraction in {source.directory} has no readable outcomes table")
    outcomes = source.con.execute(
        "SELECT student_id, school_year, CAST(dropped_out AS DOUBLE) AS label_dropped_out, "
        "known_on AS label_known_on FROM outcomes"
    ).df()
    outcomes["student_id"] = outcomes["student_id"].astype("str")
    outcomes["school_year"] = outcomes["school_year"].astype("str")
    outcomes["label_known_on"] = pd.to_datetime(outcomes["label_known_on"]).astype("datetime64[us]")
    return outcomes


def attach_labels(
    features: FeatureSet | pd.DataFrame, source: Extraction | str | Path
) -> pd.DataFrame:
    """The feature frame with the outcome of each row's school year beside it.

    Rows keep their order; rows without an outcome get NaN / NaT. The label columns are never
    feature columns: `FeatureSet.features()` of the same rows leaves them out.
    """
    frame = features.frame if isinstance(features, FeatureSet) else features
    clash = [column for column in LABEL_COLUMNS if column in frame.columns]
    if clash:
        raise ValueError(f"the frame already has label columns {clash}")
    outcomes = read_outcomes(source)
    labelled = frame.merge(
        outcomes, on=["student_id", "school_year"], how="left", validate="many_to_one"
    )
    labelled.index = frame.index
    return labelled


def known_before(frame: pd.DataFrame, cutoff: dt.date) -> pd.DataFrame:
    """Rows whose outcome was known strictly before `cutoff` (rows without one are dropped)."""
    if "label_known_on" not in frame.columns:
        raise ValueError("the frame has no label_known_on column; call attach_labels first")
    return frame[frame["label_known_on"] < pd.Timestamp(cutoff)]

"""The interviewed flag: which rows an interview may have changed, never a model input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.encoding import FEATURE_NAMES, INTERVIEWED_COLUMN, feature_frame
from training.interviewed import interview_weights, mark_interviewed


def _rows() -> pd.DataFrame:
    return pd.DataFrame({
        "student_id": ["S1", "S1", "S1", "S2", "S3"],
        "as_of": pd.to_datetime(["2025-09-08", "2026-01-05", "2026-08-03", "2025-10-06",
                                 "2025-10-06"]),
        "label": [True, True, False, False, True],
    })  # fmt: skip


def _interviews() -> pd.DataFrame:
    dates = pd.to_datetime(["2025-12-01", "2024-11-04"])
    return pd.DataFrame({"student_id": ["S1", "S3"], "interview_date": dates})


def test_rows_within_the_horizon_or_lookback_are_flagged() -> None:
    marked = mark_interviewed(_rows(), _interviews(), horizon_days=182, lookback_days=90)
    # S1: before (horizon), 35 days after (lookback), 245 days after (no); S2 never; S3's
    # interview is eleven months before its row.
    assert marked[INTERVIEWED_COLUMN].tolist() == [True, True, False, False, False]
    assert marked.drop(columns=INTERVIEWED_COLUMN).equals(_rows())
    wider = mark_interviewed(_rows(), _interviews(), horizon_days=182, lookback_days=366)
    assert wider[INTERVIEWED_COLUMN].tolist() == [True, True, True, False, True]


def test_policies_exclude_or_weight_the_flagged_rows() -> None:
    marked = mark_interviewed(_rows(), _interviews(), lookback_days=90)
    assert np.array_equal(interview_weights(marked), np.ones(5))
    assert interview_weights(marked, "exclude").tolist() == [0, 0, 1, 1, 1]
    assert interview_weights(marked, "weight", 0.25).tolist() == [0.25, 0.25, 1, 1, 1]
    with pytest.raises(ValueError, match="policy must be"):
        interview_weights(marked, "drop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no 'interviewed' flag"):
        interview_weights(_rows())


def test_the_flag_is_never_a_model_input() -> None:
    assert INTERVIEWED_COLUMN not in FEATURE_NAMES
    frame = pd.DataFrame({name: [0.0] for name in FEATURE_NAMES}).assign(interviewed=True)
    assert INTERVIEWED_COLUMN not in feature_frame(frame).columns
    with pytest.raises(ValueError, match="'interviewed' flag can never be a model input"):
        feature_frame(frame, [*FEATURE_NAMES, INTERVIEWED_COLUMN])


def test_bad_interviews_are_named() -> None:
    with pytest.raises(ValueError, match=r"table 'interviews' has no column\(s\)"):
        mark_interviewed(_rows(), _interviews().drop(columns="interview_date"))
    undated = _interviews().assign(interview_date=[pd.NaT, pd.Timestamp("2025-01-01")])
    with pytest.raises(ValueError, match="row 0: an interview held has no interview_date"):
        mark_interviewed(_rows(), undated)

"""Who was interviewed, for training: a flag on the rows whose outcome an interview may have
changed, never a model input, and the rule that excludes or down-weights those rows.

Once lists are served, the students the model flagged are invited, and an interview that
works makes some of them stay: their rows say "stayed" although the model was right to
worry. Learning from them teaches the next model that the signals it acted on lead less often
to leaving (see the README's "What the interviews achieve"). A row is flagged `interviewed`
when the student had an interview held within `lookback_days` before its as-of date (an effect
that lasts) or before the end of its label horizon (`horizon_days` after the as-of date).
The flag is refused as a feature by `models.encoding.feature_frame`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from models.encoding import INTERVIEWED_COLUMN
from training.interview_outcomes import held_dates, require_columns

if TYPE_CHECKING:
    from features.extraction import Extraction

__all__ = [
    "InterviewPolicy",
    "interview_weights",
    "learning_rows",
    "mark_interviewed",
    "read_interviews",
]

InterviewPolicy = Literal["keep", "exclude", "weight"]


def mark_interviewed(
    rows: pd.DataFrame,
    interviews: pd.DataFrame,
    horizon_days: int = 182,
    lookback_days: int = 182,
) -> pd.DataFrame:
    """`rows` (student_id, as_of) with the boolean column `interviewed` (see the module
    docstring); `interviews`: one row per interview held (student_id, interview_date)."""
    require_columns(rows, ("student_id", "as_of"), "rows")
    require_columns(interviews, ("student_id", "interview_date"), "interviews")
    if horizon_days < 0 or lookback_days < 0:
        raise ValueError("horizon_days and lookback_days must be 0 or more")
    dates = held_dates(interviews)
    keyed = rows[["student_id", "as_of"]].reset_index(drop=True).reset_index(names="_row")
    pairs = keyed.merge(
        pd.DataFrame({"student_id": interviews["student_id"], "_date": dates}), on="student_id"
    )
    as_of = pd.to_datetime(pairs["as_of"])
    near = (pairs["_date"] >= as_of - pd.Timedelta(days=lookback_days)) & (
        pairs["_date"] <= as_of + pd.Timedelta(days=horizon_days)
    )
    flagged = np.zeros(len(rows), dtype=bool)
    flagged[pairs.loc[near, "_row"].to_numpy()] = True
    return rows.assign(**{INTERVIEWED_COLUMN: flagged})


def interview_weights(
    rows: pd.DataFrame, policy: InterviewPolicy = "keep", weight: float = 0.5
) -> np.ndarray:
    """A training weight per row: 1 for every row ("keep"), 0 for the flagged rows
    ("exclude": drop the rows whose weight is 0) or `weight` for them ("weight")."""
    if policy not in ("keep", "exclude", "weight"):
        raise ValueError(f"policy must be keep, exclude or weight, not {policy!r}")
    if not 0 < weight <= 1:
        raise ValueError(f"weight must be in (0, 1], not {weight!r}")
    if INTERVIEWED_COLUMN not in rows.columns:
        raise ValueError(f"the rows have no {INTERVIEWED_COLUMN!r} flag (mark_interviewed)")
    flagged = rows[INTERVIEWED_COLUMN].to_numpy(dtype=bool)
    if policy == "keep":
        return np.ones(len(rows))
    return np.where(flagged, 0.0 if policy == "exclude" else weight, 1.0)


def read_interviews(extraction: Extraction) -> pd.DataFrame:
    """The extraction's optional `interviews` table as (student_id, interview_date), sorted;
    empty when the extraction has none (nobody is known to have been interviewed)."""
    if "interviews" not in extraction.files:
        return pd.DataFrame({"student_id": pd.Series(dtype="object"),
                             "interview_date": pd.Series(dtype="datetime64[ns]")})  # fmt: skip
    frame = extraction.con.execute(
        "SELECT student_id, date AS interview_date FROM interviews ORDER BY student_id, date"
    ).df()
    frame["student_id"] = frame["student_id"].astype(str)
    frame["interview_date"] = pd.to_datetime(frame["interview_date"])
    return frame


def learning_rows(
    rows: pd.DataFrame, policy: InterviewPolicy = "keep", weight: float = 0.5
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The rows a model learns from under `policy`, and their training weights (None: every
    row weighs 1, the fit is the unweighted one). `keep` returns `rows` untouched, so the
    model is bitwise the one trained without the flag; `exclude` drops the flagged rows;
    `weight` keeps them at `weight`."""
    if policy == "keep":
        return rows, None
    weights = interview_weights(rows, policy, weight)
    if policy == "exclude":
        return rows[weights > 0], None
    return rows, weights

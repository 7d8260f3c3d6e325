"""How early and how steadily the weekly lists flag students.

A list that names a future dropout the week before they leave is of little use: the watch unit
needs weeks to act (lead time). A list that changes completely every week cannot be followed
up (stability). Both are measured on the same scored frame as `training.metrics_lists`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from training.metrics_lists import WEEK, check_scored_frame, flags_from_ranks

__all__ = ["LeadTime", "ListStability", "lead_time_weeks", "list_stability"]


@dataclass(frozen=True)
class LeadTime:
    """Weeks between a dropout's first week on the list and their exit date.

    `per_student` has one row per dropout (student_id, school_year) with `exit_date`,
    `first_flagged` (NaT when never flagged) and `lead_weeks` (days / 7, NaN when never
    flagged). The median and quartiles are over flagged dropouts; the two shares are over all
    dropouts with an exit date (a never-flagged dropout was not flagged ahead).
    `n_without_exit_date` counts dropouts left out for lack of an exit date.
    """

    n_dropouts: int
    median: float
    q1: float
    q3: float
    share_ahead: float
    ahead_weeks: float
    share_never_flagged: float
    n_without_exit_date: int
    per_student: pd.DataFrame


def lead_time_weeks(frame: pd.DataFrame, rule: str = "k", ahead_weeks: float = 4) -> LeadTime:
    """Lead time of the lists under `rule` for the dropouts of `frame` (needs `exit_date`).

    A dropout counts as flagged from the first as-of date, on or before their exit date, at
    which they were on their establishment's list (any establishment, if they moved). When
    the rows of one dropout carry several exit dates, the latest is used.
    """
    check_scored_frame(frame, ("exit_date",))
    return lead_time_from_flags(frame, flags_from_ranks(frame, rule), ahead_weeks)


def lead_time_from_flags(frame: pd.DataFrame, flags: pd.Series, ahead_weeks: float) -> LeadTime:
    """`lead_time_weeks` from precomputed list flags, without the checks."""
    rows = pd.DataFrame(
        {
            "student_id": frame["student_id"].to_numpy(),
            "school_year": frame["school_year"].to_numpy(),
            "as_of": pd.to_datetime(frame["as_of"]).to_numpy(),
            "exit_date": pd.to_datetime(frame["exit_date"]).to_numpy(),
            "flagged": flags.to_numpy(),
        }
    )[frame["label"].to_numpy(dtype=bool)]
    key = ["student_id", "school_year"]
    exits = rows.groupby(key, sort=True)["exit_date"].max()
    without_exit = int(exits.isna().sum())
    exits = exits.dropna()
    rows = rows.merge(exits.rename("exit").reset_index(), on=key, how="inner")
    on_list = rows[rows["flagged"] & (rows["as_of"] <= rows["exit"])]
    first = on_list.groupby(key)["as_of"].min().rename("first_flagged")
    per_student = exits.to_frame().join(first).reset_index()
    per_student["lead_weeks"] = (
        per_student["exit_date"] - per_student["first_flagged"]
    ).dt.days / 7
    lead = per_student["lead_weeks"]
    flagged = lead.dropna()
    n_dropouts = len(per_student)
    q1, median, q3 = (
        (float(v) for v in flagged.quantile([0.25, 0.5, 0.75])) if len(flagged) else (math.nan,) * 3
    )
    return LeadTime(
        n_dropouts=n_dropouts,
        median=median,
        q1=q1,
        q3=q3,
        share_ahead=float((lead >= ahead_weeks).sum() / n_dropouts) if n_dropouts else math.nan,
        ahead_weeks=ahead_weeks,
        share_never_flagged=float(lead.isna().sum() / n_dropouts) if n_dropouts else math.nan,
        n_without_exit_date=without_exit,
        per_student=per_student,
    )


@dataclass(frozen=True)
class ListStability:
    """Week-to-week Jaccard overlap of each establishment's list.

    `per_pair` has one row per establishment and pair of consecutive as-of dates of the same
    school year (the summer break is not a week), with the two list sizes, their overlap and
    `jaccard` (NaN when both lists are empty; such pairs are left out of mean and median).
    """

    mean: float
    median: float
    per_pair: pd.DataFrame


def list_stability(frame: pd.DataFrame, rule: str = "k") -> ListStability:
    """Jaccard overlap |A ∩ B| / |A ∪ B| of each establishment's lists on consecutive weeks."""
    check_scored_frame(frame)
    return stability_from_flags(frame, flags_from_ranks(frame, rule))


def stability_from_flags(frame: pd.DataFrame, flags: pd.Series) -> ListStability:
    """`list_stability` from precomputed list flags, without the checks."""
    rows = pd.DataFrame(
        {
            "uai": frame["uai"].to_numpy(),
            "school_year": frame["school_year"].to_numpy(),
            "as_of": pd.to_datetime(frame["as_of"]).to_numpy(),
            "student_id": frame["student_id"].to_numpy(),
            "flagged": flags.to_numpy(),
        }
    )
    weeks = rows.groupby([*WEEK, "school_year"], sort=True, as_index=False).agg(
        size=("flagged", "sum")
    )
    weeks = weeks.sort_values(["uai", "school_year", "as_of"], kind="mergesort")
    by_year = weeks.groupby(["uai", "school_year"], sort=False)
    weeks["previous_as_of"] = by_year["as_of"].shift()
    weeks["previous_size"] = by_year["size"].shift()
    pairs = weeks.dropna(subset=["previous_as_of"]).copy()
    listed = rows.loc[rows["flagged"], ["uai", "as_of", "student_id"]]
    previous = listed.rename(columns={"as_of": "previous_as_of"})
    common = (
        pairs[["uai", "as_of", "previous_as_of"]]
        .merge(listed, on=WEEK)
        .merge(previous, on=["uai", "previous_as_of", "student_id"])
    )
    overlap = common.groupby(["uai", "as_of"]).size().rename("overlap")
    pairs = pairs.join(overlap, on=["uai", "as_of"])
    pairs["overlap"] = pairs["overlap"].fillna(0).astype("int64")
    pairs["previous_size"] = pairs["previous_size"].astype("int64")
    union = pairs["size"] + pairs["previous_size"] - pairs["overlap"]
    pairs["jaccard"] = pairs["overlap"] / union.where(union > 0)
    pairs = pairs[
        ["uai", "school_year", "previous_as_of", "as_of", "previous_size", "size", "overlap",
         "jaccard"]
    ].reset_index(drop=True)  # fmt: skip
    defined = pairs["jaccard"].dropna()
    return ListStability(
        mean=float(defined.mean()) if len(defined) else math.nan,
        median=float(defined.median()) if len(defined) else math.nan,
        per_pair=pairs,
    )

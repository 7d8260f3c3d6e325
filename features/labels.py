"""Labels: whether each row's student leaves school without a qualification, beside the features.

This is the only module that reads the outcomes table. Two labels sit beside the features:

- the training target, `label`: 1.0 when the student leaves initial education without the
  minimum qualification (décret 2010-1781: baccalauréat, CAP or BEP level) within
  `HORIZON_WEEKS` weeks after the as-of date, 0.0 when the student is seen not to, NaN when
  the row is censored (`censored`, `censor_reason`): the student left the académie or their
  fate is unknown before the horizon, the horizon is not yet observed, or the school year has
  no outcome. `label_horizon_known_on` is when that label became known (NaT when unknown).
  See `horizon_labels` and docs/data-contract.md ("Labels").
- the outcome of the row's school year, `label_dropped_out` (1.0 dropped out that year, 0.0
  did not, NaN when no outcome is recorded) and `label_known_on` (`attach_labels`): kept for
  the per-year counts and the outcome coverage of the training plan.

Each dropout exit is of one `exit_kind` (`dropout_exits`): `during_year`, `no_return` or
`after_exam_failure`. A training row may only be used when its label was known before the
training cut-off: `known_before`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from features.calendar import calendar_for, school_year_bounds
from features.extraction import Extraction, open_extraction
from features.feature_set import FeatureSet

__all__ = [
    "CENSOR_REASONS",
    "EXAM_FAILURE_WEEKS",
    "EXIT_KINDS",
    "HORIZON_COLUMNS",
    "HORIZON_WEEKS",
    "LABEL",
    "LABEL_COLUMNS",
    "LABEL_KNOWN_ON",
    "QUALIFYING_EXAMS",
    "attach_labels",
    "censoring_counts",
    "dropout_exits",
    "horizon_labels",
    "known_before",
    "read_outcomes",
]

LABEL_COLUMNS: tuple[str, ...] = ("label_dropped_out", "label_known_on")

HORIZON_WEEKS = 26
"""The fixed horizon of `label`: leaving within 26 weeks (half a year) after the as-of date."""
LABEL = "label"
LABEL_KNOWN_ON = "label_horizon_known_on"
HORIZON_COLUMNS: tuple[str, ...] = (
    LABEL,
    LABEL_KNOWN_ON,
    "censored",
    "censor_reason",
    "label_exit_date",
    "label_exit_kind",
)
EXIT_KINDS: tuple[str, ...] = ("during_year", "no_return", "after_exam_failure")
CENSOR_REASONS: tuple[str, ...] = ("left_academie", "unknown_fate", "not_yet_observed",
                                   "no_outcome")  # fmt: skip
EXAM_FAILURE_WEEKS = 10
"""An exit within 10 weeks after a failed (or missed) qualifying exam is `after_exam_failure`:
results come out in early July, so this covers the summer up to 31 August."""
QUALIFYING_EXAMS: tuple[str, ...] = ("cap", "bep", "bac_general", "bac_techno", "bac_pro")
"""The exams giving the minimum qualification of décret 2010-1781 (the DNB does not)."""


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


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _enrollment_exits(source: Extraction) -> pd.DataFrame:
    """Every closed enrollment whose student has no enrollment starting after it, or that
    ended with `dropped_out`: (student_id, school_year, end_date, exit_reason, has_later,
    failed_exam_before) - the raw material of exit kinds and censoring."""
    years = source.con.execute(
        "SELECT DISTINCT school_year FROM enrollments WHERE end_date IS NOT NULL"
    ).fetchall()
    summers = pd.DataFrame(
        {
            "school_year": [str(year) for (year,) in years],
            "summer_from": [calendar_for(str(year)).summer_from for (year,) in years],
        }
    )
    failed = "FALSE"
    if "exams" in source.files:
        failed = (
            "EXISTS (SELECT 1 FROM exams x WHERE x.student_id = e.student_id "
            f"AND x.exam IN ({_sql_list(QUALIFYING_EXAMS)}) AND x.result IN ('fail', 'absent') "
            f"AND x.date <= e.end_date AND x.date > e.end_date - INTERVAL {EXAM_FAILURE_WEEKS * 7} "
            "DAY)"
        )
    source.con.register("vigie_label_summers", summers)
    try:
        frame = source.con.execute(
            "WITH e AS (SELECT student_id, school_year, start_date, end_date, exit_reason, "
            "max(start_date) OVER (PARTITION BY student_id) > start_date AS has_later "
            "FROM enrollments) "
            "SELECT e.student_id, e.school_year, e.end_date, e.exit_reason, e.has_later, "
            f"e.end_date >= CAST(s.summer_from AS DATE) AS to_the_end, {failed} AS exam_failed "
            "FROM e JOIN vigie_label_summers s ON CAST(e.school_year AS VARCHAR) = s.school_year "
            "WHERE e.end_date IS NOT NULL "
            "AND (e.exit_reason = 'dropped_out' OR NOT e.has_later)"
        ).df()
    finally:
        source.con.unregister("vigie_label_summers")
    for column in ("student_id", "school_year", "exit_reason"):
        frame[column] = frame[column].astype("str")
    frame["end_date"] = pd.to_datetime(frame["end_date"]).astype("datetime64[us]")
    for column in ("has_later", "to_the_end", "exam_failed"):
        frame[column] = frame[column].astype(bool)
    return frame


def _exit_kind(exits: pd.DataFrame) -> pd.Series:
    kind = np.where(
        exits["exam_failed"],
        "after_exam_failure",
        np.where(exits["to_the_end"] & ~exits["has_later"], "no_return", "during_year"),
    )
    return pd.Series(kind, index=exits.index, dtype="str")


def dropout_exits(source: Extraction | str | Path) -> pd.DataFrame:
    """One row per (student_id, school_year) with a dropout: `exit_date` (the end date of the
    year's last enrollment ended with `dropped_out`) and its `exit_kind`:

    - `after_exam_failure`: the enrollment ended within `EXAM_FAILURE_WEEKS` weeks after a
      failed or missed qualifying exam (CAP, BEP, baccalauréat);
    - `no_return`: otherwise, enrolled up to the summer holidays (end date on or after the
      first day of the summer), with no later enrollment: the student did not come back at
      the rentrée;
    - `during_year`: every other dropout.
    """
    if not isinstance(source, Extraction):
        with open_extraction(source) as extraction:
            return dropout_exits(extraction)
    exits = _enrollment_exits(source)
    exits = exits[exits["exit_reason"] == "dropped_out"]
    exits = exits.assign(exit_kind=_exit_kind(exits)).sort_values(
        ["student_id", "school_year", "end_date"], kind="stable"
    )
    last = exits.groupby(["student_id", "school_year"], sort=True).tail(1)
    return last.rename(columns={"end_date": "exit_date"})[
        ["student_id", "school_year", "exit_date", "exit_kind"]
    ].reset_index(drop=True)


def horizon_labels(
    frame: pd.DataFrame,
    source: Extraction | str | Path,
    observed_until: dt.date,
    horizon_weeks: int = HORIZON_WEEKS,
) -> pd.DataFrame:
    """The fixed-horizon label of each (student_id, as_of, school_year) row of `frame`,
    aligned on its index: `label`, `label_horizon_known_on`, `censored`, `censor_reason`, and
    for a 1 the exit it counts, `label_exit_date` and `label_exit_kind` (it may be in the next
    school year, unlike `exit_date` and `exit_kind` of `dropout_exits`).

    A student leaves on the day after the end date of an enrollment ended with `dropped_out`
    (so a student who did not come back after the summer leaves on 1 September, the first
    day of the next school year). As of `t`, with `H` = `horizon_weeks`:

    - `label` 1.0 when the first leaving or censoring after `t` is a leaving, on or before
      `t + H`; known when the outcome of that dropout became known (NaT if not recorded);
    - censored (`label` NaN) when it is a censoring on or before `t + H`: an enrollment ended
      with `transferred` and no later enrollment (`left_academie`) or with `completed` /
      `other` and no later enrollment (`unknown_fate`), or, with neither within the horizon,
      when `t + H` is after `observed_until` (`not_yet_observed`) or the row's school year has
      no outcome (`no_outcome`);
    - 0.0 otherwise, known on `t + H`, or when the row's yearly outcome became known if the
      horizon reaches the next school year (not coming back is known only after the rentrée).

    A diploma ends nothing: a qualified student can no longer leave without a qualification.
    """
    if not isinstance(source, Extraction):
        with open_extraction(source) as extraction:
            return horizon_labels(frame, extraction, observed_until, horizon_weeks)
    outcomes = read_outcomes(source)
    exits = _enrollment_exits(source)
    dropped = exits["exit_reason"] == "dropped_out"
    censoring = ~dropped & ~exits["has_later"] & (exits["exit_reason"] != "diploma")
    dropouts = exits[dropped].assign(kind=_exit_kind(exits[dropped])).merge(
        outcomes[outcomes["label_dropped_out"] == 1.0], on=["student_id", "school_year"],
        how="left", validate="m:1",
    )  # fmt: skip
    events = pd.concat(
        [
            pd.DataFrame({
                "student_id": dropouts["student_id"],
                "event_on": dropouts["end_date"] + pd.Timedelta(days=1),
                "event": "leaves",
                "event_known_on": dropouts["label_known_on"],
                "exit_date": dropouts["end_date"],
                "exit_kind": dropouts["kind"],
            }),
            pd.DataFrame({
                "student_id": exits.loc[censoring, "student_id"],
                "event_on": exits.loc[censoring, "end_date"] + pd.Timedelta(days=1),
                "event": np.where(
                    exits.loc[censoring, "exit_reason"] == "transferred",
                    "left_academie",
                    "unknown_fate",
                ),
                "event_known_on": pd.NaT,
                "exit_date": pd.NaT,
                "exit_kind": None,
            }),
        ],
        ignore_index=True,
    )  # fmt: skip
    events["event_on"] = events["event_on"].astype("datetime64[us]")
    for column in ("event_known_on", "exit_date"):
        events[column] = pd.to_datetime(events[column]).astype("datetime64[us]")
    # A leaving wins over a censoring on the same day.
    events = events.sort_values(["event_on", "student_id", "event"], kind="stable")
    events = events.drop_duplicates(["student_id", "event_on"], keep="first")

    rows = pd.DataFrame({
        "position": np.arange(len(frame)),
        "student_id": frame["student_id"].astype("str").to_numpy(),
        "school_year": frame["school_year"].astype("str").to_numpy(),
        "as_of": pd.to_datetime(frame["as_of"]).astype("datetime64[us]").to_numpy(),
    })  # fmt: skip
    rows = rows.sort_values("as_of", kind="stable")
    matched = pd.merge_asof(
        rows, events, left_on="as_of", right_on="event_on", by="student_id",
        direction="forward", allow_exact_matches=False,
    )  # fmt: skip
    matched = matched.merge(outcomes, on=["student_id", "school_year"], how="left",
                            validate="m:1").sort_values("position")  # fmt: skip
    end = matched["as_of"] + pd.Timedelta(weeks=horizon_weeks)
    within = matched["event_on"].notna() & (matched["event_on"] <= end)
    leaves = within & (matched["event"] == "leaves")
    reason = pd.Series(pd.NA, index=matched.index, dtype="string")
    reason[within & ~leaves] = matched.loc[within & ~leaves, "event"]
    open_rows = ~within
    unobserved = open_rows & (end > pd.Timestamp(observed_until))
    reason[unobserved] = "not_yet_observed"
    no_outcome = open_rows & ~unobserved & matched["label_dropped_out"].isna()
    reason[no_outcome] = "no_outcome"
    negative = open_rows & ~unobserved & ~no_outcome

    label = np.full(len(matched), np.nan)
    label[leaves.to_numpy()] = 1.0
    label[negative.to_numpy()] = 0.0
    year_ends = {year: school_year_bounds(year)[1] for year in matched["school_year"].unique()}
    next_year = pd.to_datetime(matched["school_year"].map(year_ends)) + pd.Timedelta(days=1)
    crosses = end >= next_year
    negative_known = end.where(~crosses, np.maximum(end, matched["label_known_on"]))
    known_on = pd.Series(pd.NaT, index=matched.index, dtype="datetime64[us]")
    known_on[leaves] = matched.loc[leaves, "event_known_on"]
    known_on[negative] = negative_known[negative]
    result = pd.DataFrame(
        {
            LABEL: label,
            LABEL_KNOWN_ON: known_on.astype("datetime64[us]").to_numpy(),
            "censored": np.isnan(label),
            "censor_reason": reason.to_numpy(),
            "label_exit_date": matched["exit_date"].where(leaves).to_numpy(),
            "label_exit_kind": matched["exit_kind"].where(leaves).to_numpy(),
        },
        index=frame.index,
    )
    return result


def censoring_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows and distinct students of `frame` per school year: labelled (0 or 1) and censored
    by reason, to report beside any metric whose denominators leave censored rows out."""
    reason = frame["censor_reason"].astype("object").where(frame["censored"], "labelled")
    grouped = frame.assign(status=reason).groupby(["school_year", "status"], sort=True)
    return grouped.agg(rows=("student_id", "size"), students=("student_id", "nunique"))

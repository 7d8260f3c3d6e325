"""What became of each interviewed student, read in later records, and a report of it.

An interview held (`serving.db.models.Interview`: status "held", its date and the solution
proposed) is linked to the student's enrollments of a later extraction, known up to `as_of`:

- `left`: an enrollment ended by "dropped_out" on or after the interview date, with no
  enrollment starting after that exit (up to `as_of`);
- `back_in_training`: such an exit followed by a new enrollment (in any establishment);
- `still_enrolled`: no dropout exit since the interview and an enrollment covering a day after
  it (the student was still at school; a year completed or a diploma counts here);
- `unknown`: no enrollment after the interview date (moved out of the académie, or the
  extraction does not reach that far).

A report read by one establishment's watch unit must not tell it what became of a student
after the student moved to another establishment: `hide_moves` turns the status of such an
interview into `elsewhere` (the student moved; nothing more is said). Published reports mask
small counts (`published_report`, the fairness report's `SMALL_CELL` rule).

Pure functions over frames: the store's interviews and the extraction's `enrollments` table.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from training.fairness.report import SMALL_CELL

__all__ = [
    "ELSEWHERE",
    "LATER_STATUSES",
    "REPORT_STATUSES",
    "SMALL_CELL",
    "held_dates",
    "hide_moves",
    "interview_outcomes",
    "outcome_report",
    "published_report",
    "require_columns",
]

LATER_STATUSES: tuple[str, ...] = ("still_enrolled", "back_in_training", "left", "unknown")
ELSEWHERE = "elsewhere"
"""The status a watch unit reads for a student who moved to an establishment outside its
scope after the interview (`hide_moves`)."""
REPORT_STATUSES: tuple[str, ...] = (*LATER_STATUSES, ELSEWHERE)

_INTERVIEW_COLUMNS = ("interview_id", "student_id", "uai", "interview_date", "solution")
_ENROLLMENT_COLUMNS = ("student_id", "start_date", "end_date", "exit_reason")


def require_columns(frame: pd.DataFrame, columns: tuple[str, ...], table: str) -> None:
    """ValueError naming the `columns` that `frame` (the table `table`) lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"table {table!r} has no column(s) {missing}")


def held_dates(interviews: pd.DataFrame) -> pd.Series:
    """The `interview_date` of each interview held, as timestamps; ValueError naming the
    first row without one."""
    dates = pd.to_datetime(interviews["interview_date"])
    undated = dates.isna()
    if undated.any():
        row = int(np.flatnonzero(undated.to_numpy())[0])
        raise ValueError(f"table 'interviews' row {row}: an interview held has no interview_date")
    return dates


def _on(days: pd.Series, ids: pd.Series) -> pd.Series:
    """`days` (indexed by interview id) read for each of `ids` (NaT where absent)."""
    return pd.Series(pd.to_datetime(days).reindex(ids.to_numpy()).to_numpy(), index=ids.index)


def interview_outcomes(
    interviews: pd.DataFrame, enrollments: pd.DataFrame, as_of: dt.date
) -> pd.DataFrame:
    """One row per interview held, with `later_status` (see the module docstring) and
    `status_date` (the dropout exit or the return; NaT otherwise)."""
    require_columns(interviews, _INTERVIEW_COLUMNS, "interviews")
    require_columns(enrollments, _ENROLLMENT_COLUMNS, "enrollments")
    held = interviews.loc[:, list(_INTERVIEW_COLUMNS)].copy()
    held["interview_date"] = held_dates(held)
    cut = pd.Timestamp(as_of)
    records = enrollments.loc[:, list(_ENROLLMENT_COLUMNS)].copy()
    records["start_date"] = pd.to_datetime(records["start_date"])
    records["end_date"] = pd.to_datetime(records["end_date"])
    records = records[records["start_date"] <= cut]
    pairs = held[["interview_id", "student_id", "interview_date"]].merge(records, on="student_id")
    after = pairs[pairs["end_date"].isna() | (pairs["end_date"] >= pairs["interview_date"])]
    exits = after[(after["exit_reason"] == "dropped_out") & (after["end_date"] <= cut)]
    first_exit = exits.groupby("interview_id")["end_date"].min()
    pairs = pairs.assign(exit=_on(first_exit, pairs["interview_id"]))
    returns = pairs[pairs["exit"].notna() & (pairs["start_date"] > pairs["exit"])]
    first_return = returns.groupby("interview_id")["start_date"].min()
    seen = set(after["interview_id"])
    exit_day = _on(first_exit, held["interview_id"])
    return_day = _on(first_return, held["interview_id"])
    status = np.select(
        [return_day.notna(), exit_day.notna(), held["interview_id"].isin(seen)],
        ["back_in_training", "left", "still_enrolled"],
        "unknown",
    )
    return held.assign(
        later_status=pd.Categorical(status, categories=list(REPORT_STATUSES)),
        status_date=return_day.where(return_day.notna(), exit_day),
    ).reset_index(drop=True)


def hide_moves(
    linked: pd.DataFrame, enrollments: pd.DataFrame, scope: frozenset[str], as_of: dt.date
) -> pd.DataFrame:
    """`linked` (from `interview_outcomes`) as a reader who sees only the establishments of
    `scope` may read it: an interview whose student started, after the interview date and up
    to `as_of`, an enrollment in an establishment outside `scope` gets the status `elsewhere`
    and no `status_date`: what became of the student there is not this reader's business."""
    require_columns(enrollments, ("student_id", "uai", "start_date"), "enrollments")
    starts = enrollments.loc[:, ["student_id", "uai", "start_date"]].copy()
    starts["start_date"] = pd.to_datetime(starts["start_date"])
    outside = starts[
        ~starts["uai"].astype(str).isin(scope) & (starts["start_date"] <= pd.Timestamp(as_of))
    ]
    pairs = linked[["interview_id", "student_id", "interview_date"]].merge(
        outside[["student_id", "start_date"]], on="student_id"
    )
    moved = set(pairs.loc[pairs["start_date"] > pairs["interview_date"], "interview_id"])
    hidden = linked["interview_id"].isin(moved).to_numpy()
    status = linked["later_status"].astype("object").where(~hidden, ELSEWHERE)
    return linked.assign(
        later_status=pd.Categorical(status, categories=list(REPORT_STATUSES)),
        status_date=linked["status_date"].where(~hidden),
    )


def outcome_report(linked: pd.DataFrame, by: str) -> pd.DataFrame:
    """Counts of each later status per value of `by` ("uai" or "solution"; a missing solution
    is "none"), with the total and the share who left (left / total). The `elsewhere` column
    is there only when some interview has that status (`hide_moves`)."""
    if by not in ("uai", "solution"):
        raise ValueError(f"the report is by 'uai' or 'solution', not {by!r}")
    statuses = list(LATER_STATUSES)
    if (linked["later_status"].astype("object") == ELSEWHERE).any():
        statuses.append(ELSEWHERE)
    keys = linked[by].astype("object").where(linked[by].notna(), "none")
    counts = pd.crosstab(keys.rename(by), linked["later_status"], dropna=False)
    counts = counts.reindex(columns=statuses, fill_value=0)
    counts.columns = list(counts.columns.astype(str))
    counts["interviews"] = counts[statuses].sum(axis=1)
    counts["left_share"] = counts["left"] / counts["interviews"]
    return counts.sort_index()


def published_report(report: pd.DataFrame) -> pd.DataFrame:
    """`outcome_report`'s table as it may be shown: every count under `SMALL_CELL` masked
    (missing), and a row's share who left only when its count who left is shown. A row with a
    single masked status count also masks its next smallest one, so that no masked count
    is the row's total minus the others."""
    statuses = [c for c in report.columns if c in REPORT_STATUSES]
    counts = report[[*statuses, "interviews"]].astype("int64")
    hidden = counts < SMALL_CELL
    for key in counts.index:
        row = hidden.loc[key, statuses]
        if int(row.sum()) == 1 and not hidden.loc[key, "interviews"]:
            shown = counts.loc[key, statuses][~row]
            hidden.loc[key, shown.idxmin()] = True
    published = counts.astype("Int64").mask(hidden)
    published["left_share"] = report["left_share"].where(~hidden["left"])
    return published

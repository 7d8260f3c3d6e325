"""The feature families of the plain pandas reference (`tests.oracle.reference`), one function each.

Each function takes an event table, the students enrolled on one as-of date and the as-of
date, and returns {feature name: values aligned with the roster}. Counts are 0 when nothing
happened; means and "weeks since" are NaN when undefined.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from features.catalog import (
    ABSENTEEISM_THRESHOLD,
    COMPARISON_DECIMALS,
    LOW_GRADE,
    NOMINAL_AGE,
    UNDER_AVERAGE_GRADE,
)

if TYPE_CHECKING:
    from tests.oracle.reference import AsOf

__all__ = ["attendance_features", "exam_features", "grade_features", "path_features"]

Columns = dict[str, pd.Series]


def _count(ids: pd.Series, events: pd.DataFrame) -> pd.Series:
    """Number of event rows per student, 0 for students without any."""
    per_student = events.groupby("student_id").size()
    return ids.map(per_student).fillna(0).astype("float64")


def _per_student(ids: pd.Series, values: pd.Series) -> pd.Series:
    """A value per student (index: student_id), NaN for students without one."""
    return ids.map(values).astype("float64")


def attendance_features(attendance: pd.DataFrame, roster: pd.DataFrame, as_of: AsOf) -> Columns:
    ids = roster["student_id"]
    before = attendance[attendance["student_id"].isin(ids) & (attendance["date"] < as_of.t)]
    is_absence = before["kind"].eq("absence")
    justified = before["justified"].eq(True)  # an empty cell counts as unjustified
    unjustified_rows = before[is_absence & ~justified]
    justified_rows = before[is_absence & justified]
    late_rows = before[before["kind"].eq("late")]

    columns: Columns = {}
    for name, rows in (("unjustified", unjustified_rows), ("justified", justified_rows)):
        for window, start in as_of.window_start.items():
            count = _count(ids, rows[rows["date"] >= start])
            columns[f"{name}_absences_{window}"] = count
            half_days = roster["college"].map(
                {college: as_of.class_half_days(window, college) for college in (True, False)}
            )
            columns[f"{name}_absence_rate_{window}"] = count / half_days.where(half_days > 0)
    for window in ("4w", "ytd"):
        columns[f"lates_{window}"] = _count(
            ids, late_rows[late_rows["date"] >= as_of.window_start[window]]
        )

    previous_4w = unjustified_rows[
        (unjustified_rows["date"] >= as_of.window_start["8w"])
        & (unjustified_rows["date"] < as_of.window_start["4w"])
    ]
    columns["unjustified_absence_trend_4w"] = columns["unjustified_absences_4w"] - _count(
        ids, previous_4w
    )
    columns["longest_absence_streak_ytd"] = _longest_streak(ids, before[is_absence], as_of)

    this_year = unjustified_rows[unjustified_rows["date"] >= as_of.year_start]
    per_month = this_year.groupby(["student_id", this_year["date"].dt.to_period("M")]).size()
    months = per_month[per_month >= ABSENTEEISM_THRESHOLD].groupby(level="student_id").size()
    columns["absenteeism_months_ytd"] = ids.map(months).fillna(0).astype("float64")
    return columns


def _longest_streak(ids: pd.Series, absences: pd.DataFrame, as_of: AsOf) -> pd.Series:
    """Longest run of consecutive class days (of this school year) with an absence."""
    this_year = absences[absences["date"] >= as_of.year_start]
    days = this_year[["student_id", "date"]].drop_duplicates()
    days = days.assign(number=days["date"].map(as_of.class_day_numbers()))
    days = days.dropna(subset=["number"]).sort_values(["student_id", "number"])
    same_student = days["student_id"].eq(days["student_id"].shift())
    follows = days["number"].eq(days["number"].shift() + 1)
    run = (~(same_student & follows)).cumsum()
    longest = days.groupby(["student_id", run]).size().groupby(level="student_id").max()
    return ids.map(longest).fillna(0).astype("float64")


def _weighted_mean(marks: pd.DataFrame, by: str | list[str]) -> pd.Series:
    """Coefficient-weighted mean mark on /20 per group; NaN when the coefficients sum to 0."""
    sums = marks.groupby(by)[["weighted_mark", "coefficient"]].sum()
    return sums["weighted_mark"] / sums["coefficient"].where(sums["coefficient"] != 0)


def grade_features(grades: pd.DataFrame, ids: pd.Series, as_of: AsOf) -> Columns:
    usable = grades[grades["student_id"].isin(ids) & (grades["out_of"] > 0)]
    usable = usable.assign(
        weighted_mark=usable["coefficient"] * (usable["value"] / usable["out_of"] * 20)
    )
    before = usable[usable["date"] < as_of.t]
    this_year = before[before["date"] >= as_of.year_start]
    last_year = usable[
        (usable["date"] >= as_of.previous_year_start) & (usable["date"] < as_of.year_start)
    ]

    current_period = this_year.groupby("student_id")["period"].max()
    period_means = _weighted_mean(this_year, ["student_id", "period"])
    current = pd.Series(
        [period_means.get((s, p), np.nan) for s, p in current_period.items()],
        index=current_period.index,
    )
    previous = pd.Series(
        [period_means.get((s, p - 1), np.nan) for s, p in current_period.items()],
        index=current_period.index,
    )
    year_mean = _per_student(ids, _weighted_mean(this_year, "student_id"))
    subject_means = _weighted_mean(this_year, ["student_id", "subject"]).dropna()
    by_student = subject_means.groupby(level="student_id")
    last_mark = this_year.groupby("student_id")["date"].max()

    columns: Columns = {
        "grade_mean_current_period": _per_student(ids, current),
        "grade_mean_previous_period": _per_student(ids, previous),
        "grade_mean_ytd": year_mean,
    }
    columns["grade_mean_change_period"] = (
        columns["grade_mean_current_period"] - columns["grade_mean_previous_period"]
    )
    columns["grade_mean_change_year"] = year_mean - _per_student(
        ids, _weighted_mean(last_year, "student_id")
    )
    rounded = subject_means.round(COMPARISON_DECIMALS)
    for name, threshold in (("subjects_below_8_ytd", LOW_GRADE),
                            ("subjects_below_10_ytd", UNDER_AVERAGE_GRADE)):  # fmt: skip
        below = (rounded < threshold).groupby(level="student_id").sum()
        columns[name] = ids.map(below).fillna(0).astype("float64")
    columns["subject_mean_spread_ytd"] = _per_student(ids, by_student.std(ddof=0))
    columns["assessments_8w"] = _count(ids, before[before["date"] >= as_of.window_start["8w"]])
    columns["weeks_since_last_grade"] = _per_student(ids, (as_of.t - last_mark).dt.days / 7)
    return columns


def exam_features(exams: pd.DataFrame, ids: pd.Series, as_of: AsOf) -> Columns:
    before = exams[exams["student_id"].isin(ids) & (exams["date"] < as_of.t)]
    failed = before[before["result"].eq("fail")]
    failed_mock = failed[failed["exam"].eq("mock") & (failed["date"] >= as_of.year_start)]
    last_failure = failed.groupby("student_id")["date"].max()
    return {
        "failed_exams": _count(ids, failed),
        "missed_exams": _count(ids, before[before["result"].eq("absent")]),
        "failed_mock_exams_ytd": _count(ids, failed_mock),
        "weeks_since_last_failed_exam": _per_student(ids, (as_of.t - last_failure).dt.days / 7),
    }


def path_features(enrollments: pd.DataFrame, roster: pd.DataFrame, as_of: AsOf) -> Columns:
    ids = roster["student_id"]
    known = enrollments[
        enrollments["student_id"].isin(ids) & (enrollments["start_date"] <= as_of.t)
    ]
    # One level per school year: the enrollment with the latest start that year.
    per_year = known.sort_values(
        ["student_id", "school_year", "start_date", "uai", "class_id", "level"],
        ascending=[True, True, False, True, True, True],
    ).drop_duplicates(["student_id", "school_year"], keep="first")
    rank = per_year["level"].map(NOMINAL_AGE)
    previous_rank = rank.groupby(per_year["student_id"]).shift()
    repeated = (rank <= previous_rank).groupby(per_year["student_id"]).sum()
    nominal_age = roster["level"].map(NOMINAL_AGE).astype("float64")
    return {
        "repeated_years": ids.map(repeated).fillna(0).astype("float64"),
        "age_for_level": (as_of.rentree_year - roster["birth_date"].dt.year - nominal_age).astype(
            "float64"
        ),
        "school_changes": ids.map(known.groupby("student_id")["uai"].nunique() - 1)
        .fillna(0)
        .astype("float64"),
    }

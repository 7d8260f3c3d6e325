"""A plain pandas implementation of the feature catalog, written to be obviously correct.

It loads the typed views of an extraction into pandas and computes each feature for one as-of
date at a time with filters and groupbys, following the definitions in `features.catalog`
word for word. It exists to check `features.builder` (the equivalence test holds both equal)
and to measure the builder's speed-up in the benchmark; production code uses the builder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from features.builder import BUILDER_TABLES, as_of_dates_checked
from features.calendar import (
    calendar_for,
    school_half_days_between,
    school_year_bounds,
    school_year_of,
)
from features.catalog import WINDOW_DAYS
from features.extraction import Extraction, open_extraction
from features.feature_set import FeatureSet, frame_columns
from tests.oracle.reference_families import (
    attendance_features,
    exam_features,
    grade_features,
    path_features,
)

__all__ = ["AsOf", "build_features_reference", "load_tables"]

_COLUMNS = {
    "establishments": "uai, kind, priority_zone",
    "students": "student_id, birth_date, sex, scholarship_level, parent_pcs",
    "enrollments": "student_id, school_year, uai, level, track, class_id, start_date, end_date",
    "attendance": "student_id, date, kind, justified",
    "grades": "student_id, date, subject, value, out_of, coefficient, period",
    "exams": "student_id, date, exam, result",
}


class AsOf:
    """An as-of date and the dates every definition is relative to, as pandas Timestamps."""

    def __init__(self, as_of: dt.date):
        self.date = as_of
        self.t = pd.Timestamp(as_of)
        self.school_year = school_year_of(as_of)
        year_start, _ = school_year_bounds(self.school_year)
        self.year_start = pd.Timestamp(year_start)
        self.rentree_year = year_start.year
        self.previous_year_start = pd.Timestamp(year_start.replace(year=year_start.year - 1))
        self.window_start = {w: self.t - pd.Timedelta(days=n) for w, n in WINDOW_DAYS.items()}
        self.window_start["ytd"] = self.year_start

    def class_half_days(self, window: str, college: bool) -> int:
        """Class half-days in [window start, as_of), per `features.calendar`."""
        return school_half_days_between(self.window_start[window].date(), self.date, college)

    def class_day_numbers(self) -> dict[pd.Timestamp, int]:
        """Position of each class day of the as-of's school year, for runs of absences."""
        days = calendar_for(self.school_year).class_days()
        return {pd.Timestamp(day): number for number, day in enumerate(days)}


def build_features_reference(
    source: Extraction | str | Path, as_of_dates: Iterable[dt.date]
) -> FeatureSet:
    """Same contract as `features.builder.build_features`, computed plainly in pandas."""
    dates = as_of_dates_checked(as_of_dates)
    if isinstance(source, Extraction):
        tables = load_tables(source, dates)
    else:
        with open_extraction(source) as extraction:
            tables = load_tables(extraction, dates)
    frames = [features_on(tables, AsOf(as_of)) for as_of in dates]
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return FeatureSet.from_frame(pd.DataFrame(columns=frame_columns()))
    return FeatureSet.from_frame(pd.concat(frames, ignore_index=True))


def load_tables(extraction: Extraction, dates: list[dt.date]) -> dict[str, pd.DataFrame]:
    """The typed views the features need, in pandas; events on or after the last as-of date
    are left out since no feature can use them."""
    last = max(dates, default=dt.date(2000, 1, 3)).isoformat()
    tables = {}
    for name in BUILDER_TABLES:
        where = f" WHERE date < DATE '{last}'" if name in ("attendance", "grades", "exams") else ""
        tables[name] = extraction.con.execute(f"SELECT {_COLUMNS[name]} FROM {name}{where}").df()
    return tables


def enrolled_on(enrollments: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    """One enrollment per student enrolled on t: the latest start; ties broken by the latest
    school year, then the smallest uai, class_id and level."""
    open_on_t = (enrollments["start_date"] <= t) & (
        enrollments["end_date"].isna() | (enrollments["end_date"] >= t)
    )
    ordered = enrollments[open_on_t].sort_values(
        ["student_id", "start_date", "school_year", "uai", "class_id", "level"],
        ascending=[True, False, False, True, True, True],
    )
    return ordered.drop_duplicates("student_id", keep="first")


def features_on(tables: dict[str, pd.DataFrame], as_of: AsOf) -> pd.DataFrame:
    """Every feature of every student enrolled on one as-of date."""
    roster = enrolled_on(tables["enrollments"], as_of.t)
    roster = roster[["student_id", "uai", "level", "track", "class_id"]]
    establishments = tables["establishments"].rename(columns={"kind": "establishment_kind"})
    roster = roster.merge(establishments, on="uai", how="left")
    roster = roster.merge(tables["students"], on="student_id", how="left")
    roster["college"] = roster["establishment_kind"].eq("college")
    roster["as_of"] = as_of.t
    roster["school_year"] = as_of.school_year
    roster = roster.reset_index(drop=True)
    if roster.empty:
        return pd.DataFrame(columns=frame_columns())

    ids = roster["student_id"]
    families = (
        attendance_features(tables["attendance"], roster, as_of),
        grade_features(tables["grades"], ids, as_of),
        exam_features(tables["exams"], ids, as_of),
        path_features(tables["enrollments"], roster, as_of),
    )
    for family in families:
        for name, values in family.items():
            roster[name] = values

    roster["establishment_unjustified_absence_rate_4w"] = roster.groupby("uai", dropna=False)[
        "unjustified_absence_rate_4w"
    ].transform("mean")
    class_median = roster.groupby(["uai", "class_id"], dropna=False)["assessments_8w"].transform(
        "median"
    )
    roster["assessments_8w_vs_class_median"] = roster["assessments_8w"] - class_median
    return roster

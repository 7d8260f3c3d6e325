"""Headline figures of a generated académie, to compare with the published ones (FACTS.md).

`calibration_report(tables)` measures what the configuration's comments promise: the share
of absentéistes (4+ unjustified half-days in a month) by kind of establishment and by month,
its concentration across establishments, dropout rates by track and by group, exam pass
rates, repeat rates and sizes. Used to tune `academie.yaml` and in the tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.calendar import calendar_for

__all__ = ["absentee_months", "calibration_report", "half_days_lost", "yearly_enrollment"]

_CLASS_MONTHS = (9, 10, 11, 12, 1, 2, 3, 4, 5, 6)


def yearly_enrollment(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (student, school year): the year's last enrollment, with the
    establishment's kind and zone, the student's attributes and the outcome if known."""
    enrollments = tables["enrollments"].sort_values(["student_id", "school_year", "start_date"])
    last = enrollments.drop_duplicates(["student_id", "school_year"], keep="last")
    establishments = tables["establishments"][["uai", "kind", "priority_zone", "sector"]]
    students = tables["students"][["student_id", "sex", "scholarship_level", "parent_pcs"]]
    merged = last.merge(establishments, on="uai").merge(students, on="student_id")
    return merged.merge(
        tables["outcomes"][["student_id", "school_year", "dropped_out"]],
        on=["student_id", "school_year"],
        how="left",
    )


def absentee_months(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (student, month) the student was enrolled on the 15th: unjustified
    absence half-days that month, with the establishment's kind and UAI."""
    enrollments = tables["enrollments"].merge(tables["establishments"][["uai", "kind"]], on="uai")
    extraction_guess = tables["attendance"]["date"].max()
    rows = []
    for year in sorted(enrollments["school_year"].unique()):
        start = int(year[:4])
        for month in _CLASS_MONTHS:
            day = pd.Timestamp(start if month >= 9 else start + 1, month, 15)
            if day > extraction_guess:
                continue
            enrolled = enrollments[
                (enrollments["school_year"] == year)
                & (enrollments["start_date"] <= day)
                & (enrollments["end_date"].isna() | (enrollments["end_date"] >= day))
            ]
            rows.append(enrolled[["student_id", "uai", "kind"]].assign(
                school_year=year, month=month, period=day.strftime("%Y-%m")
            ))  # fmt: skip
    months = pd.concat(rows, ignore_index=True)
    attendance = tables["attendance"]
    unjustified = attendance[(attendance["kind"] == "absence") & ~attendance["justified"]]
    counts = (
        unjustified.assign(period=unjustified["date"].dt.strftime("%Y-%m"))
        .groupby(["student_id", "period"])
        .size()
        .rename("unjustified")
        .reset_index()
    )
    months = months.merge(counts, on=["student_id", "period"], how="left")
    months["unjustified"] = months["unjustified"].fillna(0).astype(int)
    months["absentee"] = months["unjustified"] >= 4
    return months


def half_days_lost(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Share of taught half-days missed, justified and unjustified (enrollments' spans)."""
    enrollments = tables["enrollments"].merge(tables["establishments"][["uai", "kind"]], on="uai")
    last_event = tables["attendance"]["date"].max()
    taught = 0
    for (year, college), group in enrollments.groupby(
        ["school_year", enrollments["kind"] == "college"]
    ):
        calendar = calendar_for(str(year))
        days = pd.to_datetime(pd.Series(calendar.class_days())).to_numpy()
        halves = np.array(
            [len(calendar.half_days(day, bool(college))) for day in calendar.class_days()]
        )
        cumulative = np.concatenate([[0], np.cumsum(halves)])
        until = group["end_date"].fillna(last_event).to_numpy()
        first = np.searchsorted(days, group["start_date"].to_numpy(), side="left")
        last = np.searchsorted(days, until, side="right")
        taught += int((cumulative[last] - cumulative[first]).clip(min=0).sum())
    absences = tables["attendance"][tables["attendance"]["kind"] == "absence"]
    justified = int(absences["justified"].sum())
    return {
        "justified": round(justified / taught, 4),
        "unjustified": round((len(absences) - justified) / taught, 4),
    }


def _rate(frame: pd.DataFrame, by: str) -> dict[str, float]:
    known = frame[frame["dropped_out"].notna()]
    return {
        str(key): round(float(value), 4)
        for key, value in known.groupby(by)["dropped_out"].mean().items()
    }


def calibration_report(tables: dict[str, pd.DataFrame]) -> dict[str, object]:
    """Headline figures of an académie (complete years only for dropout rates)."""
    years = yearly_enrollment(tables)
    last_year = years["school_year"].max()
    complete = years[years["school_year"] < last_year].copy()
    complete["dropped_out"] = complete["dropped_out"].astype("boolean")
    complete["scholarship"] = np.where(complete["scholarship_level"] > 0, "holder", "none")
    complete["vocational"] = complete["track"] == "vocational"
    months = absentee_months(tables)
    by_establishment = months.groupby("uai")["absentee"].mean()
    exams = tables["exams"]
    finals = exams[exams["exam"] != "mock"]
    repeats = years.sort_values(["student_id", "school_year"])
    following = repeats.groupby("student_id")["level"].shift(-1)
    observed = repeats["school_year"] < last_year  # the next year is known
    repeated = (repeats["level"] == following)[observed]
    absentees = months.groupby("uai")["absentee"].sum().sort_values(ascending=False)
    top_decile = absentees.iloc[: max(1, round(len(absentees) / 10))].sum()
    sizes = years[years["school_year"] == last_year].groupby("uai").size()
    kinds = tables["establishments"].set_index("uai")["kind"]
    return {
        "students_last_year": len(years[years["school_year"] == last_year]),
        "mean_size_by_kind": {
            str(k): round(float(v))
            for k, v in sizes.groupby(kinds.reindex(sizes.index)).mean().items()
        },
        "absentee_share_by_kind": {
            str(k): round(float(v), 4) for k, v in months.groupby("kind")["absentee"].mean().items()
        },
        "absentee_share_by_month": {
            int(k): round(float(v), 4)
            for k, v in months.groupby("month")["absentee"].mean().items()
        },
        "absentee_share_establishment_quartiles": [
            round(float(q), 4) for q in by_establishment.quantile([0.25, 0.5, 0.75])
        ],
        "absentees_held_by_top_decile_establishments": round(
            float(top_decile / max(absentees.sum(), 1)), 4
        ),
        "dropout_rate": round(float(complete["dropped_out"].mean()), 4),
        "dropout_rate_by_track": _rate(complete, "track"),
        "dropout_rate_by_level": _rate(complete, "level"),
        "dropout_rate_by_sex": _rate(complete, "sex"),
        "dropout_rate_by_scholarship": _rate(complete, "scholarship"),
        "dropout_rate_by_pcs": _rate(complete, "parent_pcs"),
        "dropout_rate_by_zone_in_college": _rate(
            complete[complete["track"] == "college"], "priority_zone"
        ),
        "exam_pass_rate": {
            str(k): round(float(v), 4)
            for k, v in (finals["result"] == "pass").groupby(finals["exam"]).mean().items()
        },
        "repeat_rate_by_level": {
            str(k): round(float(v), 4)
            for k, v in repeated.groupby(repeats.loc[repeated.index, "level"]).mean().items()
        },
        "half_days_lost": half_days_lost(tables),
        "scholarship_share": round(float((tables["students"]["scholarship_level"] > 0).mean()), 4),
        "pcs_share_by_track": (
            years.groupby("track")["parent_pcs"]
            .value_counts(normalize=True)
            .round(3)
            .unstack()
            .to_dict(orient="index")
        ),
    }

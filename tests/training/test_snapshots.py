"""As-of Mondays (hand-computed from the zone B calendar) and the snapshot frame."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from features.contract import SENSITIVE_COLUMNS
from features.extraction import open_extraction
from features.labels import EXIT_KINDS, HORIZON_WEEKS
from training.snapshots import (
    build_snapshots,
    class_week_mondays,
    enrolled_outcomes,
    extraction_last_event,
    snapshot_dates,
)

D = dt.date


def test_weekly_mondays_skip_the_rentree_week_and_holidays() -> None:
    mondays = class_week_mondays("2024-2025")
    assert mondays[0] == D(2024, 9, 9)  # rentrée on Monday 2 September: no list that day
    assert all(day.weekday() == 0 for day in mondays)
    # Toussaint: classes end Saturday 19 October and resume Monday 4 November.
    assert D(2024, 10, 14) in mondays
    assert D(2024, 10, 21) not in mondays and D(2024, 10, 28) not in mondays
    assert D(2024, 11, 4) in mondays
    # Christmas (21 December to 6 January).
    assert D(2024, 12, 23) not in mondays and D(2024, 12, 30) not in mondays
    # Summer from Saturday 5 July 2025: the last list is on Monday 30 June.
    assert mondays[-1] == D(2025, 6, 30)


def test_monthly_is_the_first_class_monday_of_each_month() -> None:
    monthly = snapshot_dates("2024-2025", "monthly")
    assert monthly[:3] == [D(2024, 9, 9), D(2024, 10, 7), D(2024, 11, 4)]
    assert set(monthly) <= set(snapshot_dates("2024-2025", "weekly"))
    assert len({(day.year, day.month) for day in monthly}) == len(monthly) == 10


def test_dates_stop_at_the_last_event() -> None:
    dates = snapshot_dates("2026-2027", "weekly", last_event=D(2026, 11, 26))
    assert dates[-1] == D(2026, 11, 23)


def test_snapshots_carry_labels_exit_dates_and_capacity(tiny_academie: Path) -> None:
    with open_extraction(tiny_academie) as extraction:
        last = extraction_last_event(extraction)
        assert last is not None and last < D(2026, 11, 27)
        outcomes = enrolled_outcomes(extraction)
        frame = build_snapshots(extraction, snapshot_dates("2025-2026", "monthly", last))
    assert {"label_dropped_out", "label_known_on", "exit_date", "capacity"} <= set(frame.columns)
    assert set(SENSITIVE_COLUMNS) <= set(frame.columns)  # kept beside, for audits
    dropouts = frame[frame["label_dropped_out"] == 1]
    assert len(dropouts) and dropouts["exit_date"].notna().all()
    assert (
        frame.loc[(frame["label_dropped_out"] == 0) & (frame["label"] != 1), "exit_date"]
        .isna()
        .all()
    )
    # Nobody is on a list after they left.
    assert (dropouts["as_of"] <= dropouts["exit_date"]).all()
    assert (frame["capacity"] >= 0).all() and frame["capacity"].dtype == "int64"
    # Every dropout's exit has a kind; the horizon label is NaN exactly on censored rows.
    assert set(dropouts["exit_kind"]) <= set(EXIT_KINDS)
    assert frame.loc[frame["exit_date"].isna(), "exit_kind"].isna().all()
    assert frame["censored"].dtype == bool
    assert frame["censored"].eq(frame["label"].isna()).all()
    assert frame.loc[frame["censored"], "censor_reason"].notna().all()
    assert set(frame["label"].dropna()) == {0.0, 1.0}
    positive = frame["label"] == 1
    assert (frame.loc[positive & frame["exit_date"].notna(), "label_dropped_out"] == 1).all()
    counted = frame.loc[positive, "label_exit_date"]
    assert counted.notna().all() and (frame.loc[positive, "as_of"] <= counted).all()
    assert set(frame.loc[positive, "label_exit_kind"]) <= set(EXIT_KINDS)
    # Lead times and the replay count to the exit the label counts.
    assert frame.loc[positive, "exit_date"].eq(counted).all()
    assert frame.loc[positive, "exit_kind"].eq(frame.loc[positive, "label_exit_kind"]).all()
    # The horizon reaches past the extraction for the last weeks: censored, not negative.
    late = frame["as_of"] + pd.Timedelta(weeks=HORIZON_WEEKS) > pd.Timestamp(last)
    assert frame.loc[late & ~positive, "censored"].all()
    assert (frame.loc[late & ~positive, "censor_reason"] == "not_yet_observed").any()
    assert set(outcomes.columns) == {"school_year", "student_id", "dropped_out", "known_on"}

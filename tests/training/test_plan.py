"""Planning splits from outcomes: consolidated years, cross-fitted or held-out calibration,
refusals that name the split."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from training.plan import consolidated_years, final_plan, labelled_years, plan_splits
from training.splits import parse_cv

D = dt.date


def _outcomes(years: dict[str, tuple[int, dt.date | None]]) -> pd.DataFrame:
    """Ten students per year; `known` of them with an outcome known on the given date (the
    demo's pattern: outcomes of students who stay are known in October after the year)."""
    rows = []
    for year, (known, known_on) in years.items():
        for student in range(10):
            has = student < known
            rows.append({
                "school_year": year, "student_id": f"S{student}",
                "dropped_out": float(student == 0) if has else float("nan"),
                "known_on": pd.Timestamp(known_on) if has and known_on else pd.NaT,
            })  # fmt: skip
    return pd.DataFrame(rows)


DEMO_LIKE = _outcomes({
    "2023-2024": (10, D(2024, 10, 5)),
    "2024-2025": (10, D(2025, 10, 5)),
    "2025-2026": (10, D(2026, 10, 5)),
    "2026-2027": (1, D(2026, 11, 2)),
})  # fmt: skip


def test_labelled_years_need_most_students_with_an_outcome() -> None:
    assert labelled_years(DEMO_LIKE, 0.95) == ["2023-2024", "2024-2025", "2025-2026"]


def test_a_year_is_consolidated_once_its_outcomes_are_known() -> None:
    assert consolidated_years(DEMO_LIKE, D(2025, 9, 1), 0.95) == ["2023-2024"]
    assert consolidated_years(DEMO_LIKE, D(2025, 10, 6), 0.95) == ["2023-2024", "2024-2025"]


def test_one_consolidated_year_trains_with_cross_fitted_calibration() -> None:
    (plan,) = plan_splits(DEMO_LIKE, parse_cv("temporal"), 0.95)
    assert plan.name == "test-2025-2026"
    assert plan.train_years == ("2023-2024",)
    assert plan.calibration_year is None and plan.split is None
    assert plan.cutoff == D(2025, 9, 1)


def test_two_consolidated_years_hold_the_latest_out_for_calibration() -> None:
    outcomes = _outcomes({
        "2021-2022": (10, D(2022, 10, 5)),
        "2022-2023": (10, D(2023, 10, 5)),
        "2023-2024": (10, D(2024, 10, 5)),
        "2024-2025": (10, D(2025, 10, 5)),
    })  # fmt: skip
    plans = plan_splits(outcomes, parse_cv("backtest:2"), 0.95)
    assert [plan.test_year for plan in plans] == ["2023-2024", "2024-2025"]
    last = plans[-1]
    assert last.train_years == ("2021-2022",) and last.calibration_year == "2022-2023"
    assert last.split is not None and last.split.cutoff == D(2024, 9, 1)


def test_a_tested_year_without_a_consolidated_year_before_it_is_refused() -> None:
    with pytest.raises(ValueError, match=r"split 'test-2024-2025'.*2023-2024: 0%"):
        plan_splits(DEMO_LIKE, parse_cv("backtest:2"), 0.95)


def test_no_outcomes_at_all_is_refused() -> None:
    with pytest.raises(ValueError, match="no school year has an outcome"):
        plan_splits(_outcomes({"2025-2026": (0, None)}), parse_cv("temporal"), 0.95)


def test_final_model_trains_on_every_consolidated_year() -> None:
    plan = final_plan(DEMO_LIKE, D(2026, 11, 26), 0.95)
    assert plan.test_year is None
    assert plan.train_years == ("2023-2024", "2024-2025")
    assert plan.calibration_year == "2025-2026"
    assert plan.cutoff == D(2026, 11, 27)

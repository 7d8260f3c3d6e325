"""The synthetic académie's protocol parts: burn-in years and scenarios (issue 12).

Burn-in years are simulated and written without outcomes, so that the first year a model
trains on has its history features (last year's marks, exams, changes of school) filled.
Each scenario of `vigie synth --scenario` changes what it says, on a small académie, against
the demo configuration with the same seed.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.builder import build_features
from features.synth import SCENARIOS, generate_academie, load_config, synthesize
from features.synth.config import SynthConfig

# One complete school year (cut on 31 August), no burn-in.
SMALL = {"establishments": 8, "students": 4000, "years": 1, "burn_in_years": 0, "seed": 13,
         "last_school_year": "2025-2026", "extraction_date": "2026-08-31"}  # fmt: skip


@cache
def _tables(scenario: str | None) -> dict[str, pd.DataFrame]:
    base = load_config(overrides=SMALL)
    # Three times the dropouts, for power on a small académie (every scenario alike).
    rates = {level: min(rate * 3, 0.5) for level, rate in base.dropout.annual_rate.items()}
    config = base.override(dropout={"annual_rate": rates})
    return generate_academie(config.with_scenario(scenario) if scenario else config)


def _unjustified_before_exit(tables: dict[str, pd.DataFrame], weeks: int) -> pd.Series:
    """Unjustified half-days of each in-year dropout in the `weeks` weeks before the exit."""
    enrollments, attendance = tables["enrollments"], tables["attendance"]
    leavers = enrollments[
        (enrollments["exit_reason"] == "dropped_out") & (enrollments["end_date"].dt.month != 8)
    ][["student_id", "end_date"]]
    absences = attendance[(attendance["kind"] == "absence") & ~attendance["justified"]]
    merged = leavers.merge(absences[["student_id", "date"]], on="student_id", how="left")
    inside = (merged["date"] <= merged["end_date"]) & (
        merged["date"] > merged["end_date"] - pd.Timedelta(weeks=weeks)
    )
    return inside.groupby(merged["student_id"]).sum().reindex(leavers["student_id"], fill_value=0)


def _absence_ratio(tables: dict[str, pd.DataFrame]) -> float:
    """Unjustified half-days per enrolled day of the year's dropouts over the other students',
    counting only days more than 8 weeks before a dropout's exit: chronic absence, not the
    final ramp."""
    enrollments, attendance = tables["enrollments"], tables["attendance"]
    start = enrollments.groupby("student_id")["start_date"].min()
    exits = (
        enrollments[enrollments["exit_reason"] == "dropped_out"]
        .groupby("student_id")["end_date"]
        .max()
    )
    cut = (exits - pd.Timedelta(weeks=8)).reindex(start.index).fillna(pd.Timestamp(2026, 7, 4))
    days = (cut - start).dt.days
    absences = attendance[(attendance["kind"] == "absence") & ~attendance["justified"]]
    early = absences[absences["date"] <= absences["student_id"].map(cut)]
    rate = early.groupby("student_id").size().reindex(start.index, fill_value=0) / days
    kept = days >= 30
    dropout = start.index.isin(exits.index)
    return float(rate[kept & dropout].mean() / rate[kept & ~dropout].mean())


def test_every_scenario_is_documented_and_validated() -> None:
    assert set(SCENARIOS) == {"weak_ramp", "silent", "absence_strong", "absence_weak"}
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for name, scenario in SCENARIOS.items():
        assert scenario.description and f"`{name}`" in readme, name
        assert isinstance(load_config().with_scenario(name), SynthConfig)
    with pytest.raises(ValueError, match="unknown scenario 'loud'; known: weak_ramp"):
        load_config().with_scenario("loud")


def test_silent_and_weak_ramp_dropouts_show_fewer_absences_before_they_leave() -> None:
    default = _unjustified_before_exit(_tables(None), weeks=8)
    silent = _unjustified_before_exit(_tables("silent"), weeks=8)
    weak = _unjustified_before_exit(_tables("weak_ramp"), weeks=8)
    assert len(default) > 30 and len(silent) > 30 and len(weak) > 30
    assert silent.mean() < 0.85 * default.mean()
    assert weak.mean() < 0.7 * default.mean()
    # Silent dropouts: more of them with next to no absence in their last 8 weeks.
    assert (silent <= 1).mean() > (default <= 1).mean() + 0.08


def test_chronic_absence_is_more_or_less_predictive() -> None:
    strong = _absence_ratio(_tables("absence_strong"))
    default = _absence_ratio(_tables(None))
    weak = _absence_ratio(_tables("absence_weak"))
    assert strong > 1.2 * default and default > 1.2 * weak


def test_a_scenario_leaves_the_other_settings_alone() -> None:
    base = load_config()
    silent = base.with_scenario("silent")
    assert silent.dropout.silent_share == 0.5
    assert silent.model_dump(exclude={"dropout"}) == base.model_dump(exclude={"dropout"})
    assert silent.dropout.annual_rate == base.dropout.annual_rate


def test_scenario_and_burn_in_files_are_deterministic(tmp_path: Path) -> None:
    options = {**SMALL, "students": 300, "establishments": 2, "burn_in_years": 1}
    first = synthesize(tmp_path / "a", scenario="silent", file_format="csv", **options)
    second = synthesize(tmp_path / "b", scenario="silent", file_format="csv", **options)
    files = sorted(path for path in first.out_dir.rglob("*") if path.is_file())
    assert first.out_dir / "_synth" / "latent.parquet" in files  # the ceiling's side file
    for path in files:
        twin = second.out_dir / path.relative_to(first.out_dir)
        assert path.read_bytes() == twin.read_bytes(), path.name


def test_burn_in_years_are_written_without_outcomes_and_fill_the_history(tmp_path: Path) -> None:
    options = {"establishments": 3, "students": 700, "years": 2, "seed": 4}
    with_burn_in = synthesize(tmp_path / "burn", file_format="parquet", **options)
    assert with_burn_in.school_years == ["2024-2025", "2025-2026", "2026-2027"]
    without = synthesize(tmp_path / "none", burn_in_years=0, file_format="parquet", **options)
    assert without.school_years == ["2025-2026", "2026-2027"]
    outcomes = pd.read_parquet(tmp_path / "burn" / "outcomes.parquet")
    enrollments = pd.read_parquet(tmp_path / "burn" / "enrollments.parquet")
    attendance = pd.read_parquet(tmp_path / "burn" / "attendance.parquet")
    assert "2024-2025" not in set(outcomes["school_year"])  # history only
    assert "2025-2026" in set(outcomes["school_year"])
    assert (enrollments["school_year"] == "2024-2025").any()
    assert (pd.to_datetime(attendance["date"]) < pd.Timestamp(2025, 9, 1)).any()
    # The first year with outcomes: last year's marks are there for its students.
    as_of = [dt.date(2025, 12, 1)]
    filled = build_features(tmp_path / "burn", as_of).frame["grade_mean_change_year"]
    empty = build_features(tmp_path / "none", as_of).frame["grade_mean_change_year"]
    assert filled.notna().mean() > 0.5
    assert empty.notna().mean() == 0.0
    assert np.isfinite(filled.dropna()).all()


def test_vigie_synth_lists_the_scenarios_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from vigie.cli import app

    runner = CliRunner()
    shown = runner.invoke(app, ["synth", "--help"], terminal_width=200)
    assert shown.exit_code == 0
    text = " ".join(shown.output.split())
    assert "--burn-in-years" in text and "--scenario" in text
    for name in SCENARIOS:
        assert name in text, name
    refused = runner.invoke(
        app, ["synth", "--out", str(tmp_path / "x"), "--scenario", "loud", "--students", "100"]
    )
    assert refused.exit_code != 0 and not (tmp_path / "x").exists()

"""The demo job: it regenerates the demo académie when its configuration changed, builds the
features of all its weeks at once, and plans the synthetic watch unit's decisions."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

import vigie.commands.training as training_commands
import vigie.demo as demo
import vigie.demo_history as demo_history
import vigie.demo_serving as demo_serving
from features.calendar import calendar_for
from features.store import read_features
from features.synth import load_config
from settings import Settings

SMALL = {"establishments": 2, "students": 200, "years": 2, "seed": 4}


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace the training step by a recorder: these tests are about the extraction."""
    trained: list[Path] = []
    monkeypatch.setattr(training_commands, "train", lambda data: trained.append(data))
    steps = ("promote_demo_champion", "demo_watch_unit_uai", "ensure_demo_users")
    for step in steps:
        monkeypatch.setattr(demo_serving, step, lambda *args: None)
    monkeypatch.setattr(demo_history, "score_demo_weeks", lambda *args, **kwargs: None)
    return trained


def _run(monkeypatch: pytest.MonkeyPatch, home: Path, **overrides: object) -> str:
    monkeypatch.setattr(demo, "load_config", lambda: load_config(overrides=SMALL | overrides))
    console = Console(record=True, width=200)
    demo.run_demo(Settings(home=home), console)
    return console.export_text()


def test_demo_reuses_its_extraction_until_the_configuration_changes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_training: list[Path]
) -> None:
    first = _run(monkeypatch, tmp_path)
    settings = Settings(home=tmp_path)
    assert "Demo académie: " in first and "reusing" not in first
    assert no_training == [settings.demo_extraction]
    stamp = settings.demo_fingerprint.read_text().strip()
    assert stamp == demo.config_fingerprint(load_config(overrides=SMALL))

    assert "reusing" in _run(monkeypatch, tmp_path)

    changed = _run(monkeypatch, tmp_path, establishments=3)
    assert "made from another configuration" in changed
    assert len(pd.read_parquet(settings.demo_extraction / "establishments.parquet")) == 3
    assert settings.demo_fingerprint.read_text().strip() != stamp


def test_an_extraction_without_fingerprint_is_generated_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_training: list[Path]
) -> None:
    _run(monkeypatch, tmp_path)
    Settings(home=tmp_path).demo_fingerprint.unlink()  # an extraction from before the stamp
    assert "made from another configuration" in _run(monkeypatch, tmp_path)


def test_an_extraction_without_the_latent_risk_is_generated_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_training: list[Path]
) -> None:
    from features.synth.latent_file import LATENT_PATH

    _run(monkeypatch, tmp_path)
    latent = Settings(home=tmp_path).demo_extraction / LATENT_PATH
    assert latent.is_file()
    latent.unlink()  # an extraction from before the side file of the ceiling
    assert "an older generator" in _run(monkeypatch, tmp_path)
    assert latent.is_file()


def test_the_demo_builds_the_features_of_each_of_its_weeks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_training: list[Path]
) -> None:
    text = _run(monkeypatch, tmp_path)
    as_of = demo.demo_as_of(load_config(overrides=SMALL).extraction_date)
    weeks = demo_history.demo_weeks(as_of)
    assert f"Features of {len(weeks)} weeks, {weeks[0]} to {as_of}" in text
    files = sorted(Settings(home=tmp_path).features_dir.glob("demo-*.parquet"))
    assert [file.name for file in files] == [f"demo-{week}.parquet" for week in weeks]
    enrolled = []
    for week, file in zip(weeks, files, strict=True):
        frame = read_features(file).frame
        assert set(frame["as_of"].dt.date) == {week}
        enrolled.append(len(frame))
    assert min(enrolled) > 0


def test_the_demo_weeks_run_from_the_rentree_to_the_demo_week() -> None:
    as_of = dt.date(2026, 11, 30)
    rentree = calendar_for("2026-2027").rentree  # Tuesday 1 September 2026
    weeks = demo_history.demo_weeks(as_of, count=20)
    assert weeks[0] == dt.date(2026, 9, 7) and weeks[0] > rentree
    assert weeks[-1] == as_of
    assert all((later - earlier).days == 7 for earlier, later in itertools.pairwise(weeks))
    assert demo_history.demo_weeks(as_of, count=4) == weeks[-4:]
    assert demo_history.demo_weeks(dt.date(2026, 9, 7)) == [dt.date(2026, 9, 7)]
    with pytest.raises(ValueError, match="at least one week"):
        demo_history.demo_weeks(as_of, count=0)


def test_the_synthetic_decisions_are_dated_in_their_week_and_follow_the_seed() -> None:
    invited = [f"S{n:05d}" for n in range(3000)]
    week = dt.date(2026, 11, 9)  # a class week (Wednesday 11 November is a public holiday)
    plans = demo_history.plan_decisions(invited, week, seed=7)
    assert plans == demo_history.plan_decisions(invited, week, seed=7)
    assert plans != demo_history.plan_decisions(invited, week, seed=8)
    assert plans != demo_history.plan_decisions(invited, week + dt.timedelta(weeks=1), seed=7)
    calendar = calendar_for("2026-2027")
    assert {plan.day for plan in plans} == {
        week + dt.timedelta(days=n) for n in (0, 1, 3, 4)
    }  # fmt: skip
    assert all(calendar.is_class_day(plan.day) for plan in plans)
    kinds = pd.Series([plan.kind for plan in plans]).value_counts() / len(invited)
    for kind, share in demo_history.SHARES.items():
        assert abs(kinds[kind] - share) < 0.03, kind
    assert all((plan.solution is not None) == (plan.kind == "held") for plan in plans)
    assert all(
        (plan.reason or "").startswith("Démonstration") == (plan.kind == "dismissed")
        for plan in plans
    )
    # Every student is decided about at most once, in the list's order.
    decided = [plan.student_id for plan in plans]
    assert decided == sorted(set(decided))
    # No class in the Toussaint holidays: no decision.
    assert demo_history.plan_decisions(invited, dt.date(2026, 10, 26), seed=7) == []

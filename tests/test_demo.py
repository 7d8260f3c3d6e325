"""The demo job: it regenerates the demo académie when its configuration changed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

import vigie.commands.training as training_commands
import vigie.demo as demo
import vigie.demo_serving as demo_serving
from features.synth import load_config
from vigie.settings import Settings

SMALL = {"establishments": 2, "students": 200, "years": 2, "seed": 4}


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace the training step by a recorder: these tests are about the extraction."""
    trained: list[Path] = []
    monkeypatch.setattr(training_commands, "train", lambda data: trained.append(data))
    steps = ("promote_demo_champion", "score_demo_week", "demo_watch_unit_uai", "ensure_demo_users")
    for step in steps:
        monkeypatch.setattr(demo_serving, step, lambda *args: None)
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

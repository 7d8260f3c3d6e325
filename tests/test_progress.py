"""Progress of long jobs (`features.progress`, `vigie.progress`): the reporters, the hooks in
the feature builder, the generator and the training pipeline, and that reporting changes
nothing that is written."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from features.builder import build_features
from features.extraction import open_extraction
from features.progress import SILENT, STAGE_WORDING, stage_text
from features.synth import synthesize
from training.config import load_train_config
from training.pipeline import prepare, train_and_evaluate
from vigie.progress import (
    BarProgress,
    LineProgress,
    current_progress,
    make_progress,
    reporting,
)

DATES = [dt.date(2026, 9, 14), dt.date(2026, 10, 5), dt.date(2026, 11, 16)]


class Recorder:
    """A reporter that keeps what it is told: (stage, total) and the advances of each."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, int | None]] = []
        self.advances: list[list[int]] = []

    def stage(self, name: str, total: int | None = None) -> None:
        stage_text(name, "fr", total)  # a stage the wording table does not know fails
        self.stages.append((name, total))
        self.advances.append([])

    def advance(self, n: int = 1) -> None:
        self.advances[-1].append(n)

    def names(self) -> list[str]:
        return [name for name, _ in self.stages]


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    stream = io.StringIO()
    return Console(file=stream, force_terminal=terminal, width=120, color_system=None), stream


def _run_stages(progress) -> None:  # type: ignore[no-untyped-def]
    progress.stage("validate")
    progress.stage("snapshots", total=3)
    for _ in range(3):
        progress.advance()
    progress.stage("compare")


# --- wording ---------------------------------------------------------------------------


def test_every_stage_is_worded_in_both_languages() -> None:
    for name, (french, english) in STAGE_WORDING.items():
        assert french and english and french != english, name
        assert ("{total}" in french) == ("{total}" in english), name
        for language in ("fr", "en"):
            total = 2 if "{total}" in french else None
            text = stage_text(name, language, total)
            assert "{" not in text and text[0].isupper(), (name, language, text)


def test_totals_are_counted_in_the_language() -> None:
    assert stage_text("snapshots", "fr", 1) == "Instantanés à 1 date"
    assert stage_text("snapshots", "en", 36) == "Snapshots at 36 dates"
    assert stage_text("trials", "fr", 1200) == (
        "Recherche de paramètres\u00a0: 1\u202f200 essais (Optuna)"
    )
    assert stage_text("trials", "en", 1200) == "Parameter search: 1,200 trials (Optuna)"
    assert stage_text("synth_years", "fr", 0) == "Simulation de 0 année scolaire"


def test_unknown_stage_language_or_missing_total_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown progress stage 'nope'"):
        stage_text("nope", "fr")
    with pytest.raises(ValueError, match="language must be fr or en"):
        stage_text("validate", "de")
    with pytest.raises(ValueError, match="needs its total"):
        stage_text("snapshots", "fr")
    with pytest.raises(ValueError, match="unknown progress stage"):
        SILENT.stage("nope")  # --quiet fails the same as a display would
    with pytest.raises(ValueError, match="language must be fr or en"):
        make_progress(language="de")


# --- reporters ---------------------------------------------------------------------------


def test_off_a_terminal_one_plain_line_per_stage_in_order() -> None:
    console, stream = _console(terminal=False)
    progress = make_progress(language="fr", console=console)
    assert isinstance(progress, LineProgress)
    _run_stages(progress)
    progress.close()
    assert stream.getvalue().splitlines() == [
        "Validation de l'extraction",
        "Instantanés à 3 dates",
        "Comparaison des modèles",
    ]
    assert "\x1b" not in stream.getvalue()  # no escape codes in a log


def test_english_with_the_language_switch() -> None:
    console, stream = _console(terminal=False)
    _run_stages(make_progress(language="en", console=console))
    assert stream.getvalue().splitlines()[1] == "Snapshots at 3 dates"


def test_quiet_prints_nothing_even_on_a_terminal() -> None:
    for terminal in (False, True):
        console, stream = _console(terminal)
        with reporting(quiet=True, console=console) as progress:
            _run_stages(progress)
        assert stream.getvalue() == ""


def test_on_a_terminal_a_bar_per_stage_with_its_count() -> None:
    console, stream = _console(terminal=True)
    with reporting(language="en", console=console) as progress:
        assert isinstance(progress, BarProgress)
        _run_stages(progress)
    shown = stream.getvalue()
    final = shown[shown.rindex("Validating") :]  # the last frame, drawn when it stopped
    assert re.search(r"✓ Snapshots at 3 dates\s+━+ 3/3", final), final
    assert re.search(r"✓ Comparing the models\s+━+\s", final), final
    assert "1/1" not in final  # a stage without a total shows no count
    assert "\x1b[?25h" in shown  # the cursor is given back: the display stopped


def test_a_stage_cut_short_shows_what_it_did() -> None:
    console, stream = _console(terminal=True)
    with reporting(language="en", console=console) as progress:
        progress.stage("trials", total=10)
        progress.advance(4)  # the search's timeout ended it
    shown = stream.getvalue()
    final = shown[shown.rindex("✓") :]  # the last frame
    assert re.search(r"✓ Parameter search: 10 trials \(Optuna\)\s+━+ 4/4", final), final


def test_a_command_inside_another_reuses_its_reporter() -> None:
    console, stream = _console(terminal=False)
    assert current_progress() is SILENT
    with reporting(language="en", console=console) as outer:
        assert current_progress() is outer
        with reporting(quiet=True, language="fr") as inner:  # e.g. `vigie train` in the demo
            assert inner is outer
            inner.stage("validate")
    assert current_progress() is SILENT
    assert stream.getvalue() == "Validating the extraction\n"


def test_the_display_stops_when_the_command_fails() -> None:
    console, stream = _console(terminal=True)
    with pytest.raises(RuntimeError), reporting(console=console) as progress:
        progress.stage("validate")
        raise RuntimeError("boom")
    assert stream.getvalue().endswith("\x1b[?25h")
    assert current_progress() is SILENT


# --- hooks: the builder, the generator, the training pipeline ------------------------------


@pytest.fixture(scope="module")
def extraction(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("progress") / "extraction"
    synthesize(out, establishments=3, students=400, years=4, seed=11)
    return out


def test_the_builder_reports_the_dates_of_each_query_and_builds_the_same(
    extraction: Path,
) -> None:
    told: list[int] = []
    with open_extraction(extraction) as opened:
        reported = build_features(opened, DATES, rows_per_query=1, progress=told.append)
        plain = build_features(opened, DATES, rows_per_query=1)
        together = build_features(opened, DATES, progress=told.append)
    assert told == [1, 1, 1, 3]  # one date per query, then the three in one query
    pd.testing.assert_frame_equal(reported.frame, plain.frame)
    pd.testing.assert_frame_equal(together.frame, plain.frame)


def test_the_generator_reports_its_years_and_writes_the_same_files(tmp_path: Path) -> None:
    recorder = Recorder()
    options = {"establishments": 2, "students": 200, "years": 2, "seed": 4}
    reported = synthesize(tmp_path / "reported", progress=recorder, **options)  # type: ignore[arg-type]
    plain = synthesize(tmp_path / "plain", **options)  # type: ignore[arg-type]
    years = len(reported.school_years)
    assert recorder.stages == [("synth_years", years), ("synth_tables", None),
                               ("synth_write", None)]  # fmt: skip
    assert recorder.advances[0] == [1] * years
    files = sorted(p.relative_to(reported.out_dir) for p in reported.out_dir.rglob("*.parquet"))
    assert files and files == sorted(
        p.relative_to(plain.out_dir) for p in plain.out_dir.rglob("*.parquet")
    )
    for name in files:
        assert (reported.out_dir / name).read_bytes() == (plain.out_dir / name).read_bytes()


def test_training_reports_its_stages_and_fits_the_same_model(extraction: Path) -> None:
    config = load_train_config(None, {"n_boot": 20, "lightgbm.num_boost_round": 20,
                                      "calibration_folds": 3})  # fmt: skip
    recorder = Recorder()
    with open_extraction(extraction) as opened:
        reported = prepare(opened, config, progress=recorder)
        plain = prepare(opened, config)
    trained = train_and_evaluate(reported, config, recorder)
    assert recorder.names() == ["snapshots", "folds", "compare", "final_fit"]
    dates = recorder.stages[0][1]
    assert dates == reported.snapshots["as_of"].nunique()
    assert sum(recorder.advances[0]) == dates  # every date built was told
    splits = recorder.stages[1][1]
    assert splits == len(trained.folds) - 1 and recorder.advances[1] == [1] * splits
    pd.testing.assert_frame_equal(reported.snapshots, plain.snapshots)
    again = train_and_evaluate(plain, config)
    assert trained.final_model.model_hash_ == again.final_model.model_hash_
    pd.testing.assert_frame_equal(trained.predictions, again.predictions)

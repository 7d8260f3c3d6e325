"""The `vigie` command as a user runs it: synth, validate, features, train, their progress on
stderr, and refusals."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from features.progress import STAGE_WORDING, stage_text
from tests.mlflow_uris import mlflow_uris_kept
from vigie.cli import app

runner = CliRunner()
VIGIE = Path(sys.executable).with_name("vigie")


@pytest.fixture(autouse=True)
def _no_forced_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """rich takes FORCE_COLOR / TTY_COMPATIBLE for a terminal: these tests say which it is."""
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "VIGIE_LANG"):
        monkeypatch.delenv(name, raising=False)


def _stage_lines(stderr: str) -> list[str]:
    """The lines of stderr that are progress stages (in either language, any total)."""
    texts = {
        stage_text(name, language, total)
        for name in STAGE_WORDING
        for language in ("fr", "en")
        for total in (None, *range(1, 200))
        if ("{total}" in STAGE_WORDING[name][0]) == (total is not None)
    }
    return [line for line in stderr.splitlines() if line in texts]


@pytest.fixture(scope="module")
def small_extraction(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "extraction"
    result = runner.invoke(
        app,
        [
            "synth", "--out", str(out), "--establishments", "3", "--students", "300",
            "--years", "2", "--seed", "3", "--format", "csv",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_console_script_lists_every_job() -> None:
    vigie = Path(sys.executable).with_name("vigie")
    completed = subprocess.run([str(vigie), "--help"], capture_output=True, text=True, check=True)
    for command in ("synth", "validate", "features", "demo"):
        assert command in completed.stdout


def test_synthetic_extraction_is_valid(small_extraction: Path) -> None:
    result = runner.invoke(app, ["validate", str(small_extraction)])
    assert result.exit_code == 0, result.output
    as_json = runner.invoke(app, ["validate", str(small_extraction), "--json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout)["ok"] is True  # progress went to stderr
    assert as_json.stderr.splitlines() == ["Validation de l'extraction"]


def test_features_command_writes_one_row_per_enrolled_student(
    small_extraction: Path, tmp_path: Path
) -> None:
    out = tmp_path / "features.parquet"
    result = runner.invoke(
        app,
        ["features", "--data", str(small_extraction), "--as-of", "2026-10-05",
         "--as-of", "2026-11-16", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert set(frame["as_of"].astype(str).str[:10]) == {"2026-10-05", "2026-11-16"}
    assert not frame.duplicated(["student_id", "as_of"]).any()
    enrollments = pd.read_csv(small_extraction / "enrollments.csv", dtype=str)
    current = enrollments[enrollments["school_year"] == "2026-2027"]
    enrolled_on = current[
        (current["start_date"] <= "2026-10-05")
        & (current["end_date"].isna() | (current["end_date"] >= "2026-10-05"))
    ]
    first_date = frame[frame["as_of"].astype(str).str[:10] == "2026-10-05"]
    assert set(first_date["student_id"]) == set(enrolled_on["student_id"])


def test_invalid_extraction_is_refused_and_nothing_is_written(
    small_extraction: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(small_extraction, broken)
    grades = pd.read_csv(broken / "grades.csv", dtype=str, keep_default_na=False)
    grades.loc[4, "value"] = "25"  # above out_of
    grades.loc[7, "date"] = "2025-13-40"  # not a date
    grades.to_csv(broken / "grades.csv", index=False)

    result = runner.invoke(app, ["validate", str(broken), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    found = {(v["table"], v["row"], v["column"]) for v in report["violations"]}
    assert ("grades", 5, "value") in found
    assert ("grades", 8, "date") in found

    out = tmp_path / "features.parquet"
    out.write_bytes(b"last week's file")
    result = runner.invoke(
        app, ["features", "--data", str(broken), "--as-of", "2026-10-05", "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "invalid" in result.output
    assert out.read_bytes() == b"last week's file"
    assert list(tmp_path.glob("*.parquet*")) == [out]


def test_bad_date_option_is_a_clear_error(small_extraction: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["features", "--data", str(small_extraction), "--as-of", "05/10/2026",
         "--out", str(tmp_path / "f.parquet")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "ISO date" in result.output


# --- progress ------------------------------------------------------------------------------


def test_synth_shows_its_stages_in_english_with_the_switch(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["synth", "--out", str(tmp_path / "x"), "--establishments", "2", "--students", "100",
         "--years", "1", "--seed", "1", "--lang", "en"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "Simulating 2 school years",  # the demo's burn-in year, then the year with outcomes
        "Assembling the tables",
        "Writing the extraction",
    ]
    assert "Wrote a synthetic académie" in result.stdout


def test_features_progress_is_one_line_quiet_is_none_and_the_file_is_the_same(
    small_extraction: Path, tmp_path: Path
) -> None:
    arguments = ["features", "--data", str(small_extraction), "--as-of", "2026-10-05",
                 "--as-of", "2026-11-16"]  # fmt: skip
    shown = runner.invoke(app, [*arguments, "--out", str(tmp_path / "shown.parquet")])
    quiet = runner.invoke(app, [*arguments, "--out", str(tmp_path / "quiet.parquet"), "--quiet"])
    english = runner.invoke(
        app, [*arguments, "--out", str(tmp_path / "english.parquet")], env={"VIGIE_LANG": "en"}
    )
    for result in (shown, quiet, english):
        assert result.exit_code == 0, result.output
        assert "Wrote" in result.stdout
    assert shown.stderr.splitlines() == ["Validation de l'extraction et variables à 2 dates"]
    assert quiet.stderr == ""
    assert english.stderr.splitlines() == [
        "Validating the extraction and building features at 2 dates"
    ]
    written = (tmp_path / "shown.parquet").read_bytes()
    assert written == (tmp_path / "quiet.parquet").read_bytes()
    assert written == (tmp_path / "english.parquet").read_bytes()
    students = pd.read_csv(small_extraction / "students.csv", dtype=str)
    for column in ("student_id", "last_name", "first_name"):
        for value in students[column].dropna():
            assert value not in shown.stderr  # no student's id or name in progress lines


def test_quiet_keeps_errors_on_stderr(small_extraction: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["features", "--data", str(tmp_path / "nowhere"), "--as-of", "2026-10-05",
              "--out", str(tmp_path / "f.parquet"), "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "nowhere" in result.stderr and result.stdout == ""


def test_an_unknown_language_is_refused(small_extraction: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(small_extraction), "--lang", "de"])
    assert result.exit_code == 2
    assert "--lang must be fr or en" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["synth", "--out", "{tmp}/x", "--format", "xlsx"], "--format must be csv or parquet"),
        (["tune", "--data", "{tmp}", "--metric", "auc"], "--metric must be precision@k or pr_auc"),
        (["audit", "--run", "r1", "--correction", "x"], "--correction must be holm or bonferroni"),
        (["audit", "--run", "r1", "--lang", "de"], "--lang must be fr or en"),
    ],
)
def test_a_choice_outside_its_list_is_refused_before_any_work(
    arguments: list[str], message: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, [a.replace("{tmp}", str(tmp_path)) for a in arguments])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())  # rich wraps the usage box
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_on_a_terminal_a_bar_on_stderr_and_stdout_stays_plain(
    small_extraction: Path, tmp_path: Path
) -> None:
    """stderr is a pseudo-terminal, stdout a pipe (as in `vigie features ... > summary.txt`)."""
    out = tmp_path / "f.parquet"
    command = [str(VIGIE), "features", "--data", str(small_extraction), "--as-of",
               "2026-10-05", "--as-of", "2026-11-16", "--out", str(out)]  # fmt: skip
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR")}  # fmt: skip
    environment |= {"TERM": "xterm-256color", "COLUMNS": "120", "VIGIE_LANG": "en"}
    terminal, child_side = pty.openpty()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=child_side,
                               stdin=subprocess.DEVNULL, env=environment)  # fmt: skip
    os.close(child_side)
    shown: list[bytes] = []

    def read_terminal() -> None:
        while True:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # the child closed its side
                return
            if not chunk:
                return
            shown.append(chunk)

    reader = threading.Thread(target=read_terminal)
    reader.start()
    stdout, _ = process.communicate(timeout=600)
    reader.join(timeout=60)
    os.close(terminal)
    assert process.returncode == 0, b"".join(shown).decode(errors="replace")
    screen = b"".join(shown).decode()
    assert "\x1b[" in screen and "━" in screen  # a drawn bar
    assert "Validating the extraction and building features at 2 dates" in screen
    assert "2/2" in screen
    text = stdout.decode()
    assert text.startswith("Wrote ") and "\x1b" not in text


# --- vigie train: its stages, and the same model with --quiet ------------------------------


@pytest.fixture(scope="module")
def train_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, Path]]:
    """An académie with outcomes for a temporal split, a fast configuration and a fresh
    local MLflow store."""
    from features.synth import synthesize
    from training.tracking import setup_tracking

    home = tmp_path_factory.mktemp("train_home")
    data = home / "extraction"
    synthesize(data, establishments=3, students=400, years=4, seed=11)
    config = home / "fast.yaml"
    config.write_text(
        "n_boot: 20\ncalibration_folds: 3\nlightgbm:\n  num_boost_round: 20\n"
        "experiment_name: progress\nregistered_model_name: progress-model\n"
    )
    with mlflow_uris_kept(), pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
        patch.setenv("VIGIE_HOME", str(home))
        setup_tracking(home)
        yield home, data, config


def test_train_shows_each_stage_once_in_order_and_quiet_trains_the_same_model(
    train_home: tuple[Path, Path, Path],
) -> None:
    from mlflow.tracking import MlflowClient

    _, data, config = train_home
    arguments = ["train", "--data", str(data), "--config", str(config), "--json"]
    shown = runner.invoke(app, arguments)
    quiet = runner.invoke(app, [*arguments, "--quiet"])
    for result in (shown, quiet):
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["models"]  # stdout is the comparison, pure JSON
    lines = _stage_lines(shown.stderr)
    assert lines[0] == "Validation de l'extraction"
    assert lines[1].startswith("Instantanés à ") and lines[2].startswith("Entraînement et test de ")
    assert lines[3:] == [
        "Comparaison des modèles",
        "Entraînement du modèle final",
        "Rejeu de l'année testée",
        "Enregistrement du run (explications globales, graphiques, modèle)",
        "Audit d'équité des listes testées",
        "Inscription du modèle au registre",
    ]
    assert _stage_lines(quiet.stderr) == []
    client = MlflowClient()
    versions = sorted(client.search_model_versions("name = 'progress-model'"),
                      key=lambda version: int(version.version))  # fmt: skip
    hashes = [client.get_run(version.run_id).data.tags["vigie.model_hash"] for version in versions]
    assert len(hashes) == 2 and hashes[0] == hashes[1]


def test_score_shows_the_weekly_runs_stages_in_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`vigie score` words each stage of `serving.scoring.score_week` as it starts (the run
    itself is replaced: it reports its stages, then is interrupted)."""
    import serving.db
    import serving.scoring
    import training.tracking
    from serving.scoring import STAGES

    class Model:
        label, chosen_as = "m/1", "alias champion"

    class Store:
        def dispose(self) -> None:
            pass

    def score_week(*args, on_stage, **kwargs):  # type: ignore[no-untyped-def]
        for stage in STAGES:
            on_stage(stage, 0.0)
        raise KeyboardInterrupt

    monkeypatch.setenv("VIGIE_HOME", str(tmp_path))
    monkeypatch.setattr(training.tracking, "setup_tracking", lambda home: "")
    monkeypatch.setattr(serving.scoring, "start_loading_registered_model", lambda **kwargs: Model())
    monkeypatch.setattr(serving.db, "open_store", lambda url: Store())
    monkeypatch.setattr(serving.scoring, "score_week", score_week)
    arguments = ["score", "--data", str(tmp_path), "--as-of", "2026-11-30",
                 "--dismissal-weeks", "8"]  # fmt: skip
    result = runner.invoke(app, arguments)
    assert result.exit_code == 1 and "Interrupted: nothing was written." in result.stderr
    assert _stage_lines(result.stderr) == [
        "Chargement du modèle",
        "Validation de l'extraction",
        "Variables de la semaine",
        "Calcul des risques",
        "Explication des listes",
        "Écriture des listes de la semaine",
    ]
    quiet = runner.invoke(app, [*arguments, "--quiet"])
    assert quiet.exit_code == 1 and _stage_lines(quiet.stderr) == []
    assert "Interrupted" in quiet.stderr  # errors still go to stderr

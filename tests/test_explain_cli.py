"""`vigie explain` as a user runs it: a student's score and reasons, and its refusals."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from typer.testing import CliRunner

from features.synth import synthesize
from tests.mlflow_uris import mlflow_uris_kept
from vigie.cli import app
from vigie.commands.explain import load_registered_model

runner = CliRunner()
AS_OF = dt.date(2026, 3, 16)


@dataclass(frozen=True)
class Registered:
    data: Path
    version: str
    students: pd.DataFrame  # student_id, as_of, uai of the features at AS_OF


@pytest.fixture(scope="module")
def registered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registered]:
    """A tiny académie and a risk model registered in a fresh local store: version 1 of
    `vigie-dropout`, its challenger and champion, and of `vigie-unpromoted`, only its
    challenger."""
    from features.extraction import open_extraction
    from features.pipeline import build_valid_features
    from models.pyfunc import log_risk_model
    from models.registry import registry_client, set_alias
    from models.risk_model import RiskModel
    from training.snapshots import build_snapshots, snapshot_dates
    from training.tracking import ensure_experiment, register_challenger, setup_tracking

    home = tmp_path_factory.mktemp("explain_home")
    data = home / "extraction"
    synthesize(data, establishments=3, students=600, years=3, seed=11, file_format="parquet")
    with open_extraction(data) as extraction:
        train = build_snapshots(extraction, snapshot_dates("2024-2025", "monthly"))
    train = train[train["label_dropped_out"].notna()].reset_index(drop=True)
    model = RiskModel(num_boost_round=30, calibration_folds=3, seed=0).fit(
        train, train["label_dropped_out"], groups=train["student_id"]
    )
    with mlflow_uris_kept(), pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
        patch.setenv("VIGIE_HOME", str(home))
        setup_tracking(home)
        # Its own experiment: the default one keeps artifacts in the working directory.
        experiment = ensure_experiment("tests", home)
        with mlflow.start_run(experiment_id=experiment) as run:
            info = log_risk_model(model, train)
        version = register_challenger(info.model_uri, "vigie-dropout", run.info.run_id)
        register_challenger(info.model_uri, "vigie-unpromoted", run.info.run_id)
        set_alias(registry_client(), "vigie-dropout", "champion", version.version)
        week = build_valid_features(data, [AS_OF]).frame
        yield Registered(data, str(version.version), week.loc[:, ["student_id", "uai"]])


def _invoke(*arguments: str):
    return runner.invoke(app, ["explain", *arguments])


def test_json_gives_the_score_and_the_reasons_of_one_student(registered: Registered) -> None:
    student = str(registered.students["student_id"].iloc[5])
    result = _invoke("--data", str(registered.data), "--as-of", AS_OF.isoformat(),
                     "--student", student, "--json", "--model", "challenger")  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["student_id"] == student and payload["as_of"] == AS_OF.isoformat()
    assert payload["uai"] == registered.students["uai"].iloc[5]
    assert 0 < payload["risk"] < 1
    assert payload["model"]["version"] == registered.version
    assert payload["model"]["chosen_as"] == "alias challenger"
    assert 1 <= payload["rank_in_establishment"] <= payload["students_in_establishment"]
    assert payload["reasons"] or payload["protective"]
    for reason in payload["reasons"]:
        assert reason["direction"] == "raises" and reason["contribution"] > 0
        assert reason["text"] == reason["text_fr"]
    for reason in payload["protective"]:
        assert reason["direction"] == "lowers" and reason["contribution"] < 0
    for reason in payload["reasons"] + payload["protective"]:
        assert reason["signal"] == "own" and reason["weight_text"] == reason["weight_text_fr"]
        assert " de risque (" in reason["weight_text"]
    assert {item["feature"] for item in payload["context"]} >= {"level", "track"}
    assert payload["context_text"].startswith("Contexte (niveau, voie, établissement)")


def test_table_in_english_for_a_given_version(registered: Registered) -> None:
    student = str(registered.students["student_id"].iloc[0])
    result = _invoke(
        "--data", str(registered.data), "--as-of", AS_OF.isoformat(), "--student", student,
        "--model", registered.version, "--lang", "en",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"Student {student}" in result.stdout
    assert "Dropout risk" in result.stdout and "Protective factors" in result.stdout
    assert "Context (never a reason to invite)" in result.stdout
    assert "Context (level, track, establishment): " in result.stdout


def test_unknown_student_is_refused(registered: Registered) -> None:
    result = _invoke("--data", str(registered.data), "--as-of", AS_OF.isoformat(),
                     "--student", "NOBODY")  # fmt: skip
    assert result.exit_code == 1
    assert "unknown student 'NOBODY'" in result.stderr
    assert "Traceback" not in result.output


def test_student_not_enrolled_on_the_date_is_refused(registered: Registered) -> None:
    student = str(registered.students["student_id"].iloc[0])
    # A date years before the académie's first school year.
    result = _invoke("--data", str(registered.data), "--as-of", "2010-03-15",
                     "--student", student)  # fmt: skip
    assert result.exit_code == 1
    assert f"student '{student}' is not enrolled on 2010-03-15" in result.stderr
    assert "enrollments:" in result.stderr


def test_the_champion_unless_another_version_is_named(
    registered: Registered, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One rule with the weekly lists: the champion unless a version or alias is named; no
    silent fallback to the challenger, but the message says how to name it."""
    student = str(registered.students["student_id"].iloc[0])
    arguments = ("--data", str(registered.data), "--as-of", AS_OF.isoformat(), "--student",
                 student, "--json")  # fmt: skip
    result = _invoke(*arguments)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model"]["chosen_as"] == "alias champion"
    monkeypatch.setenv("VIGIE_MODEL_NAME", "vigie-unpromoted")
    result = _invoke(*arguments)
    assert result.exit_code == 1
    assert "vigie-unpromoted has no champion version" in result.stderr
    assert "--model challenger" in result.stderr
    result = _invoke(*arguments, "--model", "challenger")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model"]["name"] == "vigie-unpromoted"


def test_missing_model_version_is_refused(registered: Registered) -> None:
    student = str(registered.students["student_id"].iloc[0])
    result = _invoke("--data", str(registered.data), "--as-of", AS_OF.isoformat(),
                     "--student", student, "--model", "99")  # fmt: skip
    assert result.exit_code == 1
    assert "no registered model" in result.stderr
    with pytest.raises(ValueError, match="no registered model"):
        load_registered_model(None, name="never-registered")


def test_invalid_extraction_is_refused(registered: Registered, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(registered.data, broken)
    students = pd.read_parquet(broken / "students.parquet")
    students.loc[0, "sex"] = "X"
    students.to_parquet(broken / "students.parquet", index=False)
    student = str(registered.students["student_id"].iloc[0])
    result = _invoke("--data", str(broken), "--as-of", AS_OF.isoformat(), "--student", student)
    assert result.exit_code == 1
    assert "invalid" in result.stderr
    assert "Traceback" not in result.output

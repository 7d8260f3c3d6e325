"""The `vigie` command as a user runs it: synth, validate, features, and refusals."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from vigie.cli import app

runner = CliRunner()


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
    assert json.loads(as_json.output)["ok"] is True


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
    report = json.loads(result.output)
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

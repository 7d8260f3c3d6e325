"""The one settings object: defaults derived from the home, the variables it reads (VIGIE_*
and MLflow's MLFLOW_TRACKING_URI), its serving and dashboard sections, and a bad value that
stops the start naming its variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.queue import DEFAULT_FOLLOW_UP
from models.registry import REGISTERED_MODEL
from settings import DashboardSection, ServingSection, Settings, SettingsError, load_settings
from vigie.cli import app


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting from the machine running the tests."""
    for name in list(os.environ):
        if name.startswith("VIGIE_") or name in ("MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID"):
            monkeypatch.delenv(name)


def test_defaults_derive_every_location_from_the_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.home == Path("var")
    assert settings.database_url == "sqlite:///var/serving/vigie.sqlite3"
    assert settings.tracking_uri == f"sqlite:///{(tmp_path / 'var/mlflow/mlflow.db').as_posix()}"
    assert settings.features_dir == Path("var/features")
    assert settings.model_name == REGISTERED_MODEL == "vigie-dropout"
    assert settings.mlflow_run_id == ""
    assert settings.serving == ServingSection(
        trusted_proxies="", max_body_bytes=65536, list_cache_mb=64,
        dismissal_weeks=DEFAULT_FOLLOW_UP.dismissal_weeks,
    )  # fmt: skip
    assert settings.serving.list_cache_bytes == 64 * 1024 * 1024
    assert settings.dashboard == DashboardSection(
        drift_reference=None, mlflow_ui_url="http://127.0.0.1:5000",
        drift_threshold=0.25, export_seconds=30.0,
    )  # fmt: skip


def test_the_home_moves_all_local_state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path / "srv"))
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{tmp_path}/srv/serving/vigie.sqlite3"
    assert settings.tracking_uri == f"sqlite:///{tmp_path}/srv/mlflow/mlflow.db"
    assert settings.features_dir == tmp_path / "srv" / "features"
    assert settings.demo_fingerprint == tmp_path / "srv" / "demo" / "academie.sha256"
    # An explicit home (the demo's, the tests') wins over the environment.
    assert load_settings(home=tmp_path / "other").features_dir == tmp_path / "other" / "features"


def test_variables_set_override_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    variables = {
        "VIGIE_DATABASE_URL": "postgresql+psycopg://vigie@db/vigie",
        "MLFLOW_TRACKING_URI": "http://mlflow.internal:5000",
        "MLFLOW_RUN_ID": "abc123",
        "VIGIE_MODEL_NAME": "vigie-other",
        "VIGIE_USER": "anne.martin",
        "VIGIE_FEATURES_DIR": "/data/features",
        "VIGIE_TRUSTED_PROXIES": "10.0.0.1,10.0.0.2",
        "VIGIE_MAX_BODY_BYTES": "2048",
        "VIGIE_DISMISSAL_WEEKS": "4",
        "VIGIE_LIST_CACHE_MB": "0",
        "VIGIE_AUDIT_LOG_RETENTION_DAYS": "200",
        "VIGIE_DRIFT_REFERENCE": "/data/reference.parquet",
        "VIGIE_MLFLOW_UI_URL": "https://mlflow.example",
        "VIGIE_DRIFT_THRESHOLD": "0.5",
        "VIGIE_EXPORT_SECONDS": "12",
        "VIGIE_LANG": "en",  # a CLI option's variable, not a setting: ignored
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.database_url == "postgresql+psycopg://vigie@db/vigie"
    assert settings.tracking_uri == "http://mlflow.internal:5000"
    assert settings.mlflow_run_id == "abc123"
    assert (settings.model_name, settings.resolved_user) == ("vigie-other", "anne.martin")
    assert settings.features_dir == Path("/data/features")
    assert settings.serving.trusted_proxies == "10.0.0.1,10.0.0.2"
    assert (settings.serving.max_body_bytes, settings.serving.dismissal_weeks) == (2048, 4)
    assert settings.serving.list_cache_bytes == 0
    assert settings.serving.audit_log_retention_days == 200
    assert settings.dashboard.drift_reference == Path("/data/reference.parquet")
    assert settings.dashboard.mlflow_ui_url == "https://mlflow.example"
    assert (settings.dashboard.drift_threshold, settings.dashboard.export_seconds) == (0.5, 12.0)


def test_the_user_defaults_to_the_login(monkeypatch: pytest.MonkeyPatch) -> None:
    import getpass

    assert load_settings().resolved_user == getpass.getuser()
    assert Settings(user="cpe.rennes").resolved_user == "cpe.rennes"


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("VIGIE_MAX_BODY_BYTES", "big", "valid integer"),
        ("VIGIE_MAX_BODY_BYTES", "10", "greater than or equal to 1024"),
        ("VIGIE_DISMISSAL_WEEKS", "53", "less than or equal to 52"),
        ("VIGIE_LIST_CACHE_MB", "-1", "greater than or equal to 0"),
        ("VIGIE_AUDIT_LOG_RETENTION_DAYS", "100", "greater than or equal to 183"),
        ("VIGIE_DRIFT_THRESHOLD", "0", "greater than 0"),
        ("VIGIE_EXPORT_SECONDS", "soon", "valid number"),
        ("VIGIE_MODEL_NAME", "", "at least 1 character"),
    ],
)
def test_a_bad_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, reason: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=f"{variable}={value!r}: .*{reason}"):
        load_settings()


def test_every_bad_value_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_MAX_BODY_BYTES", "big")
    monkeypatch.setenv("VIGIE_DISMISSAL_WEEKS", "many")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert "VIGIE_MAX_BODY_BYTES" in str(raised.value)
    assert "VIGIE_DISMISSAL_WEEKS" in str(raised.value)


def test_a_command_stops_at_start_on_a_bad_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_DRIFT_THRESHOLD", "high")
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "VIGIE_DRIFT_THRESHOLD='high'" in result.output
    assert "Traceback" not in result.output

"""The dashboard's settings: one typed object read from the environment (prefix VIGIE_),
validated before the first page draws.

The store is the serving settings' (VIGIE_DATABASE_URL, else SQLite under VIGIE_HOME). The
rest says where the dashboard finds what the store does not hold: the extraction the lists
were scored from (absences, grades, exams of the student page), the feature files (this
week's, and the training population's for drift), the model registry (MLflow) and its UI.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DashboardSettings", "load_dashboard_settings"]


class DashboardSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VIGIE_", extra="ignore")

    home: Path = Field(default=Path("var"), description="Folder for all local state.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL of the store.")
    extraction: Path | None = Field(
        default=None, description="Extraction folder; default home/demo/extraction."
    )
    features_dir: Path | None = Field(
        default=None, description="Feature files `*-<as_of>.parquet`; default home/features."
    )
    drift_reference: Path | None = Field(
        default=None, description="Feature file of the training population, for drift."
    )
    model_name: str = Field(default="vigie-dropout", description="Registered model name.")
    model_uri: str | None = Field(
        default=None,
        description="Model for the waterfall; default: the version that wrote the list.",
    )
    mlflow_ui_url: str = Field(
        default="http://127.0.0.1:5000", description="Where the MLflow UI is served."
    )
    drift_threshold: float = Field(default=0.25, gt=0, le=10, description="PSI alert level.")
    export_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="An export (CSV, printable page) is dropped from Streamlit's media store "
        "at most twice this long after the click that made it.",
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'serving' / 'vigie.sqlite3').as_posix()}"

    @property
    def resolved_extraction(self) -> Path:
        return self.extraction or self.home / "demo" / "extraction"

    @property
    def resolved_features_dir(self) -> Path:
        return self.features_dir or self.home / "features"

    @property
    def tracking_uri(self) -> str:
        """MLFLOW_TRACKING_URI, else the local store `home/mlflow/mlflow.db`."""
        uri = os.environ.get("MLFLOW_TRACKING_URI")
        if uri:
            return uri
        return f"sqlite:///{(self.home / 'mlflow' / 'mlflow.db').resolve().as_posix()}"

    def features_file(self, as_of: str) -> Path | None:
        """This week's feature file: the newest `*-<as_of>.parquet` in the features folder."""
        folder = self.resolved_features_dir
        if not folder.is_dir():
            return None
        found = sorted(folder.glob(f"*{as_of}.parquet"), key=lambda p: p.stat().st_mtime)
        return found[-1] if found else None


def load_dashboard_settings() -> DashboardSettings:
    return DashboardSettings()

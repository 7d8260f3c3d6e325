"""Fixtures shared by the scoring tests (no tests here): a small synthetic académie, a risk
model trained quickly on its past years, and a local MLflow registry whose `champion` is that
model. Each is built once per session (a module-level cache, since both scoring test modules
import these fixtures).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from models.risk_model import RiskModel
from serving.db import Store
from serving.scoring import RegisteredModel

AS_OF = dt.date(2026, 11, 23)  # a Monday of 2026-2027, the académie's last school year
REGISTERED = "vigie-dropout"

_CACHE: dict[str, Any] = {}


def _scratch(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    return tmp_path_factory.mktemp(name)


@pytest.fixture(scope="session")
def academie(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four establishments, about 800 students, three school years (names included)."""
    if "academie" not in _CACHE:
        from features.synth import synthesize

        out = _scratch(tmp_path_factory, "scoring-academie") / "extraction"
        synthesize(out, establishments=4, students=800, years=3, seed=5, file_format="parquet")
        _CACHE["academie"] = out
    return _CACHE["academie"]


@pytest.fixture(scope="session")
def risk_model(academie: Path) -> RiskModel:
    """Trained on the monthly snapshots of the two past school years (40 trees)."""
    if "model" not in _CACHE:
        from features.extraction import open_extraction
        from training.snapshots import build_snapshots, snapshot_dates

        dates = snapshot_dates("2024-2025", "monthly") + snapshot_dates("2025-2026", "monthly")
        with open_extraction(academie) as extraction:
            frame = build_snapshots(extraction, dates)
        frame = frame[frame["label_dropped_out"].notna()].reset_index(drop=True)
        model = RiskModel(num_boost_round=40, calibration_folds=3, seed=1)
        _CACHE["model"] = model.fit(frame, frame["label_dropped_out"], groups=frame["student_id"])
        _CACHE["training_rows"] = frame.head(50)
    return _CACHE["model"]


@pytest.fixture(scope="session")
def registered(risk_model: RiskModel) -> RegisteredModel:
    """The model as the registry would hand it over (no MLflow involved)."""
    return RegisteredModel(risk_model, REGISTERED, "1", "alias champion")


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory, risk_model: RiskModel) -> Path:
    """A local MLflow store (SQLite file) holding version 1 of vigie-dropout, alias
    champion. Returns the file; `tracking` points MLflow at it for one test."""
    if "registry" not in _CACHE:
        import mlflow
        from mlflow.tracking import MlflowClient

        from models.pyfunc import log_risk_model
        from training.tracking import setup_tracking

        home = _scratch(tmp_path_factory, "scoring-mlflow")
        database = home / "mlflow.db"
        with _tracking_at(database):
            setup_tracking(home)
            experiment = mlflow.create_experiment(
                "scoring-tests", artifact_location=(home / "artifacts").as_uri()
            )
            with mlflow.start_run(experiment_id=experiment):
                info = log_risk_model(risk_model, _CACHE["training_rows"])
            version = mlflow.register_model(info.model_uri, REGISTERED)
            MlflowClient().set_registered_model_alias(REGISTERED, "champion", version.version)
        _CACHE["registry"] = database
    return _CACHE["registry"]


class _tracking_at:
    """MLFLOW_TRACKING_URI and MLflow's global URIs pointed at `database`, restored on exit
    (other test modules keep their own tracking store)."""

    def __init__(self, database: Path) -> None:
        self.database = database

    def __enter__(self) -> str:
        import mlflow

        self._env = os.environ.get("MLFLOW_TRACKING_URI")
        self._uris = (mlflow.get_tracking_uri(), mlflow.get_registry_uri())
        uri = f"sqlite:///{self.database}"
        os.environ["MLFLOW_TRACKING_URI"] = uri
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        return uri

    def __exit__(self, *exc: object) -> None:
        import mlflow

        # The URIs first: setting them sets the environment variable, put back after.
        mlflow.set_tracking_uri(self._uris[0])
        mlflow.set_registry_uri(self._uris[1])
        if self._env is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = self._env


@pytest.fixture
def tracking(registry: Path) -> Iterator[Path]:
    """For one test: MLflow at the scoring registry."""
    with _tracking_at(registry):
        yield registry


def list_snapshot(store: Store) -> dict[str, Any]:
    """Everything the weekly lists hold, to compare before and after a run."""
    from sqlalchemy import text

    tables = ("weekly_runs", "weekly_lists", "list_entries", "establishments", "students")
    with store.reading() as session:
        return {
            table: [tuple(row) for row in session.execute(text(f"SELECT * FROM {table}"))]
            for table in tables
        }


def posted_tables(data: Path, student_ids: list[str], uai: str | None = None) -> dict[str, Any]:
    """The rows of `student_ids` in every event table of the extraction, as JSON records
    (dates as YYYY-MM-DD), with their establishments; `uai` renames every establishment
    (to post them as another school's students)."""
    tables: dict[str, Any] = {}
    for name in ("students", "enrollments", "attendance", "grades", "exams"):
        frame = pd.read_parquet(data / f"{name}.parquet")
        tables[name] = _records(frame[frame["student_id"].isin(student_ids)])
    uais = {row["uai"] for row in tables["enrollments"]}
    establishments = pd.read_parquet(data / "establishments.parquet")
    tables["establishments"] = _records(establishments[establishments["uai"].isin(uais)])
    if uai is not None:
        for name in ("establishments", "enrollments"):
            for row in tables[name]:
                row["uai"] = uai
        tables["establishments"] = tables["establishments"][:1]
    return tables


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = frame.astype(object).to_dict(orient="records")
    return json.loads(json.dumps([{k: _plain(v) for k, v in row.items()} for row in rows]))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | pd.Timestamp):
        return value.isoformat()[:10]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value

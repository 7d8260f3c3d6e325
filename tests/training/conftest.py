"""Shared fixtures for training tests: a tiny synthetic académie, a fast configuration, its
prepared snapshots, a local MLflow store and one training run registered in it.

Everything is session-scoped and built once: the académie (4 establishments, ~800 students,
4 school years) takes a second, the MLflow store about ten (SQLite schema migrations).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from features.synth import synthesize
from tests.mlflow_uris import mlflow_pointed_at
from training.config import TrainConfig, load_train_config
from training.pipeline import PreparedData

FAST = {
    "n_boot": 50,
    "lightgbm.num_boost_round": 40,
    "calibration_folds": 3,
}


def fast_config(**overrides: object) -> TrainConfig:
    """The default configuration, made fast for tiny académies."""
    return load_train_config(None, {**FAST, **overrides})


@pytest.fixture(scope="session")
def tiny_academie(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("academie") / "extraction"
    synthesize(out, establishments=4, students=800, years=4, seed=5, file_format="parquet")
    return out


@pytest.fixture(scope="session")
def config() -> TrainConfig:
    return fast_config()


@pytest.fixture(scope="session")
def prepared(tiny_academie: Path, config: TrainConfig) -> PreparedData:
    from training.run import prepare_data

    return prepare_data(tiny_academie, config)


def session_store_uri(home: Path) -> str:
    return f"sqlite:///{home / 'mlflow' / 'mlflow.db'}"


@pytest.fixture(scope="session")
def mlflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh local tracking store for the session, through MLFLOW_TRACKING_URI."""
    home = tmp_path_factory.mktemp("vigie_home")
    (home / "mlflow").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", session_store_uri(home))
        patch.setenv("VIGIE_HOME", str(home))
        from training.tracking import setup_tracking

        setup_tracking(home)
        yield home


def at_session_store(home: Path) -> AbstractContextManager[None]:
    """MLflow and Vigie's home pointed at the session's store for the block (the dashboard's
    world, for one, sets the variables for its session)."""
    return mlflow_pointed_at(session_store_uri(home), {"VIGIE_HOME": str(home)})


@pytest.fixture(autouse=True)
def _mlflow_at_the_session_store(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that uses the session's store runs `at_session_store`."""
    if "mlflow_home" not in request.fixturenames:
        yield
        return
    with at_session_store(request.getfixturevalue("mlflow_home")):
        yield


@pytest.fixture(scope="session")
def trained(mlflow_home: Path, tiny_academie: Path, config: TrainConfig, prepared: PreparedData):
    """One `vigie train` run on the tiny académie, registered as challenger."""
    from training.run import run_training

    with at_session_store(mlflow_home):
        return run_training(tiny_academie, config, home=mlflow_home, prepared=prepared)


def registered_versions(name: str = "vigie-dropout") -> list[str]:
    from mlflow.tracking import MlflowClient

    return [v.version for v in MlflowClient().search_model_versions(f"name = '{name}'")]


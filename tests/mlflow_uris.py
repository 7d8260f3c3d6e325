"""MLflow pointed at a test's own store, and put back as it was."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

__all__ = ["MLFLOW_VARIABLES", "environment_restored", "mlflow_pointed_at", "mlflow_uris_kept"]

# `mlflow.set_tracking_uri` and `set_registry_uri` also set these environment variables (for
# subprocesses), and Vigie's settings read them first: putting MLflow's default back with
# `set_tracking_uri` leaves `sqlite:///<working directory>/mlflow.db` in the environment, and
# every later run, whatever home it sets up, goes to a store in the working directory.
MLFLOW_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


@contextmanager
def environment_restored() -> Iterator[None]:
    """The MLflow environment variables as they were before the block, after it."""
    before = {name: os.environ.get(name) for name in MLFLOW_VARIABLES}
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def mlflow_uris_kept() -> Iterator[None]:
    """MLflow's tracking and registry URIs and their environment variables as they were
    before the block, after it (the block may point MLflow anywhere)."""
    import mlflow

    uris = (mlflow.get_tracking_uri(), mlflow.get_registry_uri())
    with environment_restored():
        try:
            yield
        finally:
            mlflow.set_tracking_uri(uris[0])
            mlflow.set_registry_uri(uris[1])


@contextmanager
def mlflow_pointed_at(uri: str, environment: Mapping[str, str]) -> Iterator[None]:
    """MLflow's tracking and registry URIs (and their environment variables) at `uri` and
    the variables of `environment` set for the block, whatever the tests run before in this
    process left (`mlflow.set_tracking_uri` outlives a test, and a session fixture of another
    directory may have set the variables since); all put back as they were after it."""
    import mlflow
    import pytest

    with mlflow_uris_kept(), pytest.MonkeyPatch.context() as patch:
        for key, value in environment.items():
            patch.setenv(key, value)
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        yield

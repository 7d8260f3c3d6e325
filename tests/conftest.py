"""Fixtures for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.mlflow_uris import environment_restored


@pytest.fixture(autouse=True)
def _mlflow_environment_restored() -> Iterator[None]:
    """The MLflow environment variables as they were before each test (`tests.mlflow_uris`:
    a test that leaves them set sends the next one's runs elsewhere)."""
    with environment_restored():
        yield

"""Fixtures for every test."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from tests.mlflow_uris import environment_restored


@pytest.fixture(autouse=True)
def _mlflow_environment_restored() -> Iterator[None]:
    """The MLflow environment variables as they were before each test (`tests.mlflow_uris`:
    a test that leaves them set sends the next one's runs elsewhere)."""
    with environment_restored():
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every collected item its own node id. Schemathesis names each API operation's item
    (`test_x[GET /health]`), but under pytest 9 it gives them all the test function's node
    id (it passes `originalname` without a call spec, from which pytest 9 builds the id),
    and pytest-xdist schedules a file's items by node id: under `make test`'s workers only
    one operation of such a test would run, silently. The operation is added to the id (a
    private pytest attribute: should that stop working, the check below fails the run)."""
    for item in items:
        label = getattr(item, "operation_label", None)
        if label and not item.nodeid.endswith("]"):
            item._id = item.parent.id.child(item.originalname).with_params(label)
    counts = Counter(item.nodeid for item in items)
    duplicated = sorted(nodeid for nodeid, count in counts.items() if count > 1)
    if duplicated:
        raise pytest.UsageError(f"tests sharing a node id (only one would run): {duplicated}")

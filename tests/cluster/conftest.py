"""Two small synthetic académies partitioned by académie, and one two-worker local cluster,
shared by the module's tests (a cluster takes seconds to start)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import dask
import pytest
from distributed import Client

from features.cluster import LocalWorkers, connect
from features.synth.academies import synthesize_academies

# Two Mondays of the last school year: the features of the rentrée's first weeks.
AS_OF_DATES = [dt.date(2026, 10, 5), dt.date(2026, 11, 16)]
SIZES = {"establishments": 3, "students": 300, "years": 2, "burn_in_years": 0}


@pytest.fixture(scope="session")
def academies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Rennes and Nantes, a few hundred students each, as academie=NAME/ folders."""
    out = tmp_path_factory.mktemp("partitioned") / "extraction"
    synthesize_academies(out, 2, seed=3, **SIZES)  # type: ignore[arg-type]
    return out


@pytest.fixture(scope="session")
def cluster() -> Iterator[Client]:
    """A local cluster of two one-thread worker processes. A task may take part in one
    worker's death and run again; a second death fails it (`KilledWorker`)."""
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        connect(LocalWorkers(2)) as client,
    ):
        yield client

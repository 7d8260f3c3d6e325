"""Two small synthetic académies partitioned by académie, and one two-worker local cluster,
shared by the session's cluster tests (a cluster takes seconds to start); the tests that kill
workers get a cluster of their own."""

from __future__ import annotations

import datetime as dt
import gc
import warnings
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


@pytest.fixture
def fault_cluster() -> Iterator[Client]:
    """A two-worker cluster of the test's own, for a test whose tasks kill workers (SIGKILL):
    the nannies restart them, but a restart that fails on a busy machine would leave the
    session's `cluster` without workers for every test after it."""
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 1}),
        connect(LocalWorkers(2)) as client,
    ):
        yield client


@pytest.fixture(autouse=True, scope="module")
def _collect_dask_sockets() -> Iterator[None]:
    """Collect, at the end of each module, what Dask's client left for the garbage collector.
    After a worker is killed (the fault tests), `distributed` drops its connections to that
    worker without closing every socket; collected later, in whatever test then runs, they
    raise a ResourceWarning there (an error under the suite's filters) that has nothing to do
    with that test. Collected here, the warning stays with the cluster tests that caused it
    and is ignored: the sockets are `distributed`'s, not Vigie's."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()

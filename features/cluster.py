"""Where the cluster path runs: the one parser of `--cluster` (and `VIGIE_DASK_SCHEDULER`), and
the Dask client it opens.

Three forms are accepted, nothing else:

- `local:N` starts a `distributed.LocalCluster` of N worker processes on this machine, one
  thread each (a feature build is one DuckDB query at a time, and a worker per core keeps
  them apart), each allowed an equal share of 80 % of the machine's memory;
- `tcp://HOST:PORT` connects to an existing scheduler (`dask scheduler`, whose workers see the
  same shared storage as this machine: they read the extraction and write the results there);
- `tls://HOST:PORT` connects to a scheduler that speaks TLS (`dask scheduler --protocol tls`),
  with the certificates Dask's own configuration names (`distributed.comm.tls.ca-file`,
  `.client.cert`, `.client.key`, e.g. `DASK_DISTRIBUTED__COMM__TLS__CA_FILE`): students'
  rows cross the network between machines, and a real cluster encrypts them (docs/cluster.md).

`connect` closes what it opened (the client, and the local cluster with its workers) when its
block ends, on an error too. Without a cluster, every job keeps its single-machine path: this
module is only imported when one is asked for.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import psutil

if TYPE_CHECKING:
    from distributed import Client, LocalCluster, Worker

__all__ = [
    "MAX_LOCAL_WORKERS",
    "NO_WORKERS_TIMEOUT",
    "ClusterSpec",
    "LocalWorkers",
    "Scheduler",
    "connect",
    "no_workers_timeout",
    "parse_cluster",
    "run_tasks",
    "worker_memory_limit",
]

# How long a local cluster's task waits for a worker when none is running (every worker
# process gone, its nanny too): then the job fails (Dask's `NoWorkerError`) rather than waiting
# for ever. Not shorter: a nanny's restart of a killed worker can take minutes on a loaded
# machine, and a worker Dask paused for its memory does not count as running (2 minutes failed
# a test job whose workers were being restarted). Dask's own setting
# (`distributed.scheduler.no-workers-timeout`) wins when set; a running scheduler reads its own.
NO_WORKERS_TIMEOUT = "10 minutes"
_NO_WORKERS_SETTING = "distributed.scheduler.no-workers-timeout"
# More local workers than this is a typing mistake on any machine Vigie runs on.
MAX_LOCAL_WORKERS = 64
# The share of the machine's memory the local workers may use together (the rest: the client,
# the scheduler, the system's cache of the Parquet files).
LOCAL_MEMORY_SHARE = 0.8

_LOCAL = re.compile(r"local:(?P<workers>[0-9]+)")
_REMOTE = re.compile(
    r"(?P<protocol>tcp|tls)://(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]+)"
)
_FORMS = (
    "local:N (N worker processes on this machine), tcp://HOST:PORT or tls://HOST:PORT "
    "(a running scheduler)"
)
# Dask's configuration keys a TLS client needs, and the environment variables that set them.
TLS_SETTINGS = {
    "distributed.comm.tls.ca-file": "DASK_DISTRIBUTED__COMM__TLS__CA_FILE",
    "distributed.comm.tls.client.cert": "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT",
    "distributed.comm.tls.client.key": "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY",
}


@dataclass(frozen=True)
class LocalWorkers:
    """A local cluster of `workers` processes, started and stopped by the job."""

    workers: int

    def __str__(self) -> str:
        return f"local:{self.workers}"


@dataclass(frozen=True)
class Scheduler:
    """An existing scheduler at `address` (`tcp://host:port` or `tls://host:port`)."""

    address: str

    @property
    def encrypted(self) -> bool:
        """Whether the scheduler is reached over TLS."""
        return self.address.startswith("tls://")

    def __str__(self) -> str:
        return self.address


ClusterSpec = LocalWorkers | Scheduler


def parse_cluster(text: str) -> ClusterSpec:
    """The cluster `text` names, or ValueError saying which forms are accepted."""
    value = text.strip()
    local = _LOCAL.fullmatch(value)
    if local is not None:
        workers = int(local["workers"])
        if not 1 <= workers <= MAX_LOCAL_WORKERS:
            raise ValueError(
                f"{text!r}: a local cluster has 1 to {MAX_LOCAL_WORKERS} workers, not {workers}"
            )
        return LocalWorkers(workers)
    remote = _REMOTE.fullmatch(value)
    if remote is not None:
        port = int(remote["port"])
        if not 1 <= port <= 65535:
            raise ValueError(f"{text!r}: the scheduler's port must be 1 to 65535, not {port}")
        return Scheduler(value)
    raise ValueError(f"{text!r} is not a cluster: expected {_FORMS}")


def worker_memory_limit(workers: int, total_bytes: int | None = None) -> int:
    """Bytes each of `workers` local workers may use: an equal share of 80 % of the machine's
    memory (`total_bytes`, default the machine's). Past it Dask pauses, then restarts, the
    worker, and its task runs again elsewhere."""
    if workers < 1:
        raise ValueError(f"a local cluster has at least one worker, not {workers}")
    total = psutil.virtual_memory().total if total_bytes is None else total_bytes
    return int(total * LOCAL_MEMORY_SHARE) // workers


@contextmanager
def connect(spec: ClusterSpec) -> Iterator[Client]:
    """A Dask client of the cluster `spec` names, closed (with the local cluster it started,
    if any) when the block ends, also on error."""
    from distributed import Client, LocalCluster

    # Dask's loggers log at INFO on their own handler: they follow the application's level
    # instead (WARNING unless `vigie -v`) while the cluster runs.
    dask_logger = logging.getLogger("distributed")
    previous_level = dask_logger.level
    dask_logger.setLevel(logging.getLogger().getEffectiveLevel())
    try:
        with _client(spec, Client, LocalCluster) as client:
            yield client
    finally:
        dask_logger.setLevel(previous_level)


def no_workers_timeout() -> str:
    """How long a job waits for a worker when none is running: Dask's own setting
    (`distributed.scheduler.no-workers-timeout`) when set, else `NO_WORKERS_TIMEOUT`."""
    import dask

    return str(dask.config.get(_NO_WORKERS_SETTING, None) or NO_WORKERS_TIMEOUT)


@contextmanager
def _client(
    spec: ClusterSpec, client_class: type[Client], cluster_class: type[LocalCluster]
) -> Iterator[Client]:
    if isinstance(spec, Scheduler):
        if spec.encrypted:
            _check_tls_settings(spec)
        with client_class(spec.address, set_as_default=False) as client:
            yield client
        return
    import dask

    timeout = no_workers_timeout()
    with ExitStack() as stack:
        with dask.config.set({_NO_WORKERS_SETTING: timeout}):  # read by the scheduler's start
            cluster = stack.enter_context(cluster_class(
                n_workers=spec.workers,
                threads_per_worker=1,
                processes=True,
                memory_limit=worker_memory_limit(spec.workers),
                host="127.0.0.1",
                # No dashboard for a batch job; the scheduler's own HTTP routes (health,
                # metrics) on a free loopback port rather than 8787, which may be taken.
                scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            ))  # fmt: skip
        yield stack.enter_context(client_class(cluster, set_as_default=False))


def _check_tls_settings(spec: Scheduler) -> None:
    """ValueError naming the variables to set when Dask's configuration lacks a certificate a
    TLS client needs (Dask itself would fail with a message about an `ssl_context`)."""
    import dask

    missing = [variable for key, variable in TLS_SETTINGS.items() if not dask.config.get(key, None)]
    if missing:
        raise ValueError(
            f"{spec}: a TLS scheduler needs the client's certificates in Dask's configuration; "
            f"set {', '.join(missing)} (files in PEM format; see docs/cluster.md)"
        )


Result = TypeVar("Result")


def run_tasks(
    client: Client,
    function: Callable[..., Result],
    arguments: Sequence[tuple[Any, ...]],
    names: Sequence[str],
    progress: Callable[[int], None] | None = None,
) -> list[Result]:
    """`function(*args)` for each tuple of `arguments` on the cluster, one task each (named
    by `names`, e.g. `features-academie=Rennes`), results in the order they complete;
    `progress` is told of each. The first failure cancels the other tasks, waits until no
    worker still runs one (Dask cannot stop a running task, which would otherwise go on
    writing after the caller cleaned up), and is raised. A task whose worker dies is run
    again by Dask, up to `distributed.scheduler.allowed-failures` deaths (`KilledWorker`)."""
    from distributed import as_completed

    job = uuid.uuid4().hex[:8]
    keys = [f"{name}-{job}" for name in names]
    futures = [
        client.submit(function, *args, key=key) for args, key in zip(arguments, keys, strict=True)
    ]
    results = []
    try:
        for future in as_completed(futures, loop=client.loop):
            results.append(future.result())
            if progress is not None:
                progress(1)
    except BaseException:
        client.cancel(futures, force=True)
        _wait_until_stopped(client, set(keys))
        raise
    return results


def _wait_until_stopped(client: Client, keys: set[str], timeout: float = 3600.0) -> None:
    """Wait until no worker holds any of the tasks `keys` (a cancelled task that was running
    finishes first), at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = client.run(_held_tasks, keys)
        if not any(held.values()):
            return
        time.sleep(0.2)


def _held_tasks(keys: set[str], dask_worker: Worker) -> list[str]:
    """Which of `keys` the worker still holds (run on each worker by `Client.run`)."""
    return [key for key in keys if key in dask_worker.state.tasks]

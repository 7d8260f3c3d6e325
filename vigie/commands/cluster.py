"""The `--cluster` option the commands share, and the cluster it resolves to.

The option's value, else `VIGIE_DASK_SCHEDULER` (the settings), names the cluster of a job on
an extraction partitioned by académie; `features.cluster.parse_cluster` is the one parser of
both. Nothing here starts a cluster: `features.cluster.connect` does, within the job.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from features.cluster import ClusterSpec, connect, parse_cluster
from vigie.commands.common import error_console

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["ClusterOption", "cluster_client", "cluster_of"]

ClusterOption = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        help="Run on a Dask cluster, one académie (academie=NAME/ folder) per task: local:N "
        "(N worker processes here), tcp://HOST:PORT or tls://HOST:PORT (a running "
        "scheduler). Default: VIGIE_DASK_SCHEDULER, else this process.",
    ),
]


def cluster_of(option: str | None) -> ClusterSpec | None:
    """The cluster `--cluster` names, else the settings' (`VIGIE_DASK_SCHEDULER`), else None
    (this process); a usage error naming the option for a value that names none."""
    if option is not None:
        try:
            return parse_cluster(option)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--cluster") from None
    from settings import load_settings

    return load_settings().cluster


@contextmanager
def cluster_client(spec: ClusterSpec | None) -> Iterator[Client | None]:
    """A client of `spec`'s cluster for the block (None without one: the job runs here). A
    cluster that cannot be reached, a job that kills its workers over and over, or a cluster
    left without any worker (`features.cluster.NO_WORKERS_TIMEOUT`), ends with a message and
    exit code 1."""
    if spec is None:
        yield None
        return
    from distributed import KilledWorker
    from distributed.scheduler import NoWorkerError

    with ExitStack() as stack:
        try:
            client = stack.enter_context(connect(spec))
        except (OSError, ValueError) as error:  # no scheduler there, no answer, no TLS files
            error_console.print(f"[red]Cannot use the Dask cluster {spec}: {error}[/red]")
            raise typer.Exit(1) from None
        try:
            yield client
        except KilledWorker as error:
            error_console.print(
                f"[red]A task killed its Dask workers repeatedly ({error}); nothing was "
                "written.[/red]"
            )
            raise typer.Exit(1) from None
        except NoWorkerError as error:
            error_console.print(
                f"[red]The Dask cluster {spec} has no worker left to run the job ({error}); "
                "nothing was written.[/red]"
            )
            raise typer.Exit(1) from None

"""Features of an extraction partitioned by académie, one partition at a time, on a Dask
cluster or in this process.

Each partition is validated and built by the single-machine job itself
(`features.pipeline.stream_feature_file`: the one validation gate and the one DuckDB feature
builder), into `academie=NAME/features.parquet` of a hive-style dataset, so a partition's
file holds the same bytes whether a worker or `vigie features` on that académie wrote it.
Workers write straight to the dataset's temporary folder (shared storage on a real cluster)
and send back a count; no row goes through the client. The temporary folder replaces the
dataset only once every partition succeeded (`features.folders.staged_folder`): a partition
that fails (invalid data, an error) fails the job and leaves the previous dataset, or none,
never a part of one. A worker that dies mid-task (killed, out of memory) has its task run
again on another worker by Dask; a task that kills workers over and over (Dask's
`distributed.scheduler.allowed-failures`) fails the job the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from features.cluster import run_tasks
from features.extraction import ExtractionReadError
from features.folders import staged_folder
from features.partitions import (
    PARTITION_KEY,
    Partition,
    PartitionError,
    find_partitions,
    require_replaceable,
)
from features.pipeline import stream_feature_file
from features.store import read_features
from features.validation import InvalidExtractionError

if TYPE_CHECKING:
    from distributed import Client

    from features.feature_set import FeatureSet

__all__ = [
    "FEATURE_FILE",
    "PartitionFeatures",
    "PartitionTask",
    "PartitionedFeatures",
    "build_partition_file",
    "build_partitioned_features",
    "read_partition_features",
]

FEATURE_FILE = "features.parquet"


@dataclass(frozen=True)
class PartitionFeatures:
    """What a partition's build wrote: its name, rows and the validation's warnings."""

    name: str
    rows: int
    warnings: int


@dataclass(frozen=True)
class PartitionedFeatures:
    """A partitioned feature dataset written: its folder and each partition's count."""

    path: Path
    partitions: tuple[PartitionFeatures, ...]

    @property
    def rows(self) -> int:
        return sum(partition.rows for partition in self.partitions)


def build_partition_file(
    partition: Partition, as_of_dates: Sequence[dt.date], dataset: Path
) -> PartitionFeatures:
    """Validate and build one partition's features into its folder of `dataset` (the task a
    worker runs). A broken rule or an unreadable file raises `PartitionError` naming the
    partition, then the table, row, column and rule."""
    if partition.name is None:
        raise ValueError("a partitioned build needs named partitions (academie=NAME/ folders)")
    out = dataset / partition.label / FEATURE_FILE
    try:
        written = stream_feature_file(partition.path, as_of_dates, out)
    except InvalidExtractionError as error:
        raise PartitionError(partition.name, str(error)) from None
    except ExtractionReadError as error:
        raise PartitionError(partition.name, str(error)) from None
    return PartitionFeatures(partition.name, written.rows, written.report.warning_count)


PartitionTask = Callable[[Partition, Sequence[dt.date], Path], PartitionFeatures]


def build_partitioned_features(
    data: str | Path,
    as_of_dates: Sequence[dt.date],
    out: str | Path,
    client: Client | None = None,
    progress: Callable[[int], None] | None = None,
    task: PartitionTask = build_partition_file,
) -> PartitionedFeatures:
    """Build the features of every partition of `data` (`academie=NAME/` folders) at
    `as_of_dates` into the dataset folder `out`, one `task` per partition: on the workers of
    `client`, or here one after the other without one. `progress` is told of each partition
    done. `out` is replaced only when every partition succeeded, and only if it is a
    previous dataset."""
    if not as_of_dates:
        raise ValueError("at least one as-of date is needed")
    partitions = find_partitions(data)
    if any(partition.name is None for partition in partitions):
        raise ValueError(
            f"{data} is a single extraction, not one partitioned by académie "
            f"({PARTITION_KEY}=NAME/ folders): build it with `vigie features --out FILE.parquet`"
        )
    out = Path(out)
    require_replaceable(out)
    dates = sorted(set(as_of_dates))
    with staged_folder(out) as staging:
        if client is None:
            results = []
            for partition in partitions:
                results.append(task(partition, dates, staging))
                if progress is not None:
                    progress(1)
        else:
            results = run_tasks(
                client,
                task,
                [(partition, dates, staging) for partition in partitions],
                [f"features-{partition.label}" for partition in partitions],
                progress,
            )
    return PartitionedFeatures(out, tuple(sorted(results, key=lambda result: result.name)))


def read_partition_features(dataset: str | Path, name: str) -> FeatureSet:
    """The features of the partition `name` of a dataset written by
    `build_partitioned_features`."""
    return read_features(Path(dataset) / Partition(name, Path()).label / FEATURE_FILE)

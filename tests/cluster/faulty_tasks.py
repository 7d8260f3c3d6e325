"""Partition tasks that misbehave, for the fault tests: importable by the workers (they are
sent by reference), each wrapping the real task."""

from __future__ import annotations

import datetime as dt
import os
import signal
from collections.abc import Sequence
from pathlib import Path

from features.partitioned_features import FEATURE_FILE, PartitionFeatures, build_partition_file
from features.partitions import Partition
from features.store import atomic_file


def _die_writing(partition: Partition, dataset: Path) -> None:
    """Start writing the partition's file as the real task does, then kill this worker
    process (SIGKILL: no cleanup runs), leaving a half-written temporary file behind."""
    out = dataset / partition.label / FEATURE_FILE
    with atomic_file(out) as temporary:
        Path(temporary).write_bytes(b"PAR1 half a file")
        os.kill(os.getpid(), signal.SIGKILL)


def killed_once(
    partition: Partition,
    as_of_dates: Sequence[dt.date],
    dataset: Path,
    *,
    victim: str,
    marker: Path,
) -> PartitionFeatures:
    """The real task, except that partition `victim` kills its worker the first time (the
    `marker` file records that it did)."""
    if partition.name == victim and not marker.exists():
        marker.touch()
        _die_writing(partition, dataset)
    return build_partition_file(partition, as_of_dates, dataset)


def always_killed(
    partition: Partition, as_of_dates: Sequence[dt.date], dataset: Path, *, victim: str
) -> PartitionFeatures:
    """The real task, except that partition `victim` kills every worker that runs it."""
    if partition.name == victim:
        _die_writing(partition, dataset)
    return build_partition_file(partition, as_of_dates, dataset)

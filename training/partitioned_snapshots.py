"""Training snapshots of an extraction partitioned by académie, one académie per task.

Two rounds of tasks, on the workers of a Dask cluster or one after the other here:

1. each académie is validated (the one validation gate, `features.validation.require_valid`)
   and sends back its last event, its outcomes (one row per enrolled student and school
   year: what plans the splits, `training.pipeline.plan_training`) and its files' SHA-256;
2. once the plan is known (on the client, from every académie's outcomes), each académie
   builds its snapshot rows with the single-machine code (`training.pipeline.
   training_snapshots`, labels censored at the whole extraction's last event) and writes
   them to `academie=NAME/snapshots.parquet` of a dataset folder; it sends back a count.

No snapshot row goes through the client: the fits, scores and replays read the dataset on
the workers (`training.cluster_fit`, `training.cluster_evaluation`). Without a cluster,
`in_memory` reads the dataset back as one frame for the single-machine pipeline.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from features.cluster import run_tasks
from features.extraction import ExtractionReadError, open_extraction
from features.jsonio import sha256
from features.partitions import PARTITION_KEY, Partition, PartitionError, find_partitions
from features.progress import SILENT, Progress
from features.store import atomic_file
from features.validation import InvalidExtractionError, require_valid
from training.baselines import read_latent_risk
from training.config import TrainConfig
from training.folds import DateSelection
from training.pipeline import PreparedData, TrainingPlan, plan_training, training_snapshots
from training.plan import SplitPlan
from training.snapshots import enrolled_outcomes, extraction_last_event
from training.tracking import data_fingerprint

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "SNAPSHOT_FILE",
    "PartitionOutline",
    "PartitionedPrepared",
    "in_memory",
    "is_partitioned",
    "outline_partition",
    "partitioned_fingerprint",
    "partitioned_latent",
    "prepare_partitioned",
    "run_partitions",
    "write_partition_snapshots",
]

SNAPSHOT_FILE = "snapshots.parquet"

Result = TypeVar("Result")


@dataclass(frozen=True, eq=False)
class PartitionOutline:
    """What an académie tells the client before its snapshots are built."""

    name: str
    last_event: dt.date | None
    outcomes: pd.DataFrame


@dataclass(frozen=True, eq=False)
class PartitionedPrepared:
    """The snapshots of a partitioned extraction, written per académie to `dataset`, and the
    plan that reads them (what `training.pipeline.PreparedData` is for one frame)."""

    dataset: Path
    names: tuple[str, ...]
    rows: dict[str, int]
    plan: TrainingPlan
    seconds: float = 0.0

    @property
    def selection(self) -> DateSelection:
        return self.plan.selection

    @property
    def plans(self) -> tuple[SplitPlan, ...]:
        return self.plan.plans

    @property
    def final(self) -> SplitPlan | None:
        return self.plan.final

    @property
    def kfold_years(self) -> tuple[str, ...]:
        return self.plan.kfold_years

    @property
    def snapshot_rows(self) -> int:
        return sum(self.rows.values())

    def path_of(self, name: str) -> Path:
        """The snapshot file of the académie `name`."""
        return self.dataset / f"{PARTITION_KEY}={name}" / SNAPSHOT_FILE


def is_partitioned(data: str | Path) -> bool:
    """Whether `data` is an extraction partitioned by académie (`academie=NAME/` folders)."""
    return Path(data).is_dir() and find_partitions(data)[0].name is not None


def run_partitions(
    client: Client | None,
    function: Callable[..., Result],
    arguments: Sequence[tuple[Any, ...]],
    names: Sequence[str],
    progress: Callable[[int], None] | None = None,
) -> list[Result]:
    """`function(*args)` for each tuple of `arguments`: one task each on the workers of
    `client` (`features.cluster.run_tasks`), or here one after the other; results in the
    order of `arguments`."""
    if client is None:
        results = []
        for args in arguments:
            results.append(function(*args))
            if progress is not None:
                progress(1)
        return results
    keyed = run_tasks(client, _keyed, [(i, function, args) for i, args in enumerate(arguments)],
                      names, progress)  # fmt: skip
    return [result for _, result in sorted(keyed, key=lambda pair: pair[0])]


def _keyed(
    index: int, function: Callable[..., Result], args: tuple[Any, ...]
) -> tuple[int, Result]:
    return index, function(*args)


def outline_partition(partition: Partition) -> PartitionOutline:
    """Validate one académie and send back its last event and outcomes (the first task). A
    broken rule raises `PartitionError` naming the académie, then the table, row, column and
    rule."""
    assert partition.name is not None
    try:
        with require_valid(partition.path) as extraction:
            last_event = extraction_last_event(extraction)
            outcomes = enrolled_outcomes(extraction)
    except (InvalidExtractionError, ExtractionReadError) as error:
        raise PartitionError(partition.name, str(error)) from None
    return PartitionOutline(partition.name, last_event, outcomes)


def write_partition_snapshots(
    partition: Partition,
    dates: Sequence[dt.date],
    config: TrainConfig,
    last_event: dt.date,
    dataset: Path,
) -> int:
    """Build one académie's snapshot rows at `dates` and write them to its file of `dataset`
    (whole or not at all); the number of rows. The académie was validated by the first
    task of the same job."""
    assert partition.name is not None
    out = dataset / partition.label / SNAPSHOT_FILE
    with open_extraction(partition.path) as extraction:
        frame = training_snapshots(extraction, dates, config, None, last_event)
    with atomic_file(out) as temporary:
        frame.to_parquet(temporary, index=False)
    return len(frame)


def prepare_partitioned(
    data: str | Path,
    config: TrainConfig,
    dataset: str | Path,
    as_of: Sequence[dt.date] | None = None,
    client: Client | None = None,
    progress: Progress = SILENT,
) -> PartitionedPrepared:
    """Validate every académie of `data`, plan the splits from all their outcomes, then write
    each académie's snapshots to `dataset` (a folder the caller owns and removes). Raises
    `PartitionError` (a ValueError) naming the académie when one is invalid, ValueError when
    the extraction cannot support the plan."""
    started = time.perf_counter()
    partitions = find_partitions(data)
    if any(partition.name is None for partition in partitions):
        raise ValueError(f"{data} is not partitioned by académie ({PARTITION_KEY}=NAME/ folders)")
    names = [partition.label for partition in partitions]
    progress.stage("partition_features", total=2 * len(partitions))
    outlines = run_partitions(client, outline_partition, [(p,) for p in partitions],
                              [f"outline-{name}" for name in names], progress.advance)  # fmt: skip
    events = [outline.last_event for outline in outlines if outline.last_event is not None]
    if not events:
        raise ValueError(f"the extraction in {data} records no event")
    last_event = max(events)
    outcomes = pd.concat([outline.outcomes for outline in outlines], ignore_index=True)
    outcomes = outcomes.sort_values(["school_year", "student_id"], kind="mergesort")
    plan = plan_training(outcomes.reset_index(drop=True), last_event, config, as_of)
    out = Path(dataset)
    rows = run_partitions(
        client, write_partition_snapshots,
        [(partition, plan.dates, config, last_event, out) for partition in partitions],
        [f"snapshots-{name}" for name in names], progress.advance,
    )  # fmt: skip
    return PartitionedPrepared(
        out, tuple(o.name for o in outlines),
        {o.name: n for o, n in zip(outlines, rows, strict=True)}, plan,
        time.perf_counter() - started,
    )  # fmt: skip


def in_memory(prepared: PartitionedPrepared) -> PreparedData:
    """Every académie's snapshots as one frame (académies in name order): the single-machine
    pipeline's input."""
    frames = [pd.read_parquet(prepared.path_of(name)) for name in prepared.names]
    plan = prepared.plan
    return PreparedData(pd.concat(frames, ignore_index=True), plan.selection, plan.plans,
                        plan.final, plan.kfold_years, prepared.seconds)  # fmt: skip


def partitioned_fingerprint(data: str | Path) -> dict[str, Any]:
    """`training.tracking.data_fingerprint` of every académie: each table file's SHA-256
    (named `NAME/file`) and theirs together."""
    files = {
        f"{partition.name}/{file}": digest
        for partition in find_partitions(data)
        for file, digest in data_fingerprint(partition.path)["files"].items()
    }
    return {"sha256": sha256(files, spaced=True), "files": files}


def partitioned_latent(data: str | Path) -> pd.DataFrame | None:
    """The synthetic generator's latent risk of every académie (`read_latent_risk`), None
    when none wrote it."""
    parts = [read_latent_risk(partition.path) for partition in find_partitions(data)]
    present = [part for part in parts if part is not None]
    return pd.concat(present, ignore_index=True) if present else None

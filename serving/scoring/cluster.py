"""The weekly run on an extraction partitioned by académie: one task per partition, on a Dask
cluster or one after the other in this process, and the week switched in one transaction.

The registered model (with the decisions the store holds) is sent once to every worker by a
worker plugin (`SharedInputs`): each worker process unpickles it once, a worker started or
restarted during the run gets it too, and the tasks only carry the run's key, so it is never
pickled per task. The plugin is removed when the run ends. Each task (`score_partition`)
runs the single-machine steps on its académie: the one validation gate, the one feature
builder, the model's risks, the week's queue per establishment and the explanations of the
students it lists (`serving.scoring.week.week_lists`), then writes the partition's feature
snapshot to the week's staged lineage folder (`<stamp>/features/NAME.parquet`, shared storage
on a real cluster) and the contributions of the students it queued. The client receives only
the establishments' weeks (their queued students, every enrolled student's risk held
column-wise: `serving.weekly.student_risks`), the rosters as one Arrow table (a few columns
per enrolled student) and those contributions, never a student's features.

Nothing is written to the store before every partition succeeded: the partitions' results
are staged (in memory on the client, the snapshots in the staged folder), then one
transaction (`serving.weekly.replace_week_lists`, bulk loading on PostgreSQL) switches the
week. A partition that fails (invalid data, an error) or whose task kills its workers over and
over fails the run, removes the staged folder and leaves the previous week exactly as it
was; a worker killed mid-task has its task run again by Dask. Decisions recorded between the
workers' queues and the write move a slot to a student not explained yet: the write's
explainer asks the cluster (or this process) to explain them from the partition's snapshot.

Each partition is validated and aggregated from its own state of last week, as the
single-machine weekly run does (`serving.scoring.incremental`): its task validates only the
new events when the state under the run's home (`<home>/weekly-state/academie=NAME/`, shared
storage on a real cluster, the same state as that académie's folder scored alone) can be
used, adds them to the sums kept then, and prepares the week's state in hidden files named
by the run; the client keeps every partition's state once the week is written, and removes
what the run prepared otherwise (a task run again after its worker died included).
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from distributed.diagnostics.plugin import WorkerPlugin

from features.background import in_background
from features.calendar import monday_on_or_before
from features.cluster import run_tasks
from features.extraction import ExtractionReadError
from features.incremental import validate_week
from features.incremental.state import remove_prepared
from features.incremental.validation import PendingState, ValidationSummary
from features.partitions import PARTITION_KEY, Partition, PartitionError, find_partitions
from features.validation import InvalidExtractionError
from models.queue import DEFAULT_FOLLOW_UP, FollowUpRule, QueuedStudent
from serving.db.engine import Store
from serving.lineage import (
    CONTRIBUTIONS_FILE,
    WeekLineage,
    extraction_sha256,
    file_sha256,
    folder_sha256,
    new_week_folder,
    partitions_sha256,
    write_snapshot,
)
from serving.scoring.incremental import partition_key
from serving.scoring.model import ModelLoading, RegisteredModel, loaded
from serving.scoring.run import (
    EstablishmentSummary,
    WeeklyScoring,
    _os_user,
    _summary,
    extraction_week_lists,
)
from serving.scoring.week import explain_with_contributions, python_strings
from serving.weekly import EstablishmentWeek, RankedQueues, ScoredStudent, replace_week_lists
from serving.weekly.decisions import FollowUp, decisions_of, load_follow_ups

if TYPE_CHECKING:
    from distributed import Client

    from models.risk_model import RiskModel

__all__ = [
    "CLUSTER_STAGES",
    "SNAPSHOTS_FOLDER",
    "PartitionWeek",
    "SharedInputs",
    "WeekStates",
    "explain_snapshot",
    "score_partition",
    "score_partitioned_week",
]

# The stages of a partitioned run: the partitions' tasks, then the week's one transaction.
CLUSTER_STAGES = ("partitions", "store write")
SNAPSHOTS_FOLDER = "features"
Pair = tuple[str, str]  # (uai, student_id)

# What the runs under way share, by run key, in this process (a worker's, or the client's
# when the partitions are scored here): the model (here, possibly still loading) and the
# decisions.
_HELD: dict[str, tuple[RiskModel | ModelLoading, dict[str, list[FollowUp]]]] = {}


@dataclass(frozen=True)
class SharedInputs:
    """A handle to what every task of a run shares: the model and the decisions as the store
    held them when the run started. Held once per process (`_HoldInputs` on the workers),
    looked up by the run's key: a task carries the key only."""

    key: str

    @property
    def model(self) -> RiskModel:
        """The run's model (waits for it when it is still loading in this process)."""
        model = self._held()[0]
        return loaded(model).model if isinstance(model, ModelLoading) else model

    @property
    def follow_ups(self) -> dict[str, list[FollowUp]]:
        return self._held()[1]

    def _held(self) -> tuple[RiskModel | ModelLoading, dict[str, list[FollowUp]]]:
        try:
            return _HELD[self.key]
        except KeyError:
            raise RuntimeError(f"the run {self.key} has no model in this process") from None


class _HoldInputs(WorkerPlugin):
    """The worker plugin that gives every worker process, once, the run's shared inputs
    (a worker started later gets them at its start)."""

    def __init__(self, key: str, model: RiskModel, follow_ups: dict[str, list[FollowUp]]) -> None:
        self.key = key
        self.model = model
        self.follow_ups = follow_ups

    def setup(self, worker: Any) -> None:
        _HELD[self.key] = (self.model, self.follow_ups)

    def teardown(self, worker: Any) -> None:
        _HELD.pop(self.key, None)


@contextmanager
def _shared_inputs(
    client: Client | None,
    model: RegisteredModel | ModelLoading,
    follow_ups: Mapping[str, Sequence[FollowUp]],
) -> Iterator[SharedInputs]:
    """The run's shared inputs on every worker of `client` (here without one) for the
    block, removed when it ends, on an error too. Here, a model still loading is taken as it
    is (the tasks wait for it when they score); a cluster's workers get it once loaded."""
    key = f"vigie-score-{uuid.uuid4().hex[:12]}"
    decided = {student: list(items) for student, items in follow_ups.items()}
    if client is None:
        _HELD[key] = (model if isinstance(model, ModelLoading) else model.model, decided)
        try:
            yield SharedInputs(key)
        finally:
            _HELD.pop(key, None)
        return
    client.register_plugin(_HoldInputs(key, loaded(model).model, decided), name=key)
    try:
        yield SharedInputs(key)
    finally:
        client.unregister_worker_plugin(key)


@dataclass(frozen=True)
class WeekStates:
    """How a run's partitions use and prepare their weekly state: under `home` (the run's,
    shared by the client and the workers), for the model labelled `model` (or a callable
    giving the label once the registry has answered: a run scored here, its model still
    loading; a cluster's tasks get the label itself), validated whole when `full`; the files
    prepared are named by the run's `token`."""

    home: str
    model: str | Callable[[], str]
    full: bool = False
    token: str = field(default_factory=lambda: secrets.token_hex(6))


@dataclass(frozen=True)
class PartitionWeek:
    """What a partition's task sends back: its establishments' weeks, their rosters as one
    table (`serving.weekly.ROSTER_SCHEMA`), how many students each enrolls, and the
    contributions of the students queued (a row per (uai, student_id)); with weekly states,
    how it was validated and the state prepared for the next week. Small: lists, risks and
    roster columns, never a feature row."""

    name: str
    weeks: tuple[EstablishmentWeek, ...]
    rosters: pa.Table = field(repr=False)
    enrolled: dict[str, int]
    contributions: pd.DataFrame = field(repr=False)
    snapshot: str
    extraction_sha256: str  # the partition's fingerprint, hashed on the worker
    validation: ValidationSummary | None = None
    pending: PendingState | None = field(default=None, repr=False)
    # Each establishment's queue as the task ranked it, against the run's decisions.
    queues: dict[str, list[QueuedStudent]] = field(default_factory=dict, repr=False)


def score_partition(
    partition: Partition,
    as_of: dt.date,
    shared: SharedInputs,
    snapshots: Path,
    watch_threshold: float | None,
    rule: FollowUpRule,
    states: WeekStates | None = None,
) -> PartitionWeek:
    """One partition's week (the task a worker runs): validate, build the features at
    `as_of`, score with the `shared` model, queue and explain each establishment's students
    against the `shared` decisions (as the store held them when the run started), write the
    snapshot under `snapshots` and compute the queued students' contributions. With
    `states`, the partition is validated and aggregated from its state of last week when it
    can be, and this week's state is prepared (kept by the client once the week is written).
    A broken rule or an unreadable file raises `PartitionError` naming the partition, then
    the table, row, column and rule."""
    from features.builder import build_features
    from features.validation import require_valid

    if partition.name is None:
        raise ValueError(f"a partitioned run needs named partitions ({PARTITION_KEY}=NAME/)")
    try:
        if states is None:
            extraction, outcome = require_valid(partition.path), None
        else:
            outcome = validate_week(
                partition.path, as_of, home=states.home, partition=partition_key(partition.path),
                model=states.model, full=states.full, token=states.token,
            )  # fmt: skip
            extraction = outcome.extraction
    except (InvalidExtractionError, ExtractionReadError) as error:
        raise PartitionError(partition.name, str(error)) from None
    model, follow_ups = shared.model, shared.follow_ups
    path = snapshots / f"{partition.name}.parquet"
    staged: list[Future[Any]] = []
    try:
        with extraction:
            if outcome is None:
                feature_set = build_features(extraction, [as_of])
            else:
                feature_set = outcome.features(as_of)
            risks = model.predict_risk(feature_set)
            # The snapshot, the partition's fingerprint and the kept sums written on the
            # second core while the lists are explained (mostly Parquet, hashing and I/O).
            staged = [
                in_background("vigie-partition-snapshot", write_snapshot, feature_set, path),
                in_background("vigie-partition-sha256", extraction_sha256, partition.path),
            ]
            if outcome is not None and outcome.pending is not None:
                outcome.pending.start_writing()
            ids = set(python_strings(feature_set.frame["student_id"]).tolist())
            decisions = decisions_of({s: f for s, f in follow_ups.items() if s in ids})
            weeks, rosters, contributions, queues = extraction_week_lists(
                extraction, feature_set, as_of, model, risks, decisions, watch_threshold, rule
            )
        enrolled = feature_set.frame["uai"].astype(str).value_counts().to_dict()
        snapshot_written, hashed = staged
        snapshot_written.result()
        pending = None
        if outcome is not None and outcome.pending is not None:
            pending = outcome.pending.settled()  # its sums' files whole before the answer
        return PartitionWeek(
            partition.name,
            tuple(weeks),
            rosters,
            {str(uai): int(count) for uai, count in enrolled.items()},
            contributions,
            str(path),
            hashed.result(),
            None if outcome is None else outcome.summary(),
            pending,
            queues,
        )
    except BaseException:
        wait(staged)  # nothing written after the task ends
        if outcome is not None and outcome.pending is not None:
            outcome.pending.discard()
        raise


def explain_snapshot(
    snapshot: str, shared: SharedInputs, pairs: Sequence[Pair]
) -> tuple[list[ScoredStudent], pd.DataFrame]:
    """The students `pairs` of a partition explained from its snapshot (the week's rows of
    the académie, so the reference medians are the same as at scoring), with their
    contributions: what the write asks for the students a decision recorded since the
    workers' queues moved into a list."""
    from features.store import read_features

    feature_set = read_features(snapshot)
    frame = feature_set.frame
    position = _positions(frame)
    unknown = [pair for pair in pairs if pair not in position]
    if unknown:
        raise ValueError(f"students not scored this week: {unknown[:5]}")
    rows = np.asarray([position[pair] for pair in pairs], dtype="int64")
    return explain_with_contributions(shared.model, feature_set, rows)


def _positions(frame: pd.DataFrame) -> dict[Pair, int]:
    return {
        pair: row
        for row, pair in enumerate(
            zip(frame["uai"].astype(str), frame["student_id"].astype(str), strict=True)
        )
    }


class _StagedPartitions:
    """The week's artifacts staged by the partitions' tasks (a snapshot per partition in
    `folder/features/`), finished inside the write's transaction with the contributions of
    the students listed: what `replace_week_lists` records as the week's lineage."""

    def __init__(
        self,
        folder: Path,
        as_of: dt.date,
        model_version: str,
        extraction: Path,
        results: Sequence[PartitionWeek],
        explain_remote: Callable[[str, Sequence[Pair]], tuple[list[ScoredStudent], pd.DataFrame]],
    ) -> None:
        self.folder = folder
        self.as_of = as_of
        self.model_version = model_version
        self._extraction = extraction
        # Hashed by the workers, each its partition: nothing is read in the transaction.
        self._fingerprint = partitions_sha256({r.name: r.extraction_sha256 for r in results})
        self._snapshot = {week.uai: r.snapshot for r in results for week in r.weeks}
        self._frames = [result.contributions for result in results]
        self._explain_remote = explain_remote

    def _known(self) -> pd.DataFrame:
        """Every contribution row computed so far, one per (uai, student_id)."""
        frame = pd.concat(self._frames, ignore_index=True)
        return frame.drop_duplicates(["uai", "student_id"], keep="last", ignore_index=True)

    def explain(self, pairs: Sequence[Pair]) -> list[ScoredStudent]:
        """The write's explainer: the students `pairs`, explained by their partition's task."""
        unknown = [pair for pair in pairs if pair[0] not in self._snapshot]
        if unknown:
            raise ValueError(f"students not scored this week: {unknown[:5]}")
        by_snapshot: dict[str, list[Pair]] = defaultdict(list)
        for pair in pairs:
            by_snapshot[self._snapshot[pair[0]]].append(pair)
        explained: dict[Pair, ScoredStudent] = {}
        for snapshot, asked in sorted(by_snapshot.items()):
            scored, values = self._explain_remote(snapshot, asked)
            explained.update(zip(asked, scored, strict=True))
            self._frames.append(values)
        return [explained[pair] for pair in pairs]

    def finish(self, listed: Iterable[Pair]) -> WeekLineage:
        """Write the contributions of the `listed` (uai, student_id) pairs and return the
        lineage to record."""
        from features.store import atomic_file

        pairs = sorted(set(listed))
        known = self._known()
        row = {
            pair: position
            for position, pair in enumerate(
                zip(known["uai"].astype(str), known["student_id"].astype(str), strict=True)
            )
        }
        missing = [pair for pair in pairs if pair not in row]
        if missing:
            self.explain(missing)
            return self.finish(pairs)
        values = known.iloc[[row[pair] for pair in pairs]].reset_index(drop=True)
        path = self.folder / CONTRIBUTIONS_FILE
        with atomic_file(path) as temporary:
            pq.write_table(pa.Table.from_pandas(values, preserve_index=False), temporary)
        snapshots = self.folder / SNAPSHOTS_FOLDER
        return WeekLineage(
            monday_on_or_before(self.as_of),
            self.as_of,
            self.model_version,
            str(self._extraction),
            self._fingerprint,
            str(snapshots),
            folder_sha256(snapshots),
            str(path),
            file_sha256(path),
        )

    def discard(self) -> None:
        """Remove the staged folder (the write did not record it)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def score_partitioned_week(
    data: str | Path,
    as_of: dt.date,
    store: Store,
    model: RegisteredModel | ModelLoading,
    *,
    home: str | Path,
    watch_threshold: float | None,
    rule: FollowUpRule = DEFAULT_FOLLOW_UP,
    client: Client | None = None,
    on_stage: Callable[[str, float], None] | None = None,
    task: Callable[..., PartitionWeek] = score_partition,
    incremental: bool = True,
    full: bool = False,
) -> WeeklyScoring:
    """Score every partition of `data` (`academie=NAME/` folders) on `as_of`, one `task` per
    partition on the workers of `client` (or here, one after the other, without one), and
    replace the week's lists in `store` in one transaction, the artifacts under `home`.
    With `incremental`, each partition is validated and aggregated from its state of last
    week under `home` when it can be (`full` validates whole), and its state is kept once
    the week is written. Raises `PartitionError` for a partition that breaks the contract,
    and whatever a task or the store raises, before anything is kept."""
    if watch_threshold is not None and not 0.0 <= watch_threshold <= 1.0:
        raise ValueError(f"the watch threshold must be between 0 and 1, not {watch_threshold}")
    partitions = find_partitions(data)
    if any(partition.name is None for partition in partitions):
        raise ValueError(
            f"{data} is a single extraction, not one partitioned by académie "
            f"({PARTITION_KEY}=NAME/ folders): score it without --cluster"
        )
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    week = monday_on_or_before(as_of)
    with store.reading() as session:
        follow_ups = load_follow_ups(session, week)
    folder = new_week_folder(home, as_of).resolve()
    snapshots = folder / SNAPSHOTS_FOLDER
    snapshots.mkdir()
    states = (
        WeekStates(str(Path(home).resolve()), _label(model, client), full) if incremental else None
    )
    results: list[PartitionWeek] = []
    try:
        with _shared_inputs(client, model, follow_ups) as shared:
            arguments = (as_of, shared, snapshots, watch_threshold, rule, states)
            results = _run(client, task, partitions, arguments)
            model = loaded(model)
            seconds["partitions"] = time.perf_counter() - started
            if on_stage is not None:
                on_stage("partitions", seconds["partitions"])
            results = sorted(results, key=lambda result: result.name)
            weeks = sorted((w for result in results for w in result.weeks), key=lambda w: w.uai)
            rosters = pa.concat_tables([result.rosters for result in results])
            staged = _StagedPartitions(
                folder,
                as_of,
                model.label,
                Path(data).resolve(),
                results,
                lambda snapshot, pairs: _explain(client, snapshot, shared, pairs),
            )
            started = time.perf_counter()
            written = replace_week_lists(
                store,
                as_of=as_of,
                model_version=model.label,
                establishments=weeks,
                rosters=rosters,
                watch_threshold=watch_threshold,
                rule=rule,
                by=f"vigie score --cluster (OS user {_os_user()})",
                explain=staged.explain,
                lineage=staged,
                bulk=True,
                # The tasks' queues, ranked against the decisions read when the run began.
                ranked=RankedQueues(
                    {uai: queue for result in results for uai, queue in result.queues.items()},
                    decisions_of(follow_ups),
                ),
            )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        _discard_states(states, partitions, results)
        raise
    _keep_states(results)
    seconds["store write"] = time.perf_counter() - started
    if on_stage is not None:
        on_stage("store write", seconds["store write"])
    enrolled = {uai: count for result in results for uai, count in result.enrolled.items()}
    summaries: tuple[EstablishmentSummary, ...] = tuple(
        _summary(w, enrolled.get(w.uai, 0), written) for w in weeks
    )
    validations = {r.name: r.validation for r in results if r.validation is not None}
    return WeeklyScoring(
        written, model.label, sum(enrolled.values()), summaries, seconds, rows=None,
        validations=validations,
    )  # fmt: skip


def _label(model: RegisteredModel | ModelLoading, client: Client | None) -> str | Callable[[], str]:
    """The model's label for the partitions' states: asked when the first validation needs
    it in this process (the registry's lookup goes on meanwhile); given to a cluster's
    tasks."""
    if client is None and isinstance(model, ModelLoading):
        loading = model
        return lambda: loading.label
    return model.label


def _keep_states(results: Sequence[PartitionWeek]) -> None:
    """Keep the state each partition prepared (the week is written; keeping it also removes
    what an earlier attempt of its task left)."""
    for result in results:
        if result.pending is not None:
            result.pending.keep()


def _discard_states(
    states: WeekStates | None, partitions: Sequence[Partition], results: Sequence[PartitionWeek]
) -> None:
    """Remove every file the run prepared for the partitions' next week (the week is not
    written): those the tasks sent back, and those of tasks that failed or were cancelled."""
    for result in results:
        if result.pending is not None:
            result.pending.discard()
    if states is not None:
        for partition in partitions:
            remove_prepared(states.home, partition_key(partition.path), states.token)


def _run(
    client: Client | None,
    task: Callable[..., PartitionWeek],
    partitions: Sequence[Partition],
    arguments: tuple[Any, ...],
) -> list[PartitionWeek]:
    """`task(partition, *arguments)` for every partition: on the workers of `client`, or
    here one after the other."""
    if client is None:
        return [task(partition, *arguments) for partition in partitions]
    return run_tasks(
        client,
        task,
        [(partition, *arguments) for partition in partitions],
        [f"score-{partition.label}" for partition in partitions],
    )


def _explain(
    client: Client | None, snapshot: str, shared: SharedInputs, pairs: Sequence[Pair]
) -> tuple[list[ScoredStudent], pd.DataFrame]:
    """`explain_snapshot` on a worker of `client` (which holds the model), or here."""
    if client is None:
        return explain_snapshot(snapshot, shared, pairs)
    [answer] = run_tasks(client, explain_snapshot, [(snapshot, shared, list(pairs))],
                         ["explain-week"])  # fmt: skip
    return answer

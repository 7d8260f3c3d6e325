"""Fixtures and helpers shared by the cluster scoring tests (no tests here): a risk model
trained quickly on the two académies' past school year, the week's content as the store holds
it (to compare runs), and partition tasks that kill their worker, importable by the workers
(they are sent by reference)."""

from __future__ import annotations

import datetime as dt
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text

from features.partitions import Partition, find_partitions
from features.store import atomic_file
from models.queue import FollowUpRule
from models.risk_model import RiskModel
from serving.db import Store, open_store
from serving.lineage import recorded_week
from serving.scoring import RegisteredModel
from serving.scoring.cluster import PartitionWeek, SharedInputs, WeekStates, score_partition

AS_OF = dt.date(2026, 11, 16)  # a Monday of the académies' last school year
NAMES = ["Nantes", "Rennes"]

_CACHE: dict[str, Any] = {}


@pytest.fixture(scope="session")
def registered(academies: Path) -> RegisteredModel:
    """A model trained on the monthly snapshots of 2025-2026 of both académies (20 trees),
    as the registry would hand it over."""
    if "model" not in _CACHE:
        from features.extraction import open_extraction
        from training.snapshots import build_snapshots, snapshot_dates

        dates = snapshot_dates("2025-2026", "monthly")
        frames = []
        for partition in find_partitions(academies):
            with open_extraction(partition.path) as extraction:
                frames.append(build_snapshots(extraction, dates))
        frame = pd.concat(frames, ignore_index=True)
        frame = frame[frame["label_dropped_out"].notna()].reset_index(drop=True)
        model = RiskModel(num_boost_round=20, calibration_folds=3, seed=1)
        model = model.fit(frame, frame["label_dropped_out"], groups=frame["student_id"])
        _CACHE["model"] = RegisteredModel(model, "vigie-dropout", "1", "alias champion")
    return _CACHE["model"]


def sqlite_store(folder: Path) -> Iterator[Store]:
    """A fresh store (SQLite file) in `folder`, which is also the run's home."""
    folder.mkdir(parents=True, exist_ok=True)
    store = open_store(f"sqlite:///{folder / 'store.sqlite3'}")
    yield store
    store.dispose()


_ENTRIES = (
    "SELECT l.uai, l.week, l.as_of, l.model_version, l.weekly_interview_capacity, "
    "l.watch_threshold, e.student_id, e.rank, e.tier, e.risk, e.risk_change, "
    "e.new_this_week, e.interview_under_way, e.dismissed_recently, e.decision_kind, "
    "e.reasons, e.features_shown FROM list_entries e JOIN weekly_lists l ON e.list_id = l.id "
    "ORDER BY l.uai, e.rank"
)


def week_content(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the week's lists hold (entries with their list, establishments, students,
    enrollments), without ids, stamps or artifact paths, in a canonical order; JSON columns
    parsed, so that SQLite and PostgreSQL compare alike."""
    import json

    def value(item: Any) -> Any:
        if isinstance(item, str) and item[:1] in "[{":
            return json.loads(item)
        return item.isoformat() if isinstance(item, dt.date) else item

    def plain(row: Any) -> tuple[Any, ...]:
        return tuple(value(item) for item in row)

    queries = {
        "entries": _ENTRIES,
        "establishments": "SELECT uai, name, weekly_interview_capacity FROM establishments "
        "ORDER BY uai",
        "students": "SELECT student_id, last_name, first_name FROM students ORDER BY student_id",
        "enrollments": "SELECT student_id, uai, start_date, end_date FROM enrollments "
        "ORDER BY student_id, uai, start_date",
    }
    with store.reading() as session:
        return {
            name: [plain(tuple(row)) for row in session.execute(text(query))]
            for name, query in queries.items()
        }


def lineage_frames(store: Store, uai: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The establishment's rows of the latest week's snapshot and contributions, through the
    lineage (hash-checked)."""
    with store.reading() as session:
        lineage = recorded_week(session, None)
    features = lineage.features(uai=uai).reset_index(drop=True)
    contributions = lineage.contributions(uai=uai).reset_index(drop=True)
    return features, contributions


def store_tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a week's write touches, as stored (ids and paths included):
    to check that a failed run changed nothing."""
    tables = ("weekly_runs", "weekly_lists", "list_entries", "establishments", "students",
              "enrollments")  # fmt: skip
    with store.reading() as session:
        return {
            table: [tuple(row) for row in session.execute(text(f"SELECT * FROM {table}"))]
            for table in tables
        }


def _die_writing(path: Path) -> None:
    """Start writing a snapshot as the real task does, then kill this worker process
    (SIGKILL: no cleanup runs), leaving a half-written temporary file behind."""
    with atomic_file(path) as temporary:
        Path(temporary).write_bytes(b"PAR1 half a file")
        os.kill(os.getpid(), signal.SIGKILL)


def killed_once(
    partition: Partition,
    as_of: dt.date,
    shared: SharedInputs,
    snapshots: Path,
    watch_threshold: float | None,
    rule: FollowUpRule,
    states: WeekStates | None = None,
    *,
    victim: str,
    marker: Path,
) -> PartitionWeek:
    """The real task, except that partition `victim` kills its worker the first time (the
    `marker` file records that it did)."""
    if partition.name == victim and not marker.exists():
        marker.touch()
        _die_writing(snapshots / f"{partition.name}.parquet")
    return score_partition(partition, as_of, shared, snapshots, watch_threshold, rule, states)


def killed_once_scored(
    partition: Partition,
    as_of: dt.date,
    shared: SharedInputs,
    snapshots: Path,
    watch_threshold: float | None,
    rule: FollowUpRule,
    states: WeekStates | None = None,
    *,
    victim: str,
    marker: Path,
) -> PartitionWeek:
    """The real task, except that partition `victim`, the first time, kills its worker once
    its week is scored and its weekly state prepared, before answering."""
    week = score_partition(partition, as_of, shared, snapshots, watch_threshold, rule, states)
    if partition.name == victim and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return week


def always_killed(
    partition: Partition,
    as_of: dt.date,
    shared: SharedInputs,
    snapshots: Path,
    watch_threshold: float | None,
    rule: FollowUpRule,
    states: WeekStates | None = None,
    *,
    victim: str,
) -> PartitionWeek:
    """The real task, except that partition `victim` kills every worker that runs it."""
    if partition.name == victim:
        _die_writing(snapshots / f"{partition.name}.parquet")
    return score_partition(partition, as_of, shared, snapshots, watch_threshold, rule, states)

"""Shared preparation of the serving benchmarks (`bench.leavers`, `bench.solutions`).

A synthetic académie of two school years generated once per size and format under a work
folder, one of its tables read back, a fresh SQLite store whose week records that
extraction, and a timer in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from sqlalchemy import update

from features.synth import FileFormat, synthesize
from serving.db import Store, open_store
from serving.db.models import WeeklyRun
from serving.lineage import extraction_sha256
from serving.weekly import EstablishmentWeek, replace_week_lists


def milliseconds(call: Callable[[], object]) -> float:
    """Wall time of one call, in milliseconds."""
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def synthetic_extraction(folder: Path, students: int, file_format: FileFormat) -> Path:
    """The académie of `students` students in `folder`, generated unless already there."""
    if not folder.exists():
        synthesize(
            folder,
            establishments=max(3, students // 600),
            students=students,
            years=2,
            seed=3,
            file_format=file_format,
        )
    return folder


def read_table(extraction: Path, name: str, file_format: str) -> pd.DataFrame:
    """One table of the extraction, as a data frame."""
    table = extraction / f"{name}.{file_format}"
    return pd.read_parquet(table) if file_format == "parquet" else pd.read_csv(table)


def store_with_week(extraction: Path, as_of: dt.date, week: EstablishmentWeek) -> Store:
    """A fresh SQLite store holding the week `as_of` of `week`, recorded from `extraction`."""
    store = open_store(f"sqlite:///{tempfile.mkdtemp(prefix='vigie-bench-')}/store.sqlite3")
    replace_week_lists(store, as_of=as_of, model_version="bench/1", establishments=[week],
                       watch_threshold=0.5)  # fmt: skip
    with store.transaction() as session:
        session.execute(update(WeeklyRun).values(
            extraction_path=str(extraction), extraction_sha256=extraction_sha256(extraction),
            features_path="-", features_sha256="0" * 64,
            contributions_path="-", contributions_sha256="0" * 64,
        ))  # fmt: skip
    return store

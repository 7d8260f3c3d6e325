"""Reading and writing feature files: the I/O edge for `FeatureSet`s.

A feature file is one Parquet file, written at once (`write_features`) or batch by batch
(`write_feature_batches`, for many as-of dates: one batch in memory at a time;
`write_feature_tables` writes the same file from Arrow batches that never went through pandas;
`write_grouped_features`, one feature set's rows ordered by a column, a row group per so many
rows).
Its column groups (keys, context, features, sensitive) are recorded in the Parquet key-value
metadata under `vigie.feature_set`, so that a file read back gives the same `FeatureSet`, and a file
from an older catalog is recognisable. Writing is atomic: the data goes to a temporary file in
the target folder, which then replaces the target in one `os.replace`; on any error the
temporary file is removed and a previous file is intact.

A run that is killed (SIGKILL, power cut) cannot remove its temporary file: the name of each
temporary file records the host and process that writes it (`.NAME.HOST-PID.RANDOM.tmp`), and
every write first removes the temporary files of the same target whose process is gone on
this host. A file of a live process (another run writing the same target) or of another host
(a shared folder) is left alone.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from features.feature_set import FeatureSet, frame_columns
from features.feature_table import feature_schema
from features.jsonio import dumps, loads

__all__ = [
    "METADATA_KEY",
    "atomic_file",
    "feature_file_schema",
    "read_features",
    "remove_stale_temporaries",
    "write_feature_batches",
    "write_feature_tables",
    "write_features",
    "write_grouped_features",
]

METADATA_KEY = b"vigie.feature_set"
_FORMAT_VERSION = 1


def write_features(feature_set: FeatureSet, path: str | Path) -> Path:
    """Write `feature_set` to the Parquet file `path` atomically and return the path."""
    path = Path(path)
    table = _with_groups(pa.Table.from_pandas(feature_set.frame, preserve_index=False), feature_set)
    with atomic_file(path) as temporary:
        pq.write_table(table, temporary)
    return path


def write_feature_batches(batches: Iterable[FeatureSet], path: str | Path) -> int:
    """Write feature sets with the same columns (e.g. `features.builder.iter_features`) one
    after the other to the Parquet file `path`, atomically, and return the number of rows.
    Each batch becomes at least one row group; the file reads back as one `FeatureSet`. With
    no batch at all, the file holds the columns and no row."""

    def tables() -> Iterator[pa.Table]:
        schema: pa.Schema | None = None
        for feature_set in batches:
            if schema is None:
                table = _with_groups(
                    pa.Table.from_pandas(feature_set.frame, preserve_index=False), feature_set
                )
                schema = table.schema
            else:
                # The first batch's schema for all: a column without any value in a later
                # batch keeps its type.
                table = pa.Table.from_pandas(feature_set.frame, schema=schema, preserve_index=False)
            yield table

    return _write_tables(tables(), Path(path))


def write_grouped_features(
    feature_set: FeatureSet, path: str | Path, *, order_by: str, group_rows: int
) -> int:
    """Write `feature_set` to the Parquet file `path` atomically, its rows in the order of
    column `order_by` (ties in the feature set's order), a row group per `group_rows` rows;
    return the number of rows. The file `write_feature_batches` writes of the frame sorted by
    `order_by` (stably) and cut every `group_rows` rows, byte for byte, sorted and cut in
    Arrow rather than in pandas."""
    if group_rows < 1:
        raise ValueError(f"group_rows must be at least 1, not {group_rows}")
    # (No row: no slice, and `_write_tables` writes the file of no batch.)
    table = _with_groups(pa.Table.from_pandas(feature_set.frame, preserve_index=False), feature_set)
    # (Arrow's sort is stable; strings compare by their UTF-8 bytes, as by code point.)
    table = table.take(pc.sort_indices(table, [(order_by, "ascending")]))
    return _write_tables(
        (table.slice(start, group_rows) for start in range(0, table.num_rows, group_rows)),
        Path(path),
    )


def write_feature_tables(tables: Iterable[pa.Table], path: str | Path) -> int:
    """As `write_feature_batches`, for Arrow tables laid out by `features.feature_table`
    (e.g. `features.builder.iter_feature_tables`): the same file, byte for byte, as the
    FeatureSets of the same rows give, without going through pandas."""
    schema = feature_file_schema()
    return _write_tables(
        (table.replace_schema_metadata(schema.metadata) for table in tables), Path(path)
    )


@cache
def feature_file_schema() -> pa.Schema:
    """The schema of a feature file of the builder's FeatureSets: `feature_schema()` with the
    column groups in its metadata."""
    return _with_groups(feature_schema().empty_table(), _empty()).schema


@cache
def _empty() -> FeatureSet:
    """A feature set without rows: the default column groups, and the file of no batch."""
    return FeatureSet.from_frame(pd.DataFrame(columns=frame_columns()))


def _write_tables(tables: Iterator[pa.Table], path: Path) -> int:
    """Write `tables` (the first one's schema, metadata included, is the file's) to `path`
    atomically, one row group at least each; return the number of rows."""
    rows = 0
    with atomic_file(path) as temporary:
        writer: pq.ParquetWriter | None = None
        try:
            for table in tables:
                if writer is None:
                    writer = pq.ParquetWriter(temporary, table.schema)
                writer.write_table(table)
                rows += table.num_rows
            if writer is None:
                empty = _empty()
                table = pa.Table.from_pandas(empty.frame, preserve_index=False)
                pq.write_table(_with_groups(table, empty), temporary)
        finally:
            if writer is not None:
                writer.close()
    return rows


def _with_groups(table: pa.Table, feature_set: FeatureSet) -> pa.Table:
    """`table` with the column groups of `feature_set` in its Parquet metadata."""
    groups = {
        "format_version": _FORMAT_VERSION,
        "key_columns": list(feature_set.key_columns),
        "context_columns": list(feature_set.context_columns),
        "feature_columns": list(feature_set.feature_columns),
        "sensitive_columns": list(feature_set.sensitive_columns),
    }
    metadata = dict(table.schema.metadata or {})
    metadata[METADATA_KEY] = dumps(groups).encode("utf-8")
    return table.replace_schema_metadata(metadata)


@contextmanager
def atomic_file(path: Path) -> Iterator[str]:
    """A temporary file beside `path` to write into, which replaces `path` when the block
    ends without error and is removed otherwise (any atomic file write of Vigie's)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.{_host()}-{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    os.close(handle)
    try:
        yield temporary
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _host() -> str:
    """This machine's name as it goes in a temporary file's name (no dot, no separator)."""
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:63] or "host"


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporary files that writes of `path` left beside it when their process
    was killed: those of this host whose process no longer runs. Returns the removed files."""
    # `tempfile.mkstemp` adds 8 characters of [a-z0-9_] between prefix and suffix.
    pattern = re.compile(
        rf"\.{re.escape(path.name)}\.{re.escape(_host())}-(?P<pid>[0-9]+)\.[a-z0-9_]+\.tmp"
    )
    removed = []
    for candidate in path.parent.iterdir():
        match = pattern.fullmatch(candidate.name)
        if match is None or psutil.pid_exists(int(match["pid"])):
            continue
        try:
            candidate.unlink()
        except FileNotFoundError:  # another run removed it first
            continue
        removed.append(candidate)
    return removed


def read_features(path: str | Path) -> FeatureSet:
    """Read a feature file written by `write_features`, with its column groups."""
    table = pq.read_table(path)
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise ValueError(f"{path} is not a Vigie feature file (no feature-set metadata)")
    groups = loads(raw)
    if groups.get("format_version") != _FORMAT_VERSION:
        raise ValueError(
            f"{path} has feature-file format {groups.get('format_version')!r}; "
            f"this version reads format {_FORMAT_VERSION}"
        )
    return FeatureSet(
        table.to_pandas(),
        key_columns=tuple(groups["key_columns"]),
        context_columns=tuple(groups["context_columns"]),
        feature_columns=tuple(groups["feature_columns"]),
        sensitive_columns=tuple(groups["sensitive_columns"]),
    )

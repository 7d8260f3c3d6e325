"""Reading and writing feature files: the I/O edge for `FeatureSet`s.

A feature file is one Parquet file. Its column groups (keys, context, features, sensitive) are
recorded in the Parquet key-value metadata under `vigie.feature_set`, so that a file read back
gives the same `FeatureSet`, and a file from an older catalog is recognisable. Writing is
atomic: the data goes to a temporary file in the target folder, which then replaces the target
in one `os.replace`; on any error the temporary file is removed and a previous file is intact.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from features.feature_set import FeatureSet

__all__ = ["METADATA_KEY", "read_features", "write_features"]

METADATA_KEY = b"vigie.feature_set"
_FORMAT_VERSION = 1


def write_features(feature_set: FeatureSet, path: str | Path) -> Path:
    """Write `feature_set` to the Parquet file `path` atomically and return the path."""
    path = Path(path)
    table = pa.Table.from_pandas(feature_set.frame, preserve_index=False)
    groups = {
        "format_version": _FORMAT_VERSION,
        "key_columns": list(feature_set.key_columns),
        "context_columns": list(feature_set.context_columns),
        "feature_columns": list(feature_set.feature_columns),
        "sensitive_columns": list(feature_set.sensitive_columns),
    }
    metadata = dict(table.schema.metadata or {})
    metadata[METADATA_KEY] = json.dumps(groups).encode("utf-8")
    table = table.replace_schema_metadata(metadata)

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        pq.write_table(table, temporary)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_features(path: str | Path) -> FeatureSet:
    """Read a feature file written by `write_features`, with its column groups."""
    table = pq.read_table(path)
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        raise ValueError(f"{path} is not a Vigie feature file (no feature-set metadata)")
    groups = json.loads(raw)
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

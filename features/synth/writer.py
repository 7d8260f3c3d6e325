"""Writing an extraction folder: the one output edge of the generator.

Tables are converted to Arrow with the contract's types (dates as dates, booleans as
true/false) and written as `<table>.csv` or `<table>.parquet` into a temporary folder beside
the destination, which is renamed into place only once every file is complete: a reader
never sees a half-written extraction. Same tables, same bytes.

Side files (synthetic only, not part of the data contract: the generator's latent risk,
`features.synth.latent_file`) go under `_synth/` in the same atomic write; readers of the
extraction look for contract table files by name and never see them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from features.contract import REQUIRED_TABLES, TABLES, Table
from features.folders import swap_folder_into_place

__all__ = ["FileFormat", "write_extraction"]

FileFormat = Literal["csv", "parquet"]
SIDE_FOLDER = "_synth"
"""The folder of synthetic-only side files inside an extraction (not contract tables)."""

_ARROW_TYPES = {
    "string": pa.string(),
    "code": pa.string(),
    "school_year": pa.string(),
    "date": pa.date32(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
}


def _arrow_table(table: Table, frame: pd.DataFrame) -> pa.Table:
    missing = [name for name in table.required_names if name not in frame.columns]
    if missing:
        raise ValueError(f"table {table.name} lacks the contract columns {missing}")
    columns, names = [], []
    for column in table.columns:
        if column.name not in frame.columns:
            continue
        array = pa.array(frame[column.name], from_pandas=True)
        columns.append(array.cast(_ARROW_TYPES[column.kind]))
        names.append(column.name)
    return pa.Table.from_arrays(columns, names=names)


def _write_csv(arrow: pa.Table, path: Path) -> None:
    """A plain header, then values unquoted unless one needs quotes (then every text value
    of the file is quoted)."""
    header = (",".join(arrow.column_names) + "\n").encode("utf-8")
    for style in ("none", "needed"):
        try:
            with path.open("wb") as handle:
                handle.write(header)
                options = pa_csv.WriteOptions(include_header=False, quoting_style=style)
                pa_csv.write_csv(arrow, handle, write_options=options)
            return
        except pa.ArrowInvalid:
            if style == "needed":
                raise


def _write_parquet(arrow: pa.Table, path: Path) -> None:
    pq.write_table(arrow, str(path), compression="zstd", row_group_size=1 << 20)


def _check_replaceable(out_dir: Path) -> None:
    """Only an earlier extraction (contract table files, and the `_synth/` folder of side
    files) may be replaced."""
    if not out_dir.is_dir():
        raise FileExistsError(f"{out_dir} exists and is not a folder")
    allowed = {f"{name}.{ext}" for name in TABLES for ext in ("csv", "parquet")}
    foreign = sorted(
        path.name
        for path in out_dir.iterdir()
        if path.name not in allowed and not (path.name == SIDE_FOLDER and path.is_dir())
    )
    if foreign:
        raise FileExistsError(
            f"{out_dir} exists and holds files that are not extraction tables "
            f"({', '.join(foreign[:5])}); choose another folder or empty it"
        )


def write_extraction(
    tables: Mapping[str, pd.DataFrame],
    out_dir: str | Path,
    file_format: FileFormat = "parquet",
    side_files: Mapping[PurePosixPath | str, pa.Table] | None = None,
) -> Path:
    """Write the contract tables (every required one, and the optional ones given) into
    `out_dir`, atomically; returns the folder.

    `side_files` maps paths under `_synth/` (relative to the folder, `.parquet`) to Arrow
    tables written in the same atomic swap. An existing `out_dir` is replaced only if it holds
    nothing but extraction tables (and a `_synth/` folder).
    """
    if file_format not in ("csv", "parquet"):
        raise ValueError(f"file_format must be 'csv' or 'parquet', not {file_format!r}")
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise ValueError(f"tables missing from the extraction: {missing}")
    out_dir = Path(out_dir).resolve()
    if out_dir.exists():
        _check_replaceable(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        for name, table in TABLES.items():
            if name not in tables:  # an optional table not written (`interviews`)
                continue
            arrow = _arrow_table(table, tables[name])
            path = staging / f"{name}.{file_format}"
            (_write_csv if file_format == "csv" else _write_parquet)(arrow, path)
        for relative, arrow in (side_files or {}).items():
            path = staging / _side_path(relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(path.parent, 0o755)
            _write_parquet(arrow, path)
        os.chmod(staging, 0o755)
        swap_folder_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _side_path(relative: PurePosixPath | str) -> Path:
    path = PurePosixPath(relative)
    if path.parts[:1] != (SIDE_FOLDER,) or ".." in path.parts or path.suffix != ".parquet":
        raise ValueError(f"a side file goes under {SIDE_FOLDER}/ as .parquet, not {relative}")
    return Path(*path.parts)

"""The layout of an extraction partitioned by académie, and of the datasets built from it.

A partitioned folder holds one hive-style folder per académie, `academie=NAME/`, each a
normal extraction (the contract's table files, see `features.extraction`), so that one
académie is read, validated and built alone, on any worker. The single-folder layout (the
table files directly in the folder) stays valid: it is one partition without a name. Entries
whose name starts with `_` or `.` are ignored, as hive-style readers do (`_synth/`, temporary
folders); anything else beside the partitions is refused, so that a misspelt folder is not
silently left out. A partition's name is letters (accents included), digits, `-` and `_`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from features.contract import TABLES

__all__ = [
    "PARTITION_KEY",
    "Partition",
    "PartitionError",
    "find_partitions",
    "partition_folder",
    "require_replaceable",
]

PARTITION_KEY = "academie"
_NAME = re.compile(r"[^\W_][\w\-]*")


class PartitionError(ValueError):
    """A partition that cannot be used: `partition` names it (None for a single-folder
    extraction), the message says why (with the table, row and column when a rule is broken).
    Pickled by its arguments, so that a Dask worker's error reaches the client whole."""

    def __init__(self, partition: str | None, message: str):
        self.partition = partition
        self.message = message
        where = "extraction" if partition is None else f"partition {PARTITION_KEY}={partition}"
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type[PartitionError], tuple[str | None, str]]:
        return (type(self), (self.partition, self.message))


@dataclass(frozen=True)
class Partition:
    """One académie's extraction: its `name` (None for a single-folder extraction) and
    folder."""

    name: str | None
    path: Path

    @property
    def label(self) -> str:
        """How messages name it: `academie=NAME`, or the folder of a single extraction."""
        return str(self.path) if self.name is None else partition_folder(self.name)


def partition_folder(name: str) -> str:
    """The folder name of the partition `name`, `academie=NAME`; ValueError for a name that
    cannot be one."""
    if _NAME.fullmatch(name) is None:
        raise ValueError(
            f"{name!r} cannot name a partition: letters, digits, '-' and '_', starting with a "
            "letter or digit"
        )
    return f"{PARTITION_KEY}={name}"


def _is_table_file(path: Path) -> bool:
    return path.is_file() and path.suffix in (".csv", ".parquet") and path.stem in TABLES


def find_partitions(data: str | Path) -> list[Partition]:
    """The partitions of the extraction folder `data`, by name: its `academie=NAME/` folders,
    or the folder itself when it holds the tables. ValueError when the folder is missing,
    mixes both layouts, holds an entry that is neither, or names a partition wrongly."""
    root = Path(data)
    if not root.is_dir():
        raise FileNotFoundError(f"extraction folder {root} does not exist")
    entries = sorted(entry for entry in root.iterdir() if not entry.name.startswith(("_", ".")))
    prefix = f"{PARTITION_KEY}="
    folders = [entry for entry in entries if entry.name.startswith(prefix)]
    if not folders:
        return [Partition(None, root)]
    others = [entry.name for entry in entries if entry not in folders]
    if others:
        tables = [name for name in others if _is_table_file(root / name)]
        what = "table files beside the partitions" if tables else "entries that are not partitions"
        raise ValueError(
            f"{root} mixes {prefix}NAME/ folders with {what} ({', '.join(others[:5])}): "
            "an extraction is either one folder of tables or one folder per académie"
        )
    partitions = []
    for folder in folders:
        name = folder.name[len(prefix) :]
        if not folder.is_dir():
            raise ValueError(f"{folder} is not a folder: a partition is a folder of tables")
        try:
            partition_folder(name)
        except ValueError as error:
            raise ValueError(f"{folder}: {error}") from None
        partitions.append(Partition(name, folder))
    return partitions


def require_replaceable(out: Path) -> None:
    """FileExistsError unless `out` is absent or a folder of partitions only (a previous
    partitioned output, which a new one may replace)."""
    if not out.exists():
        return
    foreign = (
        []
        if not out.is_dir()
        else [
            entry.name
            for entry in sorted(out.iterdir())
            if not (entry.is_dir() and entry.name.startswith(f"{PARTITION_KEY}="))
        ]
    )
    if not out.is_dir() or foreign:
        held = f" (it holds {', '.join(foreign[:5])})" if foreign else ""
        raise FileExistsError(
            f"{out} exists and is not a folder of {PARTITION_KEY}=NAME/ partitions{held}; "
            "choose another folder or empty it"
        )

"""The partitioned layout: academie=NAME/ folders, or one folder of tables."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from features.partitions import (
    Partition,
    PartitionError,
    find_partitions,
    partition_folder,
    require_replaceable,
)


def _table(folder: Path, name: str = "students.parquet") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"")


def test_a_folder_of_tables_is_one_unnamed_partition(tmp_path: Path) -> None:
    _table(tmp_path)
    assert find_partitions(tmp_path) == [Partition(None, tmp_path)]
    assert find_partitions(tmp_path)[0].label == str(tmp_path)


def test_partitions_are_the_academie_folders_by_name_hidden_entries_ignored(
    tmp_path: Path,
) -> None:
    for name in ("Rennes", "Aix-Marseille", "Orléans-Tours"):
        _table(tmp_path / f"academie={name}")
    (tmp_path / "_synth").mkdir()
    (tmp_path / ".extraction.abc.tmp").mkdir()
    (tmp_path / "_SUCCESS").write_text("")

    partitions = find_partitions(tmp_path)

    assert [partition.name for partition in partitions] == [
        "Aix-Marseille",
        "Orléans-Tours",
        "Rennes",
    ]
    assert partitions[2] == Partition("Rennes", tmp_path / "academie=Rennes")
    assert partitions[2].label == "academie=Rennes"


def test_table_files_beside_partitions_are_refused(tmp_path: Path) -> None:
    _table(tmp_path / "academie=Rennes")
    _table(tmp_path)
    with pytest.raises(
        ValueError, match=r"mixes academie=NAME/ folders with table files .*students\.parquet"
    ):
        find_partitions(tmp_path)


def test_a_misspelt_folder_beside_partitions_is_refused_not_left_out(tmp_path: Path) -> None:
    _table(tmp_path / "academie=Rennes")
    _table(tmp_path / "academy=Nantes")
    with pytest.raises(ValueError, match=r"entries that are not partitions \(academy=Nantes\)"):
        find_partitions(tmp_path)


@pytest.mark.parametrize("name", ["", "-Rennes", "Ren nes", "Rennes/x", "_hidden"])
def test_a_partition_name_is_letters_digits_and_dashes(name: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot name a partition"):
        partition_folder(name)
    if "/" not in name:
        _table(tmp_path / f"academie={name}")
        with pytest.raises(ValueError, match=f"academie={name}: .*cannot name a partition"):
            find_partitions(tmp_path)


def test_a_partition_that_is_a_file_and_a_missing_folder_are_refused(tmp_path: Path) -> None:
    (tmp_path / "academie=Rennes").write_text("")
    with pytest.raises(ValueError, match="is not a folder: a partition is a folder of tables"):
        find_partitions(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        find_partitions(tmp_path / "nowhere")


def test_a_partition_error_names_the_partition_and_survives_pickling() -> None:
    error = PartitionError("Rennes", "table students (row 3, column sex): unknown code")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is PartitionError and isinstance(copy, ValueError)
    assert (copy.partition, copy.message) == ("Rennes", error.message)
    assert (
        str(copy) == "partition academie=Rennes: table students (row 3, column sex): unknown code"
    )
    assert str(PartitionError(None, "broken")) == "extraction: broken"


def test_only_a_folder_of_partitions_may_be_replaced(tmp_path: Path) -> None:
    require_replaceable(tmp_path / "absent")
    (tmp_path / "previous" / "academie=Rennes").mkdir(parents=True)
    require_replaceable(tmp_path / "previous")
    (tmp_path / "file.parquet").write_bytes(b"")
    with pytest.raises(FileExistsError, match="is not a folder of academie=NAME/ partitions"):
        require_replaceable(tmp_path / "file.parquet")
    (tmp_path / "previous" / "README").write_text("")
    with pytest.raises(FileExistsError, match=r"it holds README"):
        require_replaceable(tmp_path / "previous")

"""Features of an extraction partitioned by académie, built one partition per task on a
two-worker local cluster: the same bytes as the single-machine job on each académie, and no
partial dataset when a partition fails or its worker dies."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from distributed import Client, KilledWorker

from features.partitioned_features import (
    FEATURE_FILE,
    build_partition_file,
    build_partitioned_features,
    read_partition_features,
)
from features.partitions import PartitionError, find_partitions
from features.pipeline import stream_feature_file
from features.store import read_features
from tests.cluster.conftest import AS_OF_DATES
from tests.cluster.faulty_tasks import always_killed, killed_once

NAMES = ["Nantes", "Rennes"]


def _dataset_files(dataset: Path) -> list[str]:
    """Every file and folder under `dataset`, hidden ones included, relative to it."""
    return sorted(path.relative_to(dataset).as_posix() for path in dataset.rglob("*"))


def _complete(dataset: Path) -> list[str]:
    return sorted(
        [f"academie={name}" for name in NAMES]
        + [f"academie={name}/{FEATURE_FILE}" for name in NAMES]
    )


@pytest.fixture(scope="module")
def single_machine(academies: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each académie's features by the single-machine job (`vigie features` on its folder)."""
    out = tmp_path_factory.mktemp("single")
    files = {}
    for partition in find_partitions(academies):
        assert partition.name is not None
        files[partition.name] = out / f"{partition.name}.parquet"
        stream_feature_file(partition.path, AS_OF_DATES, files[partition.name])
    return files


def test_the_cluster_writes_the_single_machine_bytes_of_every_partition(
    academies: Path, cluster: Client, single_machine: dict[str, Path], tmp_path: Path
) -> None:
    dataset = tmp_path / "features"
    written = build_partitioned_features(academies, AS_OF_DATES, dataset, client=cluster)

    assert [partition.name for partition in written.partitions] == NAMES
    assert _dataset_files(dataset) == _complete(dataset)
    for name in NAMES:
        assert (dataset / f"academie={name}" / FEATURE_FILE).read_bytes() == (
            single_machine[name].read_bytes()
        )
        on_cluster = read_partition_features(dataset, name)
        alone = read_features(single_machine[name])
        pd.testing.assert_frame_equal(on_cluster.frame, alone.frame, check_exact=True)
        assert on_cluster.feature_columns == alone.feature_columns
    rows = {partition.name: partition.rows for partition in written.partitions}
    assert rows == {name: pq.read_metadata(single_machine[name]).num_rows for name in NAMES}
    assert min(rows.values()) > 0
    # Both académies' students, never one in the other's file.
    ids = {name: set(read_partition_features(dataset, name).frame["student_id"]) for name in NAMES}
    assert ids["Nantes"].isdisjoint(ids["Rennes"])


def test_without_a_cluster_the_partitions_are_built_here_alike(
    academies: Path, single_machine: dict[str, Path], tmp_path: Path
) -> None:
    done: list[int] = []
    dataset = tmp_path / "features"
    build_partitioned_features(academies, AS_OF_DATES, dataset, progress=done.append)
    assert done == [1, 1]
    for name in NAMES:
        assert (dataset / f"academie={name}" / FEATURE_FILE).read_bytes() == (
            single_machine[name].read_bytes()
        )


def _with_a_broken_partition(academies: Path, tmp_path: Path) -> Path:
    """A copy of `academies` whose Nantes students table has an unknown sex code in row 3."""
    broken = tmp_path / "broken"
    shutil.copytree(academies, broken)
    table = broken / "academie=Nantes" / "students.parquet"
    frame = pd.read_parquet(table)
    frame.loc[2, "sex"] = "X"
    frame.to_parquet(table, index=False)
    return broken


def test_an_invalid_partition_fails_the_job_naming_it_and_leaves_the_previous_dataset(
    academies: Path, cluster: Client, tmp_path: Path
) -> None:
    dataset = tmp_path / "features"
    build_partitioned_features(academies, AS_OF_DATES, dataset, client=cluster)
    before = {path: path.read_bytes() for path in dataset.rglob("*.parquet")}
    broken = _with_a_broken_partition(academies, tmp_path)

    with pytest.raises(PartitionError) as raised:
        build_partitioned_features(broken, AS_OF_DATES[:1], dataset, client=cluster)

    assert raised.value.partition == "Nantes"
    message = str(raised.value)
    assert message.startswith("partition academie=Nantes: ")
    assert "students.sex" in message and "'X'" in message
    assert {path: path.read_bytes() for path in dataset.rglob("*.parquet")} == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["broken", "features"]


def test_a_worker_killed_mid_write_has_its_partition_built_again(
    academies: Path, fault_cluster: Client, single_machine: dict[str, Path], tmp_path: Path
) -> None:
    marker = tmp_path / "killed"
    task = functools.partial(killed_once, victim="Nantes", marker=marker)
    dataset = tmp_path / "features"

    build_partitioned_features(academies, AS_OF_DATES, dataset, client=fault_cluster, task=task)

    assert marker.exists()  # a worker did die
    # The dead worker's half-written temporary file is gone, the partition whole.
    assert _dataset_files(dataset) == _complete(dataset)
    for name in NAMES:
        assert (dataset / f"academie={name}" / FEATURE_FILE).read_bytes() == (
            single_machine[name].read_bytes()
        )


def test_a_partition_that_kills_every_worker_fails_the_job_without_a_dataset(
    academies: Path, fault_cluster: Client, tmp_path: Path
) -> None:
    task = functools.partial(always_killed, victim="Rennes")
    dataset = tmp_path / "features"

    with pytest.raises(KilledWorker):
        build_partitioned_features(academies, AS_OF_DATES, dataset, client=fault_cluster, task=task)

    assert list(tmp_path.iterdir()) == []  # no dataset, no temporary folder
    # The cluster still works: its workers were restarted.
    assert fault_cluster.submit(sum, [1, 2]).result() == 3


def test_a_single_folder_extraction_is_not_a_partitioned_one(
    academies: Path, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="single extraction, not one partitioned by académie"):
        build_partitioned_features(academies / "academie=Rennes", AS_OF_DATES, tmp_path / "f")
    unnamed = find_partitions(academies / "academie=Rennes")[0]
    with pytest.raises(ValueError, match="needs named partitions"):
        build_partition_file(unnamed, AS_OF_DATES, tmp_path)


def test_only_a_previous_dataset_is_replaced(academies: Path, tmp_path: Path) -> None:
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match=r"holds notes\.txt"):
        build_partitioned_features(academies, AS_OF_DATES, occupied)
    assert (occupied / "notes.txt").read_text() == "keep me"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["occupied"]


def test_vigie_features_names_the_invalid_partition_its_table_row_and_column(
    academies: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from vigie.cli import app

    broken = _with_a_broken_partition(academies, tmp_path)
    result = CliRunner().invoke(
        app,
        ["features", "--data", str(broken), "--as-of", "2026-10-05",
         "--out", str(tmp_path / "features"), "-q"],
    )  # fmt: skip
    assert result.exit_code == 1
    said = " ".join(result.output.split())
    assert "partition academie=Nantes: extraction" in said
    assert "students row 3, sex: 'X' is not one of: F, M" in said
    assert sorted(path.name for path in tmp_path.iterdir()) == ["broken"]


def test_vigie_validate_reports_each_partition_under_its_name(
    academies: Path, tmp_path: Path
) -> None:
    import json

    from typer.testing import CliRunner

    from vigie.cli import app

    runner = CliRunner()
    valid = runner.invoke(app, ["validate", str(academies), "--json", "-q"])
    assert valid.exit_code == 0, valid.output
    assert {
        name: report["ok"] for name, report in json.loads(valid.output)["partitions"].items()
    } == {
        "Nantes": True,
        "Rennes": True,
    }
    broken = _with_a_broken_partition(academies, tmp_path)
    invalid = runner.invoke(app, ["validate", str(broken), "--json", "-q"])
    assert invalid.exit_code == 1
    reports = json.loads(invalid.output)["partitions"]
    assert reports["Rennes"]["ok"] is True and reports["Nantes"]["ok"] is False
    (violation,) = reports["Nantes"]["violations"]
    assert (violation["table"], violation["row"], violation["column"], violation["value"]) == (
        "students",
        3,
        "sex",
        "X",
    )
    shown = runner.invoke(app, ["validate", str(broken), "-q", "--lang", "en"])
    assert shown.exit_code == 1
    assert shown.output.index("academie=Nantes") < shown.output.index("academie=Rennes")

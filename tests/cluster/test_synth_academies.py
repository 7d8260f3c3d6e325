"""`vigie synth --academies N`: académies side by side, written one at a time, deterministic
by the base seed, with nothing shared between them (ids, establishment codes)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
from distributed import Client
from typer.testing import CliRunner

from features.synth import generator
from features.synth.academies import ACADEMIES, academy_seed, synthesize_academies
from features.validation import validate_extraction
from tests.cluster.conftest import SIZES
from vigie.cli import app


def _digests(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*.parquet"))
    }


def test_each_academie_is_a_valid_partition_of_its_own(academies: Path) -> None:
    assert sorted(path.name for path in academies.iterdir()) == [
        "academie=Nantes",
        "academie=Rennes",
    ]
    tables: dict[str, dict[str, pd.DataFrame]] = {}
    for name in ("Rennes", "Nantes"):
        folder = academies / f"academie={name}"
        assert validate_extraction(folder).ok
        tables[name] = {
            table: pd.read_parquet(folder / f"{table}.parquet")
            for table in ("establishments", "students")
        }
        establishments = tables[name]["establishments"]
        assert set(establishments["academie"]) == {name}
        departments = {uai[1:3] for uai in establishments["uai"]}
        assert departments <= set(ACADEMIES[name])
    rennes, nantes = tables["Rennes"], tables["Nantes"]
    assert set(rennes["students"]["student_id"]).isdisjoint(nantes["students"]["student_id"])
    assert set(rennes["establishments"]["uai"]).isdisjoint(nantes["establishments"]["uai"])
    assert rennes["students"]["student_id"].str.startswith("S01").all()
    assert nantes["students"]["student_id"].str.startswith("S02").all()


def test_same_base_seed_same_files_and_a_seed_per_academie(academies: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    synthesize_academies(again, 2, seed=3, **SIZES)  # type: ignore[arg-type]
    assert _digests(again) == _digests(academies)
    assert academy_seed(3, "Rennes") != academy_seed(3, "Nantes")
    assert academy_seed(3, "Rennes") == academy_seed(3, "Rennes") != academy_seed(4, "Rennes")


def test_a_failure_in_a_later_academie_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = generator.synthesize
    written: list[str] = []

    def second_fails(out_dir: Path, **options: object) -> generator.SynthSummary:
        if written:
            raise RuntimeError("disk full")
        written.append(str(out_dir))
        return real(out_dir, **options)  # type: ignore[arg-type]

    monkeypatch.setattr("features.synth.academies.synthesize", second_fails)
    with pytest.raises(RuntimeError, match="disk full"):
        synthesize_academies(tmp_path / "out", 2, seed=3, **SIZES)  # type: ignore[arg-type]
    assert written  # the first académie was written, then thrown away with the rest
    assert list(tmp_path.iterdir()) == []


def test_the_count_is_bounded_and_a_foreign_folder_kept(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=f"--academies must be 1 to {len(ACADEMIES)}, not 0"):
        synthesize_academies(tmp_path / "out", 0)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(FileExistsError, match="not a folder of academie=NAME/ partitions"):
        synthesize_academies(tmp_path / "mine", 1, **SIZES)  # type: ignore[arg-type]
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


def test_vigie_synth_academies(academies: Path, tmp_path: Path) -> None:
    out = tmp_path / "extraction"
    options = [f"--{key.replace('_', '-')}={value}" for key, value in SIZES.items()]
    result = CliRunner().invoke(
        app, ["synth", "--out", str(out), "--academies", "2", "--seed", "3", *options, "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "Wrote academie=Rennes to" in result.output
    assert "Wrote academie=Nantes to" in result.output
    assert _digests(out) == _digests(academies)
    refused = CliRunner().invoke(app, ["synth", "--out", str(out), "--academies", "0"])
    assert refused.exit_code == 2


def test_on_the_cluster_each_worker_writes_an_academie_and_the_files_are_the_same(
    academies: Path, cluster: Client, tmp_path: Path
) -> None:
    out = tmp_path / "extraction"
    summaries = synthesize_academies(out, 2, seed=3, client=cluster, **SIZES)  # type: ignore[arg-type]
    assert [summary.out_dir for summary in summaries] == [
        out / "academie=Rennes",
        out / "academie=Nantes",
    ]
    assert _digests(out) == _digests(academies)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["extraction"]


def test_vigie_synth_cluster_needs_academies(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["synth", "--out", str(tmp_path / "x"), "--cluster", "local:2", "-q"]
    )
    assert result.exit_code == 2
    assert "give --academies N" in " ".join(re.sub("[│╭╮╰╯─]", " ", result.output).split())
    assert list(tmp_path.iterdir()) == []

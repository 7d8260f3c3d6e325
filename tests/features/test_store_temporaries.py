"""Temporary files of feature-file writes (issue 11): a killed `vigie features` leaves its
hidden temporary file beside the output; the next write of that output removes it, and only
files whose writing process is gone, so that two runs never delete each other's file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from features.feature_set import FeatureSet, frame_columns
from features.store import (
    _host,
    read_features,
    remove_stale_temporaries,
    write_feature_batches,
    write_features,
)


def empty_set() -> FeatureSet:
    return FeatureSet.from_frame(pd.DataFrame(columns=frame_columns()))


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def finished_pid() -> int:
    """The PID of a process that has ended (and been reaped): no process has it now."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    """The PID of another process, running for the test's duration."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        yield child.pid
    finally:
        child.kill()
        child.wait()


def test_a_killed_write_leaves_a_temporary_file_that_the_next_write_removes(
    tmp_path: Path,
) -> None:
    out = tmp_path / "features.parquet"
    # A run killed (SIGKILL: no `finally`, no `except`) in the middle of a streamed write.
    script = textwrap.dedent(
        """
        import os, signal, sys
        import pandas as pd
        from features.feature_set import FeatureSet, frame_columns
        from features.store import write_feature_batches

        def batches():
            yield FeatureSet.from_frame(pd.DataFrame(columns=frame_columns()))
            os.kill(os.getpid(), signal.SIGKILL)
            yield FeatureSet.from_frame(pd.DataFrame(columns=frame_columns()))

        write_feature_batches(batches(), sys.argv[1])
        """
    )
    killed = subprocess.Popen([sys.executable, "-c", script, str(out)])
    assert killed.wait(timeout=120) == -9
    [left] = temporaries(tmp_path)
    assert left.startswith(f".features.parquet.{_host()}-{killed.pid}.")
    assert not out.exists()

    write_features(empty_set(), out)
    assert temporaries(tmp_path) == []
    assert len(read_features(out)) == 0


def test_only_temporaries_of_ended_processes_of_this_host_are_removed(
    tmp_path: Path, live_pid: int
) -> None:
    host = _host()
    dead = finished_pid()
    stale = tmp_path / f".features.parquet.{host}-{dead}.k2j4_x9a.tmp"
    live = tmp_path / f".features.parquet.{host}-{live_pid}.ab12cd34.tmp"
    mine = tmp_path / f".features.parquet.{host}-{os.getpid()}.zz99yy88.tmp"
    elsewhere = tmp_path / f".features.parquet.other-host-{dead}.ab12cd34.tmp"
    other_target = tmp_path / f".labels.parquet.{host}-{dead}.ab12cd34.tmp"
    not_ours = tmp_path / f"features.parquet.{host}-{dead}.ab12cd34.tmp"  # not hidden
    for file in (stale, live, mine, elsewhere, other_target, not_ours):
        file.write_bytes(b"PAR1 half a file")

    assert write_feature_batches(iter([empty_set()]), tmp_path / "features.parquet") == 0

    assert not stale.exists()
    for kept in (live, mine, elsewhere, other_target, not_ours):
        assert kept.exists(), kept.name
    assert remove_stale_temporaries(tmp_path / "labels.parquet") == [other_target]


def test_a_failed_write_leaves_neither_output_nor_temporary(tmp_path: Path) -> None:
    out = tmp_path / "features.parquet"

    def batches() -> Iterator[FeatureSet]:
        yield empty_set()
        raise KeyboardInterrupt  # e.g. Ctrl-C in the middle of the stream

    with pytest.raises(KeyboardInterrupt):
        write_feature_batches(batches(), out)
    assert list(tmp_path.iterdir()) == []


def test_a_concurrent_write_of_the_same_file_keeps_the_other_runs_temporary(
    tmp_path: Path,
) -> None:
    """Two writes of one target in one process (the other run's file belongs to a live PID):
    the second write does not remove the first one's temporary file under its feet."""
    out = tmp_path / "features.parquet"
    seen: list[list[str]] = []

    def batches() -> Iterator[FeatureSet]:
        yield empty_set()
        [first] = temporaries(tmp_path)
        write_features(empty_set(), out)  # the other run, while this one writes
        seen.append(temporaries(tmp_path))
        assert (tmp_path / first).exists()
        yield empty_set()

    assert write_feature_batches(batches(), out) == 0
    assert len(seen[0]) == 1
    assert temporaries(tmp_path) == []

"""Folders written whole: what a killed process leaves beside the target is removed by the
next write of the same target, and only that."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from features.folders import remove_abandoned_folders, staged_folder


def _killed_mid_write(target: Path) -> Path:
    """A process that starts writing `target` and is killed with SIGKILL: its folder."""
    code = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from features.folders import staged_folder
        with staged_folder(Path({str(target)!r})) as staging:
            (staging / "part.parquet").write_bytes(b"half")
            print(staging, flush=True)
            time.sleep(60)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    with process.stdout:
        staging = Path(process.stdout.readline().strip())
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert staging.is_dir()  # nothing could remove it
    return staging


def test_the_next_write_removes_what_a_killed_process_left(tmp_path: Path) -> None:
    target = tmp_path / "dataset"
    abandoned = _killed_mid_write(target)
    assert abandoned.name.startswith(f".dataset.{socket.gethostname()}~")
    with staged_folder(target) as staging:
        (staging / "part.parquet").write_bytes(b"whole")
    assert not abandoned.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset"]
    assert (target / "part.parquet").read_bytes() == b"whole"


def test_folders_of_live_processes_other_machines_or_other_targets_are_left(
    tmp_path: Path,
) -> None:
    target = tmp_path / "dataset"
    host = socket.gethostname()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        kept = [
            tmp_path / f".dataset.{host}~{sleeper.pid}~abc.tmp",  # a live process
            tmp_path / f".dataset.{host}~{os.getpid()}~abc.tmp",  # this process
            tmp_path / ".dataset.other-host.example~1~abc.tmp",  # another machine
            tmp_path / ".dataset.abc.tmp",  # no owner named (an earlier version's)
            tmp_path / f".features.{host}~999999999~abc.tmp",  # another target
        ]
        for folder in kept:
            folder.mkdir()
        assert remove_abandoned_folders(target) == []
        assert all(folder.is_dir() for folder in kept)
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_failed_write_removes_its_own_folder_and_keeps_the_previous_target(
    tmp_path: Path,
) -> None:
    target = tmp_path / "dataset"
    target.mkdir()
    (target / "old.parquet").write_bytes(b"old")
    with pytest.raises(RuntimeError), staged_folder(target) as staging:
        (staging / "new.parquet").write_bytes(b"new")
        raise RuntimeError("a partition failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dataset"]
    assert (target / "old.parquet").read_bytes() == b"old"

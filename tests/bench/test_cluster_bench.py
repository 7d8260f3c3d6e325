"""The cluster benchmark's measurements: a process tree's peaks, and the sizing arithmetic."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from bench.cluster import FRANCE_ACADEMIES, FRANCE_STUDENTS, Run, TreeSampler, _sizing


def test_the_sampler_sees_a_child_process_and_its_peak() -> None:
    # A parent that starts a child holding about 200 MB for a moment.
    code = (
        "import subprocess, sys; subprocess.run([sys.executable, '-c', "
        '"import time; b = bytearray(200 * 2**20); time.sleep(1.5)"], check=True)'
    )
    process = subprocess.Popen([sys.executable, "-c", code])
    sampler = TreeSampler(process.pid, interval=0.05)
    sampler.start()
    process.wait()
    time.sleep(0.1)
    sampler.stop()
    peaks = sorted(sampler.peaks.values(), reverse=True)
    assert len(peaks) >= 2  # the parent and its child
    assert 190 <= peaks[0] <= 400  # the child's 200 MB, plus the interpreter


def test_sizing_scales_the_measured_costs_to_france() -> None:
    students = 100_000  # per académie, 2 académies
    runs = [
        Run("features", "single machine", 100.0, 180.0, 900.0, academies=2),
        Run("features", "local:1", 120.0, 190.0, 150.0, [1000.0], academies=2),
        Run("features", "local:2", 70.0, 200.0, 150.0, [1100.0, 1000.0], academies=2),
    ]
    rows = {row["workers"]: row for row in _sizing(runs, students)}
    per_academie = FRANCE_STUDENTS / FRANCE_ACADEMIES
    # CPU: 180 s for 200,000 students, scaled to France.
    assert rows[1]["cpu_hours"] == pytest.approx(180 / 200_000 * FRANCE_STUDENTS / 3600)
    # Wall: one partition takes 120 / 2 s per 100,000 students on one worker; 30 waves of one
    # partition on 1 worker, 1 wave on 30 workers.
    partition_minutes = 60 * per_academie / students / 60
    assert rows[1]["wall_minutes"] == pytest.approx(30 * partition_minutes)
    assert rows[4]["wall_minutes"] == pytest.approx(8 * partition_minutes)
    assert rows[30]["wall_minutes"] == pytest.approx(partition_minutes)
    # Memory: the largest worker's peak, for a partition of the average académie's size.
    assert rows[8]["worker_gb"] == pytest.approx(1100 * per_academie / students / 1024)


def test_sizing_leaves_training_out_a_collective_fit_is_not_a_partition_per_worker() -> None:
    runs = [
        Run("features", "single machine", 100.0, 180.0, 900.0, academies=2),
        Run("train", "single machine", 300.0, 400.0, 4000.0, academies=2),
        Run("train", "local:2", 250.0, 450.0, 300.0, [2000.0, 1900.0], academies=2),
    ]
    assert {row["job"] for row in _sizing(runs, 100_000)} == {"features"}

"""The cluster path against the single-machine path, side by side in one run (issue 17).

`python -m bench.cluster [--academies 4] [--students 300000] [--workers 1 2] [--as-of DATE ...]
[--train-as-of DATE ...] [--jobs synth features score train]`
writes an extraction of several académies (`vigie synth --academies N`), then runs each job as
a user types it, once on this process's single-machine path and once per `--cluster local:W`,
interleaved, in a fresh `vigie` process each:

- `synth`: the académies written one after the other, or one task per académie (the files'
  bytes are compared across paths);
- `features`: the features of the as-of dates, one partition per task
  (`FOLDER/academie=NAME/features.parquet`; the files' bytes are compared across paths).
- `score`: `vigie score` of the week of the first as-of date on a store holding the week
  before (written, with the académies' weekly states, by a run not measured, then copied for
  each measured run): `score-full` validates and aggregates every event again (`--full`),
  `score-incremental` only the new week's events from each académie's state; the académies
  as extracted on each Monday (their events dated before it), the model of `bench.weekly`
  (trained once on a small académie and registered under `--work/model`); the week's list
  entries are compared across paths.
- `train`: `vigie train --cv kfold:2x1` on the labelled school year (2025-2026) at the
  `--train-as-of` dates, in a fresh home (its own MLflow store) each: on the single-machine
  path the académies' snapshots are read into one frame and trained by LightGBM in the
  process, on a cluster trained by `lightgbm.dask` on the workers; the replay metrics of the
  baselines that do not depend on the fit (rules, recent absences, hand-weighted, level
  prior, ceiling) are compared across paths (the logistic baseline is left out: beyond
  `logistic.cluster_rows` training rows the cluster fits it on a sample of students).

Each run reports its wall time, its CPU time (the process and every process it waited for:
the local cluster's workers), the client's peak RSS and each worker's peak RSS (the process
tree sampled every 0.2 s with psutil). From the measured costs it prints a sizing table for
France (5.657 million second-degree students at rentrée 2023, DEPP NI 23.51, in 30 académies),
assuming each académie costs what its share of students costs here (linear in students, as the
per-student figures of 1 and 4 académies show) and one partition per worker at a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

FRANCE_STUDENTS = 5_657_000  # second-degree students, rentrée 2023 (shared/FACTS.md)
FRANCE_ACADEMIES = 30
DEFAULT_AS_OF = ["2026-05-04"]  # a Monday of the extraction's school year (2025-2026)
# The `train` job: Mondays of the labelled school year (2025-2026), one a term and one in May.
TRAIN_AS_OF = ["2025-11-03", "2026-01-05", "2026-03-02", "2026-05-04"]
TRAIN_CONFIG = (
    "n_boot: 100\ncalibration_folds: 2\nexperiment_name: bench-cluster\n"
    "registered_model_name: bench-cluster\nlightgbm:\n  num_boost_round: 100\n"
)
# The baselines that do not depend on a fit: the same replay on every path.
FIT_FREE = ("rule_absenteeism", "rule_abc", "absences_2w", "absences_4w", "hand_weighted",
            "level_prior", "ceiling_latent")  # fmt: skip
VIGIE = [str(Path(sys.executable).parent / "vigie")]


@dataclass
class Run:
    job: str
    path: str  # "single machine" or "local:W"
    seconds: float
    cpu_seconds: float
    client_peak_mb: float
    worker_peaks_mb: list[float] = field(default_factory=list)
    digest: str = ""
    academies: int = 1


_ENTRIES = (
    "SELECT l.uai, e.student_id, e.rank, e.tier, e.risk, e.reasons FROM list_entries e "
    "JOIN weekly_lists l ON e.list_id = l.id WHERE l.as_of = ? ORDER BY l.uai, e.rank"
)


class TreeSampler(threading.Thread):
    """Peak RSS of a process and of each of its descendants, sampled until stopped."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peaks: dict[int, float] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._halt.is_set():
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for process in processes:
                try:
                    rss = process.memory_info().rss / 2**20
                except psutil.Error:
                    continue
                self.peaks[process.pid] = max(self.peaks.get(process.pid, 0.0), rss)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _run(
    job: str,
    path: str,
    argv: list[str],
    digest_of: Path | Callable[[], str] | None,
    academies: int,
    env: dict[str, str] | None = None,
) -> Run:
    """`vigie ARGV` in a fresh process: wall, CPU (with the waited-for children), peaks."""
    start = time.perf_counter()
    process = subprocess.Popen([*VIGIE, *argv], stdout=subprocess.DEVNULL, env=env)
    sampler = TreeSampler(process.pid)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    sampler.stop()
    if process.returncode != 0:
        raise SystemExit(f"{job} on {path} failed (exit {process.returncode}): vigie {argv}")
    client = sampler.peaks.pop(process.pid, 0.0)
    # A local cluster's workers are the client's children that hold data (the resource
    # tracker and similar helpers stay under 60 MB).
    workers = sorted((peak for peak in sampler.peaks.values() if peak > 60), reverse=True)
    return Run(
        job=job,
        path=path,
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        client_peak_mb=client,
        worker_peaks_mb=workers if path != "single machine" else [],
        digest=(digest_of() if callable(digest_of) else _digest(digest_of)) if digest_of else "",
        academies=academies,
    )


def _digest(folder: Path) -> str:
    """SHA-256 over the files of a folder, in path order (hidden entries left out)."""
    sha = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        sha.update(str(path.relative_to(folder)).encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()[:12]


def _lists_digest(home: Path, as_of: str) -> str:
    """SHA-256 of the week's list entries in the home's store (UAI, student, rank, tier,
    risk, reasons), in list order."""
    import sqlite3

    with sqlite3.connect(home / "serving" / "vigie.sqlite3") as con:
        rows = con.execute(_ENTRIES, (as_of,)).fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:12]


class _ScoreRuns:
    """What the `score` job needs: the model registered once, the académies as extracted on
    the Monday before the first as-of date and on that date, and a home holding the week
    before (lists and weekly states), written once and copied for each measured run."""

    def __init__(self, options: argparse.Namespace, work: Path, console: Console) -> None:
        from bench.weekly import _environment, champion, cut_events

        self.as_of = dt.date.fromisoformat(options.as_of[0])
        previous = self.as_of - dt.timedelta(weeks=1)
        self.model = work / "model"
        self.model.mkdir(parents=True, exist_ok=True)
        champion(self.model, console)
        self.roots = {}
        for day in (previous, self.as_of):
            root = work / "score-weeks" / f"as-of-{day.isoformat()}"
            for partition in sorted((work / "extraction").glob("academie=*")):
                if not (root / partition.name / "students.parquet").exists():
                    cut_events(partition, day, root / partition.name)
            self.roots[day] = root
        self.template = work / "score-home-week-before"
        self._environment = _environment
        if not (self.template / "serving").is_dir():
            console.print(f"Writing the week of {previous} (once, not measured)...")
            shutil.rmtree(self.template, ignore_errors=True)
            subprocess.run(
                [*VIGIE, "score", "--data", str(self.roots[previous]), "--as-of",
                 previous.isoformat(), "-q"],
                check=True, stdout=subprocess.DEVNULL, env=self.env(self.template),
            )  # fmt: skip

    def env(self, home: Path) -> dict[str, str]:
        """The environment of a run on `home`, the benchmark model's registry."""
        environment = self._environment(self.model)
        environment["VIGIE_HOME"] = str(home)
        return environment

    def prepare(self, home: Path) -> None:
        """`home`, a fresh copy of the home holding the week before."""
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(self.template, home, symlinks=True)


def _jobs(options: argparse.Namespace, work: Path) -> list[tuple[str, str, list[str], Path]]:
    """(job, path, argv, output) for each job and each path, the paths interleaved per job."""
    paths = ["single machine", *(f"local:{w}" for w in options.workers)]
    data = work / "extraction"
    plan = []
    for path in paths if "synth" in options.jobs else []:
        out = work / f"synth-{path.replace(' ', '-').replace(':', '')}"
        argv = ["synth", "--out", str(out), "--academies", str(options.academies),
                "--establishments", str(options.establishments), "--students",
                str(options.students), "--years", "2", "--burn-in-years", "0", "--seed", "7",
                "--format", "parquet", "-q"]  # fmt: skip
        plan.append(("synth", path, argv + ([] if path == paths[0] else ["--cluster", path]), out))
    for path in paths if "features" in options.jobs else []:
        out = work / f"features-{path.replace(' ', '-').replace(':', '')}"
        argv = ["features", "--data", str(data), "--out", str(out), "-q"]
        argv += [arg for date in options.as_of for arg in ("--as-of", date)]
        plan.append(
            ("features", path, argv + ([] if path == paths[0] else ["--cluster", path]), out)
        )
    return plan


def _sizing(runs: list[Run], students: int) -> list[dict[str, Any]]:
    """Each job's measured costs scaled to France's 30 académies of average size, for several
    numbers of workers (one partition per worker at a time): CPU hours in all, wall time
    (waves of partitions, each as long as on the one-worker cluster, scaled by its students),
    and a worker's peak memory (the largest measured, scaled by the partition's students)."""
    per_academie = FRANCE_STUDENTS / FRANCE_ACADEMIES
    rows = []
    # Training is one collective fit over every worker, not a partition a worker at a time.
    for job in dict.fromkeys(run.job for run in runs if run.job != "train"):
        single = next(run for run in runs if run.job == job and run.path == "single machine")
        clustered = [run for run in runs if run.job == job and run.worker_peaks_mb]
        one_worker = next((run for run in clustered if run.path == "local:1"), single)
        academies = single.academies
        partition_seconds = one_worker.seconds / academies * per_academie / students
        peak_mb = max(
            (max(run.worker_peaks_mb) for run in clustered), default=single.client_peak_mb
        )
        for workers in (1, 4, 8, 16, 30):
            rows.append(
                {
                    "job": job,
                    "workers": workers,
                    "cpu_hours": single.cpu_seconds
                    / (academies * students)
                    * FRANCE_STUDENTS
                    / 3600,
                    "wall_minutes": math.ceil(FRANCE_ACADEMIES / workers) * partition_seconds / 60,
                    "worker_gb": peak_mb * per_academie / students / 1024,
                }
            )
    return rows


def _sizing_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(
        title=f"Sizing for France: {FRANCE_STUDENTS:,} students in {FRANCE_ACADEMIES} "
        "académies of average size, scaled from the measured costs"
    )
    for column in ("job", "workers", "CPU (hours)", "wall (minutes)", "peak per worker (GB)"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["job"],
            str(row["workers"]),
            f"{row['cpu_hours']:.2f}",
            f"{row['wall_minutes']:.1f}",
            f"{row['worker_gb']:.1f}",
        )
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--academies", type=int, default=4)
    parser.add_argument("--students", type=int, default=300_000, help="per académie")
    parser.add_argument("--establishments", type=int, default=0, help="0: students / 500")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--as-of", nargs="+", default=DEFAULT_AS_OF)
    parser.add_argument("--train-as-of", nargs="+", default=TRAIN_AS_OF)
    parser.add_argument("--work", type=Path, default=Path("var/bench/cluster"))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--jobs",
        nargs="+",
        choices=["synth", "features", "score", "train"],
        default=["synth", "features", "score", "train"],
        help="without synth, the features and scores read the extraction an earlier run left "
        "in --work",
    )
    options = parser.parse_args(argv)
    options.establishments = options.establishments or max(2, options.students // 500)
    console = Console(width=140)
    work = options.work.resolve()
    if "synth" in options.jobs:
        shutil.rmtree(work, ignore_errors=True)
    elif not (work / "extraction").is_dir():
        raise SystemExit(f"{work / 'extraction'} is missing: run with --jobs synth first")
    for earlier in work.glob("features-*") if "synth" not in options.jobs else []:
        shutil.rmtree(earlier)
    work.mkdir(parents=True, exist_ok=True)
    console.print(
        f"Benchmark: {options.academies} académies x {options.students:,} students, "
        f"{len(options.as_of)} as-of date(s); load average at start: "
        f"{os.getloadavg()[0]:.1f}; {platform.node()}"
    )
    runs: list[Run] = []
    for job, path, args, out in _jobs(options, work):
        run = _run(job, path, args, out, options.academies)
        runs.append(run)
        _print_run(console, run)
        if job == "synth" and not (work / "extraction").exists():
            out.rename(work / "extraction")  # the features read the first académies written
        elif job == "synth":
            shutil.rmtree(out)
    if "score" in options.jobs:
        runs += _score(options, work, console)
    if "train" in options.jobs:
        runs += _train(options, work, console)
    console.print(_table(runs))
    sizing = _sizing(runs, options.students)
    console.print(_sizing_table(sizing))
    if options.out:
        options.out.parent.mkdir(parents=True, exist_ok=True)
        options.out.write_text(
            json.dumps(
                {
                    "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "options": {k: str(v) for k, v in vars(options).items()},
                    "runs": [asdict(run) for run in runs],
                    "sizing": sizing,
                },
                indent=2,
            )
        )


def _train(options: argparse.Namespace, work: Path, console: Console) -> list[Run]:
    """The `train` job's runs, each path in a fresh home with its own MLflow store (kept in
    `--work/train-home-PATH` for a look at the runs)."""
    config = work / "train.yaml"
    config.write_text(TRAIN_CONFIG)
    runs = []
    for path in ["single machine", *(f"local:{w}" for w in options.workers)]:
        home = work / f"train-home-{path.replace(' ', '-').replace(':', '')}"
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        env = dict(os.environ, VIGIE_HOME=str(home),
                   MLFLOW_TRACKING_URI=f"sqlite:///{home / 'mlflow.db'}")  # fmt: skip
        env.pop("VIGIE_DATABASE_URL", None)
        argv = ["train", "--data", str(work / "extraction"), "--config", str(config),
                "--cv", "kfold:2x1", "-q", "--lang", "en"]  # fmt: skip
        argv += [arg for date in options.train_as_of for arg in ("--as-of", date)]
        argv += [] if path == "single machine" else ["--cluster", path]
        run = _run("train", path, argv, lambda home=home: _fit_free_digest(home),
                   options.academies, env)  # fmt: skip
        runs.append(run)
        _print_run(console, run)
    return runs


def _fit_free_digest(home: Path) -> str:
    """SHA-256 of the fit-free baselines' replay metrics logged in the home's MLflow store."""
    import sqlite3

    with sqlite3.connect(home / "mlflow.db") as con:
        rows = con.execute("SELECT key, value FROM latest_metrics ORDER BY key").fetchall()
    kept = [(k, round(v, 12)) for k, v in rows if k.split(".")[0] in FIT_FREE and ".replay." in k]
    return hashlib.sha256(repr(kept).encode()).hexdigest()[:12] if kept else "no metrics"


def _score(options: argparse.Namespace, work: Path, console: Console) -> list[Run]:
    """The `score` job's runs: each mode, then each path, on a fresh copy of the home holding
    the week before."""
    score = _ScoreRuns(options, work, console)
    paths = ["single machine", *(f"local:{w}" for w in options.workers)]
    day = score.as_of.isoformat()
    home = work / "score-home"
    runs = []
    for mode in ("full", "incremental"):
        for path in paths:
            argv = ["score", "--data", str(score.roots[score.as_of]), "--as-of", day, "-q"]
            argv += ["--full"] if mode == "full" else []
            argv += [] if path == paths[0] else ["--cluster", path]
            score.prepare(home)
            run = _run(f"score-{mode}", path, argv, lambda: _lists_digest(home, day),
                       options.academies, score.env(home))  # fmt: skip
            runs.append(run)
            _print_run(console, run)
    shutil.rmtree(home, ignore_errors=True)
    return runs


def _print_run(console: Console, run: Run) -> None:
    console.print(
        f"  {run.job:17} {run.path:15} {run.seconds:8.1f} s wall {run.cpu_seconds:8.1f} s CPU  "
        f"client {run.client_peak_mb:7.0f} MB  "
        f"workers {[round(p) for p in run.worker_peaks_mb]} MB  load {os.getloadavg()[0]:.1f}"
    )


def _table(runs: list[Run]) -> Table:
    table = Table(title="The cluster path against the single-machine path")
    for column in ("job", "path", "wall (s)", "CPU (s)", "ratio", "client peak (MB)",
                   "peak per worker (MB)", "output"):  # fmt: skip
        table.add_column(column)
    single = {run.job: run.seconds for run in runs if run.path == "single machine"}
    for run in runs:
        table.add_row(
            run.job,
            run.path,
            f"{run.seconds:.1f}",
            f"{run.cpu_seconds:.1f}",
            f"{single[run.job] / run.seconds:.2f}x",
            f"{run.client_peak_mb:.0f}",
            ", ".join(f"{peak:.0f}" for peak in run.worker_peaks_mb) or "-",
            run.digest,
        )
    return table


if __name__ == "__main__":
    main()

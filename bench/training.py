"""Training benchmarks: `python -m bench.training [--rows 250000 500000 1000000] [--repeat N]`.

Builds weekly snapshots of a synthetic académie once (one complete school year, enough students
for the largest size), then measures, each in a fresh process and repeated (models interleaved,
so all see the same machine load): the LightGBM risk model as `vigie train` fits it (booster
plus cross-fitted calibration, default configuration), one LightGBM booster alone (the unit
cost), and the logistic-regression baseline, on the first N snapshot rows. Prints a table of
medians and writes the raw runs and medians as JSON.

`python -m bench.training --measure MODEL ROWS SNAPSHOTS THREADS` is the measurement a child
process runs (it prints one JSON line); `--build WORK ROWS` builds the snapshots in a child.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

SCHOOL_YEAR = "2025-2026"
EXTRACTION_DATE = dt.date(2026, 7, 10)  # after the last class day: a whole school year
MODELS = ("lightgbm", "lightgbm_booster", "logistic")
STUDENTS_PER_MILLION_ROWS = 32_000  # about 34 weekly Mondays a year


def build_snapshots(work: Path, rows: int, console: Console) -> Path:
    """Weekly snapshots of one synthetic school year with at least `rows` rows (cached)."""
    students = max(2_000, int(rows / 1_000_000 * STUDENTS_PER_MILLION_ROWS * 1.1))
    path = work / f"snapshots-{students}-v2.parquet"
    if path.is_file():
        return path
    from features.catalog import feature_names
    from features.extraction import open_extraction
    from features.synth import synthesize
    from training.snapshots import build_snapshots as build
    from training.snapshots import snapshot_dates

    data = work / f"academie-{students}"
    console.print(f"Generating {students:,} students and their weekly snapshots (once)...")
    synthesize(data, establishments=max(2, students // 500), students=students, years=1,
               seed=7, file_format="parquet", last_school_year=SCHOOL_YEAR,
               extraction_date=EXTRACTION_DATE)  # fmt: skip
    with open_extraction(data) as extraction:
        frame = build(extraction, snapshot_dates(SCHOOL_YEAR, "weekly"))
    # A year cut in July lacks the outcomes of students who stay (known in October): they
    # count as "stayed" here, which is what they are, and training cost does not depend on it.
    frame["label_dropped_out"] = frame["label_dropped_out"].fillna(0.0)
    keep = ["student_id", "label_dropped_out", *feature_names()]
    work.mkdir(parents=True, exist_ok=True)
    # Small row groups: a measurement reads only the rows it needs, so its peak memory is
    # that of its own rows.
    shuffled = frame.loc[:, keep].sample(frac=1.0, random_state=7)
    shuffled.to_parquet(path, index=False, row_group_size=50_000)
    return path


def measure(model: str, rows: int, snapshots: str, threads: int) -> dict[str, Any]:
    """Fit `model` on the first `rows` snapshot rows; seconds and memory of this process."""
    import psutil

    from models.encoding import feature_frame
    from models.risk_model import RiskModel
    from training.baselines import logistic_baseline
    from training.config import TrainConfig

    frame = _first_rows(snapshots, rows)
    if len(frame) < rows:
        raise SystemExit(f"{snapshots} holds {len(frame):,} rows, fewer than {rows:,}")
    label = frame["label_dropped_out"]
    config = TrainConfig()
    params = config.lightgbm.booster_params() | {"num_threads": threads}
    rss_before = psutil.Process().memory_info().rss / 2**20
    start = time.perf_counter()
    if model == "lightgbm":
        RiskModel(params, config.lightgbm.num_boost_round, config.calibration,
                  config.calibration_folds, config.seed).fit(
            frame, label, groups=frame["student_id"])  # fmt: skip
    elif model == "lightgbm_booster":
        RiskModel(params, config.lightgbm.num_boost_round, "platt", seed=config.seed).fit(
            frame, label, calibration_X=frame.head(20_000), calibration_y=label.head(20_000)
        )
    elif model == "logistic":
        logistic_baseline(config.logistic.C, config.logistic.max_iter, config.seed).fit(
            feature_frame(frame), label.astype("int64")
        )
    else:
        raise SystemExit(f"unknown model {model!r}: {', '.join(MODELS)}")
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"model": model, "rows": rows, "seconds": seconds, "peak_rss_mb": peak_kb / 1024,
            "rss_before_fit_mb": rss_before, "threads": threads}  # fmt: skip


def _first_rows(path: str, rows: int) -> Any:
    """The first `rows` rows of a Parquet file, reading no more than needed (so that peak
    memory is that of `rows` rows, not of the whole file)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    batches, count = [], 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=65_536):
        batches.append(batch.slice(0, rows - count))
        count += len(batches[-1])
        if count >= rows:
            break
    return pa.Table.from_batches(batches).to_pandas()


def _child(model: str, rows: int, snapshots: Path, threads: int) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.training", "--measure", model, str(rows), str(snapshots),
         str(threads)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.training",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[250_000, 500_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="LightGBM threads")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--work", type=Path, default=Path("var/bench/training"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/training.json"))
    parser.add_argument(
        "--measure",
        nargs=4,
        metavar=("MODEL", "ROWS", "SNAPSHOTS", "THREADS"),
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--build", nargs=2, metavar=("WORK", "ROWS"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.measure:
        model, rows, snapshots, threads = options.measure
        print(json.dumps(measure(model, int(rows), snapshots, int(threads))))
        return

    if options.build:
        print(build_snapshots(Path(options.build[0]), int(options.build[1]), Console(stderr=True)))
        return

    console = Console()
    started = time.perf_counter()
    # Built in a child process too: Linux children inherit their parent's peak RSS, so the
    # driver must stay small for the children's peaks to be their own.
    snapshots = Path(subprocess.run(
        [sys.executable, "-m", "bench.training", "--build", str(options.work),
         str(max(options.rows))],
        check=True, stdout=subprocess.PIPE, text=True,
    ).stdout.strip().splitlines()[-1])  # fmt: skip
    runs: dict[str, list[dict[str, Any]]] = {}
    for repeat in range(options.repeat):
        for rows in options.rows:
            for model in options.models:
                result = _child(model, rows, snapshots, options.threads)
                runs.setdefault(f"{model}@{rows}", []).append(result)
                seconds, peak = result["seconds"], result["peak_rss_mb"]
                console.print(f"  run {repeat + 1}: {model}, {rows:,} rows: {seconds:.1f} s, "
                              f"{peak:,.0f} MB")  # fmt: skip
    table = Table(title=f"Training, median of {options.repeat} runs, "
                        f"LightGBM threads: {options.threads}")  # fmt: skip
    for column in ("model", "rows", "fit time (s)", "peak RSS (MB)", "RSS before fit (MB)",
                   "s per 100k rows"):  # fmt: skip
        table.add_column(column, justify="left" if column == "model" else "right")
    medians: dict[str, dict[str, float]] = {}
    for key, results in runs.items():
        model, rows = key.split("@")
        entry = {name: statistics.median(run[name] for run in results)
                 for name in ("seconds", "peak_rss_mb", "rss_before_fit_mb")}  # fmt: skip
        medians[key] = entry
        table.add_row(model, f"{int(rows):,}", f"{entry['seconds']:.1f}",
                      f"{entry['peak_rss_mb']:,.0f}", f"{entry['rss_before_fit_mb']:,.0f}",
                      f"{entry['seconds'] / int(rows) * 100_000:.2f}")  # fmt: skip
    console.print(table)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps({
        "command": "python -m bench.training " + " ".join(argv if argv is not None
                                                          else sys.argv[1:]),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "snapshots": str(snapshots),
        "medians": medians,
        "runs": runs,
        "total_seconds": time.perf_counter() - started,
    }, indent=2))  # fmt: skip
    console.print(f"Raw runs and medians written to {options.out}")


if __name__ == "__main__":
    main()

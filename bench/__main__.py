"""Feature-pipeline benchmarks: `python -m bench [--students N] [--repeat N]`.

Generates an académie (one school year) once, then measures, each in a fresh process and
repeated (DuckDB and pandas runs interleaved, so both see the same machine load):
validation, DuckDB features at one as-of date, the pandas reference at the same date, DuckDB
features for 36 weekly as-of dates streamed to a Parquet file (and, with --pandas-weekly, the
reference for them too, in memory).
With `--baseline REV`, the `features` package of git revision REV (exported with `git
archive`) runs the same DuckDB stages in the same repeats, interleaved with the current code,
and the table gives each stage's ratio (baseline time over current time, median over median).
With `--current REV2`, revision REV2 stands for the current code (so that the working tree can
change while the benchmark runs).
`--quick` leaves out the validation and the pandas reference; `--reuse-data` keeps an académie
already generated in the work folder instead of timing its generation again.
Prints a table of medians and writes the raw runs and medians as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
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
ONE_DATE = dt.date(2026, 3, 16)
FIRST_WEEK = dt.date(2025, 9, 8)


def _measure(stage: str, args: dict[str, Any]) -> dict[str, Any]:
    """One run in a fresh process; a failed run is recorded with its error, not fatal."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.stage", stage, json.dumps(args)],
        check=False,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        error = (completed.stderr.strip().splitlines() or ["no message"])[-1]
        return {"stage": stage, "failed": error}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _weekly_dates(count: int) -> list[str]:
    return [(FIRST_WEEK + dt.timedelta(weeks=week)).isoformat() for week in range(count)]


def _median(runs: list[dict[str, Any]], key: str) -> float:
    """Median over the runs that finished (NaN when none did)."""
    values = [run[key] for run in runs if "failed" not in run]
    return statistics.median(values) if values else float("nan")


def _export_revision(revision: str, work: Path) -> tuple[str, Path]:
    """The `features` package of git revision `revision`, exported under `work` (once)."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", revision], check=True, capture_output=True, text=True
    ).stdout.strip()
    folder = work / f"code-{commit}"
    if not (folder / "features").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", "--format=tar", commit, "features"], check=True, capture_output=True
        )
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return commit, folder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--students", type=int, default=300_000)
    parser.add_argument("--establishments", type=int, default=0, help="0: students / 500")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--weeks", type=int, default=36)
    parser.add_argument("--pandas-weekly", action="store_true")
    parser.add_argument("--baseline", help="git revision whose features code runs alongside")
    parser.add_argument(
        "--current", help="git revision run as the current code (default: the working tree)"
    )
    parser.add_argument("--quick", action="store_true", help="no validation, no pandas")
    parser.add_argument("--reuse-data", action="store_true", help="keep an existing académie")
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/features.json"))
    options = parser.parse_args(argv)

    console = Console(width=140)
    data = options.work / f"academie-{options.students}"
    establishments = options.establishments or max(2, options.students // 500)
    synth_args = {
        "out": str(data),
        "establishments": establishments,
        "students": options.students,
        "seed": 7,
        "school_year": SCHOOL_YEAR,
        "extraction_date": EXTRACTION_DATE.isoformat(),
    }
    one = {"data": str(data), "as_of": [ONE_DATE.isoformat()]}
    weekly = {"data": str(data), "as_of": _weekly_dates(options.weeks)}
    # Many dates are written as a job writes them: streamed to a feature file batch by batch.
    weekly_file = {
        **weekly,
        "out": str(options.work / f"features-{options.students}-weekly.parquet"),
    }
    weekly_label = f"features, {options.weeks} weekly dates, DuckDB"
    plan: list[tuple[str, str, dict[str, Any]]] = [
        ("synthetic académie, 1 year", "synth", synth_args),
        ("validate the extraction", "validate", {"data": str(data)}),
        ("features, 1 as-of date, DuckDB", "features_duckdb", one),
        ("features, 1 as-of date, pandas reference", "features_pandas", one),
        (weekly_label, "features_duckdb", weekly_file),
    ]
    if options.reuse_data:
        if not (data / "students.parquet").exists():
            _measure("synth", synth_args)  # generated once, not timed
        plan = [step for step in plan if step[1] != "synth"]
    if options.quick:
        plan = [step for step in plan if step[1] not in ("validate", "features_pandas")]
    if options.current:
        _, current_code = _export_revision(options.current, options.work)
        plan = [
            (
                label,
                stage,
                args | {"code": str(current_code)} if stage == "features_duckdb" else args,
            )
            for label, stage, args in plan
        ]
    baselines: dict[str, str] = {}  # baseline label -> the current code's label
    if options.baseline:
        commit, code = _export_revision(options.baseline, options.work)
        for label, stage, args in list(plan):
            if stage == "features_duckdb":
                earlier = f"{label}, code of {commit}"
                baselines[earlier] = label
                plan.insert(plan.index((label, stage, args)), (earlier, stage, args | {
                    "code": str(code),
                    **({"out": args["out"].replace(".parquet", f"-{commit}.parquet")}
                       if "out" in args else {}),
                }))  # fmt: skip
    if options.pandas_weekly:
        plan.append(
            (f"features, {options.weeks} weekly dates, pandas reference", "features_pandas", weekly)
        )

    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in plan}
    console.print(
        f"[bold]Benchmark[/bold]: {options.students:,} students, {establishments} establishments"
    )
    started = time.perf_counter()
    load_at_start = os.getloadavg()
    console.print(f"load average at start: {load_at_start[0]:.1f} {load_at_start[1]:.1f}")
    for repeat in range(options.repeat):
        for label, stage, args in plan:
            result = _measure(stage, args)
            runs[label].append(result)
            if "failed" in result:
                console.print(f"  run {repeat + 1}: {label}: FAILED: {result['failed']}")
            else:
                console.print(
                    f"  run {repeat + 1}: {label}: {result['seconds']:.1f} s "
                    f"({result['cpu_seconds']:.1f} s CPU), "
                    f"{result['peak_rss_mb']:,.0f} MB (load {os.getloadavg()[0]:.1f})"
                )

    table = Table(title=f"Median of {options.repeat} runs, {options.students:,} students")
    columns = ("stage", "wall time (s)", "CPU time (s)", "peak RSS (MB)", "rows", "rows/s", "ratio")
    for column in columns:
        table.add_column(column, justify="left" if column == "stage" else "right")
    medians: dict[str, dict[str, float]] = {}
    for label, _, _ in plan:
        seconds = _median(runs[label], "seconds")
        medians[label] = {
            "seconds": seconds,
            "cpu_seconds": _median(runs[label], "cpu_seconds"),
            "peak_rss_mb": _median(runs[label], "peak_rss_mb"),
            "rows": next((run["rows"] for run in runs[label] if "rows" in run), 0),
            "finished_runs": sum("failed" not in run for run in runs[label]),
        }
    for label, stage, _ in plan:
        entry = medians[label]
        ratio = ""
        if label in baselines:
            factor = entry["seconds"] / medians[baselines[label]]["seconds"]
            entry["baseline_over_current"] = factor
            ratio = f"current code {factor:.2f}x faster"
        if stage == "features_pandas":
            duckdb_label = label.replace("pandas reference", "DuckDB")
            if duckdb_label in medians:
                factor = entry["seconds"] / medians[duckdb_label]["seconds"]
                entry["pandas_over_duckdb"] = factor
                ratio = f"DuckDB {factor:.1f}x faster"
        table.add_row(
            label,
            f"{entry['seconds']:.1f}",
            f"{entry['cpu_seconds']:.1f}",
            f"{entry['peak_rss_mb']:,.0f}",
            f"{entry['rows']:,}",
            f"{entry['rows'] / entry['seconds']:,.0f}",
            ratio,
        )
    console.print(table)
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(
        json.dumps(
            {
                "command": "python -m bench "
                + " ".join(argv if argv is not None else sys.argv[1:]),
                "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "load_average": {"start": load_at_start, "end": os.getloadavg()},
                "baseline": options.baseline,
                "current": options.current,
                "students": options.students,
                "establishments": establishments,
                "medians": medians,
                "runs": runs,
                "total_seconds": time.perf_counter() - started,
            },
            indent=2,
        )
    )
    console.print(f"Raw runs and medians written to {options.out}")


if __name__ == "__main__":
    main()

"""One benchmark measurement, run in a fresh process so that its peak memory is its own.

`python -m bench.stage STAGE '{"json": "arguments"}'` prints one JSON line: {"stage",
"seconds", "cpu_seconds", "peak_rss_mb", "rows"}. Imports happen before the clock starts. With
"code": a folder holding another version of the `features` package (as `python -m bench
--baseline REV` exports it), that version is imported instead of the installed one, so that
the earlier code runs side by side with the current one on the same data.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _dates(args: dict[str, Any]) -> list[dt.date]:
    return [dt.date.fromisoformat(value) for value in args["as_of"]]


def _synth(args: dict[str, Any]) -> Callable[[], int]:
    from features.synth import synthesize

    def run() -> int:
        synthesize(
            Path(args["out"]),
            establishments=args["establishments"],
            students=args["students"],
            years=1,
            seed=args["seed"],
            file_format="parquet",
            last_school_year=args["school_year"],
            extraction_date=dt.date.fromisoformat(args["extraction_date"]),
        )
        return args["students"]

    return run


def _features_duckdb(args: dict[str, Any]) -> Callable[[], int]:
    """The DuckDB builder, into memory, or with "out" streamed to that Parquet file one query
    of consecutive dates at a time (as a job over many as-of dates runs)."""
    from features import builder, store
    from features.extraction import open_extraction

    def run() -> int:
        with open_extraction(args["data"]) as extraction:
            if "out" in args:
                out = Path(args["out"])
                # `vigie features`' path: Arrow straight to Parquet where the code has it,
                # FeatureSets (through pandas) in earlier revisions.
                if hasattr(builder, "iter_feature_tables"):
                    tables = builder.iter_feature_tables(extraction, _dates(args))
                    return int(store.write_feature_tables(tables, out))
                batches = builder.iter_features(extraction, _dates(args))
                return int(store.write_feature_batches(batches, out))
            return len(builder.build_features(extraction, _dates(args)).frame)

    return run


def _features_pandas(args: dict[str, Any]) -> Callable[[], int]:
    from features.extraction import open_extraction
    from tests.oracle.reference import build_features_reference

    def run() -> int:
        with open_extraction(args["data"]) as extraction:
            return len(build_features_reference(extraction, _dates(args)))

    return run


def _validate(args: dict[str, Any]) -> Callable[[], int]:
    from features.validation import validate_extraction

    def run() -> int:
        report = validate_extraction(args["data"])
        if not report.ok:
            raise SystemExit(f"benchmark data is invalid: {report.violations[:3]}")
        return sum(report.row_counts.values())

    return run


STAGES: dict[str, Callable[[dict[str, Any]], Callable[[], int]]] = {
    "synth": _synth,
    "validate": _validate,
    "features_duckdb": _features_duckdb,
    "features_pandas": _features_pandas,
}


def _cpu_seconds() -> float:
    """User and system CPU time of this process so far, all its threads (DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    stage, raw = sys.argv[1], sys.argv[2]
    args = json.loads(raw)
    if "code" in args:
        sys.path.insert(0, args["code"])
    run = STAGES[stage](args)
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    rows = run()
    seconds, cpu_seconds = time.perf_counter() - start, _cpu_seconds() - cpu_start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "stage": stage,
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "peak_rss_mb": peak_kb / 1024,
                "rows": rows,
            }
        )
    )


if __name__ == "__main__":
    main()

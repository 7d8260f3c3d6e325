"""Leavers benchmark: `python -m bench.leavers [--students 20000] [--format parquet|csv]
[--bassin N] [--work DIR]`.

Generates (once per size and format, under `--work`) a synthetic académie of two school
years, records it as the extraction of a week in a fresh SQLite store, then times:
`features.leavers.leavers_of_extraction` alone (the pure function and the extraction read),
and `get_leavers` as an MLDS user whose bassin is the first `--bassin` establishments (the
extraction read through the week's lineage, the scope on the request day, interviews, paths,
contacts, each leaver's suggested solutions, the audit entries). Three runs each; prints the
medians in milliseconds and the number of leavers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from sqlalchemy import update

import serving.db.enrollments
from features.leavers import leavers_of_extraction
from features.synth import synthesize
from serving.db import open_store
from serving.db.models import WeeklyRun
from serving.lineage import extraction_sha256
from serving.services import Actor
from serving.services.leavers import get_leavers
from serving.weekly import EstablishmentWeek, replace_week_lists

AS_OF = dt.date(2026, 11, 30)
REQUEST_DAY = dt.date(2026, 12, 4)


def _milliseconds(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--bassin", type=int, default=10)
    parser.add_argument("--work", type=Path, default=Path("bench/results/leavers"))
    options = parser.parse_args()
    extraction = options.work / f"leavers-{options.students}-{options.format}"
    if not extraction.exists():
        synthesize(
            extraction,
            establishments=max(3, options.students // 600),
            students=options.students,
            years=2,
            seed=3,
            file_format=options.format,
        )
    table = extraction / f"establishments.{options.format}"
    establishments = pd.read_parquet(table) if options.format == "parquet" else pd.read_csv(table)
    bassin = frozenset(sorted(establishments["uai"].astype(str))[: options.bassin])
    serving.db.enrollments.request_date = lambda: REQUEST_DAY
    store = open_store(f"sqlite:///{tempfile.mkdtemp(prefix='vigie-bench-')}/store.sqlite3")
    week = EstablishmentWeek(sorted(bassin)[0], "bench", 5, ())
    replace_week_lists(store, as_of=AS_OF, model_version="bench/1", establishments=[week],
                       watch_threshold=0.5)  # fmt: skip
    with store.transaction() as session:
        session.execute(update(WeeklyRun).values(
            extraction_path=str(extraction), extraction_sha256=extraction_sha256(extraction),
            features_path="-", features_sha256="0" * 64,
            contributions_path="-", contributions_sha256="0" * 64,
        ))  # fmt: skip
    found = leavers_of_extraction(extraction, AS_OF)
    pure = [_milliseconds(lambda: leavers_of_extraction(extraction, AS_OF)) for _ in range(3)]
    mlds = Actor("bench.mlds", "mlds", bassin)
    view = get_leavers(store, mlds, AS_OF)
    served = [_milliseconds(lambda: get_leavers(store, mlds, AS_OF)) for _ in range(3)]
    size = sum(path.stat().st_size for path in extraction.iterdir() if path.is_file()) / 1e6
    print(
        f"{options.students} students, {len(establishments)} establishments, {options.format} "
        f"({size:.0f} MB): {len(found)} leavers in the académie as of {AS_OF}, "
        f"leavers_of_extraction median {statistics.median(pure):.0f} ms; "
        f"get_leavers for a bassin of {len(bassin)} ({len(view.leavers)} leavers) median "
        f"{statistics.median(served):.0f} ms"
    )
    store.dispose()


if __name__ == "__main__":
    main()

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
from pathlib import Path

import serving.db.enrollments
from bench.served_extraction import milliseconds, read_table, store_with_week, synthetic_extraction
from features.leavers import leavers_of_extraction
from serving.services import Actor
from serving.services.leavers import get_leavers
from serving.weekly import EstablishmentWeek

AS_OF = dt.date(2026, 11, 30)
REQUEST_DAY = dt.date(2026, 12, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--bassin", type=int, default=10)
    parser.add_argument("--work", type=Path, default=Path("bench/results/leavers"))
    options = parser.parse_args()
    extraction = synthetic_extraction(
        options.work / f"leavers-{options.students}-{options.format}",
        options.students,
        options.format,
    )
    establishments = read_table(extraction, "establishments", options.format)
    bassin = frozenset(sorted(establishments["uai"].astype(str))[: options.bassin])
    serving.db.enrollments.request_date = lambda: REQUEST_DAY
    week = EstablishmentWeek(sorted(bassin)[0], "bench", 5, ())
    store = store_with_week(extraction, AS_OF, week)
    found = leavers_of_extraction(extraction, AS_OF)
    pure = [milliseconds(lambda: leavers_of_extraction(extraction, AS_OF)) for _ in range(3)]
    mlds = Actor("bench.mlds", "mlds", bassin)
    view = get_leavers(store, mlds, AS_OF)
    served = [milliseconds(lambda: get_leavers(store, mlds, AS_OF)) for _ in range(3)]
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

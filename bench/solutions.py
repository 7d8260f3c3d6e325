"""Suggested-solutions benchmark: `python -m bench.solutions [--students 20000]
[--format parquet|csv] [--work DIR]`.

Generates (once per size and format, under `--work`) a synthetic académie of two school
years, records it as the extraction of a week in a fresh SQLite store (one establishment's
roster of 30 students listed), then times, as a watch unit of that establishment:
`get_student_solutions` (the facts read from the extraction: one filtered query on each of
`students`, `enrollments`, `exams`; the rules; the audit entry) for 10 students, and
`record_interview` of a held interview with a solution (its suggestion read before the write
transaction) against one without (9-10 students each). Prints the medians in milliseconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
from pathlib import Path

import serving.db.enrollments
from bench.served_extraction import milliseconds, read_table, store_with_week, synthetic_extraction
from serving.services import Actor, NewInterview, record_interview
from serving.services.solutions import get_student_solutions
from serving.weekly import EstablishmentWeek, RosterStudent, ScoredStudent

WEEK = dt.date(2026, 11, 30)
REQUEST_DAY = dt.date(2026, 12, 4)
ROSTER = 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20_000)
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--work", type=Path, default=Path("bench/results/solutions"))
    options = parser.parse_args()
    extraction = synthetic_extraction(
        options.work / f"solutions-{options.students}-{options.format}",
        options.students,
        options.format,
    )
    enrollments = read_table(extraction, "enrollments", options.format)
    current = enrollments[
        (enrollments["school_year"] == "2026-2027") & enrollments["end_date"].isna()
    ]
    uai = sorted(current["uai"].unique())[0]
    roster = sorted(current.loc[current["uai"] == uai, "student_id"].unique())[:ROSTER]
    serving.db.enrollments.request_date = lambda: REQUEST_DAY  # the roster's week is current
    week = EstablishmentWeek(uai, "bench", 5, tuple(ScoredStudent(s, 0.5, (), {}) for s in roster),
                             tuple(RosterStudent(s, "Nom", "Prénom") for s in roster))  # fmt: skip
    store = store_with_week(extraction, WEEK, week)
    unit = Actor("bench.unit", "watch_unit", frozenset({uai}))
    reads = [milliseconds(lambda s=s: get_student_solutions(store, unit, s)) for s in roster[:10]]
    chosen = [
        milliseconds(lambda s=s: record_interview(
            store, unit, NewInterview(student_id=s, status="held", solution="tutoring")))
        for s in roster[10:20]
    ]  # fmt: skip
    plain = [
        milliseconds(lambda s=s: record_interview(
            store, unit, NewInterview(student_id=s, status="held")))
        for s in roster[20:]
    ]  # fmt: skip
    size = sum(path.stat().st_size for path in extraction.iterdir()) / 1e6
    print(
        f"{options.students} students, {options.format} ({size:.0f} MB): "
        f"get_student_solutions median {statistics.median(reads):.0f} ms; record_interview "
        f"with a solution {statistics.median(chosen):.0f} ms, "
        f"without {statistics.median(plain):.0f} ms"
    )
    store.dispose()


if __name__ == "__main__":
    main()

"""The DuckDB builder on a small synthetic académie: the same rows as the pandas reference at
many as-of dates (as weekly scoring and training snapshots ask), whether the dates go to one
query or to several, and streamed to a feature file batch by batch.

The hand-made académies of the other tests pin definitions down; this one has realistic
volumes and shapes (holidays, runs of absences, months over the absentéisme threshold, three
periods of marks, two school years), so that the incremental computation over as-of dates
meets the cases a real extraction has.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from features.builder import build_features
from features.extraction import open_extraction
from features.pipeline import stream_feature_file
from features.store import read_features, write_feature_batches
from features.synth import synthesize
from tests.oracle.reference import build_features_reference

D = dt.date
# Every other Monday of 2025-2026 from the rentrée, the Monday after the summer cut of the
# previous year, and days that are not Mondays (a Wednesday, a holiday, a Saturday).
AS_OF_DATES = [
    *(D(2025, 9, 1) + dt.timedelta(weeks=2 * week) for week in range(22)),
    D(2025, 6, 30), D(2025, 11, 5), D(2025, 12, 27), D(2026, 3, 21),
]  # fmt: skip


@pytest.fixture(scope="module")
def academie(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic") / "academie"
    synthesize(
        folder, establishments=3, students=300, years=2, seed=3,
        last_school_year="2025-2026", extraction_date=D(2026, 7, 10), file_format="parquet",
    )  # fmt: skip
    return folder


def assert_close(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=1e-9, atol=1e-9)


def test_same_rows_as_the_reference_at_many_dates_in_one_query_or_several(
    academie: Path,
) -> None:
    with open_extraction(academie) as extraction:
        reference = build_features_reference(extraction, AS_OF_DATES).frame
        together = build_features(extraction, AS_OF_DATES).frame
        in_batches = build_features(extraction, AS_OF_DATES, rows_per_query=1_000).frame
    assert reference["as_of"].nunique() == len(AS_OF_DATES)
    assert reference["longest_absence_streak_ytd"].max() >= 3
    assert reference["absenteeism_months_ytd"].max() >= 2
    assert_close(together, reference)
    assert_close(in_batches, reference)


def test_feature_file_streamed_in_batches_reads_back_as_the_built_frame(
    academie: Path, tmp_path: Path
) -> None:
    dates = AS_OF_DATES[:6]
    out = tmp_path / "out" / "features.parquet"
    written = stream_feature_file(academie, dates, out, rows_per_query=1)
    assert (written.path, written.report.ok) == (out, True)
    assert pq.ParquetFile(out).num_row_groups == len(dates)  # one query per date
    back = read_features(out)
    built = build_features(academie, dates)
    assert written.rows == len(built) == len(back)
    assert_close(back.frame, built.frame)
    assert back.feature_columns == built.feature_columns


def test_streamed_feature_file_without_rows_keeps_the_columns(
    academie: Path, tmp_path: Path
) -> None:
    out = tmp_path / "none.parquet"
    assert write_feature_batches(iter(()), out) == 0
    assert stream_feature_file(academie, [D(2020, 1, 6)], out).rows == 0
    back = read_features(out)
    assert len(back) == 0
    columns = build_features(academie, AS_OF_DATES[:1]).frame.columns
    assert list(back.frame.columns) == list(columns)
    with pytest.raises(ValueError, match="at least one"):
        stream_feature_file(academie, [], out)

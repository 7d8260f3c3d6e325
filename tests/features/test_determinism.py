"""Determinism (issue 12): the same extraction gives bitwise the same features, whatever
DuckDB's thread count, memory limit or the grouping of as-of dates into queries.

DuckDB's parallel aggregates add the rows of a group in an order that depends on the threads
and on how the input was split; a floating-point sum then differs in its last bits. The
extraction here is made to expose that: marks out of 7, 17, 20 or 30 with coefficients 0.3 to
2.1 (sums that are not exact in binary), and Parquet files cut into small row groups, so that
two threads really share the scans. Before the fix, the grade means, the subject spread and
the establishment absence rate differed between one and two threads.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.builder import build_features, iter_features
from features.extraction import open_extraction
from features.store import write_feature_batches
from features.synth import synthesize

# Four-weekly as-of dates of the last school year (its rentrée, then through the year).
AS_OF = [dt.date(2025, 9, 8) + dt.timedelta(weeks=4 * i) for i in range(4)]


def awkward_academie(out: Path, years: int = 2, students: int = 1000) -> Path:
    """A synthetic académie in `out` whose grade sums are inexact in binary and whose Parquet
    files have small row groups (also used by the training determinism test)."""
    synthesize(out, establishments=4, students=students, years=years, seed=5,
               file_format="parquet")  # fmt: skip
    rng = np.random.default_rng(0)
    grades = pq.read_table(out / "grades.parquet")
    rows = grades.num_rows
    out_of = rng.choice([20.0, 17.0, 30.0, 7.0], rows)
    value = np.round(grades["value"].to_numpy() / 20 * out_of, 2)
    coefficient = rng.choice([0.3, 1.0, 1.7, 2.1], rows)
    for name, column in (("value", value), ("out_of", out_of), ("coefficient", coefficient)):
        grades = grades.set_column(grades.schema.get_field_index(name), name, pa.array(column))
    pq.write_table(grades, out / "grades.parquet", row_group_size=4096)
    attendance = pq.read_table(out / "attendance.parquet")
    pq.write_table(attendance, out / "attendance.parquet", row_group_size=4096)
    return out


@pytest.fixture(scope="module")
def academie(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return awkward_academie(tmp_path_factory.mktemp("determinism") / "extraction")


def _build(
    academie: Path, threads: int, rows_per_query: int, memory_limit: str | None = None
) -> pd.DataFrame:
    with open_extraction(academie) as extraction:
        extraction.con.execute(f"SET threads = {threads}")
        if memory_limit is not None:
            extraction.con.execute(f"SET memory_limit = '{memory_limit}'")
        return build_features(extraction, AS_OF, rows_per_query=rows_per_query).frame


def assert_bitwise_equal(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Same columns, types, rows and values, floats compared bit by bit (NaN positions, signed
    zeros and last bits included)."""
    pd.testing.assert_frame_equal(left, right, check_exact=True)
    for column in left.columns:
        if pd.api.types.is_float_dtype(left[column].dtype):
            bits = left[column].to_numpy(dtype="float64").view("uint64")
            other = right[column].to_numpy(dtype="float64").view("uint64")
            assert np.array_equal(bits, other), f"{column} differs in its bits"


def test_the_extraction_sums_floats_inexactly(academie: Path) -> None:
    """The premise: marks and coefficients whose float sums depend on their order."""
    grades = pq.read_table(academie / "grades.parquet")
    assert pq.ParquetFile(academie / "grades.parquet").metadata.num_row_groups > 4
    weighted = (grades["coefficient"].to_numpy() * grades["value"].to_numpy()).tolist()
    assert sum(weighted) != sum(reversed(weighted))


@pytest.fixture(scope="module")
def one_thread(academie: Path) -> pd.DataFrame:
    return _build(academie, threads=1, rows_per_query=10**9)


@pytest.mark.parametrize(
    ("threads", "rows_per_query", "memory_limit"),
    [
        (1, 10**9, None),  # the same settings again
        (2, 10**9, None),  # all dates in one query
        (2, 10**9, "256MB"),
        (2, 1_500, None),  # several queries reading shared steps under the builder's limit
        (1, 1_500, None),
        (2, 1, None),  # one query per date
    ],
)
def test_features_are_bitwise_the_same_whatever_the_threads_and_batches(
    academie: Path,
    one_thread: pd.DataFrame,
    threads: int,
    rows_per_query: int,
    memory_limit: str | None,
) -> None:
    features = _build(academie, threads, rows_per_query, memory_limit)
    assert len(features) > 3000
    # The features that used to differ are there, and not all missing.
    for column in ("subject_mean_spread_ytd", "grade_mean_ytd", "grade_mean_current_period",
                   "establishment_unjustified_absence_rate_4w"):  # fmt: skip
        assert features[column].notna().sum() > 1000, column
    assert_bitwise_equal(features, one_thread)


def test_streamed_feature_files_are_byte_for_byte_the_same(academie: Path, tmp_path: Path) -> None:
    """Dates streamed in batches to a feature file, as a job over many dates writes them."""
    written = []
    for threads in (1, 2):
        path = tmp_path / f"features-{threads}.parquet"
        with open_extraction(academie) as extraction:
            extraction.con.execute(f"SET threads = {threads}")
            write_feature_batches(iter_features(extraction, AS_OF, 1_500), path)
        written.append(path.read_bytes())
    assert written[0] == written[1]

"""Arrow straight to Parquet (issue 12): a feature batch laid out without pandas
(`features.feature_table`) gives the table, and the file, that the round trip through
`FeatureSet.from_frame` gives: same schema and metadata, same casts, NaN made null, same
chunks, same bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.builder import iter_feature_tables, iter_features
from features.catalog import FEATURE_CATALOG
from features.extraction import open_extraction
from features.feature_set import FeatureSet, frame_columns
from features.feature_table import feature_schema, feature_table
from features.store import read_features, write_feature_batches, write_feature_tables
from features.synth import synthesize

NUMERIC = [spec.name for spec in FEATURE_CATALOG if spec.kind == "numeric"]


def _round_trip(result: pa.Table) -> pa.Table:
    """What the FeatureSet path writes: Arrow to pandas, conformed, back to Arrow."""
    frame = FeatureSet.from_frame(result.to_pandas()).frame
    return pa.Table.from_pandas(frame, preserve_index=False)


def _query_like(rows: int, seed: int) -> pa.Table:
    """A table shaped as the builder's query returns it: DuckDB's column order and types,
    strings in two chunks, NaN and nulls in the numeric features, a nullable int32."""
    rng = np.random.default_rng(seed)
    half = rows // 2

    def strings(prefix: str, missing: float = 0.0) -> pa.ChunkedArray:
        values = [None if rng.random() < missing else f"{prefix}{rng.integers(50)}"
                  for _ in range(rows)]  # fmt: skip
        return pa.chunked_array([values[:half], values[half:]], pa.string())

    def numbers() -> pa.ChunkedArray:
        values = rng.normal(size=rows)
        kind = rng.random(rows)
        cells = [None if k < 0.1 else (float("nan") if k < 0.2 else v)
                 for v, k in zip(values, kind, strict=True)]  # fmt: skip
        return pa.chunked_array([cells[:half], cells[half:]], pa.float64())

    columns: dict[str, pa.ChunkedArray] = {}
    for name in frame_columns():
        if name == "as_of":
            stamp = dt.datetime(2025, 9, 8)
            columns[name] = pa.chunked_array([[stamp] * rows], pa.timestamp("us"))
        elif name == "scholarship_level":
            levels = [None if rng.random() < 0.3 else int(rng.integers(7)) for _ in range(rows)]
            columns[name] = pa.chunked_array([levels[:half], levels[half:]], pa.int32())
        elif name in NUMERIC or name == "establishment_unjustified_absence_rate_4w":
            columns[name] = numbers()
        else:
            columns[name] = strings(name[:3], missing=0.2 if name == "class_id" else 0.0)
    # Sorted by student within the date, as the query returns it; another column order.
    order = sorted(range(rows), key=lambda i: str(columns["student_id"][i]))
    table = pa.table(columns).take(pa.array(order, pa.int64())).combine_chunks()
    table = pa.Table.from_batches(table.to_batches(max_chunksize=half or 1), table.schema)
    return table.select(sorted(table.column_names))


@pytest.mark.parametrize("rows", [0, 1, 37, 1000])
def test_the_arrow_layout_is_the_pandas_round_trip(rows: int, tmp_path: Path) -> None:
    result = _query_like(rows, seed=rows)
    expected = _round_trip(result)
    table = feature_table(result)
    assert table.schema.equals(expected.schema, check_metadata=True)
    assert table.schema.equals(feature_schema(), check_metadata=True)
    assert table.equals(expected)
    for name in table.column_names:
        chunks = [len(chunk) for chunk in table.column(name).chunks]
        assert chunks == [len(chunk) for chunk in expected.column(name).chunks], name
    # NaN are nulls in both (pandas reads null as NaN, pyarrow writes NaN as null).
    for name in NUMERIC:
        assert not any(value != value for value in table.column(name).to_pylist() if value)
        source = result.column(name).to_pylist()
        assert table.column(name).null_count == sum(
            value is None or value != value for value in source
        )
    for path, data in (("arrow", table), ("pandas", expected)):
        pq.write_table(data, tmp_path / f"{path}.parquet")
    assert (tmp_path / "arrow.parquet").read_bytes() == (tmp_path / "pandas.parquet").read_bytes()


def test_a_column_missing_from_the_result_is_named() -> None:
    result = _query_like(4, seed=1).drop_columns(["uai"])
    with pytest.raises(KeyError, match="uai"):
        feature_table(result)


@pytest.fixture(scope="module")
def academie(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("feature-table") / "academie"
    synthesize(folder, establishments=2, students=300, years=1, seed=7, file_format="parquet",
               last_school_year="2025-2026", extraction_date=dt.date(2026, 7, 10))  # fmt: skip
    return folder


# A date before any enrollment (nobody enrolled: an empty first batch), weekly dates, summer
# dates and one of the next year (the students not gone stay enrolled).
AS_OF = [
    dt.date(2024, 8, 19),
    *(dt.date(2025, 9, 8) + dt.timedelta(weeks=week) for week in range(5)),
    dt.date(2026, 6, 29),
    dt.date(2026, 8, 10),
    dt.date(2026, 8, 17),
    dt.date(2026, 9, 7),
]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("rows_per_query", [1, 700, 100_000])
def test_the_streamed_file_is_the_same_bytes_as_through_pandas(
    academie: Path, tmp_path: Path, rows_per_query: int
) -> None:
    arrow, pandas = tmp_path / "arrow.parquet", tmp_path / "pandas.parquet"
    with open_extraction(academie) as extraction:
        sizes = [t.num_rows for t in iter_feature_tables(extraction, AS_OF, rows_per_query)]
        rows = write_feature_tables(iter_feature_tables(extraction, AS_OF, rows_per_query), arrow)
        expected = write_feature_batches(iter_features(extraction, AS_OF, rows_per_query), pandas)
    assert rows == expected == sum(sizes) > 0
    if rows_per_query == 1:  # one batch per date: the first without rows
        assert sizes[0] == 0 and min(sizes[1:]) > 0 and len(sizes) == len(AS_OF)
    assert _sha256(arrow) == _sha256(pandas)
    back = read_features(arrow)
    assert back.frame.equals(read_features(pandas).frame)
    assert len(back) == rows


def test_no_table_gives_the_file_of_no_batch(tmp_path: Path) -> None:
    arrow, pandas = tmp_path / "arrow.parquet", tmp_path / "pandas.parquet"
    assert write_feature_tables(iter(()), arrow) == 0
    assert write_feature_batches(iter(()), pandas) == 0
    assert _sha256(arrow) == _sha256(pandas)
    assert list(read_features(arrow).frame.columns) == frame_columns()


def test_a_table_of_another_layout_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "features.parquet"
    good = feature_table(_query_like(10, seed=2))
    bad = good.set_column(0, "student_id", good.column("student_id").cast(pa.string()))
    with pytest.raises(ValueError, match="schema"):
        write_feature_tables(iter([good, bad]), out)
    assert list(tmp_path.iterdir()) == []

"""Feature batches as Arrow tables laid out as pandas would give them, without pandas.

The builder's query returns Arrow. Going through `FeatureSet.from_frame` and back to Arrow
before Parquet costs a copy of every column twice; a job that only writes the rows to a file
(`vigie features`, the benchmark) skips pandas with `feature_table`, which gives the table
`pa.Table.from_pandas(FeatureSet.from_frame(result.to_pandas()).frame)` would give, so that
the file stays byte for byte the same:

- the columns in the order of `frame_columns()`, with `feature_schema()`'s types and
  metadata (pandas' own, as pyarrow writes it for a FeatureSet frame);
- identifiers and categories as `large_string`, kept in the chunks DuckDB returned (pandas'
  Arrow-backed strings keep them); every other column in one chunk (pandas holds them in one
  NumPy array), which fixes the Parquet pages;
- numeric features as float64 with NaN made null (pandas reads a null as NaN, and pyarrow
  writes NaN back as null), `scholarship_level` as int64, `as_of` as timestamp[us].

The rows keep the query's order (`features.sql` sorts by as_of, student_id, as
`FeatureSet.from_frame` would).
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.feature_set import FeatureSet, frame_columns

__all__ = ["feature_schema", "feature_table"]


@cache
def feature_schema() -> pa.Schema:
    """The Arrow schema of a FeatureSet frame as pyarrow converts it, pandas metadata
    included. `FeatureSet.from_frame` fixes every column's dtype, so the schema does not
    depend on the rows: an empty frame gives it."""
    empty = FeatureSet.from_frame(pd.DataFrame(columns=frame_columns()))
    return pa.Table.from_pandas(empty.frame, preserve_index=False).schema


def feature_table(result: pa.Table) -> pa.Table:
    """The builder's Arrow `result` in the layout of `feature_schema()` (see the module)."""
    schema = feature_schema()
    columns = [_conformed(result.column(field.name), field.type) for field in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def _conformed(column: pa.ChunkedArray, kind: pa.DataType) -> pa.ChunkedArray:
    if pa.types.is_large_string(kind):
        return column.cast(kind)  # chunk by chunk
    array = column.combine_chunks().cast(kind)
    if pa.types.is_floating(kind):
        array = pc.if_else(pc.is_nan(array), pa.scalar(None, kind), array)
    return pa.chunked_array([array], kind)

"""Parquet columns with native types are read directly; the typed views must not change."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.contract import REQUIRED_TABLES
from features.extraction import open_extraction
from features.synth import generate_academie, load_config, write_extraction


def test_parquet_typed_views_equal_csv_typed_views(tmp_path: Path) -> None:
    config = load_config(overrides={"establishments": 3, "students": 300, "years": 2, "seed": 5})
    tables = generate_academie(config)
    csv_dir = write_extraction(tables, tmp_path / "csv", "csv")
    parquet_dir = write_extraction(tables, tmp_path / "parquet", "parquet")
    with open_extraction(csv_dir) as from_csv, open_extraction(parquet_dir) as from_parquet:
        for name in REQUIRED_TABLES:  # no interviews planted by default
            sql = f"SELECT * FROM {name} ORDER BY _row"
            expected = from_csv.con.execute(sql).df()
            actual = from_parquet.con.execute(sql).df()
            native = from_parquet.con.execute(
                "SELECT sql FROM duckdb_views() WHERE view_name = ?", [name]
            ).fetchall()[0][0]
            assert "raw_" not in native, f"{name} is not read natively from Parquet"
            pd.testing.assert_frame_equal(actual, expected, check_dtype=False, obj=name)

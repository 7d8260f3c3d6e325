"""`features.jsonio`: the text forms, the files, the forms hashes are taken of (which recorded
hashes depend on) and the conversions of data-frame values and parameters."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.jsonio import (
    canonical,
    dumps,
    jsonable,
    loads,
    plain,
    read_json,
    sha256,
    write_json,
)

VALUE = {"élève": [1.5, None, True], "a": {"z": 1, "b": "déjà"}}


def test_text_keeps_the_writers_key_order_and_escapes_only_when_asked() -> None:
    assert dumps(VALUE) == (
        '{"\\u00e9l\\u00e8ve": [1.5, null, true], "a": {"z": 1, "b": "d\\u00e9j\\u00e0"}}'
    )
    assert dumps(VALUE, ascii=False) == '{"élève": [1.5, null, true], "a": {"z": 1, "b": "déjà"}}'
    assert dumps({"a": [1]}, indent=1) == '{\n "a": [\n  1\n ]\n}'
    assert loads(dumps(VALUE, ascii=False)) == VALUE == loads(dumps(VALUE).encode())


def test_strict_text_refuses_what_standard_json_cannot_hold() -> None:
    assert dumps({"x": math.nan}) == '{"x": NaN}'
    with pytest.raises(ValueError, match="Out of range float"):
        dumps({"x": math.inf}, strict=True)
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"when": pd.Timestamp("2026-09-14")})
    assert dumps({"when": pd.Timestamp("2026-09-14")}, default=str) == (
        '{"when": "2026-09-14 00:00:00"}'
    )


def test_files_are_utf8_whatever_the_locale(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    write_json(path, VALUE, ascii=False)
    assert path.read_bytes().decode("utf-8") == json.dumps(VALUE, indent=2, ensure_ascii=False)
    assert read_json(path) == VALUE
    write_json(path, {"x": math.nan})
    assert read_json(path)["x"] != read_json(path)["x"]  # NaN written and read back
    with pytest.raises(ValueError):
        write_json(tmp_path / "strict.json", {"x": math.nan}, strict=True)
    assert not (tmp_path / "strict.json").exists()


def test_the_hashed_forms_are_the_recorded_ones() -> None:
    """Model hashes, extraction fingerprints, week fingerprints and the audit chain were
    recorded with these exact bytes: the forms must never change."""
    assert canonical(VALUE) == (
        '{"a":{"b":"d\\u00e9j\\u00e0","z":1},"\\u00e9l\\u00e8ve":[1.5,null,true]}'
    )
    assert canonical(VALUE, spaced=True) == json.dumps(VALUE, sort_keys=True)
    assert canonical(VALUE) == json.dumps(
        VALUE, sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    assert sha256(VALUE) == hashlib.sha256(canonical(VALUE).encode()).hexdigest()
    assert sha256(VALUE, spaced=True) != sha256(VALUE)
    assert sha256({"b": 1, "a": 2}) == sha256({"a": 2, "b": 1})
    assert canonical({"x": math.nan}, spaced=True) == '{"x": NaN}'
    with pytest.raises(ValueError):
        sha256({"x": math.nan})


def test_data_frame_values_become_json_data() -> None:
    assert jsonable(pd.Timestamp("2026-09-14 10:30")) == "2026-09-14"
    assert jsonable(np.int64(3)) == 3 and type(jsonable(np.int64(3))) is int
    assert jsonable(np.float32(0.5)) == 0.5 and type(jsonable(np.float32(0.5))) is float
    assert [jsonable(v) for v in (math.nan, np.float64(-np.inf), pd.NA)] == [None] * 3
    assert [jsonable(v) for v in ("a", None, True, [1])] == ["a", None, True, [1]]


def test_parameters_become_plain_data_to_hash() -> None:
    params = {"b": (np.int64(1), 2.5), "c": None, "a": {"y": object, "x": "z"}}
    assert plain(params) == {"a": {"x": "z", "y": "<class 'object'>"}, "b": [1, 2.5], "c": None}
    assert list(plain(params)) == ["a", "b", "c"] and list(plain(params)["a"]) == ["x", "y"]
    assert type(plain(params)["b"][0]) is int

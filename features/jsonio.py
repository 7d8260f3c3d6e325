"""JSON as Vigie writes, reads and hashes it: the one module every package takes it from.

- `dumps` / `loads`: JSON text, keys in the order the writer gives (reports order them for
  their reader). `ascii=False` keeps French accents readable; `strict=True` refuses NaN and
  infinities (standard JSON) instead of writing `NaN`; `default` writes other objects.
- `write_json` / `read_json`: the same in a file, always UTF-8.
- `file_sha256`: the hex SHA-256 of a file's bytes.
- `canonical` / `sha256`: the form a hash is taken of: keys sorted, ASCII, so that the same
  value always gives the same bytes. Compact and strict by default (the weekly lists'
  fingerprint, the audit chain); `spaced=True` is Python's default spacing with NaN allowed,
  the form of the identities recorded before this module (model hashes, extraction
  fingerprints). Recorded hashes depend on these bytes: neither form may change.
- `jsonable`: a value of a data frame as JSON data (explanations' records); `plain`:
  parameters as plain data to hash (a model's identity).

Depends on nothing of the project's, so any package may import it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "canonical",
    "dumps",
    "file_sha256",
    "jsonable",
    "jsonable_column",
    "loads",
    "plain",
    "read_json",
    "sha256",
    "write_json",
]


def dumps(
    value: Any,
    *,
    indent: int | None = None,
    ascii: bool = True,
    strict: bool = False,
    default: Callable[[Any], Any] | None = None,
) -> str:
    """`value` as JSON text, keys in their given order (see the module's docstring)."""
    return json.dumps(
        value, indent=indent, ensure_ascii=ascii, allow_nan=not strict, default=default
    )


def loads(text: str | bytes) -> Any:
    """The value of JSON `text`."""
    return json.loads(text)


def write_json(
    path: str | Path,
    value: Any,
    *,
    indent: int | None = 2,
    ascii: bool = True,
    strict: bool = False,
    default: Callable[[Any], Any] | None = None,
) -> None:
    """Write `value` to `path` as `dumps` writes it, in UTF-8."""
    text = dumps(value, indent=indent, ascii=ascii, strict=strict, default=default)
    Path(path).write_text(text, encoding="utf-8")


def read_json(path: str | Path) -> Any:
    """The value of the UTF-8 JSON file at `path`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def canonical(value: Any, *, spaced: bool = False) -> str:
    """`value` as JSON text to hash: keys sorted, ASCII only; compact and without NaN, or
    with `spaced`, Python's default separators and NaN allowed (the older identities)."""
    if spaced:
        return json.dumps(value, sort_keys=True)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def file_sha256(path: str | Path) -> str:
    """The hex SHA-256 of the bytes of the file at `path`."""
    with Path(path).open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def sha256(value: Any, *, spaced: bool = False) -> str:
    """The hex SHA-256 of `canonical(value, spaced=spaced)`."""
    return hashlib.sha256(canonical(value, spaced=spaced).encode("ascii")).hexdigest()


def jsonable(value: Any) -> Any:
    """A value of a data frame as JSON data: a timestamp as its ISO date, a NumPy scalar as
    Python's, NaN, infinities and pandas' NA as None; anything else as it is."""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is pd.NA:
        return None
    return value


def jsonable_column(column: pd.Series) -> list[Any]:
    """`jsonable` of each value of `column`, in order: a float column converted at once
    (NaN and infinities as None), a text column at once (missing text as None), any other
    value by value."""
    if column.dtype.kind == "f":
        array = column.to_numpy(dtype="float64", na_value=np.nan)
        missing = ~np.isfinite(array)
    elif isinstance(column.dtype, pd.StringDtype):
        array, missing = column.to_numpy(dtype=object), column.isna().to_numpy()
    else:
        return [jsonable(value) for value in column.astype(object).tolist()]
    values: list[Any] = array.tolist()
    for position in np.flatnonzero(missing).tolist():
        values[position] = None
    return values


def plain(value: Any) -> Any:
    """Parameters as plain data to hash: mappings with string keys in sorted order, tuples as
    lists, NumPy scalars as Python's, and any other object by its `repr`."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return repr(value)

"""Feature jobs with their I/O edges: validate an extraction, build, write atomically."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from features.builder import (
    DEFAULT_ROWS_PER_QUERY,
    FeatureSet,
    build_features,
    iter_feature_tables,
)
from features.store import write_feature_tables, write_features
from features.validation import ValidationReport, require_valid

__all__ = [
    "ValidFeatures",
    "WrittenFeatures",
    "build_feature_file",
    "build_valid_features",
    "stream_feature_file",
    "validate_and_build",
]


@dataclass(frozen=True)
class ValidFeatures:
    """Features built from an extraction, with the validation report that let them through."""

    feature_set: FeatureSet
    report: ValidationReport


def validate_and_build(data: str | Path, as_of_dates: Sequence[dt.date]) -> ValidFeatures:
    """Validate the extraction (raising `InvalidExtractionError` on any broken rule), then
    build the as-of features with the one feature builder; keep the report."""
    if not as_of_dates:
        raise ValueError("at least one as-of date is needed")
    with require_valid(data) as extraction:
        feature_set = build_features(extraction, list(as_of_dates))
        assert extraction.report is not None  # set by require_valid
        return ValidFeatures(feature_set, extraction.report)


def build_valid_features(data: str | Path, as_of_dates: Sequence[dt.date]) -> FeatureSet:
    """The features of a valid extraction (`InvalidExtractionError` otherwise)."""
    return validate_and_build(data, as_of_dates).feature_set


def build_feature_file(
    data: str | Path, as_of_dates: Sequence[dt.date], out: str | Path
) -> ValidFeatures:
    """Validate, build and write the features to `out` (Parquet). Nothing is written when the
    extraction is invalid, and a failure while writing leaves no partial file."""
    out = Path(out)
    if out.suffix != ".parquet":
        raise ValueError(f"the feature file must end in .parquet, not {out.name!r}")
    result = validate_and_build(data, as_of_dates)
    write_features(result.feature_set, out)
    return result


@dataclass(frozen=True)
class WrittenFeatures:
    """A feature file written batch by batch: where, how many rows, and the validation report
    that let the extraction through."""

    path: Path
    rows: int
    report: ValidationReport


def stream_feature_file(
    data: str | Path,
    as_of_dates: Sequence[dt.date],
    out: str | Path,
    rows_per_query: int = DEFAULT_ROWS_PER_QUERY,
    progress: Callable[[int], None] | None = None,
) -> WrittenFeatures:
    """As `build_feature_file`, for many as-of dates: the rows go to `out` one query of
    consecutive dates at a time (`features.builder.iter_feature_tables`, Arrow straight to
    Parquet), so that memory holds one batch, never the whole file. Nothing is written when
    the extraction is invalid, and a failure leaves no partial file. `progress` is told how
    many dates each query computed."""
    out = Path(out)
    if out.suffix != ".parquet":
        raise ValueError(f"the feature file must end in .parquet, not {out.name!r}")
    if not as_of_dates:
        raise ValueError("at least one as-of date is needed")
    with require_valid(data) as extraction:
        # Closed at once on an error, not when the error's traceback is collected: the
        # queries' thread stops and the builder's cursor closes before the extraction does.
        with closing(
            iter_feature_tables(extraction, list(as_of_dates), rows_per_query, progress)
        ) as batches:
            rows = write_feature_tables(batches, out)
        assert extraction.report is not None  # set by require_valid
        return WrittenFeatures(out, rows, extraction.report)

"""A small synthetic académie's snapshots, split into a training year and a later held-out
year, shared by the model tests (built once per session)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from features.extraction import open_extraction
from features.synth import synthesize
from training.snapshots import build_snapshots, snapshot_dates


@dataclass(frozen=True)
class Years:
    train: pd.DataFrame
    held_out: pd.DataFrame


@pytest.fixture(scope="session")
def years(tmp_path_factory: pytest.TempPathFactory) -> Years:
    out: Path = tmp_path_factory.mktemp("models") / "extraction"
    synthesize(out, establishments=6, students=1500, years=4, seed=9, file_format="parquet")
    dates = snapshot_dates("2023-2024", "monthly") + snapshot_dates("2025-2026", "monthly")
    with open_extraction(out) as extraction:
        frame = build_snapshots(extraction, dates)
    frame = frame[frame["label_dropped_out"].notna()]
    return Years(
        frame[frame["school_year"] == "2023-2024"].reset_index(drop=True),
        frame[frame["school_year"] == "2025-2026"].reset_index(drop=True),
    )

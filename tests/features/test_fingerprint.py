"""The event tables' fingerprints up to several dates, computed in one scan, are those of
each date alone (`features.incremental.fingerprint.event_fingerprints`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from features.extraction import open_extraction
from features.incremental.fingerprint import event_fingerprints
from features.incremental.state import TableState
from tests.features.conftest import write_extraction
from tests.features.test_incremental import school_change_academie

D = dt.date


def test_fingerprints_of_several_dates_are_each_dates_own(tmp_path: Path) -> None:
    folder = write_extraction(tmp_path / "extraction", school_change_academie())
    dates = (D(2025, 3, 10), D(2024, 11, 18), D(2025, 1, 13), D(2024, 11, 18))
    with open_extraction(folder) as extraction:
        for table in ("attendance", "grades"):
            together = event_fingerprints(extraction, table, dates)
            alone = [event_fingerprints(extraction, table, (date,))[0] for date in dates]
            assert together == alone, table
            # Rows are dated through the year: each later date holds more of them.
            counts = {date: state.rows for date, state in zip(dates, together, strict=True)}
            assert 0 < counts[D(2024, 11, 18)] < counts[D(2025, 1, 13)] < counts[D(2025, 3, 10)]
            before_any = event_fingerprints(extraction, table, (D(2000, 1, 3),))
            assert before_any == [TableState(0, "0")]

"""Outcomes: whether each student dropped out during a school year, and when it was known.

A dropout becomes known some days after the exit (0-60 by default); any other outcome is
known in early October of the next school year, once the rentrée has shown who came back.
Only outcomes known before the extraction date are written, so the cut year holds only the
dropouts already known.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.synth import codes as c
from features.synth.config import SynthConfig
from features.synth.enrollments import Segments
from features.synth.timeline import YearTimeline, day_number, month_day

__all__ = ["OutcomeRows", "draw_outcomes"]


@dataclass(frozen=True)
class OutcomeRows:
    student: np.ndarray  # int64
    year: np.ndarray  # int16 index of the school year
    dropped_out: np.ndarray  # bool
    known_on: np.ndarray  # int32


def draw_outcomes(
    rng: np.random.Generator,
    segments: Segments,
    timeline: YearTimeline,
    extraction_day: int,
    config: SynthConfig,
) -> OutcomeRows:
    """One row per student enrolled during the year, if known before the extraction."""
    settings = config.outcomes
    order = np.lexsort((segments.start, segments.student))
    student = segments.student[order]
    last = np.r_[student[1:] != student[:-1], True] if len(student) else student.astype(bool)
    student = student[last]
    exit_code = segments.exit[order][last]
    end = segments.end[order][last].astype(np.int64)
    dropped = exit_code == c.DROPPED_OUT
    next_year = f"{int(timeline.school_year[:4]) + 1}-{int(timeline.school_year[:4]) + 2}"
    first, final = (day_number(month_day(next_year, text)) for text in settings.others_known_window)
    others = first + rng.integers(0, final - first + 1, len(student))
    lag = rng.integers(0, settings.dropout_known_lag_days + 1, len(student))
    known_on = np.where(dropped, end + lag, others)
    known = known_on < extraction_day
    return OutcomeRows(
        student[known],
        np.full(int(known.sum()), timeline.index, dtype=np.int16),
        dropped[known],
        known_on[known].astype(np.int32),
    )

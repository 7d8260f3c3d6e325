"""Changes of establishment during the year: transfers within the académie and departures.

A transfer ends the enrollment with exit reason `transferred` and opens a new one in another
establishment teaching the same level, a few class days later; a departure from the
académie ends it with `transferred` and nothing follows. Dropouts leave on their exit day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.synth import codes as c
from features.synth.config import SynthConfig
from features.synth.establishments import Establishments
from features.synth.latent import Fate
from features.synth.roster import Roster, choose_establishments
from features.synth.timeline import NEVER, YearTimeline

__all__ = ["Movements", "draw_movements", "random_class_days"]


@dataclass(frozen=True)
class Movements:
    """Per roster row: the in-year exit (any reason) and an optional transfer."""

    leave_day: np.ndarray  # int32, NEVER if the student stays until the end of the year
    leave_reason: np.ndarray  # int8 exit code, NO_EXIT if none
    transfer_day: np.ndarray  # int32 last day in the first establishment, NEVER if none
    transfer_uai: np.ndarray  # int32 establishment after the transfer, -1 if none
    transfer_start: np.ndarray  # int32 first day in the new establishment, NEVER if none


def random_class_days(
    rng: np.random.Generator, timeline: YearTimeline, first: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """A class day in [first, last] for each row, NEVER where there is none."""
    days = timeline.class_days
    low = np.searchsorted(days, first, side="left")
    high = np.searchsorted(days, last, side="right")
    index = low + np.floor(rng.random(len(low)) * np.maximum(high - low, 0)).astype(np.int64)
    return np.where(high > low, days[np.minimum(index, len(days) - 1)], NEVER).astype(np.int32)


def draw_movements(
    rng: np.random.Generator,
    roster: Roster,
    fate: Fate,
    establishments: Establishments,
    timeline: YearTimeline,
    config: SynthConfig,
) -> Movements:
    progression = config.progression
    count = len(roster)
    first = np.maximum(roster.arrive, timeline.rentree) + 5
    last = np.full(count, timeline.last_class_day - 5)

    leave_day = fate.exit_day.copy()
    leave_reason = np.where(leave_day != NEVER, c.DROPPED_OUT, c.NO_EXIT).astype(np.int8)
    moving_out = ~fate.dropout & (rng.random(count) < progression.move_out_in_year)
    out_day = random_class_days(rng, timeline, first, last)
    moving_out &= out_day != NEVER
    leave_day[moving_out] = out_day[moving_out]
    leave_reason[moving_out] = c.TRANSFERRED

    transfer_day = random_class_days(rng, timeline, first, last)
    candidate = (
        ~moving_out
        & (rng.random(count) < progression.transfer_in_year)
        & (transfer_day != NEVER)
        & (transfer_day.astype(np.int64) < leave_day.astype(np.int64) - 7)
    )
    rows = np.flatnonzero(candidate)
    target = choose_establishments(
        rng,
        establishments,
        roster.level[rows],
        roster.uai[rows],
        True,
        progression.same_department_weight,
    )
    days = timeline.class_days
    gap = rng.integers(0, progression.transfer_gap_class_days + 1, len(rows))
    start_index = np.searchsorted(days, transfer_day[rows], side="right") + gap
    start = days[np.minimum(start_index, len(days) - 1)]
    end = np.minimum(leave_day[rows].astype(np.int64), timeline.last_class_day)
    keep = (target >= 0) & (start_index < len(days)) & (start < end)
    rows, target, start = rows[keep], target[keep], start[keep]

    transfer_uai = np.full(count, -1, dtype=np.int32)
    transfer_start = np.full(count, NEVER, dtype=np.int32)
    moved = np.full(count, NEVER, dtype=np.int32)
    transfer_uai[rows] = target
    transfer_start[rows] = start
    moved[rows] = transfer_day[rows]
    return Movements(leave_day, leave_reason, moved, transfer_uai, transfer_start)

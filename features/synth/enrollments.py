"""Enrollment segments: one per student and establishment within a school year.

A roster row gives one segment, or two when the student changes establishment during the
year. Segments carry the dates events may fall on, the exit reason and the class. In the
cut (last) year, segments starting on or after the extraction date are dropped and those
still running then are open: no end date, no exit reason.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from features.synth import codes as c
from features.synth.config import SynthConfig
from features.synth.movements import Movements
from features.synth.roster import Roster
from features.synth.timeline import NEVER, YearTimeline

__all__ = ["Segments", "build_segments", "class_labels"]


@dataclass(frozen=True)
class Segments:
    row: np.ndarray  # int64 roster row of the year
    student: np.ndarray  # int64
    uai: np.ndarray  # int32
    level: np.ndarray  # int8
    track: np.ndarray  # int8
    start: np.ndarray  # int32 first day
    end: np.ndarray  # int32 last day, NEVER while open
    exit: np.ndarray  # int8 exit code, NO_EXIT while open
    until: np.ndarray  # int32 last day an event may fall on (end, or the day before the cut)
    class_index: np.ndarray  # int16 class within (establishment, level, track)

    def __len__(self) -> int:
        return len(self.row)

    def take(self, index: np.ndarray) -> Segments:
        return Segments(**{field.name: getattr(self, field.name)[index] for field in fields(self)})


def build_segments(
    rng: np.random.Generator,
    roster: Roster,
    movements: Movements,
    year_end_exit: np.ndarray,
    timeline: YearTimeline,
    config: SynthConfig,
) -> Segments:
    """Segments of the year; `year_end_exit` is the exit code of rows present at the end."""
    count = len(roster)
    leaves = movements.leave_day != NEVER
    final_end = np.where(leaves, movements.leave_day, timeline.last_day)
    final_exit = np.where(leaves, movements.leave_reason, year_end_exit)
    moved = np.flatnonzero(movements.transfer_uai >= 0)
    row = np.concatenate([np.arange(count), moved])
    start = np.concatenate([roster.arrive, movements.transfer_start[moved]])
    end = np.concatenate([
        np.where(movements.transfer_uai >= 0, movements.transfer_day, final_end),
        final_end[moved],
    ])  # fmt: skip
    exit_code = np.concatenate([
        np.where(movements.transfer_uai >= 0, c.TRANSFERRED, final_exit), final_exit[moved]
    ])  # fmt: skip
    uai = np.concatenate([roster.uai, movements.transfer_uai[moved]])

    keep = start < timeline.horizon
    row, start, end, exit_code, uai = row[keep], start[keep], end[keep], exit_code[keep], uai[keep]
    still_open = end >= timeline.horizon
    if not timeline.is_cut and (exit_code[~still_open] == c.NO_EXIT).any():
        raise AssertionError("a closed enrollment has no exit reason")
    end = np.where(still_open, NEVER, end).astype(np.int32)
    exit_code = np.where(still_open, c.NO_EXIT, exit_code).astype(np.int8)
    until = np.where(still_open, timeline.horizon - 1, end).astype(np.int32)
    level, track = roster.level[row], roster.track[row]
    classes = _class_index(rng, uai, level, track, config)
    return Segments(
        row.astype(np.int64),
        roster.student[row],
        uai.astype(np.int32),
        level,
        track,
        start.astype(np.int32),
        end,
        exit_code,
        until,
        classes,
    )


def _class_index(
    rng: np.random.Generator,
    uai: np.ndarray,
    level: np.ndarray,
    track: np.ndarray,
    config: SynthConfig,
) -> np.ndarray:
    """Split each (establishment, level, track) into as few classes as keep every class
    within the tolerance above the usual size, in a random order (students arriving during
    the year land in a random class)."""
    key = (uai.astype(np.int64) * len(c.LEVELS) + level) * len(c.TRACKS) + track
    order = np.lexsort((rng.random(len(key)), key))
    _, first, inverse, size = np.unique(
        key[order], return_index=True, return_inverse=True, return_counts=True
    )
    rank = np.arange(len(key)) - first[inverse]
    class_size = np.array([config.establishment_profile.class_size[name] for name in c.TRACKS])
    tolerance = config.establishment_profile.class_size_tolerance
    largest = np.maximum(np.floor(class_size * (1 + tolerance)), 1)
    classes = np.maximum(1, np.ceil(size[inverse] / largest[track[order]])).astype(np.int64)
    index = np.empty(len(key), dtype=np.int16)
    index[order] = rank * classes // size[inverse]
    return index


def _letters(index: int) -> str:
    text = ""
    index += 1
    while index > 0:
        index, remainder = divmod(index - 1, 26)
        text = chr(ord("A") + remainder) + text
    return text


def class_labels(level: np.ndarray, track: np.ndarray, class_index: np.ndarray) -> np.ndarray:
    """ "3eB", "1ereTA", "2ndeProC": the level's prefix and a letter per class."""
    key = (level.astype(np.int64) * len(c.TRACKS) + track) * 10_000 + class_index
    unique, inverse = np.unique(key, return_inverse=True)
    vocabulary = np.array(
        [
            c.CLASS_PREFIX[(int(k // 10_000 // len(c.TRACKS)), int(k // 10_000 % len(c.TRACKS)))]
            + _letters(int(k % 10_000))
            for k in unique
        ],
        dtype=object,
    )
    return vocabulary[inverse]

"""Exams: the DNB, CAP and bac at the end of the year, and mock exams in winter.

Scores follow ability and fall with disengagement; for each final exam the pass mark is
placed so that the share passing matches the published rate (FACTS.md) among those who sit
it. Disengaged students are more often absent. Mock exams (brevet blanc, bac blanc) are held
on one date per establishment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

import numpy as np

from features.synth import codes as c
from features.synth.config import SynthConfig
from features.synth.enrollments import Segments
from features.synth.latent import Trajectory
from features.synth.population import Students
from features.synth.roster import Roster
from features.synth.sections import Exam
from features.synth.timeline import YearTimeline, day_number, month_day

__all__ = ["ExamRows", "final_exams", "mock_exams"]


@dataclass(frozen=True)
class ExamRows:
    student: np.ndarray  # int64
    day: np.ndarray  # int32
    exam: np.ndarray  # int8 exam code
    result: np.ndarray  # int8 result code
    score: np.ndarray  # float64, NaN when absent

    @staticmethod
    def concat(parts: list[ExamRows]) -> ExamRows:
        return ExamRows(
            *(
                np.concatenate([getattr(p, name) for p in parts])
                for name in ("student", "day", "exam", "result", "score")
            )
        )


def _result_day(timeline: YearTimeline, text: str) -> int:
    day = month_day(timeline.school_year, text)
    while day.weekday() >= 5:  # results are published on a weekday
        day += dt.timedelta(days=1)
    return day_number(day)


def _absent(rng: np.random.Generator, intensity: np.ndarray, config: SynthConfig) -> np.ndarray:
    settings = config.exams
    return rng.random(len(intensity)) < settings.absent_base + settings.absent_at_peak * intensity


def final_exams(
    rng: np.random.Generator,
    roster: Roster,
    present: np.ndarray,
    trajectory: Trajectory,
    students: Students,
    timeline: YearTimeline,
    config: SynthConfig,
) -> tuple[np.ndarray, ExamRows]:
    """Final exams of the rows `present` at the end of the year; returns whether each row
    passed (False where no exam) and the exam rows (the result date may fall after the
    extraction date: the writer drops those)."""
    settings = config.exams
    passed = np.zeros(len(roster), dtype=bool)
    parts = []
    for (level, track), exam in c.EXAM_OF_FINAL.items():
        rows = np.flatnonzero(present & (roster.level == level) & (roster.track == track))
        name = cast("Exam", c.EXAMS[exam])  # a final exam: one of the configured ones
        intensity = trajectory.at(rows, timeline.last_class_day)
        performance = (
            settings.ability_slope * students.ability[roster.student[rows]]
            + rng.normal(0, settings.noise_sd, len(rows))
            - settings.disengagement_penalty * intensity
        )
        absent = _absent(rng, intensity, config)
        sitting = performance[~absent]
        # the published rate counts absentees as not passing
        among_sitting = min(settings.pass_rate[name] * len(rows) / max(len(sitting), 1), 1.0)
        shift = 10 - np.quantile(sitting, 1 - among_sitting) if len(sitting) else 10
        score = np.round(np.clip(performance + shift, 0, 20), 2)
        result = np.where(absent, c.ABSENT, np.where(score >= 10, c.PASS, c.FAIL))
        passed[rows] = result == c.PASS
        parts.append(ExamRows(
            roster.student[rows],
            np.full(len(rows), _result_day(timeline, settings.result_day[name]), dtype=np.int32),
            np.full(len(rows), exam, dtype=np.int8),
            result.astype(np.int8),
            np.where(absent, np.nan, score),
        ))  # fmt: skip
    return passed, ExamRows.concat(parts)


def mock_exams(
    rng: np.random.Generator,
    segments: Segments,
    trajectory: Trajectory,
    students: Students,
    timeline: YearTimeline,
    establishment_count: int,
    config: SynthConfig,
) -> ExamRows:
    """Mock exams of the segments enrolled on their establishment's mock date."""
    settings = config.exams
    parts = []
    mock = c.EXAM_INDEX["mock"]
    for session in config.exams.mocks:
        first, last = (timeline.day_of(text) for text in session.window)
        window = timeline.class_days[(timeline.class_days >= first) & (timeline.class_days <= last)]
        if len(window) == 0:
            continue
        date = window[rng.integers(0, len(window), establishment_count)]
        levels = [c.LEVEL_INDEX[name] for name in session.levels]
        day = date[segments.uai]
        rows = np.flatnonzero(
            np.isin(segments.level, levels)
            & (segments.start <= day)
            & (day <= segments.until)
            & (day < timeline.horizon)
        )
        day = day[rows]
        intensity = trajectory.at(segments.row[rows], day)
        score = np.round(np.clip(
            settings.mock_mean
            + settings.ability_slope * students.ability[segments.student[rows]]
            + rng.normal(0, settings.mock_noise_sd, len(rows))
            - settings.disengagement_penalty * intensity,
            0, 20,
        ), 2)  # fmt: skip
        absent = _absent(rng, intensity, config)
        result = np.where(absent, c.ABSENT, np.where(score >= 10, c.PASS, c.FAIL))
        parts.append(ExamRows(
            segments.student[rows], day.astype(np.int32), np.full(len(rows), mock, np.int8),
            result.astype(np.int8), np.where(absent, np.nan, score),
        ))  # fmt: skip
    if not parts:
        empty = np.zeros(0)
        return ExamRows(
            empty.astype(np.int64),
            empty.astype(np.int32),
            empty.astype(np.int8),
            empty.astype(np.int8),
            empty,
        )
    return ExamRows.concat(parts)

"""Marks: assessments set to a whole class on one day, per subject and trimester.

Each class gets, per subject and period, a few assessments (dated on class days, some marked
on 10, with a coefficient of 1-3); every student enrolled in the class that day gets a mark.
Marks follow the student's ability and strength in the subject, vary by assessment, fall
with disengagement, and go missing more often when the student disengages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.synth import codes as c
from features.synth.config import SynthConfig
from features.synth.enrollments import Segments
from features.synth.latent import Trajectory
from features.synth.population import Students
from features.synth.timeline import YearTimeline

__all__ = ["GradeRows", "draw_grades", "subject_vocabulary"]


@dataclass(frozen=True)
class GradeRows:
    student: np.ndarray  # int64
    day: np.ndarray  # int32
    subject: np.ndarray  # int16 index into the subject vocabulary
    value: np.ndarray  # float64
    out_of: np.ndarray  # float64
    coefficient: np.ndarray  # float64
    period: np.ndarray  # int8


def subject_vocabulary(config: SynthConfig) -> tuple[str, ...]:
    """Every subject name, sorted (the code of a subject is its position)."""
    return tuple(sorted({name for track in config.grades.subjects.values() for name in track}))


def _period_days(timeline: YearTimeline, config: SynthConfig) -> list[np.ndarray]:
    days = timeline.class_days
    first = timeline.rentree + config.grades.first_marks_after_days
    days = days[(days >= first) & (days < timeline.marks_end) & (days < timeline.horizon)]
    second, third = timeline.period_starts
    return [days[days < second], days[(days >= second) & (days < third)], days[days >= third]]


def draw_grades(
    rng: np.random.Generator,
    segments: Segments,
    trajectory: Trajectory,
    students: Students,
    timeline: YearTimeline,
    config: SynthConfig,
) -> GradeRows:
    settings = config.grades
    vocabulary = subject_vocabulary(config)
    periods = _period_days(timeline, config)
    coefficient_values = np.array([float(key) for key in settings.coefficients])
    coefficient_shares = np.array(list(settings.coefficients.values()))
    class_key = (
        (segments.uai.astype(np.int64) * len(c.LEVELS) + segments.level) * len(c.TRACKS)
        + segments.track
    ) * 10_000 + segments.class_index
    parts: list[tuple[np.ndarray, ...]] = []
    for track, track_name in enumerate(c.TRACKS):
        for subject, marks in settings.subjects[track_name].items():
            allowed = settings.subject_levels.get(subject)
            levels = [c.LEVEL_INDEX[name] for name in allowed] if allowed else range(len(c.LEVELS))
            members = np.flatnonzero((segments.track == track) & np.isin(segments.level, levels))
            if len(members) == 0 or marks == 0:
                continue
            classes, class_of = np.unique(class_key[members], return_inverse=True)
            strength = rng.normal(0, settings.subject_sd, len(members))
            base = (
                settings.mean[track_name]
                + settings.ability_slope * students.ability[segments.student[members]]
                + strength
            )
            for period, days in enumerate(periods, start=1):
                if len(days) == 0:
                    continue
                dates = np.sort(days[rng.integers(0, len(days), (len(classes), marks))], axis=1)
                difficulty = rng.normal(0, settings.assessment_sd, (len(classes), marks))
                out_of = np.where(
                    rng.random((len(classes), marks)) < settings.out_of_10_share, 10.0, 20.0
                )
                coefficient = coefficient_values[
                    rng.choice(len(coefficient_values), (len(classes), marks), p=coefficient_shares)
                ]
                seg = np.repeat(members, marks)
                local = np.repeat(np.arange(len(members)), marks)
                slot = np.tile(np.arange(marks), len(members))
                klass = class_of[local]
                day = dates[klass, slot]
                inside = (segments.start[seg] <= day) & (day <= segments.until[seg])
                seg, local, day, klass, slot = (a[inside] for a in (seg, local, day, klass, slot))
                intensity = trajectory.at(segments.row[seg], day)
                kept = rng.random(len(seg)) >= settings.missing_at_peak * intensity
                seg, local, day, klass, slot, intensity = (
                    a[kept] for a in (seg, local, day, klass, slot, intensity)
                )
                on_20 = np.clip(
                    base[local]
                    + difficulty[klass, slot]
                    + rng.normal(0, settings.noise_sd, len(seg))
                    - settings.disengagement_drop * intensity,
                    0, 20,
                )  # fmt: skip
                scale = out_of[klass, slot]
                value = np.round(on_20 * scale / 20 * 2) / 2
                parts.append((
                    segments.student[seg], day.astype(np.int32),
                    np.full(len(seg), vocabulary.index(subject), dtype=np.int16),
                    value, scale, coefficient[klass, slot],
                    np.full(len(seg), period, dtype=np.int8),
                ))  # fmt: skip
    if not parts:
        empty = np.zeros(0)
        return GradeRows(
            empty.astype(np.int64),
            empty.astype(np.int32),
            empty.astype(np.int16),
            empty,
            empty,
            empty,
            empty.astype(np.int8),
        )
    return GradeRows(*(np.concatenate([part[i] for part in parts]) for i in range(7)))

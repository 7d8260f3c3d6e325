"""Attendance: absences by half-day (justified or not) and late arrivals, on class days only.

Each student has a baseline propensity to be absent without justification (heavy-tailed:
few students hold most absences), shaped by the track (vocational much higher), the
establishment (a few establishments concentrate absenteeism) and the student's dropout risk;
it follows the season (low in September, peak in March). Justified absences come in illness
episodes of a few days and single half-day appointments. Disengagement adds unjustified
absences and late arrivals. Collèges have no class on Wednesday afternoon.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.synth import codes as c
from features.synth.config import SynthConfig
from features.synth.enrollments import Segments
from features.synth.establishments import Establishments
from features.synth.latent import Fate
from features.synth.population import Students
from features.synth.probes import late_proxy_factor
from features.synth.timeline import YearTimeline

__all__ = ["REASONS", "AttendanceRows", "draw_attendance"]

REASONS: tuple[str, ...] = ("health", "appointment", "family", "transport")
HEALTH, APPOINTMENT, FAMILY, TRANSPORT = range(4)
NO_REASON = -1
ABSENCE, LATE = 0, 1


@dataclass(frozen=True)
class AttendanceRows:
    student: np.ndarray  # int64
    day: np.ndarray  # int32
    half_day: np.ndarray  # int8: 0 am, 1 pm
    kind: np.ndarray  # int8: 0 absence, 1 late
    justified: np.ndarray  # bool
    reason: np.ndarray  # int8 index into REASONS, -1 for none


def _month_table(values: dict[int, float]) -> np.ndarray:
    table = np.ones(13)
    for month, value in values.items():
        table[month] = value
    return table


def _base_rates(
    segments: Segments,
    fate: Fate,
    students: Students,
    establishments: Establishments,
    config: SynthConfig,
) -> tuple[np.ndarray, ...]:
    settings = config.attendance
    index = segments.student
    track_names = c.TRACKS
    risk = fate.risk[segments.row]
    loading = np.exp(settings.risk_loading * (risk - risk.mean())) if len(risk) else risk
    loading = loading / loading.mean() if len(loading) else loading
    unjustified = (
        np.array([settings.unjustified_rate[name] for name in track_names])[segments.track]
        * establishments.absence_multiplier[segments.uai]
        * students.unjustified_propensity[index]
        * loading
    )
    justified = students.justified_propensity[index]
    late = (
        np.array([settings.late_rate[name] for name in track_names])[segments.track]
        * students.late_propensity[index]
    )
    proxy = late_proxy_factor(students, index, config)
    if proxy is not None:
        late = late * proxy
    return unjustified, justified, late


def draw_attendance(
    rng: np.random.Generator,
    segments: Segments,
    fate: Fate,
    students: Students,
    establishments: Establishments,
    timeline: YearTimeline,
    config: SynthConfig,
) -> AttendanceRows:
    """Attendance rows of the year's segments, one class day at a time."""
    settings = config.attendance
    engage = settings.disengagement
    unjustified, justified, late = _base_rates(segments, fate, students, establishments, config)
    season_u = _month_table(settings.seasonality_unjustified)
    season_j = _month_table(settings.seasonality_justified)
    college = establishments.kind[segments.uai] == c.COLLEGE
    illness_left = np.zeros(len(segments), dtype=np.int16)
    disengaging = fate.trajectory.peak[segments.row] > 0
    whole = settings.whole_day_share
    late_factor = (settings.late_morning_factor, max(2 - settings.late_morning_factor, 0.0))
    parts: list[tuple[np.ndarray, ...]] = []
    days = timeline.class_days
    for position in np.flatnonzero(days < timeline.horizon):
        day, month = int(days[position]), int(timeline.months[position])
        active = np.flatnonzero((segments.start <= day) & (day <= segments.until))
        if len(active) == 0:
            continue
        draws = rng.random((9, len(active)))
        intensity = np.zeros(len(active))
        engaged = np.flatnonzero(disengaging[active])
        intensity[engaged] = fate.trajectory.at(segments.row[active[engaged]], day)
        has_pm = ~college[active] | bool(timeline.college_class_pm[position])

        starts = (illness_left[active] == 0) & (
            draws[0] < settings.illness_start_rate * season_j[month] * justified[active]
        )
        length = rng.geometric(1 / settings.illness_mean_days, int(starts.sum()))
        illness_left[active[starts]] = length
        ill = illness_left[active] > 0
        illness_left[active[ill]] -= 1

        p_unjustified = np.minimum(
            unjustified[active] * season_u[month] + engage.unjustified * intensity, 0.95
        )
        whole_day = draws[1] < p_unjustified * whole
        p_single = p_unjustified * (1 - whole)
        p_appointment = settings.appointment_rate * justified[active] + engage.justified * intensity
        p_late = late[active] + engage.late * intensity
        for half, pm in enumerate((False, True)):
            offset = 2 + 3 * half
            taught = has_pm if pm else np.ones(len(active), dtype=bool)
            excused = taught & (ill | (draws[offset] < p_appointment))
            absent = taught & ~excused & (whole_day | (draws[offset + 1] < p_single))
            arrives_late = (
                taught & ~excused & ~absent
                & (draws[offset + 2] < p_late * late_factor[half])
            )  # fmt: skip
            reason = np.where(
                ill,
                HEALTH,
                np.where(
                    draws[offset] < p_appointment * settings.family_share, FAMILY, APPOINTMENT
                ),
            )
            late_justified = draws[8] < settings.late_justified_share
            for mask, kind, is_justified, why in (
                (excused, ABSENCE, True, reason),
                (absent, ABSENCE, False, np.full(len(active), NO_REASON)),
                (
                    arrives_late,
                    LATE,
                    late_justified,
                    np.where(late_justified, TRANSPORT, NO_REASON),
                ),
            ):
                chosen = np.flatnonzero(mask)
                flag = is_justified if isinstance(is_justified, bool) else is_justified[chosen]
                parts.append((
                    segments.student[active[chosen]],
                    np.full(len(chosen), day, dtype=np.int32),
                    np.full(len(chosen), half, dtype=np.int8),
                    np.full(len(chosen), kind, dtype=np.int8),
                    np.broadcast_to(flag, (len(chosen),)).astype(bool),
                    why[chosen].astype(np.int8),
                ))  # fmt: skip
    if not parts:
        return AttendanceRows(
            *(np.zeros(0, dtype=t) for t in (np.int64, np.int32, np.int8, np.int8, bool, np.int8))
        )
    return AttendanceRows(*(np.concatenate([part[i] for part in parts]) for i in range(6)))

"""The latent disengagement process: who drops out, when, and how it shows beforehand.

Each student-year gets a dropout risk (log-odds) from the student's attributes, the
establishment's priority zone and hidden heterogeneity; the intercept of each level is set so
that the level's dropout rate matches the configuration. Dropouts get a disengagement
trajectory that rises over weeks to months before the exit (most of them) or only days (the
"silent" ones); some students who do not drop out go through an episode of disengagement and
recover (false alarms). Attendance, marks and exams read the trajectory's intensity (0-1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.synth import codes as c
from features.synth.config import SynthConfig
from features.synth.establishments import Establishments
from features.synth.population import Students
from features.synth.roster import Roster
from features.synth.streams import calibrate_intercept, sigmoid
from features.synth.timeline import NEVER, YearTimeline

__all__ = ["Fate", "Trajectory", "draw_fate", "risk_score", "years_behind"]


@dataclass(frozen=True)
class Trajectory:
    """Disengagement intensity per roster row: rises from `onset` to `peak` at `top`
    (as a power `rise` of the elapsed share), then falls back to 0 at `off`."""

    onset: np.ndarray
    top: np.ndarray
    off: np.ndarray
    peak: np.ndarray
    rise: np.ndarray

    def at(self, rows: np.ndarray, days: np.ndarray | int) -> np.ndarray:
        onset, top = self.onset[rows], self.top[rows]
        rising = np.clip((days - onset) / np.maximum(top - onset, 1), 0, 1) ** self.rise[rows]
        falling = np.clip((self.off[rows] - days) / np.maximum(self.off[rows] - top, 1), 0, 1)
        return self.peak[rows] * np.where(days <= top, rising, falling)


@dataclass(frozen=True)
class Fate:
    """What happens to each roster row during the year, before any change of establishment."""

    risk: np.ndarray  # log-odds of dropout, without the level's intercept
    dropout: np.ndarray  # bool: the year's outcome is dropped_out
    year_end: np.ndarray  # bool: drops out by not coming back after the summer
    exit_day: np.ndarray  # int32: last day of an in-year dropout (NEVER otherwise)
    trajectory: Trajectory
    probability: np.ndarray | None = None  # the year's dropout probability, intercept included


def years_behind(students: Students, roster: Roster, rentree_year: int) -> np.ndarray:
    """Years behind the normal age for the level (0 if on time or ahead)."""
    birth_year = (
        students.birth_day[roster.student]
        .astype("datetime64[D]")
        .astype("datetime64[Y]")
        .astype(np.int64)
        + 1970
    )
    normal = rentree_year - c.ENTRY_AGE[roster.level]
    return np.clip(normal - birth_year, 0, 3)


def risk_score(
    rng: np.random.Generator,
    roster: Roster,
    students: Students,
    establishments: Establishments,
    config: SynthConfig,
    rentree_year: int,
) -> np.ndarray:
    """Log-odds of dropping out this year, up to the level's intercept."""
    odds = config.dropout.odds_ratios
    index = roster.student
    pcs = np.log([getattr(odds, name) for name in c.PCS])[students.pcs[index]]
    zone = np.log([1.0, odds.rep, odds.rep_plus])[establishments.zone[roster.uai]]
    return (
        np.log(odds.male) * students.male[index]
        + np.log(odds.scholarship) * (students.scholarship[index] > 0)
        + pcs
        + zone
        + np.log(odds.ability_per_sd) * students.ability[index]
        + np.log(odds.per_year_behind) * years_behind(students, roster, rentree_year)
        + students.hidden_risk[index]
        + rng.normal(0, config.dropout.year_shock_sd, len(index))
    )


def _uniform(rng: np.random.Generator, bounds: tuple[float, float], count: int) -> np.ndarray:
    return rng.uniform(bounds[0], bounds[1], count)


def _exit_days(
    rng: np.random.Generator,
    rows: np.ndarray,
    roster: Roster,
    timeline: YearTimeline,
    config: SynthConfig,
) -> np.ndarray:
    """In-year exit days: a class day drawn from a Beta over the row's possible window."""
    days = timeline.class_days
    first = np.maximum(roster.arrive[rows], timeline.rentree) + config.dropout.first_exit_after_days
    low = np.searchsorted(days, first)
    high = len(days) - 3  # not in the very last days: those leave at year end
    share = rng.beta(*config.dropout.exit_timing_beta, len(rows))
    index = low + np.floor(share * np.maximum(high - low, 0)).astype(np.int64)
    return np.where(low < high, days[np.minimum(index, len(days) - 1)], NEVER)


def draw_fate(
    rng: np.random.Generator,
    roster: Roster,
    risk: np.ndarray,
    timeline: YearTimeline,
    config: SynthConfig,
) -> Fate:
    """Draw dropouts, their timing and every row's disengagement trajectory."""
    settings = config.dropout
    count = len(roster)
    probability = np.zeros(count)
    for level, name in enumerate(c.LEVELS):
        rows = roster.level == level
        intercept = calibrate_intercept(risk[rows], settings.annual_rate[name])
        probability[rows] = sigmoid(intercept + risk[rows])
    dropout = rng.random(count) < probability
    final = c.IS_FINAL[roster.level]
    year_end = dropout & ~final & (rng.random(count) < settings.year_end_share)
    in_year = np.flatnonzero(dropout & ~year_end)
    exit_day = np.full(count, NEVER, dtype=np.int32)
    exit_day[in_year] = _exit_days(rng, in_year, roster, timeline, config)
    late = in_year[exit_day[in_year] == NEVER]  # arrived too late to leave during the year
    year_end[late] = ~final[late]
    dropout[late] = year_end[late]

    onset = np.full(count, NEVER, dtype=np.int64)
    top = np.full(count, NEVER, dtype=np.int64)
    off = np.full(count, NEVER, dtype=np.int64)
    peak = np.zeros(count)
    rise = np.ones(count)

    leaving = np.flatnonzero(dropout)
    reference = np.where(year_end[leaving], timeline.last_class_day, exit_day[leaving])
    low, high = settings.warning_lead_bounds
    lead = np.clip(
        rng.gamma(
            settings.warning_lead_shape,
            settings.warning_lead_days / settings.warning_lead_shape,
            len(leaving),
        ),
        low,
        high,
    )
    silent = rng.random(len(leaving)) < settings.silent_share
    lead = np.where(silent, _uniform(rng, settings.silent_lead_days, len(leaving)), lead)
    onset[leaving] = reference - np.round(lead).astype(np.int64)
    top[leaving] = reference
    off[leaving] = reference + 1
    peak[leaving] = np.where(
        silent,
        _uniform(rng, settings.silent_peak, len(leaving)),
        _uniform(rng, settings.peak, len(leaving)),
    )
    rise[leaving] = settings.rise_exponent

    staying = ~dropout
    alarm_probability = np.zeros(count)
    for track, track_name in enumerate(c.TRACKS):
        rows = staying & (roster.track == track)
        linear = settings.false_alarm_risk_loading * risk[rows]
        intercept = calibrate_intercept(linear, settings.false_alarm_rate[track_name])
        alarm_probability[rows] = sigmoid(intercept + linear)
    alarm = np.flatnonzero(rng.random(count) < alarm_probability)
    first = np.maximum(roster.arrive[alarm], timeline.rentree)
    start = first + np.floor(rng.random(len(alarm)) * (timeline.last_class_day - first))
    length = _uniform(rng, settings.false_alarm_days, len(alarm))
    onset[alarm] = start.astype(np.int64)
    top[alarm] = (start + length * _uniform(rng, settings.false_alarm_top, len(alarm))).astype(
        np.int64
    )
    off[alarm] = (start + length).astype(np.int64)
    peak[alarm] = _uniform(rng, settings.false_alarm_peak, len(alarm))

    trajectory = Trajectory(onset, top, off, peak.astype(np.float32), rise.astype(np.float32))
    return Fate(risk, dropout, year_end, exit_day, trajectory, probability)

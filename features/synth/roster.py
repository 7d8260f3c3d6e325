"""Who is enrolled where at the rentrée, and who arrives: the year's roster.

A roster row is one student's school year as it starts (establishment, level, track, first
day). The first year is filled from the places of each establishment; later years come from
the previous year's progression plus new 6e cohorts and arrivals from outside the académie.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from features.synth import codes as c
from features.synth.config import SynthConfig
from features.synth.establishments import Establishments
from features.synth.population import Students, draw_students
from features.synth.timeline import YearTimeline

__all__ = ["Roster", "arrivals", "choose_establishments", "first_roster", "new_entrants"]


@dataclass(frozen=True)
class Roster:
    student: np.ndarray  # int64 index into the student pool
    uai: np.ndarray  # int32 establishment index
    level: np.ndarray  # int8
    track: np.ndarray  # int8
    arrive: np.ndarray  # int32 first day of the year's first enrollment

    def __len__(self) -> int:
        return len(self.student)

    def concat(self, other: Roster) -> Roster:
        return Roster(
            **{
                field.name: np.concatenate([getattr(self, field.name), getattr(other, field.name)])
                for field in fields(self)
            }
        )


def _enrol(
    rng: np.random.Generator,
    config: SynthConfig,
    establishments: Establishments,
    students: Students,
    uai: np.ndarray,
    level: np.ndarray,
    track: np.ndarray,
    arrive: np.ndarray,
    rentree_year: int,
    new_6e: bool,
) -> tuple[Roster, Students]:
    """Create the students of new roster rows and append them to the pool."""
    batch = draw_students(
        rng, config, level, track, establishments.social_tilt[uai], rentree_year, new_6e
    )
    index = np.arange(len(students), len(students) + len(batch), dtype=np.int64)
    roster = Roster(
        index,
        uai.astype(np.int32),
        level.astype(np.int8),
        track.astype(np.int8),
        arrive.astype(np.int32),
    )
    return roster, students.concat(batch)


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(establishment, level) of each student, from a count per establishment and level."""
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    return np.divmod(cell, counts.shape[1])


def _split_tracks(rng: np.random.Generator, level: np.ndarray, config: SynthConfig) -> np.ndarray:
    track = c.track_of_level(level)
    upper = np.isin(level, (c.L1ERE, c.LTLE))
    techno = upper & (rng.random(len(level)) < config.progression.technological_after_2nde)
    return np.where(techno, c.T_TECHNO, track).astype(np.int8)


def first_roster(
    rng: np.random.Generator,
    config: SynthConfig,
    establishments: Establishments,
    places: np.ndarray,
    students: Students,
    timeline: YearTimeline,
    rentree_year: int,
) -> tuple[Roster, Students]:
    """The first simulated year: every place of every establishment is taken."""
    uai, level = _expand(np.floor(places + rng.random(places.shape)).astype(np.int64))
    track = _split_tracks(rng, level, config)
    arrive = np.full(len(uai), timeline.rentree)
    return _enrol(
        rng, config, establishments, students, uai, level, track, arrive, rentree_year, False
    )


def new_entrants(
    rng: np.random.Generator,
    config: SynthConfig,
    establishments: Establishments,
    places: np.ndarray,
    students: Students,
    timeline: YearTimeline,
    rentree_year: int,
) -> tuple[Roster, Students]:
    """The new 6e cohort of each collège, and arrivals from outside at the rentrée."""
    cohort = rng.poisson(places[:, c.L6E])
    uai = np.repeat(np.arange(len(establishments)), cohort)
    level = np.full(len(uai), c.L6E)
    rentree = np.full(len(uai), timeline.rentree)
    roster, students = _enrol(
        rng,
        config,
        establishments,
        students,
        uai,
        level,
        c.track_of_level(level),
        rentree,
        rentree_year,
        True,
    )
    entry = config.progression.external_entry
    entry_levels = np.isin(np.arange(len(c.LEVELS)), (c.L2NDE, c.L2PRO, c.LCAP1))
    rate = np.where(entry_levels, entry.entry_levels, entry.other_levels)
    rate[c.L6E] = 0.0  # the new cohort already counts every entrant to 6e
    uai, level = _expand(rng.poisson(places * rate[None, :]))
    track = _split_tracks(rng, level, config)
    outside, students = _enrol(
        rng,
        config,
        establishments,
        students,
        uai,
        level,
        track,
        np.full(len(uai), timeline.rentree),
        rentree_year,
        False,
    )
    return roster.concat(outside), students


def arrivals(
    rng: np.random.Generator,
    config: SynthConfig,
    establishments: Establishments,
    roster: Roster,
    students: Students,
    timeline: YearTimeline,
    rentree_year: int,
) -> tuple[Roster, Students]:
    """Students arriving from outside the académie during the year, in classes like those of
    the roster (same mix of establishments and levels)."""
    days = timeline.class_days
    window = days[(days > timeline.rentree + 7) & (days < timeline.last_class_day - 28)]
    count = rng.poisson(config.progression.move_in_in_year * len(roster))
    if len(window) == 0 or len(roster) == 0:
        count = 0
    like = rng.integers(0, max(len(roster), 1), count)
    arrive = window[rng.integers(0, max(len(window), 1), count)]
    return _enrol(
        rng,
        config,
        establishments,
        students,
        roster.uai[like],
        roster.level[like],
        roster.track[like],
        arrive,
        rentree_year,
        False,
    )


def choose_establishments(
    rng: np.random.Generator,
    establishments: Establishments,
    level: np.ndarray,
    origin: np.ndarray,
    exclude_origin: bool,
    same_department_weight: float,
) -> np.ndarray:
    """An establishment teaching `level` for each student coming from `origin`, weighted by
    its places and preferring the origin's department; -1 where none teaches the level."""
    chosen = np.full(len(level), -1, dtype=np.int64)
    departments = np.array(establishments.department)
    for wanted in np.unique(level):
        for department in np.unique(departments[origin[level == wanted]]):
            rows = np.flatnonzero((level == wanted) & (departments[origin] == department))
            weights = establishments.places[:, wanted] * np.where(
                departments == department, same_department_weight, 1.0
            )
            for _ in range(20):  # redraw the few that land on their own establishment
                if weights.sum() <= 0:
                    break
                chosen[rows] = rng.choice(len(weights), len(rows), p=weights / weights.sum())
                if not exclude_origin:
                    break
                rows = rows[chosen[rows] == origin[rows]]
                if len(rows) == 0:
                    break
            if exclude_origin:
                chosen[rows[chosen[rows] == origin[rows]]] = -1
    return chosen

"""The end of a school year: diplomas, repeated years, orientation, and next year's roster.

For students still enrolled at the end of the year: final-year students who pass their exam
leave with a diploma, others repeat, drop out or leave; year-end dropouts do not come back;
some leave the académie; the rest repeat (weaker students more often, at the published rates)
or move up. After 3e, students go on to a general and technological seconde, a seconde pro or
a CAP, weaker and disadvantaged students more often to the vocational tracks.
"""

from __future__ import annotations

import numpy as np

from features.synth import codes as c
from features.synth.config import SynthConfig
from features.synth.establishments import Establishments
from features.synth.latent import Fate, years_behind
from features.synth.population import Students
from features.synth.roster import Roster, choose_establishments
from features.synth.streams import calibrate_intercept, sigmoid

__all__ = ["year_end"]


def _calibrated(rng: np.random.Generator, linear: np.ndarray, rate: float) -> np.ndarray:
    return rng.random(len(linear)) < sigmoid(calibrate_intercept(linear, rate) + linear)


def _orientation(
    rng: np.random.Generator,
    rows: np.ndarray,
    roster: Roster,
    students: Students,
    dnb_failed: np.ndarray,
    behind: np.ndarray,
    config: SynthConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """Next level and track of students leaving 3e."""
    progression = config.progression
    loadings = progression.orientation_loadings
    index = roster.student[rows]
    pcs = students.pcs[index]
    ability = students.ability[index]
    linear = (
        loadings.ability * ability
        + loadings.disadvantaged * (pcs == c.DISADVANTAGED)
        + loadings.favored_a * (pcs == c.FAVORED_A)
        + loadings.male * students.male[index]
        + loadings.dnb_failed * dnb_failed[rows]
        + loadings.year_behind * behind[rows]
    )
    vocational = _calibrated(rng, linear, progression.vocational_after_3e)
    cap = np.zeros(len(rows), dtype=bool)
    cap[vocational] = _calibrated(
        rng,
        progression.cap_ability_loading * ability[vocational],
        progression.cap_share_of_vocational,
    )
    level = np.where(vocational, np.where(cap, c.LCAP1, c.L2PRO), c.L2NDE)
    track = np.where(vocational, c.T_VOCATIONAL, c.T_GENERAL)
    return level, track


def _after_seconde(
    rng: np.random.Generator,
    rows: np.ndarray,
    roster: Roster,
    students: Students,
    config: SynthConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """Next level and track after a general and technological seconde."""
    index = roster.student[rows]
    ability = students.ability[index]
    disadvantaged = students.pcs[index] == c.DISADVANTAGED
    progression = config.progression
    vocational = _calibrated(
        rng,
        progression.vocational_after_2nde_ability_loading * ability,
        progression.vocational_after_2nde,
    )
    loadings = progression.technological_loadings
    techno = _calibrated(
        rng,
        loadings.ability * ability + loadings.disadvantaged * disadvantaged,
        progression.technological_after_2nde,
    )
    level = np.where(vocational, c.L2PRO, c.L1ERE)
    track = np.where(vocational, c.T_VOCATIONAL, np.where(techno, c.T_TECHNO, c.T_GENERAL))
    return level, track


def year_end(
    rng: np.random.Generator,
    roster: Roster,
    fate: Fate,
    present: np.ndarray,
    passed: np.ndarray,
    dnb_failed: np.ndarray,
    students: Students,
    establishments: Establishments,
    config: SynthConfig,
    rentree_year: int,
) -> tuple[np.ndarray, Roster]:
    """Exit code of each row present at the end of the year (NO_EXIT for the others), and
    the continuing students' roster for next year (arrival day left at 0)."""
    progression = config.progression
    count = len(roster)
    exit_code = np.full(count, c.NO_EXIT, dtype=np.int8)
    final = c.IS_FINAL[roster.level]

    exit_code[present & fate.year_end] = c.DROPPED_OUT
    exit_code[present & final & passed] = c.DIPLOMA
    failed = np.flatnonzero(present & final & ~passed)
    after = progression.after_final_failure
    choice = rng.choice(3, len(failed), p=[after.repeat, after.dropped_out, after.other])
    exit_code[failed] = np.array([c.COMPLETED, c.DROPPED_OUT, c.OTHER], dtype=np.int8)[choice]
    repeat = np.zeros(count, dtype=bool)
    repeat[failed[choice == 0]] = True

    open_rows = present & (exit_code == c.NO_EXIT)
    leaving = open_rows & (rng.random(count) < progression.move_out_year_end)
    exit_code[leaving] = c.TRANSFERRED
    continuing = open_rows & ~leaving
    weight = np.exp(-progression.repeat_ability_loading * students.ability[roster.student])
    for level, name in enumerate(c.LEVELS):
        rows = np.flatnonzero(continuing & (roster.level == level))
        if name in progression.repeat_rate and len(rows):
            rate = progression.repeat_rate[name] * weight[rows] / weight[rows].mean()
            repeat[rows] = rng.random(len(rows)) < np.clip(rate, 0, 0.9)

    next_level = np.where(repeat, roster.level, c.NEXT_LEVEL[roster.level]).astype(np.int8)
    next_track = roster.track.copy()
    behind = years_behind(students, roster, rentree_year) + repeat
    third = np.flatnonzero(continuing & ~repeat & (roster.level == c.L3E))
    next_level[third], next_track[third] = _orientation(
        rng, third, roster, students, dnb_failed, behind, config
    )
    second = np.flatnonzero(continuing & ~repeat & (roster.level == c.L2NDE))
    next_level[second], next_track[second] = _after_seconde(rng, second, roster, students, config)

    moving = continuing | repeat
    rows = np.flatnonzero(moving)
    target = roster.uai[rows].astype(np.int64)
    stays = establishments.places[target, next_level[rows]] > 0
    transfer = stays & (rng.random(len(rows)) < progression.transfer_between_years)
    choose = ~stays | transfer
    chosen = choose_establishments(
        rng,
        establishments,
        next_level[rows][choose],
        target[choose],
        True,
        progression.same_department_weight,
    )
    kept_if_none = np.where(stays[choose], target[choose], -1)
    target[choose] = np.where(chosen >= 0, chosen, kept_if_none)
    changed = target != roster.uai[rows]
    exit_code[rows] = np.where(changed & stays, c.TRANSFERRED, c.COMPLETED)
    going = target >= 0
    rows, target = rows[going], target[going]
    nxt = Roster(
        roster.student[rows],
        target.astype(np.int32),
        next_level[rows],
        next_track[rows],
        np.zeros(len(rows), dtype=np.int32),
    )
    return exit_code, nxt

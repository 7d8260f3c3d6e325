"""Students and their lasting traits: sex, social background, scholarship, ability, age.

Besides what the `students` table shows, each student carries hidden traits that drive the
other components: ability (marks, exams, orientation), a persistent unobserved dropout risk,
and propensities to be absent or late. Sensitive attributes shape these traits as published
statistics describe; they are never written anywhere but the `students` table.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from features.synth import codes as c
from features.synth.config import SynthConfig
from features.synth.names import FIRST_NAMES_F, FIRST_NAMES_M, LAST_NAMES
from features.synth.streams import weighted_choice

__all__ = ["Students", "draw_students"]

# Direction of each PCS group on the social scale, used to tilt the PCS mix of an
# establishment (favored families in private schools, disadvantaged ones in priority zones).
_PCS_SOCIAL_SCORE = np.array([1.0, 0.5, 0.0, -1.0, 0.0])


@dataclass(frozen=True)
class Students:
    """A pool of students; the generator refers to a student by its position in the pool."""

    male: np.ndarray  # bool
    pcs: np.ndarray  # int8 PCS code
    scholarship: np.ndarray  # float32: 0 = no scholarship, else need in (0, 1]
    ability: np.ndarray  # float32, sd units
    hidden_risk: np.ndarray  # float32, log-odds of dropout not explained by attributes
    unjustified_propensity: np.ndarray  # float32, mean 1
    justified_propensity: np.ndarray  # float32, mean 1
    late_propensity: np.ndarray  # float32, mean 1
    birth_day: np.ndarray  # int32 day number
    first_name: np.ndarray  # int16 index into the first names of the student's sex
    last_name: np.ndarray  # int16 index into LAST_NAMES

    def __len__(self) -> int:
        return len(self.male)

    def concat(self, other: Students) -> Students:
        return Students(
            **{
                field.name: np.concatenate([getattr(self, field.name), getattr(other, field.name)])
                for field in fields(self)
            }
        )

    def first_names(self, index: np.ndarray) -> np.ndarray:
        female = np.array(FIRST_NAMES_F, dtype=object)
        male = np.array(FIRST_NAMES_M, dtype=object)
        chosen = self.first_name[index]
        return np.where(self.male[index], male[chosen % len(male)], female[chosen % len(female)])

    def last_names(self, index: np.ndarray) -> np.ndarray:
        return np.array(LAST_NAMES, dtype=object)[self.last_name[index]]


def draw_students(
    rng: np.random.Generator,
    config: SynthConfig,
    level: np.ndarray,
    track: np.ndarray,
    social_tilt: np.ndarray,
    rentree_year: int,
    new_6e: bool,
) -> Students:
    """New students entering at `level`/`track` (one per entry) in establishments of the
    given social tilt, at the rentrée of `rentree_year`.

    `new_6e` marks the yearly cohort entering collège, whose age follows the 6e entry rate;
    other entrants follow the share behind for their track.
    """
    population = config.population
    count = len(level)
    track_names = [c.TRACKS[t] for t in range(len(c.TRACKS))]
    male_share = np.array([population.male_share[name] for name in track_names])[track]
    male = rng.random(count) < male_share
    base = np.array([[population.parent_pcs[name][pcs] for pcs in c.PCS] for name in track_names])[
        track
    ]
    pcs = weighted_choice(rng, base * np.exp(np.outer(social_tilt, _PCS_SOCIAL_SCORE)))
    pcs = pcs.astype(np.int8)
    holder_share = np.array([population.scholarship_share[name] for name in c.PCS])[pcs]
    holder = rng.random(count) < holder_share
    need = np.where(holder, 1 - rng.random(count), 0.0)
    ability_shift = np.array([population.ability_by_pcs[name] for name in c.PCS])[pcs]
    if not new_6e:
        ability_shift = (
            ability_shift
            + np.array([population.ability_by_track[name] for name in track_names])[track]
        )
    ability = rng.normal(0, 1, count) + ability_shift + population.ability_male * male
    years_behind = _years_behind(rng, config, track, ability, new_6e)
    birth_year = rentree_year - c.ENTRY_AGE[level].astype(np.int64) - years_behind
    birth_day = _day_in_year(rng, birth_year)
    attendance = config.attendance
    return Students(
        male=male,
        pcs=pcs,
        scholarship=need.astype(np.float32),
        ability=ability.astype(np.float32),
        hidden_risk=rng.normal(0, config.dropout.hidden_risk_sd, count).astype(np.float32),
        unjustified_propensity=_unit_gamma(rng, attendance.unjustified_shape, count),
        justified_propensity=_unit_gamma(rng, attendance.justified_shape, count),
        late_propensity=_unit_gamma(rng, attendance.late_shape, count),
        birth_day=birth_day,
        first_name=rng.integers(0, 2**15 - 1, count).astype(np.int16),
        last_name=rng.integers(0, len(LAST_NAMES), count).astype(np.int16),
    )


def _unit_gamma(rng: np.random.Generator, shape: float, count: int) -> np.ndarray:
    return rng.gamma(shape, 1 / shape, count).astype(np.float32)


def _years_behind(
    rng: np.random.Generator,
    config: SynthConfig,
    track: np.ndarray,
    ability: np.ndarray,
    new_6e: bool,
) -> np.ndarray:
    """Years behind the age for the level (1-2; -1 for the few ahead); weaker students more
    often behind, as repeating follows results."""
    population = config.population
    if new_6e:
        share = np.full(len(track), population.behind_share_new_6e)
    else:
        share = np.array([population.behind_share[c.TRACKS[t]] for t in range(len(c.TRACKS))])
        share = share[track]
    weight = np.exp(-population.behind_ability_loading * ability)
    mean = float(weight.mean()) if len(weight) else 1.0
    probability = np.clip(share * weight / max(mean, 1e-9), 0, 0.95)
    behind = rng.random(len(track)) < probability
    two = behind & (rng.random(len(track)) < population.two_years_behind_share)
    ahead = ~behind & (rng.random(len(track)) < population.ahead_share)
    return behind.astype(np.int64) + two - ahead


def _day_in_year(rng: np.random.Generator, year: np.ndarray) -> np.ndarray:
    first = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    last = (year - 1969).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    return (first + np.floor(rng.random(len(year)) * (last - first))).astype(np.int32)

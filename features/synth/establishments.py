"""The establishments of the académie: kinds, sizes, sectors, priority zones, UAI codes.

Also the places each establishment offers per level in the first simulated year, scaled so
that the académie holds the requested number of students, and the establishment effects the
other components use (social composition, absenteeism concentration).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.synth import codes as c
from features.synth.config import SynthConfig
from features.synth.names import establishment_names
from features.synth.streams import stream

__all__ = ["Establishments", "draw_establishments", "interview_capacity", "level_places"]

_UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # the RNE check letters: no I, O, Q
# Guaranteed kinds when there are few establishments: a collège first, then a lycée
# polyvalent (it teaches every lycée level).
_PRIORITY = (c.COLLEGE, c.LYCEE_POLYVALENT, c.LYCEE_GT, c.LYCEE_PRO)


@dataclass(frozen=True)
class Establishments:
    """One entry per establishment (index = establishment code used by the generator)."""

    uai: np.ndarray  # str
    name: list[str]
    kind: np.ndarray  # int8 kind code
    department: list[str]
    private: np.ndarray  # bool
    zone: np.ndarray  # int8 priority-zone code
    social_tilt: np.ndarray  # >0: more favored families, <0: more disadvantaged
    absence_multiplier: np.ndarray  # mean 1: concentration of absenteeism
    places: np.ndarray  # (establishments, levels) relative places offered

    def __len__(self) -> int:
        return len(self.kind)

    def offering(self, level: int) -> np.ndarray:
        return self.places[:, level] > 0


def uai_code(department: str, number: int) -> str:
    """A valid UAI: "0" + department + 4 digits, and the RNE check letter (number mod 23)."""
    digits = f"0{department}{number:04d}"
    return digits + _UAI_LETTERS[int(digits) % 23]


def _kind_counts(config: SynthConfig) -> np.ndarray:
    """Largest-remainder split of the establishments between kinds, each kind with a positive
    share present as soon as there are enough establishments."""
    total = config.establishments
    shares = np.array([config.establishment_profile.kind_shares[kind] for kind in c.KINDS])
    exact = shares * total
    counts = np.floor(exact).astype(int)
    for kind in np.argsort(-(exact - counts), kind="stable")[: total - counts.sum()]:
        counts[kind] += 1
    guaranteed = [kind for kind in _PRIORITY if shares[kind] > 0][:total]
    for kind in guaranteed:
        if counts[kind] == 0:
            spare = counts - np.isin(np.arange(len(counts)), guaranteed)
            counts[int(np.argmax(spare))] -= 1
            counts[kind] = 1
    return counts


def _relative_places(kind: int, size: float, config: SynthConfig) -> np.ndarray:
    profile = config.establishment_profile
    places = np.zeros(len(c.LEVELS))
    general = size if kind == c.LYCEE_GT else 0.0
    vocational = size if kind == c.LYCEE_PRO else 0.0
    if kind == c.COLLEGE:
        places[[c.L6E, c.L5E, c.L4E, c.L3E]] = size / 4
    if kind == c.LYCEE_POLYVALENT:
        vocational = size * profile.polyvalent_vocational_part
        general = size - vocational
    places[[c.L2NDE, c.L1ERE, c.LTLE]] = general / 3
    cap = profile.cap_part_of_vocational
    places[[c.L2PRO, c.L1PRO, c.LTPRO]] = vocational * (1 - cap) / 3
    places[[c.LCAP1, c.LCAP2]] = vocational * cap / 2
    return places


def draw_establishments(config: SynthConfig) -> Establishments:
    """Draw the establishments of the académie (deterministic given the seed)."""
    rng = stream(config.seed, "establishments")
    profile = config.establishment_profile
    kind = np.repeat(np.arange(len(c.KINDS)), _kind_counts(config)).astype(np.int8)
    count = len(kind)
    departments = list(profile.departments)
    weights = np.array([profile.departments[name] for name in departments])
    department = [departments[i] for i in rng.choice(len(departments), count, p=weights)]
    private = np.zeros(count, dtype=bool)
    for code in range(len(c.KINDS)):
        of_kind = np.flatnonzero(kind == code)
        chosen = rng.permutation(of_kind)[: round(profile.private_share * len(of_kind))]
        private[chosen] = True
    zone = np.zeros(count, dtype=np.int8)
    public_colleges = rng.permutation(np.flatnonzero((kind == c.COLLEGE) & ~private))
    plus = _at_least_one(profile.rep_plus_share_of_public_colleges, len(public_colleges), 4)
    rep = _at_least_one(profile.rep_share_of_public_colleges, len(public_colleges), 3)
    zone[public_colleges[:plus]] = 2
    zone[public_colleges[plus : plus + rep]] = 1
    tilt = profile.social_tilt
    social_tilt = (
        np.where(private, tilt.private, 0.0)
        + np.select([zone == 1, zone == 2], [tilt.rep, tilt.rep_plus], 0.0)
        + rng.normal(0, tilt.noise_sd, count)
    )
    raw = np.exp(
        rng.normal(0, profile.absence_dispersion, count)
        - profile.absence_social_loading * social_tilt
    )
    size = np.array([profile.nominal_size[c.KINDS[k]] for k in kind]) * np.exp(
        rng.normal(0, profile.size_dispersion, count)
    )
    places = np.array(
        [_relative_places(int(k), s, config) for k, s in zip(kind, size, strict=True)]
    )
    uai = np.empty(count, dtype=object)
    for name in departments:
        members = [i for i in range(count) if department[i] == name]
        numbers = rng.choice(10_000, len(members), replace=False)
        for i, number in zip(members, numbers, strict=True):
            uai[i] = uai_code(name, int(number))
    names = establishment_names(rng, kind, department)
    return Establishments(
        uai=uai.astype(str),
        name=names,
        kind=kind,
        department=department,
        private=private,
        zone=zone,
        social_tilt=social_tilt,
        absence_multiplier=raw / _mean_by_group(raw, kind),
        places=places,
    )


def _mean_by_group(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Each value's group mean (so that each kind keeps its calibrated absenteeism)."""
    sums = np.bincount(group, weights=values)
    counts = np.bincount(group)
    return (sums / np.maximum(counts, 1))[group]


def _at_least_one(share: float, members: int, minimum_members: int) -> int:
    wanted = round(share * members)
    return max(wanted, 1) if share > 0 and members >= minimum_members else wanted


def level_places(establishments: Establishments, config: SynthConfig) -> np.ndarray:
    """Students per (establishment, level) in the first year, near a steady state.

    Level totals follow the flows of the académie (a 6e cohort per year, the orientation
    after 3e, the losses to dropout), so that the size stays about the same from year to
    year; they are scaled so that the académie holds `config.students` students.
    """
    progression, rates = config.progression, config.dropout.annual_rate
    vocational = progression.vocational_after_3e
    cap = progression.cap_share_of_vocational
    level_total = np.zeros(len(c.LEVELS))
    level_total[[c.L6E, c.L5E, c.L4E, c.L3E]] = 1.0
    chains = (
        ((c.L2NDE, c.L1ERE, c.LTLE), 1 - vocational),
        ((c.L2PRO, c.L1PRO, c.LTPRO), vocational * (1 - cap)),
        ((c.LCAP1, c.LCAP2), vocational * cap),
    )
    for chain, entering in chains:
        for level in chain:
            level_total[level] = entering
            entering *= 1 - rates[c.LEVELS[level]]
    offered = establishments.places.sum(axis=0)
    level_total = np.where(offered > 0, level_total, 0.0)
    level_total *= config.students / level_total.sum()
    share = establishments.places / np.where(offered > 0, offered, 1.0)
    return share * level_total


def interview_capacity(students: np.ndarray, config: SynthConfig) -> np.ndarray:
    """Weekly interview slots of each watch unit, growing with the establishment's size."""
    profile = config.establishment_profile
    slots = np.round(students / profile.students_per_interview_slot)
    return np.clip(slots, profile.min_interview_capacity, profile.max_interview_capacity).astype(
        np.int64
    )

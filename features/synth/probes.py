"""Audit probes: two deliberate flaws the synthetic académie can carry, to prove the audit works.

Both are off by default (`SynthConfig.audit_probes`), and when off the generator runs exactly
as without this module (same random draws, byte-identical files).

- `scholarship_proxy`: scholarship holders arrive late much more often (school buses from
  far-away villages are a plausible cause). Late-arrival counts, ordinary model inputs, then
  encode scholarship status, a sensitive attribute the model must never use.
- `label_bias`: the dropouts of one group are missed by the records: their disengagement
  shows in attendance, marks and exams with only `signal_factor` of its usual strength (quiet
  withdrawal, absences covered by the family). Their outcome is still "dropped out", so the
  lists, which rank on recorded signals, miss this group's dropouts on every year, the tested
  one included: a real recall disparity.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from features.synth import codes as c
from features.synth.config import SynthConfig
from features.synth.latent import Fate
from features.synth.population import Students
from features.synth.roster import Roster

__all__ = ["biased_group", "label_bias", "late_proxy_factor"]


def late_proxy_factor(
    students: Students, student_index: np.ndarray, config: SynthConfig
) -> np.ndarray | None:
    """Multiplier of each row's late-arrival rate under `scholarship_proxy`, or None when the
    probe is off (the caller then leaves its rates untouched)."""
    probe = config.audit_probes.scholarship_proxy
    if not probe.enabled:
        return None
    holder = students.scholarship[student_index] > 0
    return np.where(holder, probe.late_factor, 1.0)


def biased_group(students: Students, student_index: np.ndarray, group: str) -> np.ndarray:
    """Whether each row's student belongs to the group named in `label_bias.group`."""
    if group == "girls":
        return ~students.male[student_index]
    if group == "boys":
        return students.male[student_index].astype(bool)
    if group == "scholarship_holders":
        return students.scholarship[student_index] > 0
    if group == "disadvantaged":
        return students.pcs[student_index] == c.PCS.index("disadvantaged")
    raise ValueError(f"unknown label_bias group {group!r}")


def label_bias(fate: Fate, roster: Roster, students: Students, config: SynthConfig) -> Fate:
    """`fate` with the biased group's dropouts weakened to `signal_factor` of their
    disengagement; `fate` itself when the probe is off. False alarms are left alone."""
    probe = config.audit_probes.label_bias
    if not probe.enabled:
        return fate
    weakened = fate.dropout & biased_group(students, roster.student, probe.group)
    peak = fate.trajectory.peak.copy()
    peak[weakened] = peak[weakened] * np.float32(probe.signal_factor)
    return dataclasses.replace(fate, trajectory=dataclasses.replace(fate.trajectory, peak=peak))

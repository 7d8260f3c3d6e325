"""The generator's latent risk as a side file: what the simulation knew, for the ceiling.

Synthetic académies only, and NOT part of the data contract: `vigie synth` writes it under
`<extraction>/_synth/latent.parquet`, beside the contract tables; the extraction reader, the
validator and the feature builder read contract table files by name and never see it. The
evaluation reads it (`training.baselines.read_latent_risk`) to replay a ceiling ranking
(`ceiling_latent`): what is knowable from the generator on each week, without the future.

One row per (student_id, school_year, as_of) for every year with outcomes (burn-in years are
left out) and every class-week Monday of the year (before the extraction date in the cut
year), for every student on the year's roster:

    latent_risk = p + intensity

where `p` is the student-year's dropout probability drawn by the generator (its risk score
with the level's intercept, `features.synth.latent.draw_fate`) and `intensity` the
disengagement intensity (0-1) of the student's trajectory on the day before the Monday (the
last day the week's features see). The intensity is what drives absences, marks and exams;
it is positive for dropouts from their onset and for the false alarms during their episode;
`p` (mostly under 0.2) orders the students without a trajectory. Same draft, same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np

from features.synth.latent import Fate
from features.synth.roster import Roster
from features.synth.timeline import YearTimeline

__all__ = ["LATENT_PATH", "LatentRows", "latent_rows"]

LATENT_PATH = PurePosixPath("_synth") / "latent.parquet"
"""Where the side file goes, relative to the extraction folder."""


@dataclass(frozen=True)
class LatentRows:
    student: np.ndarray  # int64 pool index
    year: np.ndarray  # int16 index of the school year
    day: np.ndarray  # int32 the as-of Monday
    latent_risk: np.ndarray  # float32


def class_week_mondays(timeline: YearTimeline) -> np.ndarray:
    """Mondays after the rentrée whose week has a class day (as `training.snapshots`), before
    the year's horizon."""
    days = timeline.class_days.astype(np.int64)
    # 1970-01-01 was a Thursday: day number d is a Monday when (d + 3) % 7 == 0.
    mondays = np.unique(days - (days + 3) % 7)
    keep = (mondays > timeline.rentree) & (mondays < timeline.horizon)
    return mondays[keep].astype(np.int32)


def latent_rows(roster: Roster, fate: Fate, timeline: YearTimeline) -> LatentRows:
    """Every roster row's latent risk on every class-week Monday of the year."""
    mondays = class_week_mondays(timeline)
    count, weeks = len(roster), len(mondays)
    rows = np.repeat(np.arange(count), weeks)
    days = np.tile(mondays, count)
    probability = fate.probability if fate.probability is not None else np.zeros(count)
    intensity = fate.trajectory.at(rows, days.astype(np.int64) - 1)
    return LatentRows(
        roster.student[rows].astype(np.int64),
        np.full(len(rows), timeline.index, dtype=np.int16),
        days,
        (probability[rows] + intensity).astype(np.float32),
    )

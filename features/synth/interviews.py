"""The watch units' interviews in the synthetic académie, and what they prevent.

Off by default (`interviews.enabled`): the académie is then exactly what it was. When on, a
post-processing step after the year's fates plays a weekly queue in every establishment and
records it, so that the regression discontinuity (`training.interview_effect`) can be tested
against a known truth:

- Every week (the first class day of each week before the horizon) the candidates are the
  students of the establishment's rentrée roster already arrived, not yet gone and not yet
  invited this school year (one invitation per student and year, as the queue does).
- They are ranked by a simple risk: the generator's latent dropout log-odds for the year
  (level intercept included) plus fresh normal
  noise of `risk_noise_sd` each week (the model is not run inside the generator; the noise
  stands for what a model gets wrong). The `capacity` first are invited.
- An invited student who would leave after the invitation stays with probability `effect`
  (a proportional reduction of the leaving hazard): no exit that year; the disengagement
  trajectory is kept and fades after the day it would have peaked, like a recovered episode.

The recorded ranking has one row per candidate within half a ranking of the cut (the only rows
a discontinuity can use), with the outcome after the effect: `left` (the student left within
`horizon_days` after the week) and `treated` (interviewed that week or a later one, before
leaving). Each invited student is interviewed on the day of the invitation, with a solution
drawn uniformly from the contract's (`solution` on the invited rows, last draws of the
step's stream): `features.synth.tables` writes them as the optional `interviews` table.
Changes of establishment are not modelled in the queue (the rentrée establishment).
This step draws from its own random stream, so the rest of the académie is unchanged when
`effect` is 0.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from features.contract import CODES
from features.synth.config import SynthConfig
from features.synth.latent import Fate
from features.synth.roster import Roster
from features.synth.timeline import NEVER, YearTimeline

__all__ = ["RECORDED_SHARE", "plant_interviews", "week_starts"]

RECORDED_SHARE = 0.5
"""Rows kept around the cut: |rank - capacity| up to this share of the week's candidates."""


def week_starts(timeline: YearTimeline) -> np.ndarray:
    """The first class day of each week of the year, before the horizon."""
    days = timeline.class_days[timeline.class_days < timeline.horizon].astype(np.int64)
    week = (days + 3) // 7  # day 0 (1970-01-01) is a Thursday: weeks start on Mondays
    return days[np.r_[True, week[1:] != week[:-1]]] if len(days) else days


def _leave_day(fate: Fate, timeline: YearTimeline) -> np.ndarray:
    """The day each row leaves (the last class day for year-end leavers; NEVER if staying)."""
    day = np.where(fate.year_end, timeline.last_class_day, fate.exit_day).astype(np.int64)
    return np.where(fate.dropout, day, int(NEVER))


def _log_odds(fate: Fate) -> np.ndarray:
    """The year's dropout log-odds, the level's intercept included when known."""
    if fate.probability is None:
        return fate.risk
    p = np.clip(fate.probability, 1e-12, 1 - 1e-12)
    return np.log(p) - np.log1p(-p)


def _weekly_queue(
    rng: np.random.Generator, roster: Roster, fate: Fate, timeline: YearTimeline, capacity: int,
    noise_sd: float,
) -> pd.DataFrame:  # fmt: skip
    """Every candidate of every establishment-week with its rank and whether it was invited."""
    risk = _log_odds(fate)
    leave = np.where(fate.exit_day == NEVER, int(NEVER), fate.exit_day.astype(np.int64))
    invited_on = np.full(len(roster), int(NEVER), dtype=np.int64)
    frames = []
    for day in week_starts(timeline).tolist():
        rows = np.flatnonzero((roster.arrive <= day) & (leave > day) & (invited_on == NEVER))
        score = risk[rows] + rng.normal(0, noise_sd, len(rows))
        uai = roster.uai[rows]
        order = np.lexsort((rows, -score, uai))
        rows, uai = rows[order], uai[order]
        starts = np.r_[0, np.flatnonzero(uai[1:] != uai[:-1]) + 1]
        sizes = np.diff(np.r_[starts, len(rows)])
        rank = np.arange(len(rows)) - np.repeat(starts, sizes) + 1
        invited = rank <= capacity
        invited_on[rows[invited]] = day
        candidates = np.repeat(sizes, sizes)
        kept = np.abs(rank - capacity) <= RECORDED_SHARE * candidates
        frames.append(pd.DataFrame({
            "uai": uai[kept], "day": day, "row": rows[kept], "rank": rank[kept],
            "capacity": capacity, "candidates": candidates[kept], "invited": invited[kept],
        }))  # fmt: skip
    if not frames:
        return pd.DataFrame(columns=["uai", "day", "row", "rank", "capacity", "candidates",
                                     "invited"])  # fmt: skip
    return pd.concat(frames, ignore_index=True).assign(invited_on=lambda f: invited_on[f["row"]])


def plant_interviews(
    rng: np.random.Generator,
    roster: Roster,
    fate: Fate,
    timeline: YearTimeline,
    config: SynthConfig,
) -> tuple[Fate, pd.DataFrame]:
    """The year's fates after the interviews, and the recorded ranking (module docstring)."""
    settings = config.interviews
    queue = _weekly_queue(rng, roster, fate, timeline, settings.capacity, settings.risk_noise_sd)
    invited_on = np.full(len(roster), int(NEVER), dtype=np.int64)
    first = queue[queue["invited"]]
    invited_on[first["row"].to_numpy()] = first["day"].to_numpy()
    leave = _leave_day(fate, timeline)
    prevented = (invited_on < leave) & fate.dropout & (rng.random(len(roster)) < settings.effect)
    after = dataclasses.replace(
        fate,
        dropout=fate.dropout & ~prevented,
        year_end=fate.year_end & ~prevented,
        exit_day=np.where(prevented, NEVER, fate.exit_day).astype(np.int32),
    )
    final_leave = _leave_day(after, timeline)[queue["row"].to_numpy()]
    day = queue["day"].to_numpy()
    interviewed = queue["invited_on"].to_numpy()
    solutions = CODES["interview_solution"]
    drawn = rng.integers(len(solutions), size=len(queue))
    solution = np.asarray(solutions, dtype=object)[drawn]
    solution[~queue["invited"].to_numpy(dtype=bool)] = None
    queue = queue.assign(
        left=(final_leave > day) & (final_leave <= day + settings.horizon_days),
        treated=(interviewed >= day) & (interviewed < leave[queue["row"].to_numpy()]),
        day=pd.to_datetime(day, unit="D"),
        school_year=timeline.school_year,
        student=roster.student[queue["row"].to_numpy()],
        solution=solution,
    )
    return after, queue.drop(columns="invited_on")

"""The effect of an invitation on leaving, by regression discontinuity around the capacity cut.

Each week, an establishment's watch unit invites its `capacity` highest-ranked students not in
follow-up (`models.queue.weekly_queue`). The students just inside the slots and those just
outside are alike (their ranks differ by one or two places), so the jump in the leaving rate
at the cut estimates what an invitation changes, with no help withheld from anyone.

Data: one row per candidate of an establishment-week (a student the queue could invite that
week), with its `rank` among them (1 = the first slot), the week's `capacity` (optionally
`candidates`, how many the queue ranked, checked), and `left` (the student left within the label
horizon after that week). The running variable is the rank's distance to the cut, normalised
by the week's capacity so that establishments of every size pool on one scale (in slots):

    x = (rank - capacity - 0.5) / capacity        (x < 0: invited, x > 0: not invited)

Inside, x runs over [-1, 0) whatever the capacity, so the inside line always has the width of
a whole week's slots to hold a slope.

On each side a line is fitted to the outcome by least squares weighted by a triangular kernel
(weight 1 - |x| / bandwidth, 0 beyond the bandwidth), pooled over establishments and weeks;
the effect is the difference of the two lines' values at x = 0 (invited minus not invited:
negative when the interviews prevent leaving). The relative effect divides it by the leaving
rate without invitation at the cut.

Fuzzy variant. A student just outside the slots this week may be invited a later week, and an
invited student may not be interviewed. Given `treated` (the student was interviewed after
this week's ranking and before the outcome, this week or later), the jump in the outcome is
divided by the jump in the treated share (a Wald ratio): the effect of an interview rather
than of this week's invitation.

Interval: a cluster bootstrap over establishments (weeks and students of one establishment
are resampled together), seeded and deterministic; the percentile interval. Every fit is
reduced to per-establishment weighted sums, so a replicate is one matrix product.

Two sources of rankings, one estimator: `replay_ranking` replays the queue over a training
run's tested year (no invitation took place: a check of the assumptions, which should find
no effect); `served_ranking` reads the weeks Vigie served (the store's published lists: each
candidate's rank, the establishment's capacity that week) with the exits of a later
extraction, and the interviews held for the fuzzy variant: what the interviews did.

Assumptions (see the README's "What the interviews achieve"): nobody manipulates the rank
around the cut; potential outcomes are continuous in x at the cut; a student is invited at
most once per establishment and school year, as the queue does; the effect is the same on
both sides of the cut (local linearity within the bandwidth).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.metrics_lists import cluster_resamples, percentile_interval

__all__ = [
    "DEFAULT_BANDWIDTH",
    "DiscontinuityEstimate",
    "estimate_interview_effect",
    "replay_ranking",
    "running_variable",
    "served_ranking",
    "side_sums",
]

DEFAULT_BANDWIDTH = 1.0
"""One week's capacity on either side of the cut: the invited students (x in [-1, 0)) against
as many ranks just outside; the inside line needs every slot to hold a slope."""

_COLUMNS = ("uai", "rank", "capacity", "left")


@dataclass(frozen=True)
class DiscontinuityEstimate:
    """What the regression discontinuity found (rates are shares of students, 0-1)."""

    effect: float  # leaving rate invited minus not invited at the cut (per interview if fuzzy)
    interval: tuple[float, float]
    relative: float  # effect / leaving rate without invitation at the cut
    relative_interval: tuple[float, float]
    leaving_invited: float  # the inside line at the cut
    leaving_not_invited: float  # the outside line at the cut
    first_stage: float | None  # fuzzy only: jump in the treated share at the cut
    rows: int  # rows within the bandwidth
    establishments: int
    bandwidth: float
    level: float
    replicates: int

    @property
    def fuzzy(self) -> bool:
        return self.first_stage is not None


def running_variable(frame: pd.DataFrame) -> np.ndarray:
    """The normalised distance to the cut (see the module docstring)."""
    rank = frame["rank"].to_numpy(dtype="float64")
    capacity = frame["capacity"].to_numpy(dtype="float64")
    return (rank - capacity - 0.5) / capacity


def _check(frame: pd.DataFrame, treated: str | None) -> None:
    needed = [*_COLUMNS, *([treated] if treated else [])]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"the ranking frame has no column(s) {missing}")
    for column in ("rank", "capacity", *(["candidates"] if "candidates" in frame else [])):
        values = frame[column]
        bad = values.isna() | (values < 1) if column != "capacity" else values.isna() | (values < 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(
                f"column {column!r} has an invalid value at row {row}: {values.iloc[row]!r}"
            )
    over = frame["rank"] > frame["candidates"] if "candidates" in frame else frame["rank"] < 0
    if over.any():
        row = int(np.flatnonzero(over.to_numpy())[0])
        raise ValueError(f"row {row}: rank {frame['rank'].iloc[row]} exceeds candidates")
    for column in ("left", *([treated] if treated else [])):
        if frame[column].isna().any():
            row = int(np.flatnonzero(frame[column].isna().to_numpy())[0])
            raise ValueError(f"column {column!r} is missing at row {row}")


# Weighted sums per side: S, Sx, Sxx, Sy, Sxy (outcome), Sd, Sxd (treated share).
_SUMS = 7


def side_sums(
    cluster: np.ndarray, n_clusters: int, x: np.ndarray, y: np.ndarray, d: np.ndarray,
    weight: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Per cluster, the kernel-weighted sums a side's two lines need (n_clusters x 7)."""
    terms = np.stack([weight, weight * x, weight * x * x, weight * y, weight * x * y,
                      weight * d, weight * x * d], axis=1)  # fmt: skip
    out = np.zeros((n_clusters, _SUMS))
    np.add.at(out, cluster, terms)
    return out


def _intercepts(sums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weighted least-squares lines' values at x = 0, for the outcome and the treated
    share, from sums (one row per replicate); NaN where a side cannot hold a line."""
    s, sx, sxx, sy, sxy, sd, sxd = sums.T
    det = s * sxx - sx * sx
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = det > 1e-12 * np.maximum(s * sxx, 1e-300)
        outcome = np.where(ok, (sxx * sy - sx * sxy) / det, np.nan)
        share = np.where(ok, (sxx * sd - sx * sxd) / det, np.nan)
    return outcome, share


def _estimates(inside: np.ndarray, outside: np.ndarray, fuzzy: bool) -> np.ndarray:
    """Rows: effect, relative, leaving inside, leaving outside, first stage."""
    y_in, d_in = _intercepts(inside)
    y_out, d_out = _intercepts(outside)
    jump = y_in - y_out
    with np.errstate(divide="ignore", invalid="ignore"):
        if fuzzy:
            stage = d_in - d_out
            effect = np.where(np.abs(stage) > 1e-9, jump / stage, np.nan)
            untreated = y_in - effect * d_in  # the outcome at the cut with no interview
        else:
            stage = np.full_like(jump, np.nan)
            effect, untreated = jump, y_out
        relative = np.where(untreated > 0, effect / untreated, np.nan)
    return np.stack([effect, relative, y_in, y_out, stage])


def estimate_interview_effect(
    frame: pd.DataFrame,
    bandwidth: float = DEFAULT_BANDWIDTH,
    *,
    treated: str | None = None,
    n_boot: int = 500,
    seed: int = 0,
    level: float = 0.95,
) -> DiscontinuityEstimate:
    """The regression-discontinuity estimate of an invitation's effect on leaving (see the
    module docstring); `treated` names a boolean column for the fuzzy variant."""
    if not 0 < bandwidth <= 20:
        raise ValueError(f"bandwidth must be in (0, 20] (in slots), not {bandwidth!r}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, not {n_boot!r}")
    _check(frame, treated)
    x = running_variable(frame)
    weight = np.clip(1 - np.abs(x) / bandwidth, 0, None)
    near = weight > 0
    if not (near & (x < 0)).any() or not (near & (x > 0)).any():
        raise ValueError(
            f"no row within the bandwidth {bandwidth} on one side of the cut: "
            "widen it or give more establishment-weeks"
        )
    x, weight = x[near], weight[near]
    y = frame["left"].to_numpy(dtype="float64")[near]
    d = frame[treated].to_numpy(dtype="float64")[near] if treated else (x < 0).astype("float64")
    cluster, names = pd.factorize(frame["uai"].astype(str).to_numpy()[near], sort=True)
    n_clusters = len(names)
    inside = side_sums(cluster, n_clusters, x, y, d, np.where(x < 0, weight, 0.0))
    outside = side_sums(cluster, n_clusters, x, y, d, np.where(x > 0, weight, 0.0))
    fuzzy = treated is not None
    point = _estimates(inside.sum(axis=0)[None, :], outside.sum(axis=0)[None, :], fuzzy)[:, 0]
    counts = cluster_resamples(n_clusters, n_boot, seed).astype("float64")
    replicates = _estimates(counts @ inside, counts @ outside, fuzzy)
    return DiscontinuityEstimate(
        effect=float(point[0]),
        interval=percentile_interval(replicates[0], level),
        relative=float(point[1]),
        relative_interval=percentile_interval(replicates[1], level),
        leaving_invited=float(point[2]),
        leaving_not_invited=float(point[3]),
        first_stage=float(point[4]) if fuzzy and not math.isnan(point[4]) else None,
        rows=int(near.sum()),
        establishments=n_clusters,
        bandwidth=bandwidth,
        level=level,
        replicates=n_boot,
    )


def replay_ranking(
    scored: pd.DataFrame, bandwidth: float = DEFAULT_BANDWIDTH, seed: int = 0
) -> pd.DataFrame:
    """The ranking around the cut of the weekly queue replayed on `scored` (the frame of
    `training.replay.replay_year`: one row per student-week with a model's `score`, `label`
    and `capacity`): the invited students and, in the weeks every slot was spent, the next
    ones not in follow-up within `bandwidth` slots; `left` is the label (leaving within the
    horizon)."""
    from training.replay import replay_year

    if len(scored) == 0:
        raise ValueError("no scored rows to replay")
    beyond = math.ceil(bandwidth * float(scored["capacity"].max()))
    ranking = replay_year(scored, seed=seed, beyond=max(beyond, 1))
    censored = ranking["censored"].to_numpy(dtype=bool) if "censored" in ranking else None
    if censored is not None:
        ranking = ranking[~censored]
    return ranking.assign(left=ranking["label"].to_numpy(dtype=bool))


_SERVED_COLUMNS = ("uai", "as_of", "student_id", "rank", "capacity")


def served_ranking(
    candidates: pd.DataFrame,
    labels: pd.DataFrame,
    held: pd.DataFrame | None = None,
    horizon_days: int = 182,
) -> pd.DataFrame:
    """The ranking around the cut of the weeks served: `candidates`, one row per student
    ranked in a served list's slots or beyond them (uai, as_of, student_id, rank among the
    students not in follow-up, capacity), with `labels` aligned on its index (the
    fixed-horizon `label` and `censored` of `features.labels.horizon_labels`, and
    `label_exit_date`). Censored rows are left out; `left` is the label. With `held` (one
    row per interview held: student_id, interview_date), `treated` says whether the student
    was interviewed on or after the week's as-of date, within `horizon_days` and before
    leaving (the fuzzy variant's first stage)."""
    missing = [c for c in _SERVED_COLUMNS if c not in candidates.columns]
    missing += [c for c in ("label", "censored") if c not in labels.columns]
    if missing:
        raise ValueError(f"the served lists or their labels have no column(s) {missing}")
    if not candidates.index.equals(labels.index):
        raise ValueError("the labels are not aligned on the served lists' rows")
    keep = ~labels["censored"].to_numpy(dtype=bool)
    ranking = candidates.loc[keep, list(_SERVED_COLUMNS)].copy()
    ranking["as_of"] = pd.to_datetime(ranking["as_of"])
    ranking["left"] = labels.loc[keep, "label"].to_numpy(dtype="float64") == 1.0
    if held is None:
        return ranking.reset_index(drop=True)
    exits = labels.loc[keep, "label_exit_date"] if "label_exit_date" in labels else None
    ranking["_exit"] = pd.NaT if exits is None else pd.to_datetime(exits).to_numpy()
    dates = pd.DataFrame({"student_id": held["student_id"].astype(str),
                          "_held": pd.to_datetime(held["interview_date"])}).dropna()  # fmt: skip
    rows = ranking.reset_index(names="_row")[["_row", "student_id", "as_of", "_exit"]]
    pairs = rows.merge(dates, on="student_id")
    within = (
        (pairs["_held"] >= pairs["as_of"])
        & (pairs["_held"] <= pairs["as_of"] + pd.Timedelta(days=horizon_days))
        & (pairs["_exit"].isna() | (pairs["_held"] < pairs["_exit"]))
    )
    ranking["treated"] = ranking.index.isin(pairs.loc[within, "_row"])
    return ranking.drop(columns="_exit").reset_index(drop=True)

"""Weekly lists and their precision and recall, the metrics that match the watch unit's job.

Each week, each establishment sees its students ranked by score and can interview only a few:
what matters is how many of the students on its list would drop out (precision@k) and how many
of its future dropouts the list catches (recall@k), at the list length it can actually handle.

The scored frame: one row per (uai, as_of, student_id) with `school_year`, `score` (higher is
riskier), `label` (bool, dropped out this school year) and `capacity` (the establishment's
weekly interview capacity, constant within an establishment-week).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
import pandas as pd

from models import ranking

__all__ = [
    "LIST_RULES",
    "ConfidenceInterval",
    "ListMetrics",
    "bootstrap_ci",
    "check_scored_frame",
    "cluster_resamples",
    "list_lengths",
    "percentile_interval",
    "precision_by_week",
    "precision_recall_at_k",
    "top_k_flags",
]

LIST_RULES: tuple[str, ...] = ("k", "2k", "5%")
"""The list lengths reported by default: the capacity k, twice k, and 5 % of the students."""

SCORED_COLUMNS = ("student_id", "as_of", "uai", "school_year", "score", "label", "capacity")
WEEK = ["uai", "as_of"]


def check_scored_frame(frame: pd.DataFrame, extra: tuple[str, ...] = ()) -> None:
    """Raise ValueError when the scored frame breaks its contract (columns, missing values,
    a label that is not boolean, a student twice in an establishment-week, a capacity that is
    not a constant integer >= 0 within each establishment-week)."""
    missing = [c for c in (*SCORED_COLUMNS, *extra) if c not in frame.columns]
    if missing:
        raise ValueError(f"the scored frame has no column(s) {missing}")
    for column in SCORED_COLUMNS:
        if frame[column].isna().any():
            raise ValueError(f"column {column!r} has missing values")
    if not frame["label"].isin([True, False]).all():
        raise ValueError("column 'label' must be boolean")
    if not np.isfinite(frame["score"].to_numpy(dtype=float)).all():
        raise ValueError("column 'score' has infinite values")
    if frame.duplicated([*WEEK, "student_id"]).any():
        raise ValueError("a student appears twice in the same establishment-week")
    capacity = frame["capacity"].to_numpy(dtype=float)
    if (capacity < 0).any() or (capacity != np.round(capacity)).any():
        raise ValueError("column 'capacity' must hold integers >= 0")
    spread = frame.groupby(WEEK, sort=False)["capacity"].agg(["min", "max"])
    if (spread["min"] != spread["max"]).any():
        raise ValueError("column 'capacity' varies within an establishment-week")


def list_lengths(frame: pd.DataFrame, rule: str) -> pd.Series:
    """The list length of each row's establishment-week under `rule`, aligned on `frame`.

    Rules: `k` (the capacity), `Nk` such as `2k` (N times the capacity), `P%` such as `5%`
    (P % of the establishment's students that week, rounded up, at least 1), or the name of a
    column of `frame` holding the length.
    """
    rule = rule.strip()
    if match := re.fullmatch(r"(\d*)k", rule):
        return frame["capacity"].astype("int64") * int(match[1] or 1)
    if match := re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", rule):
        share = Fraction(match[1]) / 100
        if not 0 < share <= 1:
            raise ValueError(f"list rule {rule!r}: the share must be in (0 %, 100 %]")
        enrolled = frame.groupby(WEEK, sort=False)["student_id"].transform("size").astype("int64")
        exact = -(-enrolled * share.numerator // share.denominator)  # ceil, in integers
        return exact.clip(lower=1)
    if rule in frame.columns:
        return frame[rule].astype("int64")
    raise ValueError(
        f"unknown list rule {rule!r}: expected 'k', '2k' (a multiple of the capacity), "
        "'5%' (a share of the students) or a column name"
    )


def top_k_flags(frame: pd.DataFrame, rule: str = "k") -> pd.Series:
    """Whether each row is on its establishment's list that week (boolean, aligned on `frame`).

    The list holds the `rule`-many highest scores of the establishment-week (see
    `list_lengths`); equal scores are broken by ascending `student_id`, so the list is
    deterministic.
    """
    check_scored_frame(frame)
    return flags_from_ranks(frame, rule)


def list_ranks(frame: pd.DataFrame) -> np.ndarray:
    """Each row's 0-based place in its establishment-week list (`models.ranking`: score
    descending, then `student_id` ascending), in row order. The list under any rule is
    `rank < length`, so the ranking is computed once for every rule. Groups integer codes,
    not strings, for speed."""
    if len(frame) == 0:
        return np.zeros(0, dtype=np.int64)
    uai = pd.factorize(frame["uai"])[0].astype(np.int64)
    as_of = pd.factorize(frame["as_of"])[0].astype(np.int64)
    week = uai * (as_of.max() + 1) + as_of
    score = frame["score"].to_numpy(dtype=float)
    return ranking.list_ranks(score, frame["student_id"], week) - 1


def flags_from_ranks(frame: pd.DataFrame, rule: str, ranks: np.ndarray | None = None) -> pd.Series:
    """`top_k_flags` without the checks, reusing `list_ranks` when given."""
    ranks = list_ranks(frame) if ranks is None else ranks
    lengths = list_lengths(frame, rule).to_numpy()
    return pd.Series(ranks < lengths, index=frame.index, name="flagged")


def week_table(
    frame: pd.DataFrame, rule: str, cluster: str = "uai", ranks: np.ndarray | None = None
) -> pd.DataFrame:
    """One row per establishment-week: enrolled, listed, hits, positives, precision, recall."""
    flagged = flags_from_ranks(frame, rule, ranks).to_numpy()
    label = frame["label"].to_numpy(dtype=bool)
    parts = pd.DataFrame(
        {
            "uai": frame["uai"].to_numpy(),
            "as_of": frame["as_of"].to_numpy(),
            "cluster": frame[cluster].to_numpy(),
            "enrolled": 1,
            "listed": flagged.astype("int64"),
            "hits": (flagged & label).astype("int64"),
            "positives": label.astype("int64"),
        }
    )
    table = parts.groupby(WEEK, sort=True).agg(
        cluster=("cluster", "first"),
        enrolled=("enrolled", "sum"),
        listed=("listed", "sum"),
        hits=("hits", "sum"),
        positives=("positives", "sum"),
    )
    table["precision"] = table["hits"] / table["listed"].where(table["listed"] > 0)
    table["recall"] = table["hits"] / table["positives"].where(table["positives"] > 0)
    return table.reset_index()


def precision_by_week(frame: pd.DataFrame, rule: str = "k") -> pd.DataFrame:
    """Precision of the lists under `rule` per as-of week, pooled over the establishments
    (the dashboard's precision at capacity over the test weeks): columns as_of, listed, hits,
    precision; a week where no list holds anyone is left out. `frame` needs uai, as_of,
    student_id, score, label and capacity."""
    missing = [c for c in ("uai", "as_of", "student_id", "score", "label", "capacity")
               if c not in frame.columns]  # fmt: skip
    if missing:
        raise ValueError(f"the scored frame has no column(s) {missing}")
    listed = flags_from_ranks(frame, rule).to_numpy()
    hits = listed & frame["label"].to_numpy(dtype=bool)
    counts = pd.DataFrame({"as_of": frame["as_of"].to_numpy(), "listed": listed.astype("int64"),
                           "hits": hits.astype("int64")})  # fmt: skip
    weekly = counts.groupby("as_of", sort=True).sum()
    weekly = weekly[weekly["listed"] > 0].copy()
    weekly["precision"] = weekly["hits"] / weekly["listed"]
    return weekly.reset_index()


@dataclass(frozen=True)
class ListMetrics:
    """Precision and recall of the weekly lists under one rule.

    `precision` and `recall` (the headline) are pooled over all establishment-weeks: total hits
    over total listed, total hits over total dropouts enrolled; they answer "of the interviews
    the académie holds, how many reach a future dropout". `precision_mean` and `recall_mean`
    average the establishment-weeks where they are defined (a list is non-empty; a dropout is
    enrolled). An empty list (capacity 0) has no precision and, if dropouts are enrolled, a
    recall of 0. `per_week` has one row per establishment-week.
    """

    rule: str
    precision: float
    recall: float
    precision_mean: float
    recall_mean: float
    per_week: pd.DataFrame


def precision_recall_at_k(frame: pd.DataFrame, rule: str = "k") -> ListMetrics:
    """Precision@k and recall@k of the weekly lists under `rule`, pooled and averaged."""
    check_scored_frame(frame)
    table = week_table(frame, rule)
    return ListMetrics(
        rule=rule,
        precision=_ratio(table["hits"].sum(), table["listed"].sum()),
        recall=_ratio(table["hits"].sum(), table["positives"].sum()),
        precision_mean=_mean(table["precision"]),
        recall_mean=_mean(table["recall"]),
        per_week=table.drop(columns="cluster"),
    )


@dataclass(frozen=True)
class ConfidenceInterval:
    """A point estimate and its percentile bootstrap interval."""

    estimate: float
    low: float
    high: float
    level: float


Statistic = Literal["precision", "recall"]


def bootstrap_ci(
    frame: pd.DataFrame,
    statistic: Statistic = "precision",
    rule: str = "k",
    n_boot: int = 500,
    seed: int = 0,
    cluster: str = "uai",
    level: float = 0.95,
) -> ConfidenceInterval:
    """Cluster bootstrap interval of pooled precision@k or recall@k.

    Establishments (or another `cluster` column, constant within an establishment-week) are
    resampled with replacement, never single rows, since the weeks and students of one school
    are correlated. Per-cluster totals are computed once; each replicate is a multinomial count
    vector, so the work is one matrix product.
    """
    check_scored_frame(frame, (cluster,))
    return cluster_bootstrap(week_table(frame, rule, cluster), statistic, n_boot, seed, level)


def cluster_bootstrap(
    table: pd.DataFrame, statistic: Statistic, n_boot: int, seed: int, level: float
) -> ConfidenceInterval:
    """`bootstrap_ci` from a `week_table` (lets callers reuse one table for several stats)."""
    if statistic not in ("precision", "recall"):
        raise ValueError(f"unknown statistic {statistic!r}: 'precision' or 'recall'")
    if n_boot < 1 or not 0 < level < 1:
        raise ValueError("n_boot must be >= 1 and level in (0, 1)")
    denominator = "listed" if statistic == "precision" else "positives"
    totals = table.groupby("cluster", sort=True)[["hits", denominator]].sum()
    hits = totals["hits"].to_numpy(dtype=float)
    base = totals[denominator].to_numpy(dtype=float)
    estimate = _ratio(hits.sum(), base.sum())
    n_clusters = len(totals)
    counts = cluster_resamples(n_clusters, n_boot, seed)
    boot_base = counts @ base
    with np.errstate(invalid="ignore", divide="ignore"):
        replicates = np.where(boot_base > 0, (counts @ hits) / boot_base, np.nan)
    low, high = percentile_interval(replicates, level)
    return ConfidenceInterval(estimate, low, high, level)


def cluster_resamples(n_clusters: int, n_boot: int, seed: int) -> np.ndarray:
    """`n_boot` resamples of `n_clusters` establishments drawn with replacement, as counts
    (one row a resample): the draws every cluster bootstrap of a run shares, so that models
    compared on the same seed are scored on the same resamples."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_clusters, np.full(n_clusters, 1 / n_clusters), size=n_boot)


def percentile_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The percentile interval of bootstrap replicates (NaN replicates left out; NaN bounds
    when none is defined)."""
    defined = values[~np.isnan(values)]
    if defined.size == 0:
        return math.nan, math.nan
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(defined, [tail, 100 - tail])
    return float(low), float(high)


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator > 0 else math.nan


def _mean(values: pd.Series) -> float:
    defined = values.dropna()
    return float(defined.mean()) if len(defined) else math.nan

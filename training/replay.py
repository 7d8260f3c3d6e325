"""The evaluation replays the school year: the weekly queue, week after week, as a watch unit
lives it.

Student-week metrics (precision@k) reward listing the same student week after week. A watch
unit's work is different: each week its `capacity` slots go to the highest-risk students not
in follow-up (`models.queue.weekly_queue`, the same rule the weekly run serves), an invited
student is interviewed, and is then followed for `held_weeks` weeks. `replay_year` plays that
for every test year, establishment and week in order, and returns the invitations;
`replay_metrics` counts what they reached.

Interviews. With `interviewed_share=1.0` every invited student is interviewed that week and
becomes `Decision("held", week, risk)`: out of the slots for `rule.held_weeks` weeks (back
earlier when the risk rose by `rule.risk_margin`, for probability scores only). With a share
below 1, each invitation is interviewed or not by a draw that depends only on (seed, school
year, establishment, student, week), never on the model, so two models inviting the same
student the same week share the draw (paired comparisons stay paired). A non-interviewed
invitation is an interview under way for that week only: it takes the slot, records no
lasting decision, and the student is eligible again the next week.

Decisions are kept per establishment and school year (the watch unit of an establishment
records them; a student who changes establishment starts afresh there, and every year starts
afresh). Scores that are not probabilities (rule ranks, counts) record no risk in their
decisions, so the risk margin never brings a student back early for them.

Weeks the replay can judge. Rows whose label is censored are not in the predictions (the test
keeps labelled rows), and near the end of an extraction every negative row is censored (its
26-week horizon is not observed yet) while the dropouts seen leaving stay labelled: in those
weeks the candidates would be future dropouts only, and every ranking, the level prior
included, would fill its slots with them (in the demo, every dropout leaving on 31 August
reached on the first such Monday, 13 weeks before). A week (school year and as-of date) with
no row labelled 0 is therefore left out of the replay and of its denominators
(`observed_weeks`); `weeks_unobserved` counts them.

Speed: rows are sorted once (week, score descending, student id); for each
establishment-week only the prefix up to the `capacity`-th student not in follow-up is handed
to `weekly_queue`, which returns the same invitations as on the full week.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from models.queue import DEFAULT_FOLLOW_UP, Decision, FollowUpRule, following_decision, weekly_queue
from models.ranking import list_order
from training.metrics_lists import cluster_resamples, percentile_interval

__all__ = [
    "EXIT_KINDS",
    "REPLAY_STATISTICS",
    "interview_draw",
    "judged_weeks",
    "metrics_of_totals",
    "observed_weeks",
    "paired_of_totals",
    "replay_cluster_totals",
    "replay_comparison",
    "replay_metrics",
    "replay_paired",
    "replay_year",
    "unobserved_weeks",
]

EXIT_KINDS: tuple[str, ...] = ("during_year", "no_return", "after_exam_failure")
"""Values of the optional `exit_kind` column; metrics are also reported per kind."""

_OPTIONAL = ("exit_date", "exit_kind", "censored")

# Statistic name -> (kind, numerator column, denominator column).
REPLAY_STATISTICS: dict[str, tuple[str, str, str | None]] = {
    "invitations": ("count", "invitations", None),
    "students_invited": ("count", "students_invited", None),
    "dropouts_reached": ("count", "reached", None),
    "dropouts_reached_ahead": ("count", "reached_ahead", None),
    "invitation_precision": ("ratio", "invitation_hits", "invitations_known"),
    "dropout_coverage": ("ratio", "reached", "dropouts"),
    "dropout_coverage_ahead": ("ratio", "reached_ahead", "dropouts"),
}
_PAIRED = (
    "students_invited",
    "dropouts_reached",
    "dropouts_reached_ahead",
    "invitation_precision",
    "dropout_coverage",
)


def interview_draw(seed: int, school_year: str, uai: str, student_id: str, week: dt.date) -> float:
    """A uniform number in [0, 1) fixed by its arguments (not by the model, nor the order)."""
    key = f"{seed}|{school_year}|{uai}|{student_id}|{week.isoformat()}".encode()
    digest = hashlib.blake2b(key, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def observed_weeks(scored: pd.DataFrame, judged: pd.MultiIndex | None = None) -> np.ndarray:
    """Rows of the weeks the replay can judge: the weeks (school year, as-of date) with at
    least one row labelled 0 among the students not censored (see the module docstring), or
    the weeks `judged` (`judged_weeks` of the whole tested set, when `scored` is a part of
    it: an académie of a partitioned extraction)."""
    if len(scored) == 0:
        return np.zeros(0, dtype=bool)
    week = _weeks(scored)
    return np.asarray(week.isin(judged_weeks(scored) if judged is None else judged), dtype=bool)


def judged_weeks(scored: pd.DataFrame) -> pd.MultiIndex:
    """The weeks (school year, as-of date) with at least one row labelled 0 among the
    students not censored: those the replay judges (their union over the parts of a tested
    set is the whole set's)."""
    week = _weeks(scored)
    negative = ~scored["label"].to_numpy(dtype=bool) & ~_censored(scored)
    return week[negative].unique()


def _weeks(scored: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays(
        [scored["school_year"].astype(str), pd.to_datetime(scored["as_of"])],
        names=["school_year", "as_of"],
    )


def replay_year(
    scored: pd.DataFrame,
    rule: FollowUpRule = DEFAULT_FOLLOW_UP,
    interviewed_share: float = 1.0,
    seed: int = 0,
    *,
    probability: bool = True,
    beyond: int = 0,
    judged: pd.MultiIndex | None = None,
) -> pd.DataFrame:
    """The invitations of the weekly queue replayed over each school year of `scored`.

    `scored`: one row per (uai, as_of, student_id) with `school_year`, `score` (higher is
    riskier), `label` and `capacity` (constant within an establishment-week); `exit_date`,
    `exit_kind` and `censored` are carried when present. Returns one row per invitation:
    uai, school_year, as_of, student_id, score, label, capacity, rank (1 = the week's first
    slot), interviewed, and the optional columns, sorted by (school_year, uai, as_of, rank).
    `probability=False` records decisions without a risk (see the module docstring).

    `beyond` > 0 also returns, for each establishment-week, the next `beyond` students not in
    follow-up after the invited ones, ranked on from capacity + 1 (interviewed False; only in
    the weeks where every slot was spent, the weeks with a cut), and a
    column `invited`: the ranking around the capacity cut that `training.interview_effect`
    reads. The invitations (and so the decisions) are the same whatever `beyond`.
    `judged`: the weeks to replay when `scored` is a part of the tested set (`observed_weeks`).
    """
    if not 0 <= interviewed_share <= 1:
        raise ValueError(f"interviewed_share must be in [0, 1], not {interviewed_share!r}")
    columns = ["uai", "school_year", "as_of", "student_id", "score", "label", "capacity"]
    missing = [c for c in columns if c not in scored.columns]
    if missing:
        raise ValueError(f"the scored frame has no column(s) {missing}")
    extra = [c for c in _OPTIONAL if c in scored.columns]
    if beyond < 0:
        raise ValueError(f"beyond must be 0 or more, not {beyond!r}")
    out_columns = [*columns, "rank", "interviewed", *extra, *(["invited"] if beyond else [])]
    scored = scored[observed_weeks(scored, judged)]
    if len(scored) == 0:
        return pd.DataFrame({c: [] for c in out_columns})
    as_of = pd.to_datetime(scored["as_of"])
    year_code, year_names = _codes(scored["school_year"])
    uai_code, uai_names = _codes(scored["uai"])
    as_of_code = pd.factorize(as_of, sort=True)[0]
    student_code, student_names = _codes(scored["student_id"])
    score = scored["score"].to_numpy(dtype="float64")
    if not np.isfinite(score).all():
        raise ValueError("column 'score' has missing or infinite values")
    # Establishment-weeks in (school year, uai, as_of) order, each in list order.
    weeks = (year_code.astype(np.int64) * (uai_code.max() + 1) + uai_code) * (
        as_of_code.max() + 1
    ) + as_of_code
    order = list_order(score, student_code, weeks)
    week_key = weeks[order]
    starts = np.flatnonzero(np.r_[True, week_key[1:] != week_key[:-1]])
    ends = np.r_[starts[1:], len(order)]
    # Strings only where the loop reads them: ids through their codes, keys at week starts.
    student_at = student_code[order]
    pairs = week_key * (int(student_code.max()) + 1) + student_at
    if len(pd.unique(pairs)) < len(pairs):
        raise ValueError("a student is scored twice in the same establishment-week")
    week_of_start = dict(
        zip(starts.tolist(), pd.DatetimeIndex(as_of.to_numpy()[order[starts]]).date, strict=True)
    )
    years = dict(zip(starts.tolist(), year_names[year_code[order[starts]]], strict=True))
    uais = dict(zip(starts.tolist(), uai_names[uai_code[order[starts]]], strict=True))
    scores = score[order]
    capacities = scored["capacity"].to_numpy()[order]
    book: dict[tuple[str, str], dict[str, list[Decision]]] = {}
    picked: list[int] = []
    ranks: list[int] = []
    interviewed: list[bool] = []
    invited: list[bool] = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        year, uai, week = years[start], uais[start], week_of_start[start]
        capacity = int(capacities[start])
        decisions = book.setdefault((year, uai), {})
        free, stop, free_rows = 0, start, []
        while stop < end and free < capacity + beyond:
            history = decisions.get(student_names[student_at[stop]])
            if history is None or following_decision(history, week, scores[stop], rule) is None:
                free += 1
                free_rows.append(stop)
            stop += 1
        if free == 0:
            continue
        prefix = range(start, stop)
        position = {student_names[student_at[i]]: i for i in prefix}
        queue = weekly_queue(
            [(student, float(scores[i])) for student, i in position.items()],
            capacity,
            None,
            week=week,
            decisions={s: decisions[s] for s in position if s in decisions},
            rule=rule,
        )
        for entry in queue:
            if entry.part != "invite":
                continue
            row = position[entry.student_id]
            held = interviewed_share >= 1 or (
                interviewed_share > 0
                and interview_draw(seed, year, uai, entry.student_id, week) < interviewed_share
            )
            if held:
                risk = float(scores[row]) if probability else None
                decisions.setdefault(entry.student_id, []).append(Decision("held", week, risk))
            picked.append(row)
            ranks.append(entry.rank)
            interviewed.append(held)
            invited.append(True)
        inside = {position[e.student_id] for e in queue if e.part == "invite"}
        if beyond and len(inside) == capacity:  # a week with every slot spent has a cut
            outside = [i for i in free_rows if i not in inside]
            for place, i in enumerate(outside[:beyond], start=len(inside) + 1):
                picked.append(i)
                ranks.append(place)
                interviewed.append(False)
                invited.append(False)
    rows = order[np.asarray(picked, dtype=np.int64)]
    invitations = scored.iloc[rows][[*columns, *extra]].reset_index(drop=True)
    invitations["as_of"] = pd.to_datetime(invitations["as_of"])
    invitations.insert(7, "rank", np.asarray(ranks, dtype=np.int64))
    invitations.insert(8, "interviewed", np.asarray(interviewed, dtype=bool))
    if beyond:
        invitations["invited"] = np.asarray(invited, dtype=bool)
    return invitations


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Sorted integer codes of a column and its distinct values as strings."""
    codes, uniques = pd.factorize(values, sort=True)
    if (codes < 0).any():
        raise ValueError(f"column {values.name!r} has missing values")
    return codes, np.asarray([str(value) for value in uniques], dtype=object)


def _dropouts(scored: pd.DataFrame) -> pd.DataFrame:
    """The year's future dropouts enrolled in the replayed weeks (censored rows left out): the
    students with at least one row labelled positive in the school year (with a fixed-horizon
    label, an interview held before the horizon opened still reaches them before their exit);
    one row per (school_year, student_id) with cluster (establishment of their first week),
    exit_date (latest; NaT when unknown) and exit_kind (when the column exists)."""
    rows = scored[scored["label"].to_numpy(dtype=bool) & ~_censored(scored)]
    rows = rows.assign(as_of=pd.to_datetime(rows["as_of"])).sort_values(
        ["school_year", "student_id", "as_of"], kind="mergesort"
    )
    grouped = rows.groupby(["school_year", "student_id"], sort=True)
    out = pd.DataFrame({"cluster": grouped["uai"].first()})
    if "exit_date" in rows.columns:
        out["exit_date"] = pd.to_datetime(grouped["exit_date"].max())
    else:
        out["exit_date"] = pd.NaT
    if "exit_kind" in rows.columns:
        out["exit_kind"] = grouped["exit_kind"].first()
    return out


def _censored(frame: pd.DataFrame) -> np.ndarray:
    if "censored" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame["censored"].fillna(False).to_numpy(dtype=bool)


def _reached(invitations: pd.DataFrame, dropouts: pd.DataFrame) -> pd.DataFrame:
    """Per dropout: the first week an interview was held on or before the exit (NaT when
    none) and the lead in weeks (exit minus that week; NaN when unknown)."""
    held = invitations[invitations["interviewed"].to_numpy(dtype=bool)]
    held = held[["school_year", "student_id", "as_of"]].merge(
        dropouts[["exit_date"]].reset_index(), on=["school_year", "student_id"]
    )
    held = held[held["exit_date"].isna() | (held["as_of"] <= held["exit_date"])]
    first = held.groupby(["school_year", "student_id"], sort=True)["as_of"].min()
    out = dropouts.join(first.rename("first_interview"))
    out["lead_weeks"] = (out["exit_date"] - out["first_interview"]).dt.days / 7
    return out


def replay_cluster_totals(
    invitations: pd.DataFrame,
    scored: pd.DataFrame,
    ahead_weeks: float = 4,
    kinds: Sequence[str] = (),
    judged: pd.MultiIndex | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Additive totals per establishment (the bootstrap's unit) and the per-dropout table.

    Totals: invitations, invitations_known (to students not censored), invitation_hits (to
    future dropouts), censored_invitations, students_invited (each student once a year, in the
    establishment of their first invitation), dropouts (the year's future dropouts, in the
    establishment of their first replayed week), reached (interviewed on or before the exit),
    reached_ahead (at least `ahead_weeks` before; an unknown exit date is never ahead), all
    in the weeks the replay judges (`observed_weeks`, or `judged`), and
    for each kind k of `kinds`: dropouts@k, reached@k, reached_ahead@k.
    """
    clusters = pd.Index(sorted(scored["uai"].astype(str).unique()), name="cluster")
    censored = _censored(invitations)
    inv = pd.DataFrame({
        "cluster": invitations["uai"].astype(str).to_numpy(),
        "invitations": 1,
        "invitations_known": (~censored).astype("int64"),
        "invitation_hits": (invitations["label"].to_numpy(dtype=bool) & ~censored).astype("int64"),
        "censored_invitations": censored.astype("int64"),
    })  # fmt: skip
    totals = inv.groupby("cluster").sum().reindex(clusters, fill_value=0)
    first = invitations.sort_values(["school_year", "student_id", "as_of"], kind="mergesort")
    first = first.drop_duplicates(["school_year", "student_id"])
    totals["students_invited"] = (
        first["uai"].astype(str).value_counts().reindex(clusters, fill_value=0)
    )
    per_dropout = _reached(invitations, _dropouts(scored[observed_weeks(scored, judged)]))
    per_dropout["reached"] = per_dropout["first_interview"].notna()
    per_dropout["reached_ahead"] = per_dropout["lead_weeks"] >= ahead_weeks
    groups = [("", per_dropout)]
    if "exit_kind" in per_dropout.columns:
        groups += [(f"@{kind}", per_dropout[per_dropout["exit_kind"] == kind]) for kind in kinds]
    for suffix, part in groups:
        by_cluster = part.groupby("cluster")
        totals[f"dropouts{suffix}"] = by_cluster.size().reindex(clusters, fill_value=0)
        for column in ("reached", "reached_ahead"):
            counts = by_cluster[column].sum().reindex(clusters, fill_value=0)
            totals[f"{column}{suffix}"] = counts
    return totals.astype("int64"), per_dropout


def _statistics(kinds: Sequence[str]) -> dict[str, tuple[str, str, str | None]]:
    stats = dict(REPLAY_STATISTICS)
    for kind in kinds:
        stats |= {
            f"dropouts_reached@{kind}": ("count", f"reached@{kind}", None),
            f"dropouts_reached_ahead@{kind}": ("count", f"reached_ahead@{kind}", None),
            f"dropout_coverage@{kind}": ("ratio", f"reached@{kind}", f"dropouts@{kind}"),
        }
    return stats


def _kinds(scored: pd.DataFrame) -> tuple[str, ...]:
    return EXIT_KINDS if "exit_kind" in scored.columns else ()


def _replicates(
    totals: pd.DataFrame, kind: str, num: str, den: str | None, counts: np.ndarray
) -> np.ndarray:
    top = counts @ totals[num].to_numpy(dtype="float64")
    if kind == "count":
        return top
    bottom = counts @ totals[den].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bottom > 0, top / bottom, np.nan)


def _estimate(totals: pd.DataFrame, kind: str, num: str, den: str | None) -> float:
    top = float(totals[num].sum())
    if kind == "count":
        return top
    bottom = float(totals[den].sum())
    return top / bottom if bottom > 0 else math.nan


def _median_replicates(
    per_dropout: pd.DataFrame, clusters: pd.Index, counts: np.ndarray
) -> np.ndarray:
    """The median lead time of each bootstrap replicate (dropouts weighted by how many times
    their establishment was drawn)."""
    leads = per_dropout["lead_weeks"].dropna().sort_values(kind="mergesort")
    if leads.empty:
        return np.full(len(counts), np.nan)
    where = clusters.get_indexer(per_dropout.loc[leads.index, "cluster"])
    weights = counts[:, where].astype("float64")
    cumulative = np.cumsum(weights, axis=1)
    total = cumulative[:, -1:]
    values = leads.to_numpy(dtype="float64")
    lower = values[np.minimum((cumulative < total / 2).sum(axis=1), len(values) - 1)]
    upper = values[np.minimum((cumulative <= total / 2).sum(axis=1), len(values) - 1)]
    even = np.isclose(cumulative, total / 2).any(axis=1)
    medians = np.where(even, (lower + upper) / 2, lower)
    return np.where(total[:, 0] > 0, medians, np.nan)


def replay_metrics(
    invitations: pd.DataFrame,
    scored: pd.DataFrame,
    *,
    ahead_weeks: float = 4,
    n_boot: int = 500,
    seed: int = 0,
) -> dict[str, float]:
    """The replay's metrics with 95 % cluster-bootstrap intervals (`_low`, `_high`).

    invitations, students_invited (distinct per school year), dropouts_reached (distinct future
    dropouts interviewed on or before their exit), dropouts_reached_ahead (of them, at least
    `ahead_weeks` before), invitation_precision (share of invitations that went to future
    dropouts, censored students left out), dropout_coverage (share of the year's dropouts
    reached; censored students are out of the denominator), dropout_coverage_ahead,
    lead_time_median_weeks (over reached dropouts with an exit date; its quartiles
    lead_time_q1_weeks and lead_time_q3_weeks, point estimates), n_dropouts,
    censored_invitations (counted apart), weeks_unobserved (weeks left out of the replay,
    `observed_weeks`); per exit kind when `exit_kind` is present.
    """
    kinds = _kinds(scored)
    totals, per_dropout = replay_cluster_totals(invitations, scored, ahead_weeks, kinds)
    return metrics_of_totals(totals, per_dropout, kinds, unobserved_weeks(scored),
                             n_boot=n_boot, seed=seed)  # fmt: skip


def unobserved_weeks(scored: pd.DataFrame, judged: pd.MultiIndex | None = None) -> int:
    """How many weeks (school year, as-of date) of `scored` the replay leaves out: no row
    labelled 0 among the students not censored (`observed_weeks`; or not in `judged`)."""
    weeks = _weeks(scored).unique()
    return int((~weeks.isin(judged_weeks(scored) if judged is None else judged)).sum())


def metrics_of_totals(
    totals: pd.DataFrame,
    per_dropout: pd.DataFrame,
    kinds: Sequence[str],
    unobserved: int,
    *,
    n_boot: int = 500,
    seed: int = 0,
) -> dict[str, float]:
    """`replay_metrics` from the additive totals per establishment and the per-dropout table
    (`replay_cluster_totals`; those of the parts of a tested set concatenated, establishments
    and dropouts sorted), `unobserved` the weeks it left out (or their count)."""
    counts = cluster_resamples(len(totals.index), n_boot, seed)
    result: dict[str, float] = {}
    for name, (kind, num, den) in _statistics(kinds).items():
        result[name] = _estimate(totals, kind, num, den)
        result[f"{name}_low"], result[f"{name}_high"] = percentile_interval(
            _replicates(totals, kind, num, den, counts)
        )
    groups = [("", per_dropout)]
    if "exit_kind" in per_dropout.columns:
        groups += [(f"@{k}", per_dropout[per_dropout["exit_kind"] == k]) for k in kinds]
    for suffix, part in groups:
        leads = part["lead_weeks"].dropna()
        name = f"lead_time_median_weeks{suffix}"
        result[name] = float(leads.median()) if len(leads) else math.nan
        for quartile, q in (("q1", 0.25), ("q3", 0.75)):
            value = float(leads.quantile(q)) if len(leads) else math.nan
            result[f"lead_time_{quartile}_weeks{suffix}"] = value
        result[f"{name}_low"], result[f"{name}_high"] = percentile_interval(
            _median_replicates(part, totals.index, counts)
        )
        result[f"n_dropouts{suffix}"] = float(len(part))
    result["censored_invitations"] = float(totals["censored_invitations"].sum())
    result["weeks_unobserved"] = float(unobserved)
    return result


def replay_paired(
    invitations: Mapping[str, pd.DataFrame],
    scored: pd.DataFrame,
    reference: str,
    *,
    ahead_weeks: float = 4,
    n_boot: int = 500,
    seed: int = 0,
) -> pd.DataFrame:
    """`reference` minus each other model on the main replay metrics, with paired
    cluster-bootstrap intervals (the same resampled establishments for both)."""
    if reference not in invitations:
        raise ValueError(f"no {reference!r} invitations")
    kinds = _kinds(scored)
    totals = {
        name: replay_cluster_totals(frame, scored, ahead_weeks, kinds)[0]
        for name, frame in invitations.items()
    }
    return paired_of_totals(totals, reference, kinds, n_boot=n_boot, seed=seed)


def paired_of_totals(
    totals: Mapping[str, pd.DataFrame],
    reference: str,
    kinds: Sequence[str],
    *,
    n_boot: int = 500,
    seed: int = 0,
) -> pd.DataFrame:
    """`replay_paired` from each model's totals per establishment (`replay_cluster_totals`)."""
    clusters = totals[reference].index
    counts = cluster_resamples(len(clusters), n_boot, seed)
    stats = _statistics(kinds)
    rows: dict[str, dict[str, float]] = {}
    for name, theirs in totals.items():
        if name == reference:
            continue
        theirs = theirs.reindex(clusters, fill_value=0)
        row: dict[str, float] = {}
        for stat in _PAIRED:
            kind, num, den = stats[stat]
            ours = totals[reference]
            key = f"{stat}_diff"
            row[key] = _estimate(ours, kind, num, den) - _estimate(theirs, kind, num, den)
            row[f"{key}_low"], row[f"{key}_high"] = percentile_interval(
                _replicates(ours, kind, num, den, counts)
                - _replicates(theirs, kind, num, den, counts)
            )
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = f"{reference} minus"
    return table


def replay_comparison(
    frames: Mapping[str, pd.DataFrame],
    *,
    probability_models: Sequence[str] = (),
    reference: str | None = None,
    rule: FollowUpRule = DEFAULT_FOLLOW_UP,
    interviewed_share: float = 1.0,
    ahead_weeks: float = 4,
    n_boot: int = 500,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Replay every model's scored frame (same rows for all) and compare them: one row per
    model of `replay_metrics`, and (with `reference`) the paired differences."""
    invitations = {
        name: replay_year(
            frame, rule, interviewed_share, seed, probability=name in probability_models
        )
        for name, frame in frames.items()
    }
    scored = next(iter(frames.values()))
    table = pd.DataFrame.from_dict(
        {
            name: replay_metrics(inv, scored, ahead_weeks=ahead_weeks, n_boot=n_boot, seed=seed)
            for name, inv in invitations.items()
        },
        orient="index",
    )
    table.index.name = "model"
    paired = None
    if reference is not None and reference in invitations and len(invitations) > 1:
        paired = replay_paired(invitations, scored, reference, ahead_weeks=ahead_weeks,
                               n_boot=n_boot, seed=seed)  # fmt: skip
    return table, paired

"""Scoring a week's features: the one function the weekly run and the API share.

`explain_students` turns rows of a `FeatureSet` into `ScoredStudent`s (calibrated risk, the
three reasons in French and English, the feature values the list shows); `week_lists` scores
every enrolled student, ranks each establishment's weekly queue with
`serving.weekly.rank_students` (the rule of `models.queue`, with the decisions the store
holds) and explains only the students queued (to invite, to watch, in follow-up), so that
memory grows with the lists, not with the académie. Pure: features, decisions and a fitted
model in, dataclasses out.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.calendar import monday_on_or_before
from features.feature_set import CONTEXT_COLUMNS, FeatureSet, arrow_strings, row_positions
from models.queue import DEFAULT_FOLLOW_UP, Decision, FollowUpRule, QueuedStudent
from serving.lineage import contributions_table
from serving.list_payload import CONTEXT_KEY, context_summary
from serving.weekly import (
    EstablishmentWeek,
    Explainer,
    ScoredStudent,
    rank_students,
)
from serving.weekly.student_risks import StudentRisks

if TYPE_CHECKING:
    from models.explanations import Explanations
    from models.risk_model import RiskModel

__all__ = [
    "DEFAULT_WATCH_THRESHOLD",
    "REASONS_SHOWN",
    "Candidates",
    "EstablishmentInfo",
    "ExplainedWeek",
    "cycle_collection_paused",
    "explain_students",
    "explain_with_contributions",
    "explainer",
    "python_strings",
    "rank_positions",
    "week_candidates",
    "week_lists",
]

REASONS_SHOWN = 3
_LISTED = ("why",)  # the reasons a list's student is stored with (`ScoredStudent`)
_CHUNK_ROWS = 20_000  # the rows explained at a time
# Calibrated risk at or over which a student beyond the interview capacity is shown "to
# watch": about one in five such students drops out within the year, some 18 times the base
# rate. Measured on the tested weeks of a 300,000-student synthetic académie (bench/README,
# dashboard section; 1,800 lists): 17 % of the lists get such students, 1.4 a list on average,
# 6 at the 90th percentile; at 0.3 only 2 % of the lists got any and the tier went unseen.
DEFAULT_WATCH_THRESHOLD = 0.2


@dataclass(frozen=True)
class EstablishmentInfo:
    """What the list of an establishment needs besides its students' features."""

    uai: str
    name: str
    weekly_interview_capacity: int


def explain_students(
    model: RiskModel,
    feature_set: FeatureSet,
    rows: Sequence[int] | np.ndarray | None = None,
    *,
    protective: int = 0,
    chunk_rows: int = _CHUNK_ROWS,
    kinds: Sequence[str] = ("why", "protective", "context"),
) -> tuple[list[ScoredStudent], list[dict[str, Any]]]:
    """The scored students of `rows` (positions in `feature_set`; all rows by default), in
    that order, and the raw explanation records (with the protective factors when asked;
    with the reasons of `kinds` only: a list's students need only the reasons why).
    Reference values are the establishment's and the académie's medians over all of
    `feature_set` (pass the whole week even to explain a few rows)."""
    explained = model.explain(
        feature_set,
        top=REASONS_SHOWN,
        protective=protective,
        rows=rows,
        chunk_rows=chunk_rows,
        kinds=kinds,
    )
    return _scored_students(feature_set, explained, kinds)


def explain_with_contributions(
    model: RiskModel,
    feature_set: FeatureSet,
    rows: Sequence[int] | np.ndarray,
    *,
    kinds: Sequence[str] = _LISTED,
) -> tuple[list[ScoredStudent], pd.DataFrame]:
    """`explain_students` of `rows` (with the reasons of `kinds`), and the contributions
    their reasons came from, as the week's lineage stores them
    (`serving.lineage.contributions_table`: a row per student, in the same order)."""
    explained = model.explain(
        feature_set, top=REASONS_SHOWN, protective=0, rows=rows, chunk_rows=_CHUNK_ROWS,
        kinds=kinds, keep_contributions=True,
    )  # fmt: skip
    scored, _ = _scored_students(feature_set, explained, kinds)
    assert explained.contributions is not None
    uais = feature_set.frame["uai"].to_numpy()
    pairs = [(str(uais[row]), s.student_id) for row, s in zip(rows, scored, strict=True)]
    return scored, contributions_table(explained.contributions, pairs)


def _scored_students(
    feature_set: FeatureSet, explained: Explanations, kinds: Sequence[str]
) -> tuple[list[ScoredStudent], list[dict[str, Any]]]:
    """`explain_students`'s result from the `explained` rows of `feature_set`."""
    records = explained.to_records(kinds)
    # Each context column taken once at the records' rows, not looked up cell by cell.
    rows = [int(record["row"]) for record in records]
    columns = [feature_set.frame[column].iloc[rows] for column in CONTEXT_COLUMNS]
    cells = zip(*columns, strict=True)
    scored = [
        ScoredStudent.from_explanation(record, _features_shown(row_cells, record))
        for record, row_cells in zip(records, cells, strict=True)
    ]
    return scored, records


def _features_shown(cells: Sequence[Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """The context the list shows (level, track, class: `cells`, of the record's row, in
    `CONTEXT_COLUMNS` order), the value of each reason and the context's weight
    (`serving.list_payload`, when the record has one)."""
    shown: dict[str, Any] = {
        column: _plain(value) for column, value in zip(CONTEXT_COLUMNS, cells, strict=True)
    }
    for reason in record.get("reasons", ())[:REASONS_SHOWN]:
        shown[str(reason["feature"])] = reason.get("value")
    context = context_summary(record)
    if context is not None:
        shown[CONTEXT_KEY] = context
    return shown


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def rank_positions(
    feature_set: FeatureSet,
    risks: np.ndarray,
    establishments: Mapping[str, EstablishmentInfo],
    watch_threshold: float | None,
    *,
    decisions: Mapping[str, Sequence[Decision]] | None = None,
    rule: FollowUpRule = DEFAULT_FOLLOW_UP,
    candidates: Mapping[str, Candidates] | None = None,
) -> dict[str, list[int]]:
    """For each establishment, the positions in `feature_set` of its queued students (to
    invite, to watch, in follow-up, in queue order), by the rule of `rank_students` with
    `decisions` (by student id) in the week of the feature set's as-of date. A student of an
    establishment absent from `establishments` is an error: its capacity is unknown.
    `candidates`: `week_candidates(feature_set, risks)`, when made already."""
    by_uai = week_candidates(feature_set, risks) if candidates is None else candidates
    queues = _queues(feature_set, by_uai, establishments, watch_threshold, decisions, rule)
    return {uai: positions for uai, (positions, _) in queues.items()}


def _queues(
    feature_set: FeatureSet,
    by_uai: Mapping[str, Candidates],
    establishments: Mapping[str, EstablishmentInfo],
    watch_threshold: float | None,
    decisions: Mapping[str, Sequence[Decision]] | None,
    rule: FollowUpRule,
) -> dict[str, tuple[list[int], list[QueuedStudent]]]:
    """`rank_positions`, with each establishment's queue as `rank_students` made it (from
    the students its queue may hold: `StudentRisks.queue_pairs`)."""
    week = _week(feature_set)
    unknown = sorted(set(by_uai) - set(establishments))
    if unknown:
        raise ValueError(f"students enrolled in establishments without capacity: {unknown[:5]}")
    ranked: dict[str, tuple[list[int], list[QueuedStudent]]] = {}
    nobody = Candidates(np.empty(0, dtype="int64"), StudentRisks.from_pairs(()))
    # Who has a decision, for every row in one pass (rows found by their positions).
    decided = feature_set.frame["student_id"].isin(list(decisions or {})).to_numpy(dtype=bool)
    for uai, info in establishments.items():
        found: Candidates = by_uai.get(uai, nobody)
        positions, risks_of = found.positions, found.risks
        capacity = info.weekly_interview_capacity
        kept, pairs = risks_of.queue_pairs(capacity, watch_threshold, decided[positions])
        where = dict(zip([student_id for student_id, _ in pairs], positions[kept].tolist(),
                         strict=True))  # fmt: skip
        order = rank_students(
            pairs, capacity, watch_threshold, week=week, decisions=decisions, rule=rule
        )
        ranked[uai] = ([where[queued.student_id] for queued in order], order)
    return ranked


class Candidates(NamedTuple):
    """An establishment's students in the feature set's row order: their positions, and
    their risks (`StudentRisks`, in the same order), what its queue is chosen from."""

    positions: np.ndarray
    risks: StudentRisks


def week_candidates(feature_set: FeatureSet, risks: np.ndarray) -> dict[str, Candidates]:
    """Every establishment's `Candidates` (by UAI): the rows grouped with one stable sort of
    the UAI codes, each establishment's arrays sliced from the sorted ones (no Python object
    per row)."""
    frame = feature_set.frame
    order, slices = _uai_slices(frame["uai"])
    ids = arrow_strings(frame["student_id"]).take(pa.array(order))
    values = np.asarray(risks, dtype="float64")[order]
    distinct = _distinct_by_establishment(ids, [end - start for _, start, end in slices])
    return {
        uai: Candidates(
            order[start:end],
            StudentRisks(ids.slice(start, end - start), values[start:end], distinct=known),
        )
        for (uai, start, end), known in zip(slices, distinct, strict=True)
    }


def _distinct_by_establishment(ids: pa.Array, sizes: list[int]) -> list[bool | None]:
    """Whether each establishment's ids (consecutive runs of `sizes` ids) are each listed
    once, told from neighbours when every run is in id order (as a feature set's rows are:
    a repeated id is then next to itself); None for all (looked for when asked) otherwise."""
    group = np.repeat(np.arange(len(sizes)), sizes)
    if len(ids) < 2:
        return [True] * len(sizes)
    same = group[1:] == group[:-1]
    first, second = ids.slice(0, len(ids) - 1), ids.slice(1)
    ordered = pc.less_equal(first, second).to_numpy(zero_copy_only=False)
    if not np.all(ordered | ~same):
        return [None] * len(sizes)
    repeated = pc.equal(first, second).to_numpy(zero_copy_only=False) & same
    twice = np.bincount(group[1:][repeated], minlength=len(sizes))
    return [not count for count in twice.tolist()]


def _week(feature_set: FeatureSet) -> dt.date:
    """The Monday of the feature set's one as-of date (any date when it has no rows: nobody
    is queued)."""
    as_of = feature_set.frame["as_of"].unique()
    if len(as_of) == 0:
        return dt.date.min
    if len(as_of) > 1:
        raise ValueError("a week's lists are scored at one as-of date")
    return monday_on_or_before(pd.Timestamp(as_of[0]).date())


class ExplainedWeek(NamedTuple):
    """`week_lists`'s result. `weeks`: every establishment's input for the week, its queued
    students explained and every enrolled student's risk. `contributions`: those of the
    students explained (`serving.lineage.StagedWeek.finish`'s form: `student_id`, `uai`, a
    column per model feature, `base_value`; a row per explained student, in the weeks'
    order), the values their reasons come from, which the week's lineage stores of the
    students listed rather than computing them again. `queues`: each establishment's queue
    (by UAI) as ranked against the decisions given (`serving.weekly.RankedQueues`)."""

    weeks: list[EstablishmentWeek]
    contributions: pd.DataFrame
    queues: dict[str, list[QueuedStudent]]


def week_lists(
    model: RiskModel,
    feature_set: FeatureSet,
    establishments: Mapping[str, EstablishmentInfo],
    watch_threshold: float | None,
    *,
    risks: np.ndarray | None = None,
    decisions: Mapping[str, Sequence[Decision]] | None = None,
    rule: FollowUpRule = DEFAULT_FOLLOW_UP,
) -> ExplainedWeek:
    """Every establishment's input for the week: its queued students explained (to invite,
    to watch and in follow-up under `rule` with `decisions`) and every enrolled student's
    risk (the store queues them again when the decisions differ at write time), with the
    explained students' contributions and the queues (`ExplainedWeek`). The rosters travel
    beside, as one table (`serving.scoring.run.week_rosters`).

    `risks` (the calibrated risk of every row) may be passed when already computed."""
    if len(feature_set.frame["as_of"].unique()) > 1:
        raise ValueError("a week's lists are scored at one as-of date")
    if risks is None:
        risks = model.predict_risk(feature_set)
    candidates = week_candidates(feature_set, risks)
    queues = _queues(feature_set, candidates, establishments, watch_threshold, decisions, rule)
    positions = np.asarray(
        [p for uai in sorted(queues) for p in queues[uai][0]], dtype="int64"
    )  # fmt: skip
    scored, contributions = explain_with_contributions(model, feature_set, positions)
    by_uai: dict[str, list[ScoredStudent]] = defaultdict(list)
    uais = feature_set.frame["uai"].to_numpy()
    for position, student in zip(positions, scored, strict=True):
        by_uai[str(uais[position])].append(student)
    nobody = Candidates(np.empty(0, dtype="int64"), StudentRisks.from_pairs(()))
    weeks = [
        EstablishmentWeek(
            info.uai,
            info.name,
            info.weekly_interview_capacity,
            tuple(by_uai.get(uai, ())),
            (),
            candidates.get(uai, nobody).risks,
        )
        for uai, info in sorted(establishments.items())
    ]
    # The weeks' students in order: positions are grouped by UAI in sorted order, as the
    # weeks are, each establishment's in queue order.
    return ExplainedWeek(weeks, contributions, {uai: order for uai, (_, order) in queues.items()})


def explainer(model: RiskModel, feature_set: FeatureSet) -> Explainer:
    """Explains, at write time, students of `feature_set` the lists did not explain (a
    decision recorded since gave them a slot), as `explain_students` does."""

    def explain(pairs: Sequence[tuple[str, str]]) -> list[ScoredStudent]:
        position = row_positions(feature_set.frame, {student_id for _, student_id in pairs})
        unknown = [pair for pair in pairs if pair not in position]
        if unknown:
            raise ValueError(f"students not scored this week: {unknown[:5]}")
        rows = np.asarray([position[pair] for pair in pairs], dtype="int64")
        return explain_students(model, feature_set, rows, kinds=_LISTED)[0]

    return explain


def python_strings(column: pd.Series) -> np.ndarray:
    """A column's values as Python strings, in one conversion: not one `str` call a row, and
    not an iteration of Arrow strings (0.38 s against 0.05 s for 300,000 ids)."""
    return column.astype(str).to_numpy(dtype=object)


def _uai_slices(uais: pd.Series) -> tuple[np.ndarray, list[tuple[str, int, int]]]:
    """The rows' order grouped by UAI (one stable sort of the UAI codes: row order within
    each), and each UAI's (uai, start, end) in that order, UAIs sorted (code-point order:
    Python's, and that of the UTF-8 bytes Arrow sorts)."""
    codes, grouped = uais.factorize(sort=True)
    if (codes < 0).any():
        raise ValueError("a student's feature row has no establishment (uai)")
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(np.bincount(codes, minlength=len(grouped))).tolist()
    starts = [0, *ends][: len(ends)]
    return order, [(str(uai), a, b) for uai, a, b in zip(grouped, starts, ends, strict=True)]


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collector off inside the block (back on after, if it was on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

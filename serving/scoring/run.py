"""The weekly run with its I/O edges: extraction in, the week's lists in the store.

`score_week` validates the extraction (the contract gate every command goes through), builds
the features of every student enrolled on the as-of date with the one feature builder,
scores them, reads the watch unit's decisions (as of the week) from the store and explains
the students of each establishment's weekly queue under the follow-up rule
(`serving.scoring.week`), then writes every establishment's list in one transaction
(`serving.weekly.replace_week_lists`, which reads the decisions again inside that
transaction: it takes the run's queues when they are the ones the run ranked against, else
queues every student again and explains there the few students a decision recorded in
between moved into the queue). Nothing is written before the last step, and
that step is all or nothing: an invalid extraction, a model that fails, a store error or an
interruption leave the previous lists exactly as they were.

The last step also records the week's lineage (`serving.lineage`): the feature snapshot of
every student scored and the contributions of every listed student, under
`<home>/weeks/<as_of>/`, with the model version and the extraction's fingerprint, so that
every page about the week reads the data its list came from.
"""

from __future__ import annotations

import datetime as dt
import getpass
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pyarrow as pa

from features.background import in_background
from features.calendar import monday_on_or_before
from features.feature_set import arrow_strings
from models.queue import DEFAULT_FOLLOW_UP, FollowUpRule
from serving.db.engine import Store
from serving.lineage import StagedWeek, stage_week
from serving.scoring.model import ModelLoading, RegisteredModel, loaded
from serving.scoring.week import (
    EstablishmentInfo,
    cycle_collection_paused,
    explainer,
    week_lists,
)
from serving.weekly import (
    ROSTER_SCHEMA,
    EstablishmentWeek,
    RankedQueues,
    WeekWriteResult,
    replace_week_lists,
)
from serving.weekly.decisions import decisions_of, load_follow_ups
from serving.weekly.student_risks import StudentRisks, WeekRisks

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import numpy as np
    import pandas as pd

    from features.extraction import Extraction
    from features.feature_set import FeatureSet
    from features.incremental.validation import ValidationSummary
    from models.queue import Decision, QueuedStudent
    from models.risk_model import RiskModel

__all__ = [
    "STAGES",
    "EstablishmentSummary",
    "WeekLists",
    "WeeklyScoring",
    "extraction_week_lists",
    "score_features",
    "score_week",
    "week_rosters",
]

STAGES = ("validate", "features", "predict", "explain lists", "store write")


@dataclass(frozen=True)
class EstablishmentSummary:
    """What the run prints for an establishment: counts and risks, never a name. `listed`:
    students to invite (never more than the capacity); `followed`: in follow-up, apart."""

    uai: str
    enrolled: int
    capacity: int
    listed: int
    watch: int
    top_risk: float | None
    followed: int = 0


@dataclass(frozen=True)
class WeeklyScoring:
    """The outcome of a weekly run: what was written and how long each stage took."""

    written: WeekWriteResult
    model_version: str
    scored_students: int
    establishments: tuple[EstablishmentSummary, ...]
    seconds: dict[str, float] = field(default_factory=dict)
    # The week's feature rows as scored (the snapshot's rows, with the sensitive columns
    # the snapshot leaves out; never a model input, nor read by the drift, which reads the
    # catalog's features): what the week's monitoring uses instead of re-reading the snapshot.
    rows: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    # How each partition of a partitioned run was validated and aggregated, by name.
    validations: dict[str, ValidationSummary] = field(default_factory=dict)


class _Stages:
    def __init__(self, on_stage: Callable[[str, float], None] | None) -> None:
        self.seconds: dict[str, float] = {}
        self._on_stage = on_stage

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - started
        if self._on_stage is not None:
            self._on_stage(name, self.seconds[name])


def score_week(
    data: str | Path,
    as_of: dt.date,
    store: Store,
    model: RegisteredModel | ModelLoading,
    *,
    home: str | Path,
    watch_threshold: float | None,
    rule: FollowUpRule = DEFAULT_FOLLOW_UP,
    on_stage: Callable[[str, float], None] | None = None,
    validate: Callable[[str | Path], Extraction] | None = None,
    build: Callable[[Extraction, dt.date], FeatureSet] | None = None,
    before_write: Callable[[], object] | None = None,
) -> WeeklyScoring:
    """Score every student enrolled on `as_of` in the extraction `data` with `model` and
    replace the week's lists in `store`, the week's artifacts under `home`. Raises
    `InvalidExtractionError` for an extraction that breaks the contract, and whatever the
    store raises, before anything is kept. `validate` opens and validates the extraction
    (default `features.validation.require_valid`) and `build` builds the features of the
    as-of date (default `build_features`); the incremental run passes its own of both
    (`serving.scoring.incremental`), and `before_write`, called as the store write begins
    (its kept sums written then, on the core the write leaves free). `model` may still be
    loading (`ModelLoading`): the validation and the features go on meanwhile, the scores
    wait for it."""
    from features.builder import build_features
    from features.validation import require_valid

    if watch_threshold is not None and not 0.0 <= watch_threshold <= 1.0:
        raise ValueError(f"the watch threshold must be between 0 and 1, not {watch_threshold}")
    stages = _Stages(on_stage)
    # The cycle collector paused for the whole run: the model's thread imports MLflow and
    # LightGBM meanwhile, and each full collection would walk every object they make.
    with cycle_collection_paused():
        with stages.stage("validate"):
            extraction = (validate or require_valid)(data)
        with extraction:
            with stages.stage("features"):
                if build is None:
                    feature_set = build_features(extraction, [as_of])
                else:
                    feature_set = build(extraction, as_of)
            return score_features(
                extraction,
                feature_set,
                as_of,
                store,
                model,
                home=home,
                watch_threshold=watch_threshold,
                rule=rule,
                by=f"vigie score (OS user {_os_user()})",
                stages=stages,
                before_write=before_write,
            )


def score_features(
    extraction: Extraction,
    feature_set: FeatureSet,
    as_of: dt.date,
    store: Store,
    model: RegisteredModel | ModelLoading,
    *,
    home: str | Path,
    watch_threshold: float | None,
    rule: FollowUpRule = DEFAULT_FOLLOW_UP,
    by: str,
    stages: _Stages | None = None,
    before_write: Callable[[], object] | None = None,
) -> WeeklyScoring:
    """The weekly run after its feature build: score `feature_set` (the students enrolled on
    `as_of`, built from the open, valid `extraction`), queue and explain each establishment's
    list against the decisions as of the week, and write the week in one transaction, the
    write recorded as `by`, with its lineage (snapshot and contributions under `home`);
    `before_write` (if any) is called as the write begins.
    What `score_week` runs, and what a caller that built the features of several weeks at
    once (the demo) runs for each week."""
    stages = stages or _Stages(None)
    with stages.stage("predict"):
        model = loaded(model)  # waits for a model still loading
        risks = model.model.predict_risk(feature_set)
    # The week's snapshot (its Parquet file and the extraction's fingerprint: mostly I/O and
    # hashing, outside the GIL) is written on the second core while the lists are explained.
    snapshot = in_background("vigie-stage-week", stage_week, home, as_of, feature_set,
                             extraction.directory, model.model, model.label)  # fmt: skip
    try:
        weeks, written = _lists_and_write(extraction, feature_set, as_of, store, model, risks,
                                          snapshot, watch_threshold, rule, by, stages,
                                          before_write)  # fmt: skip
    except BaseException:
        if snapshot.exception() is None:  # waits for it; its folder is not the week's
            snapshot.result().discard()
        raise
    enrolled = feature_set.frame["uai"].value_counts().to_dict()
    return WeeklyScoring(
        written,
        model.label,
        len(feature_set),
        tuple(_summary(e, int(enrolled.get(e.uai, 0)), written) for e in weeks),
        stages.seconds,
        rows=feature_set.frame,
    )


def _lists_and_write(
    extraction: Extraction,
    feature_set: FeatureSet,
    as_of: dt.date,
    store: Store,
    model: RegisteredModel,
    risks: np.ndarray,
    snapshot: Future[StagedWeek],
    watch_threshold: float | None,
    rule: FollowUpRule,
    by: str,
    stages: _Stages,
    before_write: Callable[[], object] | None = None,
) -> tuple[list[EstablishmentWeek], WeekWriteResult]:
    """The stages "explain lists" and "store write" of `score_features`, the week's snapshot
    being staged meanwhile (`snapshot`), `before_write` called as the write begins."""
    # The two stages below make hundreds of thousands of small objects (a risk, a row to
    # store per student), none in a cycle: the cycle collector's passes over
    # the week's heap would cost more than making them. It runs again after each stage.
    with stages.stage("explain lists"), cycle_collection_paused():
        week = monday_on_or_before(as_of)
        # Every student's risk as a mapping (column-wise: the decisions look theirs up at once).
        everyone = WeekRisks([StudentRisks(arrow_strings(feature_set.frame["student_id"]), risks)])
        with store.reading() as session:
            decisions = decisions_of(load_follow_ups(session, week, everyone))
        del everyone
        lists = extraction_week_lists(
            extraction, feature_set, as_of, model.model, risks, decisions, watch_threshold, rule
        )
    with stages.stage("store write"), cycle_collection_paused():
        if before_write is not None:
            before_write()
        staged = snapshot.result().knowing(lists.contributions)
        written = replace_week_lists(
            store,
            as_of=as_of,
            model_version=model.label,
            establishments=lists.weeks,
            rosters=lists.rosters,
            watch_threshold=watch_threshold,
            rule=rule,
            by=by,
            explain=explainer(model.model, feature_set),
            lineage=staged,
            ranked=RankedQueues(lists.queues, decisions),
        )
    return lists.weeks, written


def extraction_week_lists(
    extraction: Extraction,
    feature_set: FeatureSet,
    as_of: dt.date,
    model: RiskModel,
    risks: np.ndarray,
    decisions: Mapping[str, Sequence[Decision]],
    watch_threshold: float | None,
    rule: FollowUpRule,
) -> WeekLists:
    """`week_lists` of `feature_set` (scored `risks`) with the establishments of the open
    `extraction` it was built from, queued against `decisions` and explained, the week's
    rosters (`week_rosters`) and the explained students' contributions: the single-machine
    run's and each partition's of a cluster run."""
    # The rosters (a join in DuckDB, outside the GIL) read while the lists are explained.
    rosters = in_background("vigie-week-rosters", week_rosters, extraction, feature_set.frame,
                            as_of)  # fmt: skip
    try:
        weeks, contributions, queues = week_lists(
            model,
            feature_set,
            _establishments(extraction),
            watch_threshold,
            risks=risks,
            decisions=decisions,
            rule=rule,
        )
    except BaseException:
        wait([rosters])  # the cursor closed before the extraction is
        raise
    return WeekLists(weeks, rosters.result(), contributions, queues)


class WeekLists(NamedTuple):
    """The establishments' weeks (their queued students explained, every student's risk),
    the week's rosters as one table (`serving.weekly.ROSTER_SCHEMA`), the contributions
    of the students explained and each establishment's queue as ranked
    (`serving.scoring.week.ExplainedWeek`)."""

    weeks: list[EstablishmentWeek]
    rosters: pa.Table
    contributions: pd.DataFrame
    queues: dict[str, list[QueuedStudent]]


def week_rosters(extraction: Extraction, scored: pd.DataFrame, as_of: dt.date) -> pa.Table:
    """Every establishment's roster as one table in `serving.weekly.ROSTER_SCHEMA`, sorted
    by (uai, student_id): each student of `scored` (the week's feature rows, a row per
    (uai, student_id) enrolled on `as_of`, built from the open `extraction`) with their
    names (NULL when the students table has none; kept in memory only to be stored for the
    watch unit, never logged) and the start and end of their enrollment in force on `as_of` in that
    establishment (the latest start when several are; NULL when none is), stored by the
    week's write as dated facts. Joined in DuckDB, column-wise: no Python object per
    student."""
    # The keys as Arrow, without a Python object per row (the frame's strings are Arrow's).
    keys = pa.table(
        {column: arrow_strings(scored[column]) for column in ("uai", "student_id")}
    )  # fmt: skip
    cursor = extraction.con.cursor()
    try:
        cursor.register("vigie_roster_keys", keys)
        relation = cursor.sql(
            "WITH names AS ("
            "  SELECT CAST(student_id AS VARCHAR) AS student_id, "
            "  CAST(last_name AS VARCHAR) AS last_name, CAST(first_name AS VARCHAR) AS first_name "
            "  FROM students WHERE last_name IS NOT NULL OR first_name IS NOT NULL), "
            "in_force AS ("
            "  SELECT CAST(student_id AS VARCHAR) AS student_id, CAST(uai AS VARCHAR) AS uai, "
            "  CAST(start_date AS DATE) AS enrolled_since, "
            "  CAST(end_date AS DATE) AS enrolled_until "
            "  FROM enrollments WHERE CAST(start_date AS DATE) <= ? "
            "  AND (end_date IS NULL OR CAST(end_date AS DATE) >= ?) "
            "  QUALIFY row_number() OVER "
            "  (PARTITION BY student_id, uai ORDER BY start_date DESC) = 1) "
            "SELECT k.uai, k.student_id, n.last_name, n.first_name, "
            "e.enrolled_since, e.enrolled_until "
            "FROM vigie_roster_keys AS k "
            "LEFT JOIN names AS n ON n.student_id = k.student_id "
            "LEFT JOIN in_force AS e ON e.student_id = k.student_id AND e.uai = k.uai "
            "ORDER BY k.uai, k.student_id",
            params=[as_of, as_of],
        )
        assert relation is not None
        table = relation.to_arrow_table()
    finally:
        cursor.close()
    return table.cast(ROSTER_SCHEMA)


def _establishments(extraction: Extraction) -> dict[str, EstablishmentInfo]:
    rows = extraction.con.execute(
        "SELECT uai, name, weekly_interview_capacity FROM establishments ORDER BY uai"
    ).fetchall()
    return {
        str(uai): EstablishmentInfo(str(uai), str(name), int(capacity))
        for uai, name, capacity in rows
    }


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "unknown"


def _summary(
    week: EstablishmentWeek, enrolled: int, written: WeekWriteResult
) -> EstablishmentSummary:
    """What was written for the establishment (the queue made at write time)."""
    invited, watched, followed = written.parts.get(week.uai, (0, 0, 0))
    risks = week.candidates().risks
    return EstablishmentSummary(
        week.uai,
        enrolled,
        week.weekly_interview_capacity,
        invited,
        watched,
        float(risks.max()) if len(risks) else None,
        followed,
    )

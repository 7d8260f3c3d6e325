"""The weekly run from last week's state: the same run, validating and aggregating only the
new events.

`score_week_incremental` is `serving.scoring.score_week` whose validation stage is
`features.incremental.validate_week`: the extraction's event tables are checked only for the
rows dated from the previous week's as-of date on (and the older rows of students whose
students or enrollment rows changed), after checking that every older row is the one
validated then; any doubt (no state, another model, a corrected past row, a later week) runs
the whole validation and says why. Its features stage is
`features.incremental.week_features`: when the week was validated from last week's state,
the attendance days and grade sums kept then get only the new week's events added; otherwise
every event is aggregated. The features are the full build's bits either way, and the scores,
the lists and the store write are the full run's, from the same code: the lists written are
the same whichever way the week was run (tests/serving/test_incremental_week.py holds it over
consecutive weeks). The week's state is kept for the next one
(`<home>/weekly-state/<partition>/`) only once the week is written; a failed run leaves the
previous state as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from features.incremental import IncrementalOutcome, validate_week
from features.incremental.validation import ValidationSummary
from features.partitions import PARTITION_KEY, find_partitions
from models.queue import DEFAULT_FOLLOW_UP, FollowUpRule
from serving.db.engine import Store
from serving.scoring.model import ModelLoading, RegisteredModel
from serving.scoring.run import WeeklyScoring

if TYPE_CHECKING:
    from features.extraction import Extraction
    from features.feature_set import FeatureSet

__all__ = ["IncrementalScoring", "partition_key", "score_week_incremental"]


@dataclass(frozen=True)
class IncrementalScoring:
    """A weekly run, how its extraction was validated, and the date from which its features
    aggregated the events (None: all of them; else the rest came from last week's sums)."""

    scoring: WeeklyScoring
    validation: IncrementalOutcome

    @property
    def summary(self) -> ValidationSummary:
        """What the console says of the week's validation and features."""
        return self.validation.summary()

    @property
    def features_since(self) -> dt.date | None:
        return self.summary.features_since


def partition_key(data: str | Path) -> str:
    """The name the state of the extraction `data` is kept under: its `academie=NAME` folder
    name for one académie's partition, `extraction` for a single-folder extraction (weekly
    extractions of one académie delivered in new folders share it). A missing folder is
    left to the validation, which reports it."""
    if not Path(data).is_dir():
        return "extraction"
    partitions = find_partitions(data)
    if len(partitions) != 1:
        raise ValueError(
            f"{data} holds {len(partitions)} partitions: score one académie's folder "
            f"({PARTITION_KEY}=NAME) at a time"
        )
    folder = Path(data).resolve().name
    return folder if folder.startswith(f"{PARTITION_KEY}=") else "extraction"


def score_week_incremental(
    data: str | Path,
    as_of: dt.date,
    store: Store,
    model: RegisteredModel | ModelLoading,
    *,
    home: str | Path,
    watch_threshold: float | None,
    rule: FollowUpRule = DEFAULT_FOLLOW_UP,
    on_stage: Callable[[str, float], None] | None = None,
    full: bool = False,
) -> IncrementalScoring:
    """`score_week`, validating incrementally from the state under `home` when it can
    (`full` forces the whole validation); the week's state kept once the week is written."""
    from serving import scoring  # looked up when called: tests replace `score_week` there

    outcomes: list[IncrementalOutcome] = []

    def validate(folder: str | Path) -> Extraction:
        outcome = validate_week(
            folder, as_of, home=home, partition=partition_key(folder),
            model=lambda: model.label, full=full,
        )  # fmt: skip
        outcomes.append(outcome)
        return outcome.extraction

    def build(extraction: Extraction, day: dt.date) -> FeatureSet:
        (outcome,) = outcomes
        assert outcome.extraction is extraction
        return outcome.features(day)

    def before_write() -> None:
        # The sums kept for next week written on the core the store write leaves free
        # (from the features on, their writer slowed the predictions).
        (outcome,) = outcomes
        if outcome.pending is not None:
            outcome.pending.start_writing()

    try:
        result = scoring.score_week(data, as_of, store, model, home=home,
                                    watch_threshold=watch_threshold, rule=rule,
                                    on_stage=on_stage, validate=validate,
                                    build=build, before_write=before_write)  # fmt: skip
    except BaseException:
        for outcome in outcomes:
            if outcome.pending is not None:
                outcome.pending.discard()
        raise
    (outcome,) = outcomes
    if outcome.pending is not None:
        outcome.pending.keep()
    return IncrementalScoring(result, outcome)

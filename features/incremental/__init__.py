"""The weekly run's incremental validation: what was validated last week, kept per partition,
so that this week validates only the new events (`features.incremental.validation`)."""

from features.incremental.state import (
    STATE_FOLDER,
    FullReason,
    TableState,
    WeekState,
    load_state,
    save_state,
)
from features.incremental.validation import (
    IncrementalOutcome,
    validate_week,
)

__all__ = [
    "STATE_FOLDER",
    "FullReason",
    "IncrementalOutcome",
    "TableState",
    "WeekState",
    "load_state",
    "save_state",
    "validate_week",
]

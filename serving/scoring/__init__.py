"""Weekly scoring: one path from an extraction (or posted events) to explained risks.

`score_week` (`serving.scoring.run`) is what `vigie score` runs: validate, build the features
of every enrolled student, score them with the registered model, explain each
establishment's list and watch tier, write the week in one transaction. `score_posted`
(`serving.scoring.posted`) is what `POST /v1/score` runs, on the same feature builder and the
same `explain_students` (`serving.scoring.week`). `load_registered_model` and
`ChampionProvider` (`serving.scoring.model`) find the model in the MLflow registry.
Imports are light: MLflow, DuckDB and the model load only when a function runs.
"""

from serving.scoring.model import (
    REGISTERED_MODEL,
    ChampionProvider,
    ModelUnavailable,
    RegisteredModel,
    load_registered_model,
    start_loading_registered_model,
)
from serving.scoring.posted import (
    ContractViolation,
    InvalidPostedTables,
    PostedScores,
    score_posted,
)
from serving.scoring.run import (
    STAGES,
    EstablishmentSummary,
    WeeklyScoring,
    score_features,
    score_week,
)
from serving.scoring.week import (
    DEFAULT_WATCH_THRESHOLD,
    EstablishmentInfo,
    explain_students,
    rank_positions,
    week_lists,
)

__all__ = [
    "DEFAULT_WATCH_THRESHOLD",
    "REGISTERED_MODEL",
    "STAGES",
    "ChampionProvider",
    "ContractViolation",
    "EstablishmentInfo",
    "EstablishmentSummary",
    "InvalidPostedTables",
    "ModelUnavailable",
    "PostedScores",
    "RegisteredModel",
    "WeeklyScoring",
    "explain_students",
    "load_registered_model",
    "rank_positions",
    "score_features",
    "score_posted",
    "score_week",
    "start_loading_registered_model",
    "week_lists",
]

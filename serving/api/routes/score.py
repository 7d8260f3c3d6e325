"""POST /v1/score: score and explain a handful of students from posted events.

The tables are JSON records following the data contract (`docs/data-contract.md`); they go
through the same validation, feature builder and explanation as the weekly lists
(`serving.scoring.score_posted`). A broken contract rule is a 422 naming table, row, column
and rule; no champion model is a 503. The champion is loaded lazily by the provider in
`app.state.champion` (a callable returning a `serving.scoring.RegisteredModel`; tests put
their own there). Nothing is written to the lists: the answer is the only output, and the
request is audited.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from serving.api.deps import ActorDep, StoreDep
from serving.api.errors import (
    AUTHENTICATED,
    error_body,
    error_responses,
    validation_error_body,
)
from serving.api.schemas import FieldError
from serving.scoring import (
    ChampionProvider,
    InvalidPostedTables,
    ModelUnavailable,
    RegisteredModel,
    score_posted,
)
from serving.services.inputs import IsoDate
from serving.services.views import RISK_DESCRIPTION

__all__ = ["PATH", "SCORE_MAX_BODY_BYTES", "ScoreRequest", "ScoreResponse", "router"]

logger = logging.getLogger(__name__)

PATH = "/v1/score"
# A handful of students' school year of events (attendance, marks) weighs tens of kilobytes
# in JSON: this route needs a larger body limit than the rest of the API.
SCORE_MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_STUDENTS = 50
MAX_EVENT_ROWS = 20_000

router = APIRouter(tags=["scoring"])

ColumnName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Cell = str | int | float | bool | None
Row = dict[ColumnName, Cell]


class ScoreRequest(BaseModel):
    """The students' tables as an extraction holds them, one JSON record per row (CSV cells
    as strings, or JSON numbers and booleans). Attendance, grades and exams may be empty."""

    model_config = ConfigDict(extra="forbid")

    as_of: IsoDate = Field(description="Score as of this date (events strictly before it).")
    language: Literal["fr", "en"] = Field(default="fr", description="Language of `text`.")
    establishments: list[Row] = Field(min_length=1, max_length=MAX_STUDENTS)
    students: list[Row] = Field(min_length=1, max_length=MAX_STUDENTS)
    enrollments: list[Row] = Field(min_length=1, max_length=10 * MAX_STUDENTS)
    attendance: list[Row] = Field(default_factory=list, max_length=MAX_EVENT_ROWS)
    grades: list[Row] = Field(default_factory=list, max_length=MAX_EVENT_ROWS)
    exams: list[Row] = Field(default_factory=list, max_length=10 * MAX_STUDENTS)

    def tables(self) -> dict[str, list[Row]]:
        return {
            "establishments": self.establishments,
            "students": self.students,
            "enrollments": self.enrollments,
            "attendance": self.attendance,
            "grades": self.grades,
            "exams": self.exams,
        }


class ScoredReason(BaseModel):
    """A reason raising (or, among `protective`, lowering) the risk, in French and English."""

    feature: str
    family: str | None = None
    value: Any = Field(default=None, description="The student's value of the feature.")
    reference: Any = Field(default=None, description="A typical value to compare with.")
    reference_scope: str | None = None
    contribution: float | None = None
    share: float
    direction: str | None = None
    text: str = Field(description="The sentence in the requested language.")
    text_fr: str
    text_en: str
    signal: str | None = Field(default=None, description="own (a reason) or context.")
    points: float | None = Field(
        default=None, description="Weight: the risk minus the risk without this signal."
    )
    risk_without: float | None = Field(default=None, description="The risk without it.")
    weight_text: str | None = Field(default=None, description="The weight, worded.")
    weight_text_fr: str | None = None
    weight_text_en: str | None = None


class StudentScore(BaseModel):
    student_id: str
    uai: str
    level: str | None = None
    class_id: str | None = None
    risk: float = Field(description=RISK_DESCRIPTION)
    raw_score: float = Field(description="The model's margin (orders students by risk).")
    reasons: list[ScoredReason] = Field(description="Up to three reasons raising the risk.")
    protective: list[ScoredReason] = Field(description="Up to three protective factors.")
    context: list[ScoredReason] = Field(
        default_factory=list,
        description="Level, track, establishment: never a reason, shown apart with its weight.",
    )
    risk_without_context: float | None = None
    context_points: float | None = Field(
        default=None, description="The context's weight: the risk minus the risk without it."
    )
    context_text: str | None = None


class ScoreResponse(BaseModel):
    as_of: dt.date
    model_version: str = Field(description="Registered model that scored, e.g. vigie-dropout/3.")
    language: Literal["fr", "en"]
    students: list[StudentScore]
    not_enrolled: list[str] = Field(description="Posted students not enrolled on `as_of`.")


def get_champion(request: Request) -> Callable[[], RegisteredModel]:
    """The champion provider of the app, created on first use (MLflow set up then)."""
    provider = getattr(request.app.state, "champion", None)
    if provider is None:
        provider = ChampionProvider()
        request.app.state.champion = provider
    return provider


ChampionDep = Annotated[Callable[[], RegisteredModel], Depends(get_champion)]


@router.post(
    PATH,
    response_model=ScoreResponse,
    responses=error_responses(
        *AUTHENTICATED,
        413,
        (422, "Malformed body, or broken data-contract rules (table, row, column, rule)."),
        (
            503,
            "No champion model to score with, or an establishment of the posted students "
            "is suspended (the stop switch: the body gives who, since when and why).",
        ),
    ),
)
def score_students(
    body: ScoreRequest, store: StoreDep, actor: ActorDep, champion: ChampionDep
) -> ScoreResponse | JSONResponse:
    """Risk and reasons of the posted students enrolled on `as_of`, computed as the weekly
    lists compute them (watch units: their own establishments only)."""
    try:
        scores = score_posted(
            store, actor, body.tables(), body.as_of, champion, language=body.language
        )
    except ModelUnavailable as error:
        logger.warning("POST %s refused: %s", PATH, error)
        return JSONResponse(error_body(f"no model to score with: {error}"), status_code=503)
    except InvalidPostedTables as error:
        details = [
            FieldError(
                loc=[
                    "body",
                    v.table,
                    *([] if v.row is None else [v.row]),
                    *([] if v.column is None else [v.column]),
                ],
                msg=v.message,
                type=v.rule,
                table=v.table,
                row=v.row,
                column=v.column,
                rule=v.rule,
            )
            for v in error.violations
        ]
        return JSONResponse(validation_error_body(details), status_code=422)
    return ScoreResponse(
        as_of=scores.as_of,
        model_version=scores.model_version,
        language=body.language,
        students=[StudentScore.model_validate(record) for record in scores.records],
        not_enrolled=list(scores.not_enrolled),
    )

"""What the interviews achieve, as an establishment's watch unit or an inspector reads it:
the interviews held, each linked to the later records of a later extraction
(`training.interview_outcomes`), counted per establishment and per solution proposed.

Aggregates only, never a student: counts under the small-cell rule are masked. An inspector
reads every establishment (or one); a watch unit its own establishments only, and for a
student who moved to another establishment after the interview it reads `elsewhere`, never
what became of the student there. Every read and refusal is audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from serving.db.engine import Store
from serving.db.models import Interview
from serving.services.actor import Actor
from serving.services.audit import record_read
from serving.services.guard import guarded
from serving.services.policy import Action, establishments_in_scope, performs
from training.interview_outcomes import (
    hide_moves,
    interview_outcomes,
    outcome_report,
    published_report,
)

__all__ = ["InterviewOutcomeReport", "get_interview_outcomes"]


@dataclass(frozen=True, eq=False)
class InterviewOutcomeReport:
    """The published report: counts per later status (masked under the small-cell rule),
    the total and the share who left, one row per establishment (`by_establishment`) and per
    solution proposed (`by_solution`), about the interviews held up to `as_of`, the day the
    later records run to."""

    as_of: dt.date
    interviews: int
    establishments: tuple[str, ...]
    by_establishment: pd.DataFrame
    by_solution: pd.DataFrame

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: masked counts as None."""

        def rows(frame: pd.DataFrame) -> list[dict[str, object]]:
            plain = frame.reset_index().astype("object")
            return [
                {k: (None if pd.isna(v) else v) for k, v in record.items()}
                for record in plain.to_dict(orient="records")
            ]

        return {
            "as_of": self.as_of.isoformat(),
            "interviews": self.interviews,
            "establishments": list(self.establishments),
            "by_establishment": rows(self.by_establishment),
            "by_solution": rows(self.by_solution),
        }


def _held(session: Session, uais: frozenset[str] | None, as_of: dt.date) -> pd.DataFrame:
    query = select(
        Interview.id, Interview.student_id, Interview.uai, Interview.interview_date,
        Interview.solution,
    ).where(Interview.status == "held", Interview.interview_date <= as_of)  # fmt: skip
    if uais is not None:
        query = query.where(Interview.uai.in_(sorted(uais)))
    rows = session.execute(query.order_by(Interview.id)).all()
    columns = ["interview_id", "student_id", "uai", "interview_date", "solution"]
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


@performs(Action.READ_INTERVIEW_OUTCOMES)
def get_interview_outcomes(
    store: Store,
    actor: Actor,
    enrollments: pd.DataFrame,
    as_of: dt.date,
    uai: str | None = None,
) -> InterviewOutcomeReport:
    """The outcome report of the interviews held up to `as_of` by `uai` (None: every
    establishment in the actor's scope), from `enrollments`, a later extraction's table
    known up to `as_of` (`training.later_records`)."""
    with guarded(store, actor, Action.READ_INTERVIEW_OUTCOMES, uai=uai, read_only=True) as s:
        scope = establishments_in_scope(actor)
        uais = scope if uai is None else frozenset({uai})
        held = _held(s, uais, as_of)
    linked = interview_outcomes(held, enrollments, as_of)
    if scope is not None:
        linked = hide_moves(linked, enrollments, scope, as_of)
    report = InterviewOutcomeReport(
        as_of=as_of,
        interviews=len(linked),
        establishments=tuple(sorted(set(held["uai"].astype(str)))),
        by_establishment=published_report(outcome_report(linked, "uai")),
        by_solution=published_report(outcome_report(linked, "solution")),
    )
    record_read(store, actor, "read_interview_outcomes", uai=uai,
                detail=f"as of {as_of.isoformat()}: {len(linked)} interviews")  # fmt: skip
    return report

"""What the leavers' services take and return (`serving.services.leavers`): the contact an
MLDS user records with a student who left, its changes, and the views of the leavers list
(also the API's request and response models).

Each leaver carries the solutions the student is eligible for on the date (the eligibility
engine of `models.solutions`, its suggestions' views from `serving.solutions.views`).

A leaver's view holds the student's names (the MLDS of the establishment the student left
reads them, as a watch unit does its own students'), the interview the watch units held and
its outcome (never its notes), and the contacts the MLDS of that establishment recorded."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from serving.db.vocabulary import ContactAction, ContactOutcome, InterviewSolution, InterviewStatus
from serving.services.inputs import IsoDate, StudentId
from serving.solutions.views import SuggestionView

__all__ = [
    "ContactChanges",
    "ContactView",
    "FailedExamView",
    "LeaverInterviewView",
    "LeaverView",
    "LeaversView",
    "NewContact",
    "PathStepView",
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class NewContact(_Input):
    """A contact with a student who left: when, the action proposed, where it stands."""

    student_id: StudentId
    contact_date: IsoDate = Field(description="The day of the contact; not after today.")
    action: ContactAction = Field(description="The action proposed to the student.")
    outcome: ContactOutcome = "proposed"


_CHANGEABLE = ("contact_date", "action", "outcome")


class ContactChanges(_Input):
    """Fields to change (a field left out keeps its value)."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": [name]} for name in _CHANGEABLE]}
    )

    contact_date: IsoDate | None = None
    action: ContactAction | None = None
    outcome: ContactOutcome | None = None
    expected_revision: int | None = Field(
        default=None, ge=1, description="Refuse (409) if the contact changed since."
    )

    @model_validator(mode="after")
    def _something_to_change(self) -> ContactChanges:
        given = {name for name in _CHANGEABLE if getattr(self, name) is not None}
        if not given:
            raise ValueError(f"give at least one of {', '.join(_CHANGEABLE)}")
        return self


class ContactView(_View):
    id: int
    student_id: str
    uai: str = Field(description="The establishment the student left.")
    contact_date: dt.date
    action: ContactAction
    outcome: ContactOutcome
    created_by: str
    created_at: dt.datetime
    updated_by: str
    updated_at: dt.datetime
    revision: int


class FailedExamView(_View):
    exam: str
    date: dt.date
    result: str = Field(description="fail or absent.")


class PathStepView(_View):
    """One enrollment of the student's path, oldest first."""

    school_year: str
    uai: str
    establishment_name: str | None
    level: str
    class_id: str
    start_date: dt.date
    end_date: dt.date | None
    exit_reason: str | None


class LeaverInterviewView(_View):
    """The student's interviews with the watch units: whether one was held, and the latest
    one's status, date, solution and establishment (never its notes)."""

    held: bool
    status: InterviewStatus | None
    interview_date: dt.date | None
    solution: InterviewSolution | None
    uai: str | None


class LeaverView(_View):
    student_id: str
    last_name: str | None
    first_name: str | None
    uai: str = Field(description="The last establishment, the one the student left.")
    establishment_name: str | None
    school_year: str
    level: str
    track: str
    class_id: str
    last_day: dt.date
    left_on: dt.date = Field(description="The day after the last day: when the student left.")
    exit_kind: str = Field(description="during_year, no_return or after_exam_failure.")
    age: int = Field(description="Age in whole years on the as-of date.")
    failed_exams: list[FailedExamView]
    interview: LeaverInterviewView
    path: list[PathStepView]
    contacts: list[ContactView]
    suggestions: list[SuggestionView] = Field(
        description="The solutions the student is eligible for on the as-of date, each with "
        "its rule, source and checks (`models.solutions`): suggested, never decided."
    )


class LeaversView(_View):
    as_of: dt.date
    week: dt.date = Field(description="The week whose recorded extraction was read.")
    establishments: list[str] = Field(description="The establishments read (your bassin's).")
    rules_sha256: str = Field(description="SHA-256 of the eligibility rules the suggestions used.")
    leavers: list[LeaverView]

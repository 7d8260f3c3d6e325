"""What callers send to the service layer: validated pydantic inputs, shared with the API
(where a violation becomes a 422 with field-level messages)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from serving.db.vocabulary import InterviewSolution, InterviewStatus

__all__ = [
    "ISO_DATE_PATTERN",
    "STUDENT_ID_PATTERN",
    "UAI_PATTERN",
    "InterviewChanges",
    "IsoDate",
    "NewDismissal",
    "NewInterview",
    "StudentId",
    "Uai",
]

UAI_PATTERN = r"^[0-9]{7}[A-Z]$"
STUDENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

ISO_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

Uai = Annotated[str, StringConstraints(pattern=UAI_PATTERN)]
StudentId = Annotated[str, StringConstraints(pattern=STUDENT_ID_PATTERN)]

_ISO_DATE = re.compile(ISO_DATE_PATTERN.strip("^$"))


def _iso_date_only(value: Any) -> Any:
    """A date, as a `datetime.date` (Python callers) or an ISO `YYYY-MM-DD` string, nothing
    else. Pydantic alone takes a number as a Unix time (`2.2e-16` is 1970-01-01), and a
    datetime or a datetime string at midnight as its date: guesses a client never meant."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value  # the calendar check (month 13, 30 February) is pydantic's
    raise ValueError("a date must be written YYYY-MM-DD")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_only)]
"""A date field or parameter of the API: an ISO `YYYY-MM-DD` string, never a number."""


def _storable(text: str) -> str:
    """Refuse what no store keeps faithfully: lone surrogates (not UTF-8) and control
    characters other than tab and newlines (PostgreSQL refuses NUL in text)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    if any((ord(char) < 32 and char not in "\t\n\r") or ord(char) == 127 for char in text):
        raise ValueError("text must not contain control characters")
    return text


Notes = Annotated[str, StringConstraints(max_length=4000), AfterValidator(_storable)]
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=2000),
    AfterValidator(_storable),
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NewInterview(_Input):
    student_id: StudentId
    status: InterviewStatus = "to_invite"
    interview_date: IsoDate | None = None
    solution: InterviewSolution | None = Field(
        default=None, description="Only for a held interview."
    )
    notes: Notes | None = None


_CHANGEABLE = ("status", "interview_date", "solution", "notes")


class InterviewChanges(_Input):
    """Fields to change; a field left out keeps its value, an explicit null clears it."""

    # The rule of `_something_to_change`, in the JSON schema (OpenAPI) too.
    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": [name]} for name in _CHANGEABLE]}
    )

    status: InterviewStatus | None = None
    interview_date: IsoDate | None = None
    solution: InterviewSolution | None = None
    notes: Notes | None = None
    expected_revision: int | None = Field(
        default=None, ge=1, description="Refuse (409) if the interview changed since."
    )

    @model_validator(mode="after")
    def _something_to_change(self) -> InterviewChanges:
        if not self.model_fields_set & set(_CHANGEABLE):
            raise ValueError(f"give at least one of {', '.join(_CHANGEABLE)}")
        return self


class NewDismissal(_Input):
    student_id: StudentId
    reason: Reason
    week: IsoDate | None = Field(default=None, description="Monday of the list; default this week.")

    @field_validator("week")
    @classmethod
    def _monday(cls, week: dt.date | None) -> dt.date | None:
        if week is not None and week.weekday() != 0:
            raise ValueError("week must be a Monday")
        return week

"""Response bodies of the API that are not service views: health, identity, errors."""

from __future__ import annotations

from pydantic import BaseModel, Field

from serving.db.vocabulary import Role

__all__ = ["ErrorBody", "FieldError", "HealthBody", "IdentityBody", "ValidationErrorBody"]


class ErrorBody(BaseModel):
    """Every refusal but a 422: a short message, never a stack trace, never a name."""

    detail: str


class FieldError(BaseModel):
    """One refused value of a 422: where (loc), why (msg) and the error type; never the
    value itself. A broken data-contract rule of POST /v1/score also names its table, row
    (index of the record), column and rule."""

    loc: list[str | int] = Field(
        description='Where: ["body", field...], ["path", name], ["query", name], or '
        '["body", table, row, column] for a contract rule.'
    )
    msg: str
    type: str = Field(description="The error type, or the broken rule (docs/data-contract.md).")
    table: str | None = None
    row: int | None = None
    column: str | None = None
    rule: str | None = None


class ValidationErrorBody(BaseModel):
    """A 422: every refused value of the request, one entry each."""

    detail: list[FieldError]


class HealthBody(BaseModel):
    status: str = Field(description="ok when the store answers and its schema is current.")
    schema_revision: str | None
    schema_current: bool


class IdentityBody(BaseModel):
    username: str
    role: Role
    establishments: list[str]

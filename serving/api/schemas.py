"""Response bodies of the API that are not service views: health, identity, errors."""

from __future__ import annotations

from pydantic import BaseModel, Field

from serving.db.vocabulary import Role

__all__ = ["ErrorBody", "HealthBody", "IdentityBody"]


class ErrorBody(BaseModel):
    """Every refusal: a short message, never a stack trace, never a name."""

    detail: str


class HealthBody(BaseModel):
    status: str = Field(description="ok when the store answers and its schema is current.")
    schema_revision: str | None
    schema_current: bool


class IdentityBody(BaseModel):
    username: str
    role: Role
    establishments: list[str]

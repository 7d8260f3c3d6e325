"""What a service call can refuse, in words the API maps to HTTP statuses."""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "Conflict",
    "InvalidRequest",
    "NotAuthenticated",
    "NotFound",
    "ServiceError",
]


class ServiceError(Exception):
    """A refusal the caller can explain to the user; the message never holds names."""


class NotAuthenticated(ServiceError):
    """No valid credentials (missing, unknown, expired or disabled token)."""


class AccessDenied(ServiceError):
    """The acting user's role or scope does not allow this (the denial is audited)."""


class NotFound(ServiceError):
    """No such student, list, interview or user."""


class Conflict(ServiceError):
    """The request contradicts the current state (e.g. an invalid interview transition)."""


class InvalidRequest(ServiceError):
    """A value the service refuses (the API's own validation normally catches it first)."""

"""What a service call can refuse, in words the API maps to HTTP statuses."""

from __future__ import annotations

import datetime as dt

__all__ = [
    "AccessDenied",
    "Conflict",
    "InvalidRequest",
    "NotAuthenticated",
    "NotFound",
    "ServiceError",
    "Suspended",
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


class Suspended(ServiceError):
    """The stop switch: an admin suspended this establishment's lists (or every
    establishment's); they are not served until resumed. The message gives the reason."""

    def __init__(
        self, uai: str | None, reason: str, suspended_by: str, suspended_at: dt.datetime
    ) -> None:
        scope = "every establishment" if uai is None else f"establishment {uai}"
        since = f"{suspended_at:%Y-%m-%d %H:%M} UTC"
        super().__init__(
            f"the lists of {scope} are suspended since {since} by {suspended_by}: {reason}"
        )
        self.uai = uai
        self.reason = reason
        self.suspended_by = suspended_by
        self.suspended_at = suspended_at


class InvalidRequest(ServiceError):
    """A value the service refuses (the API's own validation normally catches it first)."""

"""Turning refusals into HTTP answers: the status a client can act on and a short message,
never a stack trace. Unexpected errors are logged here, server-side only."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from serving.api.schemas import ErrorBody, FieldError, ValidationErrorBody
from serving.services import (
    AccessDenied,
    Conflict,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    ServiceError,
    Suspended,
)
from serving.services.audit import record_anonymous_denial

__all__ = [
    "AUTHENTICATED",
    "NO_SUCH_STUDENT",
    "SUSPENDED",
    "error_body",
    "error_responses",
    "install_error_handlers",
    "validation_error_body",
]

logger = logging.getLogger(__name__)

_STATUS: dict[type[ServiceError], int] = {
    NotAuthenticated: 401,
    AccessDenied: 403,
    NotFound: 404,
    Conflict: 409,
    InvalidRequest: 422,
    Suspended: 503,
}

_DESCRIPTIONS: dict[int, str] = {
    401: "Missing, unknown, expired or disabled token.",
    403: "Not allowed for this role or establishment.",
    404: "Not found.",
    409: "The request contradicts the current state.",
    413: "Request body too large.",
    422: "Refused values, one entry per field (location, message, type).",
    429: "Too many failed authentications from this client: retry after `Retry-After` seconds.",
    500: "Unexpected error, logged server-side; the answer holds no detail.",
    503: "Service unavailable.",
}
_HEADERS: dict[int, dict[str, dict[str, Any]]] = {
    401: {
        "WWW-Authenticate": {
            "description": "The authentication scheme to use.",
            "required": True,
            "schema": {"type": "string", "enum": ["Bearer"]},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}
# What every route answering with a bearer token may refuse: no or a bad token, not allowed,
# too many failed attempts.
AUTHENTICATED = (401, 403, 429)
# The stop switch (`serving.services.suspensions`): the establishment's lists are suspended.
SUSPENDED = (
    503,
    "The establishment's lists are suspended by an admin (the stop switch): the body gives "
    "who suspended them, since when and why.",
)


def error_responses(*statuses: int | tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each status it can refuse with (a status, or a status
    and the route's own description of it), with the body model and headers it answers with;
    500 always. A 422 body is a `ValidationErrorBody`, any other an `ErrorBody`."""
    responses: dict[int | str, dict[str, Any]] = {}
    for item in (*statuses, 500):
        status, description = item if isinstance(item, tuple) else (item, _DESCRIPTIONS[item])
        model = ValidationErrorBody if status == 422 else ErrorBody
        responses[status] = {"model": model, "description": description}
        if status in _HEADERS:
            responses[status]["headers"] = _HEADERS[status]
    return responses


def error_body(message: str) -> dict[str, Any]:
    return ErrorBody(detail=message).model_dump()


def validation_error_body(errors: list[FieldError]) -> dict[str, Any]:
    return ValidationErrorBody(detail=errors).model_dump(exclude_none=True)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _service_error(request: Request, error: Exception) -> JSONResponse:
    status = next((code for kind, code in _STATUS.items() if isinstance(error, kind)), None)
    if status is None:  # a refusal without a status here is a bug: answered as one
        return await _unexpected_error(request, error)
    if status == 422:  # the service's own check of a value (the API's validation passed)
        body = validation_error_body(
            [FieldError(loc=["body"], msg=str(error), type="invalid_request")]
        )
        return JSONResponse(body, status_code=422)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(error_body(str(error)), status_code=status, headers=headers)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    """422 with one entry per field (location, message, type), without echoing the input."""
    assert isinstance(error, RequestValidationError)
    details = [
        FieldError(
            loc=[part if isinstance(part, int) else str(part) for part in item.get("loc", ())],
            msg=str(item.get("msg", "")),
            type=str(item.get("type", "")),
        )
        for item in error.errors()
    ]
    return JSONResponse(validation_error_body(details), status_code=422)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    """Starlette's and FastAPI's own refusals (body too large, undecodable body, method not
    allowed, ...) and those raised as `HTTPException` (e.g. 429), in the API's two bodies."""
    assert isinstance(error, HTTPException)
    if error.status_code in (400, 422):  # FastAPI could not decode the body (e.g. not UTF-8)
        if error.status_code == 400:
            item = FieldError(
                loc=["body"], msg="the body is not valid UTF-8 JSON", type="json_invalid"
            )
        else:
            item = FieldError(loc=["body"], msg=str(error.detail), type="invalid_request")
        body = validation_error_body([item])
        return JSONResponse(body, status_code=422)
    if error.status_code == 413:
        logger.warning(
            "refused a request body over the limit: %s %s", request.method, request.url.path
        )
        store = request.app.state.store
        where = f"{request.method} {request.url.path}"
        await run_in_threadpool(record_anonymous_denial, store, "request_too_large", where)
    return JSONResponse(
        error_body(str(error.detail)), status_code=error.status_code, headers=error.headers
    )


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse(error_body("internal error"), status_code=500)


# An unknown student id: 404 for inspectors and data scientists; a watch unit gets the 403 it
# gets for another school's student, so a refusal never tells it which ids exist elsewhere.
NO_SUCH_STUDENT = (
    404,
    "No such student (a watch unit gets 403 for an unknown id, as for another school's student).",
)

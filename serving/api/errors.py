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

from serving.api.schemas import ErrorBody
from serving.services import (
    AccessDenied,
    Conflict,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    ServiceError,
)
from serving.services.audit import record_anonymous_denial

__all__ = ["ERROR_RESPONSES", "install_error_handlers"]

logger = logging.getLogger(__name__)

_STATUS: dict[type[ServiceError], int] = {
    NotAuthenticated: 401,
    AccessDenied: 403,
    NotFound: 404,
    Conflict: 409,
    InvalidRequest: 422,
}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing, unknown, expired or disabled token."},
    403: {"model": ErrorBody, "description": "Not allowed for this role or establishment."},
    413: {"model": ErrorBody, "description": "Request body too large."},
    429: {
        "model": ErrorBody,
        "description": "Too many failed authentications from this address: retry after the "
        "`Retry-After` seconds (every request from it is refused until then).",
    },
}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _service_error(_request: Request, error: Exception) -> JSONResponse:
    status = next((code for kind, code in _STATUS.items() if isinstance(error, kind)), 400)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"detail": str(error)}, status_code=status, headers=headers)


async def _validation_error(_request: Request, error: Exception) -> JSONResponse:
    """422 with one entry per field (location, message, type), without echoing the input."""
    assert isinstance(error, RequestValidationError)
    details = [
        {
            "loc": list(item.get("loc", ())),
            "msg": str(item.get("msg", "")),
            "type": str(item.get("type", "")),
        }
        for item in error.errors()
    ]
    return JSONResponse({"detail": details}, status_code=422)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    if error.status_code == 400:  # FastAPI could not decode the body (e.g. not UTF-8)
        detail = [
            {"loc": ["body"], "msg": "the body is not valid UTF-8 JSON", "type": "json_invalid"}
        ]
        return JSONResponse({"detail": detail}, status_code=422)
    if error.status_code == 413:
        logger.warning(
            "refused a request body over the limit: %s %s", request.method, request.url.path
        )
        store = request.app.state.store
        where = f"{request.method} {request.url.path}"
        await run_in_threadpool(record_anonymous_denial, store, "request_too_large", where)
    return JSONResponse(
        {"detail": str(error.detail)}, status_code=error.status_code, headers=error.headers
    )


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse({"detail": "internal error"}, status_code=500)

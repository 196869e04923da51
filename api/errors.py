"""The API's one error shape `{code, message, details, correlation_id}` and the one table
that maps every exception to an HTTP status (ARCHITECTURE §4.4)."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.correlation import HEADER, correlation_id_of
from cream.config.errors import (
    ConfigConflictError,
    ConfigError,
    ConfigNotFoundError,
    ConfigNotProvenInPaperError,
    ConfigNotValidatedError,
    ConfigUnchangedError,
    ConfigValidationError,
    UnknownConfigKeyError,
)
from cream.engine.client import EngineCallError
from cream.storage.cycles import CycleNotFoundError
from cream.storage.errors import (
    ConstraintViolationError,
    DatabaseBusyError,
    DatabaseUnavailableError,
    InvalidRecordError,
    StorageError,
)

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    """Every error response: a stable code, a message a person can act on, details, and
    the request's correlation id (also in the `x-correlation-id` response header)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    message: str
    details: dict[str, Any]
    correlation_id: str


class ApiError(Exception):
    """An error raised by a route; `status` and `code` are what the client sees."""

    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "BAD_REQUEST"

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details or {}


class UnauthorizedError(ApiError):
    """No credentials, or a session that is unknown, expired or ended."""

    status = 401
    default_code = "UNAUTHENTICATED"


class ForbiddenError(ApiError):
    """Credentials that are wrong, or a cookie request without its CSRF token."""

    status = 403
    default_code = "FORBIDDEN"


class NotFoundError(ApiError):
    """The resource does not exist in this environment."""

    status = 404
    default_code = "NOT_FOUND"


class ConflictError(ApiError):
    """The state does not allow the operation now."""

    status = 409
    default_code = "CONFLICT"


class UnprocessableError(ApiError):
    """The request is well-formed JSON but its values are not acceptable."""

    status = 422
    default_code = "VALIDATION_FAILED"


class ServiceUnavailableError(ApiError):
    """A dependency (engine, database) cannot be reached; retrying later may work."""

    status = 503
    default_code = "SERVICE_UNAVAILABLE"


# Kernel exceptions → HTTP status, most specific first.
_CONFIG_STATUS: tuple[tuple[type[ConfigError], int], ...] = (
    (ConfigValidationError, 422),
    (UnknownConfigKeyError, 422),
    (ConfigNotFoundError, 404),
    (ConfigConflictError, 409),
    (ConfigUnchangedError, 409),
    (ConfigNotValidatedError, 409),
    (ConfigNotProvenInPaperError, 409),
)
_STORAGE_STATUS: tuple[tuple[type[StorageError], int], ...] = (
    (DatabaseUnavailableError, 503),
    (DatabaseBusyError, 503),
    (CycleNotFoundError, 404),
    (ConstraintViolationError, 409),
    (InvalidRecordError, 422),
)
_ENGINE_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 503,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 503,
}


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The JSON response of one error, carrying the request's correlation id."""
    correlation = correlation_id_of(request.scope)
    body = ErrorBody(code=code, message=message, details=details or {}, correlation_id=correlation)
    # Set here too: an unhandled error's response is sent outside the middleware.
    return JSONResponse(
        body.model_dump(), status_code=status, headers={**(headers or {}), HEADER: correlation}
    )


def config_status(exc: ConfigError) -> int:
    """The HTTP status of a config governance error."""
    return next((status for kind, status in _CONFIG_STATUS if isinstance(exc, kind)), 400)


def storage_status(exc: StorageError) -> int:
    """The HTTP status of a storage error (500 for a corrupt row or an unknown failure)."""
    return next((status for kind, status in _STORAGE_STATUS if isinstance(exc, kind)), 500)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    headers = {"WWW-Authenticate": 'Bearer realm="cream"'} if exc.status == 401 else None
    return error_response(request, exc.status, exc.code, exc.message, exc.details, headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())),
            "message": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors()
    ]
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
    return error_response(
        request,
        422,
        "VALIDATION_FAILED",
        f"the request is invalid: {summary}",
        {"errors": problems},
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
    code = codes.get(exc.status_code, f"HTTP_{exc.status_code}")
    message = str(exc.detail) if exc.detail else code
    if exc.status_code == 404:
        message = f"no route {request.method} {request.url.path}; see /api/openapi.json"
    return error_response(request, exc.status_code, code, message, headers=dict(exc.headers or {}))


async def _config_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConfigError)
    details: dict[str, Any] = {}
    if isinstance(exc, ConfigValidationError):
        details["errors"] = [{"field": e.field, "message": e.message} for e in exc.errors]
    return error_response(request, config_status(exc), exc.code, exc.message, details)


async def _storage_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StorageError)
    status = storage_status(exc)
    if status == 500:
        log.error("storage failure (%s): %s", correlation_id_of(request.scope), exc)
    return error_response(request, status, exc.code, str(exc))


async def _engine_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EngineCallError)
    status = _ENGINE_STATUS.get(exc.status, 502)
    if status == 503:
        return error_response(
            request,
            503,
            "ENGINE_UNAVAILABLE",
            f"the engine did not answer ({exc.status.name}: {exc.info.message}); is "
            f"`cream engine` running at CREAM_ENGINE_ADDR?",
            {"grpc_status": exc.status.name},
        )
    details: dict[str, Any] = {"grpc_status": exc.status.name, **dict(exc.info.details)}
    return error_response(request, status, exc.code, exc.info.message or str(exc), details)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    correlation = correlation_id_of(request.scope)
    log.exception("unhandled error in %s %s (%s)", request.method, request.url.path, correlation)
    return error_response(
        request,
        500,
        "INTERNAL_ERROR",
        f"an unexpected error occurred; quote correlation id {correlation} when reporting it",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Registers the mapping above on `app`."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ConfigError, _config_error)
    app.add_exception_handler(StorageError, _storage_error)
    app.add_exception_handler(EngineCallError, _engine_error)
    app.add_exception_handler(Exception, _unexpected)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (401, "No credentials, or the session is unknown or expired"),
        (403, "Wrong token, or a cookie request without a matching X-CSRF-Token"),
        (422, "The request's values are invalid"),
        (503, "The engine or the database cannot be reached"),
    )
}

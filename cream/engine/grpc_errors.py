"""The one table mapping engine exceptions to gRPC status codes, with ErrorInfo details.

The status message reads "CODE: message"; the trailing metadata key ``cream-error-bin``
carries a serialized ``cream.v1.ErrorInfo`` with the code, message, details and the
correlation id, so clients get the same error shape as over HTTP.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import grpc

from cream.engine.errors import (
    ConflictError,
    EngineError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    UnavailableError,
)
from cream.v1 import common_pb2 as common

log = logging.getLogger(__name__)
T = TypeVar("T")

ERROR_METADATA_KEY = "cream-error-bin"
CORRELATION_METADATA_KEY = "x-correlation-id"

STATUS_BY_ERROR: tuple[tuple[type[EngineError], grpc.StatusCode], ...] = (
    (InvalidArgumentError, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (FailedPreconditionError, grpc.StatusCode.FAILED_PRECONDITION),
    (ConflictError, grpc.StatusCode.ABORTED),
    (UnavailableError, grpc.StatusCode.UNAVAILABLE),
    (InternalError, grpc.StatusCode.INTERNAL),
)


def status_for(exc: EngineError) -> grpc.StatusCode:
    """The gRPC status code of an engine error (INTERNAL for anything unlisted)."""
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(exc, error_type):
            return status
    if exc.code == "SUBSCRIBER_OVERFLOW":
        return grpc.StatusCode.RESOURCE_EXHAUSTED
    return grpc.StatusCode.INTERNAL


def error_info(exc: EngineError, correlation_id: str) -> common.ErrorInfo:
    """The ErrorInfo shape of an engine error."""
    return common.ErrorInfo(
        code=exc.code,
        message=exc.message,
        details=dict(exc.details),
        correlation_id=correlation_id,
    )


def decode_error_info(
    metadata: Iterable[tuple[str, str | bytes]] | None,
) -> common.ErrorInfo | None:
    """The ErrorInfo from a call's trailing metadata, if the engine attached one."""
    for key, value in metadata or ():
        if key == ERROR_METADATA_KEY and isinstance(value, bytes):
            return common.ErrorInfo.FromString(value)
    return None


def correlation_id(context: grpc.aio.ServicerContext[Any, Any]) -> str:
    """The caller's correlation id from the request metadata, or a fresh one."""
    for key, value in context.invocation_metadata() or ():
        if key == CORRELATION_METADATA_KEY and isinstance(value, str):
            return value
    return uuid.uuid4().hex


async def abort(context: grpc.aio.ServicerContext[Any, Any], exc: EngineError) -> None:
    """End the call with the error's status, "CODE: message", and ErrorInfo in the trailers."""
    info = error_info(exc, correlation_id(context))
    context.set_trailing_metadata(((ERROR_METADATA_KEY, info.SerializeToString()),))
    await context.abort(status_for(exc), f"{exc.code}: {exc.message}")


async def guarded(
    context: grpc.aio.ServicerContext[Any, Any], call: Callable[[], Awaitable[T]], what: str
) -> T:
    """Run one RPC body; engine errors and unexpected failures both end as a typed status."""
    try:
        return await call()
    except EngineError as exc:
        await abort(context, exc)
    except Exception as exc:
        log.exception("unexpected %s failure", what)
        await abort(context, InternalError(f"unexpected {what} failure: {exc}"))
    raise AssertionError("context.abort always raises")

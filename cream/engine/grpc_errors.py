"""The one table mapping engine exceptions to gRPC status codes, with ErrorInfo details.

The status message reads "CODE: message"; the trailing metadata key ``cream-error-bin``
carries a serialized ``cream.v1.ErrorInfo`` with the code, message, details and the
correlation id, so clients get the same error shape as over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable

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

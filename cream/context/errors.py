"""The external-context error hierarchy: every failure is a `ContextError` with a stable code."""

from __future__ import annotations

from typing import ClassVar


class ContextError(Exception):
    """Base of every external-context error; `source` names the adapter that failed."""

    code: ClassVar[str] = "CONTEXT_ERROR"

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{self.code} [{source}]: {message}")
        self.source = source
        self.message = message


class RateLimitedError(ContextError):
    """The source answered 429 (or we are still inside its Retry-After window)."""

    code: ClassVar[str] = "RATE_LIMITED"

    def __init__(self, source: str, retry_after_seconds: float) -> None:
        super().__init__(
            source, f"rate limited; retry after {retry_after_seconds:g} s (no request was retried)"
        )
        self.retry_after_seconds = retry_after_seconds


class SourceTimeoutError(ContextError):
    """The source did not answer within the timeout."""

    code: ClassVar[str] = "SOURCE_TIMEOUT"


class SourceUnreachableError(ContextError):
    """The connection to the source failed (DNS, refused, reset)."""

    code: ClassVar[str] = "SOURCE_UNREACHABLE"


class SourceHttpError(ContextError):
    """The source answered with an error status other than 429."""

    code: ClassVar[str] = "SOURCE_HTTP_ERROR"

    def __init__(self, source: str, status: int, message: str) -> None:
        super().__init__(source, message)
        self.status = status


class MalformedPayloadError(ContextError):
    """The source answered 2xx with a body that does not have the documented shape."""

    code: ClassVar[str] = "MALFORMED_PAYLOAD"


class InvalidContextRequestError(ContextError):
    """The request or the source configuration is invalid (e.g. a naive datetime)."""

    code: ClassVar[str] = "INVALID_CONTEXT_REQUEST"

"""The engine's exception hierarchy: every failure has a stable code and an actionable message."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every engine error.

    Attributes:
        code: Stable machine-readable code, e.g. ``PLAN_EMPTY``.
        message: What went wrong and what to do about it.
        details: key=value facts for the error's ``details``.
    """

    code: str = "ENGINE_ERROR"

    def __init__(self, message: str, *, code: str | None = None, **details: str) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidArgumentError(EngineError):
    """The request is malformed: fix the request (gRPC INVALID_ARGUMENT)."""

    code = "INVALID_ARGUMENT"


class NotFoundError(EngineError):
    """The order (or other object) does not exist (gRPC NOT_FOUND)."""

    code = "NOT_FOUND"


class FailedPreconditionError(EngineError):
    """The request is valid but the engine's state refuses it (gRPC FAILED_PRECONDITION)."""

    code = "FAILED_PRECONDITION"


class ConflictError(EngineError):
    """A concurrent change won; retry with fresh state (gRPC ABORTED)."""

    code = "CONFLICT"


class UnavailableError(EngineError):
    """A dependency (broker, feed, database) cannot be reached now (gRPC UNAVAILABLE)."""

    code = "UNAVAILABLE"


class InternalError(EngineError):
    """An invariant broke inside the engine (gRPC INTERNAL); nothing was traded."""

    code = "INTERNAL"

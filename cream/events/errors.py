"""The event log's errors: each has a stable code and a message a person can act on."""

from __future__ import annotations

from typing import ClassVar


class EventError(Exception):
    """Base of every event log error."""

    code: ClassVar[str] = "EVENT_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidEventError(EventError):
    """An event is malformed (type, version, timestamp or payload)."""

    code: ClassVar[str] = "INVALID_EVENT"


class CorruptEventError(EventError):
    """A stored outbox row cannot be decoded back into an event."""

    code: ClassVar[str] = "CORRUPT_EVENT"


class WakeupUnavailableError(EventError):
    """The Redis server for wake-ups cannot be reached."""

    code: ClassVar[str] = "WAKEUP_UNAVAILABLE"

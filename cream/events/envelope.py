"""`EventEnvelope`: the pydantic mirror of `cream.v1.EventEnvelope` (seed 004 §5.1)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from google.protobuf import json_format
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cream.events.errors import InvalidEventError
from cream.v1 import events_pb2

EventKind = Literal["event", "command"]

# Namespaced, lower case: "config.promoted", "orders.filled", "cycle.completed".
_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")

_PROTO_KIND = {"event": events_pb2.EVENT_KIND_EVENT, "command": events_pb2.EVENT_KIND_COMMAND}


def new_event_id() -> str:
    """A fresh random event id (32 hex digits)."""
    return uuid.uuid4().hex


class EventEnvelope(BaseModel):
    """One immutable event: identity chain, type and version, producer, headers and payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default_factory=new_event_id, min_length=1, max_length=128)
    kind: EventKind = "event"
    type: str
    version: int = Field(default=1, ge=1)
    cycle_id: str = ""
    correlation_id: str = ""
    causation_id: str = ""
    ts: datetime
    producer: str = Field(min_length=1)
    headers: dict[str, str] = Field(default_factory=dict)
    payload: dict[str, Any] = Field(default_factory=dict)

    @field_validator("type")
    @classmethod
    def _namespaced(cls, value: str) -> str:
        if not _TYPE.match(value):
            raise ValueError(
                f"event type {value!r} must be namespaced lower case, e.g. 'config.promoted'"
            )
        return value

    @field_validator("ts")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("ts must be timezone-aware")
        return value.astimezone(UTC)

    @classmethod
    def create(cls, **fields: Any) -> EventEnvelope:
        """Builds an envelope, raising `InvalidEventError` (not pydantic's) on bad fields."""
        try:
            return cls(**fields)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise InvalidEventError(f"invalid event: {problems}") from exc

    def to_proto(self) -> events_pb2.EventEnvelope:
        """The wire form, `cream.v1.EventEnvelope`."""
        message = events_pb2.EventEnvelope(
            id=self.id,
            kind=_PROTO_KIND[self.kind],
            type=self.type,
            version=self.version,
            cycle_id=self.cycle_id,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            producer=self.producer,
            headers=self.headers,
        )
        message.ts.FromDatetime(self.ts)
        json_format.ParseDict(self.payload, message.payload)
        return message

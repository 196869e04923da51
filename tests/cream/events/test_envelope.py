"""The envelope: validated fields and a faithful `cream.v1.EventEnvelope`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from google.protobuf import json_format

from cream.events.envelope import EventEnvelope
from cream.events.errors import InvalidEventError
from cream.v1 import events_pb2


def test_the_proto_form_carries_every_field():
    event = EventEnvelope(
        id="e1",
        kind="command",
        type="orders.cancel_requested",
        version=2,
        cycle_id="c1",
        correlation_id="corr",
        causation_id="cause",
        ts=datetime(2026, 11, 18, 15, 0, tzinfo=UTC),
        producer="api",
        headers={"trace_id": "t"},
        payload={"order_id": "o1", "qty": "10", "nested": {"ok": True}},
    )

    message = event.to_proto()

    assert message.kind == events_pb2.EVENT_KIND_COMMAND
    assert (message.type, message.version, message.producer) == (
        "orders.cancel_requested",
        2,
        "api",
    )
    assert (message.cycle_id, message.correlation_id, message.causation_id) == (
        "c1",
        "corr",
        "cause",
    )
    assert message.ts.ToDatetime(tzinfo=UTC) == event.ts
    assert dict(message.headers) == {"trace_id": "t"}
    assert json_format.MessageToDict(message.payload)["nested"] == {"ok": True}


def test_timestamps_are_normalised_to_utc():
    ts = datetime(2026, 11, 18, 10, 0, tzinfo=timezone(timedelta(hours=-5)))

    event = EventEnvelope(type="cycle.started", ts=ts, producer="worker")

    assert event.ts == datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"type": "Promoted"}, "must be namespaced"),
        ({"type": "config.promoted", "ts": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"type": "config.promoted", "version": 0}, "version"),
        ({"type": "config.promoted", "producer": ""}, "producer"),
    ],
)
def test_malformed_events_are_refused_with_the_field(fields, problem):
    base = {"ts": datetime(2026, 1, 1, tzinfo=UTC), "producer": "p"}

    with pytest.raises(InvalidEventError, match=problem):
        EventEnvelope.create(**(base | fields))

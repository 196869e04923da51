"""Retention: events and inbox marks older than the TTL go; positions stay valid."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cream.clock import ManualClock
from cream.events.errors import InvalidEventError
from cream.events.log import EventLog
from cream.events.outbox import StoredEvent, read_after
from cream.events.retention import cleanup
from cream.storage.database import Database, Statement


async def nothing(stored: StoredEvent) -> list[Statement]:
    return []


async def test_cleanup_deletes_only_rows_older_than_the_ttl(db: Database, clock: ManualClock):
    log = EventLog(db, "PAPER", producer="t", clock=clock)
    await log.commit([], [log.event("old.event")])
    await log.consumer("c", nothing).drain()
    clock.advance(timedelta(days=8))
    await log.commit([], [log.event("new.event")])

    result = await log.cleanup(ttl=timedelta(days=7))

    assert (result.outbox_deleted, result.inbox_deleted) == (1, 1)
    assert [s.event.type for s in await read_after(db, "PAPER", 0)] == ["new.event"]


async def test_positions_are_not_reused_after_the_newest_events_were_deleted(
    db: Database, clock: ManualClock
):
    log = EventLog(db, "PAPER", producer="t", clock=clock)
    await log.commit([], [log.event("a.event"), log.event("b.event")])
    consumer = log.consumer("c", nothing)
    await consumer.drain()
    clock.advance(timedelta(days=2))
    await log.cleanup(ttl=timedelta(days=1))

    await log.commit([], [log.event("c.event")])
    handled: list[str] = []

    async def record(stored: StoredEvent) -> list[Statement]:
        handled.append(stored.event.type)
        return []

    await log.consumer("c", record).drain()

    assert handled == ["c.event"]


async def test_a_non_positive_ttl_is_refused(db: Database):
    with pytest.raises(InvalidEventError, match="positive"):
        await cleanup(db, ttl=timedelta(0))

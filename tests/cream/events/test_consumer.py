"""Consumers: stored offsets, at-least-once delivery, de-duplication by event id."""

from __future__ import annotations

import asyncio

import pytest

from cream.clock import ManualClock
from cream.events.consumer import Consumer
from cream.events.log import EventLog
from cream.events.outbox import StoredEvent, head
from cream.storage.database import Database, Statement
from cream.storage.errors import ConstraintViolationError


class Recorder:
    """A handler that records event ids and writes one `effects` row per handled event."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.seen: list[str] = []
        self.fail_on = fail_on
        self.gate: asyncio.Event | None = None

    async def __call__(self, stored: StoredEvent) -> list[Statement]:
        if self.gate is not None:
            await self.gate.wait()
        if stored.event.payload.get("name") == self.fail_on:
            raise RuntimeError("handler failed")
        self.seen.append(str(stored.event.payload["name"]))
        return [Statement("INSERT INTO effects (event_id) VALUES (?)", (stored.event.id,))]


@pytest.fixture
async def log(db: Database, clock: ManualClock) -> EventLog:
    # No UNIQUE on purpose: a second application of an event would show as a second row.
    await db.execute("CREATE TABLE effects (event_id TEXT NOT NULL)")
    return EventLog(db, "PAPER", producer="test", clock=clock)


async def publish(log: EventLog, *names: str) -> None:
    for name in names:
        await log.commit([], [log.event("test.happened", {"name": name})])


async def effects(db: Database) -> int:
    row = await db.query_one("SELECT COUNT(*) AS n FROM effects")
    assert row is not None
    return int(str(row["n"]))


async def test_events_arrive_in_order_and_the_offset_survives_a_restart(
    db: Database, log: EventLog
):
    await publish(log, "a", "b")
    first = Recorder()
    await log.consumer("c", first).drain()
    await publish(log, "c")

    restarted = Recorder()
    await log.consumer("c", restarted).drain()

    assert first.seen == ["a", "b"]
    assert restarted.seen == ["c"]
    assert await effects(db) == 3


async def test_a_failing_handler_gets_the_event_again_and_keeps_the_earlier_ones(
    db: Database, log: EventLog
):
    await publish(log, "a", "b", "c")
    handler = Recorder(fail_on="b")
    consumer = log.consumer("c", handler)

    with pytest.raises(RuntimeError, match="handler failed"):
        await consumer.poll_once()
    handler.fail_on = None
    await consumer.drain()

    assert handler.seen == ["a", "b", "c"]
    assert await effects(db) == 3


async def test_handler_statements_that_fail_leave_the_offset_in_place(db: Database, log: EventLog):
    await publish(log, "a")

    async def broken(stored: StoredEvent) -> list[Statement]:
        return [Statement("INSERT INTO effects (event_id) VALUES (NULL)")]

    consumer = log.consumer("c", broken)
    with pytest.raises(ConstraintViolationError):
        await consumer.poll_once()

    assert await consumer.position() == 0


async def test_two_instances_of_one_consumer_apply_each_event_once(db: Database, log: EventLog):
    await publish(log, "a", "b")
    slow, fast = Recorder(), Recorder()
    slow.gate = asyncio.Event()
    slow_poll = asyncio.create_task(log.consumer("c", slow).poll_once())
    await asyncio.sleep(0.05)  # the slow instance has read the page and waits in its handler

    await log.consumer("c", fast).drain()
    slow.gate.set()
    await slow_poll

    assert fast.seen == ["a", "b"]
    assert await effects(db) == 2


async def test_a_replay_from_an_earlier_offset_skips_handled_event_ids(db: Database, log: EventLog):
    await publish(log, "a", "b")
    handler = Recorder()
    consumer = log.consumer("c", handler)
    await consumer.drain()

    await consumer.seek(0)
    await publish(log, "c")
    await consumer.drain()

    assert handler.seen == ["a", "b", "c"]
    assert await effects(db) == 3


async def test_a_type_filter_skips_other_events_but_moves_past_them(
    db: Database, log: EventLog, clock: ManualClock
):
    await log.commit([], [log.event("other.thing", {"name": "x"})])
    await publish(log, "a")
    handler = Recorder()
    consumer = Consumer(db, "PAPER", "c", handler, types=["test.happened"], clock=clock)

    await consumer.drain()

    assert handler.seen == ["a"]
    assert await consumer.position() == await head(db, "PAPER")
    assert await consumer.poll_once() == 0


async def test_consumers_with_different_names_each_get_every_event(db: Database, log: EventLog):
    await publish(log, "a")
    one, two = Recorder(), Recorder()

    await log.consumer("one", one).drain()
    await log.consumer("two", two).drain()

    assert one.seen == two.seen == ["a"]

"""Wake-ups: a commit wakes consumers at once (in-process or via Redis); polling covers losses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from cream.clock import ManualClock
from cream.events.log import EventLog, notifier_for
from cream.events.outbox import StoredEvent
from cream.events.redis_wakeups import RedisNotifier
from cream.events.wakeups import InProcessNotifier, Notifier
from cream.storage.database import Database, Statement
from tests.servers import RedisServer, free_port

# Far longer than any assertion waits: only a wake-up can deliver in time.
NO_POLLING = 60.0


async def deliver_one(producer: EventLog, consumer_log: EventLog, poll_interval: float) -> float:
    """Seconds from a commit until the running consumer handled it."""
    got = asyncio.Event()

    async def handler(stored: StoredEvent) -> list[Statement]:
        got.set()
        return []

    stop = asyncio.Event()
    consumer = consumer_log.consumer("ws", handler, poll_interval=poll_interval)
    task = asyncio.create_task(consumer.run(stop))
    await asyncio.sleep(0.3)  # subscribed and idle
    loop = asyncio.get_running_loop()
    start = loop.time()
    await producer.commit([], [producer.event("cycle.completed")])
    try:
        async with asyncio.timeout(10):
            await got.wait()
    finally:
        stop.set()
        await task
    return loop.time() - start


@pytest.fixture
async def redis_notifiers(redis_server: RedisServer) -> AsyncIterator[tuple[Notifier, Notifier]]:
    """Two notifiers with their own connections, as in two processes."""
    first, second = RedisNotifier(redis_server.url), RedisNotifier(redis_server.url)
    yield first, second
    await first.close()
    await second.close()


async def test_an_in_process_wake_up_delivers_without_waiting_for_the_poll(
    db: Database, clock: ManualClock
):
    notifier = InProcessNotifier()
    log = EventLog(db, "PAPER", producer="t", notifier=notifier, clock=clock)

    assert await deliver_one(log, log, NO_POLLING) < 2.0


@pytest.mark.integration
async def test_a_redis_wake_up_reaches_a_consumer_with_its_own_connection(
    db: Database, clock: ManualClock, redis_notifiers: tuple[Notifier, Notifier]
):
    producer_side, consumer_side = redis_notifiers
    producer = EventLog(db, "PAPER", producer="t", notifier=producer_side, clock=clock)
    consumer = EventLog(db, "PAPER", producer="t", notifier=consumer_side, clock=clock)

    assert await deliver_one(producer, consumer, NO_POLLING) < 2.0


@pytest.mark.integration
async def test_redis_wake_ups_are_per_environment(
    redis_notifiers: tuple[Notifier, Notifier],
):
    producer_side, consumer_side = redis_notifiers
    live = await consumer_side.subscribe("LIVE")
    paper = await consumer_side.subscribe("PAPER")

    assert await producer_side.publish("PAPER") is True

    assert await paper.wait(5.0) is True
    assert await live.wait(0.3) is False


async def test_without_a_wake_up_polling_still_delivers(db: Database, clock: ManualClock):
    producer = EventLog(db, "PAPER", producer="t", clock=clock)  # publishes nothing
    consumer = EventLog(db, "PAPER", producer="t", notifier=InProcessNotifier(), clock=clock)

    assert await deliver_one(producer, consumer, poll_interval=0.2) < 5.0


async def test_an_unreachable_redis_loses_the_wake_up_not_the_event(
    db: Database, clock: ManualClock
):
    notifier = notifier_for(f"redis://127.0.0.1:{free_port()}/0")
    producer = EventLog(db, "PAPER", producer="t", notifier=notifier, clock=clock)
    consumer = EventLog(db, "PAPER", producer="t", clock=clock)
    try:
        # The commit succeeds even though the publish fails; a polling consumer gets it.
        assert await deliver_one(producer, consumer, poll_interval=0.2) < 5.0
        assert await producer.wake() is False
    finally:
        await notifier.close()


def test_without_redis_url_wake_ups_stay_in_process():
    assert isinstance(notifier_for(None), InProcessNotifier)

"""Cross-process leases: one holder at a time, expiry hands over, only the owner renews/releases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from cream.clock import ManualClock
from cream.locks import (
    DatabaseLockManager,
    InvalidLockError,
    LockManager,
    LockUnavailableError,
    RedisLockManager,
    acquire_waiting,
    keep_renewed,
)
from cream.storage.database import Database
from tests.servers import RedisServer

TTL = timedelta(seconds=30)


@pytest.fixture
async def redis_pair(redis_server: RedisServer) -> AsyncIterator[tuple[RedisLockManager, ...]]:
    first = RedisLockManager(redis_server.url, "PAPER", holder="worker-a")
    second = RedisLockManager(redis_server.url, "PAPER", holder="worker-b")
    await first._client.flushdb()
    yield first, second
    await first.close()
    await second.close()


async def _exclusive(first: LockManager, second: LockManager) -> None:
    lease = await first.try_acquire("cycle", TTL)
    assert lease is not None
    assert await second.try_acquire("cycle", TTL) is None
    assert await second.holder_of("cycle") == "worker-a"
    # Another name, another lock.
    other = await second.try_acquire("filings", TTL)
    assert other is not None
    await lease.release()
    assert await first.holder_of("cycle") is None
    taken = await second.try_acquire("cycle", TTL)
    assert taken is not None
    assert await first.holder_of("cycle") == "worker-b"


@pytest.mark.integration
async def test_a_redis_lock_has_one_holder_at_a_time(redis_pair: tuple[RedisLockManager, ...]):
    await _exclusive(*redis_pair)


async def test_a_database_lease_has_one_holder_at_a_time(db: Database, clock: ManualClock):
    await _exclusive(
        DatabaseLockManager(db, "PAPER", holder="worker-a", clock=clock),
        DatabaseLockManager(db, "PAPER", holder="worker-b", clock=clock),
    )


async def test_an_expired_database_lease_is_taken_over_and_the_old_owner_cannot_touch_it(
    db: Database, clock: ManualClock
):
    first = DatabaseLockManager(db, "PAPER", holder="worker-a", clock=clock)
    second = DatabaseLockManager(db, "PAPER", holder="worker-b", clock=clock)
    stale = await first.try_acquire("cycle", TTL)
    assert stale is not None
    clock.advance(TTL)
    fresh = await second.try_acquire("cycle", TTL)
    assert fresh is not None
    assert not await stale.renew()
    await stale.release()  # must not delete the successor's lease
    assert await first.holder_of("cycle") == "worker-b"
    assert await fresh.renew()


async def test_a_renewed_database_lease_does_not_expire(db: Database, clock: ManualClock):
    first = DatabaseLockManager(db, "PAPER", holder="worker-a", clock=clock)
    second = DatabaseLockManager(db, "PAPER", holder="worker-b", clock=clock)
    lease = await first.try_acquire("cycle", TTL)
    assert lease is not None
    clock.advance(TTL / 2)
    assert await lease.renew()
    clock.advance(TTL / 2)
    assert await second.try_acquire("cycle", TTL) is None


async def test_database_leases_are_per_environment(db: Database, clock: ManualClock):
    paper = DatabaseLockManager(db, "PAPER", holder="p", clock=clock)
    live = DatabaseLockManager(db, "LIVE", holder="l", clock=clock)
    assert await paper.try_acquire("cycle", TTL) is not None
    assert await live.try_acquire("cycle", TTL) is not None


@pytest.mark.integration
async def test_an_expired_redis_lock_is_taken_over_and_the_old_owner_cannot_touch_it(
    redis_pair: tuple[RedisLockManager, ...],
):
    first, second = redis_pair
    stale = await first.try_acquire("cycle", TTL)
    assert stale is not None
    # Redis has no clock to advance: expire the key now, as Redis does at the end of the TTL.
    await first._client.delete("cream:lock:PAPER:cycle")
    fresh = await second.try_acquire("cycle", TTL)
    assert fresh is not None
    assert not await stale.renew()
    await stale.release()
    assert await first.holder_of("cycle") == "worker-b"
    assert await fresh.renew()


@pytest.mark.integration
async def test_a_waiting_acquirer_gets_the_lock_once_it_is_released(
    redis_pair: tuple[RedisLockManager, ...],
):
    first, second = redis_pair
    lease = await first.try_acquire("cycle", TTL)
    assert lease is not None
    waiter = asyncio.create_task(
        acquire_waiting(second, "cycle", TTL, stop=asyncio.Event(), poll_seconds=0.01)
    )
    await asyncio.sleep(0.05)
    assert not waiter.done()
    await lease.release()
    taken = await asyncio.wait_for(waiter, 5)
    assert taken is not None
    assert await first.holder_of("cycle") == "worker-b"


async def test_a_waiting_acquirer_gives_up_when_stopped(db: Database, clock: ManualClock):
    first = DatabaseLockManager(db, "PAPER", holder="a", clock=clock)
    second = DatabaseLockManager(db, "PAPER", holder="b", clock=clock)
    assert await first.try_acquire("cycle", TTL) is not None
    stop = asyncio.Event()
    waiter = asyncio.create_task(
        acquire_waiting(second, "cycle", TTL, stop=stop, poll_seconds=0.01)
    )
    stop.set()
    assert await asyncio.wait_for(waiter, 5) is None


@pytest.mark.integration
async def test_a_lost_lease_is_signalled_to_the_guarded_work(
    redis_pair: tuple[RedisLockManager, ...],
):
    first, _ = redis_pair
    ttl = timedelta(milliseconds=60)
    lease = await first.try_acquire("cycle", ttl)
    assert lease is not None
    lost = asyncio.Event()
    async with keep_renewed(lease, ttl, lost=lost):
        # Someone removes the key behind our back (an operator, or an expiry during a pause).
        await first._client.delete("cream:lock:PAPER:cycle")
        await asyncio.wait_for(lost.wait(), 5)
    assert lost.is_set()


@pytest.mark.integration
async def test_a_renewed_redis_lock_outlives_its_ttl(redis_pair: tuple[RedisLockManager, ...]):
    first, second = redis_pair
    # Generous TTL: renewals every 100 ms must survive a loaded test machine.
    ttl = timedelta(milliseconds=300)
    lease = await first.try_acquire("cycle", ttl)
    assert lease is not None
    lost = asyncio.Event()
    async with keep_renewed(lease, ttl, lost=lost):
        for _ in range(10):  # more than three TTLs
            await asyncio.sleep(0.1)
            assert await second.try_acquire("cycle", ttl) is None
    assert not lost.is_set()
    assert await second.try_acquire("cycle", ttl) is not None  # released on exit


async def test_a_lock_without_a_name_or_ttl_is_refused(db: Database, clock: ManualClock):
    locks = DatabaseLockManager(db, "PAPER", clock=clock)
    with pytest.raises(InvalidLockError):
        await locks.try_acquire("", TTL)
    with pytest.raises(InvalidLockError):
        await locks.try_acquire("cycle", timedelta(0))


async def test_a_database_that_does_not_answer_is_a_lock_unavailable_error(
    db: Database, clock: ManualClock
):
    locks = DatabaseLockManager(db, "PAPER", clock=clock)
    await db.close()
    with pytest.raises(LockUnavailableError, match="did not answer for lock 'cycle'"):
        await locks.try_acquire("cycle", TTL)
    with pytest.raises(LockUnavailableError):
        await locks.holder_of("cycle")

"""Single flight: two workers on one Redis (or one database lease) run each cycle slot once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from cream.clock import ManualClock
from cream.config.service import ConfigService
from cream.locks import DatabaseLockManager, LockManager, RedisLockManager
from cream.storage.database import Database
from tests.servers import RedisServer
from tests.worker.conftest import GateExecutor, InstantExecutor
from tests.worker.workers import FAST, make_worker
from worker.calendar import ExchangeCalendar
from worker.schedule import SCHEDULE

CYCLE = next(entry for entry in SCHEDULE if entry.name == "trading_cycle")


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.integration), "database"])
async def lock_pair(
    request: pytest.FixtureRequest, db: Database, clock: ManualClock
) -> AsyncIterator[tuple[LockManager, LockManager]]:
    """Two processes' lock managers: on one real redis-server, or on the shared database."""
    if request.param == "database":
        yield (
            DatabaseLockManager(db, "PAPER", holder="worker-a", clock=clock),
            DatabaseLockManager(db, "PAPER", holder="worker-b", clock=clock),
        )
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    first = RedisLockManager(server.url, "PAPER", holder="worker-a")
    second = RedisLockManager(server.url, "PAPER", holder="worker-b")
    await first._client.flushdb()
    yield first, second
    await first.close()
    await second.close()


async def test_a_second_worker_skips_a_slot_that_is_running_and_does_not_rerun_it_after(
    db: Database,
    clock: ManualClock,
    nyse: ExchangeCalendar,
    lock_pair: tuple[LockManager, LockManager],
):
    await ConfigService(db, clock=clock).seed("PAPER")
    running, idle = GateExecutor(), InstantExecutor()
    first = make_worker(db, lock_pair[0], running, clock, nyse)
    second = make_worker(db, lock_pair[1], idle, clock, nyse)
    await first.start(run_schedule=False, consume_requests=False)
    await second.start(run_schedule=False, consume_requests=False)
    try:
        task = asyncio.create_task(first.fire(CYCLE))
        await asyncio.wait_for(running.started.wait(), 5)
        await second.fire(CYCLE)  # the lock is held: skip and record
        assert idle.calls == []
        running.gate.set()
        await task
        await second.fire(CYCLE)  # the lock is free, but the slot already ran
        assert idle.calls == []
    finally:
        await first.shutdown()
        await second.shutdown()

    assert [call.cycle_id for call in running.calls] == ["c-20261125T150030Z-sched"]
    runs = await first.runs.list("trading_cycle")
    by_status = {(run.status, run.holder) for run in runs}
    assert ("completed", "worker-a") in by_status
    assert ("skipped", "worker-b") in by_status
    skipped = next(run for run in runs if run.status == "skipped")
    assert skipped.detail == {"reason": "LOCK_HELD", "lock": "cycle", "held_by": "worker-a"}
    assert second.state.skipped == {"trading_cycle": 1}


async def test_the_next_slot_runs_on_whichever_worker_gets_the_lock(
    db: Database,
    clock: ManualClock,
    nyse: ExchangeCalendar,
    lock_pair: tuple[LockManager, LockManager],
):
    await ConfigService(db, clock=clock).seed("PAPER")
    first_exec, second_exec = InstantExecutor(), InstantExecutor()
    first = make_worker(db, lock_pair[0], first_exec, clock, nyse)
    second = make_worker(db, lock_pair[1], second_exec, clock, nyse)
    await first.start(run_schedule=False, consume_requests=False)
    await second.start(run_schedule=False, consume_requests=False)
    try:
        await first.fire(CYCLE)
        clock.advance(timedelta(hours=1))
        await second.fire(CYCLE)
    finally:
        await first.shutdown()
        await second.shutdown()
    assert [c.cycle_id for c in first_exec.calls] == ["c-20261125T150030Z-sched"]
    assert [c.cycle_id for c in second_exec.calls] == ["c-20261125T160030Z-sched"]


async def test_a_crashed_cycle_is_reported_and_the_lock_is_freed(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    class Crashing:
        async def run(self, request, *, stop):
            raise RuntimeError("graph exploded")

    await ConfigService(db, clock=clock).seed("PAPER")
    locks = DatabaseLockManager(db, "PAPER", holder="worker-a", clock=clock)
    worker = make_worker(db, locks, Crashing(), clock, nyse)
    await worker.start(run_schedule=False, consume_requests=False)
    try:
        await worker.fire(CYCLE)
    finally:
        await worker.shutdown()
    run = await worker.runs.latest("trading_cycle")
    assert run is not None
    assert run.status == "failed"
    assert run.detail["error"] == "CYCLE_CRASHED"
    assert "graph exploded" in run.detail["message"]
    assert await locks.holder_of("cycle") is None


async def test_a_cycle_whose_lease_is_lost_stops_at_its_checkpoint_and_can_be_taken_over(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    await ConfigService(db, clock=clock).seed("PAPER")
    # Renewals every 0.1 s of wall time; expiry judged by the manual clock.
    short = FAST.model_copy(update={"lock_ttl_seconds": 0.3})
    first_locks = DatabaseLockManager(db, "PAPER", holder="worker-a", clock=clock)
    second_locks = DatabaseLockManager(db, "PAPER", holder="worker-b", clock=clock)
    stalled, successor = GateExecutor(), InstantExecutor()
    first = make_worker(db, first_locks, stalled, clock, nyse, options=short)
    second = make_worker(db, second_locks, successor, clock, nyse, options=short)
    await first.start(run_schedule=False, consume_requests=False)
    await second.start(run_schedule=False, consume_requests=False)
    try:
        task = asyncio.create_task(first.fire(CYCLE))
        await asyncio.wait_for(stalled.started.wait(), 5)
        # worker-a stalls past its lease (a long GC pause, a frozen VM): worker-b takes it.
        clock.advance(timedelta(seconds=5))
        assert await second_locks.try_acquire("cycle", timedelta(seconds=30)) is not None
        await asyncio.wait_for(task, 10)  # a's next renewal fails: its cycle checkpoints
        assert stalled.checkpoints == ["c-20261125T150030Z-sched"]
        run = await first.runs.latest("trading_cycle")
        assert run is not None
        assert run.status == "cancelled"
    finally:
        await first.shutdown()
        await second.shutdown()

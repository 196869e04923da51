"""Hot reload: a promotion (or SIGHUP) changes the schedule without a restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from cream.clock import ManualClock
from cream.config.service import ConfigService
from cream.events.wakeups import InProcessNotifier
from cream.locks import DatabaseLockManager
from cream.storage.database import Database
from tests.worker.conftest import InstantExecutor
from tests.worker.workers import FAST, make_worker
from worker.calendar import ExchangeCalendar
from worker.runtime import Worker

# START is Wednesday 2026-11-25 10:00:31 New York (15:00:31 UTC).
HOURLY_NEXT = datetime(2026, 11, 25, 16, 0, 30, tzinfo=UTC)
HALF_HOURLY_NEXT = datetime(2026, 11, 25, 15, 30, 30, tzinfo=UTC)


async def _promote(service: ConfigService, *assignments: str) -> None:
    await service.set_values("PAPER", list(assignments), by="ops")
    await service.validate("PAPER", by="ops")
    await service.promote("PAPER", by="ops")


async def _until(worker: Worker, job: str, expected: datetime) -> None:
    async with asyncio.timeout(10):
        while worker.next_run(job) != expected:  # noqa: ASYNC110 - set by a background task
            await asyncio.sleep(0.01)


async def test_a_promotion_reschedules_the_cycle_without_a_restart(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    notifier = InProcessNotifier()
    service = ConfigService(db, clock=clock, notifier=notifier)
    await service.seed("PAPER")
    locks = DatabaseLockManager(db, "PAPER", clock=clock)
    worker = make_worker(db, locks, InstantExecutor(), clock, nyse, notifier=notifier)
    await worker.start(run_schedule=False, consume_requests=False)
    try:
        assert worker.next_run("trading_cycle") == HOURLY_NEXT
        markets_before = worker.next_run("prediction_markets")
        await _promote(service, "trading.trading_cycle_interval_ms=1800000")
        await _until(worker, "trading_cycle", HALF_HOURLY_NEXT)
        assert worker.config is not None
        assert worker.config.version == 2
        # Only the job whose interval changed was re-planned.
        assert worker.next_run("prediction_markets") == markets_before
    finally:
        await worker.shutdown()


async def test_sighup_reload_picks_up_a_promotion_the_worker_was_not_told_about(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    service = ConfigService(db, clock=clock)  # no wake-ups reach the worker
    await service.seed("PAPER")
    locks = DatabaseLockManager(db, "PAPER", clock=clock)
    slow_polls = FAST.model_copy(update={"poll_seconds": 3600.0})
    worker = make_worker(db, locks, InstantExecutor(), clock, nyse, options=slow_polls)
    await worker.start(run_schedule=False, consume_requests=False)
    try:
        await _promote(service, "trading.prediction_markets_interval_ms=300000")
        assert worker.next_run("prediction_markets") == datetime(2026, 11, 25, 15, 15, tzinfo=UTC)
        version = await worker.reload()
        assert version is not None
        assert version.version == 2
        assert worker.next_run("prediction_markets") == datetime(2026, 11, 25, 15, 5, tzinfo=UTC)
        assert worker.next_run("trading_cycle") == HOURLY_NEXT
    finally:
        await worker.shutdown()


async def test_an_interval_the_schedule_cannot_use_keeps_the_previous_schedule(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    service = ConfigService(db, clock=clock)
    await service.seed("PAPER")
    locks = DatabaseLockManager(db, "PAPER", clock=clock)
    worker = make_worker(db, locks, InstantExecutor(), clock, nyse)
    await worker.start(run_schedule=False, consume_requests=False)
    try:
        before = worker.next_run("prediction_markets")
        # Governance accepts it; the scheduler does not run anything more often than a minute.
        await _promote(service, "trading.prediction_markets_interval_ms=30000")
        await worker.reload()
        assert worker.next_run("prediction_markets") == before
        assert "prediction_markets" in worker.state.errors["config"]
        assert "at least" in worker.state.errors["config"]
    finally:
        await worker.shutdown()


async def test_nothing_is_scheduled_until_a_config_is_active(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    locks = DatabaseLockManager(db, "PAPER", clock=clock)
    worker = make_worker(db, locks, InstantExecutor(), clock, nyse)
    await worker.start(run_schedule=False, consume_requests=False)
    try:
        assert worker.next_run("trading_cycle") is None
        assert "cream db seed" in worker.state.errors["config"]
        await ConfigService(db, clock=clock).seed("PAPER")
        await worker.reload()
        assert worker.next_run("trading_cycle") == HOURLY_NEXT
        assert "config" not in worker.state.errors
    finally:
        await worker.shutdown()

"""The equity curve's writer: scheduled snapshots and one after each cycle, from a real engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from cream.clock import ManualClock
from cream.config.service import ConfigService
from cream.engine.client import EngineClient
from cream.locks import DatabaseLockManager
from cream.settings import Environment, Settings
from cream.storage.database import Database
from cream.storage.equity import EquityRepository
from tests.cream.engine.conftest import MARKET_OPEN, PRICES, EngineHarness, launch
from tests.cream.engine.feeds import ScriptedFeed
from tests.servers import free_port
from tests.worker.conftest import InstantExecutor
from tests.worker.workers import FAST, make_worker
from worker.calendar import ExchangeCalendar
from worker.runtime import Worker
from worker.schedule import SCHEDULE

EQUITY = next(entry for entry in SCHEDULE if entry.name == "equity_snapshot")
CYCLE = next(entry for entry in SCHEDULE if entry.name == "trading_cycle")


@pytest.fixture
async def engine(tmp_path) -> AsyncIterator[EngineHarness]:
    settings = Settings(cream_env=Environment.PAPER, cream_db_url=f"file:{tmp_path / 'engine.db'}")
    clock = ManualClock(MARKET_OPEN)
    harness = await launch(settings, clock, ScriptedFeed(clock, PRICES))
    yield harness
    await harness.client.close()
    await harness.runtime.stop(grace=0)


async def _worker(
    db: Database, clock: ManualClock, calendar: ExchangeCalendar, address: str
) -> tuple[Worker, EngineClient]:
    await ConfigService(db, clock=clock).seed("PAPER")
    account = EngineClient(address, timeout=5, attempts=1)
    locks = DatabaseLockManager(db, "PAPER", holder="worker-e", clock=clock)
    worker = Worker(
        environment="PAPER",
        db=db,
        locks=locks,
        executor=InstantExecutor(),
        options=FAST,
        clock=clock,
        calendar=calendar,
        account=account,
    )
    await worker.start(run_schedule=False, consume_requests=False)
    return worker, account


async def test_the_scheduled_job_stores_the_engines_account_as_a_curve_point(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar, engine: EngineHarness
):
    worker, account = await _worker(db, clock, nyse, engine.address)
    try:
        await worker.fire(EQUITY)
    finally:
        await worker.shutdown()
        await account.close()

    state = await engine.client.get_account_state()
    (point,) = (await EquityRepository(db, "PAPER").between()).snapshots
    assert (point.equity, point.cash, point.buying_power) == (
        state.equity,
        state.cash,
        state.buying_power,
    )
    assert point.source == "schedule"
    # The engine valued the account at its own clock's time.
    assert point.time == "2026-11-18T15:00:00.000000Z"
    run = await worker.runs.latest("equity_snapshot")
    assert run is not None and run.status == "completed"
    assert run.detail["equity"] == state.equity


async def test_a_cycle_is_followed_by_a_point_that_names_it(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar, engine: EngineHarness
):
    worker, account = await _worker(db, clock, nyse, engine.address)
    try:
        await worker.fire(CYCLE)
    finally:
        await worker.shutdown()
        await account.close()

    (point,) = (await EquityRepository(db, "PAPER").between()).snapshots
    assert (point.source, point.cycle_id) == ("cycle", "c-20261125T150030Z-sched")


async def test_an_engine_that_does_not_answer_fails_the_run_and_stores_nothing(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    worker, account = await _worker(db, clock, nyse, f"127.0.0.1:{free_port()}")
    try:
        await worker.fire(EQUITY)
        await worker.fire(CYCLE)
    finally:
        await worker.shutdown()
        await account.close()

    assert (await EquityRepository(db, "PAPER").between()).snapshots == []
    run = await worker.runs.latest("equity_snapshot")
    assert run is not None and run.status == "failed"
    assert run.detail["error"] == "UNAVAILABLE"
    # The cycle itself still completed: a missing curve point never fails a cycle.
    cycle = await worker.runs.latest("trading_cycle")
    assert cycle is not None and cycle.status == "completed"


async def test_a_worker_without_an_account_source_fails_the_equity_run_visibly(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    await ConfigService(db, clock=clock).seed("PAPER")
    locks = DatabaseLockManager(db, "PAPER", holder="worker-n", clock=clock)
    worker = make_worker(db, locks, InstantExecutor(), clock, nyse)
    await worker.start(run_schedule=False, consume_requests=False)
    try:
        await worker.fire(EQUITY)
    finally:
        await worker.shutdown()
    run = await worker.runs.latest("equity_snapshot")
    assert run is not None and (run.status, run.detail) == (
        "failed",
        {"error": "NO_ACCOUNT_SOURCE"},
    )


async def test_snapshots_are_planned_every_five_minutes_within_sessions_only(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    await ConfigService(db, clock=clock).seed("PAPER")
    locks = DatabaseLockManager(db, "PAPER", holder="worker-s", clock=clock)
    worker = make_worker(db, locks, InstantExecutor(), clock, nyse)
    await worker.start(run_schedule=False, consume_requests=False)
    try:
        trigger = worker.trigger("equity_snapshot")
        assert trigger is not None
        assert worker.next_run("equity_snapshot") == datetime(2026, 11, 25, 15, 5, tzinfo=UTC)
        # After Wednesday's close: Thanksgiving is skipped, Friday's half day opens at 9:30.
        after_close = datetime(2026, 11, 25, 21, 0, 1, tzinfo=UTC)
        assert trigger.get_next_fire_time(None, after_close) == datetime(
            2026, 11, 27, 14, 35, tzinfo=UTC
        )
    finally:
        await worker.shutdown()

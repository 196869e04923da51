"""The 15-minute prediction-markets job and the daily filings job, against fake vendor APIs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from cream.clock import ManualClock
from cream.config.service import ConfigService
from cream.context.config import ContextSettings, build_sources
from cream.locks import DatabaseLockManager
from cream.storage.database import Database
from tests.fakes.context_apis import USER_AGENT, context_server
from tests.fakes.http_server import FakeHttpServer
from tests.worker.conftest import InstantExecutor
from tests.worker.workers import FAST
from worker.calendar import ExchangeCalendar
from worker.runtime import Worker
from worker.schedule import SCHEDULE

# The recordings' point in time: Tuesday 2026-03-10, 11:00 New York.
AS_OF = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
FILINGS = next(entry for entry in SCHEDULE if entry.name == "filings")


@pytest.fixture
def server() -> Iterator[FakeHttpServer]:
    with context_server() as running:
        yield running


@pytest.fixture
async def worker(
    db: Database, server: FakeHttpServer, nyse: ExchangeCalendar
) -> AsyncIterator[Worker]:
    clock = ManualClock(AS_OF)
    await ConfigService(db, clock=clock).seed("PAPER")
    settings = ContextSettings(
        kalshi_base_url=server.url,
        polymarket_base_url=server.url,
        sec_edgar_user_agent=USER_AGENT,
        sec_edgar_data_url=server.url,
        sec_edgar_www_url=server.url,
    )
    async with httpx.AsyncClient() as client:
        running = Worker(
            environment="PAPER",
            db=db,
            locks=DatabaseLockManager(db, "PAPER", holder="worker-c", clock=clock),
            executor=InstantExecutor(),
            options=FAST,
            clock=clock,
            calendar=nyse,
            sources=build_sources(settings, client, clock=clock),
        )
        await running.start(consume_requests=False)
        yield running
        await running.shutdown()


async def test_apscheduler_fires_the_prediction_markets_job_and_it_records_the_markets(
    worker: Worker,
):
    # Make the job due now on the wall clock: APScheduler itself must fire it.
    worker.scheduler.modify_job("prediction_markets", next_run_time=datetime.now(UTC))
    async with asyncio.timeout(20):
        while (run := await worker.runs.latest("prediction_markets")) is None or (  # noqa: ASYNC110
            run.status == "running"
        ):
            await asyncio.sleep(0.02)
    assert run.status == "completed"
    assert run.run_key == "2026-03-10T15:00:00.000000Z"
    assert run.detail["items"] > 0
    assert run.detail["symbols"] == ["SPY", "AAPL", "MSFT", "NVDA", "TSLA"]
    lines = run.detail["sources"]
    assert any(line.startswith("prediction_markets (kalshi): ok") for line in lines)
    assert any(line.startswith("prediction_markets (polymarket): ok") for line in lines)


async def test_the_filings_job_records_the_universes_filings(worker: Worker):
    service = ConfigService(worker.db, clock=worker.clock)
    await service.set_values("PAPER", ["universe.symbols=AAPL,MSFT"], by="ops")
    await service.validate("PAPER", by="ops")
    await service.promote("PAPER", by="ops")
    await worker.reload()
    await worker.fire(FILINGS)
    run = await worker.runs.latest("filings")
    assert run is not None
    # 06:00 New York on 2026-03-10 is 10:00 UTC (EDT started on 2026-03-08).
    assert run.run_key == "2026-03-10T10:00:00.000000Z"
    assert run.status == "completed"
    assert run.detail["symbols"] == ["AAPL", "MSFT"]
    assert run.detail["items"] > 0
    assert run.detail["sources"][0].startswith("filings (sec_edgar): ok")


async def test_a_source_error_fails_the_run_and_says_which_source(worker: Worker):
    # The fake EDGAR has no submissions for NVDA (in the default universe): it answers 404.
    await worker.fire(FILINGS)
    run = await worker.runs.latest("filings")
    assert run is not None
    assert run.status == "failed"
    assert "filings (sec_edgar): error [SOURCE_HTTP_ERROR]" in run.detail["sources"][0]


async def test_scheduled_jobs_coalesce_misfires_and_never_overlap(worker: Worker):
    for entry in SCHEDULE:
        job = worker.scheduler.get_job(entry.name)
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time > 0
    assert worker.scheduler.get_job("filings").misfire_grace_time == 6 * 3600

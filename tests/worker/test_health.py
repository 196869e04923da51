"""`GET /health` over HTTP: seed 000 §13's fields, what runs now, and the dependency checks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from cream.clock import ManualClock
from cream.config.service import ConfigService
from cream.locks import DatabaseLockManager, RedisLockManager
from cream.storage.database import Database
from tests.servers import RedisServer, free_port
from tests.worker.conftest import GateExecutor
from tests.worker.workers import make_worker
from worker.calendar import ExchangeCalendar
from worker.health import HealthServer, database_check, engine_check, redis_check
from worker.schedule import SCHEDULE

CYCLE = next(entry for entry in SCHEDULE if entry.name == "trading_cycle")


@pytest.fixture
async def engine_address() -> AsyncIterator[str]:
    """A gRPC server that answers grpc.health.v1 SERVING, like `cream engine`."""
    server = grpc.aio.server()
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    await servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    yield f"127.0.0.1:{port}"
    await server.stop(0)


@pytest.mark.integration
async def test_health_reports_schedule_runs_and_checks(
    db: Database,
    clock: ManualClock,
    nyse: ExchangeCalendar,
    redis_server: RedisServer,
    engine_address: str,
):
    await ConfigService(db, clock=clock).seed("PAPER")
    executor = GateExecutor()
    locks = RedisLockManager(redis_server.url, "PAPER", holder="worker-h")
    await locks._client.flushdb()
    worker = make_worker(db, locks, executor, clock, nyse)
    await worker.start(run_schedule=False, consume_requests=False)
    checks = {
        "database": database_check(worker),
        "redis": redis_check(locks.ping),
        "engine": engine_check(engine_address, 2.0),
    }
    server = HealthServer(worker, checks, "127.0.0.1", 0)
    port = await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            cycle = asyncio.create_task(worker.fire(CYCLE))
            await asyncio.wait_for(executor.started.wait(), 5)
            during = await client.get("/health")
            executor.gate.set()
            await cycle
            after = await client.get("/health")
    finally:
        await server.stop()
        await worker.shutdown()
        await locks.close()

    assert during.status_code == 200
    body = during.json()
    assert body["status"] == "ok"
    assert body["environment"] == "PAPER"
    assert body["worker_id"] == "worker-h"
    assert body["config_version"] == 1
    assert body["config_id"]
    assert body["intervals"] == {"trading_cycle_ms": 3_600_000, "prediction_markets_ms": 900_000}
    assert body["settle_ms"] == 30_000
    assert body["calendar"] == {"exchange": "XNYS", "run_when_closed": False}
    assert body["instruments"] == ["SPY", "AAPL", "MSFT", "NVDA", "TSLA"]
    assert set(body["jobs"]) == {
        "trading_cycle",
        "prediction_markets",
        "equity_snapshot",
        "filings",
        "requested_cycle",
    }
    assert body["next_run"] == {
        "trading_cycle": "2026-11-25T16:00:30.000000Z",
        "prediction_markets": "2026-11-25T15:15:00.000000Z",
        "equity_snapshot": "2026-11-25T15:05:00.000000Z",
        "filings": "2026-11-26T11:00:00.000000Z",
        "requested_cycle": None,
    }
    assert body["running"] == {
        "trading_cycle": True,
        "prediction_markets": False,
        "equity_snapshot": False,
        "filings": False,
        "requested_cycle": False,
    }
    assert body["running_cycle"]["cycle_id"] == "c-20261125T150030Z-sched"
    assert body["running_cycle"]["trigger"] == "schedule"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["redis"] == {"ok": True, "configured": True}
    assert body["checks"]["engine"]["ok"] is True
    assert body["checks"]["engine"]["status"] == "SERVING"
    assert body["uptime_s"] >= 0

    done = after.json()
    assert done["running_cycle"] is None
    assert done["running"]["trading_cycle"] is False
    last = done["jobs"]["trading_cycle"]["last_run"]
    assert last["status"] == "completed"
    assert last["cycle_id"] == "c-20261125T150030Z-sched"
    assert last["detail"]["decisions"] == 1
    assert done["last_run"]["trading_cycle"] == last["started_at"]
    assert done["last_run"]["prediction_markets"] is None


async def test_health_is_degraded_without_an_engine_and_without_a_config(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    locks = DatabaseLockManager(db, "PAPER", holder="worker-d", clock=clock)
    worker = make_worker(db, locks, GateExecutor(), clock, nyse)
    await worker.start(run_schedule=False, consume_requests=False)
    checks = {
        "database": database_check(worker),
        "redis": redis_check(None),
        "engine": engine_check(f"127.0.0.1:{free_port()}", 0.5),
    }
    server = HealthServer(worker, checks, "127.0.0.1", 0)
    port = await server.start()
    try:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}/health")
    finally:
        await server.stop()
        await worker.shutdown()
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["config_version"] is None
    assert body["next_run"]["trading_cycle"] is None
    assert "cream db seed" in body["errors"]["config"]
    assert body["checks"]["redis"] == {"ok": True, "configured": False}
    assert body["checks"]["engine"]["ok"] is False
    assert body["checks"]["engine"]["error"] == "UNAVAILABLE"


async def test_health_is_unavailable_when_the_database_is_closed(
    db: Database, clock: ManualClock, nyse: ExchangeCalendar
):
    await ConfigService(db, clock=clock).seed("PAPER")
    locks = DatabaseLockManager(db, "PAPER", holder="worker-u", clock=clock)
    worker = make_worker(db, locks, GateExecutor(), clock, nyse)
    await worker.start(run_schedule=False, consume_requests=False)
    await worker.shutdown()
    await db.close()
    server = HealthServer(worker, {"database": database_check(worker)}, "127.0.0.1", 0)
    port = await server.start()
    try:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}/health")
    finally:
        await server.stop()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    assert body["jobs"]["trading_cycle"]["last_run"] is None

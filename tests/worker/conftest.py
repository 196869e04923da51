"""Worker fixtures: migrated databases on both backends, a real redis-server, the NYSE calendar,
and cycle executors the tests control."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from cream.clock import ManualClock
from cream.storage.database import Database
from tests.servers import redis_server
from worker.calendar import ExchangeCalendar
from workflows.trading_cycle.contract import CycleRequest, CycleResult

__all__ = ["redis_server"]

# Wednesday before Thanksgiving 2026, 10:00:31 New York: just after a fire time.
START = datetime(2026, 11, 25, 15, 0, 31, tzinfo=UTC)


@pytest.fixture
async def db(libsql_url: str) -> AsyncIterator[Database]:
    """A migrated database, on a file and on a real sqld (via the `libsql_url` params)."""
    async with await Database.connect(libsql_url) as database:
        yield database


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="session")
def nyse() -> ExchangeCalendar:
    """The real XNYS calendar (loaded once: it costs about a second)."""
    return ExchangeCalendar("XNYS")


class GateExecutor:
    """A cycle that runs until the test opens the gate, or stops at a checkpoint on `stop`."""

    def __init__(self) -> None:
        self.calls: list[CycleRequest] = []
        self.started = asyncio.Event()
        self.gate = asyncio.Event()
        self.checkpoints: list[str] = []

    async def run(self, request: CycleRequest, *, stop: asyncio.Event) -> CycleResult:
        self.calls.append(request)
        self.started.set()
        gate = asyncio.ensure_future(self.gate.wait())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait([gate, stopped], return_when=asyncio.FIRST_COMPLETED)
        gate.cancel()
        stopped.cancel()
        cycle_id = request.cycle_id or "cycle-x"
        if not self.gate.is_set():
            self.checkpoints.append(cycle_id)
            return CycleResult(cycle_id, "interrupted", "PAPER", 1, error="stopped at checkpoint")
        return CycleResult(cycle_id, "completed", "PAPER", 1, decisions=[{"symbol": "SPY"}])


class InstantExecutor:
    """A cycle that completes at once."""

    def __init__(self) -> None:
        self.calls: list[CycleRequest] = []

    async def run(self, request: CycleRequest, *, stop: asyncio.Event) -> CycleResult:
        self.calls.append(request)
        return CycleResult(request.cycle_id or "cycle-x", "completed", "PAPER", 1)

"""Fixtures: a real engine gRPC server on a free loopback port, with a scripted feed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from cream.clock import ManualClock
from cream.engine.broker.simulator import SimulatorConfig
from cream.engine.client import EngineClient
from cream.engine.server import EngineRuntime, start_engine
from cream.settings import Environment, Settings
from tests.cream.engine.feeds import ScriptedFeed

# A Wednesday, 10:00 in New York: the market is open.
MARKET_OPEN = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
PRICES = {"AAPL": "100.00", "MSFT": "100.00", "SPY": "500.00", "NVDA": "150.00", "TSLA": "250.00"}


@dataclass
class EngineHarness:
    runtime: EngineRuntime
    client: EngineClient
    feed: ScriptedFeed
    clock: ManualClock
    settings: Settings

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.runtime.port}"


async def launch(
    settings: Settings,
    clock: ManualClock,
    feed: ScriptedFeed,
    simulator: SimulatorConfig | None = None,
) -> EngineHarness:
    runtime = await start_engine(
        settings,
        listen="127.0.0.1:0",
        clock=clock,
        feed=feed,
        simulator=simulator or SimulatorConfig(tick_seconds=0.02),
        stop_interval_seconds=0.05,
    )
    client = EngineClient(f"127.0.0.1:{runtime.port}", timeout=10)
    return EngineHarness(runtime, client, feed, clock, settings)


@pytest.fixture
def engine_settings(tmp_path) -> Settings:
    return Settings(cream_env=Environment.PAPER, cream_db_url=f"file:{tmp_path / 'engine.db'}")


@pytest.fixture
async def engine(engine_settings):
    clock = ManualClock(MARKET_OPEN)
    harness = await launch(engine_settings, clock, ScriptedFeed(clock, PRICES))
    yield harness
    await harness.client.close()
    await harness.runtime.stop(grace=0)

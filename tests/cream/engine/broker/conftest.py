"""Fixtures: a fake Alpaca on a loopback port and an AlpacaBroker pointed at it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest

from cream.clock import ManualClock
from cream.engine.broker.alpaca.adapter import AlpacaBroker
from cream.engine.broker.alpaca.rest import AlpacaRest
from cream.resilience.circuit_breaker import CircuitBreaker
from cream.resilience.token_bucket import TokenBucket
from cream.v1 import common_pb2 as common
from tests.cream.engine.broker.alpaca_stack import (
    AlpacaEngine,
    alpaca_settings,
    close_alpaca,
    launch_alpaca,
)
from tests.fakes.alpaca import FakeAlpaca
from tests.fakes.alpaca.server import KEY, SECRET

PRICES = {"AAPL": "100.00", "MSFT": "100.00", "SPY": "500.00", "NVDA": "150.00", "TSLA": "250.00"}
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[FakeAlpaca]:
    with FakeAlpaca(PRICES) as server:
        yield server


def make_broker(fake: FakeAlpaca, **rest_options: object) -> AlpacaBroker:
    options: dict[str, object] = {"timeout_seconds": 0.5, "backoff_seconds": 0.01}
    options.update(rest_options)
    rest = AlpacaRest(
        KEY,
        SECRET,
        base_url=fake.base_url,
        paper=True,
        limiter=TokenBucket(180, 50),
        breaker=CircuitBreaker("alpaca-test", open_seconds=60),
        **options,  # type: ignore[arg-type]
    )
    return AlpacaBroker(
        rest,
        stream_url=fake.stream_url,
        key=KEY,
        secret=SECRET,
        environment=common.ENVIRONMENT_PAPER,
        clock=ManualClock(NOW),
        cache_seconds=0.0,
        stream_options={"backoff_initial": 0.02, "backoff_max": 0.1, "rng": random.Random(7)},
    )


@pytest.fixture
async def broker(fake: FakeAlpaca) -> AsyncIterator[AlpacaBroker]:
    broker = make_broker(fake)
    broker.start()
    await asyncio.wait_for(broker.stream.connected.wait(), 5)
    yield broker
    await broker.close()


@pytest.fixture
async def stack(fake: FakeAlpaca, tmp_path) -> AsyncIterator[AlpacaEngine]:
    """A real engine trading through the fake, reconciled and ready."""
    engine = await launch_alpaca(alpaca_settings(fake, tmp_path))
    yield engine
    await close_alpaca(engine)

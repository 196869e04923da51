"""The Alpaca engine stack for tests: a real engine (gRPC) trading through the fake Alpaca."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from cream.clock import ManualClock
from cream.engine.broker.alpaca.runtime import AlpacaOptions
from cream.engine.client import EngineClient
from cream.engine.server import EngineRuntime, start_engine
from cream.engine.tactic_plan import TacticDefaults
from cream.settings import Environment, Settings
from cream.v1 import execution_pb2 as ex
from tests.cream.engine.conftest import MARKET_OPEN, PRICES
from tests.cream.engine.feeds import ScriptedFeed
from tests.cream.engine.test_engine_orders import wait_status
from tests.fakes.alpaca import FakeAlpaca
from tests.fakes.alpaca.server import KEY, SECRET

STATUS = {
    "filled": ex.ORDER_STATUS_FILLED,
    "partially_filled": ex.ORDER_STATUS_PARTIALLY_FILLED,
    "new": ex.ORDER_STATUS_ACCEPTED,
    "canceled": ex.ORDER_STATUS_CANCELED,
}
OPTIONS = AlpacaOptions(
    timeout_seconds=0.5,
    reconcile_interval_seconds=3600,
    stream_backoff_initial=0.02,
    stream_backoff_max=0.1,
    cache_seconds=1.0,
)


@dataclass
class AlpacaEngine:
    runtime: EngineRuntime
    client: EngineClient
    clock: ManualClock
    settings: Settings


def alpaca_settings(fake: FakeAlpaca, tmp_path: Path) -> Settings:
    return Settings(
        cream_env=Environment.PAPER,
        cream_db_url=f"file:{tmp_path / 'engine.db'}",
        alpaca_key=KEY,
        alpaca_secret=SECRET,
        alpaca_base_url=fake.base_url,
        alpaca_stream_url=fake.stream_url,
        redis_url=None,
    )


async def launch_alpaca(
    settings: Settings,
    options: AlpacaOptions = OPTIONS,
    *,
    clock: ManualClock | None = None,
    tactics: TacticDefaults | None = None,
) -> AlpacaEngine:
    """An engine on the fake, started and reconciled; schedules move only when kicked."""
    clock = clock or ManualClock(MARKET_OPEN)
    runtime = await start_engine(
        settings,
        listen="127.0.0.1:0",
        clock=clock,
        feed=ScriptedFeed(clock, PRICES),
        stop_interval_seconds=3600,
        alpaca=options,
        tactics=tactics,
        schedule_tick_seconds=3600,
    )
    assert runtime.alpaca is not None
    await asyncio.wait_for(runtime.alpaca.reconciled.wait(), 5)
    return AlpacaEngine(
        runtime, EngineClient(f"127.0.0.1:{runtime.port}", timeout=10), clock, settings
    )


async def close_alpaca(engine: AlpacaEngine) -> None:
    await engine.client.close()
    await engine.runtime.stop(grace=0)


async def assert_matches_broker(
    engine: AlpacaEngine, fake: FakeAlpaca, cid: str
) -> ex.GetOrderStateResponse:
    """Waits until the engine's order has the broker's status, then compares them."""
    (remote,) = fake.orders_by_cid(cid)
    order_id = (await engine.client.get_order_state(client_order_id=cid)).order.order_id
    state = await wait_status(engine, order_id, STATUS[remote["status"]])
    assert Decimal(state.order.cum_qty) == Decimal(remote["filled_qty"])
    assert state.order.broker_order_id == remote["id"]
    assert sum(Decimal(f.quantity) for f in state.fills) == Decimal(remote["filled_qty"])
    return state

"""Issue 7's "done when": with Alpaca keys set in PAPER, a cycle's approved orders go to Alpaca
(the fake, over its real REST and websocket wire format) and their fills come back into the
engine and the database.

The engine is started exactly as `cream engine` starts it for these settings (keys set, so
the Alpaca broker, not the simulator); the cycle runs the offline `rules` provider.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import cast

import grpc
import pytest

from agents.rules.provider import RulesProvider
from cream.clock import ManualClock
from cream.config.service import ConfigService
from cream.engine.broker.alpaca.runtime import AlpacaOptions
from cream.engine.client import EngineClient
from cream.engine.policy import DEFAULT_SECTORS, DEFAULT_UNIVERSE
from cream.engine.server import start_engine
from cream.events.log import EventLog
from cream.market.synthetic import SyntheticFeed
from cream.memory.store import CaseMemory
from cream.settings import Environment, Settings
from cream.storage.database import Database
from cream.v1 import common_pb2 as c
from cream.v1 import execution_pb2 as ex
from tests.cream.engine.watch import HasRuntime, Watch
from tests.fakes.alpaca import FakeAlpaca
from tests.fakes.alpaca.server import KEY, SECRET
from tests.workflows.harness import MARKET_OPEN, CycleHarness, FaultyProvider
from workflows.trading_cycle.contract import CycleRequest

SYMBOLS = ("SPY", "AAPL", "NVDA")
OPTIONS = AlpacaOptions(
    timeout_seconds=2.0,
    reconcile_interval_seconds=3600,
    stream_backoff_initial=0.02,
    stream_backoff_max=0.1,
    cache_seconds=1.0,
)


@pytest.fixture
def fake() -> Iterator[FakeAlpaca]:
    with FakeAlpaca() as server:
        yield server


async def start_alpaca_harness(tmp: Path, fake: FakeAlpaca) -> CycleHarness:
    clock = ManualClock(MARKET_OPEN)
    url = f"file:{tmp / 'cream.db'}"
    settings = Settings(
        cream_env=Environment.PAPER,
        cream_db_url=url,
        alpaca_key=KEY,
        alpaca_secret=SECRET,
        alpaca_base_url=fake.base_url,
        alpaca_stream_url=fake.stream_url,
        redis_url=None,
    )
    db = await Database.connect(url)
    await ConfigService(db, clock=clock).seed("PAPER")
    feed = SyntheticFeed(sorted({*DEFAULT_UNIVERSE, *DEFAULT_SECTORS}), clock)
    # The broker's market is the feed's: marketable limits fill at the mid.
    quotes = await feed.latest_quotes(list(SYMBOLS), clock.now())
    fake.prices = {
        s: ((Decimal(q.bid) + Decimal(q.ask)) / 2).quantize(Decimal("0.01"))
        for s, q in quotes.quotes.items()
    }
    runtime = await start_engine(
        settings, listen="127.0.0.1:0", clock=clock, feed=feed, alpaca=OPTIONS
    )
    assert runtime.broker.name == "alpaca"
    assert runtime.alpaca is not None
    await asyncio.wait_for(runtime.alpaca.reconciled.wait(), 10)  # a hang guard
    address = f"127.0.0.1:{runtime.port}"
    return CycleHarness(
        runtime=runtime,
        engine=EngineClient(address, timeout=10),
        channel=grpc.aio.insecure_channel(address),
        db=db,
        clock=clock,
        settings=settings,
        tmp=tmp,
        provider=FaultyProvider(RulesProvider()),
        events=EventLog(db, "PAPER", producer="cycle", clock=clock),
        memory=await CaseMemory.open(db, "PAPER", clock=clock),
    )


def order_state(
    harness: CycleHarness, cid: str
) -> Callable[[], Awaitable[ex.GetOrderStateResponse]]:
    return lambda: harness.engine.get_order_state(client_order_id=cid)


async def test_a_paper_cycle_trades_through_alpaca_and_its_fills_come_back(fake, tmp_path):
    harness = await start_alpaca_harness(tmp_path, fake)
    try:
        # This harness's engine is in-process (`start_alpaca_harness`), so Watch can see it.
        async with Watch(cast(HasRuntime, harness)) as watch:
            result = await harness.runner().run(
                CycleRequest(symbols=SYMBOLS, provider="rules", trigger="test")
            )
            assert result.status == "completed"
            executed = [d for d in result.decisions if d["status"] == "executed"]
            assert executed, result.decisions
            for d in executed:
                cid = d["client_order_id"]
                order = (await harness.engine.get_order_state(client_order_id=cid)).order
                if order.order_type == c.ORDER_TYPE_LIMIT:
                    # A passive limit rests at the touch: the market comes to it.
                    fake.set_price(order.symbol, order.limit_price)
                state = await watch.until(
                    order_state(harness, cid), lambda s: s.order.status == ex.ORDER_STATUS_FILLED
                )
                (remote,) = fake.orders_by_cid(cid)
                assert remote["order_class"] == "bracket"  # its stop and target rest at Alpaca
                assert state.order.broker_order_id == remote["id"]
                assert Decimal(state.order.cum_qty) == Decimal(remote["filled_qty"])
                row = await harness.db.query_one(
                    "SELECT status, cum_qty, broker_order_id FROM orders "
                    "WHERE environment = 'PAPER' AND client_order_id = ?",
                    (cid,),
                )
                assert row is not None
                assert (row["status"], row["broker_order_id"]) == ("FILLED", remote["id"])
                fills = await harness.db.query(
                    "SELECT quantity, price FROM fills WHERE environment = 'PAPER' "
                    "AND order_id = ?",
                    (state.order.order_id,),
                )
                assert sum(Decimal(str(f["quantity"])) for f in fills) == Decimal(
                    remote["filled_qty"]
                )
                assert {Decimal(str(f["price"])) for f in fills} == {
                    Decimal(remote["filled_avg_price"])
                }
        held = {
            p.symbol: Decimal(p.quantity) for p in (await harness.engine.get_positions()).positions
        }
        at_broker = {s: q for s, (q, _) in fake.state.positions.items()}
        assert held == at_broker and held
    finally:
        await harness.close()

"""Execution tactics through SubmitOrder (gRPC) on the simulator broker, paced by a manual clock.

The engine's schedule runner only looks at the clock when it is woken (``kick``), and its
real-time tick is an hour, so every release in these tests happens because the test moved
the clock: nothing depends on how fast the machine is.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import TypeVar

import numpy as np
import pytest

from cream.clock import ManualClock
from cream.engine.broker.simulator import SimulatorConfig
from cream.engine.client import EngineCallError, EngineClient
from cream.engine.core import ChildPricing, to_epoch_ms
from cream.engine.server import start_engine
from cream.engine.tactic_plan import TacticDefaults
from cream.engine.tactics import child_client_order_id
from cream.market.bars import Bars, Timeframe
from cream.settings import Settings
from cream.v1 import common_pb2 as c
from cream.v1 import execution_pb2 as ex
from tests.cream.engine.conftest import MARKET_OPEN, PRICES, EngineHarness
from tests.cream.engine.feeds import ScriptedFeed
from tests.cream.engine.plans import buy
from tests.cream.engine.test_engine_orders import submit_request
from tests.cream.engine.watch import Watch, kick

T = TypeVar("T")
TEN_MINUTES = timedelta(minutes=10)
TACTICS = TacticDefaults(twap_duration=3 * TEN_MINUTES, twap_slices=3, jitter_pct=0, vwap_hours=3)


async def launch(
    settings: Settings, clock: ManualClock, feed: ScriptedFeed, tactics: TacticDefaults = TACTICS
) -> EngineHarness:
    runtime = await start_engine(
        settings,
        listen="127.0.0.1:0",
        clock=clock,
        feed=feed,
        simulator=SimulatorConfig(tick_seconds=0.02),
        stop_interval_seconds=3600,
        tactics=tactics,
        schedule_tick_seconds=3600,
    )
    client = EngineClient(f"127.0.0.1:{runtime.port}", timeout=10)
    return EngineHarness(runtime, client, feed, clock, settings)


async def stop(harness: EngineHarness) -> None:
    await harness.client.close()
    await harness.runtime.stop(grace=0)


@pytest.fixture
async def engine(engine_settings) -> AsyncIterator[EngineHarness]:
    clock = ManualClock(MARKET_OPEN)
    harness = await launch(engine_settings, clock, ScriptedFeed(clock, PRICES))
    yield harness
    await stop(harness)


def request_for(
    engine: EngineHarness, tactic: c.ExecutionTactic.ValueType, qty: str, decision_id: str = "d1"
) -> ex.SubmitOrderRequest:
    decision = buy(decision_id, "AAPL", qty)
    decision.order_plan.execution_tactic = tactic
    return submit_request(engine, decision)


def state_of(engine: EngineHarness, cid: str) -> Callable[[], Awaitable[ex.GetOrderStateResponse]]:
    return lambda: engine.client.get_order_state(client_order_id=cid)


def advance(engine: EngineHarness, delta: timedelta) -> None:
    engine.clock.advance(delta)
    kick(engine)


async def children(engine: EngineHarness, parent_cid: str, count: int) -> list[ex.Order]:
    found = []
    for k in range(count):
        order = await engine.runtime.engine._orders.get_by_client_order_id(
            child_client_order_id(parent_cid, k)
        )
        if order is not None:
            found.append(order)
    return found


async def running(engine: EngineHarness) -> frozenset[str]:
    assert engine.runtime.schedules is not None
    return engine.runtime.schedules.running


def cum(state: ex.GetOrderStateResponse) -> Decimal:
    return Decimal(state.order.cum_qty or "0")


async def test_aggressive_limit_turns_a_market_decision_into_a_capped_cross(engine):
    response = await engine.client.submit_order(
        request_for(engine, c.EXECUTION_TACTIC_AGGRESSIVE_LIMIT, "10")
    )
    # The ask 100.01 plus at most 5 bps (100.060005), rounded down to the cent.
    assert response.order.order_type == c.ORDER_TYPE_LIMIT
    assert response.order.limit_price == "100.06"


async def test_passive_limit_rests_at_the_bid(engine):
    response = await engine.client.submit_order(
        request_for(engine, c.EXECUTION_TACTIC_PASSIVE_LIMIT, "10")
    )
    assert (response.order.order_type, response.order.limit_price) == (c.ORDER_TYPE_LIMIT, "99.99")
    state = await engine.client.get_order_state(order_id=response.order.order_id)
    assert state.order.status in (ex.ORDER_STATUS_PENDING_NEW, ex.ORDER_STATUS_ACCEPTED)


async def test_a_decisions_own_limit_caps_the_tactic_price(engine):
    decision = buy("d1", "AAPL", "10", order_type=c.ORDER_TYPE_LIMIT, limit="98.50")
    response = await engine.client.submit_order(submit_request(engine, decision))
    assert Decimal(response.order.limit_price) == Decimal("98.50")


async def test_twap_parent_is_accepted_at_once_and_children_follow_the_clock(engine):
    request = request_for(engine, c.EXECUTION_TACTIC_TWAP, "30")
    cid = request.client_order_id
    async with Watch(engine) as watch:
        response = await engine.client.submit_order(request)
        assert response.accepted
        assert response.order.status == ex.ORDER_STATUS_ACCEPTED
        assert (response.order.client_order_id, response.order.quantity) == (cid, "30")
        first = await watch.until(state_of(engine, cid), lambda s: cum(s) == 10)
        assert first.order.status == ex.ORDER_STATUS_PARTIALLY_FILLED
        assert [o.quantity for o in await children(engine, cid, 3)] == ["10"]
        advance(engine, TEN_MINUTES)
        await watch.until(state_of(engine, cid), lambda s: cum(s) == 20)
        advance(engine, TEN_MINUTES)
        done = await watch.until(
            state_of(engine, cid), lambda s: s.order.status == ex.ORDER_STATUS_FILLED
        )
    assert (done.order.cum_qty, done.order.leaves_qty) == ("30", "0")
    assert len(done.fills) == 3 and sum(Decimal(f.quantity) for f in done.fills) == 30
    sent = await children(engine, cid, 3)
    assert [o.client_order_id for o in sent] == [f"{cid}-s{k}" for k in range(3)]
    assert all(o.order_type == c.ORDER_TYPE_LIMIT for o in sent)
    positions = (await engine.client.get_positions()).positions
    assert [(p.symbol, p.quantity) for p in positions] == [("AAPL", "30")]


async def test_parent_fills_stream_as_trades_of_the_parent(engine):
    request = request_for(engine, c.EXECUTION_TACTIC_TWAP, "9")
    cid = request.client_order_id
    messages: list[ex.StreamExecutionsResponse] = []

    async def collect() -> None:
        async for message in engine.runtime.engine.executions([]):
            messages.append(message)
            if message.order.client_order_id == cid and message.order.status == (
                ex.ORDER_STATUS_FILLED
            ):
                return

    listener = asyncio.create_task(collect())
    async with Watch(engine) as watch:
        response = await engine.client.submit_order(request)
        await watch.until(state_of(engine, cid), lambda s: cum(s) == 3)
        advance(engine, TEN_MINUTES)
        await watch.until(state_of(engine, cid), lambda s: cum(s) == 6)
        advance(engine, TEN_MINUTES)
        async with asyncio.timeout(10):
            await listener
    parent = [m for m in messages if m.order.order_id == response.order.order_id]
    trades = [m.report for m in parent if m.report.exec_type == ex.EXEC_TYPE_TRADE]
    assert [t.last_qty for t in trades] == ["3", "3", "3"]
    assert parent[0].order.status == ex.ORDER_STATUS_ACCEPTED
    assert parent[-1].order.status == ex.ORDER_STATUS_FILLED


async def test_iceberg_releases_the_next_peak_when_the_previous_fills(engine):
    request = request_for(engine, c.EXECUTION_TACTIC_ICEBERG, "25")
    async with Watch(engine) as watch:
        await engine.client.submit_order(request)
        done = await watch.until(
            state_of(engine, request.client_order_id),
            lambda s: s.order.status == ex.ORDER_STATUS_FILLED,
        )
    # The default iceberg shows a fifth of the order per peak.
    assert [o.quantity for o in await children(engine, request.client_order_id, 6)] == ["5"] * 5
    assert done.order.cum_qty == "25"


def hourly_volume(engine: EngineHarness) -> None:
    start = engine.clock.now()  # 10:00 New York
    hours = np.arange(-48, 0)
    stamps = np.array([to_epoch_ms(start) + int(h) * 3_600_000 for h in hours]) * 1_000_000
    volume = np.array([1000.0 * (((int(h) % 24) + 24) % 24 + 1) for h in hours])
    price = np.full(len(hours), 100.0)
    engine.feed.set_bars(Bars("AAPL", Timeframe.HOUR_1, stamps, price, price, price, price, volume))


def daily_volume(engine: EngineHarness, volume: float) -> None:
    start = engine.clock.now()
    days = np.arange(-20, 0)
    stamps = np.array([to_epoch_ms(start) + int(d) * 86_400_000 for d in days]) * 1_000_000
    price = np.full(len(days), 100.0)
    bars = Bars(
        "AAPL", Timeframe.DAY_1, stamps, price, price, price, price, np.full(len(days), volume)
    )
    engine.feed.set_bars(bars)


async def test_vwap_children_follow_the_feeds_volume_profile(engine):
    hourly_volume(engine)
    request = request_for(engine, c.EXECUTION_TACTIC_VWAP, "60")
    cid = request.client_order_id
    async with Watch(engine) as watch:
        await engine.client.submit_order(request)
        await watch.until(state_of(engine, cid), lambda s: cum(s) == 10)
        advance(engine, timedelta(hours=1))
        await watch.until(state_of(engine, cid), lambda s: cum(s) == 30)
        advance(engine, timedelta(hours=1))
        await watch.until(state_of(engine, cid), lambda s: s.order.status == ex.ORDER_STATUS_FILLED)
    # Volume at 10:00, 11:00, 12:00 New York is 1000, 2000, 3000: the order follows it.
    assert [o.quantity for o in await children(engine, cid, 3)] == ["10", "20", "30"]


async def test_adaptive_sends_a_small_order_as_one_aggressive_limit(engine):
    daily_volume(engine, 1_000_000)
    response = await engine.client.submit_order(
        request_for(engine, c.EXECUTION_TACTIC_ADAPTIVE, "10")
    )
    assert (response.order.order_type, response.order.limit_price) == (c.ORDER_TYPE_LIMIT, "100.06")
    assert await children(engine, response.order.client_order_id, 1) == []


async def test_adaptive_slices_a_large_order_over_time(engine):
    daily_volume(engine, 400)  # 40 shares is 10 % of the average day: sliced (TWAP, no profile)
    request = request_for(engine, c.EXECUTION_TACTIC_ADAPTIVE, "40")
    async with Watch(engine) as watch:
        response = await engine.client.submit_order(request)
        assert response.order.status == ex.ORDER_STATUS_ACCEPTED
        await watch.until(state_of(engine, request.client_order_id), lambda s: cum(s) > 0)
    rows = await engine.runtime.db.query(
        "SELECT requested_tactic, tactic, status FROM order_schedules WHERE client_order_id = ?",
        (request.client_order_id,),
    )
    assert [(r["requested_tactic"], r["tactic"]) for r in rows] == [
        ("EXECUTION_TACTIC_ADAPTIVE", "EXECUTION_TACTIC_TWAP")
    ]


async def test_canceling_the_parent_cancels_its_resting_child_and_releases_no_more(
    engine_settings,
):
    clock = ManualClock(MARKET_OPEN)
    tactics = TacticDefaults(child_pricing=ChildPricing.PASSIVE)
    harness = await launch(engine_settings, clock, ScriptedFeed(clock, PRICES), tactics)
    try:
        request = request_for(harness, c.EXECUTION_TACTIC_ICEBERG, "20")
        cid = request.client_order_id
        async with Watch(harness) as watch:
            await harness.client.submit_order(request)
            resting = await watch.until(
                lambda: children(harness, cid, 1),
                lambda found: bool(found) and found[0].status == ex.ORDER_STATUS_ACCEPTED,
            )
            assert resting[0].limit_price == "99.99"
            canceled = await harness.client.cancel_order(client_order_id=cid, reason="test")
            assert canceled.order.status in (
                ex.ORDER_STATUS_PENDING_CANCEL,
                ex.ORDER_STATUS_CANCELED,
            )
            done = await watch.until(
                state_of(harness, cid), lambda s: s.order.status == ex.ORDER_STATUS_CANCELED
            )
            await watch.until(lambda: running(harness), lambda r: not r)
        assert "CANCELED: test" in done.order.reject_reason
        assert (done.order.cum_qty, done.order.canceled_qty) == ("0", "20")
        harness.feed.set_price("AAPL", "99.00")  # a fill would now be possible: none comes
        advance(harness, timedelta(hours=1))
        assert [o.status for o in await children(harness, cid, 4)] == [ex.ORDER_STATUS_CANCELED]
        with pytest.raises(EngineCallError) as err:
            await harness.client.cancel_order(client_order_id=cid)
        assert err.value.code == "ORDER_NOT_CANCELABLE"
    finally:
        await stop(harness)


async def test_restart_resumes_the_schedule_and_sends_no_child_twice(engine_settings):
    clock = ManualClock(MARKET_OPEN)
    feed = ScriptedFeed(clock, PRICES)
    first = await launch(engine_settings, clock, feed)
    request = request_for(first, c.EXECUTION_TACTIC_TWAP, "30")
    cid = request.client_order_id
    async with Watch(first) as watch:
        await first.client.submit_order(request)
        await watch.until(state_of(first, cid), lambda s: cum(s) == 10)
    await stop(first)
    clock.advance(TEN_MINUTES)  # child 1 falls due while the engine is down
    second = await launch(engine_settings, clock, feed)
    try:
        async with Watch(second) as watch:
            await watch.until(state_of(second, cid), lambda s: cum(s) == 20)
            replay = await second.client.submit_order(request)
            assert replay.duplicate and replay.order.client_order_id == cid
            advance(second, TEN_MINUTES)
            done = await watch.until(
                state_of(second, cid), lambda s: s.order.status == ex.ORDER_STATUS_FILLED
            )
        assert len(done.fills) == 3
        positions = (await second.client.get_positions()).positions
        assert [(p.symbol, p.quantity) for p in positions] == [("AAPL", "30")]
    finally:
        await stop(second)


@pytest.mark.parametrize(
    ("tactic", "code"),
    [
        (c.EXECUTION_TACTIC_VWAP, "NO_VOLUME_HISTORY"),
        (c.EXECUTION_TACTIC_ADAPTIVE, "NO_VOLUME_HISTORY"),
    ],
)
async def test_a_tactic_without_the_data_it_needs_is_refused_and_nothing_is_stored(
    engine, tactic, code
):
    request = request_for(engine, tactic, "10")
    with pytest.raises(EngineCallError) as err:
        await engine.client.submit_order(request)
    assert err.value.code == code
    with pytest.raises(EngineCallError) as missing:
        await engine.client.get_order_state(client_order_id=request.client_order_id)
    assert missing.value.code == "ORDER_NOT_FOUND"


async def test_a_stop_order_cannot_be_sliced(engine):
    decision = buy("d1", "AAPL", "10", "95", "115", order_type=c.ORDER_TYPE_STOP)
    decision.order_plan.stop_price = "101"
    decision.order_plan.execution_tactic = c.EXECUTION_TACTIC_TWAP
    with pytest.raises(EngineCallError) as err:
        await engine.client.submit_order(submit_request(engine, decision))
    assert err.value.code == "TACTIC_NOT_SUPPORTED"

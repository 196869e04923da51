"""SubmitOrder and friends over gRPC: idempotency, fills, accounting, cancels, restarts."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import grpc
import pytest

from cream.clock import ManualClock
from cream.engine.broker.simulator import SimulatorConfig
from cream.engine.client import EngineCallError
from cream.engine.ids import derive_client_order_id
from cream.events.outbox import read_after
from cream.events.types import ORDER_UPDATED
from cream.storage.database import Database
from cream.v1 import common_pb2 as c
from cream.v1 import execution_pb2 as ex
from tests.cream.engine.conftest import MARKET_OPEN, PRICES, launch
from tests.cream.engine.feeds import ScriptedFeed
from tests.cream.engine.plans import buy, short, ts


def submit_request(engine, decision, leg: int = 0, cycle: str = "cycle-1") -> ex.SubmitOrderRequest:
    return ex.SubmitOrderRequest(
        client_order_id=derive_client_order_id(cycle, decision.decision_id, leg),
        cycle_id=cycle,
        decision=decision,
        environment=c.ENVIRONMENT_PAPER,
        config_version=1,
        as_of=ts(engine.clock.now()),
    )


async def wait_status(
    engine, order_id: str, status: int, timeout: float = 5.0
) -> ex.GetOrderStateResponse:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        state = await engine.client.get_order_state(order_id=order_id)
        if state.order.status == status:
            return state
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"order stuck in {ex.OrderStatus.Name(state.order.status)}")
        await asyncio.sleep(0.02)


async def test_market_buy_fills_and_moves_cash_and_positions(engine):
    before = await engine.client.get_account_state()
    response = await engine.client.submit_order(submit_request(engine, buy("d1", "AAPL", "10")))
    assert response.accepted and not response.duplicate
    state = await wait_status(engine, response.order.order_id, ex.ORDER_STATUS_FILLED)
    assert state.order.cum_qty == "10" and state.order.leaves_qty == "0"
    assert len(state.fills) == 1
    price = Decimal(state.fills[0].price)
    assert price >= Decimal("100.01")  # the ask, plus slippage for a market buy
    after = await engine.client.get_account_state()
    assert Decimal(after.cash) == Decimal(before.cash) - 10 * price
    positions = (await engine.client.get_positions()).positions
    assert [(p.symbol, p.quantity) for p in positions] == [("AAPL", "10")]
    assert positions[0].stop_loss == "95" and positions[0].take_profit == "110"


async def test_same_client_order_id_submitted_twice_trades_once(engine):
    request = submit_request(engine, buy("d1", "AAPL", "5"))
    first = await engine.client.submit_order(request)
    second = await engine.client.submit_order(request)
    assert not first.duplicate and second.duplicate
    assert second.order.order_id == first.order.order_id
    await wait_status(engine, first.order.order_id, ex.ORDER_STATUS_FILLED)
    positions = (await engine.client.get_positions()).positions
    assert [(p.symbol, p.quantity) for p in positions] == [("AAPL", "5")]


async def test_concurrent_submits_of_one_client_order_id_create_one_order(engine):
    request = submit_request(engine, buy("d1", "AAPL", "7"))
    results = await asyncio.gather(*(engine.client.submit_order(request) for _ in range(8)))
    assert len({r.order.order_id for r in results}) == 1
    assert sum(not r.duplicate for r in results) == 1
    await wait_status(engine, results[0].order.order_id, ex.ORDER_STATUS_FILLED)
    positions = (await engine.client.get_positions()).positions
    assert [(p.symbol, p.quantity) for p in positions] == [("AAPL", "7")]


async def test_submit_rechecks_risk_and_creates_no_order_when_refused(engine):
    request = submit_request(engine, buy("d1", stop=""))
    response = await engine.client.submit_order(request)
    assert not response.accepted
    assert "MISSING_STOP_LOSS" in {v.code for v in response.violations}
    with pytest.raises(EngineCallError) as err:
        await engine.client.get_order_state(client_order_id=request.client_order_id)
    assert err.value.status == grpc.StatusCode.NOT_FOUND
    assert (await engine.client.get_positions()).positions == []


async def test_hold_decision_has_nothing_to_submit(engine):
    decision = buy("d1")
    decision.action = c.ACTION_HOLD
    with pytest.raises(EngineCallError) as err:
        await engine.client.submit_order(submit_request(engine, decision))
    assert err.value.code == "NOTHING_TO_SUBMIT"


async def test_malformed_client_order_id_is_refused(engine):
    request = submit_request(engine, buy("d1"))
    request.client_order_id = "has spaces and is far too long to be accepted by alpaca at all"
    with pytest.raises(EngineCallError) as err:
        await engine.client.submit_order(request)
    assert err.value.code == "INVALID_CLIENT_ORDER_ID"


async def test_short_sale_opens_a_negative_position(engine):
    response = await engine.client.submit_order(submit_request(engine, short("s1", "MSFT", "10")))
    await wait_status(engine, response.order.order_id, ex.ORDER_STATUS_FILLED)
    positions = (await engine.client.get_positions()).positions
    assert [(p.symbol, p.quantity) for p in positions] == [("MSFT", "-10")]


async def test_resting_limit_order_can_be_canceled(engine):
    decision = buy("d1", "AAPL", "10", "95", "110", order_type=c.ORDER_TYPE_LIMIT, limit="98.00")
    response = await engine.client.submit_order(submit_request(engine, decision))
    assert response.accepted
    await wait_status(engine, response.order.order_id, ex.ORDER_STATUS_ACCEPTED)
    await engine.client.cancel_order(order_id=response.order.order_id, reason="test")
    state = await wait_status(engine, response.order.order_id, ex.ORDER_STATUS_CANCELED)
    assert state.fills == [] and state.order.leaves_qty == "0"
    with pytest.raises(EngineCallError) as err:
        await engine.client.cancel_order(order_id=response.order.order_id)
    assert err.value.code == "ORDER_NOT_CANCELABLE"


async def test_limit_order_fills_when_the_market_reaches_it(engine):
    decision = buy("d1", "AAPL", "10", "95", "110", order_type=c.ORDER_TYPE_LIMIT, limit="98.00")
    response = await engine.client.submit_order(submit_request(engine, decision))
    await wait_status(engine, response.order.order_id, ex.ORDER_STATUS_ACCEPTED)
    engine.feed.set_price("AAPL", "97.50")
    state = await wait_status(engine, response.order.order_id, ex.ORDER_STATUS_FILLED)
    assert Decimal(state.fills[0].price) <= Decimal("98.00")


async def test_stream_executions_delivers_ack_and_fill(engine):
    received: list[ex.StreamExecutionsResponse] = []

    async def listen():
        async for message in engine.client.stream_executions():
            received.append(message)
            if message.report.exec_type == ex.EXEC_TYPE_TRADE:
                return

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0.1)
    await engine.client.submit_order(submit_request(engine, buy("d1", "AAPL", "3")))
    await asyncio.wait_for(listener, 5)
    types = [m.report.exec_type for m in received]
    assert ex.EXEC_TYPE_TRADE in types
    assert received[-1].order.status == ex.ORDER_STATUS_FILLED


async def test_partial_fills_keep_cum_plus_leaves_equal_to_quantity(engine_settings):
    clock = ManualClock(MARKET_OPEN)
    harness = await launch(
        engine_settings,
        clock,
        ScriptedFeed(clock, PRICES),
        SimulatorConfig(tick_seconds=0.02, partial_fill_ratio=Decimal("0.3")),
    )
    try:
        response = await harness.client.submit_order(
            submit_request(harness, buy("d1", "AAPL", "10"))
        )
        state = await wait_status(harness, response.order.order_id, ex.ORDER_STATUS_FILLED)
        assert len(state.fills) > 1
        assert sum(Decimal(f.quantity) for f in state.fills) == Decimal(10)
        assert Decimal(state.order.cum_qty) + Decimal(state.order.leaves_qty) == Decimal(
            state.order.quantity
        )
    finally:
        await harness.client.close()
        await harness.runtime.stop(grace=0)


@pytest.mark.parametrize(
    ("decision", "move_to", "exit_side"),
    [
        (buy("long", "AAPL", "10", "95", "110"), "94.00", c.ORDER_SIDE_SELL),
        (buy("long", "AAPL", "10", "95", "110"), "111.00", c.ORDER_SIDE_SELL),
        (short("short", "MSFT", "10", "105", "85"), "106.00", c.ORDER_SIDE_BUY),
        (short("short", "MSFT", "10", "105", "85"), "84.00", c.ORDER_SIDE_BUY),
    ],
    ids=["long-stop", "long-target", "short-stop", "short-target"],
)
async def test_stop_monitor_exits_on_the_correct_side(engine, decision, move_to, exit_side):
    response = await engine.client.submit_order(submit_request(engine, decision))
    await wait_status(engine, response.order.order_id, ex.ORDER_STATUS_FILLED)
    engine.feed.set_price(decision.instrument.symbol, move_to)
    for _ in range(200):
        positions = (await engine.client.get_positions()).positions
        if not positions:
            break
        await asyncio.sleep(0.02)
    assert positions == []
    exits = [o for o in await engine.runtime.engine._orders.list() if o.reduce_only]
    assert len(exits) == 1 and exits[0].side == exit_side


async def test_restart_restores_orders_positions_and_idempotency(engine_settings):
    clock = ManualClock(MARKET_OPEN)
    feed = ScriptedFeed(clock, PRICES)
    harness = await launch(engine_settings, clock, feed)
    request = submit_request(harness, buy("d1", "AAPL", "10"))
    first = await harness.client.submit_order(request)
    await wait_status(harness, first.order.order_id, ex.ORDER_STATUS_FILLED)
    cash = (await harness.client.get_account_state()).cash
    await harness.client.close()
    await harness.runtime.stop(grace=0)

    again = await launch(engine_settings, clock, feed)
    try:
        replay = await again.client.submit_order(request)
        assert replay.duplicate and replay.order.order_id == first.order.order_id
        positions = (await again.client.get_positions()).positions
        assert [(p.symbol, p.quantity, p.stop_loss) for p in positions] == [("AAPL", "10", "95")]
        assert (await again.client.get_account_state()).cash == cash
    finally:
        await again.client.close()
        await again.runtime.stop(grace=0)


async def test_every_stored_execution_is_announced_as_orders_updated(engine):
    response = await engine.client.submit_order(submit_request(engine, buy("d9", "AAPL", "10")))
    order_id = response.order.order_id
    state = await wait_status(engine, order_id, ex.ORDER_STATUS_FILLED)
    async with await Database.connect(engine.settings.cream_db_url) as db:
        events = [
            e.event
            for e in await read_after(db, "PAPER", 0, limit=1000)
            if e.event.type == ORDER_UPDATED and e.event.payload["order_id"] == order_id
        ]
    statuses = [e.payload["status"] for e in events]
    assert statuses[-1] == "FILLED"
    assert "TRADE" in [e.payload["exec_type"] for e in events]
    last = events[-1]
    assert last.payload["filled_qty"] == state.order.cum_qty == "10"
    assert last.payload["price"] == state.fills[0].price
    assert last.payload["client_order_id"] == response.order.client_order_id
    assert last.cycle_id == "cycle-1"

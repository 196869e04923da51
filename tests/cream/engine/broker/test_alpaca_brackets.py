"""Entries reach Alpaca (the fake) with their exits attached: bracket, or OTO with a stop only.

The exit legs become reduce-only engine orders, so their fills land in the orders and fills
tables like any other; the stop monitor leaves a position alone while its stop rests at the
broker; and a bracket Alpaca refuses takes its entry down with it (no naked entry).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from cream.engine.broker.alpaca.adapter import AlpacaBroker
from cream.engine.stops import StopMonitor
from cream.storage.database import Database
from cream.v1 import common_pb2 as c
from cream.v1 import execution_pb2 as ex
from tests.cream.engine.broker.alpaca_stack import AlpacaEngine, assert_matches_broker
from tests.cream.engine.broker.test_alpaca_adapter import engine_order
from tests.cream.engine.plans import buy
from tests.cream.engine.test_engine_orders import submit_request, wait_status
from tests.fakes.alpaca import FakeAlpaca

REJECTION = "stop_loss.stop_price must be less than or equal to base_price - 0.01"


async def legs_of(engine: AlpacaEngine, entry: ex.Order, fake: FakeAlpaca) -> list[ex.Order]:
    (remote,) = fake.orders_by_cid(entry.client_order_id)
    found = []
    for leg in remote["legs"]:
        state = await engine.client.get_order_state(client_order_id=leg["client_order_id"])
        found.append(state.order)
    return found


async def wait_legs(
    engine: AlpacaEngine,
    entry: ex.Order,
    fake: FakeAlpaca,
    statuses: list[ex.OrderStatus.ValueType],
) -> list[ex.Order]:
    async with asyncio.timeout(5):  # a hang guard, not a timing assertion
        while True:
            legs = await legs_of(engine, entry, fake)
            if [leg.status for leg in legs] == statuses:
                return legs
            await asyncio.sleep(0.02)


async def test_an_entry_goes_out_as_a_bracket_whose_legs_become_engine_orders(stack, fake):
    request = submit_request(stack, buy("d1", "AAPL", "10", "95", "110"))
    response = await stack.client.submit_order(request)
    state = await assert_matches_broker(stack, fake, request.client_order_id)
    assert state.order.status == ex.ORDER_STATUS_FILLED
    (remote,) = fake.orders_by_cid(request.client_order_id)
    assert remote["order_class"] == "bracket"
    legs = await wait_legs(
        stack, response.order, fake, [ex.ORDER_STATUS_ACCEPTED, ex.ORDER_STATUS_ACCEPTED]
    )
    take, stop = legs
    assert (take.order_type, Decimal(take.limit_price)) == (c.ORDER_TYPE_LIMIT, Decimal(110))
    assert (stop.order_type, Decimal(stop.stop_price)) == (c.ORDER_TYPE_STOP, Decimal(95))
    for leg, wire in zip(legs, remote["legs"], strict=True):
        assert leg.reduce_only and leg.side == c.ORDER_SIDE_SELL and leg.quantity == "10"
        assert leg.broker_order_id == wire["id"]
        assert (leg.cycle_id, leg.decision_id) == (request.cycle_id, "d1")


async def test_a_stop_hit_at_the_broker_exits_the_position_once(stack, fake):
    request = submit_request(stack, buy("d1", "AAPL", "10", "95", "110"))
    response = await stack.client.submit_order(request)
    await assert_matches_broker(stack, fake, request.client_order_id)
    await wait_legs(
        stack, response.order, fake, [ex.ORDER_STATUS_ACCEPTED, ex.ORDER_STATUS_ACCEPTED]
    )
    await stack.runtime.engine.refresh_portfolio()
    # The engine's feed sees the stop crossed first: its monitor leaves it to the broker.
    feed = stack.runtime.engine._feed
    feed.set_price("AAPL", "94.00")
    monitor = StopMonitor(stack.runtime.engine, feed, stack.clock)
    triggers = await monitor.check_once()
    assert [t.kind for t in triggers] == ["STOP_LOSS"]
    fake.set_price("AAPL", "94.00")
    _, stop = await wait_legs(
        stack, response.order, fake, [ex.ORDER_STATUS_CANCELED, ex.ORDER_STATUS_FILLED]
    )
    fills = (await stack.client.get_order_state(order_id=stop.order_id)).fills
    assert [(f.quantity, f.price, f.side) for f in fills] == [("10", "94", c.ORDER_SIDE_SELL)]
    sells = [o for o in fake.state.orders.values() if o["side"] == "sell"]
    assert sorted(o["status"] for o in sells) == ["canceled", "filled"]
    orders = await stack.runtime.engine._orders.list()
    assert not [o for o in orders if o.client_order_id.startswith("exit-")]
    async with await Database.connect(stack.settings.cream_db_url) as db:
        rows = await db.query("SELECT side, quantity, price FROM fills ORDER BY ts, id")
    assert sorted((r["side"], r["quantity"]) for r in rows) == [("BUY", "10"), ("SELL", "10")]


async def test_a_rejected_bracket_leaves_no_naked_entry(stack, fake):
    fake.reject_brackets = REJECTION
    request = submit_request(stack, buy("d1", "AAPL", "10", "95", "110"))
    response = await stack.client.submit_order(request)
    assert response.accepted
    assert response.order.status == ex.ORDER_STATUS_REJECTED
    assert REJECTION in response.order.reject_reason
    assert fake.state.orders == {}
    assert fake.count("POST", "/v2/orders") == 1
    assert (await stack.client.get_positions()).positions == []


async def test_held_legs_stay_held_through_reconciliation_until_the_entry_fills(stack, fake):
    fake.auto_fill = False
    request = submit_request(stack, buy("d1", "AAPL", "10", "95", "110"))
    response = await stack.client.submit_order(request)
    await wait_status(stack, response.order.order_id, ex.ORDER_STATUS_ACCEPTED)
    held = [ex.ORDER_STATUS_PENDING_NEW, ex.ORDER_STATUS_PENDING_NEW]
    await wait_legs(stack, response.order, fake, held)
    assert stack.runtime.alpaca is not None
    assert await stack.runtime.alpaca.reconcile("periodic")
    assert [leg.status for leg in await legs_of(stack, response.order, fake)] == held
    async with await Database.connect(stack.settings.cream_db_url) as db:
        kinds = {r["kind"] for r in await db.query("SELECT kind FROM reconciliation_differences")}
    assert not kinds & {"UNKNOWN_BROKER_ORDER", "NOT_AT_BROKER", "MISSED_ACK"}
    (remote,) = fake.orders_by_cid(request.client_order_id)
    fake.fill(remote["id"], "10", "100")
    await wait_legs(
        stack, response.order, fake, [ex.ORDER_STATUS_ACCEPTED, ex.ORDER_STATUS_ACCEPTED]
    )


async def test_an_entry_with_only_a_stop_goes_out_as_oto(broker: AlpacaBroker, fake):
    entry = engine_order(
        "oto-1",
        order_type=c.ORDER_TYPE_LIMIT,
        limit_price="100.05",
        stop_loss="97.5",
    )
    await broker.submit(entry)
    (remote,) = fake.orders_by_cid("oto-1")
    assert remote["order_class"] == "oto"
    (leg,) = broker.exit_legs(entry)
    assert (leg.order_type, leg.stop_price, leg.side) == (
        c.ORDER_TYPE_STOP,
        "97.5",
        c.ORDER_SIDE_SELL,
    )
    assert leg.client_order_id == remote["legs"][0]["client_order_id"]
    # The leg's activation overtook the POST response: it is replayed once the leg is adopted.
    await broker.adopt(leg)
    async with asyncio.timeout(5):  # a hang guard
        async for report in broker.reports():
            if report.order_id == leg.order_id:
                break
    assert (report.exec_type, report.broker_order_id) == (ex.EXEC_TYPE_NEW, leg.broker_order_id)


async def test_exits_and_options_are_sent_without_a_bracket(broker: AlpacaBroker, fake):
    exit_order = engine_order("x-1", side=c.ORDER_SIDE_SELL, reduce_only=True, stop_loss="95")
    fake.state.positions["AAPL"] = (Decimal(10), Decimal(100))
    await broker.submit(exit_order)
    (remote,) = fake.orders_by_cid("x-1")
    assert remote["order_class"] == ""
    assert broker.exit_legs(exit_order) == []


async def test_a_close_cancels_the_positions_exit_legs_before_it_is_sent(stack, fake):
    entry = submit_request(stack, buy("d1", "AAPL", "10", "95", "110"))
    response = await stack.client.submit_order(entry)
    working = [ex.ORDER_STATUS_ACCEPTED, ex.ORDER_STATUS_ACCEPTED]
    await wait_legs(stack, response.order, fake, working)
    close = buy("d2", "AAPL", "10")
    close.action = c.ACTION_CLOSE
    request = submit_request(stack, close, cycle="cycle-2")
    closed = await stack.client.submit_order(request)
    # Alpaca holds the shares for working exits: without canceling them first, it refuses.
    assert closed.accepted and closed.order.status != ex.ORDER_STATUS_REJECTED
    state = await assert_matches_broker(stack, fake, request.client_order_id)
    assert state.order.status == ex.ORDER_STATUS_FILLED
    await wait_legs(stack, response.order, fake, [ex.ORDER_STATUS_CANCELED] * 2)
    sells = [o for o in fake.state.orders.values() if o["side"] == "sell"]
    assert sorted(o["status"] for o in sells) == ["canceled", "canceled", "filled"]
    assert "AAPL" not in fake.state.positions

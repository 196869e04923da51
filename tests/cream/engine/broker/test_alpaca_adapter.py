"""The Alpaca adapter against the fake: submissions under faults, events, account queries."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest

from cream.engine.broker.alpaca.adapter import AlpacaBroker
from cream.engine.broker.alpaca.errors import (
    AlpacaOrderInvalidError,
    AlpacaRejectedError,
    AlpacaUnavailableError,
    SubmitThrottledError,
)
from cream.engine.broker.alpaca.mapping import OrderIntent, StopLoss
from cream.engine.order_factory import derive_order_id
from cream.resilience.throttle import SubmitThrottle
from cream.v1 import common_pb2 as common
from cream.v1 import execution_pb2 as ex
from tests.cream.engine.broker.conftest import make_broker


def engine_order(cid: str, qty: str = "10", **fields: object) -> ex.Order:
    base: dict[str, object] = {
        "order_id": derive_order_id(common.ENVIRONMENT_PAPER, cid),
        "client_order_id": cid,
        "symbol": "AAPL",
        "instrument_type": common.INSTRUMENT_TYPE_EQUITY,
        "side": common.ORDER_SIDE_BUY,
        "order_type": common.ORDER_TYPE_MARKET,
        "time_in_force": common.TIME_IN_FORCE_DAY,
        "quantity": qty,
        "cum_qty": "0",
        "leaves_qty": qty,
        "status": ex.ORDER_STATUS_PENDING_NEW,
        "environment": common.ENVIRONMENT_PAPER,
    }
    base.update(fields)
    return ex.Order(**base)  # type: ignore[arg-type]


async def drain(broker: AlpacaBroker, until: int) -> list[ex.ExecutionReport]:
    reports: list[ex.ExecutionReport] = []
    async with asyncio.timeout(5):
        async for report in broker.reports():
            reports.append(report)
            if len(reports) >= until:
                return reports
    return reports


async def test_market_order_is_acked_and_filled_with_exact_decimals(broker, fake):
    broker_id = await broker.submit(engine_order("c-1", qty="7"))
    reports = await drain(broker, 2)
    assert [r.exec_type for r in reports] == [ex.EXEC_TYPE_NEW, ex.EXEC_TYPE_TRADE]
    assert reports[1].last_qty == "7" and reports[1].last_price == "100"
    assert reports[1].exec_id == f"{broker_id}:fill:7"
    assert [o["qty"] for o in fake.orders_by_cid("c-1")] == ["7"]


async def test_partial_fills_arrive_per_fill(broker, fake):
    fake.partial_fill_steps = 3
    await broker.submit(engine_order("c-2", qty="9"))
    reports = await drain(broker, 4)
    fills = [r for r in reports if r.exec_type == ex.EXEC_TYPE_TRADE]
    assert [f.last_qty for f in fills] == ["3", "3", "3"]
    assert len({f.exec_id for f in fills}) == 3


async def test_duplicate_events_yield_one_report_each_after_dedup_ids(broker, fake):
    fake.duplicate_events = True
    await broker.submit(engine_order("c-3"))
    reports = await drain(broker, 3)
    # The second copy of the fill has the same exec id, so the order book ignores it.
    fills = [r for r in reports if r.exec_type == ex.EXEC_TYPE_TRADE]
    assert len({f.exec_id for f in fills}) == 1


async def test_out_of_order_ack_after_fill_is_dropped(broker, fake):
    fake.reorder_events = True
    await broker.submit(engine_order("c-4"))
    reports = await drain(broker, 1)
    while reports[-1].exec_type != ex.EXEC_TYPE_TRADE:
        reports += await drain(broker, 1)
    await asyncio.sleep(0.05)
    # The ack may come from the POST response before the fill, never after it.
    assert broker._reports.empty()
    assert [r.exec_type for r in reports][-1] == ex.EXEC_TYPE_TRADE
    assert len(reports) <= 2


async def test_429_is_retried_after_retry_after_and_placed_once(broker, fake):
    fake.fail_next("POST", "/v2/orders", 429, retry_after="0.05")
    await broker.submit(engine_order("c-5"))
    assert len(fake.orders_by_cid("c-5")) == 1
    assert fake.count("GET", "/v2/orders:by_client_order_id") == 1


async def test_500_is_resolved_by_lookup_then_sent_once(broker, fake):
    fake.fail_next("POST", "/v2/orders", 500)
    await broker.submit(engine_order("c-6"))
    assert len(fake.orders_by_cid("c-6")) == 1
    assert fake.count("POST", "/v2/orders") == 2


async def test_timeout_after_accept_finds_the_order_without_resending(broker, fake):
    fake.submit_delay = 1.5
    broker_id = await broker.submit(engine_order("c-7"))
    assert [o["id"] for o in fake.orders_by_cid("c-7")] == [broker_id]
    assert fake.count("POST", "/v2/orders") == 1


async def test_resubmitting_a_known_client_order_id_returns_the_existing_order(broker, fake):
    first = await broker.submit(engine_order("c-8"))
    second = await broker.submit(engine_order("c-8"))
    assert first == second
    assert len(fake.orders_by_cid("c-8")) == 1


async def test_ambiguous_submit_with_broker_unreachable_raises_unavailable(fake):
    broker = make_broker(fake, read_attempts=1)
    fake.fail_next("POST", "/v2/orders", 503)
    fake.fail_next("GET", "/v2/orders:by_client_order_id", 503)
    with pytest.raises(AlpacaUnavailableError):
        await broker.submit(engine_order("c-9"))
    assert fake.orders_by_cid("c-9") == []


async def test_rejected_bracket_creates_no_order(broker, fake):
    intent = OrderIntent(
        client_order_id="br-1",
        symbol="AAPL",
        side="buy",
        type="market",
        time_in_force="day",
        qty=Decimal(5),
        order_class="bracket",
        take_profit=Decimal("110"),
        stop_loss=StopLoss(Decimal("100.50")),
    )
    with pytest.raises(AlpacaRejectedError) as caught:
        await broker.submit_intent(intent)
    assert "stop_loss.stop_price" in caught.value.message
    assert fake.orders_by_cid("br-1") == []


async def test_local_validation_refuses_before_sending(broker, fake):
    intent = OrderIntent(
        client_order_id="br-2",
        symbol="AAPL",
        side="buy",
        type="limit",
        time_in_force="day",
        qty=Decimal(5),
        limit_price=Decimal(100),
        order_class="bracket",
        take_profit=Decimal(110),
        stop_loss=StopLoss(Decimal("99.995")),
    )
    with pytest.raises(AlpacaOrderInvalidError) as caught:
        await broker.submit_intent(intent)
    assert caught.value.code == "SUB_PENNY_PRICE"
    assert fake.count("POST", "/v2/orders") == 0


async def test_submit_throttle_refuses_a_burst(fake):
    broker = make_broker(fake)
    broker._throttle = SubmitThrottle(max_submits=2, window_seconds=3600)
    await broker.submit(engine_order("t-1"))
    await broker.submit(engine_order("t-2"))
    with pytest.raises(SubmitThrottledError):
        await broker.submit(engine_order("t-3"))
    assert fake.orders_by_cid("t-3") == []


async def test_circuit_opens_after_five_failures_and_stops_calling(fake):
    broker = make_broker(fake, read_attempts=1)
    fake.fail_next("GET", "/v2/account", 500, count=10)
    for _ in range(5):
        with pytest.raises(AlpacaUnavailableError):
            await broker.account()
    calls = fake.count("GET", "/v2/account")
    with pytest.raises(AlpacaUnavailableError) as caught:
        await broker.account()
    assert caught.value.code == "CIRCUIT_OPEN"
    assert fake.count("GET", "/v2/account") == calls == 5


async def test_account_positions_clock_calendar(broker, fake):
    await broker.submit(engine_order("p-1", qty="3"))
    await drain(broker, 2)
    account = await broker.account()
    positions = await broker.positions()
    assert Decimal(account.cash) == Decimal(100_000) - 300
    assert [(p.symbol, p.quantity) for p in positions] == [("AAPL", "3")]
    clock = await broker.market_clock()
    assert clock.is_open
    days = await broker.calendar(date(2026, 11, 16), date(2026, 11, 22))
    assert [d.date.day for d in days] == [16, 17, 18, 19, 20]


async def test_replace_maps_to_a_replaced_report_with_the_new_terms(broker, fake):
    fake.auto_fill = False
    order = engine_order("r-1", order_type=common.ORDER_TYPE_LIMIT, limit_price="90")
    broker_id = await broker.submit(order)
    await drain(broker, 1)
    order.broker_order_id = broker_id
    replacement = await broker.replace(order, qty=Decimal(12), limit_price=Decimal("91.5"))
    reports = await drain(broker, 1)
    assert reports[0].exec_type == ex.EXEC_TYPE_REPLACED
    assert (reports[0].new_quantity, reports[0].new_limit_price) == ("12", "91.5")
    assert reports[0].broker_order_id == replacement.id


async def test_stream_reconnects_after_a_drop(broker, fake):
    connected = asyncio.Event()

    async def on_connected() -> None:
        connected.set()

    broker.on_connected = on_connected
    fake.drop_stream()
    await asyncio.wait_for(connected.wait(), 5)
    assert broker.stream.connections == 2

"""The engine trading through Alpaca (the fake): gRPC in, order at the broker, fills back.

For each fault the fake broker ends with exactly the intended orders, none twice, and the
engine's order matches the broker's after reconciliation.
"""

from __future__ import annotations

import asyncio

import pytest

from cream.engine.client import EngineCallError
from cream.storage.database import Database
from cream.v1 import execution_pb2 as ex
from tests.cream.engine.broker.alpaca_stack import (
    alpaca_settings,
    assert_matches_broker,
    launch_alpaca,
)
from tests.cream.engine.plans import buy
from tests.cream.engine.test_engine_orders import submit_request, wait_status


async def test_paper_order_goes_to_alpaca_and_its_fill_is_persisted(stack, fake, tmp_path):
    request = submit_request(stack, buy("d1", "AAPL", "10"))
    response = await stack.client.submit_order(request)
    assert response.accepted
    state = await assert_matches_broker(stack, fake, request.client_order_id)
    assert state.order.status == ex.ORDER_STATUS_FILLED and state.fills[0].price == "100"
    positions = (await stack.client.get_positions()).positions
    assert [(p.symbol, p.quantity) for p in positions] == [("AAPL", "10")]
    async with await Database.connect(stack.settings.cream_db_url) as db:
        rows = await db.query(
            "SELECT status, cum_qty FROM orders WHERE client_order_id = ?",
            (request.client_order_id,),
        )
    assert [(r["status"], r["cum_qty"]) for r in rows] == [("FILLED", "10")]


async def test_stream_executions_carries_alpaca_fills(stack, fake):
    stream = stack.client.stream_executions([])
    first = asyncio.ensure_future(anext(aiter(stream)))
    await asyncio.sleep(0.1)
    request = submit_request(stack, buy("d2", "MSFT", "4"))
    await stack.client.submit_order(request)
    seen = [await asyncio.wait_for(first, 5)]
    while seen[-1].order.status != ex.ORDER_STATUS_FILLED:
        seen.append(await asyncio.wait_for(anext(aiter(stream)), 5))
    assert seen[-1].report.last_qty == "4"


@pytest.mark.parametrize(
    "fault",
    ["429", "500", "timeout_after_accept", "partial_fills", "out_of_order", "duplicates"],
)
async def test_each_fault_ends_with_one_order_matching_the_engine(stack, fake, fault):
    if fault == "429":
        fake.fail_next("POST", "/v2/orders", 429, retry_after="0.05")
    elif fault == "500":
        fake.fail_next("POST", "/v2/orders", 500)
    elif fault == "timeout_after_accept":
        fake.submit_delay = 1.5
    elif fault == "partial_fills":
        fake.partial_fill_steps = 4
    elif fault == "out_of_order":
        fake.partial_fill_steps = 2
        fake.reorder_events = True
    elif fault == "duplicates":
        fake.partial_fill_steps = 2
        fake.duplicate_events = True
    request = submit_request(stack, buy(f"d-{fault}", "AAPL", "8"))
    response = await stack.client.submit_order(request)
    assert response.accepted
    state = await assert_matches_broker(stack, fake, request.client_order_id)
    assert state.order.status == ex.ORDER_STATUS_FILLED
    assert len(fake.orders_by_cid(request.client_order_id)) == 1


async def test_fills_missed_while_the_stream_was_down_are_reconciled(stack, fake):
    fake.auto_fill = False
    request = submit_request(stack, buy("d-drop", "MSFT", "6"))
    await stack.client.submit_order(request)
    (remote,) = fake.orders_by_cid(request.client_order_id)
    order_id = (
        await stack.client.get_order_state(client_order_id=request.client_order_id)
    ).order.order_id
    await wait_status(stack, order_id, ex.ORDER_STATUS_ACCEPTED)
    stack.runtime.alpaca.reconciled.clear()
    fake.reject_streams = True
    fake.drop_stream()
    # While the stream is down: a fill and the rest canceled at the broker, seen by nobody.
    fake.fill(remote["id"], "2", "99.5")
    fake.cancel_at_broker(remote["id"])
    with pytest.raises(EngineCallError) as caught:
        await stack.client.submit_order(submit_request(stack, buy("d-gated", "AAPL", "1")))
    assert caught.value.code == "BROKER_RECONCILING"
    fake.reject_streams = False
    await asyncio.wait_for(stack.runtime.alpaca.reconciled.wait(), 5)
    state = await assert_matches_broker(stack, fake, request.client_order_id)
    assert state.order.status == ex.ORDER_STATUS_CANCELED and state.fills[0].price == "99.5"
    async with await Database.connect(stack.settings.cream_db_url) as db:
        kinds = {r["kind"] for r in await db.query("SELECT kind FROM reconciliation_differences")}
        alerts = await db.query("SELECT type FROM outbox WHERE type = 'alerts.raised'")
    assert {"MISSED_FILL", "MISSED_FINAL"} <= kinds and alerts
    response = await stack.client.submit_order(submit_request(stack, buy("d-after", "AAPL", "1")))
    assert response.accepted


async def test_restart_resolves_an_in_flight_order_by_client_order_id(fake, tmp_path):
    settings = alpaca_settings(fake, tmp_path)
    engine = await launch_alpaca(settings)
    fake.fail_next("POST", "/v2/orders", 503)
    fake.fail_next("GET", "/v2/orders:by_client_order_id", 503, count=3)
    request = submit_request(engine, buy("d-flight", "AAPL", "3"))
    response = await engine.client.submit_order(request)
    assert response.order.status == ex.ORDER_STATUS_PENDING_NEW
    await engine.client.close()
    await engine.runtime.stop(grace=0)
    assert fake.orders_by_cid(request.client_order_id) == []
    # Meanwhile the request did reach Alpaca after all (a late-processed POST).
    fake.state.by_cid.pop(request.client_order_id, None)
    restarted = await launch_alpaca(settings)
    try:
        state = await restarted.client.get_order_state(client_order_id=request.client_order_id)
        assert state.order.status == ex.ORDER_STATUS_REJECTED
        assert "never placed" in state.order.reject_reason
    finally:
        await restarted.client.close()
        await restarted.runtime.stop(grace=0)

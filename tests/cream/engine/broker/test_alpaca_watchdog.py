"""The trade_updates watchdog: a stream that goes silent is dropped, reconnected, and the
engine reconciles what it missed before it accepts another order.

The fake keeps the socket open but stops sending events and answering pings (a half-open
connection); the watchdog's ping interval is configured short so the test does not wait.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from cream.engine.client import EngineCallError
from cream.storage.database import Database
from cream.v1 import execution_pb2 as ex
from tests.cream.engine.broker.alpaca_stack import (
    OPTIONS,
    AlpacaEngine,
    alpaca_settings,
    close_alpaca,
    launch_alpaca,
)
from tests.cream.engine.plans import buy
from tests.cream.engine.test_engine_orders import submit_request, wait_status
from tests.fakes.alpaca import FakeAlpaca


async def failed_reconnect_runs(engine: AlpacaEngine) -> int:
    async with await Database.connect(engine.settings.cream_db_url) as db:
        rows = await db.query(
            "SELECT id FROM reconciliation_runs WHERE trigger = 'reconnect' AND status = 'failed'"
        )
    return len(rows)


async def test_a_silent_stream_is_dropped_reconnected_and_reconciled_before_new_orders(
    fake: FakeAlpaca, tmp_path
):
    engine = await launch_alpaca(
        alpaca_settings(fake, tmp_path), replace(OPTIONS, ping_interval=0.05)
    )
    try:
        assert engine.runtime.alpaca is not None
        supervisor = engine.runtime.alpaca
        stream = engine.runtime.broker.stream  # type: ignore[attr-defined]
        fake.auto_fill = False
        request = submit_request(engine, buy("d1", "MSFT", "6"))
        response = await engine.client.submit_order(request)
        await wait_status(engine, response.order.order_id, ex.ORDER_STATUS_ACCEPTED)
        (remote,) = fake.orders_by_cid(request.client_order_id)
        # The first reconciliation after the reconnect fails (Alpaca answers 500 three times).
        fake.fail_next("GET", "/v2/orders", 500, count=3)
        fake.stall_stream()
        fake.fill(remote["id"], "2", "99.5")  # sent to nobody: the stream is silent
        await asyncio.wait_for(stream.stale.wait(), 5)  # a hang guard
        assert stream.stale_drops == 1
        async with asyncio.timeout(10):  # a hang guard, not a timing assertion
            while await failed_reconnect_runs(engine) == 0:  # noqa: ASYNC110 - a table, no event
                await asyncio.sleep(0.02)
        # Connected again, but not reconciled: no new order is accepted yet.
        assert stream.connections == 2 and stream.connected.is_set()
        with pytest.raises(EngineCallError) as refused:
            await engine.client.submit_order(submit_request(engine, buy("d2", "AAPL", "1")))
        assert refused.value.code == "BROKER_RECONCILING"
        state = await engine.client.get_order_state(order_id=response.order.order_id)
        assert state.order.cum_qty == "0"
        assert await supervisor.reconcile("periodic")
        state = await wait_status(engine, response.order.order_id, ex.ORDER_STATUS_PARTIALLY_FILLED)
        assert [(f.quantity, f.price) for f in state.fills] == [("2", "99.5")]
        async with await Database.connect(engine.settings.cream_db_url) as db:
            kinds = {
                r["kind"] for r in await db.query("SELECT kind FROM reconciliation_differences")
            }
        assert "MISSED_FILL" in kinds
        after = await engine.client.submit_order(submit_request(engine, buy("d3", "AAPL", "1")))
        assert after.accepted
    finally:
        await close_alpaca(engine)

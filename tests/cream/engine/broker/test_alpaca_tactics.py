"""Sliced parents through Alpaca (the fake): every child reaches the broker once, with its exits.

Releases follow the engine's manual clock (the test advances it and wakes the schedules), so
which child is out at any point is decided by the test, never by the machine's speed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from cream.clock import ManualClock
from cream.engine.client import EngineCallError
from cream.engine.core import ChildPricing
from cream.engine.tactic_plan import TacticDefaults
from cream.engine.tactics import child_client_order_id
from cream.v1 import common_pb2 as c
from cream.v1 import execution_pb2 as ex
from tests.cream.engine.broker.alpaca_stack import (
    AlpacaEngine,
    alpaca_settings,
    assert_matches_broker,
    close_alpaca,
    launch_alpaca,
)
from tests.cream.engine.conftest import MARKET_OPEN
from tests.cream.engine.plans import buy
from tests.cream.engine.test_engine_orders import submit_request
from tests.cream.engine.watch import Watch, kick
from tests.fakes.alpaca import FakeAlpaca

TEN_MINUTES = timedelta(minutes=10)
TACTICS = TacticDefaults(twap_duration=3 * TEN_MINUTES, twap_slices=3, jitter_pct=0)


def twap(engine: AlpacaEngine, qty: str = "30") -> ex.SubmitOrderRequest:
    decision = buy("d1", "AAPL", qty, "95", "110")
    decision.order_plan.execution_tactic = c.EXECUTION_TACTIC_TWAP
    return submit_request(engine, decision)


def parent_state(engine: AlpacaEngine, cid: str):
    return lambda: engine.client.get_order_state(client_order_id=cid)


async def maybe_state(engine: AlpacaEngine, cid: str) -> ex.GetOrderStateResponse | None:
    """The order's state, or None while it does not exist yet."""
    try:
        return await engine.client.get_order_state(client_order_id=cid)
    except EngineCallError as exc:
        if exc.code != "ORDER_NOT_FOUND":
            raise
        return None


def advance(engine: AlpacaEngine, delta: timedelta) -> None:
    engine.clock.advance(delta)
    kick(engine)


def cum(state: ex.GetOrderStateResponse) -> Decimal:
    return Decimal(state.order.cum_qty or "0")


def filled(state: ex.GetOrderStateResponse) -> bool:
    return state.order.status == ex.ORDER_STATUS_FILLED


async def test_twap_children_reach_alpaca_once_each_as_brackets(fake: FakeAlpaca, tmp_path):
    engine = await launch_alpaca(alpaca_settings(fake, tmp_path), tactics=TACTICS)
    try:
        request = twap(engine)
        cid = request.client_order_id
        async with Watch(engine) as watch:
            response = await engine.client.submit_order(request)
            assert response.order.status == ex.ORDER_STATUS_ACCEPTED
            await watch.until(parent_state(engine, cid), lambda s: cum(s) == 10)
            advance(engine, TEN_MINUTES)
            await watch.until(parent_state(engine, cid), lambda s: cum(s) == 20)
            advance(engine, TEN_MINUTES)
            done = await watch.until(parent_state(engine, cid), filled)
        assert len(done.fills) == 3
        for k in range(3):
            child = child_client_order_id(cid, k)
            (remote,) = fake.orders_by_cid(child)
            assert (remote["qty"], remote["order_class"]) == ("10", "bracket")
            await assert_matches_broker(engine, fake, child)
        assert fake.orders_by_cid(cid) == []  # the parent itself never goes to the broker
        entries = [o for o in fake.state.orders.values() if o["side"] == "buy"]
        assert len(entries) == 3
    finally:
        await close_alpaca(engine)


async def test_a_restart_mid_schedule_resumes_without_resending(fake: FakeAlpaca, tmp_path):
    settings = alpaca_settings(fake, tmp_path)
    clock = ManualClock(MARKET_OPEN)
    first = await launch_alpaca(settings, clock=clock, tactics=TACTICS)
    request = twap(first)
    cid = request.client_order_id
    try:
        async with Watch(first) as watch:
            await first.client.submit_order(request)
            await watch.until(parent_state(first, cid), lambda s: cum(s) == 10)
    finally:
        await close_alpaca(first)
    clock.advance(TEN_MINUTES)
    second = await launch_alpaca(settings, clock=clock, tactics=TACTICS)
    try:
        async with Watch(second) as watch:
            await watch.until(parent_state(second, cid), lambda s: cum(s) == 20)
            advance(second, TEN_MINUTES)
            await watch.until(parent_state(second, cid), filled)
        for k in range(3):
            assert len(fake.orders_by_cid(child_client_order_id(cid, k))) == 1
        entries = [o for o in fake.state.orders.values() if o["side"] == "buy"]
        assert len(entries) == 3
        positions = (await second.client.get_positions()).positions
        assert [(p.symbol, p.quantity) for p in positions] == [("AAPL", "30")]
    finally:
        await close_alpaca(second)


async def test_canceling_the_parent_cancels_its_resting_child_at_alpaca(fake: FakeAlpaca, tmp_path):
    fake.auto_fill = False
    tactics = TacticDefaults(child_pricing=ChildPricing.PASSIVE)
    engine = await launch_alpaca(alpaca_settings(fake, tmp_path), tactics=tactics)
    try:
        decision = buy("d1", "AAPL", "20", "95", "110")
        decision.order_plan.execution_tactic = c.EXECUTION_TACTIC_ICEBERG
        request = submit_request(engine, decision)
        cid = request.client_order_id
        first_child = child_client_order_id(cid, 0)
        async with Watch(engine) as watch:
            await engine.client.submit_order(request)
            await watch.until(
                lambda: maybe_state(engine, first_child),
                lambda s: s is not None and s.order.status == ex.ORDER_STATUS_ACCEPTED,
            )
            await engine.client.cancel_order(client_order_id=cid, reason="trader")
            done = await watch.until(
                parent_state(engine, cid), lambda s: s.order.status == ex.ORDER_STATUS_CANCELED
            )
        assert done.order.canceled_qty == "20" and "trader" in done.order.reject_reason
        (remote,) = fake.orders_by_cid(first_child)
        assert remote["status"] == "canceled"
        assert {leg["status"] for leg in remote["legs"]} == {"canceled"}
        assert fake.orders_by_cid(child_client_order_id(cid, 1)) == []
    finally:
        await close_alpaca(engine)


async def test_a_refused_child_bracket_halts_the_schedule_with_nothing_at_alpaca(
    fake: FakeAlpaca, tmp_path
):
    fake.reject_brackets = "insufficient buying power for the bracket's exits"
    engine = await launch_alpaca(alpaca_settings(fake, tmp_path), tactics=TACTICS)
    try:
        request = twap(engine)
        cid = request.client_order_id
        async with Watch(engine) as watch:
            await engine.client.submit_order(request)
            done = await watch.until(
                parent_state(engine, cid), lambda s: s.order.status == ex.ORDER_STATUS_REJECTED
            )
            assert "BROKER_REJECTED: child 0" in done.order.reject_reason
            advance(engine, 3 * TEN_MINUTES)
            # The halted schedule is over: its runner stops and no later child is sent.
            assert engine.runtime.schedules is not None
            schedules = engine.runtime.schedules
            await watch.until(lambda: _running(schedules), lambda r: cid not in r)
        assert fake.state.orders == {}
        assert fake.count("POST", "/v2/orders") == 1
    finally:
        await close_alpaca(engine)


async def _running(schedules) -> frozenset[str]:
    return schedules.running

"""Running slice schedules against the engine and its simulator broker, on a manual clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, timedelta
from decimal import Decimal

import numpy as np
import pytest

from cream.engine.core import ChildPricing, TacticParams, slice_schedule, to_epoch_ms
from cream.engine.ids import derive_client_order_id
from cream.engine.tactics import Progress, ScheduleExecutor, schedule_seed, volume_profile
from cream.market.bars import Bars, Timeframe
from cream.v1 import common_pb2 as c
from cream.v1 import execution_pb2 as ex
from tests.cream.engine.plans import buy, ts

TEN_MINUTES = timedelta(minutes=10)


def parent_request(engine, qty: str, tactic: c.ExecutionTactic.ValueType) -> ex.SubmitOrderRequest:
    decision = buy("d1", "AAPL", qty)
    decision.order_plan.execution_tactic = tactic
    return ex.SubmitOrderRequest(
        client_order_id=derive_client_order_id("cycle-1", "d1"),
        cycle_id="cycle-1",
        decision=decision,
        environment=c.ENVIRONMENT_PAPER,
        config_version=1,
        as_of=ts(engine.clock.now()),
    )


def executor(engine, request, params: TacticParams) -> ScheduleExecutor:
    tactic = request.decision.order_plan.execution_tactic
    qty = Decimal(request.decision.size.value)
    # The parent's as_of anchors the schedule, so a resumed executor replans it identically.
    start = request.as_of.ToDatetime(tzinfo=UTC)
    schedule = slice_schedule(tactic, c.ORDER_SIDE_BUY, qty, start, params)
    return ScheduleExecutor(
        engine.runtime.engine, request, schedule, feed=engine.feed, clock=engine.clock
    )


async def settled(engine, run: ScheduleExecutor, ready) -> Progress:
    """Polls (without moving the clock) after each execution report until ``ready`` holds."""
    wake = asyncio.Event()

    async def listen() -> None:
        async for _ in engine.runtime.engine.executions([]):
            wake.set()

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0)  # subscribed before the first poll: no report is missed
    try:
        async with asyncio.timeout(10):  # a hang guard, not a timing assertion
            while True:
                wake.clear()
                progress = await run.poll()
                if ready(progress):
                    return progress
                await wake.wait()
    finally:
        listener.cancel()


def all_filled(progress: Progress) -> bool:
    return all(
        ch.order is not None and ch.order.status == ex.ORDER_STATUS_FILLED
        for ch in progress.children
    )


def orders(progress: Progress) -> list[ex.Order]:
    """Every child's order, asserting each child has been sent."""
    sent = []
    for ch in progress.children:
        assert ch.order is not None
        sent.append(ch.order)
    return sent


async def test_twap_children_go_out_at_their_times_and_fill_the_parent(engine):
    request = parent_request(engine, "30", c.EXECUTION_TACTIC_TWAP)
    run = executor(engine, request, TacticParams(duration=3 * TEN_MINUTES, slices=3))
    first = await run.poll()
    assert [ch.order is not None for ch in first.children] == [True, False, False]
    assert first.children[0].client_order_id == f"{request.client_order_id}-s0"
    assert run.next_release(first) == engine.clock.now() + TEN_MINUTES
    engine.clock.advance(TEN_MINUTES - timedelta(seconds=1))
    assert [ch.order is not None for ch in (await run.poll()).children] == [True, False, False]
    engine.clock.advance(timedelta(seconds=1))
    assert [ch.order is not None for ch in (await run.poll()).children] == [True, True, False]
    engine.clock.advance(TEN_MINUTES)
    done = await settled(engine, run, all_filled)
    assert done.done and done.filled == Decimal(30)
    assert [o.quantity for o in orders(done)] == ["10", "10", "10"]
    assert all(o.order_type == c.ORDER_TYPE_LIMIT for o in orders(done))
    positions = await engine.runtime.engine.positions()
    assert [(p.symbol, p.quantity) for p in positions] == [("AAPL", "30")]


async def test_polling_again_after_a_restart_never_sends_a_child_twice(engine):
    request = parent_request(engine, "20", c.EXECUTION_TACTIC_TWAP)
    params = TacticParams(duration=2 * TEN_MINUTES, slices=2, jitter_pct=30, seed=7)
    await settled(
        engine, executor(engine, request, params), lambda p: p.children[0].order is not None
    )
    engine.clock.advance(3 * TEN_MINUTES)
    # A fresh executor (as after a crash) over the same parent: same ids, one more child only.
    resumed = executor(engine, request, params)
    again = executor(engine, request, params)
    await asyncio.gather(resumed.poll(), again.poll())
    done = await settled(engine, resumed, all_filled)
    assert done.filled == Decimal(20)
    assert len(engine.runtime.engine.book) == 2
    positions = await engine.runtime.engine.positions()
    assert [(p.symbol, p.quantity) for p in positions] == [("AAPL", "20")]


async def test_iceberg_releases_the_next_peak_only_after_the_previous_fills(engine):
    request = parent_request(engine, "25", c.EXECUTION_TACTIC_ICEBERG)
    run = executor(engine, request, TacticParams(peak=Decimal(10)))
    assert [ch.slice.quantity for ch in (await run.poll()).children] == [10, 10, 5]
    done = await settled(engine, run, all_filled)
    assert [o.quantity for o in orders(done)] == ["10", "10", "5"]
    positions = await engine.runtime.engine.positions()
    assert [(p.symbol, p.quantity) for p in positions] == [("AAPL", "25")]


async def test_a_resting_peak_keeps_the_rest_of_the_iceberg_hidden(engine):
    request = parent_request(engine, "20", c.EXECUTION_TACTIC_ICEBERG)
    params = TacticParams(peak=Decimal(10), child_pricing=ChildPricing.PASSIVE)
    run = executor(engine, request, params)
    # Peak 0 rests at the bid (99.99): however often we poll, peak 1 is not shown.
    for _ in range(3):
        progress = await run.poll()
        resting = progress.children[0].order
        assert resting is not None and resting.limit_price == "99.99"
        assert progress.children[1].order is None
    engine.feed.set_price("AAPL", "99.98")  # the ask comes down to 99.99: peak 0 fills
    progress = await settled(engine, run, lambda p: p.children[1].order is not None)
    first, second = progress.children[0].order, progress.children[1].order
    assert first is not None and first.status == ex.ORDER_STATUS_FILLED
    assert second is not None and second.limit_price == "99.97"  # priced at the new bid
    engine.feed.set_price("AAPL", "99.96")
    done = await settled(engine, run, all_filled)
    assert done.done and done.filled == Decimal(20)


async def test_passive_child_rests_at_the_bid(engine):
    request = parent_request(engine, "5", c.EXECUTION_TACTIC_PASSIVE_LIMIT)
    bid, ask = Decimal("99.99"), Decimal("100.01")
    run = executor(engine, request, TacticParams(bid=bid, ask=ask))
    progress = await run.poll()
    order = progress.children[0].order
    assert order is not None and Decimal(order.limit_price) == bid
    assert order.client_order_id == f"{request.client_order_id}-s0"
    assert not progress.done  # resting: the simulator fills only when the ask reaches the bid


async def test_a_child_refused_by_the_risk_checks_halts_the_schedule(engine):
    request = parent_request(engine, "40000", c.EXECUTION_TACTIC_TWAP)
    run = executor(engine, request, TacticParams(duration=TEN_MINUTES, slices=2))
    progress = await run.poll()
    assert progress.done and progress.halted.startswith("RISK_REJECTED: child 0")
    assert all(ch.order is None for ch in progress.children)
    assert len(engine.runtime.engine.book) == 0


async def test_volume_profile_averages_the_feeds_hourly_bars_by_clock_hour(engine):
    start = engine.clock.now()  # 10:00 New York
    hours = np.arange(-48, 0)
    stamps = np.array([to_epoch_ms(start) + int(h) * 3_600_000 for h in hours]) * 1_000_000
    volume = np.array([1000.0 * (((int(h) % 24) + 24) % 24 + 1) for h in hours])
    price = np.full(len(hours), 100.0)
    engine.feed.set_bars(Bars("AAPL", Timeframe.HOUR_1, stamps, price, price, price, price, volume))
    profile = await volume_profile(engine.feed, "AAPL", start=start, buckets=3, days=6)
    # Bar k hours before 10:00 has volume 1000·((−k mod 24) + 1): 10:00 → 1000, 11:00 → 2000…
    assert profile == (Decimal(1000), Decimal(2000), Decimal(3000))
    schedule = slice_schedule(
        c.EXECUTION_TACTIC_VWAP,
        c.ORDER_SIDE_BUY,
        Decimal(60),
        start,
        TacticParams(
            duration=timedelta(hours=3),
            volume_profile=profile,
            participation_cap=Decimal("0.05"),
            jitter_pct=10,
            seed=schedule_seed("p"),
        ),
    )
    assert [s.quantity for s in schedule.slices] == [10, 20, 30]


@pytest.mark.parametrize("qty", ["7"])
async def test_close_children_reduce_only_their_slice(engine, qty):
    opening = parent_request(engine, "10", c.EXECUTION_TACTIC_TWAP)
    await settled(
        engine, executor(engine, opening, TacticParams(duration=TEN_MINUTES, slices=1)), all_filled
    )
    closing = parent_request(engine, qty, c.EXECUTION_TACTIC_TWAP)
    closing.client_order_id = derive_client_order_id("cycle-2", "d2")
    closing.decision.decision_id = "d2"
    closing.decision.action = c.ACTION_CLOSE
    schedule = slice_schedule(
        c.EXECUTION_TACTIC_TWAP,
        c.ORDER_SIDE_SELL,
        Decimal(qty),
        engine.clock.now(),
        TacticParams(duration=TEN_MINUTES, slices=1),
    )
    run = ScheduleExecutor(
        engine.runtime.engine, closing, schedule, feed=engine.feed, clock=engine.clock
    )
    done = await settled(engine, run, all_filled)
    child = done.children[0].order
    assert child is not None and child.quantity == qty
    positions = await engine.runtime.engine.positions()
    assert [(p.symbol, p.quantity) for p in positions] == [("AAPL", "3")]

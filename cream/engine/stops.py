"""The stop monitor: exits positions whose stop-loss or take-profit level the feed crossed.

A position whose exits already rest at the broker (the stop leg of a bracket or OTO, or any
working reduce-only stop order) is the broker's to exit: the monitor sends an exit only for
the quantity no such order covers, so a crossing never sells the same shares twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from decimal import Decimal

from cream.clock import Clock
from cream.engine.core import StopExit, evaluate_stops
from cream.engine.errors import EngineError
from cream.engine.market_state import market_state
from cream.engine.service import ExecutionEngine
from cream.market.feed import MarketFeed
from cream.v1 import common_pb2 as common
from cream.v1 import execution_pb2 as ex

log = logging.getLogger(__name__)
_WORKING = {ex.ORDER_STATUS_ACCEPTED, ex.ORDER_STATUS_PARTIALLY_FILLED}
_STOPS = {common.ORDER_TYPE_STOP, common.ORDER_TYPE_STOP_LIMIT}


def broker_protection(
    open_orders: Iterable[ex.Order],
) -> dict[tuple[str, common.OrderSide.ValueType], Decimal]:
    """Quantity covered by working reduce-only stop orders, by (symbol, exit side).

    A held leg (its entry not filled yet) is not working, so it covers nothing.
    """
    covered: dict[tuple[str, common.OrderSide.ValueType], Decimal] = {}
    for order in open_orders:
        if order.reduce_only and order.order_type in _STOPS and order.status in _WORKING:
            key = (order.symbol, order.side)
            covered[key] = covered.get(key, Decimal(0)) + Decimal(order.leaves_qty or "0")
    return covered


class StopMonitor:
    """Checks held positions against their levels every ``interval_seconds``."""

    def __init__(
        self, engine: ExecutionEngine, feed: MarketFeed, clock: Clock, interval_seconds: float = 1.0
    ) -> None:
        self._engine = engine
        self._feed = feed
        self._clock = clock
        self._interval = interval_seconds

    async def check_once(self) -> list[StopExit]:
        """Evaluate every position once and send an exit for each crossed level."""
        portfolio = self._engine.portfolio
        equities = sorted(
            {
                p.symbol
                for p in portfolio.positions
                if p.instrument_type == common.INSTRUMENT_TYPE_EQUITY
            }
        )
        if not equities:
            return []
        market = await market_state(self._feed, equities, [], self._clock.now())
        triggers = evaluate_stops(portfolio, market)
        covered = broker_protection(self._engine.book.open_orders())
        for trigger in triggers:
            quantity = Decimal(trigger.quantity) - covered.get(
                (trigger.symbol, trigger.exit_side), Decimal(0)
            )
            if quantity <= 0:
                log.info(
                    "%s %s crossed: its exit rests at the broker", trigger.symbol, trigger.kind
                )
                continue
            opened = next(
                (
                    p.opened_at.ToNanoseconds()
                    for p in portfolio.positions
                    if p.symbol == trigger.symbol
                ),
                0,
            )
            order = await self._engine.submit_exit(
                trigger.symbol,
                trigger.exit_side,
                format(quantity, "f"),
                reason=trigger.kind,
                key=f"{trigger.symbol}-{trigger.kind}-{opened}",
            )
            if order is not None:
                log.warning(
                    "%s %s hit at %s (level %s): exit %s %s sent as %s",
                    trigger.symbol,
                    trigger.kind,
                    trigger.trigger_price,
                    trigger.level,
                    common.OrderSide.Name(trigger.exit_side),
                    trigger.quantity,
                    order.client_order_id,
                )
        return triggers

    async def run(self) -> None:
        """Check forever, logging (never raising) per-round failures."""
        while True:
            try:
                await self.check_once()
            except EngineError as exc:
                log.error("stop monitor round failed: %s", exc)
            await asyncio.sleep(self._interval)

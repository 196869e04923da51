"""The stop monitor: exits positions whose stop-loss or take-profit level the feed crossed."""

from __future__ import annotations

import asyncio
import logging

from cream.clock import Clock
from cream.engine.core import StopExit, evaluate_stops
from cream.engine.errors import EngineError
from cream.engine.market_state import market_state
from cream.engine.service import ExecutionEngine
from cream.market.feed import MarketFeed
from cream.v1 import common_pb2 as common

log = logging.getLogger(__name__)


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
        for trigger in triggers:
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
                trigger.quantity,
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

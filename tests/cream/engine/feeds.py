"""A market feed for tests whose quotes the test sets by hand."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from google.protobuf.timestamp_pb2 import Timestamp

from cream.market.bars import Bars, Timeframe
from cream.market.feed import (
    DataUnavailable,
    OptionChain,
    OptionQuoteBatch,
    QuoteBatch,
    unavailable,
)
from cream.market.synthetic import SyntheticFeed
from cream.v1 import market_snapshot_pb2 as md


class ScriptedFeed:
    """Quotes for equities set by the test; options priced by a synthetic feed."""

    def __init__(self, clock, prices: dict[str, str], spread: str = "0.02") -> None:
        self._clock = clock
        self._prices = dict(prices)
        self._spread = Decimal(spread)
        self._options = SyntheticFeed(prices, clock)
        self._bars: dict[tuple[str, Timeframe], Bars] = {}

    def set_price(self, symbol: str, mid: str) -> None:
        self._prices[symbol] = mid

    def set_bars(self, bars: Bars) -> None:
        self._bars[(bars.symbol, bars.timeframe)] = bars

    def knows(self, symbol: str) -> bool:
        return symbol in self._prices

    def _quote(self, symbol: str, as_of: datetime) -> md.Quote:
        mid = Decimal(self._prices[symbol])
        ts = Timestamp()
        ts.FromDatetime(as_of)
        return md.Quote(
            symbol=symbol,
            bid=str(mid - self._spread / 2),
            ask=str(mid + self._spread / 2),
            last=str(mid),
            bid_size=100,
            ask_size=100,
            timestamp=ts,
        )

    async def latest_quotes(self, symbols: Sequence[str], as_of: datetime) -> QuoteBatch:
        batch = QuoteBatch()
        for symbol in symbols:
            if symbol in self._prices:
                batch.quotes[symbol] = self._quote(symbol, as_of)
            else:
                batch.unavailable[symbol] = unavailable(symbol, "UNKNOWN_SYMBOL", "not scripted")
        return batch

    async def bars(
        self, symbol: str, timeframe: Timeframe | str, *, end: datetime, limit: int
    ) -> Bars:
        if symbol not in self._prices:
            raise DataUnavailable("UNKNOWN_SYMBOL", f"{symbol} is not scripted")
        scripted = self._bars.get((symbol, Timeframe.parse(timeframe)))
        closed = scripted.closed_by(end).tail(limit) if scripted is not None else None
        if closed is None or len(closed) == 0:
            raise DataUnavailable("NO_DATA_IN_RANGE", f"no {timeframe} bars scripted for {symbol}")
        return closed

    async def option_chain(
        self,
        underlying: str,
        as_of: datetime,
        *,
        min_expiry: date | None = None,
        max_expiry: date | None = None,
    ) -> OptionChain:
        return await self._options.option_chain(
            underlying, as_of, min_expiry=min_expiry, max_expiry=max_expiry
        )

    async def option_quotes(self, occ_symbols: Sequence[str], as_of: datetime) -> OptionQuoteBatch:
        return await self._options.option_quotes(occ_symbols, as_of)

    async def stream_quotes(self, symbols: Sequence[str]) -> AsyncIterator[md.Quote]:
        while True:
            for symbol in symbols:
                yield self._quote(symbol, self._clock.now())
            await asyncio.sleep(0.05)

"""`ReplayMarketFeed`: the MarketFeed over historical bars on disk (`ReplayFeed`), point in time.

History has bars, not quotes, so a quote at t is **modeled** from the last bar closed by t:
``last`` is that bar's close, bid and ask sit a modeled half-spread either side (rounded
outwards to the cent), sizes are 0 (no book was observed), and the quote's timestamp is the
bar's close time, so its real age stays visible to the risk core's staleness check. Every
such quote is listed in `QuoteBatch.modeled`. A bar older than `max_quote_age` gives
STALE_QUOTE rather than a quote. There is no options history: option quotes and chains are
unavailable with reason NO_OPTIONS_DATA.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncGenerator, Sequence
from datetime import date, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from cream.clock import Clock
from cream.market.bars import Bar, Bars, Timeframe
from cream.market.feed import OptionChain, OptionQuoteBatch, QuoteBatch, unavailable
from cream.market.replay import (
    Adjustment,
    DataUnavailable,
    ReplayError,
    ReplayFeed,
    ReplayRequestError,
)
from cream.v1 import market_snapshot_pb2 as md

NO_OPTIONS_DATA = "NO_OPTIONS_DATA"
DEFAULT_HALF_SPREAD_BPS = 2.5
# Long enough to bridge a weekend plus a holiday between hourly bars; older bars are stale.
DEFAULT_MAX_QUOTE_AGE = timedelta(days=4)


class ReplayMarketFeed:
    """Quotes modeled from replayed bars, the bars themselves, and no options.

    Args:
        replay: the bar source.
        clock: drives `stream_quotes` (a simulated clock in backtests).
        half_spread_bps: modeled half-spread around the bar close, in basis points.
        max_quote_age: a bar that closed longer ago than this gives STALE_QUOTE.
        adjustment: price adjustment for bars and quotes (split- and dividend-adjusted,
            rebased to what was known at t, by default).
        tick_seconds: how often `stream_quotes` looks for newly closed bars.
    """

    def __init__(
        self,
        replay: ReplayFeed,
        clock: Clock,
        *,
        half_spread_bps: float = DEFAULT_HALF_SPREAD_BPS,
        max_quote_age: timedelta = DEFAULT_MAX_QUOTE_AGE,
        adjustment: Adjustment = Adjustment.ADJUSTED,
        tick_seconds: float = 1.0,
    ) -> None:
        if not math.isfinite(half_spread_bps) or half_spread_bps < 0:
            raise ReplayRequestError(
                "INVALID_SPREAD", f"half_spread_bps must be finite and >= 0, got {half_spread_bps}"
            )
        self._replay = replay
        self._clock = clock
        self._half_spread = half_spread_bps / 10_000
        self._max_age = max_quote_age
        self._adjustment = adjustment
        self._tick_seconds = tick_seconds
        self._hourly = frozenset(replay.symbols(Timeframe.HOUR_1))
        self._daily = frozenset(replay.symbols(Timeframe.DAY_1))

    def knows(self, symbol: str) -> bool:
        """Whether the replay has hourly or daily bars for ``symbol``."""
        return symbol in self._hourly or symbol in self._daily

    def _quote_timeframe(self, symbol: str) -> Timeframe:
        # Hourly bars give the freshest price; daily files are the fallback.
        return Timeframe.HOUR_1 if symbol in self._hourly else Timeframe.DAY_1

    def _last_bar(self, symbol: str, as_of: datetime) -> Bar:
        bars = self._replay.bars(
            symbol,
            self._quote_timeframe(symbol),
            as_of=as_of,
            limit=1,
            adjustment=self._adjustment,
        )
        return bars[-1]

    def _modeled_quote(self, symbol: str, as_of: datetime) -> tuple[md.Quote, str] | md.Unavailable:
        if not self.knows(symbol):
            return unavailable(
                symbol,
                "UNKNOWN_SYMBOL",
                f"the replay data has no bars for {symbol}; add its file or drop the symbol",
            )
        try:
            bar = self._last_bar(symbol, as_of)
        except ReplayError as exc:
            return unavailable(symbol, exc.code, exc.message)
        age = as_of - bar.close_time
        if age > self._max_age:
            return unavailable(
                symbol,
                "STALE_QUOTE",
                f"the last {symbol} bar closed at {bar.close_time.isoformat()}, {age} before "
                f"{as_of.isoformat()} (limit {self._max_age})",
            )
        half = max(bar.close * self._half_spread, 0.005)
        stamp = Timestamp()
        stamp.FromDatetime(bar.close_time)
        quote = md.Quote(
            symbol=symbol,
            bid=f"{max(math.floor((bar.close - half) * 100) / 100, 0.01):.2f}",
            ask=f"{math.ceil((bar.close + half) * 100) / 100:.2f}",
            last=f"{bar.close:.2f}",
            bid_size=0,
            ask_size=0,
            timestamp=stamp,
        )
        how = (
            f"MODELED_FROM_BAR: close of the {bar.timeframe.value} bar that closed at "
            f"{bar.close_time.isoformat()}, half-spread {self._half_spread * 10_000:g} bp"
        )
        return quote, how

    async def latest_quotes(self, symbols: Sequence[str], as_of: datetime) -> QuoteBatch:
        """A modeled quote per symbol from its last bar closed by ``as_of``, or why not."""
        results = await asyncio.to_thread(
            lambda: [(s, self._modeled_quote(s, as_of)) for s in symbols]
        )
        batch = QuoteBatch()
        for symbol, result in results:
            if isinstance(result, md.Unavailable):
                batch.unavailable[symbol] = result
            else:
                batch.quotes[symbol], batch.modeled[symbol] = result
        return batch

    async def bars(
        self, symbol: str, timeframe: Timeframe | str, *, end: datetime, limit: int
    ) -> Bars:
        """The last ``limit`` bars closed by ``end`` (adjusted as known at ``end``).

        Raises:
            DataUnavailable: UNKNOWN_SYMBOL or NO_DATA_IN_RANGE.
            ReplayRequestError: INVALID_SYMBOL, INVALID_LIMIT or NAIVE_DATETIME.
        """
        tf = Timeframe.parse(timeframe)
        return await asyncio.to_thread(
            self._replay.bars, symbol, tf, as_of=end, limit=limit, adjustment=self._adjustment
        )

    async def option_quotes(self, occ_symbols: Sequence[str], as_of: datetime) -> OptionQuoteBatch:
        """Every contract is unavailable: the replay holds no options history."""
        batch = OptionQuoteBatch()
        for occ in occ_symbols:
            batch.unavailable[occ] = unavailable(
                occ, NO_OPTIONS_DATA, "the replay feed has equity bars only, no option quotes"
            )
        return batch

    async def option_chain(
        self,
        underlying: str,
        as_of: datetime,
        *,
        min_expiry: date | None = None,
        max_expiry: date | None = None,
    ) -> OptionChain:
        """Always raises: the replay holds no options history.

        Raises:
            DataUnavailable: NO_OPTIONS_DATA.
        """
        raise DataUnavailable(
            NO_OPTIONS_DATA,
            f"the replay feed has equity bars only; no option chain for {underlying}",
        )

    async def stream_quotes(self, symbols: Sequence[str]) -> AsyncGenerator[md.Quote, None]:
        """A modeled quote whenever a symbol's next bar has closed, at the clock's time."""
        last_seen: dict[str, int] = {}
        while True:
            batch = await self.latest_quotes(symbols, self._clock.now())
            for symbol in symbols:
                quote = batch.quotes.get(symbol)
                if quote is not None and last_seen.get(symbol) != quote.timestamp.seconds:
                    last_seen[symbol] = quote.timestamp.seconds
                    yield quote
            await asyncio.sleep(self._tick_seconds)

"""The market-feed interface every adapter implements, and its typed quote and chain results."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from cream.market.bars import Bars, Timeframe
from cream.market.replay import DataUnavailable
from cream.v1 import market_snapshot_pb2 as md

__all__ = [
    "DataUnavailable",
    "MarketFeed",
    "OptionChain",
    "OptionQuoteBatch",
    "QuoteBatch",
    "unavailable",
]


@dataclass(frozen=True)
class QuoteBatch:
    """Quotes for the symbols a feed could price, and an explicit reason for the others.

    `modeled` names the quotes that were not observed but modeled (e.g. from the last closed
    bar plus a modeled spread) with a one-line description of how; observed quotes are absent.
    """

    quotes: dict[str, md.Quote] = field(default_factory=dict)
    unavailable: dict[str, md.Unavailable] = field(default_factory=dict)
    modeled: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OptionQuoteBatch:
    """Option quotes (with greeks and IV) by OCC symbol, and the contracts that were not priced."""

    options: dict[str, md.OptionQuote] = field(default_factory=dict)
    unavailable: dict[str, md.Unavailable] = field(default_factory=dict)


@dataclass(frozen=True)
class OptionChain:
    """The listed contracts of one underlying with quotes and greeks, ordered by expiry, strike.

    `unavailable` holds listed contracts the feed could not price (never dropped silently).
    """

    underlying: str
    underlying_quote: md.Quote
    options: tuple[md.OptionQuote, ...]
    unavailable: tuple[md.Unavailable, ...] = ()


def unavailable(symbol: str, reason_code: str, message: str) -> md.Unavailable:
    """An explicit "no data" answer: feeds never fill a gap silently."""
    return md.Unavailable(symbol=symbol, reason_code=reason_code, message=message)


class MarketFeed(Protocol):
    """Latest quotes, bars, option quotes and chains, and a quote stream, point in time.

    Every method answers as of an instant: nothing that happened after it is visible.
    """

    def knows(self, symbol: str) -> bool:
        """Whether the feed can price this equity symbol at all."""
        ...

    async def latest_quotes(self, symbols: Sequence[str], as_of: datetime) -> QuoteBatch:
        """The latest quote at or before ``as_of`` for each symbol."""
        ...

    async def bars(
        self, symbol: str, timeframe: Timeframe | str, *, end: datetime, limit: int
    ) -> Bars:
        """The last ``limit`` bars of ``symbol`` that closed at or before ``end``, oldest first.

        Raises:
            DataUnavailable: UNKNOWN_SYMBOL, or NO_DATA_IN_RANGE when no bar closed by ``end``.
            ReplayRequestError: INVALID_LIMIT or NAIVE_DATETIME.
            BarsError: UNKNOWN_TIMEFRAME.
        """
        ...

    async def option_quotes(self, occ_symbols: Sequence[str], as_of: datetime) -> OptionQuoteBatch:
        """Quotes, greeks and IV for option contracts given by OCC symbol."""
        ...

    async def option_chain(
        self,
        underlying: str,
        as_of: datetime,
        *,
        min_expiry: date | None = None,
        max_expiry: date | None = None,
    ) -> OptionChain:
        """The chain of ``underlying`` at ``as_of``, expiries within the optional bounds.

        Raises:
            DataUnavailable: UNKNOWN_SYMBOL, or NO_OPTIONS_DATA when the feed has no options.
        """
        ...

    def stream_quotes(self, symbols: Sequence[str]) -> AsyncIterator[md.Quote]:
        """Quotes as they change, until the consumer stops iterating."""
        ...

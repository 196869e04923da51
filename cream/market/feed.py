"""The market-feed interface every adapter implements, and the typed quote results."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from cream.v1 import market_snapshot_pb2 as md


@dataclass(frozen=True)
class QuoteBatch:
    """Quotes for the symbols a feed could price, and an explicit reason for the others."""

    quotes: dict[str, md.Quote] = field(default_factory=dict)
    unavailable: dict[str, md.Unavailable] = field(default_factory=dict)


@dataclass(frozen=True)
class OptionQuoteBatch:
    """Option quotes (with greeks and IV) by OCC symbol, and the contracts that were not priced."""

    options: dict[str, md.OptionQuote] = field(default_factory=dict)
    unavailable: dict[str, md.Unavailable] = field(default_factory=dict)


def unavailable(symbol: str, reason_code: str, message: str) -> md.Unavailable:
    """An explicit "no data" answer: feeds never fill a gap silently."""
    return md.Unavailable(symbol=symbol, reason_code=reason_code, message=message)


class MarketFeed(Protocol):
    """Latest quotes, option quotes and a quote stream, as of an injected clock."""

    def knows(self, symbol: str) -> bool:
        """Whether the feed can price this equity symbol at all."""
        ...

    async def latest_quotes(self, symbols: Sequence[str], as_of: datetime) -> QuoteBatch:
        """The latest quote at or before ``as_of`` for each symbol."""
        ...

    async def option_quotes(self, occ_symbols: Sequence[str], as_of: datetime) -> OptionQuoteBatch:
        """Quotes, greeks and IV for option contracts given by OCC symbol."""
        ...

    def stream_quotes(self, symbols: Sequence[str]) -> AsyncIterator[md.Quote]:
        """Quotes as they change, until the consumer stops iterating."""
        ...

"""The `ContextSource` protocol, the request every source answers, and its two outcomes.

A source either returns `SourceData` (items, possibly none, plus notes such as symbols it
could not resolve) or `Unavailable(source, reason)` when it is not configured. It never
returns an empty list to mean "not configured": agents must be able to tell "no news" from
"no news feed". Transport and payload failures raise a `ContextError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from cream.context.errors import InvalidContextRequestError
from cream.context.models import ContextItem


class SourceKind(StrEnum):
    """What a source provides; a bundle has one section per kind."""

    NEWS = "news"
    ECONOMIC_CALENDAR = "economic_calendar"
    EARNINGS_CALENDAR = "earnings_calendar"
    PREDICTION_MARKETS = "prediction_markets"
    FILINGS = "filings"


@dataclass(frozen=True, slots=True)
class ContextRequest:
    """What to fetch: symbols, the point in time, how far back and ahead to look.

    Items published after `as_of` are dropped (a backtest must not see the future); calendar
    entries are taken from `as_of - lookback` to `as_of + lookahead`.
    """

    symbols: tuple[str, ...]
    as_of: datetime
    lookback: timedelta = timedelta(days=3)
    lookahead: timedelta = timedelta(days=7)

    def __post_init__(self) -> None:
        if self.as_of.tzinfo is None or self.as_of.utcoffset() is None:
            raise InvalidContextRequestError("request", "as_of must be timezone-aware")
        object.__setattr__(self, "symbols", tuple(s.upper() for s in self.symbols))

    @property
    def since(self) -> datetime:
        """Start of the look-back window."""
        return self.as_of - self.lookback

    @property
    def until(self) -> datetime:
        """End of the look-ahead window (calendars only)."""
        return self.as_of + self.lookahead


@dataclass(frozen=True, slots=True)
class SourceData:
    """What a configured source returned: its items (maybe none) and notes worth showing."""

    source: str
    items: tuple[ContextItem, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Unavailable:
    """The source is not configured, so nothing is known from it (not "nothing happened")."""

    source: str
    reason: str


class ContextSource(Protocol):
    """One external-context adapter."""

    @property
    def name(self) -> str:
        """Stable source name, e.g. `fmp_news`, `kalshi`, `sec_edgar`."""
        ...

    @property
    def kind(self) -> SourceKind:
        """The section of the bundle this source fills."""
        ...

    async def fetch(self, request: ContextRequest) -> SourceData | Unavailable:
        """The source's items for the request.

        Raises:
            ContextError: Rate limited, timed out, unreachable, HTTP error or bad payload.
        """
        ...


@dataclass(frozen=True, slots=True)
class UnconfiguredSource:
    """Stands in for a source that lacks its key or URL: always answers `Unavailable`."""

    name: str
    kind: SourceKind
    reason: str

    async def fetch(self, request: ContextRequest) -> SourceData | Unavailable:
        """`Unavailable(name, reason)`, without any I/O."""
        return Unavailable(self.name, self.reason)


def in_window(moment: datetime, start: datetime, end: datetime) -> bool:
    """Whether `start <= moment <= end`."""
    return start <= moment <= end


def wanted(symbols: Sequence[str], candidates: Sequence[str]) -> bool:
    """Whether any candidate symbol is requested (an empty request wants everything)."""
    return not symbols or any(c.upper() in symbols for c in candidates)

"""`ContextBundle`: every source's items for a set of symbols, with each source's status.

A source that failed or is not configured is still listed, with its state and reason, so a
prompt can say "news: unavailable (FMP_API_KEY is not set)" instead of implying no news.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cream.context.errors import ContextError, SourceTimeoutError
from cream.context.models import (
    ContextItem,
    EarningsEvent,
    EconomicEvent,
    Filing,
    NewsArticle,
    PredictionMarket,
)
from cream.context.source import ContextRequest, ContextSource, SourceKind, Unavailable
from cream.v1 import events_pb2

SourceState = Literal["ok", "unavailable", "error"]


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """How one source answered: `ok` (with its item count), `unavailable` or `error`."""

    source: str
    kind: SourceKind
    state: SourceState
    items: int = 0
    reason: str | None = None
    error_code: str | None = None
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for a prompt or a log."""
        if self.state == "ok":
            extra = f"; {'; '.join(self.notes)}" if self.notes else ""
            return f"{self.kind.value} ({self.source}): ok, {self.items} item(s){extra}"
        code = f" [{self.error_code}]" if self.error_code else ""
        return f"{self.kind.value} ({self.source}): {self.state}{code} — {self.reason}"


@dataclass(frozen=True, slots=True)
class ContextBundle:
    """The external context of one request, by kind, with the status of every source."""

    request: ContextRequest
    items: tuple[ContextItem, ...]
    statuses: tuple[SourceStatus, ...]

    @property
    def news(self) -> tuple[NewsArticle, ...]:
        """News articles of every news source."""
        return tuple(i for i in self.items if isinstance(i, NewsArticle))

    @property
    def economic_events(self) -> tuple[EconomicEvent, ...]:
        """Macro releases."""
        return tuple(i for i in self.items if isinstance(i, EconomicEvent))

    @property
    def earnings(self) -> tuple[EarningsEvent, ...]:
        """Earnings dates."""
        return tuple(i for i in self.items if isinstance(i, EarningsEvent))

    @property
    def prediction_markets(self) -> tuple[PredictionMarket, ...]:
        """Prediction-market probabilities."""
        return tuple(i for i in self.items if isinstance(i, PredictionMarket))

    @property
    def filings(self) -> tuple[Filing, ...]:
        """SEC filings."""
        return tuple(i for i in self.items if isinstance(i, Filing))

    def available(self, kind: SourceKind) -> bool:
        """Whether at least one source of `kind` answered, so an empty section means "none"."""
        return any(s.kind is kind and s.state == "ok" for s in self.statuses)

    def external_events(self) -> list[events_pb2.ExternalEvent]:
        """Every item as a `cream.v1.ExternalEvent`, oldest first."""
        events = [item.to_external_event() for item in self.items]
        events.sort(key=lambda e: (e.event_time.seconds, e.event_time.nanos, e.event_id))
        return events

    def status_lines(self) -> list[str]:
        """One line per source, in the order the sources were given."""
        return [status.describe() for status in self.statuses]


async def gather_context(
    sources: Sequence[ContextSource],
    request: ContextRequest,
    *,
    timeout_seconds: float = 20.0,
) -> ContextBundle:
    """Asks every source concurrently; a failing source becomes an `error` status.

    Args:
        sources: The adapters (configured or `UnconfiguredSource`).
        request: Symbols and point in time.
        timeout_seconds: Upper bound of each source's whole fetch.
    """
    results = await asyncio.gather(*(_ask(s, request, timeout_seconds) for s in sources))
    items: list[ContextItem] = []
    statuses: list[SourceStatus] = []
    for found, status in results:
        items.extend(found)
        statuses.append(status)
    return ContextBundle(request, tuple(items), tuple(statuses))


async def _ask(
    source: ContextSource, request: ContextRequest, timeout_seconds: float
) -> tuple[tuple[ContextItem, ...], SourceStatus]:
    try:
        async with asyncio.timeout(timeout_seconds):
            answer = await source.fetch(request)
    except TimeoutError:
        error: ContextError = SourceTimeoutError(
            source.name, f"the whole fetch took longer than {timeout_seconds:g} s"
        )
        return (), _failed(source, error)
    except ContextError as exc:
        return (), _failed(source, exc)
    if isinstance(answer, Unavailable):
        return (), SourceStatus(source.name, source.kind, "unavailable", reason=answer.reason)
    return answer.items, SourceStatus(
        source.name, source.kind, "ok", items=len(answer.items), notes=answer.notes
    )


def _failed(source: ContextSource, error: ContextError) -> SourceStatus:
    return SourceStatus(
        source.name, source.kind, "error", reason=error.message, error_code=error.code
    )

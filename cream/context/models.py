"""Typed results of the external-context sources, each mapped to a `cream.v1.ExternalEvent`.

Sentiment is not scored here (that is the news analyst's job), so the events carry
sentiment 0 with `payload.scored = false`, rather than a made-up score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, TypeAlias

from google.protobuf.struct_pb2 import Struct
from google.protobuf.timestamp_pb2 import Timestamp

from cream.v1 import events_pb2

_EventType: TypeAlias = events_pb2.ExternalEventType.ValueType
_IMPACT = {"low": 0.3, "medium": 0.6, "high": 0.9}
_FORM_IMPORTANCE = {"10-K": 0.8, "10-Q": 0.6, "8-K": 0.7}
# Macro releases by keyword of the event name, first match wins.
_MACRO_KEYWORDS: tuple[tuple[str, _EventType], ...] = (
    ("fomc", events_pb2.EXTERNAL_EVENT_TYPE_FED),
    ("fed ", events_pb2.EXTERNAL_EVENT_TYPE_FED),
    ("interest rate", events_pb2.EXTERNAL_EVENT_TYPE_FED),
    ("cpi", events_pb2.EXTERNAL_EVENT_TYPE_CPI),
    ("consumer price", events_pb2.EXTERNAL_EVENT_TYPE_CPI),
    ("nonfarm payrolls", events_pb2.EXTERNAL_EVENT_TYPE_JOBS),
    ("non farm payrolls", events_pb2.EXTERNAL_EVENT_TYPE_JOBS),
    ("unemployment rate", events_pb2.EXTERNAL_EVENT_TYPE_JOBS),
    ("jobless claims", events_pb2.EXTERNAL_EVENT_TYPE_JOBS),
    ("gdp", events_pb2.EXTERNAL_EVENT_TYPE_GDP),
)


@dataclass(frozen=True, slots=True)
class NewsArticle:
    """A news article about one or more symbols."""

    source: str
    article_id: str
    published_at: datetime
    symbols: tuple[str, ...]
    title: str
    publisher: str | None
    url: str | None
    text: str | None

    def to_external_event(self) -> events_pb2.ExternalEvent:
        """As a NEWS event."""
        return _event(
            f"{self.source}:{self.article_id}",
            events_pb2.EXTERNAL_EVENT_TYPE_NEWS,
            self.published_at,
            self.symbols,
            self.title,
            self.source,
            importance=0.0,
            payload={"publisher": self.publisher, "url": self.url, "scored": False},
        )


@dataclass(frozen=True, slots=True)
class EconomicEvent:
    """A scheduled macro release (actual is None until released)."""

    source: str
    event_id: str
    scheduled_at: datetime
    country: str
    name: str
    impact: str | None
    actual: float | None
    estimate: float | None
    previous: float | None

    def to_external_event(self) -> events_pb2.ExternalEvent:
        """As a FED/CPI/JOBS/GDP event when the name says so, otherwise MACRO."""
        lowered = f"{self.name.lower()} "
        kind = next(
            (t for word, t in _MACRO_KEYWORDS if word in lowered),
            events_pb2.EXTERNAL_EVENT_TYPE_MACRO,
        )
        return _event(
            f"{self.source}:{self.event_id}",
            kind,
            self.scheduled_at,
            (),
            f"{self.country} {self.name}",
            self.source,
            importance=_IMPACT.get((self.impact or "").lower(), 0.0),
            surprise=_surprise(self.actual, self.estimate),
            payload={
                "country": self.country,
                "impact": self.impact,
                "actual": self.actual,
                "estimate": self.estimate,
                "previous": self.previous,
                "scored": False,
            },
        )


@dataclass(frozen=True, slots=True)
class EarningsEvent:
    """A company's earnings date with EPS and revenue estimates (actuals once reported)."""

    source: str
    symbol: str
    report_date: date
    eps_estimate: float | None
    eps_actual: float | None
    revenue_estimate: float | None
    revenue_actual: float | None

    def to_external_event(self) -> events_pb2.ExternalEvent:
        """As an EARNINGS event at midnight UTC of the report date."""
        reported = self.eps_actual is not None
        return _event(
            f"{self.source}:{self.symbol}:{self.report_date.isoformat()}",
            events_pb2.EXTERNAL_EVENT_TYPE_EARNINGS,
            datetime.combine(self.report_date, time(), tzinfo=UTC),
            (self.symbol,),
            f"{self.symbol} earnings {'reported' if reported else 'scheduled'} "
            f"{self.report_date.isoformat()}",
            self.source,
            importance=0.8,
            surprise=_surprise(self.eps_actual, self.eps_estimate),
            payload={
                "eps_estimate": self.eps_estimate,
                "eps_actual": self.eps_actual,
                "revenue_estimate": self.revenue_estimate,
                "revenue_actual": self.revenue_actual,
                "scored": False,
            },
        )


@dataclass(frozen=True, slots=True)
class PredictionMarket:
    """A binary prediction market and the probability its prices imply for "yes"."""

    source: str
    market_id: str
    question: str
    yes_probability: float
    volume: float | None
    closes_at: datetime | None
    observed_at: datetime
    url: str | None

    def to_external_event(self) -> events_pb2.ExternalEvent:
        """As a PREDICTION_MARKET event observed at `observed_at`."""
        return _event(
            f"{self.source}:{self.market_id}",
            events_pb2.EXTERNAL_EVENT_TYPE_PREDICTION_MARKET,
            self.observed_at,
            (),
            f"{self.question} — yes {self.yes_probability:.0%}",
            self.source,
            importance=0.5,
            payload={
                "yes_probability": self.yes_probability,
                "volume": self.volume,
                "closes_at": None if self.closes_at is None else self.closes_at.isoformat(),
                "url": self.url,
                "scored": False,
            },
        )


@dataclass(frozen=True, slots=True)
class Filing:
    """An SEC filing (10-K, 10-Q, 8-K, ...) of a company."""

    source: str
    symbol: str
    cik: str
    accession_number: str
    form: str
    filed_at: datetime
    report_date: date | None
    description: str | None
    url: str

    def to_external_event(self) -> events_pb2.ExternalEvent:
        """As a FILING event at the SEC acceptance time."""
        what = f" ({self.description})" if self.description else ""
        return _event(
            f"{self.source}:{self.accession_number}",
            events_pb2.EXTERNAL_EVENT_TYPE_FILING,
            self.filed_at,
            (self.symbol,),
            f"{self.symbol} filed {self.form}{what}",
            self.source,
            importance=_FORM_IMPORTANCE.get(self.form, 0.4),
            payload={
                "cik": self.cik,
                "form": self.form,
                "url": self.url,
                "report_date": None if self.report_date is None else self.report_date.isoformat(),
                "scored": False,
            },
        )


ContextItem: TypeAlias = NewsArticle | EconomicEvent | EarningsEvent | PredictionMarket | Filing


def _surprise(actual: float | None, estimate: float | None) -> float:
    """|actual - estimate| relative to |estimate|, capped at 1; 0 when either is unknown."""
    if actual is None or estimate is None:
        return 0.0
    scale = abs(estimate) if estimate else 1.0
    return min(1.0, abs(actual - estimate) / scale)


def _event(
    event_id: str,
    kind: _EventType,
    when: datetime,
    symbols: tuple[str, ...],
    summary: str,
    source: str,
    *,
    importance: float,
    surprise: float = 0.0,
    payload: dict[str, Any],
) -> events_pb2.ExternalEvent:
    stamp = Timestamp()
    stamp.FromDatetime(when.astimezone(UTC))
    body = Struct()
    body.update({k: v for k, v in payload.items() if v is not None})
    return events_pb2.ExternalEvent(
        event_id=event_id,
        event_type=kind,
        event_time=stamp,
        related_symbols=list(symbols),
        summary=summary,
        sentiment=0.0,
        importance=importance,
        surprise=surprise,
        source=source,
        payload=body,
    )

"""External context: news, calendars, prediction markets and SEC filings, with explicit status."""

from cream.context.bundle import ContextBundle, SourceStatus, gather_context
from cream.context.config import ContextSettings, build_sources
from cream.context.edgar import EdgarSource
from cream.context.errors import (
    ContextError,
    InvalidContextRequestError,
    MalformedPayloadError,
    RateLimitedError,
    SourceHttpError,
    SourceTimeoutError,
    SourceUnreachableError,
)
from cream.context.fmp import FmpEarningsCalendarSource, FmpEconomicCalendarSource, FmpNewsSource
from cream.context.http import JsonHttp
from cream.context.models import (
    ContextItem,
    EarningsEvent,
    EconomicEvent,
    Filing,
    NewsArticle,
    PredictionMarket,
)
from cream.context.prediction_markets import KalshiSource, PolymarketSource
from cream.context.source import (
    ContextRequest,
    ContextSource,
    SourceData,
    SourceKind,
    Unavailable,
    UnconfiguredSource,
)

__all__ = [
    "ContextBundle",
    "ContextError",
    "ContextItem",
    "ContextRequest",
    "ContextSettings",
    "ContextSource",
    "EarningsEvent",
    "EconomicEvent",
    "EdgarSource",
    "Filing",
    "FmpEarningsCalendarSource",
    "FmpEconomicCalendarSource",
    "FmpNewsSource",
    "InvalidContextRequestError",
    "JsonHttp",
    "KalshiSource",
    "MalformedPayloadError",
    "NewsArticle",
    "PolymarketSource",
    "PredictionMarket",
    "RateLimitedError",
    "SourceData",
    "SourceHttpError",
    "SourceKind",
    "SourceStatus",
    "SourceTimeoutError",
    "SourceUnreachableError",
    "Unavailable",
    "UnconfiguredSource",
    "build_sources",
    "gather_context",
]

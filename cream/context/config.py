"""Which external sources are configured, read from the environment, and building them.

Every source is off unless configured, so a fresh checkout makes no network calls:

- FMP (news, economic and earnings calendars): `FMP_API_KEY` (`FMP_BASE_URL` optional).
- Kalshi and Polymarket: public APIs, enabled by `KALSHI_BASE_URL` / `POLYMARKET_BASE_URL`
  (the official URLs are `DEFAULT_KALSHI_URL` / `DEFAULT_POLYMARKET_URL`).
- SEC EDGAR: `SEC_EDGAR_USER_AGENT` ("Name contact@example.com", which the SEC requires);
  `SEC_EDGAR_DATA_URL` / `SEC_EDGAR_WWW_URL` optional.

A source left unconfigured is an `UnconfiguredSource` that answers `Unavailable` with the
variable to set.
"""

from __future__ import annotations

from typing import Final

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from cream.clock import Clock
from cream.context.edgar import DEFAULT_EDGAR_DATA_URL, DEFAULT_EDGAR_WWW_URL, EdgarSource
from cream.context.fmp import (
    DEFAULT_FMP_URL,
    FmpEarningsCalendarSource,
    FmpEconomicCalendarSource,
    FmpNewsSource,
)
from cream.context.http import JsonHttp
from cream.context.prediction_markets import KalshiSource, PolymarketSource
from cream.context.source import ContextSource, SourceKind, UnconfiguredSource

_EDGAR_REQUESTS_PER_SECOND: Final = 10.0


class ContextSettings(BaseSettings):
    """Keys and URLs of the external-context sources; all optional."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    fmp_api_key: str | None = None
    fmp_base_url: str = DEFAULT_FMP_URL
    kalshi_base_url: str | None = None
    polymarket_base_url: str | None = None
    sec_edgar_user_agent: str | None = None
    sec_edgar_data_url: str = DEFAULT_EDGAR_DATA_URL
    sec_edgar_www_url: str = DEFAULT_EDGAR_WWW_URL
    context_timeout_seconds: float = Field(default=10.0, gt=0)


def build_sources(
    settings: ContextSettings, client: httpx.AsyncClient, *, clock: Clock | None = None
) -> list[ContextSource]:
    """One adapter per source: the real one when configured, else an `UnconfiguredSource`."""
    timeout = settings.context_timeout_seconds
    sources: list[ContextSource] = []
    if settings.fmp_api_key:
        fmp = JsonHttp(
            client,
            "fmp",
            settings.fmp_base_url,
            params={"apikey": settings.fmp_api_key},
            timeout_seconds=timeout,
        )
        sources += [
            FmpNewsSource(fmp),
            FmpEconomicCalendarSource(fmp),
            FmpEarningsCalendarSource(fmp),
        ]
    else:
        reason = "FMP_API_KEY is not set"
        sources += [
            UnconfiguredSource("fmp_news", SourceKind.NEWS, reason),
            UnconfiguredSource("fmp_economic_calendar", SourceKind.ECONOMIC_CALENDAR, reason),
            UnconfiguredSource("fmp_earnings_calendar", SourceKind.EARNINGS_CALENDAR, reason),
        ]
    if settings.kalshi_base_url:
        http = JsonHttp(client, "kalshi", settings.kalshi_base_url, timeout_seconds=timeout)
        sources.append(KalshiSource(http, clock=clock))
    else:
        sources.append(
            UnconfiguredSource(
                "kalshi", SourceKind.PREDICTION_MARKETS, "KALSHI_BASE_URL is not set"
            )
        )
    if settings.polymarket_base_url:
        http = JsonHttp(client, "polymarket", settings.polymarket_base_url, timeout_seconds=timeout)
        sources.append(PolymarketSource(http, clock=clock))
    else:
        sources.append(
            UnconfiguredSource(
                "polymarket", SourceKind.PREDICTION_MARKETS, "POLYMARKET_BASE_URL is not set"
            )
        )
    if settings.sec_edgar_user_agent:
        headers = {"User-Agent": settings.sec_edgar_user_agent}
        interval = 1.0 / _EDGAR_REQUESTS_PER_SECOND

        def edgar_http(base_url: str) -> JsonHttp:
            return JsonHttp(
                client,
                "sec_edgar",
                base_url,
                headers=headers,
                timeout_seconds=timeout,
                min_interval_seconds=interval,
            )

        sources.append(
            EdgarSource(
                edgar_http(settings.sec_edgar_data_url), edgar_http(settings.sec_edgar_www_url)
            )
        )
    else:
        sources.append(
            UnconfiguredSource(
                "sec_edgar",
                SourceKind.FILINGS,
                "SEC_EDGAR_USER_AGENT is not set (the SEC requires a name and contact e-mail)",
            )
        )
    return sources

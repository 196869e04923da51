"""Financial Modeling Prep adapters: stock news, the economic calendar, the earnings calendar.

Endpoints of FMP's `stable` API, authenticated with the `apikey` query parameter. FMP writes
news and earnings times without a zone, in US Eastern time; economic-calendar times in UTC.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final
from zoneinfo import ZoneInfo

from cream.context.errors import SourceHttpError
from cream.context.http import JsonHttp
from cream.context.models import EarningsEvent, EconomicEvent, NewsArticle
from cream.context.payload import Payload
from cream.context.source import ContextRequest, SourceData, SourceKind, Unavailable, in_window

DEFAULT_FMP_URL: Final = "https://financialmodelingprep.com"
_EASTERN: Final = ZoneInfo("America/New_York")


def _rows(source: str, body: Any, what: str) -> list[Any]:
    if isinstance(body, dict) and "Error Message" in body:
        # FMP reports a bad key or plan limit as a JSON object, sometimes with status 200.
        raise SourceHttpError(
            source, 200, f"FMP refused the {what} request: {body['Error Message']}"
        )
    return Payload(source).array(body, what)


class FmpNewsSource:
    """Stock news for the requested symbols, published within the look-back window."""

    name = "fmp_news"
    kind = SourceKind.NEWS

    def __init__(self, http: JsonHttp, *, limit: int = 50) -> None:
        self._http = http
        self._limit = limit

    async def fetch(self, request: ContextRequest) -> SourceData | Unavailable:
        """Articles tagged with any requested symbol, newest first, none after `as_of`."""
        if not request.symbols:
            return SourceData(self.name, (), ("no symbols were requested",))
        body = await self._http.get(
            "/stable/news/stock",
            {
                "symbols": ",".join(request.symbols),
                "from": request.since.date().isoformat(),
                "to": request.as_of.date().isoformat(),
                "limit": self._limit,
            },
        )
        p = Payload(self.name)
        articles = []
        for i, raw in enumerate(_rows(self.name, body, "news")):
            where = f"news[{i}]"
            row = p.obj(raw, where)
            published = p.moment(row, "publishedDate", where, naive_tz=_EASTERN)
            if not in_window(published, request.since, request.as_of):
                continue
            url = p.optional_text(row, "url", where)
            title = p.text(row, "title", where)
            key = url or f"{title}|{published.isoformat()}"
            articles.append(
                NewsArticle(
                    source=self.name,
                    article_id=hashlib.sha256(key.encode()).hexdigest()[:16],
                    published_at=published,
                    symbols=(p.text(row, "symbol", where).upper(),),
                    title=title,
                    publisher=p.optional_text(row, "publisher", where),
                    url=url,
                    text=p.optional_text(row, "text", where),
                )
            )
        articles.sort(key=lambda a: a.published_at, reverse=True)
        return SourceData(self.name, tuple(articles))


class FmpEconomicCalendarSource:
    """Macro releases of the configured countries within the request's window."""

    name = "fmp_economic_calendar"
    kind = SourceKind.ECONOMIC_CALENDAR

    def __init__(self, http: JsonHttp, *, countries: tuple[str, ...] = ("US",)) -> None:
        self._http = http
        self._countries = tuple(c.upper() for c in countries)

    async def fetch(self, request: ContextRequest) -> SourceData | Unavailable:
        """Releases from `as_of - lookback` to `as_of + lookahead`, soonest first.

        Actual values of releases after `as_of` are dropped (not known yet at that time).
        """
        body = await self._http.get(
            "/stable/economic-calendar",
            {"from": request.since.date().isoformat(), "to": request.until.date().isoformat()},
        )
        p = Payload(self.name)
        events = []
        for i, raw in enumerate(_rows(self.name, body, "economic calendar")):
            where = f"calendar[{i}]"
            row = p.obj(raw, where)
            country = p.text(row, "country", where).upper()
            when = p.moment(row, "date", where)
            if country not in self._countries or not in_window(when, request.since, request.until):
                continue
            name = p.text(row, "event", where)
            released = when <= request.as_of
            events.append(
                EconomicEvent(
                    source=self.name,
                    event_id=f"{country}:{name}:{when.isoformat()}",
                    scheduled_at=when,
                    country=country,
                    name=name,
                    impact=p.optional_text(row, "impact", where),
                    actual=p.number(row, "actual", where) if released else None,
                    estimate=p.number(row, "estimate", where),
                    previous=p.number(row, "previous", where),
                )
            )
        events.sort(key=lambda e: e.scheduled_at)
        return SourceData(self.name, tuple(events))


class FmpEarningsCalendarSource:
    """Earnings dates of the requested symbols within the request's window."""

    name = "fmp_earnings_calendar"
    kind = SourceKind.EARNINGS_CALENDAR

    def __init__(self, http: JsonHttp) -> None:
        self._http = http

    async def fetch(self, request: ContextRequest) -> SourceData | Unavailable:
        """Reports of the requested symbols, soonest first; actuals only once reported."""
        body = await self._http.get(
            "/stable/earnings-calendar",
            {"from": request.since.date().isoformat(), "to": request.until.date().isoformat()},
        )
        p = Payload(self.name)
        wanted = set(request.symbols)
        events = []
        for i, raw in enumerate(_rows(self.name, body, "earnings calendar")):
            where = f"earnings[{i}]"
            row = p.obj(raw, where)
            symbol = p.text(row, "symbol", where).upper()
            if wanted and symbol not in wanted:
                continue
            day = p.day(row, "date", where)
            if not request.since.date() <= day <= request.until.date():
                continue
            known = day < request.as_of.astimezone(_EASTERN).date()
            events.append(
                EarningsEvent(
                    source=self.name,
                    symbol=symbol,
                    report_date=day,
                    eps_estimate=p.number(row, "epsEstimated", where),
                    eps_actual=p.number(row, "epsActual", where) if known else None,
                    revenue_estimate=p.number(row, "revenueEstimated", where),
                    revenue_actual=p.number(row, "revenueActual", where) if known else None,
                )
            )
        events.sort(key=lambda e: (e.report_date, e.symbol))
        return SourceData(self.name, tuple(events))

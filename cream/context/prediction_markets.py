"""Prediction-market adapters: Kalshi's trade API v2 and Polymarket's gamma API (both public).

Both give live prices only, so a request whose `as_of` lies further in the past than
`max_staleness` is answered `Unavailable` instead of with prices from its future.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from cream.clock import Clock, SystemClock
from cream.context.http import JsonHttp
from cream.context.models import PredictionMarket
from cream.context.payload import Payload
from cream.context.source import ContextRequest, SourceData, SourceKind, Unavailable

DEFAULT_KALSHI_URL: Final = "https://api.elections.kalshi.com"
DEFAULT_POLYMARKET_URL: Final = "https://gamma-api.polymarket.com"
# Fed decisions, CPI and recession: the macro series seed 000 names for sizing.
DEFAULT_KALSHI_SERIES: Final = ("KXFED", "KXCPI", "KXRECSSNBER")
_MAX_STALENESS: Final = timedelta(hours=1)


def _past_request(name: str, request: ContextRequest, clock: Clock) -> Unavailable | None:
    age = clock.now() - request.as_of
    if age > _MAX_STALENESS:
        return Unavailable(
            name,
            f"only live prices exist; as_of is {age} in the past, so they would leak the future",
        )
    return None


class KalshiSource:
    """Open markets of the configured Kalshi series, priced from the yes bid/ask midpoint."""

    name = "kalshi"
    kind = SourceKind.PREDICTION_MARKETS

    def __init__(
        self,
        http: JsonHttp,
        *,
        series: tuple[str, ...] = DEFAULT_KALSHI_SERIES,
        clock: Clock | None = None,
    ) -> None:
        self._http = http
        self._series = series
        self._clock = clock or SystemClock()

    async def fetch(self, request: ContextRequest) -> SourceData | Unavailable:
        """One page of open markets per series (up to 100 each)."""
        if (past := _past_request(self.name, request, self._clock)) is not None:
            return past
        p = Payload(self.name)
        markets: list[PredictionMarket] = []
        notes: list[str] = []
        observed = self._clock.now()
        for series in self._series:
            body = p.obj(
                await self._http.get(
                    "/trade-api/v2/markets",
                    {"series_ticker": series, "status": "open", "limit": 100},
                ),
                f"markets({series})",
            )
            for i, raw in enumerate(p.array(body.get("markets"), f"{series}.markets")):
                where = f"{series}.markets[{i}]"
                row = p.obj(raw, where)
                ticker = p.text(row, "ticker", where)
                probability = _kalshi_probability(p, row, where)
                if probability is None:
                    notes.append(f"{ticker}: no bid, ask or last trade to price it")
                    continue
                subtitle = p.optional_text(row, "yes_sub_title", where) or p.optional_text(
                    row, "subtitle", where
                )
                title = p.text(row, "title", where)
                markets.append(
                    PredictionMarket(
                        source=self.name,
                        market_id=ticker,
                        question=f"{title} ({subtitle})" if subtitle else title,
                        yes_probability=probability,
                        volume=p.number(row, "volume", where),
                        closes_at=p.moment(row, "close_time", where),
                        observed_at=observed,
                        url=None,
                    )
                )
        return SourceData(self.name, tuple(markets), tuple(notes))


def _kalshi_probability(p: Payload, row: dict[str, Any], where: str) -> float | None:
    """Midpoint of yes bid and ask when both quote, else the last trade; dollars or cents."""

    def price(field: str) -> float | None:
        dollars = p.number(row, f"{field}_dollars", where)
        if dollars is not None:
            return dollars
        cents = p.number(row, field, where)
        return None if cents is None else cents / 100.0

    bid, ask, last = price("yes_bid"), price("yes_ask"), price("last_price")
    if bid and ask and 0 < bid <= ask:
        value = (bid + ask) / 2.0
    elif last:
        value = last
    else:
        return None
    if not 0.0 <= value <= 1.0:
        raise p.fail(where, f"price {value} is outside 0..1")
    return value


class PolymarketSource:
    """Active binary (Yes/No) markets from Polymarket's gamma API, by volume."""

    name = "polymarket"
    kind = SourceKind.PREDICTION_MARKETS

    def __init__(
        self,
        http: JsonHttp,
        *,
        limit: int = 50,
        tag_id: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._http = http
        self._limit = limit
        self._tag_id = tag_id
        self._clock = clock or SystemClock()

    async def fetch(self, request: ContextRequest) -> SourceData | Unavailable:
        """The most traded active markets; the "Yes" outcome price is the probability."""
        if (past := _past_request(self.name, request, self._clock)) is not None:
            return past
        params: dict[str, str | int] = {
            "active": "true",
            "closed": "false",
            "limit": self._limit,
            "order": "volumeNum",
            "ascending": "false",
        }
        if self._tag_id:
            params["tag_id"] = self._tag_id
        p = Payload(self.name)
        observed = self._clock.now()
        markets: list[PredictionMarket] = []
        notes: list[str] = []
        for i, raw in enumerate(p.array(await self._http.get("/markets", params), "markets")):
            where = f"markets[{i}]"
            row = p.obj(raw, where)
            market_id = str(row.get("id") or p.text(row, "conditionId", where))
            outcomes = p.embedded_json(row, "outcomes", where)
            prices = p.embedded_json(row, "outcomePrices", where)
            if not isinstance(outcomes, list) or not isinstance(prices, list):
                raise p.fail(where, "outcomes and outcomePrices must be JSON arrays")
            if len(outcomes) != len(prices):
                raise p.fail(where, f"{len(outcomes)} outcomes but {len(prices)} prices")
            if [str(o).lower() for o in outcomes] != ["yes", "no"]:
                notes.append(f"{market_id}: not a Yes/No market ({outcomes}), skipped")
                continue
            yes = p.number({"yes": prices[0]}, "yes", f"{where}.outcomePrices")
            if yes is None or not 0.0 <= yes <= 1.0:
                raise p.fail(f"{where}.outcomePrices", f"yes price {prices[0]!r} is not in 0..1")
            slug = p.optional_text(row, "slug", where)
            end = row.get("endDate")
            markets.append(
                PredictionMarket(
                    source=self.name,
                    market_id=market_id,
                    question=p.text(row, "question", where),
                    yes_probability=yes,
                    volume=p.number(row, "volumeNum", where) or p.number(row, "volume", where),
                    closes_at=None if not end else p.moment(row, "endDate", where),
                    observed_at=observed,
                    url=None if slug is None else f"https://polymarket.com/market/{slug}",
                )
            )
        return SourceData(self.name, tuple(markets), tuple(notes))

"""Each adapter against recorded responses: parsing, point-in-time windows, notes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TypeVar

import pytest

from cream.context import (
    ContextRequest,
    EarningsEvent,
    EconomicEvent,
    EdgarSource,
    Filing,
    FmpEarningsCalendarSource,
    FmpEconomicCalendarSource,
    FmpNewsSource,
    JsonHttp,
    KalshiSource,
    NewsArticle,
    PolymarketSource,
    PredictionMarket,
    SourceData,
    SourceHttpError,
    Unavailable,
)
from cream.v1 import events_pb2
from tests.cream.context.conftest import AS_OF
from tests.fakes.context_apis import FMP_KEY, USER_AGENT

REQUEST = ContextRequest(("aapl", "MSFT"), AS_OF)
T = TypeVar("T")


def ok(answer: SourceData | Unavailable) -> SourceData:
    assert isinstance(answer, SourceData), answer
    return answer


def items(data: SourceData, kind: type[T]) -> list[T]:
    assert all(isinstance(item, kind) for item in data.items)
    return [item for item in data.items if isinstance(item, kind)]


def fmp(client, server, key=FMP_KEY):
    return JsonHttp(client, "fmp", server.url, params={"apikey": key})


async def test_news_keeps_only_articles_published_in_the_window_up_to_as_of(client, server):
    news = items(ok(await FmpNewsSource(fmp(client, server)).fetch(REQUEST)), NewsArticle)
    titles = [a.title for a in news]
    # The 14:30 New York article is after as_of (11:00 New York); the March 2 one is too old.
    assert titles == [
        "Apple supplier signals stronger iPhone orders for the June quarter",
        "Microsoft expands Azure capacity in three new regions",
    ]
    assert news[0].published_at.isoformat() == "2026-03-10T13:42:11+00:00"
    [request] = server.requests
    assert request.query["symbols"] == ["AAPL,MSFT"]


async def test_economic_calendar_hides_actuals_not_yet_released_at_as_of(client, server):
    data = ok(await FmpEconomicCalendarSource(fmp(client, server)).fetch(REQUEST))
    by_name = {e.name: e for e in items(data, EconomicEvent)}
    assert set(by_name) == {
        "JOLTs Job Openings (Jan)",
        "Nonfarm Productivity QoQ Final (Q4)",
        "CPI YoY (Feb)",
    }  # JP is another country, the Fed decision is past the look-ahead
    assert by_name["JOLTs Job Openings (Jan)"].actual == 7.9
    assert by_name["Nonfarm Productivity QoQ Final (Q4)"].actual is None
    cpi = by_name["CPI YoY (Feb)"].to_external_event()
    assert cpi.event_type == events_pb2.EXTERNAL_EVENT_TYPE_CPI
    assert cpi.importance == pytest.approx(0.9)


async def test_earnings_calendar_keeps_requested_symbols_and_only_past_actuals(client, server):
    data = ok(await FmpEarningsCalendarSource(fmp(client, server)).fetch(REQUEST))
    earnings = items(data, EarningsEvent)
    assert [(e.symbol, e.report_date, e.eps_actual) for e in earnings] == [
        ("MSFT", date(2026, 3, 9), 3.21),
        ("MSFT", date(2026, 3, 12), None),
    ]
    event = earnings[0].to_external_event()
    assert event.event_type == events_pb2.EXTERNAL_EVENT_TYPE_EARNINGS
    assert event.surprise == pytest.approx(0.11 / 3.1)


async def test_a_bad_fmp_key_is_a_typed_http_error_naming_the_status(client, server):
    with pytest.raises(SourceHttpError) as info:
        await FmpNewsSource(fmp(client, server, key="wrong")).fetch(REQUEST)
    assert info.value.status == 401
    assert info.value.code == "SOURCE_HTTP_ERROR"
    assert "Invalid API KEY" in info.value.message


async def test_kalshi_prices_from_the_yes_midpoint_and_notes_unpriced_markets(
    client, server, clock
):
    http = JsonHttp(client, "kalshi", server.url)
    data = ok(await KalshiSource(http, series=("KXFED", "KXCPI"), clock=clock).fetch(REQUEST))
    markets = items(data, PredictionMarket)
    assert {m.market_id: m.yes_probability for m in markets} == {
        "KXFED-26MAR-T3.50": pytest.approx(0.63),
        "KXFED-26MAR-T3.75": pytest.approx(0.05),
    }
    assert data.notes == ("KXFED-26MAR-T4.25: no bid, ask or last trade to price it",)
    assert markets[0].question.endswith("(Above 3.50%)")


async def test_polymarket_reads_the_yes_price_and_skips_non_binary_markets(client, server, clock):
    http = JsonHttp(client, "polymarket", server.url)
    data = ok(await PolymarketSource(http, clock=clock).fetch(REQUEST))
    markets = items(data, PredictionMarket)
    assert [m.market_id for m in markets] == ["612877", "613555"]
    assert [m.yes_probability for m in markets] == pytest.approx([0.215, 0.31])
    assert "613002: not a Yes/No market" in data.notes[0]
    event = markets[0].to_external_event()
    assert event.event_type == events_pb2.EXTERNAL_EVENT_TYPE_PREDICTION_MARKET
    assert event.payload["yes_probability"] == pytest.approx(0.215)


async def test_live_only_prediction_markets_refuse_a_past_as_of(client, server, clock):
    clock.advance(timedelta(days=2))
    http = JsonHttp(client, "kalshi", server.url)
    answer = await KalshiSource(http, clock=clock).fetch(REQUEST)
    assert isinstance(answer, Unavailable)
    assert "leak the future" in answer.reason
    assert server.requests == []


def edgar(client, server, user_agent=USER_AGENT):
    headers = {"User-Agent": user_agent}
    return EdgarSource(
        JsonHttp(client, "sec_edgar", server.url, headers=headers),
        JsonHttp(client, "sec_edgar", server.url, headers=headers),
    )


async def test_edgar_lists_wanted_forms_accepted_by_as_of_and_notes_unknown_tickers(client, server):
    request = ContextRequest(("AAPL", "ZZZZ"), AS_OF, lookback=timedelta(days=60))
    data = ok(await edgar(client, server).fetch(request))
    filings = items(data, Filing)
    # The 8-K accepted at 20:15 UTC is after as_of; the Form 4 is not a wanted form.
    assert [(f.form, f.accession_number) for f in filings] == [
        ("8-K", "0000320193-26-000029"),
        ("10-Q", "0000320193-26-000012"),
    ]
    assert filings[1].url == (
        "https://www.sec.gov/Archives/edgar/data/320193/000032019326000012/aapl-20251227.htm"
    )
    assert data.notes == ("ZZZZ: not in the SEC ticker list, no filings fetched",)
    assert server.requests[0].headers["user-agent"] == USER_AGENT


async def test_edgar_without_a_declared_user_agent_is_refused_with_a_hint(client, server):
    with pytest.raises(SourceHttpError) as info:
        await edgar(client, server, user_agent="python-httpx").fetch(REQUEST)
    assert info.value.status == 403
    assert "User-Agent" in info.value.message

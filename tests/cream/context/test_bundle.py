"""ContextBundle: unconfigured sources are explicit, failures are per source, events map."""

from __future__ import annotations

from datetime import datetime

import pytest

from cream.context import (
    ContextRequest,
    ContextSettings,
    InvalidContextRequestError,
    SourceKind,
    build_sources,
    gather_context,
)
from cream.v1 import events_pb2
from tests.cream.context.conftest import AS_OF
from tests.fakes.context_apis import FMP_KEY, USER_AGENT
from tests.fakes.http_server import Reply


def configured(url):
    return ContextSettings(
        fmp_api_key=FMP_KEY,
        fmp_base_url=url,
        kalshi_base_url=url,
        polymarket_base_url=url,
        sec_edgar_user_agent=USER_AGENT,
        sec_edgar_data_url=url,
        sec_edgar_www_url=url,
    )


async def test_with_nothing_configured_every_source_says_unavailable_and_why(client, clock):
    sources = build_sources(
        ContextSettings(
            fmp_api_key=None,
            kalshi_base_url=None,
            polymarket_base_url=None,
            sec_edgar_user_agent=None,
        ),
        client,
        clock=clock,
    )
    bundle = await gather_context(sources, ContextRequest(("AAPL",), AS_OF))
    assert bundle.items == ()
    assert {s.state for s in bundle.statuses} == {"unavailable"}
    assert not any(bundle.available(kind) for kind in SourceKind)
    lines = "\n".join(bundle.status_lines())
    for variable in (
        "FMP_API_KEY",
        "KALSHI_BASE_URL",
        "POLYMARKET_BASE_URL",
        "SEC_EDGAR_USER_AGENT",
    ):
        assert variable in lines


async def test_with_everything_configured_each_kind_is_filled(client, server, clock):
    sources = build_sources(configured(server.url), client, clock=clock)
    bundle = await gather_context(sources, ContextRequest(("AAPL", "MSFT"), AS_OF))
    assert {s.source: s.state for s in bundle.statuses} == {
        "fmp_news": "ok",
        "fmp_economic_calendar": "ok",
        "fmp_earnings_calendar": "ok",
        "kalshi": "ok",
        "polymarket": "ok",
        "sec_edgar": "ok",
    }
    assert len(bundle.news) == 2
    assert len(bundle.prediction_markets) == 4
    assert all(bundle.available(kind) for kind in SourceKind)
    events = bundle.external_events()
    assert len(events) == len(bundle.items)
    times = [(e.event_time.seconds, e.event_time.nanos) for e in events]
    assert times == sorted(times)
    assert events_pb2.EXTERNAL_EVENT_TYPE_NEWS in {e.event_type for e in events}


async def test_one_failing_source_is_reported_while_the_others_still_answer(client, server, clock):
    server.routes[("GET", "/markets")] = lambda _r: Reply(429, {}, {"Retry-After": "120"})
    sources = build_sources(configured(server.url), client, clock=clock)
    bundle = await gather_context(sources, ContextRequest(("AAPL",), AS_OF))
    status = {s.source: s for s in bundle.statuses}
    assert status["polymarket"].state == "error"
    assert status["polymarket"].error_code == "RATE_LIMITED"
    assert "retry after 120 s" in status["polymarket"].describe()
    assert status["kalshi"].state == "ok"
    assert bundle.available(SourceKind.PREDICTION_MARKETS)


def test_a_request_without_a_timezone_is_refused():
    with pytest.raises(InvalidContextRequestError):
        ContextRequest(("AAPL",), datetime(2026, 3, 10, 15, 0))

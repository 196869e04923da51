"""JsonHttp's failure modes: rate limits honoured, timeouts, unreachable, malformed bodies."""

from __future__ import annotations

import pytest

from cream.context import (
    ContextRequest,
    JsonHttp,
    KalshiSource,
    MalformedPayloadError,
    RateLimitedError,
    SourceTimeoutError,
    SourceUnreachableError,
)
from tests.cream.context.conftest import AS_OF
from tests.fakes.http_server import Reply
from tests.servers import free_port


class Ticker:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


async def test_a_429_is_a_typed_error_and_the_retry_after_window_is_honoured(client, server):
    server.routes[("GET", "/x")] = lambda _r: Reply(
        429, {"error": "slow down"}, {"Retry-After": "30"}
    )
    ticker = Ticker()
    http = JsonHttp(client, "kalshi", server.url, monotonic=ticker)
    with pytest.raises(RateLimitedError) as info:
        await http.get("/x")
    assert (info.value.code, info.value.retry_after_seconds) == ("RATE_LIMITED", 30.0)
    ticker.now += 10
    with pytest.raises(RateLimitedError) as again:
        await http.get("/x")
    assert again.value.retry_after_seconds == pytest.approx(20.0)
    assert len(server.requests) == 1  # the second call never reached the server
    server.routes[("GET", "/x")] = lambda _r: Reply(200, {"ok": True})
    ticker.now += 21
    assert await http.get("/x") == {"ok": True}


async def test_a_slow_source_times_out_with_a_typed_error(client, server):
    server.routes[("GET", "/slow")] = lambda _r: Reply(200, {}, delay_seconds=1.0)
    http = JsonHttp(client, "fmp", server.url, timeout_seconds=0.1)
    with pytest.raises(SourceTimeoutError) as info:
        await http.get("/slow")
    assert info.value.code == "SOURCE_TIMEOUT"


async def test_a_source_that_is_not_listening_is_unreachable(client):
    http = JsonHttp(client, "fmp", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(SourceUnreachableError):
        await http.get("/anything")


async def test_a_body_that_is_not_json_is_a_malformed_payload(client, server):
    server.routes[("GET", "/html")] = lambda _r: Reply(200, raw=b"<html>maintenance</html>")
    with pytest.raises(MalformedPayloadError, match="did not return JSON"):
        await JsonHttp(client, "fmp", server.url).get("/html")


async def test_json_of_the_wrong_shape_names_the_offending_field(client, server, clock):
    server.routes[("GET", "/trade-api/v2/markets")] = lambda _r: Reply(
        200, {"markets": [{"ticker": "KXFED-1", "title": "t", "yes_bid": "lots"}]}
    )
    source = KalshiSource(JsonHttp(client, "kalshi", server.url), series=("KXFED",), clock=clock)
    with pytest.raises(MalformedPayloadError) as info:
        await source.fetch(ContextRequest(("AAPL",), AS_OF))
    assert "KXFED.markets[0].yes_bid" in info.value.message
    assert info.value.code == "MALFORMED_PAYLOAD"
